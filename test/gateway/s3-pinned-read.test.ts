/**
 * The S3 gateway answers a GetObject about one version of the object: its ETag, the If-Match it
 * evaluates and the bytes it sends all belong together, even when the object is replaced between
 * the gateway's HEAD of it and its read (here: a store that replaces the file just before opening it).
 * And it records an object with the store's status of the bytes its write made
 * (UfsWriteStream.written), so a record never vouches for another writer's bytes (a store that
 * replaces the file right after the gateway's write of it, before anything looks at it).
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { withS3Gateway } from './fixture.js';
import { replacingStore } from './replacing-store.js';

const race = replacingStore();
const Bucket = 'race';
const gw = withS3Gateway({ wrapStore: race.wrap, buckets: [Bucket] });
let s3: S3Client;
beforeAll(() => {
  s3 = gw.clientFor();
});

describe('S3 gateway: an object replaced between its HEAD and its read', () => {
  it('a ranged GET with If-Match of the old ETag is 412, not the new bytes', async () => {
    const { ETag } = await s3.send(new PutObjectCommand({ Bucket, Key: 'if-match', Body: 'abcdefgh' }));
    race.replaceBeforeNextOpen('race/if-match', Buffer.from('ABCDEFGH'));
    const failure = await s3
      .send(new GetObjectCommand({ Bucket, Key: 'if-match', Range: 'bytes=2-4', IfMatch: ETag }))
      .then(
        async (out) => `answered ${await out.Body?.transformToString()}`,
        (error: { name: string; $metadata?: { httpStatusCode?: number } }) =>
          `${error.name} ${error.$metadata?.httpStatusCode}`,
      );
    expect(race.replaced, 'the replacement happened').toBe(true);
    expect(failure).toBe('PreconditionFailed 412');
  });

  it('a plain ranged GET sends the new bytes under the new ETag, never the old ETag with new bytes', async () => {
    const old = await s3.send(new PutObjectCommand({ Bucket, Key: 'plain', Body: 'abcdefgh' }));
    race.replaceBeforeNextOpen('race/plain', Buffer.from('ABCDEFGH'));
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'plain', Range: 'bytes=2-4' }));
    expect(await got.Body?.transformToString()).toBe('CDE');
    expect(race.replaced, 'the replacement happened').toBe(true);
    expect(got.ETag).not.toBe(old.ETag);
    expect(got.ETag).toBe((await s3.send(new HeadObjectCommand({ Bucket, Key: 'plain' }))).ETag);
  });
});

describe('S3 gateway: an object replaced right after the gateway wrote it', () => {
  it('never answers the ETag of the bytes it wrote for the bytes another writer put there', async () => {
    race.replaceAfterNextWrite('race/report.csv', Buffer.from('OTHER WRITER'));
    const put = await s3.send(new PutObjectCommand({ Bucket, Key: 'report.csv', Body: 'gateway bytes' }));
    expect(put.ETag).toBe(`"${createHash('md5').update('gateway bytes').digest('hex')}"`);
    await race.settle();
    expect(race.replaced, 'the replacement happened').toBe(true);
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'report.csv' }));
    expect(await got.Body?.transformToString()).toBe('OTHER WRITER');
    // The record describes the gateway's bytes, which are gone: the other writer's bytes get an
    // ETag of their own, not the MD5 of what the gateway wrote.
    expect(got.ETag).not.toBe(put.ETag);
  });
});
