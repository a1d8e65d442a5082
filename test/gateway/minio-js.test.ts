/**
 * MinIO's JS client (`minio`) against the S3 gateway: every operation of the compatibility table
 * in docs/gateway.md that this client can send, plus the error it gets for an unsupported one.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import * as Minio from 'minio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withS3Gateway } from './fixture.js';
import { minioClient } from './minio-client.js';

const gw = withS3Gateway({ anonymous: true });
let mc: Minio.Client;
let scratch: string;
const BUCKET = 'minio-js';
const PART = 5 * 1024 * 1024;

beforeAll(async () => {
  mc = minioClient(gw, { pathStyle: true, partSize: PART });
  scratch = await mkdtemp(join(tmpdir(), 'tierfs-minio-'));
  await mc.makeBucket(BUCKET, 'us-east-1');
});
afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function listAll<T>(stream: NodeJS.ReadableStream): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream as AsyncIterable<T>) items.push(item);
  return items;
}

/** The S3 error code a failed call reports. */
async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
  throw new Error('expected the call to fail');
}

const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

describe('buckets', () => {
  it('makeBucket, bucketExists, listBuckets, getBucketRegion, removeBucket', async () => {
    await mc.makeBucket('minio-scratch', 'us-east-1');
    expect(await mc.bucketExists('minio-scratch')).toBe(true);
    expect(await mc.bucketExists('minio-missing')).toBe(false);
    const names = (await mc.listBuckets()).map((b) => b.name);
    expect(names).toEqual(expect.arrayContaining([BUCKET, 'minio-scratch']));
    expect(await promisify(mc.getBucketRegion.bind(mc))('minio-scratch')).toBe('us-east-1');
    await mc.makeBucket('minio-scratch', 'us-east-1'); // one's own again: 200 in us-east-1, as S3
    await mc.putObject('minio-scratch', 'x', 'x');
    expect(await code(mc.removeBucket('minio-scratch'))).toBe('BucketNotEmpty');
    await mc.removeObject('minio-scratch', 'x');
    await mc.removeBucket('minio-scratch');
    expect(await mc.bucketExists('minio-scratch')).toBe(false);
  });

  it('bucket versioning: set, get, versioned listing, removeObject by versionId', async () => {
    await mc.makeBucket('minio-versions', 'us-east-1');
    // never configured: no Status (MinIO's client gives the empty configuration as '')
    expect(await mc.getBucketVersioning('minio-versions')).toBeFalsy();
    await mc.setBucketVersioning('minio-versions', { Status: 'Enabled' });
    expect(await mc.getBucketVersioning('minio-versions')).toMatchObject({ Status: 'Enabled' });
    const first = await mc.putObject('minio-versions', 'k', 'one');
    const second = await mc.putObject('minio-versions', 'k', 'two');
    expect(first.versionId).toBeTruthy();
    expect(second.versionId).not.toBe(first.versionId);
    const old = await readAll(
      await mc.getObject('minio-versions', 'k', { versionId: first.versionId as string }),
    );
    expect(old.toString()).toBe('one');
    const versions = await listAll<{ name: string; versionId: string; isLatest: boolean }>(
      mc.listObjects('minio-versions', '', true, { IncludeVersion: true }),
    );
    expect(versions.map((v) => [v.name, v.versionId, v.isLatest])).toEqual([
      ['k', second.versionId, true],
      ['k', first.versionId, false],
    ]);
    await mc.removeObject('minio-versions', 'k', { versionId: second.versionId as string });
    expect((await readAll(await mc.getObject('minio-versions', 'k'))).toString()).toBe('one');
  });

  it('bucket policy: set and get the same document; anonymous GET then allowed', async () => {
    const policy = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: '*',
          Action: ['s3:GetObject'],
          Resource: [`arn:aws:s3:::${BUCKET}/public/*`],
        },
      ],
    };
    await mc.putObject(BUCKET, 'public/p.txt', 'public bytes');
    await mc.setBucketPolicy(BUCKET, JSON.stringify(policy));
    expect(JSON.parse(await mc.getBucketPolicy(BUCKET))).toEqual(policy);
    expect((await fetch(`${gw.endpoint}/${BUCKET}/public/p.txt`)).status).toBe(200);
    await mc.putObject(BUCKET, 'private/p.txt', 'private bytes');
    expect((await fetch(`${gw.endpoint}/${BUCKET}/private/p.txt`)).status).toBe(403);
  });

  it('an unsupported bucket operation answers NotImplemented', async () => {
    expect(await code(mc.getBucketLifecycle(BUCKET))).toBe('NotImplemented');
    expect(await code(mc.getBucketEncryption(BUCKET))).toBe('NotImplemented');
  });

  it('bucket tagging: set, get (in key order), remove', async () => {
    await mc.setBucketTagging(BUCKET, { team: 'a', env: 'test' });
    expect(await mc.getBucketTagging(BUCKET)).toEqual([
      { Key: 'env', Value: 'test' },
      { Key: 'team', Value: 'a' },
    ]);
    await mc.removeBucketTagging(BUCKET);
    expect(await code(mc.getBucketTagging(BUCKET))).toBe('NoSuchTagSet');
  });
});

