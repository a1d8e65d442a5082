/** The S3 gateway against the AWS JS SDK v3: every supported operation and the errors S3 clients rely on. */
import { createHash, createHmac, type Hash, type Hmac, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  DeleteObjectTaggingCommand,
  GetBucketAclCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutBucketAclCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
  type S3ClientConfig,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SourceData } from '@smithy/types';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { withS3Gateway } from './fixture.js';
import { ACCESS_KEY, s3Failure as failure, SECRET_KEY, s3Client, USER } from './harness.js';

const gw = withS3Gateway({ config: { 'tierfs.proxy.s3.domain': 's3.test' } });

const client = (overrides: Partial<S3ClientConfig> = {}) => s3Client(gw, overrides);

let s3: S3Client;

const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex');

async function body(bucket: string, key: string, extra: Record<string, string> = {}): Promise<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...extra }));
  return out.Body!.transformToString();
}

/** Every file and directory under the served root, relative paths (to prove nothing is left behind). */
async function tree(dir = gw.root): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.map(String).sort();
}

beforeAll(() => {
  s3 = gw.clientFor();
});

describe('buckets', () => {
  it('creates, heads, lists and deletes buckets with S3 errors for the failures', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'alpha' }));
    await s3.send(new CreateBucketCommand({ Bucket: 'beta' }));
    await s3.send(new HeadBucketCommand({ Bucket: 'alpha' }));
    const list = await s3.send(new ListBucketsCommand({}));
    expect(list.Buckets?.map((b) => b.Name)).toEqual(['alpha', 'beta']);
    expect(list.Owner?.DisplayName).toBe(USER);
    // Re-creating one's own bucket: 200, as S3 answers in us-east-1 (the region the gateway reports).
    expect((await s3.send(new CreateBucketCommand({ Bucket: 'alpha' }))).$metadata.httpStatusCode).toBe(200);
    expect((await failure(s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' })))).code).toBe(
      'InvalidBucketName',
    );
    expect((await failure(s3.send(new HeadBucketCommand({ Bucket: 'missing' })))).status).toBe(404);
    expect((await failure(s3.send(new ListObjectsV2Command({ Bucket: 'missing' })))).code).toBe(
      'NoSuchBucket',
    );
    await s3.send(new PutObjectCommand({ Bucket: 'beta', Key: 'x', Body: 'x' }));
    expect(await failure(s3.send(new DeleteBucketCommand({ Bucket: 'beta' })))).toEqual({
      code: 'BucketNotEmpty',
      status: 409,
    });
    await s3.send(new DeleteObjectCommand({ Bucket: 'beta', Key: 'x' }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'beta' }));
    expect((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual(['alpha']);
  });

  it('keeps canned bucket ACLs', async () => {
    const acl = await s3.send(new GetBucketAclCommand({ Bucket: 'alpha' }));
    expect(acl.Owner?.ID).toBe(USER);
    expect(acl.Grants).toEqual([
      expect.objectContaining({ Permission: 'FULL_CONTROL', Grantee: expect.objectContaining({ ID: USER }) }),
    ]);
    await s3.send(new PutBucketAclCommand({ Bucket: 'alpha', ACL: 'public-read' }));
    const after = await s3.send(new GetBucketAclCommand({ Bucket: 'alpha' }));
    expect(after.Grants?.map((g) => [g.Grantee?.URI ?? g.Grantee?.ID, g.Permission])).toEqual([
      ['http://acs.amazonaws.com/groups/global/AllUsers', 'READ'],
      [USER, 'FULL_CONTROL'],
    ]);
    await s3.send(new PutBucketAclCommand({ Bucket: 'alpha', ACL: 'private' }));
  });
});

