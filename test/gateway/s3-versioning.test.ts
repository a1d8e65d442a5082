/**
 * Bucket versioning through the AWS SDK, as ceph/s3-tests' test_versioning_* expect it: versioned
 * PUT/GET/HEAD/DELETE/Copy with version ids, delete markers, suspended (`null`) versions,
 * DeleteObjects with VersionId, ListObjectVersions paging, a failed write leaving no version, and
 * versions surviving a restart of the gateway.
 */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Configuration } from '../../src/config/configuration.js';
import { s3GatewayFromConfig } from '../../src/gateway/s3/server.js';
import { FileSystem } from '../../src/ufs/registry.js';
import { withS3Gateway } from './fixture.js';
import { ACCESS_KEY, s3Failure as failure, SECRET_KEY, s3Client, USER } from './harness.js';

const gw = withS3Gateway();
let s3: S3Client;
let buckets = 0;
const extraStores: { close(): Promise<void> }[] = [];

beforeAll(() => {
  s3 = gw.clientFor();
});
afterAll(async () => {
  s3?.destroy();
  for (const store of extraStores) await store.close();
});

async function newBucket(status?: 'Enabled' | 'Suspended'): Promise<string> {
  const Bucket = `versions-${++buckets}`;
  await s3.send(new CreateBucketCommand({ Bucket }));
  if (status) {
    await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: status } }));
  }
  return Bucket;
}

const put = async (Bucket: string, Key: string, Body: string) =>
  (await s3.send(new PutObjectCommand({ Bucket, Key, Body }))).VersionId;
const read = async (Bucket: string, Key: string, VersionId?: string) =>
  (await s3.send(new GetObjectCommand({ Bucket, Key, VersionId }))).Body!.transformToString();
const versions = (Bucket: string, extra: Record<string, unknown> = {}) =>
  s3.send(new ListObjectVersionsCommand({ Bucket, ...extra }));

/** The headers of a failed request. */
async function failedHeaders(promise: Promise<unknown>): Promise<Record<string, string>> {
  try {
    await promise;
  } catch (error) {
    return (error as { $response?: { headers: Record<string, string> } }).$response?.headers ?? {};
  }
  throw new Error('expected the request to fail');
}

