/**
 * Gateway features working together, through the AWS SDK, boto3-signed forms and plain fetch:
 * versioning with the key layout (a key that is an object and a prefix, its current version inside
 * its directory as `.tierfs-object`), POST object in a versioned bucket and authorized for the
 * user who signed its policy (or anonymous only where the bucket grants it), CORS configuration as
 * the bucket owner's, and preflights answered without credentials and without saying more than
 * the CORS rule; and an overwrite racing the layout's move of the version it demotes.
 */
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import {
  CreateBucketCommand,
  DeleteBucketCorsCommand,
  DeleteObjectCommand,
  GetBucketCorsCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketAclCommand,
  PutBucketCorsCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import type { OpenOptions } from '../../src/ufs/contract.js';
import { withS3Gateway } from './fixture.js';
import { ACCESS_KEY, bucketPolicy, s3Failure as failure, findClient, SECRET_KEY, USER } from './harness.js';

const execFileAsync = promisify(execFile);
const BOB = { accessKeyId: 'AKIABOBCOMBO', secretAccessKey: 'bob-combo-secret-0123456789' };
const denied = { code: 'AccessDenied', status: 403 };

/**
 * Armed by one test: the next open of a path ending in `suffix` first runs `before` (which moves
 * that file). Unarmed, the store is untouched, so the file needs one gateway, not two.
 */
let pending: { suffix: string; before: () => Promise<void> } | undefined;
const gw = withS3Gateway({
  users: { bob: BOB },
  anonymous: true,
  wrapStore: (store) =>
    new Proxy(store, {
      get(target, property, receiver) {
        if (property !== 'open') return Reflect.get(target, property, receiver);
        return async (path: string, options?: OpenOptions): Promise<Readable> => {
          const armed = pending;
          if (armed && path.endsWith(armed.suffix)) {
            pending = undefined;
            await armed.before();
          }
          return target.open(path, options);
        };
      },
    }),
});
let alice: S3Client;
let bob: S3Client;
beforeAll(() => {
  ({ alice, bob } = gw.clients());
});

async function versionedBucket(Bucket: string): Promise<void> {
  await alice.send(new CreateBucketCommand({ Bucket }));
  await alice.send(
    new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }),
  );
}
const put = async (Bucket: string, Key: string, Body: string) =>
  (await alice.send(new PutObjectCommand({ Bucket, Key, Body }))).VersionId!;
const read = async (Bucket: string, Key: string, VersionId?: string) =>
  (await alice.send(new GetObjectCommand({ Bucket, Key, VersionId }))).Body!.transformToString();
const isFile = async (path: string) => (await stat(path)).isFile();

/** Every version of a bucket, paged one entry at a time (key-marker and version-id-marker). */
async function allVersionsPaged(Bucket: string): Promise<string[]> {
  const seen: string[] = [];
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  for (let page = 0; page < 50; page++) {
    const got = await alice.send(
      new ListObjectVersionsCommand({ Bucket, MaxKeys: 1, KeyMarker, VersionIdMarker }),
    );
    for (const v of got.Versions ?? []) seen.push(`${v.Key}@${v.VersionId}`);
    for (const m of got.DeleteMarkers ?? []) seen.push(`${m.Key}@${m.VersionId}:marker`);
    if (!got.IsTruncated) return seen;
    KeyMarker = got.NextKeyMarker;
    VersionIdMarker = got.NextVersionIdMarker;
  }
  throw new Error('ListObjectVersions did not end');
}