describe('objects', () => {
  const Bucket = 'objects';
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket }));
  });

  it('puts and gets with headers, user metadata and an MD5 ETag', async () => {
    const put = await s3.send(
      new PutObjectCommand({
        Bucket,
        Key: 'docs/readme.txt',
        Body: 'hello tierfs',
        ContentType: 'text/plain; charset=utf-8',
        ContentDisposition: 'attachment; filename="readme.txt"',
        ContentEncoding: 'identity',
        Metadata: { color: 'blue', 'multi-word': 'x y' },
      }),
    );
    expect(put.ETag).toBe(`"${md5('hello tierfs')}"`);
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'docs/readme.txt' }));
    expect(head).toMatchObject({
      ContentLength: 12,
      ContentType: 'text/plain; charset=utf-8',
      ContentDisposition: 'attachment; filename="readme.txt"',
      ContentEncoding: 'identity',
      ETag: put.ETag,
      Metadata: { color: 'blue', 'multi-word': 'x y' },
    });
    expect(await body(Bucket, 'docs/readme.txt')).toBe('hello tierfs');
    const overridden = await s3.send(
      new GetObjectCommand({ Bucket, Key: 'docs/readme.txt', ResponseContentType: 'application/x-test' }),
    );
    expect(overridden.ContentType).toBe('application/x-test');
    await overridden.Body!.transformToString();
    expect((await failure(s3.send(new GetObjectCommand({ Bucket, Key: 'nope' })))).code).toBe('NoSuchKey');
    expect((await failure(s3.send(new HeadObjectCommand({ Bucket, Key: 'nope' })))).status).toBe(404);
  });

  it('serves ranges and refuses a range past the end with InvalidRange', async () => {
    await s3.send(new PutObjectCommand({ Bucket, Key: 'digits', Body: '0123456789' }));
    const part = await s3.send(new GetObjectCommand({ Bucket, Key: 'digits', Range: 'bytes=2-5' }));
    expect(part.ContentRange).toBe('bytes 2-5/10');
    expect(await part.Body!.transformToString()).toBe('2345');
    expect(await body(Bucket, 'digits', { Range: 'bytes=-3' })).toBe('789');
    expect(await body(Bucket, 'digits', { Range: 'bytes=7-' })).toBe('789');
    expect(await body(Bucket, 'digits', { Range: 'bytes=8-100' })).toBe('89');
    expect(
      await failure(s3.send(new GetObjectCommand({ Bucket, Key: 'digits', Range: 'bytes=10-20' }))),
    ).toEqual({
      code: 'InvalidRange',
      status: 416,
    });
  });

  it('a ranged GET with If-Match of a replaced object (same size) is 412 PreconditionFailed', async () => {
    const old = await s3.send(new PutObjectCommand({ Bucket, Key: 'swap', Body: 'abcdefgh' }));
    expect(await body(Bucket, 'swap', { Range: 'bytes=2-4', IfMatch: old.ETag! })).toBe('cde');
    const current = await s3.send(new PutObjectCommand({ Bucket, Key: 'swap', Body: 'ABCDEFGH' }));
    expect(current.ETag).not.toBe(old.ETag);
    expect(
      await failure(
        s3.send(new GetObjectCommand({ Bucket, Key: 'swap', Range: 'bytes=2-4', IfMatch: old.ETag })),
      ),
    ).toEqual({ code: 'PreconditionFailed', status: 412 });
    expect(await body(Bucket, 'swap', { Range: 'bytes=2-4', IfMatch: current.ETag! })).toBe('CDE');
  });

  it('honours If-Match, If-None-Match, If-Modified-Since and If-Unmodified-Since', async () => {
    const { ETag } = await s3.send(new PutObjectCommand({ Bucket, Key: 'cond', Body: 'c' }));
    const past = new Date(Date.now() - 3_600_000);
    const future = new Date(Date.now() + 3_600_000);
    expect(await body(Bucket, 'cond', { IfMatch: ETag! })).toBe('c');
    expect(
      (await failure(s3.send(new GetObjectCommand({ Bucket, Key: 'cond', IfMatch: '"other"' })))).status,
    ).toBe(412);
    expect(
      (await failure(s3.send(new GetObjectCommand({ Bucket, Key: 'cond', IfNoneMatch: ETag })))).status,
    ).toBe(304);
    expect(await body(Bucket, 'cond', { IfNoneMatch: '"other"' })).toBe('c');
    const modified = await s3.send(new GetObjectCommand({ Bucket, Key: 'cond', IfModifiedSince: past }));
    expect(await modified.Body!.transformToString()).toBe('c');
    expect(
      (await failure(s3.send(new GetObjectCommand({ Bucket, Key: 'cond', IfModifiedSince: future })))).status,
    ).toBe(304);
    expect(
      (await failure(s3.send(new GetObjectCommand({ Bucket, Key: 'cond', IfUnmodifiedSince: past })))).status,
    ).toBe(412);
    const unmodified = await s3.send(
      new GetObjectCommand({ Bucket, Key: 'cond', IfUnmodifiedSince: future }),
    );
    expect(await unmodified.Body!.transformToString()).toBe('c');
  });

  it('refuses a Content-MD5 mismatch with BadDigest and leaves nothing', async () => {
    const wrong = createHash('md5').update('something else').digest('base64');
    expect(
      await failure(
        s3.send(new PutObjectCommand({ Bucket, Key: 'bad-digest', Body: 'payload', ContentMD5: wrong })),
      ),
    ).toEqual({ code: 'BadDigest', status: 400 });
    expect((await failure(s3.send(new HeadObjectCommand({ Bucket, Key: 'bad-digest' })))).status).toBe(404);
    expect((await tree()).filter((p) => p.includes('bad-digest') || p.includes('.tierfs-partial'))).toEqual(
      [],
    );
    const right = createHash('md5').update('payload').digest('base64');
    await s3.send(new PutObjectCommand({ Bucket, Key: 'good-digest', Body: 'payload', ContentMD5: right }));
  });

  it('leaves nothing behind when the client disconnects mid-PUT', async () => {
    const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket, Key: 'interrupted' }), {
      expiresIn: 60,
    });
    await new Promise<void>((resolve) => {
      const req = request(url, { method: 'PUT', headers: { 'content-length': 1_000_000 } });
      req.on('error', () => resolve());
      req.write(randomBytes(300_000), async () => {
        // Wait until the store shows the write in progress, then hang up.
        for (let i = 0; i < 100 && !(await tree()).some((p) => p.includes('.tierfs-partial')); i++) {
          await new Promise((r) => setTimeout(r, 20));
        }
        expect((await tree()).some((p) => p.includes('.tierfs-partial'))).toBe(true);
        req.destroy();
      });
      req.on('close', () => resolve());
    });
    const leftovers = async () =>
      (await tree()).filter((p) => p.includes('interrupted') || p.includes('.tierfs-partial'));
    await eventually(async () => (await leftovers()).length === 0, 'the partial upload to be removed');
  });

  it('copies with the COPY and REPLACE metadata directives', async () => {
    await s3.send(
      new PutObjectCommand({
        Bucket,
        Key: 'src',
        Body: 'copy me',
        ContentType: 'text/x-src',
        Metadata: { a: '1' },
      }),
    );
    const copied = await s3.send(
      new CopyObjectCommand({ Bucket, Key: 'dst/one', CopySource: `${Bucket}/src` }),
    );
    expect(copied.CopyObjectResult?.ETag).toBe(`"${md5('copy me')}"`);
    expect(await s3.send(new HeadObjectCommand({ Bucket, Key: 'dst/one' }))).toMatchObject({
      ContentType: 'text/x-src',
      Metadata: { a: '1' },
    });
    await s3.send(
      new CopyObjectCommand({
        Bucket,
        Key: 'dst/two',
        CopySource: `/${Bucket}/src`,
        MetadataDirective: 'REPLACE',
        ContentType: 'text/x-new',
        Metadata: { b: '2' },
      }),
    );
    const two = await s3.send(new HeadObjectCommand({ Bucket, Key: 'dst/two' }));
    expect(two).toMatchObject({ ContentType: 'text/x-new', Metadata: { b: '2' } });
    expect(await body(Bucket, 'dst/two')).toBe('copy me');
    expect(
      (await failure(s3.send(new CopyObjectCommand({ Bucket, Key: 'src', CopySource: `${Bucket}/src` }))))
        .code,
    ).toBe('InvalidRequest');
    await s3.send(
      new CopyObjectCommand({
        Bucket,
        Key: 'src',
        CopySource: `${Bucket}/src`,
        MetadataDirective: 'REPLACE',
        Metadata: { c: '3' },
      }),
    );
    expect((await s3.send(new HeadObjectCommand({ Bucket, Key: 'src' }))).Metadata).toEqual({ c: '3' });
    expect(
      (await failure(s3.send(new CopyObjectCommand({ Bucket, Key: 'x', CopySource: `${Bucket}/none` }))))
        .code,
    ).toBe('NoSuchKey');
  });

  it('tags objects and reports canned object ACLs', async () => {
    await s3.send(
      new PutObjectCommand({
        Bucket,
        Key: 'tagged',
        Body: 't',
        Tagging: 'team=data&tier=hot',
        ACL: 'public-read',
      }),
    );
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket, Key: 'tagged' }));
    expect(tags.TagSet).toEqual([
      { Key: 'team', Value: 'data' },
      { Key: 'tier', Value: 'hot' },
    ]);
    await s3.send(
      new PutObjectTaggingCommand({
        Bucket,
        Key: 'tagged',
        Tagging: { TagSet: [{ Key: 'only', Value: 'one' }] },
      }),
    );
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket, Key: 'tagged' }))).TagSet).toEqual([
      { Key: 'only', Value: 'one' },
    ]);
    await s3.send(new DeleteObjectTaggingCommand({ Bucket, Key: 'tagged' }));
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket, Key: 'tagged' }))).TagSet).toEqual([]);
    const acl = await s3.send(new GetObjectAclCommand({ Bucket, Key: 'tagged' }));
    expect(acl.Grants?.map((g) => g.Permission)).toEqual(['READ', 'FULL_CONTROL']);
  });

  it('deletes one and many objects', async () => {
    for (const Key of ['del/a', 'del/b', 'del/c'])
      await s3.send(new PutObjectCommand({ Bucket, Key, Body: Key }));
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'del/a' }));
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'del/never-existed' }));
    const out = await s3.send(
      new DeleteObjectsCommand({
        Bucket,
        Delete: { Objects: [{ Key: 'del/b' }, { Key: 'del/c' }, { Key: 'del/../x' }] },
      }),
    );
    expect(out.Deleted?.map((d) => d.Key).sort()).toEqual(['del/b', 'del/c']);
    expect(out.Errors?.map((e) => [e.Key, e.Code])).toEqual([['del/../x', 'InvalidArgument']]);
    const left = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'del/' }));
    expect(left.KeyCount).toBe(0);
    expect((await tree()).filter((p) => p.startsWith(join('objects', 'del')))).toEqual([]);
  });

  it('refuses keys that are unsafe as paths, and nothing escapes the root', async () => {
    for (const Key of ['a/../../escape', '../escape', 'a//b', './a', 'a/./b']) {
      expect((await failure(s3.send(new PutObjectCommand({ Bucket, Key, Body: 'x' })))).code).toBe(
        'InvalidArgument',
      );
    }
    expect((await tree(join(gw.root, '..'))).filter((p) => p.includes('escape'))).toEqual([]);
  });

  it('serves objects written to the store by others, with a fingerprint ETag', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(gw.root, Bucket, 'foreign.bin'), 'from outside');
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'foreign.bin' }));
    expect(head.ContentLength).toBe(12);
    expect(head.ETag).toMatch(/^"[0-9a-f]{32}-1"$/);
    expect(await body(Bucket, 'foreign.bin')).toBe('from outside');
    // Overwritten by someone else: the recorded MD5 no longer applies.
    await s3.send(new PutObjectCommand({ Bucket, Key: 'changed', Body: 'v1' }));
    await writeFile(join(gw.root, Bucket, 'changed'), 'version two');
    expect((await s3.send(new HeadObjectCommand({ Bucket, Key: 'changed' }))).ETag).not.toBe(
      `"${md5('v1')}"`,
    );
  });
});

