/**
 * Public access blocks through the AWS SDK, as two users and an unsigned client: Put/Get/Delete,
 * and what each switch refuses or ignores (BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy,
 * RestrictPublicBuckets).
 */
import {
  CreateBucketCommand,
  DeletePublicAccessBlockCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  ListObjectsV2Command,
  PutBucketAclCommand,
  PutBucketPolicyCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { withS3Gateway } from './fixture.js';
import { bucketPolicy, s3Failure as failure } from './harness.js';

const BOB = { accessKeyId: 'AKIABOBBLOCK', secretAccessKey: 'bob-block-secret-0123456' };
const gw = withS3Gateway({ users: { bob: BOB }, anonymous: true });
let alice: S3Client;
let bob: S3Client;
let buckets = 0;
beforeAll(() => {
  ({ alice, bob } = gw.clients());
});

const denied = { code: 'AccessDenied', status: 403 };
const off = {
  BlockPublicAcls: false,
  IgnorePublicAcls: false,
  BlockPublicPolicy: false,
  RestrictPublicBuckets: false,
};

async function newBucket(ACL?: 'public-read') {
  const Bucket = `block-${++buckets}`;
  await alice.send(new CreateBucketCommand({ Bucket, ACL }));
  return Bucket;
}
const block = (Bucket: string, switches: Partial<typeof off>) =>
  alice.send(
    new PutPublicAccessBlockCommand({ Bucket, PublicAccessBlockConfiguration: { ...off, ...switches } }),
  );

describe('S3 gateway: public access blocks', () => {
  it('Put/Get/DeletePublicAccessBlock; none is NoSuchPublicAccessBlockConfiguration; the owner only', async () => {
    const Bucket = await newBucket();
    const none = { code: 'NoSuchPublicAccessBlockConfiguration', status: 404 };
    expect(await failure(alice.send(new GetPublicAccessBlockCommand({ Bucket })))).toEqual(none);
    await block(Bucket, { BlockPublicAcls: true, BlockPublicPolicy: true });
    expect(
      (await alice.send(new GetPublicAccessBlockCommand({ Bucket }))).PublicAccessBlockConfiguration,
    ).toEqual({ ...off, BlockPublicAcls: true, BlockPublicPolicy: true });
    expect(await failure(bob.send(new GetPublicAccessBlockCommand({ Bucket })))).toEqual(denied);
    expect(await failure(bob.send(new DeletePublicAccessBlockCommand({ Bucket })))).toEqual(denied);
    const deleted = await alice.send(new DeletePublicAccessBlockCommand({ Bucket }));
    expect(deleted.$metadata.httpStatusCode).toBe(204);
    expect(await failure(alice.send(new GetPublicAccessBlockCommand({ Bucket })))).toEqual(none);
  });

  it('BlockPublicAcls refuses public canned ACLs and group grants, on buckets and objects', async () => {
    const Bucket = await newBucket();
    await block(Bucket, { BlockPublicAcls: true });
    for (const ACL of ['public-read', 'public-read-write', 'authenticated-read'] as const) {
      expect(await failure(alice.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'b', ACL })))).toEqual(
        denied,
      );
      expect(await failure(alice.send(new PutBucketAclCommand({ Bucket, ACL })))).toEqual(denied);
    }
    await alice.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'b', ACL: 'private' }));
    const everyone = 'uri="http://acs.amazonaws.com/groups/global/AllUsers"';
    expect(
      await failure(alice.send(new PutObjectAclCommand({ Bucket, Key: 'k', GrantRead: everyone }))),
    ).toEqual(denied);
    await alice.send(new PutObjectAclCommand({ Bucket, Key: 'k', GrantRead: 'id="bob"' }));
    expect(await (await bob.send(new GetObjectCommand({ Bucket, Key: 'k' }))).Body!.transformToString()).toBe(
      'b',
    );
  });

  it('IgnorePublicAcls: group grants give nothing while it is on', async () => {
    const Bucket = await newBucket('public-read');
    await alice.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'b', ACL: 'public-read' }));
    await bob.send(new ListObjectsV2Command({ Bucket }));
    expect(await gw.unsigned('GET', `/${Bucket}/k`)).toBe(200);
    await block(Bucket, { IgnorePublicAcls: true });
    expect(await failure(bob.send(new ListObjectsV2Command({ Bucket })))).toEqual(denied);
    expect(await failure(bob.send(new GetObjectCommand({ Bucket, Key: 'k' })))).toEqual(denied);
    expect(await gw.unsigned('GET', `/${Bucket}/k`)).toBe(403);
    await alice.send(new DeletePublicAccessBlockCommand({ Bucket }));
    expect(await gw.unsigned('GET', `/${Bucket}/k`)).toBe(200);
  });

  it('BlockPublicPolicy refuses a public policy; RestrictPublicBuckets keeps a public one to the owner', async () => {
    const Bucket = await newBucket();
    await alice.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'b' }));
    const statement = (Principal: unknown) =>
      bucketPolicy({
        Effect: 'Allow',
        Principal,
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${Bucket}/*`,
      });
    await block(Bucket, { BlockPublicPolicy: true });
    expect(await failure(alice.send(new PutBucketPolicyCommand({ Bucket, Policy: statement('*') })))).toEqual(
      denied,
    );
    // Naming a principal (here as an account root) is not public.
    await alice.send(
      new PutBucketPolicyCommand({ Bucket, Policy: statement({ AWS: 'arn:aws:iam::bob:root' }) }),
    );
    expect(await (await bob.send(new GetObjectCommand({ Bucket, Key: 'k' }))).Body!.transformToString()).toBe(
      'b',
    );
    await block(Bucket, {});
    await alice.send(new PutBucketPolicyCommand({ Bucket, Policy: statement('*') }));
    expect(await gw.unsigned('GET', `/${Bucket}/k`)).toBe(200);
    await block(Bucket, { RestrictPublicBuckets: true });
    expect(await gw.unsigned('GET', `/${Bucket}/k`)).toBe(403);
    expect(await failure(bob.send(new GetObjectCommand({ Bucket, Key: 'k' })))).toEqual(denied);
    expect(
      await (await alice.send(new GetObjectCommand({ Bucket, Key: 'k' }))).Body!.transformToString(),
    ).toBe('b');
  });
});