describe('versioning with a key that is an object and a prefix', () => {
  const Bucket = 'vers-layout';
  const dir = () => join(gw.root, Bucket);
  let v1: string;
  let v2: string;
  let child: string;

  beforeAll(async () => versionedBucket(Bucket));

  it('an overwrite keeps the version that lives inside the directory, read from there', async () => {
    v1 = await put(Bucket, 'a', 'first');
    child = await put(Bucket, 'a/b', 'below'); // `a` moves into a/.tierfs-object
    expect(await readFile(join(dir(), 'a', '.tierfs-object'), 'utf8')).toBe('first');
    v2 = await put(Bucket, 'a', 'second');
    expect(await readFile(join(dir(), 'a', '.tierfs-object'), 'utf8')).toBe('second');
    expect(await read(Bucket, 'a')).toBe('second');
    expect(await read(Bucket, 'a', v1)).toBe('first');
    expect(await read(Bucket, 'a', v2)).toBe('second');
    expect(await read(Bucket, 'a/b')).toBe('below');
    const listed = await alice.send(new ListObjectVersionsCommand({ Bucket }));
    expect(listed.Versions?.map((v) => [v.Key, v.VersionId, v.IsLatest])).toEqual([
      ['a', v2, true],
      ['a', v1, false],
      ['a/b', child, true],
    ]);
  });

  it('paging the versions one at a time does not lose those of the key stored as a directory', async () => {
    expect(await allVersionsPaged(Bucket)).toEqual([`a@${v2}`, `a@${v1}`, `a/b@${child}`]);
  });

  it('a delete marker hides the object but not the keys below it; removing it brings the object back', async () => {
    const deleted = await alice.send(new DeleteObjectCommand({ Bucket, Key: 'a' }));
    expect(deleted.DeleteMarker).toBe(true);
    expect(await failure(alice.send(new GetObjectCommand({ Bucket, Key: 'a' })))).toEqual({
      code: 'NoSuchKey',
      status: 404,
    });
    await expect(stat(join(dir(), 'a', '.tierfs-object'))).rejects.toThrow();
    expect(await read(Bucket, 'a/b')).toBe('below');
    const keys = await alice.send(new ListObjectsV2Command({ Bucket }));
    expect(keys.Contents?.map((c) => c.Key)).toEqual(['a/b']);
    expect(await read(Bucket, 'a', v2)).toBe('second');

    await alice.send(new DeleteObjectCommand({ Bucket, Key: 'a', VersionId: deleted.VersionId }));
    expect(await read(Bucket, 'a')).toBe('second');
    expect(await readFile(join(dir(), 'a', '.tierfs-object'), 'utf8')).toBe('second');
  });

  it('when the prefix empties the object moves back to its path and keeps its versions', async () => {
    const marker = await alice.send(new DeleteObjectCommand({ Bucket, Key: 'a/b' }));
    expect(marker.DeleteMarker).toBe(true);
    expect(await isFile(join(dir(), 'a'))).toBe(true);
    expect(await read(Bucket, 'a')).toBe('second');
    // Deleting the current version by id promotes the previous one, at the file's path.
    await alice.send(new DeleteObjectCommand({ Bucket, Key: 'a', VersionId: v2 }));
    expect(await read(Bucket, 'a')).toBe('first');
    expect(await readFile(join(dir(), 'a'), 'utf8')).toBe('first');
    // And a key below it again moves the current version inside, keeping it current.
    await put(Bucket, 'a/c', 'again');
    expect(await read(Bucket, 'a')).toBe('first');
    expect((await alice.send(new HeadObjectCommand({ Bucket, Key: 'a' }))).VersionId).toBe(v1);
  });

  it('a dir/ key with a body is versioned too', async () => {
    const m1 = await put(Bucket, 'd/', 'marker body');
    const m2 = await put(Bucket, 'd/', '');
    expect(await read(Bucket, 'd/', m1)).toBe('marker body');
    expect(await read(Bucket, 'd/', m2)).toBe('');
    await alice.send(new DeleteObjectCommand({ Bucket, Key: 'd/', VersionId: m2 }));
    expect(await read(Bucket, 'd/')).toBe('marker body');
    expect(await readFile(join(dir(), 'd', '.tierfs-marker-body'), 'utf8')).toBe('marker body');
  });
});

interface PresignedPost {
  url: string;
  fields: Record<string, string>;
}

