/**
 * The OSS operations this gateway implements, as data: method, level (service, bucket, object) and
 * the sub-resource that names the operation (`''` for none). A request naming any other OSS
 * sub-resource is refused with NotImplemented before its body is read, so an unimplemented
 * operation (`PUT ?tagging`, `PUT ?symlink`, `POST ?append`, ...) can never be taken for a plain
 * PUT, GET or DELETE of the object.
 */
import { V1_SUBRESOURCES } from './signature-v1.js';

export type OssLevel = 'service' | 'bucket' | 'object';

/** Query keys OSS defines as sub-resources beyond those V1 signatures cover. */
const MORE_SUBRESOURCES = [
  'x-oss-async-process',
  'regionList',
  'accessPoint',
  'publicAccessBlock',
  'httpsConfig',
  'style',
  'styleName',
  'objectInfo',
  'bucketArchiveDirectRead',
  'responseHeader',
  'userDefinedLogFieldsConfig',
  'resourcePool',
  'dataRedundancyTransition',
  'policyStatus',
  'redundancyTransition',
  'overwriteConfig',
];

/**
 * Sub-resources that only modify the operation the others name (a part number, an override of a
 * response header, a token): they never pick an operation on their own.
 */
const PARAMETERS = new Set([
  'partNumber',
  'position',
  'security-token',
  'continuation-token',
  'x-oss-traffic-limit',
  'x-oss-request-payer',
  'sequential',
  'response-content-type',
  'response-content-language',
  'response-cache-control',
  'response-content-encoding',
  'response-expires',
  'response-content-disposition',
]);

/** Every query key that names an OSS operation. */
export const OSS_SUBRESOURCES: ReadonlySet<string> = new Set(
  [...V1_SUBRESOURCES, ...MORE_SUBRESOURCES].filter((name) => !PARAMETERS.has(name)),
);

export interface OperationKey {
  readonly method: string;
  readonly level: OssLevel;
  /** The sub-resource naming the operation, `''` for none. */
  readonly sub: string;
}

export type OperationName =
  | 'ListBuckets'
  | 'PutBucket'
  | 'DeleteBucket'
  | 'GetBucketInfo'
  | 'GetBucketLocation'
  | 'GetBucketAcl'
  | 'PutBucketAcl'
  | 'ListObjects'
  | 'ListMultipartUploads'
  | 'DeleteMultipleObjects'
  | 'PutObject'
  | 'GetObject'
  | 'HeadObject'
  | 'GetObjectMeta'
  | 'DeleteObject'
  | 'GetObjectAcl'
  | 'PutObjectAcl'
  | 'InitiateMultipartUpload'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListParts';

/**
 * `METHOD level sub` → operation. CopyObject and UploadPartCopy are PutObject and UploadPart with
 * `x-oss-copy-source`.
 */
export const OPERATIONS: ReadonlyMap<string, OperationName> = new Map<string, OperationName>([
  ['GET service ', 'ListBuckets'],
  ['PUT bucket ', 'PutBucket'],
  ['DELETE bucket ', 'DeleteBucket'],
  ['GET bucket bucketInfo', 'GetBucketInfo'],
  ['GET bucket location', 'GetBucketLocation'],
  ['GET bucket acl', 'GetBucketAcl'],
  ['PUT bucket acl', 'PutBucketAcl'],
  ['GET bucket ', 'ListObjects'],
  ['GET bucket uploads', 'ListMultipartUploads'],
  ['POST bucket delete', 'DeleteMultipleObjects'],
  ['PUT object ', 'PutObject'],
  ['GET object ', 'GetObject'],
  ['HEAD object ', 'HeadObject'],
  ['HEAD object objectMeta', 'GetObjectMeta'],
  // Older oss2 (2.1x) sends GetObjectMeta as a GET; OSS answers it as the HEAD.
  ['GET object objectMeta', 'GetObjectMeta'],
  ['DELETE object ', 'DeleteObject'],
  ['GET object acl', 'GetObjectAcl'],
  ['PUT object acl', 'PutObjectAcl'],
  ['POST object uploads', 'InitiateMultipartUpload'],
  ['PUT object uploadId', 'UploadPart'],
  ['POST object uploadId', 'CompleteMultipartUpload'],
  ['DELETE object uploadId', 'AbortMultipartUpload'],
  ['GET object uploadId', 'ListParts'],
]);

export type Resolution =
  | { readonly kind: 'operation'; readonly name: OperationName }
  | { readonly kind: 'not-implemented'; readonly subresource: string }
  | { readonly kind: 'method-not-allowed' };

/** The operation a request names, or why there is none. */
export function resolveOperation(method: string, level: OssLevel, query: URLSearchParams): Resolution {
  const subs = [...new Set(query.keys())].filter((name) => OSS_SUBRESOURCES.has(name));
  if (subs.length > 1) return { kind: 'not-implemented', subresource: subs.join('&') };
  const sub = subs[0] ?? '';
  const name = OPERATIONS.get(`${method} ${level} ${sub}`);
  if (name !== undefined) return { kind: 'operation', name };
  return sub === '' ? { kind: 'method-not-allowed' } : { kind: 'not-implemented', subresource: sub };
}