describe('listings', () => {
  const Bucket = 'listing';
  const keys = ['a.txt', 'b/1', 'b/2', 'b/c/3', 'b+c', 'd e/f', 'z', 'é'];
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket }));
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket, Key, Body: Key }));
    await s3.send(new PutObjectCommand({ Bucket, Key: 'm/', Body: '' }));
  });

  it('lists everything in key order without a delimiter, with directory markers as keys', async () => {
    const out = await s3.send(new ListObjectsV2Command({ Bucket }));
    expect(out.Contents?.map((c) => c.Key)).toEqual([
      'a.txt',
      'b+c',
      'b/1',
      'b/2',
      'b/c/3',
      'd e/f',
      'm/',
      'z',
      'é',
    ]);
    expect(out.Contents?.find((c) => c.Key === 'm/')).toMatchObject({ Size: 0, ETag: `"${md5('')}"` });
    expect(out.KeyCount).toBe(9);
    expect(out.IsTruncated).toBe(false);
  });

  it('rolls directories up into common prefixes with a delimiter', async () => {
    const top = await s3.send(new ListObjectsV2Command({ Bucket, Delimiter: '/' }));
    expect(top.Contents?.map((c) => c.Key)).toEqual(['a.txt', 'b+c', 'z', 'é']);
    expect(top.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['b/', 'd e/', 'm/']);
    const b = await s3.send(new ListObjectsV2Command({ Bucket, Delimiter: '/', Prefix: 'b/' }));
    expect(b.Contents?.map((c) => c.Key)).toEqual(['b/1', 'b/2']);
    expect(b.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['b/c/']);
    const marker = await s3.send(new ListObjectsV2Command({ Bucket, Delimiter: '/', Prefix: 'm/' }));
    expect(marker.Contents?.map((c) => c.Key)).toEqual(['m/']);
    const partial = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'b/c' }));
    expect(partial.Contents?.map((c) => c.Key)).toEqual(['b/c/3']);
  });

  it('pages with max-keys and continuation tokens (v2), start-after, and markers (v1)', async () => {
    const seen: string[] = [];
    let ContinuationToken: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket, MaxKeys: 2, ContinuationToken }));
      expect(page.KeyCount).toBeLessThanOrEqual(2);
      seen.push(...(page.Contents ?? []).map((c) => c.Key!));
      ContinuationToken = page.NextContinuationToken;
    } while (ContinuationToken);
    expect(seen).toEqual(['a.txt', 'b+c', 'b/1', 'b/2', 'b/c/3', 'd e/f', 'm/', 'z', 'é']);
    const after = await s3.send(new ListObjectsV2Command({ Bucket, StartAfter: 'b/2' }));
    expect(after.Contents?.map((c) => c.Key)).toEqual(['b/c/3', 'd e/f', 'm/', 'z', 'é']);
    const v1 = await s3.send(new ListObjectsCommand({ Bucket, MaxKeys: 3, Delimiter: '/' }));
    expect(v1.Contents?.map((c) => c.Key)).toEqual(['a.txt', 'b+c']);
    expect(v1.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['b/']);
    expect(v1.IsTruncated).toBe(true);
    expect(v1.NextMarker).toBe('b/');
    const v1next = await s3.send(new ListObjectsCommand({ Bucket, Delimiter: '/', Marker: v1.NextMarker }));
    expect(v1next.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['d e/', 'm/']);
    expect(v1next.Contents?.map((c) => c.Key)).toEqual(['z', 'é']);
  });

  it('URL-encodes names with encoding-type=url', async () => {
    const out = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'd', EncodingType: 'url' }));
    // SDK v3 hands url-encoded keys back as sent.
    expect(out.Contents?.map((c) => c.Key)).toEqual(['d%20e/f']);
    expect(out.EncodingType).toBe('url');
    const raw = await fetch(
      await getSignedUrl(s3, new ListObjectsV2Command({ Bucket, EncodingType: 'url' })),
    );
    const text = await raw.text();
    expect(text).toContain('<Key>d%20e/f</Key>');
    expect(text).toContain('<Key>%C3%A9</Key>');
  });

  it('a zero-byte PUT of dir/ creates the directory; deleting the marker removes it when empty', async () => {
    await s3.send(new PutObjectCommand({ Bucket, Key: 'empty/', Body: '' }));
    expect((await tree()).includes(join(Bucket, 'empty'))).toBe(true);
    expect((await s3.send(new HeadObjectCommand({ Bucket, Key: 'empty/' }))).ContentLength).toBe(0);
    await s3.send(new PutObjectCommand({ Bucket, Key: 'full/', Body: 'data' }));
    expect((await s3.send(new HeadObjectCommand({ Bucket, Key: 'full/' }))).ContentLength).toBe(4);
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'empty/' }));
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'full/' }));
    expect((await tree()).includes(join(Bucket, 'empty'))).toBe(false);
    expect((await tree()).includes(join(Bucket, 'full'))).toBe(false);
  });
});