/** Forms boto3 signs (generate_presigned_post, SigV4) as `who` for each [bucket, key]. */
async function presignedPosts(
  python: string,
  requests: Record<string, { who: 'alice' | 'bob'; bucket: string; key: string }>,
): Promise<Record<string, PresignedPost>> {
  const keys = { alice: [ACCESS_KEY, SECRET_KEY], bob: [BOB.accessKeyId, BOB.secretAccessKey] };
  const script = `
import boto3, json, sys
from botocore.config import Config
keys = json.loads(sys.argv[3])
out = {}
for name, r in json.loads(sys.argv[2]).items():
    s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1',
        aws_access_key_id=keys[r['who']][0], aws_secret_access_key=keys[r['who']][1],
        config=Config(signature_version='s3v4', s3={'addressing_style': 'path'}))
    out[name] = s3.generate_presigned_post(r['bucket'], r['key'], ExpiresIn=600)
print(json.dumps(out))
`;
  const { stdout } = await execFileAsync(python, [
    '-c',
    script,
    gw.endpoint,
    JSON.stringify(requests),
    JSON.stringify(keys),
  ]);
  return JSON.parse(stdout) as Record<string, PresignedPost>;
}

/** Sends a form as a browser does: the fields, then the file last. */
async function post(
  url: string,
  fields: Record<string, string>,
  body: string,
): Promise<{ status: number; text: string; headers: Headers }> {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.append(name, value);
  data.append('file', new Blob([body], { type: 'text/plain' }), 'upload.txt');
  const res = await fetch(url, { method: 'POST', body: data, redirect: 'manual' });
  return { status: res.status, text: await res.text(), headers: res.headers };
}
const codeOf = (text: string) => /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
const exists = async (Bucket: string, Key: string) =>
  alice.send(new HeadObjectCommand({ Bucket, Key })).then(
    () => true,
    () => false,
  );

const python = findClient('python3');

