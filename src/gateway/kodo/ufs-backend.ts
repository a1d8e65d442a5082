/**
 * KodoBackend on the common object model (common/object-model.ts) over any UnderStore: each
 * top-level directory of the store is a bucket and an object `bucket/key` is the plain file at
 * that path, so what the gateway writes is readable by anything else and files written by others
 * are served too; markers (`dir/`) and keys that are also prefixes are kept as the model keeps
 * them. What is Kodo's own here: bucket names, its record (qetag, MIME type, put time, size), the
 * upload size limit and check before commit, and move/copy with Kodo's force rules. For a file
 * with no record, or a record made for other bytes, the hash is derived by reading the file once
 * and remembered.
 */
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isTierfsError } from '../../errors.js';
import type { UfsStatus, UnderStore } from '../../ufs/contract.js';
import { pruneEmptyParents } from '../common/bucket-tree.js';
import type { ByteRange } from '../common/byte-range.js';
import { itemKey } from '../common/key-listing.js';
import { isMarkerKey, parseObjectKey } from '../common/object-keys.js';
import { ObjectModel } from '../common/object-model.js';
import { modelRecords, type ObjectRecord, type ObjectRecordStore } from '../common/object-records.js';
import type {
  KodoBackend,
  KodoObject,
  ListObjectsOptions,
  ListObjectsPage,
  ObjectRef,
  PutObjectOptions,
} from './backend.js';
import { badRequest, fileExists, KODO_STATUS, KodoError, noSuchBucket, noSuchFile } from './errors.js';
import { QetagHasher, QetagStream } from './qetag.js';

export const DEFAULT_MIME_TYPE = 'application/octet-stream';

/** What Kodo keeps of an object beyond the fields every protocol has. */
export interface KodoExtra {
  /** Size of the bytes the hash was taken of. */
  readonly size: number;
  /** When the object was written, ms since the epoch. */
  readonly putTimeMs: number;
}

type KodoRecord = ObjectRecord<KodoExtra>;
const BUCKET_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

const BUCKET_NAME_RULE = "1 to 63 letters, digits, '-' and '_', starting with a letter or digit";
/** A single path segment a directory could have, before it is checked as a bucket name. */
const PLAIN_NAME = /^[^/\\]{1,255}$/;

function checkBucketName(bucket: string): void {
  if (!BUCKET_NAME.test(bucket)) throw badRequest(`invalid bucket name '${bucket}' (${BUCKET_NAME_RULE})`);
}

/** Where an object lives. */
interface ObjectLocation {
  /** The store path (a file, or the directory of a marker). */
  readonly path: string;
  /** The path below the bucket. */
  readonly keyPath: string;
  /** The key ends in `/`: a directory marker. */
  readonly isMarker: boolean;
}

/** The location of an object; keys that are not plain relative paths (`a//b`, `../x`) are 400. */
function locate(bucket: string, key: string): ObjectLocation {
  checkBucketName(bucket);
  const { path, isMarker } = parseObjectKey(key);
  return { path: `${bucket}/${path}`, keyPath: path, isMarker };
}

export class UfsKodoBackend implements KodoBackend {
  private readonly model: ObjectModel<KodoRecord>;

  constructor(
    private readonly store: UnderStore,
    private readonly metadata: ObjectRecordStore<KodoExtra>,
  ) {
    this.model = new ObjectModel<KodoRecord>({
      store,
      // Names are checked where Kodo says which error a bad one is (400 or 631).
      rootOf: (bucket) => bucket,
      isBucketName: (name) => BUCKET_NAME.test(name),
      // A blank record's hash is taken when the object is first described.
      records: modelRecords(this.metadata, { size: -1, putTimeMs: 0 }),
    });
  }

  async listBuckets(): Promise<string[]> {
    return (await this.model.buckets()).map((entry) => entry.name);
  }

  /**
   * NO_SUCH_BUCKET unless the bucket exists. A top-level directory whose name is not a bucket name
   * (made with mkdir, say `my.photos`) is not served; naming it is a 400 saying so, not a 631 that
   * contradicts what `ls` shows.
   */
  async requireBucket(bucket: string): Promise<void> {
    if (!BUCKET_NAME.test(bucket)) {
      const isDirectory =
        PLAIN_NAME.test(bucket) && bucket !== '.' && bucket !== '..'
          ? (await this.store.getStatus(bucket).catch(() => undefined))?.isDirectory
          : false;
      if (isDirectory) {
        throw badRequest(
          `'${bucket}' is a directory of the gateway's root but not a valid bucket name (${BUCKET_NAME_RULE}), ` +
            'so it is not served as a bucket: rename the directory to a valid name',
        );
      }
      throw noSuchBucket();
    }
    if (!(await this.model.bucket(bucket))) throw noSuchBucket();
  }

