/**
 * ACLs and ownership controls enforced, through the AWS SDK as two users and as an unsigned
 * (anonymous) client: canned ACLs on buckets and objects, x-amz-grant-* headers and
 * AccessControlPolicy documents, GetBucketAcl/GetObjectAcl, copy from a private bucket by another
 * user, BucketOwnerEnforced disabling ACLs.
 */

import { request } from 'node:http';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketOwnershipControlsCommand,
  GetBucketAclCommand,
  GetBucketOwnershipControlsCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketAclCommand,
  PutBucketOwnershipControlsCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { withS3Gateway } from './fixture.js';
import { s3Failure as failure, USER } from './harness.js';

const BOB = { accessKeyId: 'AKIABOBTEST', secretAccessKey: 'bob-secret-0123456789' };
const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';

const gw = withS3Gateway({ users: { bob: BOB }, anonymous: true });
let alice: S3Client;
let bob: S3Client;
let buckets = 0;
beforeAll(() => {
  ({ alice, bob } = gw.clients());
});

async function newBucket(client = alice, ACL?: 'public-read' | 'public-read-write' | 'authenticated-read') {
  const Bucket = `acl-${++buckets}`;
  await client.send(new CreateBucketCommand({ Bucket, ACL }));
  return Bucket;
}

/** An unsigned request, as a browser or curl sends it. */
const anonymous = (method: string, path: string, body?: string) => gw.unsigned(method, path, body);

const denied = { code: 'AccessDenied', status: 403 };

