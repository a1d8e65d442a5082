/**
 * The one object model under the S3, OSS and Kodo gateways: buckets of keyed objects over the files
 * of an UnderStore (a local directory, or the tierfs namespace through TierfsUnderStore), with the
 * dialect's records beside the bytes. Buckets are directories of the store's root (or the root
 * itself, for OSS's single-bucket mode); a key is a path below its bucket except where the key
 * layout (key-layout.ts) keeps it inside the directory of its name; a `dir/` key is a directory
 * marker, which exists while its record does. A write is put → hash → the store's status of what
 * it wrote → record (object-write.ts), so a record never vouches for another writer's bytes.
 *
 * What each dialect adds is its wire format: which names are buckets, which record it keeps, the
 * entity tag it derives, and the error codes it answers with. Failures here are TierfsErrors with
 * the UnderStore contract's codes; the dialect's `rootOf` throws its own "no such bucket".
 */
import type { Readable } from 'node:stream';
import { isTierfsError } from '../../errors.js';
import type { UfsStatus, UfsWriteStream, UnderStore } from '../../ufs/contract.js';
import type { BucketTree } from './bucket-tree.js';
import type { ByteRange } from './byte-range.js';
import { KeyLayout, type Located } from './key-layout.js';
import { type ListPage, type ListQuery, listPage } from './key-listing.js';
import { type ObjectKeyPath, parseObjectKey } from './object-keys.js';
import { recordFollowsMove } from './object-records.js';
import { type WrittenKey, writeKey } from './object-write.js';
import { type StoreFiles, storeFiles } from './store-files.js';

/** Where a dialect keeps its records of objects (one per bucket and key). */
export interface ModelRecords<R extends { readonly fingerprint: string }> {
  find(bucket: string, key: string): R | undefined;
  put(record: R): void;
  /**
   * A record that matches no bytes, for an object written by others when the key layout moves
   * its bytes (so that listings look inside its directory).
   */
  blank(bucket: string, key: string): R;
}

export interface ObjectModelOptions<R extends { readonly fingerprint: string }> {
  readonly store: UnderStore;
  readonly records: ModelRecords<R>;
  /** The store path of a bucket's directory (`''`: the root); throws the dialect's "no such bucket". */
  readonly rootOf: (bucket: string) => string;
  /** Which directories of the root are buckets (names the dialect allows). */
  readonly isBucketName: (name: string) => boolean;
  /** Longest key in UTF-8 bytes (InvalidObjectName beyond); unlimited by default. */
  readonly maxKeyBytes?: number;
}

/** An object found: where its bytes are, or a marker's directory when it has none. */
export type FoundObject = Located<UfsStatus>;

function joinPath(root: string, path: string): string {
  return root === '' ? path : path === '' ? root : `${root}/${path}`;
}

export class ObjectModel<R extends { readonly fingerprint: string }> {
  readonly store: UnderStore;
  readonly files: StoreFiles;
  readonly layout: KeyLayout<UfsStatus>;
  private readonly records: ModelRecords<R>;

  constructor(private readonly options: ObjectModelOptions<R>) {
    this.store = options.store;
    this.records = options.records;
    this.files = storeFiles(options.store);
    this.layout = new KeyLayout<UfsStatus>(this.files, {
      rootOf: options.rootOf,
      hasMarker: (bucket, path) => this.hasMarker(bucket, path),
      moved: recordFollowsMove(options.records),
    });
  }

  // --- buckets -----------------------------------------------------------------------------------