describe('objects', () => {
  it('putObject, statObject, getObject, getPartialObject, fGetObject with metadata', async () => {
    const body = randomBytes(100_000);
    const put = await mc.putObject(BUCKET, 'dir/obj.bin', body, body.length, {
      'Content-Type': 'application/x-test',
      'X-Amz-Meta-Colour': 'blue',
    });
    expect(put.etag).toBe(md5(body));
    const stat = await mc.statObject(BUCKET, 'dir/obj.bin');
    expect(stat.size).toBe(body.length);
    expect(stat.etag).toBe(md5(body));
    expect(stat.metaData).toMatchObject({ 'content-type': 'application/x-test', colour: 'blue' });
    expect((await readAll(await mc.getObject(BUCKET, 'dir/obj.bin'))).equals(body)).toBe(true);
    const part = await readAll(await mc.getPartialObject(BUCKET, 'dir/obj.bin', 1000, 500));
    expect(part.equals(body.subarray(1000, 1500))).toBe(true);
    const file = join(scratch, 'obj.bin');
    await mc.fGetObject(BUCKET, 'dir/obj.bin', file);
    expect((await readFile(file)).equals(body)).toBe(true);
    expect(await code(mc.statObject(BUCKET, 'dir/missing'))).toBe('NotFound');
  });

  it('multipart putObject of a stream reads back as one object with a multipart ETag', async () => {
    const body = randomBytes(2 * PART + 4096);
    // a stream longer than partSize goes through uploadStream: two parts (this client folds the
    // short tail into the last part and numbers parts from 2), one CompleteMultipartUpload
    const chunks = Array.from({ length: Math.ceil(body.length / 65536) }, (_, i) =>
      body.subarray(i * 65536, (i + 1) * 65536),
    );
    const put = await mc.putObject(BUCKET, 'big/object', Readable.from(chunks), body.length);
    expect(put.etag).toMatch(/-2$/);
    const back = await readAll(await mc.getObject(BUCKET, 'big/object'));
    expect(md5(back)).toBe(md5(body));
    const tail = await readAll(await mc.getPartialObject(BUCKET, 'big/object', 2 * PART, 4096));
    expect(tail.equals(body.subarray(2 * PART))).toBe(true);
  });

  it('low-level multipart: initiate, uploadPart, list incomplete, complete; abort via removeIncompleteUpload', async () => {
    const a = randomBytes(PART);
    const b = Buffer.from('last part');
    const uploadId = await mc.initiateNewMultipartUpload(BUCKET, 'mp/low', {});
    const p1 = await mc.uploadPart(
      { bucketName: BUCKET, objectName: 'mp/low', uploadID: uploadId, partNumber: 1, headers: {} },
      a,
    );
    const p2 = await mc.uploadPart(
      { bucketName: BUCKET, objectName: 'mp/low', uploadID: uploadId, partNumber: 2, headers: {} },
      b,
    );
    const pending = await listAll<{ key: string; uploadId: string }>(
      mc.listIncompleteUploads(BUCKET, 'mp/', true),
    );
    expect(pending.map((u) => [u.key, u.uploadId])).toEqual([['mp/low', uploadId]]);
    await mc.completeMultipartUpload(BUCKET, 'mp/low', uploadId, [
      { part: 1, etag: p1.etag },
      { part: 2, etag: p2.etag },
    ]);
    expect((await readAll(await mc.getObject(BUCKET, 'mp/low'))).equals(Buffer.concat([a, b]))).toBe(true);

    const abandoned = await mc.initiateNewMultipartUpload(BUCKET, 'mp/abandoned', {});
    await mc.uploadPart(
      { bucketName: BUCKET, objectName: 'mp/abandoned', uploadID: abandoned, partNumber: 1, headers: {} },
      b,
    );
    await mc.removeIncompleteUpload(BUCKET, 'mp/abandoned');
    expect(await listAll(mc.listIncompleteUploads(BUCKET, 'mp/', true))).toEqual([]);
    expect(await code(mc.statObject(BUCKET, 'mp/abandoned'))).toBe('NotFound');
  });

  it('copyObject with conditions, composeObject (UploadPartCopy with ranges)', async () => {
    const src = randomBytes(PART + 10);
    const small = Buffer.from('and a small tail');
    await mc.putObject(BUCKET, 'copy/tail', small, small.length);
    const put = await mc.putObject(BUCKET, 'copy/src', src, src.length);
    const conds = new Minio.CopyConditions();
    conds.setMatchETag(put.etag);
    await mc.copyObject(BUCKET, 'copy/dst', `/${BUCKET}/copy/src`, conds);
    expect(md5(await readAll(await mc.getObject(BUCKET, 'copy/dst')))).toBe(md5(src));
    const bad = new Minio.CopyConditions();
    bad.setMatchETag('0123456789abcdef0123456789abcdef');
    expect(await code(mc.copyObject(BUCKET, 'copy/never', `/${BUCKET}/copy/src`, bad))).toBe(
      'PreconditionFailed',
    );

    // each source is copied as a part with x-amz-copy-source-range and x-amz-copy-source-if-match
    await mc.composeObject(new Minio.CopyDestinationOptions({ Bucket: BUCKET, Object: 'copy/composed' }), [
      new Minio.CopySourceOptions({ Bucket: BUCKET, Object: 'copy/src' }),
      new Minio.CopySourceOptions({ Bucket: BUCKET, Object: 'copy/tail' }),
    ]);
    const composed = await readAll(await mc.getObject(BUCKET, 'copy/composed'));
    expect(md5(composed)).toBe(md5(Buffer.concat([src, small])));
    expect((await mc.statObject(BUCKET, 'copy/composed')).etag).toMatch(/-2$/);
  });

  it('listObjects (v1), listObjectsV2 with prefix, delimiter and startAfter', async () => {
    for (const key of ['ls/a', 'ls/b/1', 'ls/b/2', 'ls/c']) await mc.putObject(BUCKET, key, key);
    const v1 = await listAll<{ name?: string; prefix?: string }>(mc.listObjects(BUCKET, 'ls/', false));
    // this client yields a page's keys, then its common prefixes
    expect(v1.map((e) => e.name ?? e.prefix)).toEqual(['ls/a', 'ls/c', 'ls/b/']);
    const v2 = await listAll<{ name?: string; prefix?: string }>(
      mc.listObjectsV2(BUCKET, 'ls/', true, 'ls/a'),
    );
    expect(v2.map((e) => e.name ?? e.prefix)).toEqual(['ls/b/1', 'ls/b/2', 'ls/c']);
  });

  it('object tagging: set, get, remove', async () => {
    await mc.putObject(BUCKET, 'tags/t', 'tagged');
    await mc.setObjectTagging(BUCKET, 'tags/t', { project: 'tierfs', tier: 'hot' });
    const tags = await mc.getObjectTagging(BUCKET, 'tags/t');
    expect(Object.fromEntries(tags.map((t: { Key: string; Value: string }) => [t.Key, t.Value]))).toEqual({
      project: 'tierfs',
      tier: 'hot',
    });
    await mc.removeObjectTagging(BUCKET, 'tags/t', {} as Parameters<Minio.Client['removeObjectTagging']>[2]);
    expect(await mc.getObjectTagging(BUCKET, 'tags/t')).toEqual([]);
    expect((await readAll(await mc.getObject(BUCKET, 'tags/t'))).toString()).toBe('tagged');
  });

  it('removeObjects (DeleteObjects) removes the listed keys only', async () => {
    for (const key of ['rm/1', 'rm/2', 'rm/3']) await mc.putObject(BUCKET, key, key);
    const errors = await mc.removeObjects(BUCKET, ['rm/1', 'rm/2']);
    expect(errors.filter((e) => (e as { Error?: unknown }).Error)).toEqual([]);
    const left = await listAll<{ name: string }>(mc.listObjects(BUCKET, 'rm/', true));
    expect(left.map((e) => e.name)).toEqual(['rm/3']);
  });
});