  async createBucket(bucket: string): Promise<void> {
    checkBucketName(bucket);
    if (await this.store.exists(bucket)) throw new KodoError(KODO_STATUS.FILE_EXISTS, 'bucket exists');
    await this.model.createBucket(bucket);
  }

  async deleteBucket(bucket: string): Promise<void> {
    await this.requireBucket(bucket);
    const notEmpty = () =>
      new KodoError(KODO_STATUS.FORBIDDEN, `bucket ${bucket} is not empty: delete its files first`);
    if (await this.model.holdsAnything(bucket)) throw notEmpty();
    await this.model.removeBucket(bucket).catch((error: unknown) => {
      throw isTierfsError(error, 'DIRECTORY_NOT_EMPTY') ? notEmpty() : error;
    });
  }

  /**
   * The status of the object at a key: the file holding its bytes, or for a marker key put without
   * a body its directory; undefined when there is none (absent, or an implied directory).
   */
  private async findObject(bucket: string, key: string): Promise<UfsStatus | undefined> {
    await this.requireBucket(bucket);
    locate(bucket, key);
    return (await this.model.find(bucket, key))?.entry;
  }

  /** Like findObject, but 612 when there is no object. */
  private async objectStatus(bucket: string, key: string): Promise<UfsStatus> {
    const status = await this.findObject(bucket, key);
    if (!status) throw noSuchFile();
    return status;
  }

  /**
   * Kodo's facts about an object: its record when current, else derived from the bytes and kept.
   * A marker's record is its own whatever its directory's fingerprint, which changes with what is
   * put below it.
   */
  private async describe(bucket: string, key: string, status: UfsStatus): Promise<KodoObject> {
    let record = this.metadata.find(bucket, key);
    if (status.isDirectory) {
      if (!record) throw noSuchFile();
      return toObject(record);
    }
    if (!record || record.fingerprint !== status.fingerprint || record.extra.size !== status.size) {
      const hasher = new QetagHasher();
      // Hashed at the version stat'ed, so the record's hash is of the bytes its fingerprint names.
      for await (const chunk of await this.model.open(status.path, undefined, status.fingerprint)) {
        hasher.update(chunk as Buffer);
      }
      record = {
        bucket,
        key,
        fingerprint: status.fingerprint,
        etag: hasher.digest(),
        contentType: record?.contentType ?? DEFAULT_MIME_TYPE,
        userMetadata: {},
        extra: { size: hasher.size, putTimeMs: Math.trunc(status.mtimeMs ?? Date.now()) },
      };
      this.metadata.put(record);
    }
    return toObject(record);
  }

  async stat(bucket: string, key: string): Promise<KodoObject> {
    return this.describe(bucket, key, await this.objectStatus(bucket, key));
  }

  async open(
    bucket: string,
    key: string,
    range?: ByteRange,
  ): Promise<{ object: KodoObject; body: Readable }> {
    const status = await this.objectStatus(bucket, key);
    const object = await this.describe(bucket, key, status);
    // The bytes of the version described (STALE if it was replaced since), so the object's hash
    // (the download's ETag) is the hash of what is sent.
    const body = status.isDirectory
      ? Readable.from([])
      : await this.model.open(status.path, range, status.fingerprint);
    return { object, body };
  }

