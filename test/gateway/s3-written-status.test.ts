/**
 * The S3 gateway records an object with the store's status of the bytes its write made
 * (UfsWriteStream.written), so a record never vouches for another writer's bytes: here a store
 * replaces the file right after the gateway's write of it, before anything looks at it.
 */
import { createHash } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, s3Client, startGateway } from './harness.js';
import { replacingStore } from './replacing-store.js';

const race = replacingStore();
const Bucket = 'written';
let gw: RunningGateway;
let s3: S3Client;

beforeAll(async () => {
  gw = await startGateway({}, race.wrap);
  s3 = s3Client(gw);
  await s3.send(new CreateBucketCommand({ Bucket }));
});
afterAll(async () => {
  s3?.destroy();
  await gw?.stop();
});

const md5 = (text: string) => `"${createHash('md5').update(text).digest('hex')}"`;

describe('S3 gateway: an object replaced right after the gateway wrote it', () => {
  it('never answers the ETag of the bytes it wrote for the bytes another writer put there', async () => {
    race.replaceAfterNextWrite('written/report.csv', Buffer.from('OTHER WRITER'));
    const put = await s3.send(new PutObjectCommand({ Bucket, Key: 'report.csv', Body: 'gateway bytes' }));
    expect(put.ETag).toBe(md5('gateway bytes'));
    await race.settle();
    expect(race.replaced, 'the replacement happened').toBe(true);
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'report.csv' }));
    expect(await got.Body?.transformToString()).toBe('OTHER WRITER');
    // The record describes the gateway's bytes, which are gone: the other writer's bytes get an
    // ETag of their own, not the MD5 of what the gateway wrote.
    expect(got.ETag).not.toBe(put.ETag);
  });
});
