/**
 * AWS Signature Version 4 verification (Authorization header and presigned query).
 *
 * Written here on node:crypto rather than taken from a library: the AWS SDK and its signers only
 * *sign* requests; a server has to rebuild the canonical request from what arrived on the wire,
 * compare signatures in constant time, and hand the streaming payload's seed signature on to the
 * aws-chunked decoder. Nothing in this file ever logs or returns a secret.
 */
import { createHash, createHmac } from 'node:crypto';
import { S3Error } from './errors.js';
import { header, queryParam, type SignedRequest, signaturesEqual } from './signed-request.js';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const STREAMING_PAYLOAD = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_PAYLOAD_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';

/** What a V4 request claims before its signature is checked. */
export interface V4Claims {
  readonly accessKey: string;
  /** `yyyymmdd/region/service/aws4_request`. */
  readonly scope: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
  /** `yyyymmddThhmmssZ`. */
  readonly amzDate: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  /** x-amz-content-sha256 (or UNSIGNED-PAYLOAD for presigned URLs). */
  readonly payloadHash: string;
  /** Seconds a presigned URL stays valid; undefined for the header form. */
  readonly expires: number | undefined;
}

export function isV4Header(request: SignedRequest): boolean {
  return header(request, 'authorization')?.startsWith(`${ALGORITHM} `) ?? false;
}

export function isV4Presigned(request: SignedRequest): boolean {
  return queryParam(request, 'X-Amz-Algorithm') !== undefined;
}

function malformed(message: string): S3Error {
  return new S3Error('AccessDenied', `Malformed SigV4 authorization: ${message}`);
}

function parseCredential(
  credential: string,
): Pick<V4Claims, 'accessKey' | 'scope' | 'date' | 'region' | 'service'> {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request') throw malformed('bad Credential');
  const [accessKey, date, region, service] = parts as [string, string, string, string];
  return { accessKey, scope: parts.slice(1).join('/'), date, region, service };
}

export function parseV4Header(request: SignedRequest): V4Claims {
  const value = header(request, 'authorization')!.slice(ALGORITHM.length).trim();
  const fields = new Map<string, string>();
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential || !signedHeaders || !signature)
    throw malformed('Credential, SignedHeaders and Signature are required');
  const amzDate = header(request, 'x-amz-date') ?? toAmzDate(header(request, 'date'));
  const payloadHash = header(request, 'x-amz-content-sha256');
  if (!payloadHash) {
    throw new S3Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  }
  return {
    ...parseCredential(credential),
    amzDate,
    signedHeaders: signedHeaders.split(';'),
    signature,
    payloadHash,
    expires: undefined,
  };
}

/** The longest a presigned URL may be valid: seven days. */
const MAX_PRESIGNED_EXPIRES_S = 604_800;

export function parseV4Presigned(request: SignedRequest): V4Claims {
  const get = (name: string): string => {
    const value = queryParam(request, name);
    if (value === undefined) throw malformed(`query parameter ${name} is required`);
    return value;
  };
  if (get('X-Amz-Algorithm') !== ALGORITHM) throw malformed('unsupported X-Amz-Algorithm');
  const expires = Number(get('X-Amz-Expires'));
  if (!Number.isInteger(expires) || expires < 0) {
    throw new S3Error('AuthorizationQueryParametersError', 'X-Amz-Expires must be a non-negative integer');
  }
  if (expires > MAX_PRESIGNED_EXPIRES_S) {
    // 403, as S3 answers (and ceph/s3-tests expects) for a URL valid longer than a week.
    throw new S3Error(
      'AccessDenied',
      `X-Amz-Expires must be less than a week (in seconds) that is; ${MAX_PRESIGNED_EXPIRES_S}`,
    );
  }
  return {
    ...parseCredential(get('X-Amz-Credential')),
    amzDate: get('X-Amz-Date'),
    signedHeaders: get('X-Amz-SignedHeaders').split(';'),
    signature: get('X-Amz-Signature'),
    payloadHash: queryParam(request, 'X-Amz-Content-Sha256') ?? UNSIGNED_PAYLOAD,
    expires,
  };
}

