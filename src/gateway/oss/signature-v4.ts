/**
 * OSS signature version 4 (`Authorization: OSS4-HMAC-SHA256 Credential=AK/yyyymmdd/region/oss/
 * aliyun_v4_request,[AdditionalHeaders=a;b,]Signature=hex`), rebuilt on the server side from the
 * request as received, the way ali-oss builds it when signing.
 */
import { createHash, createHmac } from 'node:crypto';

export interface V4Authorization {
  readonly accessKeyId: string;
  /** yyyymmdd */
  readonly date: string;
  readonly region: string;
  readonly product: string;
  readonly additionalHeaders: readonly string[];
  readonly signature: string;
}

const V4_PATTERN = /^OSS4-HMAC-SHA256\s+(.*)$/;

/** Parses the Authorization value; undefined when it is not V4 or is malformed. */
export function parseV4Authorization(value: string): V4Authorization | undefined {
  const match = V4_PATTERN.exec(value.trim());
  if (!match) return undefined;
  const fields = new Map<string, string>();
  for (const part of match[1]!.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential')?.split('/');
  const signature = fields.get('Signature');
  if (credential?.length !== 5 || credential[4] !== 'aliyun_v4_request' || !signature) {
    return undefined;
  }
  const additional = fields.get('AdditionalHeaders');
  return {
    accessKeyId: credential[0]!,
    date: credential[1]!,
    region: credential[2]!,
    product: credential[3]!,
    additionalHeaders: additional ? additional.split(';').map((h) => h.toLowerCase()) : [],
    signature,
  };
}

/** RFC 3986 encoding as ali-oss does it (encodeURIComponent plus `!'()*`). */
export function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

export interface V4CanonicalRequestInput {
  readonly method: string;
  readonly bucket: string | undefined;
  readonly key: string;
  /** Decoded query parameters; an empty value is signed as a bare key. */
  readonly query: readonly (readonly [string, string])[];
  /** Request headers with lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly additionalHeaders: readonly string[];
  /** Sort order of query keys: code points (the spec) or localeCompare (what ali-oss uses). */
  readonly querySort?: 'codepoint' | 'locale';
}

export function v4CanonicalRequest(input: V4CanonicalRequestInput): string {
  const uri = encodeRfc3986(`/${input.bucket ? `${input.bucket}/` : ''}${input.key}`).replace(/%2F/g, '/');
  const compare =
    input.querySort === 'locale'
      ? (a: string, b: string) => a.localeCompare(b)
      : (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const query = [...input.query]
    .sort(([a], [b]) => compare(a, b))
    .map(([k, v]) => (v === '' ? encodeRfc3986(k) : `${encodeRfc3986(k)}=${encodeRfc3986(v)}`))
    .join('&');
  const signed = new Set(input.additionalHeaders);
  for (const name of Object.keys(input.headers)) {
    if (name === 'content-type' || name === 'content-md5' || name.startsWith('x-oss-')) signed.add(name);
  }
  const canonicalHeaders = [...signed]
    .sort()
    .map((name) => `${name}:${(input.headers[name] ?? '').trim()}\n`)
    .join('');
  return [
    input.method.toUpperCase(),
    uri,
    query,
    canonicalHeaders,
    input.additionalHeaders.join(';'),
    input.headers['x-oss-content-sha256'] ?? 'UNSIGNED-PAYLOAD',
  ].join('\n');
}

export function v4StringToSign(
  timestamp: string,
  scope: { date: string; region: string; product: string },
  canonicalRequest: string,
): string {
  return [
    'OSS4-HMAC-SHA256',
    timestamp,
    `${scope.date}/${scope.region}/${scope.product}/aliyun_v4_request`,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
}

export function v4Signature(
  secret: string,
  scope: { date: string; region: string; product: string },
  stringToSign: string,
): string {
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const signingKey = hmac(
    hmac(hmac(hmac(`aliyun_v4${secret}`, scope.date), scope.region), scope.product),
    'aliyun_v4_request',
  );
  return createHmac('sha256', signingKey).update(stringToSign).digest('hex');
}