describe('multipart uploads', () => {
  const Bucket = 'multi';
  const MiB = 1024 * 1024;
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket }));
  });

  it('uploads, lists and completes parts with an md5-of-md5s ETag', async () => {
    const part1 = randomBytes(5 * MiB);
    const part2 = randomBytes(1234);
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({
        Bucket,
        Key: 'big.bin',
        ContentType: 'application/x-big',
        Metadata: { k: 'v' },
      }),
    );
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket }));
    expect(uploads.Uploads?.map((u) => [u.Key, u.UploadId])).toEqual([['big.bin', UploadId]]);
    const e1 = await s3.send(
      new UploadPartCommand({ Bucket, Key: 'big.bin', UploadId, PartNumber: 1, Body: part1 }),
    );
    const e2 = await s3.send(
      new UploadPartCommand({ Bucket, Key: 'big.bin', UploadId, PartNumber: 2, Body: part2 }),
    );
    expect(e1.ETag).toBe(`"${md5(part1)}"`);
    const parts = await s3.send(new ListPartsCommand({ Bucket, Key: 'big.bin', UploadId }));
    expect(parts.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag])).toEqual([
      [1, 5 * MiB, e1.ETag],
      [2, 1234, e2.ETag],
    ]);
    expect((await failure(s3.send(new HeadObjectCommand({ Bucket, Key: 'big.bin' })))).status).toBe(404);
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key: 'big.bin',
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: e1.ETag },
            { PartNumber: 2, ETag: e2.ETag },
          ],
        },
      }),
    );
    const expected = createHash('md5')
      .update(Buffer.concat([Buffer.from(md5(part1), 'hex'), Buffer.from(md5(part2), 'hex')]))
      .digest('hex');
    expect(done.ETag).toBe(`"${expected}-2"`);
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'big.bin' }));
    expect(head).toMatchObject({
      ContentLength: 5 * MiB + 1234,
      ContentType: 'application/x-big',
      Metadata: { k: 'v' },
    });
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'big.bin' }));
    expect(md5(Buffer.from(await got.Body!.transformToByteArray()))).toBe(md5(Buffer.concat([part1, part2])));
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket }))).Uploads ?? []).toEqual([]);
    expect(await readdir(join(gw.stateDir, 'multipart'))).toEqual([]);
  });

  it('refuses small parts, wrong ETags, unordered parts and unknown uploads', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'bad.bin' }));
    const e1 = await s3.send(
      new UploadPartCommand({ Bucket, Key: 'bad.bin', UploadId, PartNumber: 1, Body: 'tiny' }),
    );
    const e2 = await s3.send(
      new UploadPartCommand({ Bucket, Key: 'bad.bin', UploadId, PartNumber: 2, Body: 'tail' }),
    );
    const complete = (Parts: { PartNumber: number; ETag?: string }[]) =>
      failure(
        s3.send(
          new CompleteMultipartUploadCommand({
            Bucket,
            Key: 'bad.bin',
            UploadId,
            MultipartUpload: { Parts },
          }),
        ),
      );
    expect(
      await complete([
        { PartNumber: 1, ETag: e1.ETag },
        { PartNumber: 2, ETag: e2.ETag },
      ]),
    ).toEqual({ code: 'EntityTooSmall', status: 400 });
    expect((await complete([{ PartNumber: 1, ETag: '"0123456789abcdef0123456789abcdef"' }])).code).toBe(
      'InvalidPart',
    );
    expect((await complete([{ PartNumber: 3, ETag: e1.ETag }])).code).toBe('InvalidPart');
    expect(
      (
        await complete([
          { PartNumber: 2, ETag: e2.ETag },
          { PartNumber: 1, ETag: e1.ETag },
        ])
      ).code,
    ).toBe('InvalidPartOrder');
    await s3.send(new AbortMultipartUploadCommand({ Bucket, Key: 'bad.bin', UploadId }));
    expect((await failure(s3.send(new ListPartsCommand({ Bucket, Key: 'bad.bin', UploadId })))).code).toBe(
      'NoSuchUpload',
    );
    expect(
      (
        await failure(
          s3.send(
            new UploadPartCommand({
              Bucket,
              Key: 'bad.bin',
              UploadId: 'f'.repeat(32),
              PartNumber: 1,
              Body: 'x',
            }),
          ),
        )
      ).code,
    ).toBe('NoSuchUpload');
    expect((await failure(s3.send(new HeadObjectCommand({ Bucket, Key: 'bad.bin' })))).status).toBe(404);
  });

  it('copies parts from existing objects with UploadPartCopy', async () => {
    const source = randomBytes(6 * MiB);
    await s3.send(new PutObjectCommand({ Bucket, Key: 'source.bin', Body: source }));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'assembled.bin' }));
    const p1 = await s3.send(
      new UploadPartCopyCommand({
        Bucket,
        Key: 'assembled.bin',
        UploadId,
        PartNumber: 1,
        CopySource: `${Bucket}/source.bin`,
      }),
    );
    const p2 = await s3.send(
      new UploadPartCopyCommand({
        Bucket,
        Key: 'assembled.bin',
        UploadId,
        PartNumber: 2,
        CopySource: `${Bucket}/source.bin`,
        CopySourceRange: 'bytes=0-99',
      }),
    );
    expect(p2.CopyPartResult?.ETag).toBe(`"${md5(source.subarray(0, 100))}"`);
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key: 'assembled.bin',
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: p1.CopyPartResult?.ETag },
            { PartNumber: 2, ETag: p2.CopyPartResult?.ETag },
          ],
        },
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'assembled.bin' }));
    expect(md5(Buffer.from(await got.Body!.transformToByteArray()))).toBe(
      md5(Buffer.concat([source, source.subarray(0, 100)])),
    );
  });

  it('lib-storage uploads 20 MiB in 5 MiB parts', async () => {
    const data = randomBytes(20 * MiB);
    const upload = new Upload({
      client: s3,
      params: {
        Bucket,
        Key: 'lib-storage.bin',
        Body: Readable.from([data.subarray(0, 7 * MiB), data.subarray(7 * MiB)]),
      },
      partSize: 5 * MiB,
      queueSize: 4,
    });
    const out = await upload.done();
    expect(out.ETag).toMatch(/-4"$/);
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'lib-storage.bin' }));
    expect(head.ContentLength).toBe(20 * MiB);
    const got = await s3.send(
      new GetObjectCommand({ Bucket, Key: 'lib-storage.bin', Range: `bytes=${19 * MiB}-` }),
    );
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(data.subarray(19 * MiB))).toBe(true);
  });
});

