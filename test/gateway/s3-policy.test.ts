/**
 * Bucket policies enforced (Allow/Deny for `*` and user ARNs, actions with wildcards, resource
 * ARNs, conditions on aws:SourceIp, request headers and object tags), policies that cannot be enforced refused when put, GetBucketPolicyStatus,
 * and GetObjectAttributes, through the AWS SDK as two users and an unsigned client.
 */
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketPolicyCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { withS3Gateway } from './fixture.js';
import { s3Failure as failure, bucketPolicy as policy } from './harness.js';

const BOB = { accessKeyId: 'AKIABOBPOLICY', secretAccessKey: 'bob-policy-secret-0123' };

const gw = withS3Gateway({ users: { bob: BOB }, anonymous: true });
let alice: S3Client;
let bob: S3Client;
let buckets = 0;
beforeAll(() => {
  ({ alice, bob } = gw.clients());
});

async function newBucket(...keys: string[]): Promise<string> {
  const Bucket = `policy-${++buckets}`;
  await alice.send(new CreateBucketCommand({ Bucket }));
  for (const Key of keys) await alice.send(new PutObjectCommand({ Bucket, Key, Body: Key }));
  return Bucket;
}

const setPolicy = (Bucket: string, text: string) =>
  alice.send(new PutBucketPolicyCommand({ Bucket, Policy: text }));

const anonymous = (path: string) => gw.unsigned('GET', path);

const denied = { code: 'AccessDenied', status: 403 };

