/**
 * The raw object operations a cloud driver supplies (S3 now, OSS and Kodo later). Everything
 * file-system-like (directories, listing pages, rename, writers, cleanup) is built on top of these
 * in ObjectUnderStore, so a driver is only this interface plus its quirks as data.
 *
 * Keys are full object keys in the bucket (the store's root prefix already applied). Failures are
 * TierfsErrors: NOT_FOUND for a missing key or upload, PERMISSION_DENIED, RATE_LIMITED, UNAVAILABLE,
 * TIMEOUT (the last three retryable), so layers (retry, timeout, logging) work for any driver.
 */
import type { Readable } from 'node:stream';

export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  /** Last modification in ms since the epoch. */
  readonly mtimeMs: number;
  /** Entity tag without quotes, when the store has one. */
  readonly etag?: string;
}

/** A request body that can be opened again, so a failed request can be retried. */
export interface ObjectBody {
  readonly length: number;
  open(): Readable;
  /**
   * The whole body, when it is in memory (a part of an in-memory multipart upload): a client
   * sends it as it is, with no stream to pump, rather than open() it.
   */
  readonly bytes?: Buffer;
  /**
   * The body's SHA-256 (hex), read from where a body that is not in memory lives (a range of a
   * local file): a client that signs its payload sends it, so the store refuses bytes changed on
   * the way, as it does for in-memory bodies (which it hashes itself).
   */
  sha256?(): Promise<string>;
}

export interface RequestOptions {
  readonly signal?: AbortSignal;
}

export interface GetObjectOptions extends RequestOptions {
  /**
   * The etag (without quotes) the object must have: sent as `If-Match: "<etag>"` where the store
   * takes it, and compared with the answer's ETag before the body is handed out. Any mismatch
   * rejects with PRECONDITION_FAILED, and no byte of the other version is returned.
   */
  readonly ifMatch?: string;
  /**
   * With ifMatch: refuse (UNSUPPORTED) an answer that cannot prove its version, i.e. one without
   * an ETag from a store that takes no If-Match. Without it such an answer is served unchecked.
   * Set for reads the caller pinned to a version.
   */
  readonly requireProof?: boolean;
  /**
   * This GET is the whole read: no ranged GET of the same read follows it. A driver may then fetch
   * a short range into memory at once (S3's small GETs, ufs/s3/s3-small-get.ts) instead of
   * streaming it.
   */
  readonly wholeRead?: boolean;
}

export interface ListObjectsRequest {
  readonly prefix: string;
  /** Roll keys up into common prefixes at this separator (a non-recursive listing). */
  readonly delimiter?: string;
  /** Keys (and prefixes) after this one only; exclusive. */
  readonly startAfter?: string;
  /** A nextToken from the previous response of the same listing; wins over startAfter. */
  readonly token?: string;
  /** At most this many objects plus prefixes (1..1000). */
  readonly maxKeys: number;
}

export interface ListObjectsResponse {
  /** In key order. */
  readonly objects: readonly ObjectInfo[];
  /** Common prefixes (ending with the delimiter), in key order. */
  readonly prefixes: readonly string[];
  readonly nextToken?: string;
}

export interface CompletedPart {
  readonly partNumber: number;
  readonly etag: string;
}

export interface MultipartUploadInfo {
  readonly key: string;
  readonly uploadId: string;
  readonly initiatedMs: number;
}

export interface ListMultipartUploadsResponse {
  readonly uploads: readonly MultipartUploadInfo[];
  /** Pass back to get the next page. */
  readonly nextToken?: string;
}

/** What a server-side copy answered about the new object, as far as the store said. */
export interface CopiedObject {
  /** Entity tag without quotes. */
  readonly etag?: string;
  /** Last modification in ms since the epoch. */
  readonly mtimeMs?: number;
}

export interface PutOptions extends RequestOptions {
  readonly contentType?: string;
}

export interface ObjectClient {
  /** Bucket (or container) name, for messages and logs. */
  readonly bucket: string;
  /** Metadata of one object; undefined when there is none. */
  headObject(key: string, options?: RequestOptions): Promise<ObjectInfo | undefined>;
  /** The bytes [start, end] (inclusive) of an object, or all of it without a range. */
  getObject(
    key: string,
    range?: { start: number; end: number },
    options?: GetObjectOptions,
  ): Promise<Readable>;
  /** Writes an object; resolves to the etag (without quotes) the store answered, when it sent one. */
  putObject(key: string, body: ObjectBody, options?: PutOptions): Promise<string | undefined>;
  /** A server-side copy of a whole object (at most singleCopyLimit bytes); resolves to what the store answered. */
  copyObject(source: string, destination: string, options?: RequestOptions): Promise<CopiedObject>;
  /**
   * The largest object one copyObject can copy (S3: 5 GiB, OSS: 1 GiB); undefined when there is
   * no such limit. Larger objects are copied in parts with uploadPartCopy.
   */
  readonly singleCopyLimit?: number;
  /**
   * Optional: copies the bytes [start, end] (inclusive) of object `source` as part `partNumber`
   * (from 1) of the multipart upload `uploadId` of `key` (S3/OSS UploadPartCopy); returns its etag.
   */
  uploadPartCopy?(
    key: string,
    uploadId: string,
    partNumber: number,
    source: string,
    range: { start: number; end: number },
    options?: RequestOptions,
  ): Promise<string>;
  /**
   * Optional: a server-side move of one object (Kodo's `move`), used to rename a file in one
   * request; without it a file is renamed by copy then delete.
   */
  moveObject?(source: string, destination: string, options?: RequestOptions): Promise<void>;
  /** Deleting a missing key is not an error. */
  deleteObject(key: string, options?: RequestOptions): Promise<void>;
  /** Deletes up to 1000 keys in one request; rejects if any could not be deleted. */
  deleteObjects(keys: readonly string[], options?: RequestOptions): Promise<void>;
  listObjects(request: ListObjectsRequest, options?: RequestOptions): Promise<ListObjectsResponse>;
  initiateMultipartUpload(key: string, options?: PutOptions): Promise<string>;
  /** Uploads one part (numbered from 1) and returns its etag. */
  uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: ObjectBody,
    options?: RequestOptions,
  ): Promise<string>;
  /** Makes the object appear (atomically); resolves to its etag (without quotes) when the store sent one. */
  completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: readonly CompletedPart[],
    options?: RequestOptions,
  ): Promise<string | undefined>;
  abortMultipartUpload(key: string, uploadId: string, options?: RequestOptions): Promise<void>;
  /** Multipart uploads in progress whose key starts with `prefix`. */
  listMultipartUploads(
    prefix: string,
    token?: string,
    options?: RequestOptions,
  ): Promise<ListMultipartUploadsResponse>;
  /** Releases sockets. */
  close(): Promise<void>;
}

/** Names of the ObjectClient operations, as logged and as seen by layers. */
export type ObjectOperation = Exclude<keyof ObjectClient, 'bucket' | 'close' | 'singleCopyLimit'>;
