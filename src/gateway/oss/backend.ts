/**
 * What the OSS handlers get from storage: buckets, objects with OSS's metadata (upper-case hex
 * ETags, object type, Content-MD5), listings in key order and multipart uploads. UfsOssBackend
 * implements it on the common object model (common/object-model.ts), over a local directory or
 * the tierfs namespace alike; failures are TierfsErrors whose `details.reason` names the OSS
 * error (`NoSuchKey`, `NoSuchUpload`, `InvalidPart`, ...).
 */
import type { Readable } from 'node:stream';
import { type ErrorCode, TierfsError } from '../../errors.js';
import type { ByteRange } from '../common/byte-range.js';

export type ObjectType = 'Normal' | 'Multipart';

export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date;
  /** Entity tag without quotes: upper-case hex MD5, or `<hex>-<parts>` after a multipart upload. */
  readonly etag: string;
  readonly contentType: string | undefined;
  /** User metadata, names lower-cased without the protocol prefix (`x-oss-meta-`, `x-amz-meta-`). */
  readonly userMeta: Readonly<Record<string, string>>;
  readonly objectType: ObjectType;
  /** base64 MD5 of the content when known. */
  readonly contentMd5: string | undefined;
  /** The store's fingerprint of the bytes described (files only): what openObject can be pinned to. */
  readonly version?: string;
}

export interface PutObjectOptions {
  readonly contentType?: string;
  readonly userMeta?: Readonly<Record<string, string>>;
  /** Fail with reason FileAlreadyExists instead of replacing an existing object. */
  readonly forbidOverwrite?: boolean;
  /** base64 MD5 the body must have (reason InvalidDigest otherwise); checked before the object is visible. */
  readonly contentMd5?: string;
}

export interface ListObjectsOptions {
  readonly prefix: string;
  /** `''` for a flat listing. */
  readonly delimiter: string;
  /** Only keys (and common prefixes) after this one. */
  readonly after: string;
  readonly maxKeys: number;
}

export interface ListObjectsResult {
  readonly objects: readonly ObjectInfo[];
  readonly commonPrefixes: readonly string[];
  readonly isTruncated: boolean;
  /** The last key or common prefix returned, when truncated. */
  readonly nextMarker: string | undefined;
}

export type { ByteRange } from '../common/byte-range.js';

export interface UploadInfo {
  readonly uploadId: string;
  readonly key: string;
  readonly initiated: Date;
}

export interface PartInfo {
  readonly partNumber: number;
  readonly etag: string;
  readonly size: number;
  readonly lastModified: Date;
}

export interface CompletePart {
  readonly partNumber: number;
  /** As the client sent it; quotes and case do not matter. */
  readonly etag: string;
}

export interface BucketSummary {
  readonly name: string;
  /** When the bucket's directory was created, as far as the store knows (else the epoch). */
  readonly created: Date;
}

export interface OssBackend {
  /** Throws reason NoSuchBucket when the bucket does not exist. */
  checkBucket(bucket: string): Promise<void>;
  createBucket(bucket: string): Promise<void>;
  /** The bucket (reason NoSuchBucket when missing). */
  bucketSummary(bucket: string): Promise<BucketSummary>;
  /** Every bucket, by name. */
  listBuckets(): Promise<readonly BucketSummary[]>;
  /** Reason BucketNotEmpty while it holds an object or an unfinished multipart upload. */
  deleteBucket(bucket: string): Promise<void>;
  headObject(bucket: string, key: string): Promise<ObjectInfo>;
  /** The bytes of the object; of `version` only when given (STALE when it has another one). */
  openObject(bucket: string, key: string, range?: ByteRange, version?: string): Promise<Readable>;
  putObject(bucket: string, key: string, body: Readable, options: PutObjectOptions): Promise<ObjectInfo>;
  /** Succeeds when the object does not exist. */
  deleteObject(bucket: string, key: string): Promise<void>;
  listObjects(bucket: string, options: ListObjectsOptions): Promise<ListObjectsResult>;
  createMultipartUpload(bucket: string, key: string, options: PutObjectOptions): Promise<UploadInfo>;
  uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable,
    contentMd5?: string,
  ): Promise<PartInfo>;
  listParts(bucket: string, key: string, uploadId: string): Promise<readonly PartInfo[]>;
  completeMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    parts: readonly CompletePart[],
  ): Promise<ObjectInfo>;
  abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void>;
  listMultipartUploads(bucket: string, prefix: string): Promise<readonly UploadInfo[]>;
  close(): Promise<void>;
}

/** Object-store error names shared by S3 and OSS, carried as `details.reason`. */
export type BackendErrorReason =
  | 'NoSuchBucket'
  | 'NoSuchKey'
  | 'NoSuchUpload'
  | 'InvalidPart'
  | 'InvalidPartOrder'
  | 'EntityTooSmall'
  | 'InvalidDigest'
  | 'FileAlreadyExists'
  | 'InvalidObjectName'
  | 'InvalidBucketName'
  | 'BucketNotEmpty'
  | 'AccessDenied';

export function backendError(
  code: ErrorCode,
  reason: BackendErrorReason,
  message: string,
  details: Record<string, string> = {},
): TierfsError {
  return new TierfsError(code, message, { details: { reason, ...details } });
}