  async put(
    bucket: string,
    key: string,
    source: Readable | AsyncIterable<Buffer>,
    options: PutObjectOptions,
  ): Promise<KodoObject> {
    await this.requireBucket(bucket);
    const { isMarker } = locate(bucket, key);
    if (isMarker && !options.overwrite && (await this.findObject(bucket, key))) throw fileExists();
    const hashing = new QetagStream();
    const limit = options.sizeLimit;
    const guard = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        if (limit !== undefined && hashing.hasher.size > limit) {
          callback(
            new KodoError(KODO_STATUS.TOO_LARGE, `file exceeds the upload size limit of ${limit} bytes`),
          );
        } else callback(null, chunk);
      },
      flush(callback) {
        const check = options.beforeCommit?.({ size: hashing.hasher.size, hash: hashing.hasher.digest() });
        if (!check) return callback();
        check.then(() => callback(), callback);
      },
    });
    const { status } = await this.model.write(
      bucket,
      key,
      { overwrite: options.overwrite, contentType: options.mimeType },
      (out) => pipeline(source, hashing, guard, out),
    );
    const record: KodoRecord = {
      bucket,
      key,
      fingerprint: status.fingerprint,
      etag: hashing.hasher.digest(),
      contentType: options.mimeType || DEFAULT_MIME_TYPE,
      userMetadata: options.userMetadata ?? {},
      extra: { size: hashing.hasher.size, putTimeMs: Date.now() },
    };
    this.metadata.put(record);
    return toObject(record);
  }

  /**
   * Deletes an object (612 when there is none). Directories left empty go, up to the bucket,
   * unless they carry a marker; a marker's directory with keys below it stays, implied by them.
   */
  async delete(bucket: string, key: string): Promise<void> {
    await this.objectStatus(bucket, key);
    this.metadata.delete(bucket, key);
    await this.model.remove(bucket, key);
  }

  /** Makes room at `to` for a move or copy: 614 without force; with force the old object goes. */
  private async clearDestination(to: ObjectRef, force: boolean): Promise<void> {
    const { isMarker } = locate(to.bucket, to.key);
    await this.requireBucket(to.bucket);
    // An implied directory is no object; a marker is simply put again.
    if (!(await this.findObject(to.bucket, to.key))) return;
    if (!force) throw fileExists();
    if (isMarker) return;
    this.metadata.delete(to.bucket, to.key);
    await this.model.remove(to.bucket, to.key);
  }

  async move(from: ObjectRef, to: ObjectRef, force: boolean): Promise<void> {
    const status = await this.objectStatus(from.bucket, from.key);
    const object = await this.describe(from.bucket, from.key, status);
    if (from.bucket === to.bucket && from.key === to.key) {
      if (!force) throw fileExists();
      return;
    }
    const source = locate(from.bucket, from.key);
    const destination = locate(to.bucket, to.key).path;
    // A marker's directory keeps the keys below it, and an object inside its directory or onto a
    // path that is a directory moves by the key layout: those are a copy and a delete.
    const direct =
      !status.isDirectory &&
      !isMarkerKey(to.key) &&
      status.path === source.path &&
      !(await this.store.getStatus(destination).then(
        (d) => d.isDirectory,
        () => false,
      ));
    if (!direct) {
      // A marker's directory keeps the keys below it: moving the marker is a copy and a delete.
      await this.copy(from, to, force);
      await this.delete(from.bucket, from.key);
      return;
    }
    await this.clearDestination(to, force);
    try {
      await this.store.rename(status.path, destination);
    } catch (error) {
      // A parent of the destination is an object: the key layout moves it in on a copy.
      if (!isTierfsError(error, 'NOT_A_DIRECTORY') && !isTierfsError(error, 'ALREADY_EXISTS')) throw error;
      await this.copy(from, to, force);
      await this.delete(from.bucket, from.key);
      return;
    }
    const moved = await this.store.getStatus(destination);
    this.metadata.put(toRecord({ ...object, ...to }, moved.fingerprint));
    this.metadata.delete(from.bucket, from.key);
    const tree = this.model.tree(from.bucket);
    await this.model.layout.moveOut(from.bucket, await pruneEmptyParents(tree, source.keyPath));
  }

  async copy(from: ObjectRef, to: ObjectRef, force: boolean): Promise<void> {
    const { object, body } = await this.open(from.bucket, from.key);
    if (from.bucket === to.bucket && from.key === to.key) {
      body.destroy();
      if (!force) throw fileExists();
      return;
    }
    try {
      await this.clearDestination(to, force);
    } catch (error) {
      body.destroy();
      throw error;
    }
    await this.put(to.bucket, to.key, body, {
      overwrite: force,
      mimeType: object.mimeType,
      userMetadata: object.userMetadata,
    });
  }

  async setMimeType(bucket: string, key: string, mimeType: string): Promise<void> {
    const status = await this.objectStatus(bucket, key);
    const object = await this.describe(bucket, key, status);
    this.metadata.put(toRecord({ ...object, mimeType }, status.fingerprint));
  }

  async list(bucket: string, options: ListObjectsOptions): Promise<ListObjectsPage> {
    await this.requireBucket(bucket);
    const { prefix, delimiter, after, limit } = options;
    // A position after a common prefix is after every key below it: those roll up into it.
    const query = { prefix, delimiter, after: after?.key ?? '' };
    const page = await this.model.list(bucket, query, limit);
    const items: KodoObject[] = [];
    const commonPrefixes: string[] = [];
    for (const item of page.items) {
      if (item.kind === 'prefix') commonPrefixes.push(item.prefix);
      else items.push(await this.describe(bucket, item.key, item.entry));
    }
    const last = page.items.at(-1);
    return page.truncated && last
      ? { items, commonPrefixes, next: { key: itemKey(last), isPrefix: last.kind === 'prefix' } }
      : { items, commonPrefixes };
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}

function toObject(record: KodoRecord): KodoObject {
  return {
    bucket: record.bucket,
    key: record.key,
    size: record.extra.size,
    hash: record.etag,
    mimeType: record.contentType ?? DEFAULT_MIME_TYPE,
    putTimeMs: record.extra.putTimeMs,
    userMetadata: record.userMetadata,
  };
}

function toRecord(object: KodoObject, fingerprint: string): KodoRecord {
  return {
    bucket: object.bucket,
    key: object.key,
    fingerprint,
    etag: object.hash,
    contentType: object.mimeType,
    userMetadata: object.userMetadata,
    extra: { size: object.size, putTimeMs: object.putTimeMs },
  };
}
