/**
 * A multipart upload to a key ending in `/` (a directory marker with a body, which S3 allows):
 * completed through the AWS SDK, it reads back whole, lists with its size and stays beside the
 * keys below it.
 */
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { withS3Gateway } from './fixture.js';

const gw = withS3Gateway({ config: { 'tierfs.proxy.s3.complete.multipart.upload.min.part.size': '4' } });
let s3: S3Client;
beforeAll(() => {
  s3 = gw.clientFor();
});

async function uploadInParts(Bucket: string, Key: string, parts: string[]): Promise<string | undefined> {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
  const done = [];
  for (const [i, Body] of parts.entries()) {
    const { ETag } = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: i + 1, Body }));
    done.push({ ETag, PartNumber: i + 1 });
  }
  const result = await s3.send(
    new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: done } }),
  );
  return result.ETag;
}

describe('S3 gateway: multipart uploads to dir/ keys', () => {
  it('completes, reads back and lists a dir/ key uploaded in parts, beside keys below it', async () => {
    const Bucket = 'markers';
    await s3.send(new CreateBucketCommand({ Bucket }));
    await s3.send(new PutObjectCommand({ Bucket, Key: 'photos/a.jpg', Body: 'below' }));
    const etag = await uploadInParts(Bucket, 'photos/', ['first-', 'second']);
    expect(etag).toMatch(/^"[0-9a-f]{32}-2"$/);
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'photos/' }));
    expect(await got.Body!.transformToString()).toBe('first-second');
    expect(got.ETag).toBe(etag);
    expect((await s3.send(new HeadObjectCommand({ Bucket, Key: 'photos/' }))).ContentLength).toBe(12);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'photos/' }));
    expect(listed.Contents?.map((o) => [o.Key, o.Size])).toEqual([
      ['photos/', 12],
      ['photos/a.jpg', 5],
    ]);
    const below = await s3.send(new GetObjectCommand({ Bucket, Key: 'photos/a.jpg' }));
    expect(await below.Body!.transformToString()).toBe('below');
  });

  it('replaces an empty dir/ marker with the uploaded body', async () => {
    const Bucket = 'markers-2';
    await s3.send(new CreateBucketCommand({ Bucket }));
    await s3.send(new PutObjectCommand({ Bucket, Key: 'empty/', Body: '' }));
    await uploadInParts(Bucket, 'empty/', ['abcd', 'ef']);
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'empty/' }));
    expect(await got.Body!.transformToString()).toBe('abcdef');
  });
});