describe('S3 gateway: bucket policies', () => {
  it('Put/Get/DeleteBucketPolicy keep the document as sent; GetBucketPolicyStatus says whether it is public', async () => {
    const Bucket = await newBucket();
    expect(await failure(alice.send(new GetBucketPolicyCommand({ Bucket })))).toEqual({
      code: 'NoSuchBucketPolicy',
      status: 404,
    });
    const text = policy({
      Effect: 'Allow',
      Principal: '*',
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${Bucket}/public/*`,
    });
    await setPolicy(Bucket, text);
    expect((await alice.send(new GetBucketPolicyCommand({ Bucket }))).Policy).toBe(text);
    expect((await alice.send(new GetBucketPolicyStatusCommand({ Bucket }))).PolicyStatus?.IsPublic).toBe(
      true,
    );
    expect(await failure(bob.send(new GetBucketPolicyCommand({ Bucket })))).toEqual(denied);
    expect(await failure(bob.send(new PutBucketPolicyCommand({ Bucket, Policy: text })))).toEqual(denied);
    await alice.send(new DeleteBucketPolicyCommand({ Bucket }));
    expect((await failure(alice.send(new GetBucketPolicyCommand({ Bucket })))).code).toBe(
      'NoSuchBucketPolicy',
    );
  });

  it('Allow for "*" on a resource pattern opens those keys to anonymous requests only', async () => {
    const Bucket = await newBucket('public/a', 'private/b');
    expect(await anonymous(`/${Bucket}/public/a`)).toBe(403);
    await setPolicy(
      Bucket,
      policy({
        Effect: 'Allow',
        Principal: '*',
        Action: ['s3:Get*'],
        Resource: [`arn:aws:s3:::${Bucket}/public/*`],
      }),
    );
    expect(await anonymous(`/${Bucket}/public/a`)).toBe(200);
    expect(await anonymous(`/${Bucket}/private/b`)).toBe(403);
    expect(await anonymous(`/${Bucket}`)).toBe(403);
  });

  it('Allow for a user ARN grants that user the listed actions, nothing more', async () => {
    const Bucket = await newBucket('k');
    expect(await failure(bob.send(new ListObjectsV2Command({ Bucket })))).toEqual(denied);
    await setPolicy(
      Bucket,
      policy({
        Effect: 'Allow',
        Principal: { AWS: ['arn:aws:iam::123456789012:user/bob'] },
        Action: 's3:ListBucket',
        Resource: `arn:aws:s3:::${Bucket}`,
      }),
    );
    expect((await bob.send(new ListObjectsV2Command({ Bucket }))).Contents?.map((c) => c.Key)).toEqual(['k']);
    expect(await failure(bob.send(new GetObjectCommand({ Bucket, Key: 'k' })))).toEqual(denied);
    expect(await anonymous(`/${Bucket}`)).toBe(403);
  });

  it('an explicit Deny stops even the owner, in DeleteObject and DeleteObjects', async () => {
    const Bucket = await newBucket('keep/a', 'scratch/b');
    await setPolicy(
      Bucket,
      policy({
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:DeleteObject',
        Resource: `arn:aws:s3:::${Bucket}/keep/*`,
      }),
    );
    expect(await failure(alice.send(new DeleteObjectCommand({ Bucket, Key: 'keep/a' })))).toEqual(denied);
    const out = await alice.send(
      new DeleteObjectsCommand({ Bucket, Delete: { Objects: [{ Key: 'keep/a' }, { Key: 'scratch/b' }] } }),
    );
    expect(out.Deleted?.map((d) => d.Key)).toEqual(['scratch/b']);
    expect(out.Errors?.map((e) => [e.Key, e.Code])).toEqual([['keep/a', 'AccessDenied']]);
    expect(
      await (await alice.send(new GetObjectCommand({ Bucket, Key: 'keep/a' }))).Body!.transformToString(),
    ).toBe('keep/a');
  });

  it('aws:SourceIp: IpAddress allows from the range, NotIpAddress denies from outside it', async () => {
    const Bucket = await newBucket('k');
    const allowFrom = (cidr: string) =>
      setPolicy(
        Bucket,
        policy({
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${Bucket}/*`,
          Condition: { IpAddress: { 'aws:SourceIp': cidr } },
        }),
      );
    await allowFrom('127.0.0.0/8');
    expect(await anonymous(`/${Bucket}/k`)).toBe(200);
    expect((await alice.send(new GetBucketPolicyStatusCommand({ Bucket }))).PolicyStatus?.IsPublic).toBe(
      false,
    );
    await allowFrom('10.0.0.0/8');
    expect(await anonymous(`/${Bucket}/k`)).toBe(403);
    await setPolicy(
      Bucket,
      policy({
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [`arn:aws:s3:::${Bucket}`, `arn:aws:s3:::${Bucket}/*`],
        Condition: { NotIpAddress: { 'aws:SourceIp': ['10.0.0.0/8'] } },
      }),
    );
    expect(await failure(alice.send(new GetObjectCommand({ Bucket, Key: 'k' })))).toEqual(denied);
    // The owner may still take the policy away: a Deny never locks them out of its management.
    await alice.send(new DeleteBucketPolicyCommand({ Bucket }));
    expect(
      await (await alice.send(new GetObjectCommand({ Bucket, Key: 'k' }))).Body!.transformToString(),
    ).toBe('k');
  });

  it('conditions on request headers: x-amz-copy-source (StringLike), x-amz-acl (Deny), x-amz-metadata-directive', async () => {
    const source = await newBucket('public/a', 'private/a');
    await setPolicy(
      source,
      policy({
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${source}/*`,
      }),
    );
    const target = await newBucket();
    const resource = `arn:aws:s3:::${target}/*`;
    await setPolicy(
      target,
      policy(
        {
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::1:user/bob' },
          Action: 's3:PutObject',
          Resource: resource,
          Condition: { StringLike: { 's3:x-amz-copy-source': `${source}/public/*` } },
        },
        {
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::1:user/bob' },
          Action: 's3:PutObject',
          Resource: `arn:aws:s3:::${target}/meta/*`,
          Condition: { StringEquals: { 's3:x-amz-metadata-directive': 'REPLACE' } },
        },
        {
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:PutObject',
          Resource: resource,
          Condition: { StringLike: { 's3:x-amz-acl': 'public*' } },
        },
      ),
    );
    await bob.send(new CopyObjectCommand({ Bucket: target, Key: 'copy', CopySource: `${source}/public/a` }));
    expect(
      await failure(
        bob.send(new CopyObjectCommand({ Bucket: target, Key: 'copy2', CopySource: `${source}/private/a` })),
      ),
    ).toEqual(denied);
    // No copy source: the condition's key is missing, so the Allow does not apply.
    expect(
      await failure(bob.send(new PutObjectCommand({ Bucket: target, Key: 'plain', Body: 'b' }))),
    ).toEqual(denied);
    await bob.send(
      new CopyObjectCommand({
        Bucket: target,
        Key: 'meta/x',
        CopySource: `${source}/private/a`,
        MetadataDirective: 'REPLACE',
        Metadata: { a: 'b' },
      }),
    );
    // The Deny on a public ACL stops even the owner.
    await alice.send(new PutObjectCommand({ Bucket: target, Key: 'mine', Body: 'b', ACL: 'private' }));
    expect(
      await failure(
        alice.send(new PutObjectCommand({ Bucket: target, Key: 'mine', Body: 'b', ACL: 'public-read' })),
      ),
    ).toEqual(denied);
  });

  it('conditions on tags: s3:ExistingObjectTag for reads and tagging, s3:RequestObjectTag for writes', async () => {
    const Bucket = await newBucket('open', 'closed', 'untagged');
    await alice.send(
      new PutObjectTaggingCommand({
        Bucket,
        Key: 'open',
        Tagging: { TagSet: [{ Key: 'security', Value: 'public' }] },
      }),
    );
    await alice.send(
      new PutObjectTaggingCommand({
        Bucket,
        Key: 'closed',
        Tagging: { TagSet: [{ Key: 'security', Value: 'private' }] },
      }),
    );
    await setPolicy(
      Bucket,
      policy(
        {
          Effect: 'Allow',
          Principal: '*',
          Action: ['s3:GetObject', 's3:PutObjectTagging'],
          Resource: `arn:aws:s3:::${Bucket}/*`,
          Condition: { StringEquals: { 's3:ExistingObjectTag/security': 'public' } },
        },
        {
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:PutObject',
          Resource: `arn:aws:s3:::${Bucket}/*`,
          Condition: { StringEquals: { 's3:RequestObjectTag/security': 'public' } },
        },
      ),
    );
    expect(
      await (await bob.send(new GetObjectCommand({ Bucket, Key: 'open' }))).Body!.transformToString(),
    ).toBe('open');
    expect(await failure(bob.send(new GetObjectCommand({ Bucket, Key: 'closed' })))).toEqual(denied);
    expect(await failure(bob.send(new GetObjectCommand({ Bucket, Key: 'untagged' })))).toEqual(denied);
    // Retagging is allowed while the existing tag says public, then no more.
    const retag = (Value: string) =>
      bob.send(
        new PutObjectTaggingCommand({
          Bucket,
          Key: 'open',
          Tagging: { TagSet: [{ Key: 'security', Value }] },
        }),
      );
    await retag('private');
    expect(await failure(retag('public'))).toEqual(denied);
    await bob.send(new PutObjectCommand({ Bucket, Key: 'new', Body: 'n', Tagging: 'security=public' }));
    expect(
      await failure(
        bob.send(new PutObjectCommand({ Bucket, Key: 'new2', Body: 'n', Tagging: 'security=secret' })),
      ),
    ).toEqual(denied);
  });

  it('a policy the gateway cannot enforce is refused with a reason, never stored', async () => {
    const Bucket = await newBucket();
    const cases: [string, string][] = [
      ['{not json', 'MalformedPolicy'],
      [
        policy({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::other/*' }),
        'MalformedPolicy',
      ],
      [
        policy({
          Effect: 'Maybe',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${Bucket}/*`,
        }),
        'MalformedPolicy',
      ],
      [
        policy({
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${Bucket}/*`,
          Condition: { DateGreaterThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } },
        }),
        'NotImplemented',
      ],
      [
        policy({
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${Bucket}/*`,
          Condition: { StringEquals: { 's3:LocationConstraint': 'x' } },
        }),
        'NotImplemented',
      ],
      // NotPrincipal goes with Deny only (IAM's rule): with Allow the policy is malformed; with
      // Deny it is valid but not enforced here.
      [
        policy({
          Effect: 'Allow',
          NotPrincipal: { AWS: 'arn:aws:iam::bob:root' },
          Action: 's3:ListBucket',
          Resource: `arn:aws:s3:::${Bucket}`,
        }),
        'MalformedPolicy',
      ],
      [
        policy({
          Effect: 'Deny',
          NotPrincipal: '*',
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${Bucket}/*`,
        }),
        'NotImplemented',
      ],
    ];
    for (const [text, code] of cases) {
      expect((await failure(setPolicy(Bucket, text))).code, text).toBe(code);
    }
    expect((await failure(alice.send(new GetBucketPolicyCommand({ Bucket })))).code).toBe(
      'NoSuchBucketPolicy',
    );
  });
});

describe('S3 gateway: GetObjectAttributes', () => {
  it('answers the ETag, size, storage class and version asked for', async () => {
    const Bucket = await newBucket();
    await alice.send(
      new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    const put = await alice.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'hello' }));
    const out = await alice.send(
      new GetObjectAttributesCommand({
        Bucket,
        Key: 'k',
        ObjectAttributes: ['ETag', 'ObjectSize', 'StorageClass'],
      }),
    );
    expect(out.ETag).toBe(put.ETag?.replace(/"/g, ''));
    expect(out.ObjectSize).toBe(5);
    expect(out.StorageClass).toBe('STANDARD');
    expect(out.VersionId).toBe(put.VersionId);
    expect(out.LastModified).toBeInstanceOf(Date);
    expect(
      await failure(
        bob.send(new GetObjectAttributesCommand({ Bucket, Key: 'k', ObjectAttributes: ['ETag'] })),
      ),
    ).toEqual(denied);
  });
});
