/**
 * Bucket tagging (Put/Get/DeleteBucketTagging) through the AWS SDK: NoSuchTagSet until tags are
 * put, S3's limit of 50 tags, the owner's alone, gone with the bucket; bucket and object tags
 * listed in key order.
 */
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteBucketTaggingCommand,
  GetBucketTaggingCommand,
  GetObjectTaggingCommand,
  PutBucketTaggingCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { withS3Gateway } from './fixture.js';
import { s3Failure as failure } from './harness.js';

const BOB = { accessKeyId: 'AKIABOBTAGS', secretAccessKey: 'bob-tags-secret-0123456' };
const gw = withS3Gateway({ users: { bob: BOB } });
let alice: S3Client;
let bob: S3Client;
beforeAll(() => {
  ({ alice, bob } = gw.clients());
});

const noTags = { code: 'NoSuchTagSet', status: 404 };

describe('S3 gateway: bucket tagging', () => {
  it('puts, gets and deletes a bucket tag set; NoSuchTagSet without one', async () => {
    const Bucket = 'tagged-bucket';
    await alice.send(new CreateBucketCommand({ Bucket }));
    expect(await failure(alice.send(new GetBucketTaggingCommand({ Bucket })))).toEqual(noTags);
    const TagSet = [
      { Key: 'team', Value: 'data' },
      { Key: 'cost-centre', Value: '' },
    ];
    const put = await alice.send(new PutBucketTaggingCommand({ Bucket, Tagging: { TagSet } }));
    expect(put.$metadata.httpStatusCode).toBe(200);
    // Listed in key order, as RGW lists them.
    expect((await alice.send(new GetBucketTaggingCommand({ Bucket }))).TagSet).toEqual([
      TagSet[1],
      TagSet[0],
    ]);
    // Another user may neither read nor change them.
    expect(await failure(bob.send(new GetBucketTaggingCommand({ Bucket })))).toEqual({
      code: 'AccessDenied',
      status: 403,
    });
    expect(await failure(bob.send(new PutBucketTaggingCommand({ Bucket, Tagging: { TagSet: [] } })))).toEqual(
      { code: 'AccessDenied', status: 403 },
    );
    // More than S3's 50 tags, or a key twice, is refused and changes nothing.
    const many = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    expect(
      await failure(alice.send(new PutBucketTaggingCommand({ Bucket, Tagging: { TagSet: many } }))),
    ).toEqual({
      code: 'InvalidTag',
      status: 400,
    });
    const twice = [
      { Key: 'a', Value: '1' },
      { Key: 'a', Value: '2' },
    ];
    expect(
      await failure(alice.send(new PutBucketTaggingCommand({ Bucket, Tagging: { TagSet: twice } }))),
    ).toEqual({ code: 'InvalidTag', status: 400 });
    await alice.send(new PutBucketTaggingCommand({ Bucket, Tagging: { TagSet: many.slice(0, 50) } }));
    expect((await alice.send(new GetBucketTaggingCommand({ Bucket }))).TagSet).toHaveLength(50);
    const deleted = await alice.send(new DeleteBucketTaggingCommand({ Bucket }));
    expect(deleted.$metadata.httpStatusCode).toBe(204);
    expect(await failure(alice.send(new GetBucketTaggingCommand({ Bucket })))).toEqual(noTags);
  });

  it('object tags are listed in key order, whatever order they were given in', async () => {
    const Bucket = 'ordered-tags';
    await alice.send(new CreateBucketCommand({ Bucket }));
    await alice.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'b', Tagging: 'zeta=1&alpha=2&mid=' }));
    expect((await alice.send(new GetObjectTaggingCommand({ Bucket, Key: 'k' }))).TagSet).toEqual([
      { Key: 'alpha', Value: '2' },
      { Key: 'mid', Value: '' },
      { Key: 'zeta', Value: '1' },
    ]);
  });

  it('tags go with their bucket', async () => {
    const Bucket = 'short-lived';
    await alice.send(new CreateBucketCommand({ Bucket }));
    await alice.send(
      new PutBucketTaggingCommand({ Bucket, Tagging: { TagSet: [{ Key: 'a', Value: 'b' }] } }),
    );
    await alice.send(new DeleteBucketCommand({ Bucket }));
    await alice.send(new CreateBucketCommand({ Bucket }));
    expect(await failure(alice.send(new GetBucketTaggingCommand({ Bucket })))).toEqual(noTags);
  });
});