describe('authentication', () => {
  const Bucket = 'auth';
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket }));
    await s3.send(new PutObjectCommand({ Bucket, Key: 'secret.txt', Body: 'classified' }));
  });

  it('refuses a wrong secret, an unknown key, a skewed clock and anonymous requests', async () => {
    const wrongSecret = client({
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: 'not-the-secret' },
    });
    expect(await failure(wrongSecret.send(new ListBucketsCommand({})))).toEqual({
      code: 'SignatureDoesNotMatch',
      status: 403,
    });
    const unknown = client({ credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: SECRET_KEY } });
    expect(await failure(unknown.send(new ListBucketsCommand({})))).toEqual({
      code: 'InvalidAccessKeyId',
      status: 403,
    });
    const skewed = client({ systemClockOffset: 60 * 60 * 1000 });
    expect(await failure(skewed.send(new ListBucketsCommand({})))).toEqual({
      code: 'RequestTimeTooSkewed',
      status: 403,
    });
    const anonymous = await fetch(`${gw.endpoint}/${Bucket}/secret.txt`);
    expect(anonymous.status).toBe(403);
    const text = await anonymous.text();
    expect(text).toContain('<Code>AccessDenied</Code>');
    for (const c of [wrongSecret, unknown, skewed]) c.destroy();
  });

  it('never puts the secret in a response', async () => {
    const wrongSecret = client({
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: 'not-the-secret' },
    });
    const url = await getSignedUrl(wrongSecret, new GetObjectCommand({ Bucket, Key: 'secret.txt' }));
    const text = await (await fetch(url)).text();
    expect(text).toContain('SignatureDoesNotMatch');
    expect(text).not.toContain(SECRET_KEY);
    expect(text).not.toContain('not-the-secret');
    wrongSecret.destroy();
  });

  it('accepts presigned GET and PUT URLs and refuses tampered or expired ones', async () => {
    const get = await getSignedUrl(s3, new GetObjectCommand({ Bucket, Key: 'secret.txt' }), {
      expiresIn: 60,
    });
    expect(await (await fetch(get)).text()).toBe('classified');
    const put = await getSignedUrl(s3, new PutObjectCommand({ Bucket, Key: 'presigned.txt' }), {
      expiresIn: 60,
    });
    expect((await fetch(put, { method: 'PUT', body: 'uploaded by URL' })).status).toBe(200);
    expect(await body(Bucket, 'presigned.txt')).toBe('uploaded by URL');
    const tampered = get.replace('secret.txt', 'presigned.txt');
    expect((await fetch(tampered)).status).toBe(403);
    const expired = await getSignedUrl(s3, new GetObjectCommand({ Bucket, Key: 'secret.txt' }), {
      expiresIn: 60,
      signingDate: new Date(Date.now() - 3_600_000),
    });
    const response = await fetch(expired);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('expired');
  });

  it('accepts a signed aws-chunked (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) PUT and rejects a tampered chunk', async () => {
    const signer = new SignatureV4({
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
      region: 'us-east-1',
      service: 's3',
      sha256: NodeSha256,
      uriEscapePath: false,
    });
    const chunks = [randomBytes(65536), randomBytes(65536), randomBytes(1000)];
    const send = async (key: string, tamper: boolean) => {
      const { status, text } = await chunkedPut(signer, key, chunks, tamper ? 'chunk' : 'none');
      return { status, text };
    };
    const ok = await send('chunked.bin', false);
    expect(ok.status).toBe(200);
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'chunked.bin' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat(chunks))).toBe(true);
    const bad = await send('tampered.bin', true);
    expect(bad.status).toBe(403);
    expect(bad.text).toContain('SignatureDoesNotMatch');
    expect((await failure(s3.send(new HeadObjectCommand({ Bucket, Key: 'tampered.bin' })))).status).toBe(404);
    expect((await tree()).filter((p) => p.includes('tampered') || p.includes('.tierfs-partial'))).toEqual([]);
  });

  it('checks the x-amz-trailer-signature of a STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER PUT', async () => {
    const signer = new SignatureV4({
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
      region: 'us-east-1',
      service: 's3',
      sha256: NodeSha256,
      uriEscapePath: false,
    });
    const chunks = [randomBytes(65536), randomBytes(1000)];
    const ok = await chunkedPut(signer, 'trailer-ok.bin', chunks, 'none', true);
    expect(ok).toMatchObject({ status: 200 });
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'trailer-ok.bin' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat(chunks))).toBe(true);
    const refusals = {
      // The right checksum, a wrong trailer signature (unchecked, this was stored).
      'trailer-signature':
        'The x-amz-trailer-signature of an aws-chunked body does not match its trailing headers',
      // The checksum in the trailer changed on the way: its signature no longer covers it.
      'trailer-value':
        'The x-amz-trailer-signature of an aws-chunked body does not match its trailing headers',
      'no-trailer-signature': 'have no x-amz-trailer-signature',
    } as const;
    for (const [spoil, message] of Object.entries(refusals)) {
      const key = `trailer-${spoil}.bin`;
      const bad = await chunkedPut(signer, key, chunks, spoil as Spoil, true);
      expect({ spoil, status: bad.status }).toEqual({ spoil, status: 403 });
      expect(bad.text).toContain('<Code>SignatureDoesNotMatch</Code>');
      expect(bad.text).toContain(message);
      expect((await failure(s3.send(new HeadObjectCommand({ Bucket, Key: key })))).status).toBe(404);
    }
    expect((await tree()).filter((p) => p.includes('trailer-') && !p.includes('trailer-ok'))).toEqual([]);
  });
});

