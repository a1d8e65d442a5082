/**
 * Verifies who sent a request: V1 header (`OSS AK:sig`), V1 presigned URL (`OSSAccessKeyId`,
 * `Expires`, `Signature`), V4 header (`OSS4-HMAC-SHA256`) and V4 presigned URL
 * (`x-oss-signature-version=OSS4-HMAC-SHA256`, `x-oss-credential`, `x-oss-date`, `x-oss-expires`,
 * `x-oss-signature`, optionally `x-oss-additional-headers`). Signatures are compared in constant
 * time. Errors name the access key id and the string to sign, never a secret.
 */
import { timingSafeEqual } from 'node:crypto';
import { OssError } from './errors.js';
import { v1Signature, v1StringToSign } from './signature-v1.js';
import { parseV4Authorization, v4CanonicalRequest, v4Signature, v4StringToSign } from './signature-v4.js';

/** Largest accepted difference between the request's date and the server clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

export interface SignedRequest {
  readonly method: string;
  /** Lower-case names; repeated headers joined with `,`. */
  readonly headers: Readonly<Record<string, string>>;
  readonly bucket: string | undefined;
  readonly key: string;
  readonly query: readonly (readonly [string, string])[];
}

export interface AuthenticatorOptions {
  /** Access key id → secret. Empty: every request is accepted as anonymous. */
  readonly users: ReadonlyMap<string, string>;
  readonly now?: () => number;
}

/** Returns the access key id of the caller (`anonymous` when authentication is off). */
export function authenticate(request: SignedRequest, options: AuthenticatorOptions): string {
  if (options.users.size === 0) return 'anonymous';
  const now = (options.now ?? Date.now)();
  const query = new Map(request.query);
  const authorization = request.headers.authorization;
  if (query.has('OSSAccessKeyId') && query.has('Signature'))
    return verifyPresignedV1(request, query, options, now);
  if (query.has('x-oss-signature-version')) return verifyPresignedV4(request, query, options, now);
  if (authorization === undefined) {
    throw new OssError('AccessDenied', 'You have no right to access this object because of bucket acl.');
  }
  if (authorization.startsWith('OSS4-HMAC-SHA256')) return verifyV4(request, authorization, options, now);
  const v1 = /^OSS ([^:\s]+):(\S+)$/.exec(authorization.trim());
  if (!v1) throw new OssError('InvalidArgument', 'Authorization header is invalid.');
  const [, accessKeyId, provided] = v1 as unknown as [string, string, string];
  const secret = secretOf(accessKeyId, options);
  const date = request.headers['x-oss-date'] ?? request.headers.date;
  if (date === undefined) throw new OssError('AccessDenied', 'AUTH denied for lack of date header.');
  checkSkew(Date.parse(date), date, now);
  const stringToSign = v1StringToSign({
    method: request.method,
    contentMd5: request.headers['content-md5'] ?? '',
    contentType: request.headers['content-type'] ?? '',
    date,
    headers: request.headers,
    bucket: request.bucket,
    key: request.key,
    query: request.query,
  });
  if (!sameSignature(provided, v1Signature(secret, stringToSign))) {
    throw signatureMismatch(stringToSign, provided);
  }
  return accessKeyId;
}

function verifyPresignedV1(
  request: SignedRequest,
  query: ReadonlyMap<string, string>,
  options: AuthenticatorOptions,
  now: number,
): string {
  const accessKeyId = query.get('OSSAccessKeyId')!;
  const provided = query.get('Signature')!;
  const expires = query.get('Expires') ?? '';
  const secret = secretOf(accessKeyId, options);
  if (!/^\d+$/.test(expires)) throw new OssError('AccessDenied', 'Invalid Expires in the presigned URL.');
  if (Number(expires) * 1000 < now) throw new OssError('AccessDenied', 'Request has expired.');
  const stringToSign = v1StringToSign({
    method: request.method,
    contentMd5: request.headers['content-md5'] ?? '',
    contentType: request.headers['content-type'] ?? '',
    date: expires,
    headers: request.headers,
    bucket: request.bucket,
    key: request.key,
    query: request.query,
  });
  if (!sameSignature(provided, v1Signature(secret, stringToSign))) {
    throw signatureMismatch(stringToSign, provided);
  }
  return accessKeyId;
}

function verifyV4(
  request: SignedRequest,
  authorization: string,
  options: AuthenticatorOptions,
  now: number,
): string {
  const parsed = parseV4Authorization(authorization);
  if (!parsed) throw new OssError('InvalidArgument', 'Authorization header is invalid.');
  const secret = secretOf(parsed.accessKeyId, options);
  const timestamp = request.headers['x-oss-date'];
  if (timestamp === undefined)
    throw new OssError('AccessDenied', 'AUTH denied for lack of x-oss-date header.');
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(timestamp);
  checkSkew(m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : Number.NaN, timestamp, now);
  if (!timestamp.startsWith(parsed.date)) {
    throw new OssError('SignatureDoesNotMatch', 'The credential date does not match x-oss-date.');
  }
  const scope = { date: parsed.date, region: parsed.region, product: parsed.product };
  let stringToSign = '';
  // ali-oss sorts query keys with localeCompare, the spec by code point: accept either order.
  for (const querySort of ['codepoint', 'locale'] as const) {
    const canonical = v4CanonicalRequest({
      method: request.method,
      bucket: request.bucket,
      key: request.key,
      query: request.query,
      headers: request.headers,
      additionalHeaders: parsed.additionalHeaders,
      querySort,
    });
    stringToSign = v4StringToSign(timestamp, scope, canonical);
    if (sameSignature(parsed.signature, v4Signature(secret, scope, stringToSign))) return parsed.accessKeyId;
  }
  throw signatureMismatch(stringToSign, parsed.signature);
}

