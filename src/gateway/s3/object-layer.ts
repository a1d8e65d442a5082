/**
 * S3 semantics over a GatewayBackend plus the metadata store: buckets are top-level directories,
 * keys are paths below them, `dir/` keys are directory markers, and each object's S3 attributes
 * live in the metadata store keyed by the store's fingerprint of its content.
 */
import { createHash } from 'node:crypto';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isTierfsError } from '../../errors.js';
import type { BucketTree } from '../common/bucket-tree.js';
import { KeyLayout } from '../common/key-layout.js';
import type { BackendEntry, GatewayBackend } from './backend.js';
import { S3Error, toS3Error } from './errors.js';
import type { CannedAcl, MetadataStore, ObjectHeaders, ObjectRecord, Tag } from './metadata-store.js';
import { checkBucketName, isValidBucketName, objectPath } from './names.js';

export const EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e';

/** What a writer chooses about an object besides its bytes. */
export interface ObjectAttributes {
  readonly headers: ObjectHeaders;
  readonly tags: readonly Tag[];
  readonly acl: CannedAcl;
  readonly owner: string;
}

export interface ObjectInfo extends ObjectAttributes {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly mtimeMs: number;
  /** Without quotes. */
  readonly etag: string;
  /** The backend's fingerprint of the bytes described: `open` reads that version or none. */
  readonly version?: string;
  /** Where the bytes are in the backend; undefined for a marker without a body. */
  readonly dataPath?: string;
}

export interface BucketInfo {
  readonly name: string;
  readonly createdMs: number;
  readonly acl: CannedAcl;
  readonly owner: string;
}

/**
 * The ETag of an object the gateway did not write (no metadata row, or the content changed
 * since): derived from the store's fingerprint. The `-1` suffix marks it, as multipart ETags are
 * marked, as not being an MD5 of the content, so clients do not compare it with one.
 */
export function foreignEtag(fingerprint: string): string {
  return `${createHash('md5').update(fingerprint).digest('hex')}-1`;
}

function join(bucket: string, path: string): string {
  return path === '' ? bucket : `${bucket}/${path}`;
}

export class ObjectLayer {
  readonly backend: GatewayBackend;
  readonly metadata: MetadataStore;

  /** Where each key's bytes are in the tree (see common/key-layout.ts). */
  private readonly layout: KeyLayout<BackendEntry>;

  constructor(backend: GatewayBackend, metadata: MetadataStore) {
    this.backend = backend;
    this.metadata = metadata;
    this.layout = new KeyLayout(backend, {
      rootOf: (bucket) => bucket,
      hasMarker: (bucket, path) => this.hasMarker(bucket, path),
      moved: (bucket, path, before, after) => {
        // A store may give moved bytes a new fingerprint: the record follows them. An object
        // written by others gets a record that matches no bytes, so that listings look inside.
        const record = this.metadata.getObject(bucket, path) ?? {
          bucket,
          key: path,
          fingerprint: '',
          etag: '',
          headers: { userMetadata: {} },
          tags: [],
          acl: 'private' as const,
          owner: '',
        };
        const fingerprint =
          record.fingerprint === before.fingerprint ? after.fingerprint : record.fingerprint;
        this.metadata.putObject({ ...record, fingerprint });
      },
    });
  }

  // --- buckets -----------------------------------------------------------------------------------

