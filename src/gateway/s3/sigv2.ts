/**
 * AWS Signature Version 2 verification (`Authorization: AWS key:signature` and presigned
 * `?AWSAccessKeyId=&Expires=&Signature=`), as s3cmd --signature-v2 and older SDKs send it. Written on
 * node:crypto for the same reason as sigv4.ts: client libraries sign, a server must verify.
 */
import { createHmac } from 'node:crypto';
import { SIGV2_SUBRESOURCES } from '../../ufs/s3/s3-v2-signer.js';
import { S3Error } from './errors.js';
import { header, queryParam, type SignedRequest, signaturesEqual } from './signed-request.js';

export interface V2Claims {
  readonly accessKey: string;
  readonly signature: string;
  /** Presigned URLs: expiry in seconds since the epoch. */
  readonly expires: number | undefined;
}

export function isV2Header(request: SignedRequest): boolean {
  return header(request, 'authorization')?.startsWith('AWS ') ?? false;
}

export function isV2Presigned(request: SignedRequest): boolean {
  return queryParam(request, 'AWSAccessKeyId') !== undefined;
}

export function parseV2(request: SignedRequest): V2Claims {
  const auth = header(request, 'authorization');
  if (auth?.startsWith('AWS ')) {
    const value = auth.slice(4).trim();
    const colon = value.lastIndexOf(':');
    if (colon <= 0) throw new S3Error('AccessDenied', 'Malformed SigV2 authorization header');
    return { accessKey: value.slice(0, colon), signature: value.slice(colon + 1), expires: undefined };
  }
  const expires = Number(queryParam(request, 'Expires'));
  if (!Number.isInteger(expires))
    throw new S3Error('AccessDenied', 'Presigned SigV2 URLs need a numeric Expires');
  return {
    accessKey: queryParam(request, 'AWSAccessKeyId') ?? '',
    signature: queryParam(request, 'Signature') ?? '',
    expires,
  };
}

/**
 * `resourcePath` is `/bucket/key` as sent (percent-encoded), also for virtual-hosted requests,
 * whose path does not name the bucket.
 */
function stringToSignV2(request: SignedRequest, claims: V2Claims, resourcePath: string): string {
  const amzHeaders = new Map<string, string>();
  for (const [name, value] of Object.entries(request.headers)) {
    if (!name.startsWith('x-amz-') || value === undefined) continue;
    const text = (Array.isArray(value) ? value.join(',') : value).trim().replace(/\s+/g, ' ');
    amzHeaders.set(name, text);
  }
  const date =
    claims.expires !== undefined
      ? String(claims.expires)
      : amzHeaders.has('x-amz-date')
        ? ''
        : (header(request, 'date') ?? '');
  const subresources = request.query
    .filter(([name]) => SIGV2_SUBRESOURCES.has(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => (value === '' ? name : `${name}=${value}`));
  return [
    request.method,
    header(request, 'content-md5') ?? '',
    header(request, 'content-type') ?? '',
    date,
    ...[...amzHeaders.keys()].sort().map((name) => `${name}:${amzHeaders.get(name)}`),
    `${resourcePath}${subresources.length > 0 ? `?${subresources.join('&')}` : ''}`,
  ].join('\n');
}

export function verifyV2(
  request: SignedRequest,
  claims: V2Claims,
  secret: string,
  resourcePath: string,
): void {
  const expected = createHmac('sha1', secret)
    .update(stringToSignV2(request, claims, resourcePath))
    .digest('base64');
  if (!signaturesEqual(expected, claims.signature)) {
    throw new S3Error(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    );
  }
}