describe('S3 gateway: ACLs enforced', () => {
  it('another user can neither read, list nor copy from a private bucket', async () => {
    const Bucket = await newBucket();
    await alice.send(new PutObjectCommand({ Bucket, Key: 'secret', Body: 'mine' }));
    const target = await newBucket(bob);
    expect(await failure(bob.send(new GetObjectCommand({ Bucket, Key: 'secret' })))).toEqual(denied);
    expect(await failure(bob.send(new ListObjectsV2Command({ Bucket })))).toEqual(denied);
    expect(await failure(bob.send(new PutObjectCommand({ Bucket, Key: 'x', Body: 'y' })))).toEqual(denied);
    expect(
      await failure(
        bob.send(new CopyObjectCommand({ Bucket: target, Key: 'stolen', CopySource: `${Bucket}/secret` })),
      ),
    ).toEqual(denied);
    // A missing key tells nothing either.
    expect(await failure(bob.send(new GetObjectCommand({ Bucket, Key: 'nothing' })))).toEqual(denied);
    expect(await failure(alice.send(new GetObjectCommand({ Bucket, Key: 'nothing' })))).toEqual({
      code: 'NoSuchKey',
      status: 404,
    });
    expect(await failure(bob.send(new GetBucketAclCommand({ Bucket })))).toEqual(denied);
  });

  it('ListBuckets shows each user their own buckets', async () => {
    const mine = await newBucket();
    const theirs = await newBucket(bob);
    const names = (client: S3Client) =>
      client.send(new ListBucketsCommand({})).then((out) => out.Buckets?.map((b) => b.Name));
    expect(await names(alice)).toContain(mine);
    expect(await names(alice)).not.toContain(theirs);
    expect(await names(bob)).toContain(theirs);
    expect(await names(bob)).not.toContain(mine);
  });

  it('anonymous requests get what public-read and public-read-write grant, and nothing else', async () => {
    const Bucket = await newBucket(alice, 'public-read');
    await alice.send(new PutObjectCommand({ Bucket, Key: 'private', Body: 'p' }));
    await alice.send(new PutObjectCommand({ Bucket, Key: 'public', Body: 'p', ACL: 'public-read' }));
    expect(await anonymous('GET', `/${Bucket}`)).toBe(200);
    expect(await anonymous('GET', `/${Bucket}/public`)).toBe(200);
    expect(await anonymous('GET', `/${Bucket}/private`)).toBe(403);
    expect(await anonymous('PUT', `/${Bucket}/new`, 'x')).toBe(403);
    expect(await anonymous('GET', '/')).toBe(200); // ListBuckets: none of them (s3-rgw-answers.test.ts)
    const open = await newBucket(alice, 'public-read-write');
    expect(await anonymous('PUT', `/${open}/new`, 'x')).toBe(200);
    const closed = await newBucket();
    expect(await anonymous('GET', `/${closed}`)).toBe(403);
    expect(await anonymous('PUT', `/${closed}/new`, 'x')).toBe(403);
  });

  it('Expect: 100-continue is answered after authorization: a refused upload gets its 403 instead of a 100', async () => {
    /** The first answer to an unsigned PUT with `Expect: 100-continue` (the body sent only after a 100). */
    const firstAnswer = (path: string) =>
      new Promise<{ first: number; final: number }>((resolve, reject) => {
        let first: number | undefined;
        const req = request(`${gw.endpoint}${path}`, {
          method: 'PUT',
          headers: { expect: '100-continue', 'content-length': '4' },
        });
        req.on('continue', () => {
          first ??= 100;
          req.end('body');
        });
        req.on('response', (res) => {
          first ??= res.statusCode;
          res.resume();
          res.on('end', () => resolve({ first: first!, final: res.statusCode! }));
        });
        req.on('error', reject);
        req.flushHeaders();
      });
    const closed = await newBucket();
    expect(await firstAnswer(`/${closed}/k`)).toEqual({ first: 403, final: 403 });
    const open = await newBucket(alice, 'public-read-write');
    expect(await firstAnswer(`/${open}/k`)).toEqual({ first: 100, final: 200 });
    // The AWS SDK sends large bodies with Expect: 100-continue.
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    expect(await failure(bob.send(new PutObjectCommand({ Bucket: closed, Key: 'big', Body: big })))).toEqual(
      denied,
    );
    await alice.send(new PutObjectCommand({ Bucket: closed, Key: 'big', Body: big }));
    const got = await alice.send(new GetObjectCommand({ Bucket: closed, Key: 'big' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(big)).toBe(true);
  });

  it('authenticated-read lets other users read, not anonymous ones', async () => {
    const Bucket = await newBucket();
    await alice.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'shared', ACL: 'authenticated-read' }));
    expect(await (await bob.send(new GetObjectCommand({ Bucket, Key: 'k' }))).Body!.transformToString()).toBe(
      'shared',
    );
    expect(await anonymous('GET', `/${Bucket}/k`)).toBe(403);
  });

  it('x-amz-grant-* headers grant a user; GetObjectAcl shows the grants', async () => {
    const Bucket = await newBucket();
    await alice.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'for bob' }));
    expect(await failure(bob.send(new GetObjectCommand({ Bucket, Key: 'k' })))).toEqual(denied);
    await alice.send(
      new PutObjectAclCommand({ Bucket, Key: 'k', GrantRead: 'id="bob"', GrantFullControl: `id="${USER}"` }),
    );
    expect(await (await bob.send(new GetObjectCommand({ Bucket, Key: 'k' }))).Body!.transformToString()).toBe(
      'for bob',
    );
    const acl = await alice.send(new GetObjectAclCommand({ Bucket, Key: 'k' }));
    expect(acl.Owner?.ID).toBe(USER);
    expect(acl.Grants?.map((g) => [g.Grantee?.Type, g.Grantee?.ID, g.Permission]).sort()).toEqual([
      ['CanonicalUser', USER, 'FULL_CONTROL'],
      ['CanonicalUser', 'bob', 'READ'],
    ]);
    // bob may read it, not change its ACL.
    expect(
      await failure(bob.send(new PutObjectAclCommand({ Bucket, Key: 'k', ACL: 'public-read' }))),
    ).toEqual(denied);
    expect(
      await failure(alice.send(new PutObjectAclCommand({ Bucket, Key: 'k', GrantRead: 'id="nobody"' }))),
    ).toEqual({ code: 'InvalidArgument', status: 400 });
  });

  it('GetBucketAcl/GetObjectAcl list grants as RGW does: groups first, users by id, header grants in RGW order', async () => {
    const grants = (out: { Grants?: { Grantee?: { ID?: string; URI?: string }; Permission?: string }[] }) =>
      out.Grants?.map((g) => [g.Grantee?.ID ?? g.Grantee?.URI, g.Permission]);
    const Bucket = await newBucket(alice, 'public-read-write');
    expect(grants(await alice.send(new GetBucketAclCommand({ Bucket })))).toEqual([
      [ALL_USERS, 'READ'],
      [ALL_USERS, 'WRITE'],
      [USER, 'FULL_CONTROL'],
    ]);
    await alice.send(
      new PutObjectCommand({
        Bucket,
        Key: 'k',
        Body: 'b',
        GrantFullControl: 'id="bob"',
        GrantWriteACP: 'id="bob"',
        GrantReadACP: 'id="bob"',
        GrantRead: 'id="bob"',
      }),
    );
    expect(grants(await alice.send(new GetObjectAclCommand({ Bucket, Key: 'k' })))).toEqual([
      ['bob', 'READ'],
      ['bob', 'READ_ACP'],
      ['bob', 'WRITE_ACP'],
      ['bob', 'FULL_CONTROL'],
    ]);
  });

  it('PutBucketAcl with an AccessControlPolicy document; GetBucketAcl reflects it', async () => {
    const Bucket = await newBucket();
    await alice.send(
      new PutBucketAclCommand({
        Bucket,
        AccessControlPolicy: {
          Owner: { ID: USER },
          Grants: [
            { Grantee: { Type: 'CanonicalUser', ID: USER }, Permission: 'FULL_CONTROL' },
            { Grantee: { Type: 'CanonicalUser', ID: 'bob' }, Permission: 'WRITE' },
            { Grantee: { Type: 'Group', URI: ALL_USERS }, Permission: 'READ' },
          ],
        },
      }),
    );
    const acl = await alice.send(new GetBucketAclCommand({ Bucket }));
    expect(acl.Grants?.map((g) => [g.Grantee?.ID ?? g.Grantee?.URI, g.Permission])).toEqual([
      [ALL_USERS, 'READ'],
      [USER, 'FULL_CONTROL'],
      ['bob', 'WRITE'],
    ]);
    await bob.send(new PutObjectCommand({ Bucket, Key: 'from-bob', Body: 'b' }));
    expect(await anonymous('GET', `/${Bucket}`)).toBe(200);
    // The object is bob's: alice, the bucket owner, was granted nothing on it.
    expect(await failure(alice.send(new GetObjectCommand({ Bucket, Key: 'from-bob' })))).toEqual(denied);
    await alice.send(new PutBucketAclCommand({ Bucket, ACL: 'private' }));
    expect(await failure(bob.send(new PutObjectCommand({ Bucket, Key: 'again', Body: 'b' })))).toEqual(
      denied,
    );
    expect(await anonymous('GET', `/${Bucket}`)).toBe(403);
  });

  it('an ACL without the owner takes their READ/WRITE away, never their ACP rights', async () => {
    const Bucket = await newBucket();
    await alice.send(new PutObjectCommand({ Bucket, Key: 'foo', Body: 'bar' }));
    await alice.send(
      new PutBucketAclCommand({ Bucket, AccessControlPolicy: { Owner: { ID: USER }, Grants: [] } }),
    );
    expect((await alice.send(new GetBucketAclCommand({ Bucket }))).Grants ?? []).toEqual([]);
    expect(await failure(alice.send(new PutObjectCommand({ Bucket, Key: 'baz', Body: 'a' })))).toEqual(
      denied,
    );
    // The object's own ACL still lets its owner read it.
    expect(
      await (await alice.send(new GetObjectCommand({ Bucket, Key: 'foo' }))).Body!.transformToString(),
    ).toBe('bar');
    await alice.send(new PutBucketAclCommand({ Bucket, ACL: 'private' }));
    await alice.send(new PutObjectCommand({ Bucket, Key: 'baz', Body: 'a' }));
  });

  it('ownership controls: BucketOwnerEnforced disables ACLs and makes the bucket owner own every object', async () => {
    const Bucket = await newBucket(alice, 'public-read-write');
    await bob.send(new PutObjectCommand({ Bucket, Key: 'by-bob', Body: 'b' }));
    expect(await failure(alice.send(new GetObjectCommand({ Bucket, Key: 'by-bob' })))).toEqual(denied);
    expect(await failure(alice.send(new GetBucketOwnershipControlsCommand({ Bucket })))).toEqual({
      code: 'OwnershipControlsNotFoundError',
      status: 404,
    });
    await alice.send(
      new PutBucketOwnershipControlsCommand({
        Bucket,
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      }),
    );
    const got = await alice.send(new GetBucketOwnershipControlsCommand({ Bucket }));
    expect(got.OwnershipControls?.Rules?.[0]?.ObjectOwnership).toBe('BucketOwnerEnforced');
    expect(
      await (await alice.send(new GetObjectCommand({ Bucket, Key: 'by-bob' }))).Body!.transformToString(),
    ).toBe('b');
    // The bucket's public-read-write no longer counts, and no ACL may be set.
    expect(await anonymous('GET', `/${Bucket}`)).toBe(403);
    expect(await failure(bob.send(new PutObjectCommand({ Bucket, Key: 'more', Body: 'b' })))).toEqual(denied);
    expect(
      await failure(alice.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'x', ACL: 'public-read' }))),
    ).toEqual({ code: 'AccessControlListNotSupported', status: 400 });
    expect(await failure(alice.send(new PutBucketAclCommand({ Bucket, ACL: 'public-read' })))).toEqual({
      code: 'AccessControlListNotSupported',
      status: 400,
    });
    await alice.send(new DeleteBucketOwnershipControlsCommand({ Bucket }));
    expect(await anonymous('GET', `/${Bucket}`)).toBe(200);
  });

  it("BucketOwnerPreferred: an object written with bucket-owner-full-control is the bucket owner's", async () => {
    const Bucket = await newBucket(alice, 'public-read-write');
    await alice.send(
      new PutBucketOwnershipControlsCommand({
        Bucket,
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] },
      }),
    );
    await bob.send(
      new PutObjectCommand({ Bucket, Key: 'given', Body: 'g', ACL: 'bucket-owner-full-control' }),
    );
    await bob.send(new PutObjectCommand({ Bucket, Key: 'kept', Body: 'k' }));
    expect((await alice.send(new GetObjectAclCommand({ Bucket, Key: 'given' }))).Owner?.ID).toBe(USER);
    expect((await bob.send(new GetObjectAclCommand({ Bucket, Key: 'kept' }))).Owner?.ID).toBe('bob');
    expect(await failure(alice.send(new GetObjectAclCommand({ Bucket, Key: 'kept' })))).toEqual(denied);
  });

  it('CreateBucket with x-amz-object-ownership sets the ownership controls', async () => {
    const Bucket = `acl-${++buckets}`;
    await alice.send(new CreateBucketCommand({ Bucket, ObjectOwnership: 'BucketOwnerEnforced' }));
    const got = await alice.send(new GetBucketOwnershipControlsCommand({ Bucket }));
    expect(got.OwnershipControls?.Rules?.[0]?.ObjectOwnership).toBe('BucketOwnerEnforced');
    expect(
      await failure(
        alice.send(
          new CreateBucketCommand({ Bucket: `acl-${++buckets}`, ObjectOwnership: 'Nobody' as never }),
        ),
      ),
    ).toEqual({ code: 'InvalidArgument', status: 400 });
  });
});
