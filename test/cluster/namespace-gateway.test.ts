/**
 * `tierfs start local` also serves the S3 API over the namespace: buckets are top-level
 * directories, and each request acts as the tierfs user its signature authenticated, so the
 * namespace's permissions apply to it.
 */
import { userInfo } from 'node:os';

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutBucketAclCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { readStream } from '../../src/ufs/io.js';
import { type DaemonCluster, daemonHome, freePort } from '../support/daemons.js';

let cluster: DaemonCluster | undefined;
afterAll(() => cluster?.stop());

describe('the S3 API over the tierfs namespace', () => {
  it('creates buckets as top-level directories and shares objects with the client both ways', async () => {
    const port = await freePort();
    cluster = await daemonHome([
      `tierfs.proxy.web.port=${port}`,
      `tierfs.proxy.s3.users=AKIANAMESPACE:ns-secret:${userInfo().username},AKIAREADER:reader-secret:reader`,
    ]);
    expect((await cluster.tierfs('format')).code).toBe(0);
    expect((await cluster.tierfs('start', 'local')).code).toBe(0);
    const s3As = (accessKeyId: string, secretAccessKey: string) =>
      new S3Client({
        endpoint: `http://127.0.0.1:${port}`,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId, secretAccessKey },
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
    const s3 = s3As('AKIANAMESPACE', 'ns-secret');
    await s3.send(new CreateBucketCommand({ Bucket: 'analytics' }));
    await s3.send(new PutObjectCommand({ Bucket: 'analytics', Key: 'day=1/part-0.csv', Body: 'a,b\n1,2\n' }));

    const client = cluster.client(); // The OS user, who runs the daemons and owns what the gateway creates.
    expect((await client.getStatus('/analytics')).isDirectory).toBe(true);
    expect((await readStream(await client.openFile('/analytics/day=1/part-0.csv'))).toString()).toBe(
      'a,b\n1,2\n',
    );

    await pipeline(
      Readable.from([Buffer.from('written by the client\n')]),
      await client.createFile('/analytics/note.txt'),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: 'analytics', Key: 'note.txt' }));
    expect(await got.Body!.transformToString()).toBe('written by the client\n');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'analytics' }));
    expect(listed.Contents?.map((o) => o.Key).sort()).toEqual(['day=1/part-0.csv', 'note.txt']);

    // A key that is also a prefix: the object moves into its directory by a namespace rename.
    await s3.send(new PutObjectCommand({ Bucket: 'analytics', Key: 'note.txt/v2', Body: 'below' }));
    const both = await s3.send(new ListObjectsV2Command({ Bucket: 'analytics', Prefix: 'note' }));
    expect(both.Contents?.map((o) => o.Key)).toEqual(['note.txt', 'note.txt/v2']);
    const moved = await s3.send(new GetObjectCommand({ Bucket: 'analytics', Key: 'note.txt' }));
    expect(await moved.Body!.transformToString()).toBe('written by the client\n');

    // Another access key maps to the tierfs user `reader`. The bucket's S3 ACL lets everyone
    // write, so only the namespace's permissions stop reader: /analytics is the daemon user's, mode
    // 755. The gateway acts as reader, not as the daemon's user.
    await s3.send(new PutBucketAclCommand({ Bucket: 'analytics', ACL: 'public-read-write' }));
    const reader = s3As('AKIAREADER', 'reader-secret');
    await expect(
      reader.send(new PutObjectCommand({ Bucket: 'analytics', Key: 'intruder.txt', Body: 'no' })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(await client.exists('/analytics/intruder.txt')).toBe(false);
    // A bucket reader creates (the root directory of this under store lets anyone) is reader's.
    await reader.send(new CreateBucketCommand({ Bucket: 'readers-own' }));
    expect((await client.getStatus('/readers-own')).owner).toBe('reader');
    // Where the namespace lets reader write, reader's object is reader's.
    await client.mkdir('/analytics/inbox');
    await client.setAttribute('/analytics/inbox', { mode: 0o777 });
    await reader.send(new PutObjectCommand({ Bucket: 'analytics', Key: 'inbox/hello.txt', Body: 'hi' }));
    expect((await client.getStatus('/analytics/inbox/hello.txt')).owner).toBe('reader');
    expect((await client.getStatus('/analytics/day=1/part-0.csv')).owner).toBe(userInfo().username);
    reader.destroy();
    s3.destroy();
  });
});
