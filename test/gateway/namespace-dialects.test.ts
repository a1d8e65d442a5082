/**
 * The three gateway dialects over the tierfs namespace (TierfsUnderStore through a master and a
 * worker on loopback), each with its official SDK: the same object model serves them as it serves
 * a local directory. One round trip each: a key that is also a prefix, listing, ranged read,
 * delete (the object moves back out of its directory).
 */
import { createHash } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import qiniu from 'qiniu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TierfsUnderStore } from '../../src/client/tierfs-store.js';
import { qetag } from '../../src/gateway/kodo/qetag.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { s3Client, startGateway } from './harness.js';
import { answer, startKodoFixture } from './kodo-support.js';
import { BUCKET as OSS_BUCKET, client as ossClient, startGateway as startOssGateway } from './oss-support.js';

let cluster: TestCluster;
let roots = 0;

/** A fresh directory of the namespace, as a store (its buckets are made by each test). */
async function namespaceStore(buckets: readonly string[] = []): Promise<TierfsUnderStore> {
  const root = `/dialects-${roots++}`;
  const client = cluster.client('admin');
  await client.mkdir(root);
  for (const bucket of buckets) await client.mkdir(`${root}/${bucket}`);
  return new TierfsUnderStore(client, root, `tierfs://127.0.0.1${root}/`);
}

beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.stop();
});

describe('over the tierfs namespace', () => {
  it('S3 (AWS SDK): put a key and a key below it, list, ranged get, delete', async () => {
    const store = await namespaceStore();
    const gw = await startGateway({}, () => store);
    const s3: S3Client = s3Client(gw);
    try {
      const Bucket = 'ns-bucket';
      await s3.send(new CreateBucketCommand({ Bucket }));
      const put = await s3.send(new PutObjectCommand({ Bucket, Key: 'a', Body: 'object a' }));
      expect(put.ETag).toBe(`"${createHash('md5').update('object a').digest('hex')}"`);
      await s3.send(new PutObjectCommand({ Bucket, Key: 'a/b', Body: 'below a' }));
      const listed = await s3.send(new ListObjectsV2Command({ Bucket }));
      expect(listed.Contents?.map((o) => [o.Key, o.Size])).toEqual([
        ['a', 8],
        ['a/b', 7],
      ]);
      const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'a', Range: 'bytes=2-4' }));
      expect(await got.Body?.transformToString()).toBe('jec');
      expect(got.ETag).toBe(put.ETag);
      await s3.send(new DeleteObjectCommand({ Bucket, Key: 'a/b' }));
      expect((await s3.send(new HeadObjectCommand({ Bucket, Key: 'a' }))).ETag).toBe(put.ETag);
      expect((await store.getStatus('ns-bucket/a')).isDirectory).toBe(false);
    } finally {
      s3.destroy();
      await gw.stop();
      await store.close();
    }
  });

  it('OSS (ali-oss): put a key and a key below it, list, ranged get, delete', async () => {
    const store = await namespaceStore([OSS_BUCKET]);
    const gw = await startOssGateway({ wrapStore: () => store });
    try {
      const oss = ossClient(gw, 'path-style');
      await oss.put('a', Buffer.from('object a'));
      await oss.put('a/b', Buffer.from('below a'));
      const listed = await oss.list({}, {});
      expect(listed.objects.map((o) => [o.name, o.size])).toEqual([
        ['a', 8],
        ['a/b', 7],
      ]);
      const ranged = await oss.get('a', { headers: { Range: 'bytes=2-4' } });
      expect(ranged.content.toString()).toBe('jec');
      await oss.delete('a/b');
      expect((await oss.get('a')).content.toString()).toBe('object a');
      expect((await store.getStatus(`${OSS_BUCKET}/a`)).isDirectory).toBe(false);
    } finally {
      await gw.stop();
      await store.close();
    }
  });

  it('Kodo (qiniu SDK): upload a key and a key below it, list, stat, delete', async () => {
    const store = await namespaceStore(['photos']);
    const kodo = await startKodoFixture({}, () => store);
    try {
      const upload = (key: string, data: string) =>
        answer(
          new qiniu.form_up.FormUploader(kodo.config).put(
            kodo.uploadToken('photos'),
            key,
            Buffer.from(data),
            new qiniu.form_up.PutExtra(),
          ),
        );
      expect((await upload('a', 'object a')).body).toEqual({
        hash: qetag(Buffer.from('object a')),
        key: 'a',
      });
      expect((await upload('a/b', 'below a')).status).toBe(200);
      const listed = await answer(kodo.bucketManager.listPrefix('photos', { prefix: '' }));
      const items = (listed.body.items as { key: string; fsize: number }[]).map((i) => [i.key, i.fsize]);
      expect(items).toEqual([
        ['a', 8],
        ['a/b', 7],
      ]);
      expect((await answer(kodo.bucketManager.delete('photos', 'a/b'))).status).toBe(200);
      const stat = await answer(kodo.bucketManager.stat('photos', 'a'));
      expect(stat.body.hash).toBe(qetag(Buffer.from('object a')));
      expect((await store.getStatus('photos/a')).isDirectory).toBe(false);
    } finally {
      await kodo.cleanup();
      await store.close();
    }
  });
});
