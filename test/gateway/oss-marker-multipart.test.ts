/**
 * A multipart upload to a key ending in `/` through ali-oss: OSS allows any object name, so the
 * gateway stores it as a directory marker with a body (key-layout.ts), as it does for PutObject.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, type RunningGateway, startGateway } from './oss-support.js';

let gw: RunningGateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(async () => gw.stop());

describe('OSS gateway: multipart uploads to dir/ keys (ali-oss)', () => {
  it('initiates, uploads and completes a dir/ key; it reads back and lists beside keys below it', async () => {
    const oss = client(gw, 'path-style');
    const file = join(gw.root, '..', 'marker-part.bin');
    await writeFile(file, 'first-second');
    await oss.put('photos/a.jpg', Buffer.from('below'));
    const { uploadId } = await oss.initMultipartUpload('photos/');
    const p1 = await oss.uploadPart('photos/', uploadId, 1, file, 0, 12);
    const done = await oss.completeMultipartUpload('photos/', uploadId, [{ number: 1, etag: p1.etag }]);
    expect(done.res.status).toBe(200);
    const got = await oss.get('photos/');
    expect(got.content.toString()).toBe('first-second');
    expect(got.res.headers).toMatchObject({ 'x-oss-object-type': 'Multipart' });
    const listed = await oss.list({ prefix: 'photos/' }, {});
    expect(listed.objects.map((o) => [o.name, o.size])).toEqual([
      ['photos/', 12],
      ['photos/a.jpg', 5],
    ]);
    expect((await oss.get('photos/a.jpg')).content.toString()).toBe('below');
  });

  it('x-oss-forbid-overwrite: completing onto a dir/ marker put since initiating is FileAlreadyExists', async () => {
    const oss = client(gw, 'path-style');
    const file = join(gw.root, '..', 'marker-part-2.bin');
    await writeFile(file, 'new');
    const { uploadId } = await (
      oss.initMultipartUpload as (name: string, options: object) => Promise<{ uploadId: string }>
    )('kept/', { headers: { 'x-oss-forbid-overwrite': 'true' } });
    await oss.put('kept/', Buffer.from('old'));
    const p1 = await oss.uploadPart('kept/', uploadId, 1, file, 0, 3);
    await expect(
      oss.completeMultipartUpload('kept/', uploadId, [{ number: 1, etag: p1.etag }]),
    ).rejects.toMatchObject({ status: 409, code: 'FileAlreadyExists' });
    expect((await oss.get('kept/')).content.toString()).toBe('old');
  });
});
