/**
 * Server-side encryption. SSE-C: the gateway encrypts with the client's key before storing and
 * keeps no key nor key MD5 (only a salted HMAC); reads need the same key, ranges and parts work,
 * copies re-encrypt. SSE-KMS is 501 NotImplemented; SSE-S3 (`AES256`) is taken.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { withS3Gateway } from './fixture.js';
import { bucketPolicy, s3Refusal as failure } from './harness.js';
import { minioClient } from './minio-client.js';

const Bucket = 'encrypted';
const gw = withS3Gateway({
  buckets: [Bucket, 'enforced'],
  config: { 'tierfs.proxy.s3.complete.multipart.upload.min.part.size': '4' },
});
let s3: S3Client;
beforeAll(() => {
  s3 = gw.clientFor();
});

function sseC(key: Buffer) {
  return {
    SSECustomerAlgorithm: 'AES256',
    SSECustomerKey: key.toString('base64'),
    SSECustomerKeyMD5: createHash('md5').update(key).digest('base64'),
  };
}
function copySourceSseC(key: Buffer) {
  const { SSECustomerAlgorithm, SSECustomerKey, SSECustomerKeyMD5 } = sseC(key);
  return {
    CopySourceSSECustomerAlgorithm: SSECustomerAlgorithm,
    CopySourceSSECustomerKey: SSECustomerKey,
    CopySourceSSECustomerKeyMD5: SSECustomerKeyMD5,
  };
}
const key = randomBytes(32);
const otherKey = randomBytes(32);
const SSE_C = sseC(key);

/** Every file below `dir`, with its bytes. */
async function filesBelow(dir: string): Promise<{ path: string; bytes: Buffer }[]> {
  const out: { path: string; bytes: Buffer }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out.push({ path, bytes: await readFile(path) });
  }
  return out;
}

/** Paths of files below the gateway's root and state directory holding `needle`. */
async function filesHolding(needle: Buffer): Promise<string[]> {
  const files = [...(await filesBelow(gw.root)), ...(await filesBelow(gw.stateDir))];
  return files.filter((file) => file.bytes.includes(needle)).map((file) => file.path);
}

async function text(Key: string, options: Record<string, unknown> = SSE_C): Promise<string> {
  const got = await s3.send(new GetObjectCommand({ Bucket, Key, ...options }));
  return got.Body!.transformToString();
}