describe('addressing', () => {
  it('serves virtual-hosted-style requests (<bucket>.<domain>)', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'vhost' }));
    // Every *.s3.test name resolves to the gateway.
    const agent = new Agent({
      lookup: (_host, options, callback) => {
        if ((options as { all?: boolean }).all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
        else (callback as (e: null, a: string, f: number) => void)(null, '127.0.0.1', 4);
      },
    });
    const { NodeHttpHandler } = await import('@smithy/node-http-handler');
    const vhost = client({
      endpoint: `http://s3.test:${gw.port}`,
      forcePathStyle: false,
      requestHandler: new NodeHttpHandler({ httpAgent: agent }),
    });
    await vhost.send(new PutObjectCommand({ Bucket: 'vhost', Key: 'dir/v.txt', Body: 'virtual' }));
    const out = await vhost.send(new GetObjectCommand({ Bucket: 'vhost', Key: 'dir/v.txt' }));
    expect(await out.Body!.transformToString()).toBe('virtual');
    expect(
      (await vhost.send(new ListObjectsV2Command({ Bucket: 'vhost' }))).Contents?.map((c) => c.Key),
    ).toEqual(['dir/v.txt']);
    expect(await body('vhost', 'dir/v.txt')).toBe('virtual');
    vhost.destroy();
  });
});

