/**
 * Answers the gateway gives as AWS S3 (us-east-1, the region it reports) gives them, where
 * ceph/s3-tests or RGW differ: no x-amz-version-id for the `null` version a write to a
 * versioning-suspended bucket makes; GET/HEAD `?partNumber=` with the object's ETag and
 * x-amz-mp-parts-count (Ceph RGW answered the part's ETag until 2025, and the s3-tests of that time
 * check it; RGW and the suite answer the object's now).
 */
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketVersioningCommand,
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

async function multipart(Bucket: string, Key: string, parts: string[]) {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
  const done = [];
  for (const [i, Body] of parts.entries()) {
    const { ETag } = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: i + 1, Body }));
    done.push({ ETag, PartNumber: i + 1 });
  }
  return s3.send(
    new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: done } }),
  );
}

describe('S3 gateway: answers as AWS gives them', () => {
  it('a PUT or multipart upload to a versioning-suspended bucket names no version; GET still says null', async () => {
    const Bucket = 'suspended';
    await s3.send(new CreateBucketCommand({ Bucket }));
    await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    const enabled = await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'v1' }));
    expect(enabled.VersionId).toMatch(/^[\w-]{32}$/);
    await s3.send(
      new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Suspended' } }),
    );
    const put = await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'null one' }));
    expect(put.$metadata.httpStatusCode).toBe(200);
    expect(put.VersionId).toBeUndefined();
    expect((await multipart(Bucket, 'mp', ['abcd', 'ef'])).VersionId).toBeUndefined();
    // Reads of the null version do name it, as S3 does once a bucket has had versioning.
    expect((await s3.send(new HeadObjectCommand({ Bucket, Key: 'k' }))).VersionId).toBe('null');
    const old = await s3.send(new GetObjectCommand({ Bucket, Key: 'k', VersionId: enabled.VersionId }));
    expect(await old.Body!.transformToString()).toBe('v1');
  });

  it('GET/HEAD ?partNumber= answer the part with the object ETag and x-amz-mp-parts-count', async () => {
    const Bucket = 'parts';
    await s3.send(new CreateBucketCommand({ Bucket }));
    const { ETag } = await multipart(Bucket, 'obj', ['first', 'second', 'third']);
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'obj', PartNumber: 2 }));
    expect(await got.Body!.transformToString()).toBe('second');
    expect(got.ETag).toBe(ETag);
    expect(got.PartsCount).toBe(3);
    expect(got.ContentRange).toBe('bytes 5-10/16');
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'obj', PartNumber: 3 }));
    expect([head.ETag, head.PartsCount, head.ContentLength]).toEqual([ETag, 3, 5]);
    // A plain object is one part: part 1 is all of it, part 2 is past its last part.
    const plain = await s3.send(new PutObjectCommand({ Bucket, Key: 'plain', Body: 'body' }));
    const one = await s3.send(new GetObjectCommand({ Bucket, Key: 'plain', PartNumber: 1 }));
    expect([await one.Body!.transformToString(), one.ETag]).toEqual(['body', plain.ETag]);
    for (const [Key, PartNumber] of [
      ['plain', 2],
      ['obj', 4],
    ] as const) {
      const error = await s3.send(new GetObjectCommand({ Bucket, Key, PartNumber })).catch((e) => e);
      // Ceph RGW's answer (s3-rgw-answers.test.ts has why).
      expect([error.name, error.$metadata?.httpStatusCode]).toEqual(['InvalidPart', 400]);
    }
  });
});