describe('S3 gateway: SSE-C (customer-provided keys)', () => {
  it('stores ciphertext, keeps neither the key nor its MD5, and answers the plaintext to the key', async () => {
    const plain = `${'secret payload '.repeat(200)}${randomBytes(8).toString('hex')}`;
    const put = await s3.send(new PutObjectCommand({ Bucket, Key: 'secret', Body: plain, ...SSE_C }));
    expect(put.SSECustomerAlgorithm).toBe('AES256');
    expect(put.SSECustomerKeyMD5).toBe(SSE_C.SSECustomerKeyMD5);
    expect(put.ETag).not.toBe(`"${createHash('md5').update(plain).digest('hex')}"`);

    const stored = await readFile(join(gw.root, Bucket, 'secret'));
    expect(stored.length).toBe(plain.length);
    expect(stored.equals(Buffer.from(plain))).toBe(false);
    expect(stored.includes(Buffer.from('secret payload'))).toBe(false);
    // Neither the key nor its MD5 (raw, base64 or hex) is anywhere on the gateway's disks.
    for (const needle of [key, Buffer.from(SSE_C.SSECustomerKey), Buffer.from(key.toString('hex'))]) {
      expect(await filesHolding(needle)).toEqual([]);
    }
    const md5 = createHash('md5').update(key).digest();
    for (const needle of [md5, Buffer.from(SSE_C.SSECustomerKeyMD5), Buffer.from(md5.toString('hex'))]) {
      expect(await filesHolding(needle)).toEqual([]);
    }

    const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'secret', ...SSE_C }));
    expect(got.SSECustomerAlgorithm).toBe('AES256');
    expect(got.SSECustomerKeyMD5).toBe(SSE_C.SSECustomerKeyMD5);
    expect(got.ContentLength).toBe(plain.length);
    expect(await got.Body!.transformToString()).toBe(plain);
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'secret', ...SSE_C }));
    expect(head.ContentLength).toBe(plain.length);
    expect(head.SSECustomerKeyMD5).toBe(SSE_C.SSECustomerKeyMD5);

    // Ranges at unaligned offsets decrypt from the right point of the key stream.
    for (const [first, last] of [
      [0, 0],
      [17, 1000],
      [15, 16],
      [plain.length - 33, plain.length - 1],
    ] as const) {
      const ranged = await s3.send(
        new GetObjectCommand({ Bucket, Key: 'secret', Range: `bytes=${first}-${last}`, ...SSE_C }),
      );
      expect(await ranged.Body!.transformToString()).toBe(plain.slice(first, last + 1));
    }
  });

  it('a read without the key is 400, with another key 403, and SSE-C on a plain object 400', async () => {
    await s3.send(new PutObjectCommand({ Bucket, Key: 'locked', Body: 'locked bytes', ...SSE_C }));
    for (const command of [
      new GetObjectCommand({ Bucket, Key: 'locked' }),
      new HeadObjectCommand({ Bucket, Key: 'locked' }),
    ]) {
      // biome-ignore lint/suspicious/noExplicitAny: two command types through one send
      expect((await failure(s3.send(command as any))).status).toBe(400);
    }
    const missing = await failure(s3.send(new GetObjectCommand({ Bucket, Key: 'locked' })));
    expect(missing).toMatchObject({ code: 'InvalidRequest', status: 400 });
    expect(missing.message).toContain('Server Side Encryption');

    const wrong = await failure(s3.send(new GetObjectCommand({ Bucket, Key: 'locked', ...sseC(otherKey) })));
    expect(wrong).toMatchObject({ code: 'AccessDenied', status: 403 });
    expect(
      (await failure(s3.send(new HeadObjectCommand({ Bucket, Key: 'locked', ...sseC(otherKey) })))).status,
    ).toBe(403);

    await s3.send(new PutObjectCommand({ Bucket, Key: 'open', Body: 'open bytes' }));
    const onPlain = await failure(s3.send(new GetObjectCommand({ Bucket, Key: 'open', ...SSE_C })));
    expect(onPlain).toMatchObject({ code: 'InvalidRequest', status: 400 });
    expect(await text('open', {})).toBe('open bytes');
  });

  it('malformed key headers are 400 InvalidArgument naming the header, without the key, storing nothing', async () => {
    const shortKey = randomBytes(16);
    const cases = [
      { ...SSE_C, SSECustomerKeyMD5: createHash('md5').update(otherKey).digest('base64') },
      { ...sseC(shortKey) },
      { ...SSE_C, SSECustomerAlgorithm: 'AES192' },
    ];
    for (const headers of cases) {
      const command = new PutObjectCommand({ Bucket, Key: 'bad', Body: 'x' });
      // The SDK would compute the key MD5 itself: these headers go as written.
      command.middlewareStack.add(
        (next) => async (args) => {
          const request = args.request as { headers: Record<string, string> };
          request.headers['x-amz-server-side-encryption-customer-algorithm'] = headers.SSECustomerAlgorithm;
          request.headers['x-amz-server-side-encryption-customer-key'] = headers.SSECustomerKey;
          request.headers['x-amz-server-side-encryption-customer-key-md5'] = headers.SSECustomerKeyMD5;
          return next(args);
        },
        { step: 'build' },
      );
      const refused = await failure(s3.send(command));
      expect(refused).toMatchObject({ code: 'InvalidArgument', status: 400 });
      expect(refused.message).toMatch(/x-amz-server-side-encryption-customer-(key|algorithm)/);
      expect(refused.message).not.toContain(headers.SSECustomerKey);
    }
    expect((await failure(s3.send(new HeadObjectCommand({ Bucket, Key: 'bad' })))).status).toBe(404);
  });

  it('multipart: parts are encrypted as they are staged, each must give the upload key; whole, range and part reads', async () => {
    const parts = ['first part: ', 'the second, longer part ', randomBytes(6).toString('hex')];
    const plain = parts.join('');
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'mp', ...SSE_C }));
    const without = await failure(
      s3.send(new UploadPartCommand({ Bucket, Key: 'mp', UploadId, PartNumber: 1, Body: parts[0] })),
    );
    expect(without).toMatchObject({ code: 'InvalidRequest', status: 400 });
    const another = await failure(
      s3.send(
        new UploadPartCommand({
          Bucket,
          Key: 'mp',
          UploadId,
          PartNumber: 1,
          Body: parts[0],
          ...sseC(otherKey),
        }),
      ),
    );
    expect(another).toMatchObject({ code: 'InvalidArgument', status: 400 });
    const etags: string[] = [];
    for (const [index, body] of parts.entries()) {
      const part = await s3.send(
        new UploadPartCommand({ Bucket, Key: 'mp', UploadId, PartNumber: index + 1, Body: body, ...SSE_C }),
      );
      etags.push(part.ETag!);
    }
    // A part's ETag is no MD5 of its plaintext, but the same bytes sent again keep it.
    expect(etags[1]).not.toBe(`"${createHash('md5').update(parts[1]!).digest('hex')}"`);
    const again = await s3.send(
      new UploadPartCommand({ Bucket, Key: 'mp', UploadId, PartNumber: 2, Body: parts[1], ...SSE_C }),
    );
    expect(again.ETag).toBe(etags[1]);
    // Staged parts are ciphertext too: no plaintext on the gateway's disk.
    expect(await filesHolding(Buffer.from('the second, longer part'))).toEqual([]);
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key: 'mp',
        UploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
    expect(await filesHolding(Buffer.from('the second, longer part'))).toEqual([]);
    expect(await text('mp')).toBe(plain);
    const across = await s3.send(
      new GetObjectCommand({ Bucket, Key: 'mp', Range: `bytes=5-${parts[0]!.length + 9}`, ...SSE_C }),
    );
    expect(await across.Body!.transformToString()).toBe(plain.slice(5, parts[0]!.length + 10));
    const second = await s3.send(new GetObjectCommand({ Bucket, Key: 'mp', PartNumber: 2, ...SSE_C }));
    expect(second.PartsCount).toBe(3);
    expect(await second.Body!.transformToString()).toBe(parts[1]);
    expect((await failure(s3.send(new GetObjectCommand({ Bucket, Key: 'mp' })))).status).toBe(400);
  });

  it('copies decrypt with the copy-source key and encrypt with the destination key (or none)', async () => {
    const plain = `copied ${randomBytes(8).toString('hex')}`;
    await s3.send(new PutObjectCommand({ Bucket, Key: 'source', Body: plain, ...SSE_C }));
    const noSourceKey = await failure(
      s3.send(new CopyObjectCommand({ Bucket, Key: 'copy', CopySource: `${Bucket}/source` })),
    );
    expect(noSourceKey).toMatchObject({ code: 'InvalidRequest', status: 400 });

    const otherHeaders = sseC(otherKey);
    const copied = await s3.send(
      new CopyObjectCommand({
        Bucket,
        Key: 'copy',
        CopySource: `${Bucket}/source`,
        ...copySourceSseC(key),
        ...otherHeaders,
      }),
    );
    expect(copied.SSECustomerKeyMD5).toBe(otherHeaders.SSECustomerKeyMD5);
    expect(await text('copy', otherHeaders)).toBe(plain);
    expect((await failure(s3.send(new GetObjectCommand({ Bucket, Key: 'copy', ...SSE_C })))).status).toBe(
      403,
    );

    await s3.send(
      new CopyObjectCommand({
        Bucket,
        Key: 'decrypted',
        CopySource: `${Bucket}/source`,
        ...copySourceSseC(key),
      }),
    );
    expect(await text('decrypted', {})).toBe(plain);
    expect((await readFile(join(gw.root, Bucket, 'decrypted'))).toString()).toBe(plain);

    // Onto itself with a new key: a key rotation.
    await s3.send(
      new CopyObjectCommand({
        Bucket,
        Key: 'source',
        CopySource: `${Bucket}/source`,
        ...copySourceSseC(key),
        ...otherHeaders,
      }),
    );
    expect(await text('source', otherHeaders)).toBe(plain);

    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'mpcopy', ...SSE_C }));
    const part = await s3.send(
      new UploadPartCopyCommand({
        Bucket,
        Key: 'mpcopy',
        UploadId,
        PartNumber: 1,
        CopySource: `${Bucket}/copy`,
        CopySourceRange: 'bytes=0-5',
        ...copySourceSseC(otherKey),
        ...SSE_C,
      }),
    );
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key: 'mpcopy',
        UploadId,
        MultipartUpload: { Parts: [{ ETag: part.CopyPartResult!.ETag, PartNumber: 1 }] },
      }),
    );
    expect(await text('mpcopy')).toBe(plain.slice(0, 6));
  });

  it('a POST form (MinIO presignedPostPolicy) with SSE-C fields stores the file encrypted', async () => {
    const mc = minioClient(gw);
    const policy = mc.newPostPolicy();
    policy.setBucket(Bucket);
    policy.setKey('posted');
    policy.setExpires(new Date(Date.now() + 10 * 60_000));
    const fields = {
      'x-amz-server-side-encryption-customer-algorithm': SSE_C.SSECustomerAlgorithm,
      'x-amz-server-side-encryption-customer-key': SSE_C.SSECustomerKey,
      'x-amz-server-side-encryption-customer-key-md5': SSE_C.SSECustomerKeyMD5,
    };
    for (const [field, value] of Object.entries(fields)) {
      policy.policy.conditions.push(['eq', `$${field}`, value]);
      policy.formData[field] = value;
    }
    const { postURL, formData } = await mc.presignedPostPolicy(policy);
    const form = new FormData();
    for (const [name, value] of Object.entries(formData)) form.append(name, value as string);
    form.append('file', new Blob(['posted plaintext']), 'posted.txt');
    const res = await fetch(postURL, { method: 'POST', body: form });
    expect(res.status).toBe(204);
    expect(await text('posted')).toBe('posted plaintext');
    expect((await readFile(join(gw.root, Bucket, 'posted'))).toString()).not.toBe('posted plaintext');
  });

  it('a bucket policy can demand SSE-C (s3:x-amz-server-side-encryption-customer-algorithm)', async () => {
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: 'enforced',
        Policy: bucketPolicy({
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:PutObject',
          Resource: 'arn:aws:s3:::enforced/*',
          Condition: { Null: { 's3:x-amz-server-side-encryption-customer-algorithm': 'true' } },
        }),
      }),
    );
    const plain = await failure(s3.send(new PutObjectCommand({ Bucket: 'enforced', Key: 'k', Body: 'x' })));
    expect(plain).toMatchObject({ code: 'AccessDenied', status: 403 });
    await s3.send(new PutObjectCommand({ Bucket: 'enforced', Key: 'k', Body: 'x', ...SSE_C }));
  });
});