/** A SHA-256 (or HMAC-SHA-256 when given a secret) for the SDK's signer, on node:crypto. */
class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(toBytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
}

function toBytes(data: SourceData): Uint8Array | string {
  if (typeof data === 'string' || data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** How a chunked PUT is spoiled: a changed data byte, a trailer checksum or trailer signature changed. */
type Spoil = 'none' | 'chunk' | 'trailer-value' | 'trailer-signature' | 'no-trailer-signature';

/**
 * Sends a PUT with an aws-chunked body signed chunk by chunk: the seed request is signed by the
 * SDK's SignatureV4 with x-amz-content-sha256 STREAMING-AWS4-HMAC-SHA256-PAYLOAD (or -TRAILER), each
 * chunk with its event signer (the same chained AWS4-HMAC-SHA256-PAYLOAD string to sign). With
 * `trailer`, an x-amz-checksum-crc32 trailing header follows, signed by hand as AWS documents it
 * ("AWS4-HMAC-SHA256-TRAILER", date, scope, the final chunk's signature, SHA-256 of the
 * `name:value\n` trailer lines): the SDK for JavaScript never sends signed trailers itself.
 */
async function chunkedPut(
  signer: SignatureV4,
  key: string,
  chunks: Buffer[],
  spoil: Spoil,
  trailer = false,
): Promise<{ status: number; text: string }> {
  const signingDate = new Date();
  const framed = (size: number, signature: string) => `${size.toString(16)};chunk-signature=${signature}\r\n`;
  const decodedLength = chunks.reduce((n, c) => n + c.length, 0);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat(chunks)));
  const checksum = spoil === 'trailer-value' ? 'AAAAAA==' : crc.toString('base64');
  const trailerLines = `x-amz-checksum-crc32:${checksum}\r\n`;
  const signatureLine = (sig: string) =>
    spoil === 'no-trailer-signature' ? '' : `x-amz-trailer-signature:${sig}\r\n`;
  // Body length: every chunk's header, data and CRLF, then the final empty chunk and the trailer.
  const sigLength = 64;
  const encodedLength =
    chunks.reduce((n, c) => n + framed(c.length, 'x'.repeat(sigLength)).length + c.length + 2, 0) +
    framed(0, 'x'.repeat(sigLength)).length +
    (trailer ? trailerLines.length + signatureLine('x'.repeat(sigLength)).length : 0) +
    2;
  const signed = await signer.sign(
    {
      method: 'PUT',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: gw.port,
      path: `/auth/${key}`,
      query: {},
      headers: {
        host: `127.0.0.1:${gw.port}`,
        'content-encoding': 'aws-chunked',
        'content-length': String(encodedLength),
        'x-amz-decoded-content-length': String(decodedLength),
        'x-amz-content-sha256': trailer
          ? 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER'
          : 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        ...(trailer ? { 'x-amz-trailer': 'x-amz-checksum-crc32' } : {}),
      },
    },
    { signingDate },
  );
  const seed = /Signature=([0-9a-f]{64})/.exec(signed.headers.authorization!)![1]!;
  const parts: Buffer[] = [];
  let previous = seed;
  for (const [index, chunk] of [...chunks, Buffer.alloc(0)].entries()) {
    const signature = await signer.sign(
      { headers: new Uint8Array(0), payload: chunk },
      { signingDate, priorSignature: previous },
    );
    const data = spoil === 'chunk' && index === 1 ? Buffer.from(chunk).fill(7, 0, 10) : chunk;
    parts.push(Buffer.from(framed(chunk.length, signature)), data);
    if (chunk.length > 0 || !trailer) parts.push(Buffer.from('\r\n'));
    previous = signature;
  }
  if (trailer) {
    const amzDate = signed.headers['x-amz-date']!;
    const scope = `${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`;
    const hmac = (key: Buffer | string, text: string) => createHmac('sha256', key).update(text).digest();
    const signingKey = ['us-east-1', 's3', 'aws4_request'].reduce(
      (k, part) => hmac(k, part),
      hmac(`AWS4${SECRET_KEY}`, amzDate.slice(0, 8)),
    );
    // The signature covers the trailer as sent (the right checksum unless 'trailer-value' changes it after).
    const signedLines = `x-amz-checksum-crc32:${crc.toString('base64')}\n`;
    const stringToSign = [
      'AWS4-HMAC-SHA256-TRAILER',
      amzDate,
      scope,
      previous,
      createHash('sha256').update(signedLines).digest('hex'),
    ].join('\n');
    let signature = hmac(signingKey, stringToSign).toString('hex');
    if (spoil === 'trailer-signature')
      signature = `${signature.slice(0, 63)}${signature.endsWith('0') ? '1' : '0'}`;
    parts.push(Buffer.from(trailerLines + signatureLine(signature) + '\r\n'));
  }
  const payload = Buffer.concat(parts);
  expect(payload.length).toBe(encodedLength);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: gw.port, method: 'PUT', path: `/auth/${key}`, headers: signed.headers },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
