/**
 * S3 semantics over the common object model (common/object-model.ts) plus the metadata store:
 * buckets are top-level directories, keys are paths below them, `dir/` keys are directory
 * markers, and each object's S3 attributes live in the metadata store keyed by the store's
 * fingerprint of its content.
 */

import { createHash } from 'node:crypto';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isTierfsError } from '../../errors.js';
import type { UfsStatus, UnderStore } from '../../ufs/contract.js';
import type { BucketTree } from '../common/bucket-tree.js';
import { ObjectModel } from '../common/object-model.js';
import type { WrittenKey } from '../common/object-write.js';
import type { StoreFiles } from '../common/store-files.js';
import { cannedGrants, type Grant } from './acl.js';
import { S3Error, toS3Error } from './errors.js';
import type { CannedAcl, MetadataStore, ObjectHeaders, ObjectRecord, Tag } from './metadata-store.js';
import { BUCKET_NAME_RULE, checkBucketName, isValidBucketName, objectPath } from './names.js';
import type { StoredChecksum } from './object-checksums.js';
import { ObjectVersions } from './object-versions.js';
import { VERSIONS_AREA } from './version-store.js';

export const EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e';

/** What a writer chooses about an object besides its bytes. */
export interface ObjectAttributes {
  readonly headers: ObjectHeaders;
  readonly tags: readonly Tag[];
  readonly acl: CannedAcl;
  /** Explicit grants (x-amz-grant-* or an ACL document), which replace those of `acl`. */
  readonly grants?: readonly Grant[];
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
  /** The S3 version id; undefined is the `null` version. */
  readonly versionId?: string;
  /** Orders the versions of a key (see version-store.ts). */
  readonly seq?: number;
  /** Where the bytes of a noncurrent version are (below the root); undefined for the current one. */
  readonly blob?: string;
  /**
   * Where the bytes of the current version are in the backend (the key layout decides: the key's
   * path, `a/.tierfs-object`, `d/.tierfs-marker-body`); undefined for a marker without a body.
   */
  readonly dataPath?: string;
}

/** Options of one write: the version it makes, and what commits with its record. */
export interface WriteOptions {
  readonly versionId?: string;
  readonly seq?: number;
  /** Runs in the transaction that records the object, before its record is written. */
  readonly beforeRecord?: () => void;
  /** The checksum the body was found to have, asked once it has ended (kept with the object). */
  readonly checksum?: () => StoredChecksum | undefined;
}

export interface BucketInfo {
  readonly name: string;
  readonly createdMs: number;
  readonly acl: CannedAcl;
  /** Explicit grants, which replace those of `acl`. */
  readonly grants?: readonly Grant[];
  /** `''` for a directory the gateway did not create: every authenticated user owns it. */
  readonly owner: string;
}

