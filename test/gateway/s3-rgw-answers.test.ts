/**
 * Answers the gateway gives as Ceph RGW gives them (and ceph/s3-tests checks), where AWS answers
 * otherwise or says nothing and RGW's answer fails no SDK client: an anonymous ListBuckets is an
 * empty list; re-creating one's own bucket with another ACL is BucketAlreadyExists (with the same
 * ACL it is 200 and changes nothing); GetBucketPolicyStatus answers a bucket without a policy and
 * counts public ACLs; a Complete naming a part number twice in a row takes its last entry; a part
 * number past an object's last part is 400 InvalidPart (AWS emulators answer 416
 * InvalidPartNumber; no SDK asks past the PartsCount it got); HEAD bucket `?read-stats=true` counts
 * objects and bytes in x-rgw-* headers. Also:
 * a directory of the root whose name is no valid bucket name is InvalidBucketName, not NoSuchBucket.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetBucketAclCommand,
  GetBucketPolicyStatusCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketAclCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { withS3Gateway } from './fixture.js';
import { bucketPolicy, s3Refusal as failure } from './harness.js';

const BOB = {
  accessKeyId: 'AKIABOBRGWANSWERS01',
  secretAccessKey: 'bob-secret-rgw-answers-0000000000000000',
};
const gw = withS3Gateway({ users: { bob: BOB }, anonymous: true });
let alice: S3Client;
let bob: S3Client;
beforeAll(() => {
  alice = gw.clientFor();
  bob = gw.clientFor('bob');
});

/** HEAD bucket as alice's SDK client sends it, with the query parameters added; its response headers. */
async function headBucket(Bucket: string, query: Record<string, string>): Promise<Record<string, string>> {
  const client = gw.newClient();
  let headers: Record<string, string> = {};
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { query: Record<string, string> };
      Object.assign(request.query, query);
      const out = await next(args);
      headers = (out.response as { headers: Record<string, string> }).headers;
      return out;
    },
    { step: 'build' },
  );
  await client.send(new HeadBucketCommand({ Bucket }));
  return headers;
}

const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
const publicGrants = async (Bucket: string) =>
  ((await alice.send(new GetBucketAclCommand({ Bucket }))).Grants ?? []).filter(
    (g) => g.Grantee?.URI === ALL_USERS,
  ).length;

