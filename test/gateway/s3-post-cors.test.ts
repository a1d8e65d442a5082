/**
 * Browser-facing S3: POST object (form uploads signed by a policy that boto3's
 * generate_presigned_post writes, SigV4 and SigV2, sent as multipart forms) and bucket CORS
 * (the AWS SDK's Put/Get/DeleteBucketCors, preflights and the headers of actual requests).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import {
  CreateBucketCommand,
  DeleteBucketCorsCommand,
  GetBucketCorsCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutBucketCorsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { beforeAll, describe, expect, it } from 'vitest';
import { withS3Gateway } from './fixture.js';
import { ACCESS_KEY, s3Failure as failure, findClient, SECRET_KEY } from './harness.js';

const execFileAsync = promisify(execFile);
const BUCKET = 'forms';
const gw = withS3Gateway({ buckets: [BUCKET] });
let s3: S3Client;
beforeAll(() => {
  s3 = gw.clientFor();
});

interface PresignedPost {
  url: string;
  fields: Record<string, string>;
}

interface PostRequest {
  key: string;
  version?: 's3v4' | 's3';
  fields?: Record<string, string>;
  conditions?: unknown[];
  expiresIn?: number;
}

const REDIRECT = 'http://app.example/done';
const TAGGING =
  '<Tagging><TagSet><Tag><Key>0</Key><Value>zero</Value></Tag><Tag><Key>1</Key><Value>one</Value></Tag></TagSet></Tagging>';
/** The forms the tests send, signed by boto3 in one run (python starts slowly). */
const REQUESTS = {
  v4: {
    key: 'v4/${filename}',
    fields: { 'Content-Type': 'text/plain', 'x-amz-meta-who': 'browser' },
    conditions: [
      ['starts-with', '$key', 'v4/'],
      ['content-length-range', 1, 1024],
      { 'Content-Type': 'text/plain' },
      { 'x-amz-meta-who': 'browser' },
    ],
  },
  v2: { key: 'v2/object', version: 's3' },
  range: { key: 'range/object', conditions: [['content-length-range', 4, 8]] },
  cond: {
    key: 'cond/object',
    fields: { 'x-amz-meta-tag': 'blue' },
    conditions: [{ 'x-amz-meta-tag': 'blue' }],
  },
  prefixed: { key: 'cond/${filename}', conditions: [['starts-with', '$key', 'cond/']] },
  tagged: { key: 'tagged/object', fields: { tagging: TAGGING }, conditions: [{ tagging: TAGGING }] },
  auth: { key: 'auth/object' },
  expired: { key: 'auth/object', expiresIn: -60 },
  created: {
    key: 'answer/created',
    fields: { success_action_status: '201' },
    conditions: [{ success_action_status: '201' }],
  },
  redirected: {
    key: 'answer/redirected',
    fields: { success_action_redirect: REDIRECT },
    conditions: [{ success_action_redirect: REDIRECT }],
  },
} satisfies Record<string, PostRequest>;
let forms: Record<keyof typeof REQUESTS, PresignedPost>;

/** Policies boto3 signs (generate_presigned_post); `version` s3v4 or s3 (SigV2). */
async function presignedPosts(python: string): Promise<typeof forms> {
  const script = `
import boto3, json, sys
from botocore.config import Config
out = {}
for name, r in json.loads(sys.argv[2]).items():
    s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1',
        aws_access_key_id='${ACCESS_KEY}', aws_secret_access_key='${SECRET_KEY}',
        config=Config(signature_version=r.get('version', 's3v4'), s3={'addressing_style': 'path'}))
    out[name] = s3.generate_presigned_post('${BUCKET}', r['key'], Fields=r.get('fields'),
        Conditions=r.get('conditions'), ExpiresIn=r.get('expiresIn', 600))
print(json.dumps(out))
`;
  const { stdout } = await execFileAsync(python, ['-c', script, gw.endpoint, JSON.stringify(REQUESTS)]);
  return JSON.parse(stdout) as typeof forms;
}