describe.skipIf(!python)('POST object with versioning and access control', () => {
  const VERSIONED = 'forms-versioned';
  const PRIVATE = 'forms-private';
  const OPEN = 'forms-open';
  let forms: Record<string, PresignedPost>;

  beforeAll(async () => {
    await versionedBucket(VERSIONED);
    await alice.send(new CreateBucketCommand({ Bucket: PRIVATE }));
    await alice.send(new CreateBucketCommand({ Bucket: OPEN, ACL: 'public-read-write' }));
    forms = await presignedPosts(python!, {
      versioned: { who: 'alice', bucket: VERSIONED, key: 'p' },
      aliceOwn: { who: 'alice', bucket: PRIVATE, key: 'alice/object' },
      bobPrivate: { who: 'bob', bucket: PRIVATE, key: 'bob/object' },
    });
  });

  it('a form upload to a versioned bucket makes a new version and keeps the previous one', async () => {
    const before = await put(VERSIONED, 'p', 'from a PUT');
    const form = forms.versioned!;
    const answer = await post(form.url, form.fields, 'from a form');
    expect(answer.status).toBe(204);
    const made = answer.headers.get('x-amz-version-id');
    expect(made).toBeTruthy();
    expect(made).not.toBe(before);
    expect(await read(VERSIONED, 'p')).toBe('from a form');
    expect(await read(VERSIONED, 'p', before)).toBe('from a PUT');
    const listed = await alice.send(new ListObjectVersionsCommand({ Bucket: VERSIONED, Prefix: 'p' }));
    expect(listed.Versions?.map((v) => [v.VersionId, v.IsLatest])).toEqual([
      [made, true],
      [before, false],
    ]);
  });

  it('the signer of the policy needs write permission on the bucket: refused, then granted', async () => {
    const own = forms.aliceOwn!;
    expect((await post(own.url, own.fields, 'mine')).status).toBe(204);

    const theirs = forms.bobPrivate!;
    const refused = await post(theirs.url, theirs.fields, 'not yours');
    expect([refused.status, codeOf(refused.text)]).toEqual([403, 'AccessDenied']);
    expect(await exists(PRIVATE, 'bob/object')).toBe(false);

    // Alice grants bob WRITE on the bucket (keeping her own full control): his form now writes.
    await alice.send(
      new PutBucketAclCommand({ Bucket: PRIVATE, GrantWrite: 'id=bob', GrantFullControl: `id=${USER}` }),
    );
    expect((await post(theirs.url, theirs.fields, 'granted')).status).toBe(204);
    // Written by bob, owned by bob (ObjectWriter): private to him, even to the bucket owner.
    const acl = await bob.send(new GetObjectAclCommand({ Bucket: PRIVATE, Key: 'bob/object' }));
    expect(acl.Owner?.ID).toBe('bob');
    const got = await bob.send(new GetObjectCommand({ Bucket: PRIVATE, Key: 'bob/object' }));
    expect(await got.Body!.transformToString()).toBe('granted');
    expect(await failure(alice.send(new GetObjectCommand({ Bucket: PRIVATE, Key: 'bob/object' })))).toEqual(
      denied,
    );
  });

  it('a bucket policy denying s3:PutObject refuses the form even to the bucket owner', async () => {
    await alice.send(
      new PutBucketPolicyCommand({
        Bucket: VERSIONED,
        Policy: bucketPolicy({
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:PutObject',
          Resource: `arn:aws:s3:::${VERSIONED}/*`,
        }),
      }),
    );
    const form = forms.versioned!;
    const refused = await post(form.url, form.fields, 'denied');
    expect([refused.status, codeOf(refused.text)]).toEqual([403, 'AccessDenied']);
    expect(await read(VERSIONED, 'p')).toBe('from a form');
  });

  it('an unsigned form is refused by a private bucket, accepted by one that grants everyone WRITE', async () => {
    const refused = await post(`${gw.endpoint}/${PRIVATE}`, { key: 'anon/object' }, 'anonymous');
    expect([refused.status, codeOf(refused.text)]).toEqual([403, 'AccessDenied']);
    expect(await exists(PRIVATE, 'anon/object')).toBe(false);
    const accepted = await post(
      `${gw.endpoint}/${OPEN}`,
      { key: 'anon/object', acl: 'bucket-owner-full-control' },
      'anonymous',
    );
    expect(accepted.status).toBe(204);
    expect(await read(OPEN, 'anon/object')).toBe('anonymous');
  });
});