describe('S3 gateway: answers as Ceph RGW gives them', () => {
  it('an anonymous ListBuckets is an empty list (signed users still see their buckets)', async () => {
    await gw.bucket('listed-bucket');
    const unsigned = gw.newClient(undefined, { signer: { sign: async (request) => request } });
    const answer = await unsigned.send(new ListBucketsCommand({}));
    expect(answer.$metadata.httpStatusCode).toBe(200);
    expect(answer.Buckets ?? []).toEqual([]);
    const signed = await alice.send(new ListBucketsCommand({}));
    expect(signed.Buckets?.map((b) => b.Name)).toContain('listed-bucket');
  });

  it("re-creating one's own bucket: 200 changing nothing with its ACL, BucketAlreadyExists with another", async () => {
    const Bucket = 'recreated';
    await alice.send(new CreateBucketCommand({ Bucket, ACL: 'public-read' }));
    await alice.send(new PutObjectCommand({ Bucket, Key: 'kept', Body: 'still here' }));
    const same = await alice.send(new CreateBucketCommand({ Bucket, ACL: 'public-read' }));
    expect(same.$metadata.httpStatusCode).toBe(200);
    expect(await failure(alice.send(new CreateBucketCommand({ Bucket })))).toMatchObject({
      code: 'BucketAlreadyExists',
      status: 409,
    });
    expect(await publicGrants(Bucket)).toBe(1);
    const Private = 'recreated-private';
    await alice.send(new CreateBucketCommand({ Bucket: Private }));
    expect(
      await failure(alice.send(new CreateBucketCommand({ Bucket: Private, ACL: 'public-read' }))),
    ).toMatchObject({ code: 'BucketAlreadyExists', status: 409 });
    expect(await publicGrants(Private)).toBe(0);
    expect((await alice.send(new CreateBucketCommand({ Bucket: Private }))).$metadata.httpStatusCode).toBe(
      200,
    );
    // Another user's bucket stays BucketAlreadyExists whatever the ACL.
    expect(await failure(bob.send(new CreateBucketCommand({ Bucket: Private })))).toMatchObject({
      code: 'BucketAlreadyExists',
    });
    const kept = await alice.send(new GetObjectCommand({ Bucket, Key: 'kept' }));
    expect(await kept.Body!.transformToString()).toBe('still here');
  });

  it('GetBucketPolicyStatus answers without a policy and counts public ACLs and public policies', async () => {
    const Bucket = await gw.bucket('policy-status');
    const isPublic = async () =>
      (await alice.send(new GetBucketPolicyStatusCommand({ Bucket }))).PolicyStatus?.IsPublic;
    expect(await isPublic()).toBe(false);
    await alice.send(new PutBucketAclCommand({ Bucket, ACL: 'public-read' }));
    expect(await isPublic()).toBe(true);
    await alice.send(new PutBucketAclCommand({ Bucket, ACL: 'authenticated-read' }));
    expect(await isPublic()).toBe(true);
    await alice.send(new PutBucketAclCommand({ Bucket, ACL: 'private' }));
    expect(await isPublic()).toBe(false);
    const statement = (Condition?: object) =>
      bucketPolicy({
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: 's3:ListBucket',
        Resource: `arn:aws:s3:::${Bucket}`,
        ...(Condition ? { Condition } : {}),
      });
    await alice.send(
      new PutBucketPolicyCommand({
        Bucket,
        Policy: statement({ IpAddress: { 'aws:SourceIp': '10.0.0.0/32' } }),
      }),
    );
    expect(await isPublic()).toBe(false);
    await alice.send(new PutBucketPolicyCommand({ Bucket, Policy: statement() }));
    expect(await isPublic()).toBe(true);
    // Only the bucket owner asks.
    expect(await failure(bob.send(new GetBucketPolicyStatusCommand({ Bucket })))).toMatchObject({
      code: 'AccessDenied',
    });
  });

  /** A multipart upload of `k` in a new bucket whose part 1 went up twice: BBBBBBBB, then AAAAAAAA. */
  async function partUploadedTwice(name: string) {
    const Bucket = await gw.bucket(name);
    const Key = 'k';
    const { UploadId } = await alice.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    const upload = async (Body: string) =>
      (await alice.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body }))).ETag;
    const first = await upload('BBBBBBBB');
    const second = await upload('AAAAAAAA');
    /** CompleteMultipartUpload naming part 1 with each of `etags`, in this order. */
    const complete = (...etags: (string | undefined)[]) =>
      alice.send(
        new CompleteMultipartUploadCommand({
          Bucket,
          Key,
          UploadId,
          MultipartUpload: { Parts: etags.map((ETag) => ({ PartNumber: 1, ETag })) },
        }),
      );
    return { Bucket, Key, first, second, complete };
  }

  it('a Complete naming part 1 twice in a row takes its last entry: the part as last uploaded', async () => {
    const { Bucket, Key, first, second, complete } = await partUploadedTwice('resent-part');
    const done = await complete(first, second);
    expect(done.ETag).toMatch(/-1"$/);
    const got = await alice.send(new GetObjectCommand({ Bucket, Key }));
    expect(await got.Body!.transformToString()).toBe('AAAAAAAA');
  });

  it('a Complete whose last entry for a part number names a replaced upload of it is still InvalidPart', async () => {
    const { Bucket, Key, first, second, complete } = await partUploadedTwice('resent-part-stale');
    // The earlier entry names the part as it is now: the last entry decides, not any entry that matches.
    expect(await failure(complete(second, first))).toMatchObject({ code: 'InvalidPart', status: 400 });
    expect(await failure(alice.send(new GetObjectCommand({ Bucket, Key })))).toMatchObject({
      code: 'NoSuchKey',
    });
  });

  it('GET ?partNumber= past the last part is 400 InvalidPart, for a plain object (one part) as for a multipart one', async () => {
    const Bucket = await gw.bucket('part-numbers');
    await alice.send(new PutObjectCommand({ Bucket, Key: 'plain', Body: 'body' }));
    const { UploadId } = await alice.send(new CreateMultipartUploadCommand({ Bucket, Key: 'mp' }));
    const part = await alice.send(
      new UploadPartCommand({ Bucket, Key: 'mp', UploadId, PartNumber: 1, Body: 'only part' }),
    );
    await alice.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key: 'mp',
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    );
    for (const Key of ['plain', 'mp']) {
      const error = await failure(alice.send(new GetObjectCommand({ Bucket, Key, PartNumber: 2 })));
      expect(error).toMatchObject({ code: 'InvalidPart', status: 400 });
      expect(error.message).toContain('the object has 1 part');
      const one = await alice.send(new GetObjectCommand({ Bucket, Key, PartNumber: 1 }));
      expect(await one.Body!.transformToString()).toBe(Key === 'plain' ? 'body' : 'only part');
    }
  });

  it('HEAD bucket ?read-stats=true counts its objects and their bytes (x-rgw-object-count, x-rgw-bytes-used)', async () => {
    const Bucket = await gw.bucket('read-stats');
    const stats = async () => {
      const headers = await headBucket(Bucket, { 'read-stats': 'true' });
      return [headers['x-rgw-object-count'], headers['x-rgw-bytes-used']];
    };
    expect(await stats()).toEqual(['0', '0']);
    for (const [Key, Body] of [
      ['foo', 'abc'],
      ['dir/bar', 'defg'],
      ['dir/', 'xy'],
      ['dir', 'z'],
    ]) {
      await alice.send(new PutObjectCommand({ Bucket, Key, Body }));
    }
    expect(await stats()).toEqual(['4', '10']);
    expect((await headBucket(Bucket, {}))['x-rgw-object-count']).toBeUndefined();
  });

  it('a directory of the root whose name is no valid bucket name is InvalidBucketName naming the rule', async () => {
    await mkdir(join(gw.root, 'My_Data'));
    await writeFile(join(gw.root, 'My_Data', 'file.txt'), 'made with mkdir');
    for (const request of [
      alice.send(new ListObjectsV2Command({ Bucket: 'My_Data' })),
      alice.send(new GetObjectCommand({ Bucket: 'My_Data', Key: 'file.txt' })),
    ]) {
      const error = await failure(request);
      expect(error).toMatchObject({ code: 'InvalidBucketName', status: 400 });
      expect(error.message).toContain(
        "'My_Data' is a directory of the gateway's root but not a valid bucket name",
      );
      expect(error.message).toContain('lower-case letters');
    }
    // Nothing under it is served, to anyone: not read anonymously, not copied, not deleted.
    expect(await gw.unsigned('GET', '/My_Data/file.txt')).toBe(400);
    expect(await gw.unsigned('DELETE', '/My_Data/file.txt')).toBe(400);
    await gw.bucket('copy-target', 'bob');
    const copy = bob.send(
      new CopyObjectCommand({ Bucket: 'copy-target', Key: 'stolen', CopySource: 'My_Data/file.txt' }),
    );
    expect(await failure(copy)).toMatchObject({ code: 'InvalidBucketName', status: 400 });
    expect(await readFile(join(gw.root, 'My_Data', 'file.txt'), 'utf8')).toBe('made with mkdir');
    // HEAD has no body: the status says it.
    expect((await failure(alice.send(new HeadBucketCommand({ Bucket: 'My_Data' })))).status).toBe(400);
    // A name that is no directory is still NoSuchBucket, and the gateway's own areas stay hidden.
    expect(await failure(alice.send(new ListObjectsV2Command({ Bucket: 'Not_There' })))).toMatchObject({
      code: 'NoSuchBucket',
      status: 404,
    });
    expect(await gw.unsigned('GET', '/.tierfs-versions')).toBe(404);
  });
});
