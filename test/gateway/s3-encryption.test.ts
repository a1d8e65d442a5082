/**
 * Server-side encryption: the gateway encrypts nothing, so a request asking for a customer key
 * (SSE-C) or KMS, in headers or POST form fields, is refused (501 NotImplemented) and stores nothing, rather than keeping plain bytes
 * a client believes are protected; SSE-S3 (`AES256`) is taken.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import * as Minio from 'minio';
import { beforeAll, describe, expect, it } from 'vitest';
import { withS3Gateway } from './fixture.js';
import { ACCESS_KEY, SECRET_KEY } from './harness.js';

const Bucket = 'encrypted';
const gw = withS3Gateway({ buckets: [Bucket] });
let s3: S3Client;
beforeAll(() => {
  s3 = gw.clientFor();
});

const key = randomBytes(32);
const SSE_C = {
  SSECustomerAlgorithm: 'AES256',
  SSECustomerKey: key.toString('base64'),
  SSECustomerKeyMD5: createHash('md5').update(key).digest('base64'),
};

async function failure(
  promise: Promise<unknown>,
): Promise<{ code?: string; status?: number; message?: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    return { code: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error('expected the request to fail');
}

describe('S3 gateway: server-side encryption', () => {
  it('SSE-C on a write, a read, a copy or an upload is 501 NotImplemented and stores nothing', async () => {
    const put = await failure(
      s3.send(new PutObjectCommand({ Bucket, Key: 'secret', Body: 'plain', ...SSE_C })),
    );
    expect(put).toMatchObject({ code: 'NotImplemented', status: 501 });
    expect(put.message).toContain('customer-provided keys');
    expect((await failure(s3.send(new HeadObjectCommand({ Bucket, Key: 'secret' })))).status).toBe(404);
    await s3.send(new PutObjectCommand({ Bucket, Key: 'plain', Body: 'plain' }));
    for (const command of [
      new GetObjectCommand({ Bucket, Key: 'plain', ...SSE_C }),
      new CreateMultipartUploadCommand({ Bucket, Key: 'mp', ...SSE_C }),
      new CopyObjectCommand({ Bucket, Key: 'copy', CopySource: `${Bucket}/plain`, ...SSE_C }),
    ]) {
      // biome-ignore lint/suspicious/noExplicitAny: three command types through one send
      expect(await failure(s3.send(command as any))).toMatchObject({ code: 'NotImplemented', status: 501 });
    }
    expect((await failure(s3.send(new HeadObjectCommand({ Bucket, Key: 'copy' })))).status).toBe(404);
  });

  it('a POST form (MinIO presignedPostPolicy) with an SSE-C field is 501 NotImplemented and stores nothing', async () => {
    const mc = new Minio.Client({
      endPoint: '127.0.0.1',
      port: gw.port,
      useSSL: false,
      accessKey: ACCESS_KEY,
      secretKey: SECRET_KEY,
      region: 'us-east-1',
    });
    const policy = mc.newPostPolicy();
    policy.setBucket(Bucket);
    policy.setKey('posted');
    policy.setExpires(new Date(Date.now() + 10 * 60_000));
    const field = 'x-amz-server-side-encryption-customer-algorithm';
    policy.policy.conditions.push(['eq', `$${field}`, 'AES256']);
    policy.formData[field] = 'AES256';
    const { postURL, formData } = await mc.presignedPostPolicy(policy);
    const form = new FormData();
    for (const [name, value] of Object.entries(formData)) form.append(name, value as string);
    form.append('file', new Blob(['plain']), 'posted.txt');
    const res = await fetch(postURL, { method: 'POST', body: form });
    expect(res.status).toBe(501);
    expect(await res.text()).toContain('<Code>NotImplemented</Code>');
    expect((await failure(s3.send(new HeadObjectCommand({ Bucket, Key: 'posted' })))).status).toBe(404);
  });

  it('SSE-KMS is 501 NotImplemented; SSE-S3 (AES256) is taken', async () => {
    const kms = s3.send(
      new PutObjectCommand({ Bucket, Key: 'kms', Body: 'x', ServerSideEncryption: 'aws:kms' }),
    );
    expect(await failure(kms)).toMatchObject({ code: 'NotImplemented', status: 501 });
    const keyed = s3.send(
      new PutObjectCommand({ Bucket, Key: 'kms', Body: 'x', SSEKMSKeyId: 'arn:aws:kms:us-east-1:1:key/k' }),
    );
    expect(await failure(keyed)).toMatchObject({ code: 'NotImplemented', status: 501 });
    await s3.send(
      new PutObjectCommand({ Bucket, Key: 'sse-s3', Body: 'kept', ServerSideEncryption: 'AES256' }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'sse-s3' }));
    expect(await got.Body!.transformToString()).toBe('kept');
  });
});