describe('S3 gateway: bucket versioning', () => {
  it('PutBucketVersioning/GetBucketVersioning: none, Enabled, Suspended', async () => {
    const Bucket = await newBucket();
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket }))).Status).toBeUndefined();
    for (const Status of ['Suspended', 'Enabled', 'Enabled', 'Suspended'] as const) {
      await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status } }));
      expect((await s3.send(new GetBucketVersioningCommand({ Bucket }))).Status).toBe(Status);
    }
  });

  it('every PUT makes a version; GET/HEAD read any of them; the list is newest first', async () => {
    const Bucket = await newBucket('Enabled');
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await put(Bucket, 'obj', `content-${i}`));
    expect(new Set(ids).size).toBe(3);
    expect(ids.every((id) => id && id !== 'null')).toBe(true);
    for (let i = 0; i < 3; i++) expect(await read(Bucket, 'obj', ids[i])).toBe(`content-${i}`);
    expect(await read(Bucket, 'obj')).toBe('content-2');
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'obj', VersionId: ids[0] }));
    expect(head.ContentLength).toBe('content-0'.length);
    expect(head.VersionId).toBe(ids[0]);
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'obj' }));
    expect(got.VersionId).toBe(ids[2]);
    const listed = await versions(Bucket);
    expect(listed.Versions?.map((v) => [v.VersionId, v.IsLatest])).toEqual([
      [ids[2], true],
      [ids[1], false],
      [ids[0], false],
    ]);
    expect(listed.DeleteMarkers).toBeUndefined();
    expect(
      await failure(s3.send(new GetObjectCommand({ Bucket, Key: 'obj', VersionId: 'nosuchversion' }))),
    ).toEqual({
      code: 'NoSuchVersion',
      status: 404,
    });
  });

  it('DELETE adds a delete marker: GET is 404 with x-amz-delete-marker; deleting the marker restores the object', async () => {
    const Bucket = await newBucket('Enabled');
    const v1 = await put(Bucket, 'k', 'one');
    const deleted = await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k' }));
    expect(deleted.DeleteMarker).toBe(true);
    expect(deleted.VersionId).toBeTruthy();
    const headers = await failedHeaders(s3.send(new GetObjectCommand({ Bucket, Key: 'k' })));
    expect(headers['x-amz-delete-marker']).toBe('true');
    expect(await failure(s3.send(new GetObjectCommand({ Bucket, Key: 'k' })))).toEqual({
      code: 'NoSuchKey',
      status: 404,
    });
    expect((await s3.send(new ListObjectsV2Command({ Bucket }))).Contents).toBeUndefined();
    const listed = await versions(Bucket);
    expect(listed.DeleteMarkers?.map((m) => [m.VersionId, m.IsLatest])).toEqual([[deleted.VersionId, true]]);
    expect(listed.Versions?.map((v) => [v.VersionId, v.IsLatest])).toEqual([[v1, false]]);
    // GET of the marker itself is 405, as in S3.
    expect(
      await failure(s3.send(new GetObjectCommand({ Bucket, Key: 'k', VersionId: deleted.VersionId }))),
    ).toEqual({ code: 'MethodNotAllowed', status: 405 });
    const undone = await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k', VersionId: deleted.VersionId }));
    expect(undone.DeleteMarker).toBe(true);
    expect(await read(Bucket, 'k')).toBe('one');
    expect((await s3.send(new ListObjectsV2Command({ Bucket }))).Contents?.map((c) => c.Key)).toEqual(['k']);
  });

  it('deleting the current version makes the previous one current; deleting a missing version succeeds', async () => {
    const Bucket = await newBucket('Enabled');
    const [a, b, c] = [await put(Bucket, 'k', 'a'), await put(Bucket, 'k', 'b'), await put(Bucket, 'k', 'c')];
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k', VersionId: c }));
    expect(await read(Bucket, 'k')).toBe('b');
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k', VersionId: a }));
    expect((await versions(Bucket)).Versions?.map((v) => [v.VersionId, v.IsLatest])).toEqual([[b, true]]);
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k', VersionId: a }));
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k', VersionId: b }));
    expect((await versions(Bucket)).Versions).toBeUndefined();
    expect(await failure(s3.send(new GetObjectCommand({ Bucket, Key: 'k' })))).toEqual({
      code: 'NoSuchKey',
      status: 404,
    });
    await s3.send(new DeleteBucketCommand({ Bucket }));
  });

  it('CopyObject copies the version x-amz-copy-source names', async () => {
    const Bucket = await newBucket('Enabled');
    const other = await newBucket();
    const v0 = await put(Bucket, 'src', 'old');
    await put(Bucket, 'src', 'new');
    const copied = await s3.send(
      new CopyObjectCommand({ Bucket: other, Key: 'dst', CopySource: `${Bucket}/src?versionId=${v0}` }),
    );
    expect(copied.CopySourceVersionId).toBe(v0);
    expect(await read(other, 'dst')).toBe('old');
    await s3.send(new CopyObjectCommand({ Bucket: other, Key: 'latest', CopySource: `${Bucket}/src` }));
    expect(await read(other, 'latest')).toBe('new');
  });

  it('copying an older version over its key restores it as a new version; a self-copy makes a new version', async () => {
    const Bucket = await newBucket('Enabled');
    const v1 = await put(Bucket, 'doc', 'draft');
    const v2 = await put(Bucket, 'doc', 'final');
    const restored = await s3.send(
      new CopyObjectCommand({ Bucket, Key: 'doc', CopySource: `${Bucket}/doc?versionId=${v1}` }),
    );
    expect(await read(Bucket, 'doc')).toBe('draft');
    const meta = await s3.send(
      new CopyObjectCommand({
        Bucket,
        Key: 'doc',
        CopySource: `${Bucket}/doc`,
        MetadataDirective: 'REPLACE',
        Metadata: { state: 'approved' },
      }),
    );
    const ids = (await versions(Bucket)).Versions?.map((v) => v.VersionId);
    expect(ids).toEqual([meta.VersionId, restored.VersionId, v2, v1]);
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'doc', VersionId: restored.VersionId }));
    expect(head.Metadata).toEqual({});
    expect((await s3.send(new HeadObjectCommand({ Bucket, Key: 'doc' }))).Metadata).toEqual({
      state: 'approved',
    });
  });

  it('DeleteObjects with VersionId removes those versions; without one it adds markers', async () => {
    const Bucket = await newBucket('Enabled');
    const ids = [await put(Bucket, 'k', '1'), await put(Bucket, 'k', '2')];
    await put(Bucket, 'm', 'x');
    const out = await s3.send(
      new DeleteObjectsCommand({
        Bucket,
        Delete: { Objects: [...ids.map((VersionId) => ({ Key: 'k', VersionId })), { Key: 'm' }] },
      }),
    );
    expect(out.Deleted?.map((d) => [d.Key, d.VersionId ?? null, d.DeleteMarker ?? false])).toEqual([
      ['k', ids[0], false],
      ['k', ids[1], false],
      ['m', null, true],
    ]);
    const listed = await versions(Bucket);
    expect(listed.Versions?.map((v) => v.Key)).toEqual(['m']);
    expect(listed.DeleteMarkers?.map((m) => m.Key)).toEqual(['m']);
    expect(out.Deleted?.[2]?.DeleteMarkerVersionId).toBe(listed.DeleteMarkers?.[0]?.VersionId);
  });

  it('ListObjectVersions pages by key-marker and version-id-marker, with prefix and delimiter', async () => {
    const Bucket = await newBucket('Enabled');
    const expected: [string, string][] = [];
    for (const key of ['a', 'b/x', 'b/y', 'c']) {
      const ids = [await put(Bucket, key, '1'), await put(Bucket, key, '2')];
      expected.push(...ids.reverse().map((id): [string, string] => [key, id!]));
    }
    const seen: [string, string][] = [];
    let marker: { KeyMarker?: string; VersionIdMarker?: string } = {};
    for (let pages = 0; pages < 10; pages++) {
      const page = await versions(Bucket, { MaxKeys: 3, ...marker });
      seen.push(...(page.Versions ?? []).map((v): [string, string] => [v.Key!, v.VersionId!]));
      if (!page.IsTruncated) break;
      marker = { KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker };
    }
    expect(seen).toEqual(expected);
    const rolled = await versions(Bucket, { Delimiter: '/' });
    expect(rolled.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['b/']);
    expect(rolled.Versions?.map((v) => v.Key)).toEqual(['a', 'a', 'c', 'c']);
    const prefixed = await versions(Bucket, { Prefix: 'b/' });
    expect(prefixed.Versions?.map((v) => v.Key)).toEqual(['b/x', 'b/x', 'b/y', 'b/y']);
  });

  it('an object written before versioning is the null version, and can be deleted by it', async () => {
    const Bucket = await newBucket();
    await put(Bucket, 'k', 'plain');
    expect((await versions(Bucket)).Versions?.map((v) => v.VersionId)).toEqual(['null']);
    await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    const v1 = await put(Bucket, 'k', 'versioned');
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k', VersionId: v1 }));
    expect(await read(Bucket, 'k')).toBe('plain');
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k', VersionId: 'null' }));
    expect((await versions(Bucket)).Versions).toBeUndefined();
  });

  it('suspended versioning writes the null version, replacing the previous null one and keeping the others', async () => {
    const Bucket = await newBucket('Enabled');
    const v1 = await put(Bucket, 'k', 'v1');
    await s3.send(
      new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Suspended' } }),
    );
    expect(await put(Bucket, 'k', 'null-1')).toBeUndefined(); // S3 names no version for a null one on PUT
    expect(await put(Bucket, 'k', 'null-2')).toBeUndefined();
    expect((await versions(Bucket)).Versions?.map((v) => v.VersionId)).toEqual(['null', v1]);
    expect(await read(Bucket, 'k', 'null')).toBe('null-2');
    const marker = await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k' }));
    expect(marker.VersionId).toBe('null');
    const listed = await versions(Bucket);
    expect(listed.Versions?.map((v) => v.VersionId)).toEqual([v1]);
    expect(listed.DeleteMarkers?.map((m) => m.VersionId)).toEqual(['null']);
    expect(await read(Bucket, 'k', v1)).toBe('v1');
  });

  it('concurrent writes to one key each leave a readable version with their own bytes', async () => {
    const Bucket = await newBucket('Enabled');
    const bodies = Array.from({ length: 8 }, (_, i) => `body-${i}-${'x'.repeat(i * 1000)}`);
    const ids = await Promise.all(bodies.map((body) => put(Bucket, 'hot', body)));
    const listed = await versions(Bucket);
    expect(new Set(listed.Versions?.map((v) => v.VersionId))).toEqual(new Set(ids));
    for (let i = 0; i < bodies.length; i++) expect(await read(Bucket, 'hot', ids[i])).toBe(bodies[i]);
    const latest = listed.Versions?.find((v) => v.IsLatest)?.VersionId;
    expect(await read(Bucket, 'hot')).toBe(bodies[ids.indexOf(latest)]);
  });

  it('a completed multipart upload is a new version too', async () => {
    const Bucket = await newBucket('Enabled');
    const v1 = await put(Bucket, 'mp', 'single');
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'mp' }));
    const part = await s3.send(
      new UploadPartCommand({ Bucket, Key: 'mp', UploadId, PartNumber: 1, Body: 'multi' }),
    );
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key: 'mp',
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    );
    expect(done.VersionId).toBeTruthy();
    expect(done.VersionId).not.toBe(v1);
    expect(await read(Bucket, 'mp')).toBe('multi');
    expect(await read(Bucket, 'mp', v1)).toBe('single');
  });

  it('a failed versioned write leaves no version and no copy behind', async () => {
    const Bucket = await newBucket('Enabled');
    const v1 = await put(Bucket, 'k', 'kept');
    const bad = s3.send(
      new PutObjectCommand({ Bucket, Key: 'k', Body: 'other', ContentMD5: 'AAAAAAAAAAAAAAAAAAAAAA==' }),
    );
    expect((await failure(bad)).code).toBe('BadDigest');
    expect((await versions(Bucket)).Versions?.map((v) => v.VersionId)).toEqual([v1]);
    expect(await read(Bucket, 'k')).toBe('kept');
    const area = join(gw.root, '.tierfs-versions', Bucket);
    expect(await readdir(area).catch(() => [])).toEqual([]);
  });

  it('a bucket with only noncurrent versions is not empty', async () => {
    const Bucket = await newBucket('Enabled');
    const v1 = await put(Bucket, 'k', 'x');
    const marker = (await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k' }))).VersionId;
    expect((await failure(s3.send(new DeleteBucketCommand({ Bucket })))).code).toBe('BucketNotEmpty');
    for (const VersionId of [v1, marker])
      await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k', VersionId }));
    await s3.send(new DeleteBucketCommand({ Bucket }));
  });

  it('versions survive a restart of the gateway over the same root and state; unrecorded copies are swept', async () => {
    const Bucket = await newBucket('Enabled');
    const v1 = await put(Bucket, 'k', 'first');
    const v2 = await put(Bucket, 'k', 'second');
    const area = join(gw.root, '.tierfs-versions', Bucket);
    const kept = await readdir(area);
    expect(kept).toHaveLength(1);
    // What a crash between copying a version and recording it leaves.
    await writeFile(join(area, 'orphan'), 'unrecorded');
    const conf = Configuration.of({
      'tierfs.proxy.s3.users': `${ACCESS_KEY}:${SECRET_KEY}:${USER}`,
      'tierfs.proxy.s3.state.dir': gw.stateDir,
    });
    await gw.gateway.close();
    const store = await FileSystem.get(gw.root, conf);
    extraStores.push(store);
    const again = s3GatewayFromConfig(store, conf);
    const address = await again.listen(gw.port, '127.0.0.1');
    expect(address.port).toBe(gw.port);
    s3.destroy();
    s3 = s3Client(gw); // the old client's pooled connections went with the old server
    try {
      expect(await read(Bucket, 'k', v1)).toBe('first');
      expect(await read(Bucket, 'k')).toBe('second');
      expect((await versions(Bucket)).Versions?.map((v) => v.VersionId)).toEqual([v2, v1]);
      expect(await readdir(area)).toEqual(kept);
    } finally {
      // The harness's stop() closes the gateway it started (closed above), not this one.
      await again.close();
    }
  });
});
