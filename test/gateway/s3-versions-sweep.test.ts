/**
 * The versions area (`.tierfs-versions/`) is swept for copies no version names while the gateway
 * serves, every tierfs.underfs.cleanup.interval, not only at start; a live noncurrent version and
 * a copy whose write is still in flight are never taken.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, s3Client, startGateway } from './harness.js';

const INTERVAL_MS = 200;
let gw: RunningGateway;
let s3: S3Client;

beforeAll(async () => {
  gw = await startGateway({
    'tierfs.underfs.cleanup.interval': `${INTERVAL_MS}ms`,
    // Copies older than this are swept while serving (default 1h, as for .tierfs-partial.* files).
    'tierfs.underfs.local.partial.clean.age': '50ms',
  });
  s3 = s3Client(gw);
});
afterAll(async () => {
  s3?.destroy();
  await gw?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const read = async (Bucket: string, Key: string, VersionId?: string) =>
  (await s3.send(new GetObjectCommand({ Bucket, Key, VersionId }))).Body!.transformToString();

async function versionedBucket(Bucket: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket }));
  await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }));
}

describe('S3 gateway: periodic sweep of the versions area', () => {
  it('removes a copy left unrecorded while serving within a sweep interval; keeps live versions', async () => {
    const Bucket = 'swept';
    await versionedBucket(Bucket);
    const v1 = (await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'first' }))).VersionId;
    await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'second' }));
    const area = join(gw.root, '.tierfs-versions', Bucket);
    const live = await readdir(area);
    expect(live).toHaveLength(1);
    // What a crash between copying a version and recording it leaves (here: while serving).
    await writeFile(join(area, 'orphan'), 'unrecorded');
    await sleep(INTERVAL_MS * 3);
    expect(await readdir(area)).toEqual(live);
    expect(await read(Bucket, 'k', v1)).toBe('first');
    expect(await read(Bucket, 'k')).toBe('second');
  });

  it('while serving, keeps an unrecorded copy younger than tierfs.underfs.local.partial.clean.age', async () => {
    const young = await startGateway({ 'tierfs.underfs.cleanup.interval': `${INTERVAL_MS}ms` });
    const client = s3Client(young);
    try {
      await client.send(new CreateBucketCommand({ Bucket: 'young' }));
      const area = join(young.root, '.tierfs-versions', 'young');
      await mkdir(area, { recursive: true });
      // Another process's copy in flight looks like this: unrecorded here, but only just written.
      await writeFile(join(area, 'in-flight-elsewhere'), 'copy');
      await sleep(INTERVAL_MS * 3);
      expect(await readdir(area)).toEqual(['in-flight-elsewhere']);
    } finally {
      client.destroy();
      await young.stop();
    }
  });

  it('never takes the copy of a version being demoted by a write still in flight', async () => {
    const Bucket = 'inflight';
    await versionedBucket(Bucket);
    const v1 = (await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'first' }))).VersionId;
    const body = new PassThrough();
    const slow = s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: body, ContentLength: 6 }));
    body.write('sec');
    const area = join(gw.root, '.tierfs-versions', Bucket);
    // The demoted version's copy exists, unrecorded until the write ends; sweeps run meanwhile.
    for (let i = 0; i < 50 && (await readdir(area).catch(() => [])).length === 0; i++) await sleep(20);
    expect(await readdir(area)).toHaveLength(1);
    await sleep(INTERVAL_MS * 3);
    body.end('ond');
    const v2 = (await slow).VersionId;
    expect(v2).not.toBe(v1);
    expect(await readdir(area)).toHaveLength(1);
    expect(await read(Bucket, 'k', v1)).toBe('first');
    expect(await read(Bucket, 'k')).toBe('second');
  });
});
