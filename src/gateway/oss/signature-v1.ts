/**
 * OSS signature version 1 (`Authorization: OSS <AccessKeyId>:<Signature>` and presigned URLs with
 * `OSSAccessKeyId`/`Expires`/`Signature`), computed the way oss2 and ali-oss compute it so that the
 * gateway can verify what those clients sign. SDKs only ever sign; a server has to rebuild the
 * string to sign from the request it received and compare, so this lives here rather than in a
 * client library.
 */
import { createHmac } from 'node:crypto';

/** Query keys that are part of the canonicalized resource (oss2 `auth.py` `_subresource_key_set`). */
export const V1_SUBRESOURCES: ReadonlySet<string> = new Set([
  'response-content-type',
  'response-content-language',
  'response-cache-control',
  'logging',
  'response-content-encoding',
  'acl',
  'uploadId',
  'uploads',
  'partNumber',
  'group',
  'link',
  'delete',
  'website',
  'location',
  'objectInfo',
  'objectMeta',
  'response-expires',
  'response-content-disposition',
  'cors',
  'lifecycle',
  'restore',
  'qos',
  'referer',
  'stat',
  'bucketInfo',
  'append',
  'position',
  'security-token',
  'live',
  'comp',
  'status',
  'vod',
  'startTime',
  'endTime',
  'x-oss-process',
  'symlink',
  'callback',
  'callback-var',
  'tagging',
  'encryption',
  'versions',
  'versioning',
  'versionId',
  'policy',
  'requestPayment',
  'x-oss-traffic-limit',
  'qosInfo',
  'asyncFetch',
  'x-oss-request-payer',
  'sequential',
  'inventory',
  'inventoryId',
  'continuation-token',
  'worm',
  'wormId',
  'wormExtend',
  'replication',
  'replicationLocation',
  'replicationProgress',
  'transferAcceleration',
  'cname',
  'metaQuery',
  'resourceGroup',
]);

export interface V1StringToSignInput {
  readonly method: string;
  readonly contentMd5: string;
  readonly contentType: string;
  /** `x-oss-date` when present, else `Date`; for a presigned URL the `Expires` value. */
  readonly date: string;
  /** Request headers with lower-case names; only `x-oss-*` ones are used. */
  readonly headers: Readonly<Record<string, string>>;
  /** Undefined for service-level requests (resource `/`). */
  readonly bucket: string | undefined;
  /** The raw (decoded) object key, `''` for bucket-level requests. */
  readonly key: string;
  /** Decoded query parameters in request order. */
  readonly query: readonly (readonly [string, string])[];
}

export function canonicalizedOssHeaders(headers: Readonly<Record<string, string>>): string {
  return Object.entries(headers)
    .filter(([name]) => name.startsWith('x-oss-'))
    .map(([name, value]) => [name, value.trim()] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}:${value}\n`)
    .join('');
}

export function canonicalizedResource(
  bucket: string | undefined,
  key: string,
  query: readonly (readonly [string, string])[],
): string {
  const base = bucket === undefined ? '/' : `/${bucket}/${key}`;
  const sub = query
    .filter(([name]) => V1_SUBRESOURCES.has(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => (value === '' ? name : `${name}=${value}`));
  return sub.length === 0 ? base : `${base}?${sub.join('&')}`;
}

export function v1StringToSign(input: V1StringToSignInput): string {
  return [
    input.method,
    input.contentMd5,
    input.contentType,
    input.date,
    canonicalizedOssHeaders(input.headers) + canonicalizedResource(input.bucket, input.key, input.query),
  ].join('\n');
}

/** base64(HMAC-SHA1(secret, stringToSign)). */
export function v1Signature(secret: string, stringToSign: string): string {
  return createHmac('sha1', secret).update(stringToSign, 'utf8').digest('base64');
}