  async listBuckets(defaultOwner: string): Promise<BucketInfo[]> {
    const buckets: BucketInfo[] = [];
    for await (const entry of this.backend.children('')) {
      if (entry.isDirectory && isValidBucketName(entry.name))
        buckets.push(this.bucketInfo(entry, defaultOwner));
    }
    return buckets.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async bucket(name: string, defaultOwner = ''): Promise<BucketInfo> {
    if (!isValidBucketName(name)) throw new S3Error('NoSuchBucket', 'The specified bucket does not exist');
    const entry = await this.backend.stat(name);
    if (!entry?.isDirectory) throw new S3Error('NoSuchBucket', 'The specified bucket does not exist');
    return this.bucketInfo(entry, defaultOwner);
  }

  private bucketInfo(entry: BackendEntry, defaultOwner: string): BucketInfo {
    const record = this.metadata.getBucket(entry.name);
    return record ?? { name: entry.name, createdMs: entry.mtimeMs ?? 0, acl: 'private', owner: defaultOwner };
  }

  /**
   * Creates a bucket: BucketAlreadyOwnedByYou when the caller made it (or nobody is recorded as
   * its owner: a directory made by others), BucketAlreadyExists when another user did.
   */
  async createBucket(name: string, owner: string, acl: CannedAcl): Promise<void> {
    checkBucketName(name);
    if (await this.backend.stat(name)) {
      const record = this.metadata.getBucket(name);
      if (record && record.owner !== '' && record.owner !== owner) {
        throw new S3Error(
          'BucketAlreadyExists',
          'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
        );
      }
      throw new S3Error(
        'BucketAlreadyOwnedByYou',
        'Your previous request to create the named bucket succeeded and you already own it.',
      );
    }
    await this.backend.mkdirs(name);
    this.metadata.putBucket({ name, createdMs: Date.now(), acl, owner });
  }

  /** Deletes an empty bucket and its records (its multipart uploads are the caller's to drop). */
  async deleteBucket(name: string): Promise<void> {
    await this.bucket(name);
    for await (const _ of this.backend.children(name)) {
      throw new S3Error('BucketNotEmpty', 'The bucket you tried to delete is not empty');
    }
    try {
      await this.backend.delete(name);
    } catch (error) {
      if (isTierfsError(error, 'DIRECTORY_NOT_EMPTY')) {
        throw new S3Error('BucketNotEmpty', 'The bucket you tried to delete is not empty');
      }
      throw toS3Error(error, 'NoSuchBucket');
    }
    this.metadata.deleteBucket(name);
  }

  setBucketAcl(bucket: BucketInfo, acl: CannedAcl): void {
    this.metadata.putBucket({ ...bucket, acl });
  }

  // --- objects -----------------------------------------------------------------------------------
  //
  // A key is a path below its bucket, except where common/key-layout.ts keeps it inside the
  // directory of its name (the object `a` beside keys `a/…`, the body of a marker `d/`).

  /** The object, or undefined when there is none (a directory without a marker is none). */
  async stat(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    const { path, isMarker } = objectPath(key);
    const found = await this.layout.locate(bucket, path, isMarker);
    if (!found) return undefined;
    if (!isMarker) return this.describe(bucket, key, found.entry);
    const record = this.metadata.getObject(bucket, key);
    if (!record) return undefined;
    const { entry } = found;
    return found.kind === 'data'
      ? this.info(record, {
          size: entry.size,
          mtimeMs: entry.mtimeMs ?? 0,
          version: entry.fingerprint,
          dataPath: found.dataPath,
        })
      : this.info(record, { size: 0, mtimeMs: entry.mtimeMs ?? 0, etag: EMPTY_MD5 });
  }

  /** Like stat, but NoSuchKey (or NoSuchBucket) when there is no object. */
  async head(bucket: string, key: string): Promise<ObjectInfo> {
    const info = await this.stat(bucket, key);
    if (info) return info;
    await this.bucket(bucket);
    throw new S3Error('NoSuchKey', 'The specified key does not exist.');
  }

  /** ObjectInfo of a listed or stat'ed file, with its metadata row when that still applies. */
  describe(
    bucket: string,
    key: string,
    entry: BackendEntry,
    record = this.metadata.getObject(bucket, key),
  ): ObjectInfo {
    const facts = {
      size: entry.size,
      mtimeMs: entry.mtimeMs ?? 0,
      version: entry.fingerprint,
      dataPath: this.layout.dataPathOf(bucket, objectPath(key).path, entry),
    };
    if (record && record.fingerprint === entry.fingerprint) return this.info(record, facts);
    return {
      bucket,
      key,
      ...facts,
      etag: foreignEtag(entry.fingerprint),
      headers: { userMetadata: {} },
      tags: [],
      acl: 'private',
      owner: '',
    };
  }

  private info(
    record: ObjectRecord,
    facts: { size: number; mtimeMs: number; etag?: string; version?: string; dataPath?: string },
  ): ObjectInfo {
    return {
      bucket: record.bucket,
      key: record.key,
      size: facts.size,
      mtimeMs: facts.mtimeMs,
      etag: facts.etag ?? record.etag,
      version: facts.version,
      dataPath: facts.dataPath,
      headers: record.headers,
      tags: record.tags,
      acl: record.acl,
      owner: record.owner,
    };
  }

  /**
   * The bytes of the object `info` describes, and of no other version: STALE (ServiceUnavailable
   * as an S3Error) when it was replaced since, so what was answered about it (ETag, conditions)
   * holds for what is sent.
   */
  async open(info: ObjectInfo, range?: { offset: number; length: number }): Promise<Readable> {
    if (info.dataPath === undefined) return Readable.from([]);
    try {
      return await this.backend.open(info.dataPath, range, info.version);
    } catch (error) {
      throw toS3Error(error);
    }
  }

  /**
   * Writes an object from `source` (the request, then transforms). It appears only once the
   * whole stream has arrived and passed its checks. `etag` is asked for after the stream ended.
   */
  async put(
    bucket: string,
    key: string,
    source: readonly (NodeJS.ReadableStream | Transform)[],
    etag: () => string,
    attributes: ObjectAttributes,
  ): Promise<ObjectInfo> {
    const { path, isMarker } = objectPath(key);
    await this.bucket(bucket);
    let target: string;
    try {
      const writer = await this.layout.openWriter(bucket, path, isMarker, (at) => this.backend.create(at));
      target = writer.target;
      await pipeline([...source, writer.out]);
    } catch (error) {
      throw toS3Error(error);
    }
    // Moved into its directory right after it was written (a key below it arrived): found there.
    let entry =
      (await this.backend.stat(target)) ??
      (isMarker ? undefined : (await this.layout.locate(bucket, path, false))?.entry);
    if (!entry)
      throw new S3Error(
        'ServiceUnavailable',
        'The object was replaced right after it was written; please try again',
      );
    if (isMarker && entry.size === 0) {
      // A marker without a body is its directory alone.
      await this.layout.settleMarker(target, 0);
      entry = (await this.backend.stat(join(bucket, path))) ?? entry;
    }
    const empty = isMarker && entry.isDirectory;
    const record: ObjectRecord = {
      bucket,
      key,
      fingerprint: entry.fingerprint,
      etag: empty ? EMPTY_MD5 : etag(),
      ...attributes,
    };
    this.metadata.putObject(record);
    return this.info(record, {
      size: empty ? 0 : entry.size,
      mtimeMs: entry.mtimeMs ?? Date.now(),
      version: empty ? undefined : entry.fingerprint,
      dataPath: empty ? undefined : target,
    });
  }

  /** Replaces the attributes of an existing object (tags, ACL, or a metadata-only self-copy). */
  updateAttributes(info: ObjectInfo, fingerprint: string, attributes: Partial<ObjectAttributes>): void {
    this.metadata.putObject({
      bucket: info.bucket,
      key: info.key,
      fingerprint,
      etag: info.etag,
      headers: attributes.headers ?? info.headers,
      tags: attributes.tags ?? info.tags,
      acl: attributes.acl ?? info.acl,
      owner: attributes.owner ?? info.owner,
    });
  }

  /** The store's current fingerprint of an object (for updateAttributes). */
  async fingerprint(info: ObjectInfo): Promise<string> {
    const current = await this.stat(info.bucket, info.key);
    if (!current) throw new S3Error('NoSuchKey', 'The specified key does not exist.');
    if (current.version !== undefined) return current.version;
    const entry = await this.backend.stat(join(info.bucket, objectPath(info.key).path));
    if (!entry) throw new S3Error('NoSuchKey', 'The specified key does not exist.');
    return entry.fingerprint;
  }

  /**
   * Deletes an object; deleting a missing key succeeds, as in S3. Directories left empty are
   * removed up to the bucket unless they carry a marker, so listings stop showing them; a
   * directory left holding only the object of its name becomes that object again.
   */
  async delete(bucket: string, key: string): Promise<void> {
    const { path, isMarker } = objectPath(key);
    await this.bucket(bucket);
    this.metadata.deleteObject(bucket, key);
    try {
      await this.layout.remove(bucket, this.tree(bucket), path, isMarker);
    } catch (error) {
      throw toS3Error(error);
    }
  }

  /** The bucket's directory tree, for listings and removals. */
  tree(bucket: string): BucketTree<BackendEntry> {
    return {
      stat: (path) => this.backend.stat(join(bucket, path)),
      children: (path) => this.backend.children(join(bucket, path)),
      delete: (path) => this.backend.delete(join(bucket, path)),
      hasMarker: (path) => this.hasMarker(bucket, path),
      hasObject: (path) => this.metadata.getObject(bucket, path) !== undefined,
    };
  }

  /** Whether `dir/` (a path below the bucket) carries a directory marker. */
  hasMarker(bucket: string, dirPath: string): boolean {
    return this.metadata.getObject(bucket, `${dirPath}/`) !== undefined;
  }
}