describe('S3 gateway: SSE-KMS and SSE-S3', () => {
  it('SSE-KMS is 501 NotImplemented, SSE-S3 with SSE-C or an unknown method 400; SSE-S3 (AES256) is taken', async () => {
    const kms = s3.send(
      new PutObjectCommand({ Bucket, Key: 'kms', Body: 'x', ServerSideEncryption: 'aws:kms' }),
    );
    expect(await failure(kms)).toMatchObject({ code: 'NotImplemented', status: 501 });
    const keyed = s3.send(
      new PutObjectCommand({
        Bucket,
        Key: 'kms',
        Body: 'x',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: 'arn:aws:kms:us-east-1:1:key/k',
      }),
    );
    expect(await failure(keyed)).toMatchObject({ code: 'NotImplemented', status: 501 });
    for (const ServerSideEncryption of [undefined, 'AES256'] as const) {
      const undeclared = s3.send(
        new PutObjectCommand({ Bucket, Key: 'kms', Body: 'x', ServerSideEncryption, SSEKMSKeyId: 'k' }),
      );
      expect(await failure(undeclared)).toMatchObject({ code: 'InvalidArgument', status: 400 });
    }
    const both = s3.send(
      new PutObjectCommand({ Bucket, Key: 'both', Body: 'x', ServerSideEncryption: 'AES256', ...SSE_C }),
    );
    expect(await failure(both)).toMatchObject({ code: 'InvalidArgument', status: 400 });
    const unknown = s3.send(
      // biome-ignore lint/suspicious/noExplicitAny: a method the SDK's types do not list
      new PutObjectCommand({ Bucket, Key: 'both', Body: 'x', ServerSideEncryption: 'aes:kms' as any }),
    );
    expect(await failure(unknown)).toMatchObject({ code: 'InvalidArgument', status: 400 });
    await s3.send(
      new PutObjectCommand({ Bucket, Key: 'sse-s3', Body: 'kept', ServerSideEncryption: 'AES256' }),
    );
    expect(await text('sse-s3', {})).toBe('kept');
  });
});