/** `yyyymmddThhmmssZ` of an HTTP date, for clients that sign the Date header only. */
function toAmzDate(httpDate: string | undefined): string {
  const ms = httpDate ? Date.parse(httpDate) : Number.NaN;
  if (Number.isNaN(ms)) throw malformed('X-Amz-Date or Date is required');
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** Milliseconds since the epoch of a `yyyymmddThhmmssZ` date, NaN when malformed. */
export function parseAmzDate(amzDate: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!m) return Number.NaN;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

/** RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ is escaped. */
export function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function canonicalUri(rawPath: string): string {
  return rawPath
    .split('/')
    .map((segment) => {
      try {
        return uriEncode(decodeURIComponent(segment));
      } catch {
        return uriEncode(segment);
      }
    })
    .join('/');
}

function canonicalRequest(request: SignedRequest, claims: V4Claims): string {
  const query = request.query
    .filter(([name]) => claims.expires === undefined || name !== 'X-Amz-Signature')
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const headers = claims.signedHeaders
    .map((name) => `${name}:${(header(request, name) ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  return [
    request.method,
    canonicalUri(request.rawPath),
    query,
    headers,
    claims.signedHeaders.join(';'),
    claims.payloadHash,
  ].join('\n');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function signingKey(secret: string, claims: Pick<V4Claims, 'date' | 'region' | 'service'>): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, claims.date), claims.region), claims.service), 'aws4_request');
}

/** Signing material the aws-chunked decoder needs to check each chunk's signature. */
export interface ChunkSigning {
  readonly key: Buffer;
  readonly amzDate: string;
  readonly scope: string;
  readonly seedSignature: string;
}

/** Checks the signature of a request whose access key is known; returns the chunk signing material. */
export function verifyV4(request: SignedRequest, claims: V4Claims, secret: string): ChunkSigning {
  if (!claims.signedHeaders.includes('host')) throw malformed('the host header must be signed');
  const key = signingKey(secret, claims);
  const canonical = canonicalRequest(request, claims);
  const signatureOver = (canonicalBytes: Buffer) =>
    createHmac('sha256', key)
      .update([ALGORITHM, claims.amzDate, claims.scope, sha256Hex(canonicalBytes)].join('\n'))
      .digest('hex');
  // Header values arrive as bytes (Node gives them as latin1 strings). Clients sign their text as
  // UTF-8 but send it either as UTF-8 bytes (the AWS SDKs for JS and Go) or as latin1 bytes
  // (botocore for é and the like): either reading of non-ASCII header bytes is accepted.
  const asText = signatureOver(Buffer.from(canonical, 'utf8'));
  const ascii = Buffer.byteLength(canonical, 'utf8') === canonical.length;
  const asBytes = ascii ? asText : signatureOver(Buffer.from(canonical, 'latin1'));
  const provided = claims.signature.toLowerCase();
  const expected = signaturesEqual(asBytes, provided) ? asBytes : asText;
  if (!signaturesEqual(expected, provided)) {
    throw new S3Error(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    );
  }
  return { key, amzDate: claims.amzDate, scope: claims.scope, seedSignature: expected };
}

/** The signature of one aws-chunked chunk, chained from the previous one. */
export function chunkSignature(signing: ChunkSigning, previous: string, chunkSha256: string): string {
  const stringToSign = [
    'AWS4-HMAC-SHA256-PAYLOAD',
    signing.amzDate,
    signing.scope,
    previous,
    EMPTY_SHA256,
    chunkSha256,
  ].join('\n');
  return createHmac('sha256', signing.key).update(stringToSign).digest('hex');
}

/** The signature of an aws-chunked body's trailing headers (`name:value\n` lines), chained on `previous`. */
export function trailerSignature(signing: ChunkSigning, previous: string, canonicalTrailer: string): string {
  const stringToSign = [
    'AWS4-HMAC-SHA256-TRAILER',
    signing.amzDate,
    signing.scope,
    previous,
    createHash('sha256').update(canonicalTrailer).digest('hex'),
  ].join('\n');
  return createHmac('sha256', signing.key).update(stringToSign).digest('hex');
}