/** Whether a bucket's ACL grants what a canned ACL or explicit grants would (compared as grant sets). */
function sameAcl(bucket: BucketInfo, acl: CannedAcl, grants: readonly Grant[] | undefined): boolean {
  const owner = bucket.owner;
  const set = (list: readonly Grant[]) => new Set(list.map((grant) => JSON.stringify(grant)));
  const had = set(bucket.grants ?? cannedGrants(bucket.acl, owner));
  const asked = set(grants ?? cannedGrants(acl, owner));
  return had.size === asked.size && [...had].every((grant) => asked.has(grant));
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
  /** The store's files, for what lies outside the buckets (the versions area). */
  readonly files: StoreFiles;
  readonly metadata: MetadataStore;
  /** Versioned buckets: versions, delete markers and the writes that make them. */
  readonly versions: ObjectVersions;

  /** Buckets, keys and where each key's bytes are (see common/object-model.ts). */
  private readonly model: ObjectModel<ObjectRecord>;

  constructor(store: UnderStore, metadata: MetadataStore) {
    this.metadata = metadata;
    this.versions = new ObjectVersions(this);
    this.model = new ObjectModel<ObjectRecord>({
      store,
      rootOf: (bucket) => bucket,
      isBucketName: isValidBucketName,
      records: {
        find: (bucket, key) => this.metadata.getObject(bucket, key),
        put: (record) => this.metadata.putObject(record),
        blank: (bucket, key) => ({
          bucket,
          key,
          fingerprint: '',
          etag: '',
          headers: { userMetadata: {} },
          tags: [],
          acl: 'private' as const,
          owner: '',
        }),
      },
    });
    this.files = this.model.files;
  }

  // --- buckets -----------------------------------------------------------------------------------

  async listBuckets(defaultOwner: string): Promise<BucketInfo[]> {
    return (await this.model.buckets()).map((entry) => this.bucketInfo(entry, defaultOwner));
  }

  async bucket(name: string, defaultOwner = ''): Promise<BucketInfo> {
    if (!isValidBucketName(name)) {
      await this.refuseUnservedDirectory(name);
      throw new S3Error('NoSuchBucket', 'The specified bucket does not exist');
    }
    const entry = await this.model.bucket(name);
    if (!entry) throw new S3Error('NoSuchBucket', 'The specified bucket does not exist');
    return this.bucketInfo(entry, defaultOwner);
  }

  /**
   * A top-level directory whose name S3 does not allow for a bucket (made with mkdir, say
   * `My_Data`) is not served; naming it is InvalidBucketName saying so and what would be right, not
   * a NoSuchBucket that contradicts what `ls` shows. The gateway's own areas (`.tierfs-*`) stay
   * NoSuchBucket.
   */
  private async refuseUnservedDirectory(name: string): Promise<void> {
    if (!/^[^/\\]{1,255}$/.test(name) || name === '.' || name === '..' || name.startsWith('.tierfs-')) return;
    const entry = await this.files.stat(name).catch(() => undefined);
    if (!entry?.isDirectory) return;
    throw new S3Error(
      'InvalidBucketName',
      `'${name}' is a directory of the gateway's root but not a valid bucket name (${BUCKET_NAME_RULE}), so it is not served as a bucket: rename the directory to a valid name`,
    );
  }

  private bucketInfo(entry: UfsStatus, defaultOwner: string): BucketInfo {
    const record = this.metadata.getBucket(entry.name);
    const grants = this.metadata.settings.get(entry.name, 'grants');
    const info = record ?? {
      name: entry.name,
      createdMs: entry.mtimeMs ?? 0,
      acl: 'private',
      owner: defaultOwner,
    };
    return grants === undefined ? info : { ...info, grants: JSON.parse(grants) as Grant[] };
  }

  /**
   * Creates a bucket. Re-creating a bucket one owns (or that nobody is recorded as owning: a
   * directory made by others, which every user owns) with the ACL it has succeeds and changes
   * nothing, as S3 answers in us-east-1, the region this gateway reports (elsewhere S3 answers
   * BucketAlreadyOwnedByYou). With another ACL it is BucketAlreadyExists, as on Ceph RGW: a
   * CreateBucket never changes an existing bucket's ACL (PutBucketAcl does). BucketAlreadyExists
   * too when another user made it.
   */
  async createBucket(name: string, owner: string, acl: CannedAcl, grants?: readonly Grant[]): Promise<void> {
    checkBucketName(name);
    if (await this.files.stat(name)) {
      const existing = await this.bucket(name);
      if (existing.owner !== '' && existing.owner !== owner) {
        throw new S3Error(
          'BucketAlreadyExists',
          'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
        );
      }
      if (!sameAcl(existing, acl, grants)) {
        throw new S3Error(
          'BucketAlreadyExists',
          `You already own the bucket '${name}' with another ACL; CreateBucket does not change an existing bucket's ACL: use PutBucketAcl`,
        );
      }
      return;
    }
    await this.model.createBucket(name);
    this.metadata.db.transaction(() => {
      this.metadata.deleteBucket(name); // settings left by a bucket of that name deleted outside the gateway
      this.metadata.putBucket({ name, createdMs: Date.now(), acl, owner });
      if (grants) this.metadata.settings.set(name, 'grants', JSON.stringify(grants));
    });
  }

  /**
   * Deletes an empty bucket (no objects, no noncurrent versions or delete markers) and its records
   * (its multipart uploads are the caller's to drop).
   */
  async deleteBucket(name: string): Promise<void> {
    await this.bucket(name);
    const notEmpty = () => new S3Error('BucketNotEmpty', 'The bucket you tried to delete is not empty');
    if (this.metadata.versions.hasAny(name)) throw notEmpty();
    if (await this.model.holdsAnything(name)) throw notEmpty();
    try {
      await this.model.removeBucket(name);
    } catch (error) {
      if (isTierfsError(error, 'DIRECTORY_NOT_EMPTY')) {
        throw new S3Error('BucketNotEmpty', 'The bucket you tried to delete is not empty');
      }
      throw toS3Error(error, 'NoSuchBucket');
    }
    this.metadata.deleteBucket(name);
    // Blobs whose versions were deleted but not yet their files (a crash in between).
    await this.files.delete(`${VERSIONS_AREA}/${name}`, { recursive: true }).catch(() => undefined);
  }

  /** Replaces a bucket's ACL: a canned one, or explicit grants. */
  setBucketAcl(bucket: BucketInfo, acl: CannedAcl, grants?: readonly Grant[]): void {
    this.metadata.db.transaction(() => {
      this.metadata.putBucket({ name: bucket.name, createdMs: bucket.createdMs, owner: bucket.owner, acl });
      if (grants) this.metadata.settings.set(bucket.name, 'grants', JSON.stringify(grants));
      else this.metadata.settings.delete(bucket.name, 'grants');
    });
  }

  // --- objects -----------------------------------------------------------------------------------
  //
  // A key is a path below its bucket, except where common/key-layout.ts keeps it inside the
  // directory of its name (the object `a` beside keys `a/…`, the body of a marker `d/`).

  /** The object, or undefined when there is none (a directory without a marker is none). */
  async stat(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    const { isMarker } = objectPath(key);
    const found = await this.model.find(bucket, key);
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
  describe(bucket: string, key: string, entry: UfsStatus): ObjectInfo {
    const facts = {
      size: entry.size,
      mtimeMs: entry.mtimeMs ?? 0,
      version: entry.fingerprint,
      dataPath: this.model.layout.dataPathOf(bucket, objectPath(key).path, entry),
    };
    const record = this.model.recordOf(bucket, key, entry);
    if (record) return this.info(record, facts);
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
      grants: record.grants,
      owner: record.owner,
      versionId: record.versionId,
      seq: record.seq,
    };
  }

  /**
   * The bytes of the object `info` describes, and of no other version: STALE (ServiceUnavailable
   * as an S3Error) when it was replaced since, so what was answered about it (ETag, conditions)
   * holds for what is sent.
   */
  async open(info: ObjectInfo, range?: { offset: number; length: number }): Promise<Readable> {
    const at = info.blob ?? info.dataPath;
    if (at === undefined) return Readable.from([]);
    try {
      return await this.model.open(at, range, info.version);
    } catch (error) {
      throw toS3Error(error);
    }
  }

  /**
   * Writes an object from `source` (the request, then transforms). It appears only once the
   * whole stream has arrived and passed its checks. `etag` is asked for after the stream ended.
   * In a versioned bucket the object it replaces stays as a noncurrent version.
   */
  async put(
    bucket: string,
    key: string,
    source: readonly (NodeJS.ReadableStream | Transform)[],
    etag: () => string,
    attributes: ObjectAttributes,
    checksum?: () => StoredChecksum | undefined,
  ): Promise<ObjectInfo> {
    objectPath(key);
    await this.bucket(bucket);
    if (this.metadata.settings.versioning(bucket) !== '') {
      return this.versions.put(bucket, key, source, etag, attributes, checksum);
    }
    return this.write(bucket, key, source, etag, attributes, { checksum });
  }

  /** `put` without versioning: replaces the current object at the key's path. */
  async write(
    bucket: string,
    key: string,
    source: readonly (NodeJS.ReadableStream | Transform)[],
    etag: () => string,
    attributes: ObjectAttributes,
    options: WriteOptions = {},
  ): Promise<ObjectInfo> {
    const { isMarker } = objectPath(key);
    let written: WrittenKey;
    try {
      // The status is the store's of the bytes this write made, never another writer's.
      written = await this.model.write(bucket, key, { overwrite: true }, (out) => pipeline([...source, out]));
    } catch (error) {
      throw toS3Error(error);
    }
    const { target, status: entry } = written;
    const empty = isMarker && entry.isDirectory;
    const { checksum: _earlier, ...headers } = attributes.headers;
    const checksum = options.checksum?.();
    const record: ObjectRecord = {
      bucket,
      key,
      fingerprint: entry.fingerprint,
      etag: empty ? EMPTY_MD5 : etag(),
      ...attributes,
      headers:
        checksum === undefined ? (options.checksum ? headers : attributes.headers) : { ...headers, checksum },
      versionId: options.versionId,
      seq: options.seq,
    };
    this.metadata.db.transaction(() => {
      options.beforeRecord?.();
      this.metadata.putObject(record);
    });
    return this.info(record, {
      size: empty ? 0 : entry.size,
      mtimeMs: entry.mtimeMs ?? Date.now(),
      version: empty ? undefined : entry.fingerprint,
      dataPath: empty ? undefined : target,
    });
  }

  /**
   * Replaces the attributes of an existing object (tags, ACL, or a metadata-only self-copy), or of
   * a noncurrent version when `info` is one.
   */
  updateAttributes(info: ObjectInfo, fingerprint: string, attributes: Partial<ObjectAttributes>): void {
    if (info.blob !== undefined) {
      this.versions.updateAttributes(info, attributes);
      return;
    }
    this.metadata.putObject({
      bucket: info.bucket,
      key: info.key,
      fingerprint,
      etag: info.etag,
      headers: attributes.headers ?? info.headers,
      tags: attributes.tags ?? info.tags,
      acl: attributes.acl ?? info.acl,
      grants: 'grants' in attributes ? attributes.grants : info.grants,
      owner: attributes.owner ?? info.owner,
      versionId: info.versionId,
      seq: info.seq,
    });
  }

  /** The store's current fingerprint of an object (for updateAttributes). */
  async fingerprint(info: ObjectInfo): Promise<string> {
    if (info.blob !== undefined) return info.version ?? '';
    const current = await this.stat(info.bucket, info.key);
    if (!current) throw new S3Error('NoSuchKey', 'The specified key does not exist.');
    if (current.version !== undefined) return current.version;
    const entry = await this.files.stat(join(info.bucket, objectPath(info.key).path));
    if (!entry) throw new S3Error('NoSuchKey', 'The specified key does not exist.');
    return entry.fingerprint;
  }

  /**
   * Deletes an object; deleting a missing key succeeds, as in S3. Directories left empty are
   * removed up to the bucket unless they carry a marker, so listings stop showing them; a
   * directory left holding only the object of its name becomes that object again.
   */
  async delete(bucket: string, key: string): Promise<void> {
    await this.bucket(bucket);
    this.metadata.deleteObject(bucket, key);
    await this.removeFile(bucket, key);
  }

  /** Removes the file (or marker directory) of the current object, and directories left empty. */
  async removeFile(bucket: string, key: string): Promise<void> {
    objectPath(key);
    try {
      await this.model.remove(bucket, key);
    } catch (error) {
      throw toS3Error(error);
    }
  }

  /** The bucket's directory tree, for listings and removals. */
  tree(bucket: string): BucketTree<UfsStatus> {
    return this.model.tree(bucket);
  }

  /** Whether `dir/` (a path below the bucket) carries a directory marker. */
  hasMarker(bucket: string, dirPath: string): boolean {
    return this.model.hasMarker(bucket, dirPath);
  }
}
