/**
 * What the Kodo protocol layer needs from storage: buckets of keyed objects with Kodo's facts
 * (hash, MIME type, put time). UfsKodoBackend implements it on the common object model, over a
 * local directory or the tierfs namespace alike.
 */
import type { Readable } from 'node:stream';
import type { ByteRange } from '../common/byte-range.js';

export interface KodoObject {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  /** The qetag of the bytes. */
  readonly hash: string;
  readonly mimeType: string;
  /** Upload time, ms since the epoch (Kodo reports it in 100 ns units). */
  readonly putTimeMs: number;
  readonly userMetadata: Readonly<Record<string, string>>;
}

export interface PutObjectOptions {
  /** Replace an existing object; otherwise an existing key is FILE_EXISTS (614). */
  readonly overwrite: boolean;
  readonly mimeType?: string;
  readonly userMetadata?: Readonly<Record<string, string>>;
  /** Refuse (413) more bytes than this. */
  readonly sizeLimit?: number;
  /**
   * Runs once all bytes have arrived and before the object becomes visible; throwing aborts the
   * write and leaves nothing behind (e.g. a CRC32 sent after the data does not match).
   */
  readonly beforeCommit?: (written: { size: number; hash: string }) => Promise<void>;
}

export interface ListObjectsOptions {
  readonly prefix: string;
  readonly delimiter: string;
  readonly limit: number;
  /** Resume after this key, or after every key under this common prefix. */
  readonly after?: ListPosition;
}

export interface ListPosition {
  readonly key: string;
  readonly isPrefix: boolean;
}

export interface ListObjectsPage {
  readonly items: readonly KodoObject[];
  readonly commonPrefixes: readonly string[];
  /** Present when more may follow. */
  readonly next?: ListPosition;
}

export interface KodoBackend {
  listBuckets(): Promise<string[]>;
  /** NO_SUCH_BUCKET (631) unless the bucket exists. */
  requireBucket(bucket: string): Promise<void>;
  createBucket(bucket: string): Promise<void>;
  /** Removes an empty bucket: NO_SUCH_BUCKET (631) when absent, FORBIDDEN (403) while it holds files. */
  deleteBucket(bucket: string): Promise<void>;
  /** NO_SUCH_FILE (612) when absent. */
  stat(bucket: string, key: string): Promise<KodoObject>;
  /**
   * The object and a stream of its bytes (the whole object, or the range), of the version
   * described and no other: STALE when the object was replaced between the two.
   */
  open(bucket: string, key: string, range?: ByteRange): Promise<{ object: KodoObject; body: Readable }>;
  /** Streams `source` into the object; visible only once complete. */
  put(
    bucket: string,
    key: string,
    source: Readable | AsyncIterable<Buffer>,
    options: PutObjectOptions,
  ): Promise<KodoObject>;
  delete(bucket: string, key: string): Promise<void>;
  move(from: ObjectRef, to: ObjectRef, force: boolean): Promise<void>;
  copy(from: ObjectRef, to: ObjectRef, force: boolean): Promise<void>;
  setMimeType(bucket: string, key: string, mimeType: string): Promise<void>;
  list(bucket: string, options: ListObjectsOptions): Promise<ListObjectsPage>;
  close(): Promise<void>;
}

export interface ObjectRef {
  readonly bucket: string;
  readonly key: string;
}