describe('presigned requests', () => {
  it('presignedGetObject and presignedPutObject URLs work with plain HTTP', async () => {
    const putUrl = await mc.presignedPutObject(BUCKET, 'signed/put', 300);
    const put = await fetch(putUrl, { method: 'PUT', body: 'via presigned put' });
    expect(put.status).toBe(200);
    const getUrl = await mc.presignedGetObject(BUCKET, 'signed/put', 300, {
      'response-content-type': 'text/x-presigned',
    });
    const got = await fetch(getUrl);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('text/x-presigned');
    expect(await got.text()).toBe('via presigned put');
    const tampered = await fetch(
      getUrl.replace('signed%2Fput', 'signed%2Fother').replace('signed/put', 'signed/other'),
    );
    expect(tampered.status).toBe(403);
  });

  it('presignedPostPolicy: a real multipart form POST uploads within the policy, and is refused outside it', async () => {
    const policy = mc.newPostPolicy();
    policy.setBucket(BUCKET);
    policy.setKey('forms/upload.txt');
    policy.setExpires(new Date(Date.now() + 10 * 60_000));
    policy.setContentType('text/plain');
    policy.setContentLengthRange(1, 64);
    const { postURL, formData } = await mc.presignedPostPolicy(policy);

    const send = async (content: string, contentType = 'text/plain') => {
      const form = new FormData();
      for (const [name, value] of Object.entries(formData)) form.append(name, value as string);
      form.set('Content-Type', contentType);
      form.append('file', new Blob([content], { type: contentType }), 'upload.txt');
      return fetch(postURL, { method: 'POST', body: form });
    };
    const ok = await send('posted by a browser form');
    expect(ok.status).toBe(204);
    expect((await readAll(await mc.getObject(BUCKET, 'forms/upload.txt'))).toString()).toBe(
      'posted by a browser form',
    );

    const tooBig = await send('x'.repeat(65));
    expect(tooBig.status).toBe(400);
    expect(await tooBig.text()).toContain('EntityTooLarge');
    const wrongType = await send('other type', 'image/png');
    expect(wrongType.status).toBe(403);
    expect((await readAll(await mc.getObject(BUCKET, 'forms/upload.txt'))).toString()).toBe(
      'posted by a browser form',
    );
  });
});