/** Longest validity of a V4 presigned URL (x-oss-expires), 7 days as OSS has it. */
const MAX_PRESIGNED_V4_SECONDS = 604_800;

function parseTimestamp(timestamp: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(timestamp);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : Number.NaN;
}

function verifyPresignedV4(
  request: SignedRequest,
  query: ReadonlyMap<string, string>,
  options: AuthenticatorOptions,
  now: number,
): string {
  const version = query.get('x-oss-signature-version');
  if (version !== 'OSS4-HMAC-SHA256') {
    throw new OssError(
      'InvalidArgument',
      `x-oss-signature-version must be OSS4-HMAC-SHA256, got ${version}.`,
    );
  }
  const missing = ['x-oss-credential', 'x-oss-date', 'x-oss-expires', 'x-oss-signature'].find(
    (name) => (query.get(name) ?? '') === '',
  );
  if (missing !== undefined) {
    throw new OssError('InvalidArgument', `The V4 presigned URL is missing ${missing}.`);
  }
  const credential = query.get('x-oss-credential')!.split('/');
  if (credential.length !== 5 || credential[4] !== 'aliyun_v4_request') {
    throw new OssError(
      'InvalidArgument',
      'x-oss-credential must be <AccessKeyId>/<yyyymmdd>/<region>/oss/aliyun_v4_request.',
    );
  }
  const [accessKeyId, date, region, product] = credential as [string, string, string, string];
  const secret = secretOf(accessKeyId, options);
  const timestamp = query.get('x-oss-date')!;
  const signedAt = parseTimestamp(timestamp);
  if (Number.isNaN(signedAt)) throw new OssError('AccessDenied', `Invalid x-oss-date: ${timestamp}.`);
  if (!timestamp.startsWith(date)) {
    throw new OssError('SignatureDoesNotMatch', 'The credential date does not match x-oss-date.');
  }
  const expires = query.get('x-oss-expires')!;
  if (!/^\d+$/.test(expires) || Number(expires) < 1 || Number(expires) > MAX_PRESIGNED_V4_SECONDS) {
    throw new OssError(
      'InvalidArgument',
      `x-oss-expires must be a number of seconds from 1 to ${MAX_PRESIGNED_V4_SECONDS}, got ${expires}.`,
    );
  }
  if (signedAt - now > MAX_CLOCK_SKEW_MS) checkSkew(signedAt, timestamp, now);
  if (now > signedAt + Number(expires) * 1000) throw new OssError('AccessDenied', 'Request has expired.');
  const additional = query.get('x-oss-additional-headers');
  const additionalHeaders = additional ? additional.split(';').map((h) => h.toLowerCase()) : [];
  const scope = { date, region, product };
  const signed = request.query.filter(([name]) => name !== 'x-oss-signature');
  const provided = query.get('x-oss-signature')!;
  let stringToSign = '';
  for (const querySort of ['codepoint', 'locale'] as const) {
    const canonical = v4CanonicalRequest({
      method: request.method,
      bucket: request.bucket,
      key: request.key,
      query: signed,
      headers: request.headers,
      additionalHeaders,
      querySort,
    });
    stringToSign = v4StringToSign(timestamp, scope, canonical);
    if (sameSignature(provided, v4Signature(secret, scope, stringToSign))) return accessKeyId;
  }
  throw signatureMismatch(stringToSign, provided);
}

function secretOf(accessKeyId: string, options: AuthenticatorOptions): string {
  const secret = options.users.get(accessKeyId);
  if (secret === undefined) {
    throw new OssError('InvalidAccessKeyId', undefined, { OSSAccessKeyId: accessKeyId });
  }
  return secret;
}

function checkSkew(time: number, raw: string, now: number): void {
  if (Number.isNaN(time)) throw new OssError('AccessDenied', `Invalid date: ${raw}.`);
  if (Math.abs(now - time) > MAX_CLOCK_SKEW_MS) {
    throw new OssError('RequestTimeTooSkewed', undefined, {
      RequestTime: raw,
      ServerTime: new Date(now).toUTCString(),
      MaxAllowedSkewMilliseconds: String(MAX_CLOCK_SKEW_MS),
    });
  }
}

function signatureMismatch(stringToSign: string, provided: string): OssError {
  return new OssError('SignatureDoesNotMatch', undefined, {
    StringToSign: stringToSign,
    SignatureProvided: provided,
  });
}

/** Constant-time comparison of two signatures (timing must not reveal how much matched). */
function sameSignature(provided: string, expected: string): boolean {
  const a = Buffer.from(provided);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
