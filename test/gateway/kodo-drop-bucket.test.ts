/**
 * Deleting a bucket with Qiniu's SDK (`bucketManager.deleteBucket`, POST `/drop/<bucket>`): an
 * empty bucket goes; one holding files is refused and kept; an unknown one is 631.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import qiniu from 'qiniu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answer, type KodoFixture, startKodoFixture } from './kodo-support.js';

let kodo: KodoFixture;
/** A bucket manager whose uc calls (`/drop`) go to the gateway too. */
let manager: qiniu.rs.BucketManager;
beforeAll(async () => {
  kodo = await startKodoFixture();
  const config = new qiniu.conf.Config({
    useHttpsDomain: false,
    zone: kodo.config.zone ?? undefined,
    ucEndpointsProvider: new qiniu.httpc.Endpoint(kodo.host, { defaultScheme: 'http' }),
  });
  manager = new qiniu.rs.BucketManager(kodo.mac, config);
});
afterAll(async () => kodo?.cleanup());

describe('Kodo gateway: /drop (deleteBucket)', () => {
  it('deletes an empty bucket, refuses one holding files, 631 for an unknown one', async () => {
    await mkdir(join(kodo.root, 'empty-one'));
    const dropped = await answer(manager.deleteBucket('empty-one'));
    expect(dropped.status).toBe(200);
    expect(existsSync(join(kodo.root, 'empty-one'))).toBe(false);
    expect((await answer(manager.listBucket())).data).not.toContain('empty-one');

    await mkdir(join(kodo.root, 'full-one', 'dir'), { recursive: true });
    const refused = await answer(manager.deleteBucket('full-one'));
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ error: 'bucket full-one is not empty: delete its files first' });
    expect(existsSync(join(kodo.root, 'full-one', 'dir'))).toBe(true);

    expect((await answer(manager.deleteBucket('no-such-bucket'))).status).toBe(631);
  });
});