/** Sends the form as a browser does: the fields, then the file last. */
async function post(
  form: PresignedPost,
  body: string,
  options: { extra?: Record<string, string>; filename?: string; override?: Record<string, string> } = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const data = new FormData();
  for (const [name, value] of Object.entries({ ...form.fields, ...options.extra, ...options.override })) {
    data.append(name, value);
  }
  data.append('file', new Blob([body], { type: 'text/plain' }), options.filename ?? 'upload.txt');
  const res = await fetch(form.url, { method: 'POST', body: data, redirect: 'manual' });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

const codeOf = (text: string) => /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
const exists = async (Key: string) =>
  s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key })).then(
    () => true,
    () => false,
  );
const md5 = (text: string) => createHash('md5').update(text).digest('hex');

const python = findClient('python3');

describe.skipIf(!python)('POST object', () => {
  beforeAll(async () => {
    forms = await presignedPosts(python!);
  });

  it('a SigV4 policy from boto3 uploads the file with the form fields as its headers', async () => {
    const form = forms.v4;
    expect(form.fields['x-amz-algorithm']).toBe('AWS4-HMAC-SHA256');
    const res = await post(form, 'hello form', { filename: 'hello.txt' });
    expect(res.status).toBe(204);
    expect(res.headers.get('etag')).toBe(`"${md5('hello form')}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'v4/hello.txt' }));
    expect(await got.Body!.transformToString()).toBe('hello form');
    expect([got.ContentType, got.Metadata?.who]).toEqual(['text/plain', 'browser']);
  });

  it('a SigV2 policy (AWSAccessKeyId, signature) uploads too', async () => {
    const form = forms.v2;
    expect(form.fields.AWSAccessKeyId).toBe(ACCESS_KEY);
    expect((await post(form, 'v2 body')).status).toBe(204);
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'v2/object' }));
    expect(await got.Body!.transformToString()).toBe('v2 body');
  });

  it('form fields sent as file parts (as Python requests files= sends every entry) are fields; only `file` is the object', async () => {
    const form = forms.v4;
    const data = new FormData();
    for (const [name, value] of Object.entries(form.fields)) data.append(name, new Blob([value]), name);
    data.append('file', new Blob(['every field a part']), 'parts.txt');
    const res = await fetch(form.url, { method: 'POST', body: data });
    expect(res.status).toBe(204);
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'v4/parts.txt' }));
    expect(await got.Body?.transformToString()).toBe('every field a part');
    expect(got.Metadata).toEqual({ who: 'browser' });
  });

  it('a tagging field (a Tagging document) tags the object', async () => {
    expect((await post(forms.tagged, 'tagged')).status).toBe(204);
    const got = await s3.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: 'tagged/object' }));
    expect(got.TagSet).toEqual([
      { Key: '0', Value: 'zero' },
      { Key: '1', Value: 'one' },
    ]);
  });

  it('content-length-range is held while the file streams: too large or too small leaves nothing', async () => {
    const form = forms.range;
    const large = await post(form, 'x'.repeat(9));
    expect([large.status, codeOf(large.text)]).toEqual([400, 'EntityTooLarge']);
    const small = await post(form, 'xyz');
    expect([small.status, codeOf(small.text)]).toEqual([400, 'EntityTooSmall']);
    expect(await exists('range/object')).toBe(false);
    expect((await post(form, 'x'.repeat(8))).status).toBe(204);
  });

  it('a field that fails its condition, or that no condition names, is AccessDenied', async () => {
    const form = forms.cond;
    const changed = await post(form, 'x', { override: { 'x-amz-meta-tag': 'red' } });
    expect([changed.status, codeOf(changed.text)]).toEqual([403, 'AccessDenied']);
    const extra = await post(form, 'x', { extra: { 'x-amz-meta-other': '1' } });
    expect([extra.status, codeOf(extra.text)]).toEqual([403, 'AccessDenied']);
    expect(extra.text).toContain('Extra input fields: x-amz-meta-other');
    const ignored = await post(form, 'x', { extra: { 'x-ignore-note': 'fine' } });
    expect(ignored.status).toBe(204);

    const prefixed = forms.prefixed;
    const outside = await post(prefixed, 'x', { override: { key: 'elsewhere/${filename}' } });
    expect([outside.status, codeOf(outside.text)]).toEqual([403, 'AccessDenied']);
    expect(await exists('elsewhere/upload.txt')).toBe(false);
  });

  it('a tampered signature, an unknown key and an expired policy are refused', async () => {
    const form = forms.auth;
    const tampered = await post(form, 'x', { override: { 'x-amz-signature': '0'.repeat(64) } });
    expect([tampered.status, codeOf(tampered.text)]).toEqual([403, 'SignatureDoesNotMatch']);
    const credential = form.fields['x-amz-credential']!.replace(ACCESS_KEY, 'AKIAUNKNOWN');
    const unknown = await post(form, 'x', { override: { 'x-amz-credential': credential } });
    expect([unknown.status, codeOf(unknown.text)]).toEqual([403, 'InvalidAccessKeyId']);
    const expired = forms.expired;
    const late = await post(expired, 'x');
    expect([late.status, codeOf(late.text)]).toEqual([403, 'AccessDenied']);
    expect(late.text).toContain('Policy expired');
    const unsigned = await post(form, 'x', { override: { 'x-amz-signature': '' } });
    expect(unsigned.status).toBe(403);
    expect(await exists('auth/object')).toBe(false);
  });

  it('success_action_status 201 answers a PostResponse; success_action_redirect a 303 with bucket, key and etag', async () => {
    const created = forms.created;
    const res = await post(created, 'made');
    expect(res.status).toBe(201);
    expect(res.text).toContain('<Key>answer/created</Key>');
    expect(res.text.replaceAll('&quot;', '"')).toContain(`<ETag>"${md5('made')}"</ETag>`);

    const target = REDIRECT;
    const redirected = forms.redirected;
    const moved = await post(redirected, 'moved');
    expect(moved.status).toBe(303);
    expect(moved.headers.get('location')).toBe(
      `${target}?bucket=${BUCKET}&key=answer%2Fredirected&etag=%22${md5('moved')}%22`,
    );
  });
});

describe('CORS', () => {
  const CORS_BUCKET = 'cors';
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: CORS_BUCKET }));
    await s3.send(new PutObjectCommand({ Bucket: CORS_BUCKET, Key: 'obj', Body: 'data' }));
  });

  const preflight = (origin: string | undefined, method: string | undefined, headers?: string) =>
    fetch(`${gw.endpoint}/${CORS_BUCKET}/obj`, {
      method: 'OPTIONS',
      headers: {
        ...(origin === undefined ? {} : { origin }),
        ...(method === undefined ? {} : { 'access-control-request-method': method }),
        ...(headers === undefined ? {} : { 'access-control-request-headers': headers }),
      },
    });

  it('PutBucketCors, GetBucketCors and DeleteBucketCors keep the rules; none is NoSuchCORSConfiguration', async () => {
    expect(await failure(s3.send(new GetBucketCorsCommand({ Bucket: CORS_BUCKET })))).toEqual({
      code: 'NoSuchCORSConfiguration',
      status: 404,
    });
    const rules = [
      {
        AllowedMethods: ['GET', 'HEAD'],
        AllowedOrigins: ['*.example.com'],
        AllowedHeaders: ['x-amz-*'],
        ExposeHeaders: ['ETag'],
        MaxAgeSeconds: 600,
      },
      { AllowedMethods: ['PUT'], AllowedOrigins: ['https://upload.example'] },
      { AllowedMethods: ['GET'], AllowedOrigins: ['*'] },
    ];
    await s3.send(new PutBucketCorsCommand({ Bucket: CORS_BUCKET, CORSConfiguration: { CORSRules: rules } }));
    const got = await s3.send(new GetBucketCorsCommand({ Bucket: CORS_BUCKET }));
    expect(got.CORSRules).toEqual([rules[0], { ...rules[1] }, { ...rules[2] }]);
    expect(
      await failure(
        s3.send(
          new PutBucketCorsCommand({
            Bucket: CORS_BUCKET,
            CORSConfiguration: { CORSRules: [{ AllowedMethods: ['PATCH'], AllowedOrigins: ['*'] }] },
          }),
        ),
      ),
    ).toEqual({ code: 'InvalidRequest', status: 400 });
  });

  it('a preflight is answered by the first matching rule, refused (403) when none matches, 400 without Origin', async () => {
    const ok = await preflight('https://app.example.com', 'GET', 'X-Amz-Date, x-amz-content-sha256');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(ok.headers.get('access-control-allow-methods')).toBe('GET, HEAD');
    expect(ok.headers.get('access-control-allow-headers')).toBe('x-amz-date, x-amz-content-sha256');
    expect(ok.headers.get('access-control-max-age')).toBe('600');
    expect(ok.headers.get('access-control-expose-headers')).toBe('ETag');

    const any = await preflight('https://other.site', 'GET');
    expect([any.status, any.headers.get('access-control-allow-origin')]).toEqual([200, '*']);

    const put = await preflight('https://upload.example', 'PUT');
    expect(put.headers.get('access-control-allow-methods')).toBe('PUT');
    for (const [origin, method, headers] of [
      ['https://other.site', 'PUT', undefined],
      ['https://app.example.com', 'DELETE', undefined],
      ['https://upload.example', 'PUT', 'x-amz-meta-a'],
    ] as const) {
      const refused = await preflight(origin, method, headers);
      expect(refused.status, `${origin} ${method}`).toBe(403);
      expect(codeOf(await refused.text())).toBe('AccessForbidden');
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    }
    expect((await preflight(undefined, 'GET')).status).toBe(400);
    expect((await preflight('https://app.example.com', undefined)).status).toBe(400);
  });

  it('actual requests from an allowed Origin carry the headers, errors included; others do not', async () => {
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: CORS_BUCKET, Key: 'obj' }));
    const allowed = await fetch(url, { headers: { origin: 'https://app.example.com' } });
    expect(await allowed.text()).toBe('data');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(allowed.headers.get('access-control-expose-headers')).toBe('ETag');
    const plain = await fetch(url);
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
    const missing = await getSignedUrl(s3, new GetObjectCommand({ Bucket: CORS_BUCKET, Key: 'none' }));
    const notFound = await fetch(missing, { headers: { origin: 'https://x.site' } });
    expect([notFound.status, notFound.headers.get('access-control-allow-origin')]).toEqual([404, '*']);
    const put = await getSignedUrl(s3, new PutObjectCommand({ Bucket: CORS_BUCKET, Key: 'put' }));
    const refusedOrigin = await fetch(put, {
      method: 'PUT',
      body: 'x',
      headers: { origin: 'https://x.site' },
    });
    expect([refusedOrigin.status, refusedOrigin.headers.get('access-control-allow-origin')]).toEqual([
      200,
      null,
    ]);
  });

  it('after DeleteBucketCors preflights are refused again', async () => {
    await s3.send(new DeleteBucketCorsCommand({ Bucket: CORS_BUCKET }));
    const res = await preflight('https://app.example.com', 'GET');
    expect(res.status).toBe(403);
    expect(await failure(s3.send(new GetBucketCorsCommand({ Bucket: CORS_BUCKET })))).toEqual({
      code: 'NoSuchCORSConfiguration',
      status: 404,
    });
  });
});