describe('CORS configuration and anonymous preflights', () => {
  const Bucket = 'cors-private';
  const RULE = {
    AllowedOrigins: ['https://app.example'],
    AllowedMethods: ['GET'],
    AllowedHeaders: ['*'],
    ExposeHeaders: ['ETag'],
  };
  beforeAll(async () => {
    await alice.send(new CreateBucketCommand({ Bucket }));
    await alice.send(new PutObjectCommand({ Bucket, Key: 'secret', Body: 'private bytes' }));
    await alice.send(new PutBucketCorsCommand({ Bucket, CORSConfiguration: { CORSRules: [RULE] } }));
    await alice.send(new CreateBucketCommand({ Bucket: 'cors-none' }));
  });

  const preflight = (bucket: string, origin: string) =>
    fetch(`${gw.endpoint}/${bucket}/secret`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'range' },
    });

  it('Put/Get/DeleteBucketCors are the bucket owner’s; the s3:PutBucketCORS policy action covers delete', async () => {
    expect(await failure(bob.send(new GetBucketCorsCommand({ Bucket })))).toEqual(denied);
    expect(
      await failure(bob.send(new PutBucketCorsCommand({ Bucket, CORSConfiguration: { CORSRules: [RULE] } }))),
    ).toEqual(denied);
    expect(await failure(bob.send(new DeleteBucketCorsCommand({ Bucket })))).toEqual(denied);
    const anonymous = await fetch(`${gw.endpoint}/${Bucket}?cors`);
    expect([anonymous.status, codeOf(await anonymous.text())]).toEqual([403, 'AccessDenied']);

    // A policy naming the S3 actions of CORS lets bob in: GetBucketCORS to read, PutBucketCORS to delete.
    const allow = (Action: string) => ({
      Effect: 'Allow',
      Principal: { AWS: ['bob'] },
      Action,
      Resource: `arn:aws:s3:::cors-none`,
    });
    await alice.send(
      new PutBucketPolicyCommand({
        Bucket: 'cors-none',
        Policy: bucketPolicy(allow('s3:GetBucketCORS'), allow('s3:PutBucketCORS')),
      }),
    );
    expect(await failure(bob.send(new GetBucketCorsCommand({ Bucket: 'cors-none' })))).toEqual({
      code: 'NoSuchCORSConfiguration',
      status: 404,
    });
    await bob.send(new DeleteBucketCorsCommand({ Bucket: 'cors-none' }));
    expect((await alice.send(new GetBucketCorsCommand({ Bucket }))).CORSRules).toHaveLength(1);
  });

  it('a preflight is answered without credentials, with the rule’s headers and nothing more', async () => {
    const ok = await preflight(Bucket, 'https://app.example');
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('');
    const names = [...ok.headers.keys()].filter(
      (name) =>
        !['date', 'connection', 'keep-alive', 'content-length', 'x-amz-request-id', 'server'].includes(name),
    );
    expect(names.sort()).toEqual([
      'access-control-allow-credentials',
      'access-control-allow-headers',
      'access-control-allow-methods',
      'access-control-allow-origin',
      'access-control-expose-headers',
      'vary',
    ]);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example');
    // The object stays private to an unsigned GET from that origin (which does get the CORS headers).
    const get = await fetch(`${gw.endpoint}/${Bucket}/secret`, {
      headers: { origin: 'https://app.example' },
    });
    expect([get.status, codeOf(await get.text())]).toEqual([403, 'AccessDenied']);
    expect(get.headers.get('access-control-allow-origin')).toBe('https://app.example');
  });

  it('refused preflights say the same for a missing bucket, one without rules and an unmatched origin', async () => {
    const answers = [];
    for (const [bucket, origin] of [
      ['no-such-bucket', 'https://app.example'],
      ['cors-none', 'https://app.example'],
      [Bucket, 'https://evil.example'],
    ] as const) {
      const res = await preflight(bucket, origin);
      const text = await res.text();
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      answers.push([res.status, codeOf(text)]);
    }
    expect(answers).toEqual([
      [403, 'AccessForbidden'],
      [403, 'AccessForbidden'],
      [403, 'AccessForbidden'],
    ]);
  });
});

describe('a demoted version moved by the key layout while it is being copied', () => {
  let client: S3Client;
  const Bucket = 'vers-race';

  beforeAll(async () => {
    client = gw.clientFor();
    await client.send(new CreateBucketCommand({ Bucket }));
    await client.send(
      new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
  });

  it('an overwrite copies the previous version from where the move put it', async () => {
    const v1 = (await client.send(new PutObjectCommand({ Bucket, Key: 'a', Body: 'first' }))).VersionId;
    // Between the overwrite finding `a` at its path and copying it, a write of `a/b` moves it inside.
    pending = {
      suffix: `${Bucket}/a`,
      before: async () => {
        await client.send(new PutObjectCommand({ Bucket, Key: 'a/b', Body: 'below' }));
      },
    };
    const v2 = (await client.send(new PutObjectCommand({ Bucket, Key: 'a', Body: 'second' }))).VersionId;
    expect(pending).toBeUndefined();
    const body = async (VersionId?: string) =>
      (await client.send(new GetObjectCommand({ Bucket, Key: 'a', VersionId }))).Body!.transformToString();
    expect(await body()).toBe('second');
    expect(await body(v1)).toBe('first');
    expect(await body(v2)).toBe('second');
    expect(await readFile(join(gw.root, Bucket, 'a', '.tierfs-object'), 'utf8')).toBe('second');
  });
});