  /** The directories of the root whose names are buckets, by name. */
  async buckets(): Promise<UfsStatus[]> {
    const found: UfsStatus[] = [];
    for await (const entry of this.files.children('')) {
      if (entry.isDirectory && this.options.isBucketName(entry.name)) found.push(entry);
    }
    return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The bucket's directory, or undefined when it is missing (rootOf throws for a bad name). */
  async bucket(bucket: string): Promise<UfsStatus | undefined> {
    const entry = await this.files.stat(this.options.rootOf(bucket)).catch((error: unknown) => {
      if (isTierfsError(error, 'INVALID_ARGUMENT')) return undefined;
      throw error;
    });
    return entry?.isDirectory ? entry : undefined;
  }

  async createBucket(bucket: string): Promise<void> {
    const root = this.options.rootOf(bucket);
    if (root !== '') await this.files.mkdirs(root);
  }

  /** Whether anything (an object, a directory, a gateway file) is in the bucket's directory. */
  async holdsAnything(bucket: string): Promise<boolean> {
    for await (const _ of this.files.children(this.options.rootOf(bucket))) return true;
    return false;
  }

  /** Removes the bucket's (empty) directory: DIRECTORY_NOT_EMPTY when something arrived meanwhile. */
  async removeBucket(bucket: string): Promise<void> {
    await this.files.delete(this.options.rootOf(bucket));
  }

  // --- objects -----------------------------------------------------------------------------------

  /** A key's path below its bucket (InvalidObjectName for keys a file system cannot hold). */
  keyPath(key: string): ObjectKeyPath {
    return parseObjectKey(key, this.options.maxKeyBytes);
  }

  /** The store path of a key's path below its bucket. */
  storePath(bucket: string, path: string): string {
    return joinPath(this.options.rootOf(bucket), path);
  }

  /**
   * Where the object at a key is: its bytes, or the directory of a marker put without a body;
   * undefined when there is none (absent, an implied directory, a marker without a record).
   */
  async find(bucket: string, key: string): Promise<FoundObject | undefined> {
    const { path, isMarker } = this.keyPath(key);
    const found = await this.layout.locate(bucket, path, isMarker);
    if (!found) return undefined;
    return isMarker && !this.records.find(bucket, key) ? undefined : found;
  }

  /**
   * The record that describes what `entry` holds: a file's while it names the file's fingerprint
   * (a record made for other bytes vouches for nothing), a marker directory's whatever that is (it
   * changes with what is put below it).
   */
  recordOf(bucket: string, key: string, entry: UfsStatus): R | undefined {
    const record = this.records.find(bucket, key);
    return record && (entry.isDirectory || record.fingerprint === entry.fingerprint) ? record : undefined;
  }

  /** The bytes at `dataPath` (a FoundObject's), of `version` only when given (STALE otherwise). */
  open(dataPath: string, range?: ByteRange, version?: string): Promise<Readable> {
    return this.files.open(dataPath, range && { offset: range.offset, length: range.length }, version);
  }

  /**
   * Writes the bytes of a key where the key layout puts them: `fill` streams them in (hashing
   * them on the way). Returns the store's status of the bytes written, to record. Without
   * `overwrite` an existing object is ALREADY_EXISTS (a marker is simply put again).
   */
  write(
    bucket: string,
    key: string,
    options: { readonly overwrite: boolean; readonly contentType?: string },
    fill: (out: UfsWriteStream) => Promise<void>,
  ): Promise<WrittenKey> {
    const { path, isMarker } = this.keyPath(key);
    return writeKey({
      store: this.store,
      layout: this.layout,
      bucket,
      path,
      fullPath: this.storePath(bucket, path),
      isMarker,
      create: (at) =>
        this.files.create(at, { overwrite: options.overwrite || isMarker, contentType: options.contentType }),
      fill,
    });
  }

  /**
   * Removes the bytes of a key whose record the caller forgot, then the directories that leaves
   * empty (unless marked) up to the bucket. A missing key changes nothing.
   */
  async remove(bucket: string, key: string): Promise<void> {
    const { path, isMarker } = this.keyPath(key);
    await this.layout.remove(bucket, this.tree(bucket), path, isMarker);
  }

  /** A page of the bucket's listing in key order (key-listing.ts). */
  list(bucket: string, query: ListQuery, limit: number): Promise<ListPage<UfsStatus>> {
    return listPage(this.tree(bucket), query, limit);
  }

  /** The bucket's directory tree; a directory is marked when a record of `dir/` exists. */
  tree(bucket: string): BucketTree<UfsStatus> {
    const at = (path: string) => this.storePath(bucket, path);
    return {
      stat: (path) => this.files.stat(at(path)),
      children: (path) => this.files.children(at(path)),
      delete: (path) => this.files.delete(at(path)),
      hasMarker: (path) => this.hasMarker(bucket, path),
      hasObject: (path) => this.records.find(bucket, path) !== undefined,
      ...(this.files.names ? { names: (path: string) => this.files.names!(at(path)) } : {}),
    };
  }

  /** Whether the directory at `path` (below the bucket) carries a marker. */
  hasMarker(bucket: string, path: string): boolean {
    return this.records.find(bucket, `${path}/`) !== undefined;
  }
}
