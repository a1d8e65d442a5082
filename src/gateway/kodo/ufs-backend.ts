/**
 * KodoBackend over any UnderStore: each top-level directory of the store is a bucket and an
 * object `bucket/key` is the plain file at that path, so what the gateway writes is readable by
 * anything else and files written by others are served too. Kodo's facts about an object (hash,
 * MIME type, put time) live in an ObjectMetadataStore; for a file with no record, or a record made
 * for other bytes, the hash is derived by reading the file once and remembered.
 */
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isTierfsError } from '../../errors.js';
import type { UfsStatus, UnderStore } from '../../ufs/contract.js';
import { abortWrite } from '../../ufs/io.js';
import { normalizeUfsPath, parentPath } from '../../ufs/path.js';
import { walk } from '../../ufs/walk.js';
import type {
  KodoBackend,
  KodoObject,
  ListObjectsOptions,
  ListObjectsPage,
  ListPosition,
  ObjectRange,
  ObjectRef,
  PutObjectOptions,
} from './backend.js';
import { badRequest, fileExists, KODO_STATUS, KodoError, noSuchBucket, noSuchFile } from './errors.js';
import type { ObjectMetadata, ObjectMetadataStore } from './object-metadata.js';
import { QetagHasher, QetagStream } from './qetag.js';

export const DEFAULT_MIME_TYPE = 'application/octet-stream';
const BUCKET_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

function checkBucketName(bucket: string): void {
  if (!BUCKET_NAME.test(bucket)) throw badRequest(`invalid bucket name '${bucket}'`);
}

/** The store path of an object; keys that are not plain relative file paths cannot be kept. */
function objectPath(bucket: string, key: string): string {
  checkBucketName(bucket);
  let normalized: string | undefined;
  try {
    normalized = normalizeUfsPath(key);
  } catch {
    normalized = undefined;
  }
  if (key === '' || normalized !== key) {
    throw badRequest(
      `key '${key}' cannot be stored as a file (empty, leading or trailing '/', '//', '.' or '..' segments)`,
    );
  }
  return `${bucket}/${key}`;
}

/** Sort name of a listed entry: a directory sorts as `name/`, so depth-first order is key order. */
const sortName = (entry: UfsStatus): string => (entry.isDirectory ? `${entry.name}/` : entry.name);

type Listed =
  | { readonly kind: 'object'; readonly key: string; readonly status: UfsStatus }
  | { readonly kind: 'prefix'; readonly key: string };

export class UfsKodoBackend implements KodoBackend {
  constructor(
    private readonly store: UnderStore,
    private readonly metadata: ObjectMetadataStore,
  ) {}

  async listBuckets(): Promise<string[]> {
    const buckets: string[] = [];
    for await (const entry of walk(this.store, '')) {
      if (entry.isDirectory && BUCKET_NAME.test(entry.name)) buckets.push(entry.name);
    }
    return buckets.sort();
  }

  async requireBucket(bucket: string): Promise<void> {
    if (!BUCKET_NAME.test(bucket)) throw noSuchBucket();
    const status = await this.store.getStatus(bucket).catch((error: unknown) => {
      if (isTierfsError(error, 'NOT_FOUND')) return undefined;
      throw error;
    });
    if (!status?.isDirectory) throw noSuchBucket();
  }

  async createBucket(bucket: string): Promise<void> {
    checkBucketName(bucket);
    if (await this.store.exists(bucket)) throw new KodoError(KODO_STATUS.FILE_EXISTS, 'bucket exists');
    await this.store.mkdirs(bucket);
  }

  /** The file's status, or 612 when there is no file (absent, or a directory) at the key. */
  private async fileStatus(bucket: string, key: string): Promise<UfsStatus> {
    const path = objectPath(bucket, key);
    await this.requireBucket(bucket);
    try {
      const status = await this.store.getStatus(path);
      if (status.isDirectory) throw noSuchFile();
      return status;
    } catch (error) {
      if (isTierfsError(error, 'NOT_FOUND')) throw noSuchFile();
      throw error;
    }
  }

  /** Kodo's facts about a file: its record when current, else derived from the bytes and kept. */
  private async describe(bucket: string, key: string, status: UfsStatus): Promise<KodoObject> {
    let record = await this.metadata.get(bucket, key);
    if (!record || record.fingerprint !== status.fingerprint || record.size !== status.size) {
      const hasher = new QetagHasher();
      for await (const chunk of await this.store.open(status.path)) hasher.update(chunk as Buffer);
      record = {
        etag: hasher.digest(),
        size: hasher.size,
        contentType: record?.contentType ?? DEFAULT_MIME_TYPE,
        putTimeMs: Math.trunc(status.mtimeMs ?? Date.now()),
        fingerprint: status.fingerprint,
      };
      await this.metadata.put(bucket, key, record);
    }
    return toObject(bucket, key, record);
  }

  async stat(bucket: string, key: string): Promise<KodoObject> {
    return this.describe(bucket, key, await this.fileStatus(bucket, key));
  }

  async open(
    bucket: string,
    key: string,
    range?: ObjectRange,
  ): Promise<{ object: KodoObject; body: Readable }> {
    const object = await this.stat(bucket, key);
    const body = await this.store.open(objectPath(bucket, key), range);
    return { object, body };
  }

  async put(
    bucket: string,
    key: string,
    source: Readable | AsyncIterable<Buffer>,
    options: PutObjectOptions,
  ): Promise<KodoObject> {
    const path = objectPath(bucket, key);
    await this.requireBucket(bucket);
    const out = await this.store.create(path, {
      overwrite: options.overwrite,
      contentType: options.mimeType,
    });
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
    try {
      await pipeline(source, hashing, guard, out);
    } catch (error) {
      await abortWrite(out);
      throw error;
    }
    const status = await this.store.getStatus(path);
    const record: ObjectMetadata = {
      etag: hashing.hasher.digest(),
      size: hashing.hasher.size,
      contentType: options.mimeType || DEFAULT_MIME_TYPE,
      putTimeMs: Date.now(),
      fingerprint: status.fingerprint,
      userMetadata: options.userMetadata,
    };
    await this.metadata.put(bucket, key, record);
    return toObject(bucket, key, record);
  }

  async delete(bucket: string, key: string): Promise<void> {
    const status = await this.fileStatus(bucket, key);
    await this.store.delete(status.path);
    await this.metadata.delete(bucket, key);
    await this.pruneEmptyParents(status.path, bucket);
  }

  /** Removes directories left empty below the bucket, as keys have no directories to keep. */
  private async pruneEmptyParents(path: string, bucket: string): Promise<void> {
    for (let dir = parentPath(path); dir !== bucket && dir !== ''; dir = parentPath(dir)) {
      try {
        await this.store.delete(dir);
      } catch {
        return; // Not empty (or gone already): the directories above are not empty either.
      }
    }
  }

  /** Makes room at `to` for a move or copy: 614 without force; with force the old object goes. */
  private async clearDestination(to: ObjectRef, force: boolean): Promise<void> {
    const path = objectPath(to.bucket, to.key);
    await this.requireBucket(to.bucket);
    const existing = await this.store.getStatus(path).catch((error: unknown) => {
      if (isTierfsError(error, 'NOT_FOUND') || isTierfsError(error, 'NOT_A_DIRECTORY')) return undefined;
      throw error;
    });
    if (!existing) return;
    if (existing.isDirectory) throw badRequest(`key '${to.key}' is a prefix of other keys here`);
    if (!force) throw fileExists();
    await this.store.delete(path);
    await this.metadata.delete(to.bucket, to.key);
  }

  async move(from: ObjectRef, to: ObjectRef, force: boolean): Promise<void> {
    const status = await this.fileStatus(from.bucket, from.key);
    const object = await this.describe(from.bucket, from.key, status);
    if (from.bucket === to.bucket && from.key === to.key) {
      if (!force) throw fileExists();
      return;
    }
    await this.clearDestination(to, force);
    const destination = objectPath(to.bucket, to.key);
    await this.store.rename(status.path, destination);
    const moved = await this.store.getStatus(destination);
    await this.metadata.put(to.bucket, to.key, toRecord(object, moved.fingerprint));
    await this.metadata.delete(from.bucket, from.key);
    await this.pruneEmptyParents(status.path, from.bucket);
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
    const status = await this.fileStatus(bucket, key);
    const object = await this.describe(bucket, key, status);
    await this.metadata.put(bucket, key, toRecord({ ...object, mimeType }, status.fingerprint));
  }

  async list(bucket: string, options: ListObjectsOptions): Promise<ListObjectsPage> {
    await this.requireBucket(bucket);
    const items: KodoObject[] = [];
    const commonPrefixes: string[] = [];
    let last: ListPosition | undefined;
    let more = false;
    for await (const entry of this.listed(bucket, options)) {
      if (items.length + commonPrefixes.length === options.limit) {
        more = true;
        break;
      }
      if (entry.kind === 'prefix') commonPrefixes.push(entry.key);
      else items.push(await this.describe(bucket, entry.key, entry.status));
      last = { key: entry.key, isPrefix: entry.kind === 'prefix' };
    }
    return more && last ? { items, commonPrefixes, next: last } : { items, commonPrefixes };
  }

  /** Every object and common prefix of a listing after the resume position, in key order. */
  private async *listed(bucket: string, options: ListObjectsOptions): AsyncGenerator<Listed> {
    const { prefix, delimiter, after } = options;
    const isDone = (key: string) =>
      after !== undefined && (key <= after.key || (after.isPrefix && key.startsWith(after.key)));
    /** The common prefix a key rolls up into, if the delimiter occurs after the listing prefix. */
    const rollUp = (key: string): string | undefined => {
      if (delimiter === '') return undefined;
      const at = key.indexOf(delimiter, prefix.length);
      return at < 0 ? undefined : key.slice(0, at + delimiter.length);
    };
    let lastPrefix: string | undefined;
    const self = this;
    async function* visit(dir: string): AsyncGenerator<Listed> {
      const children: UfsStatus[] = [];
      try {
        for await (const entry of walk(self.store, dir === '' ? bucket : `${bucket}/${dir}`))
          children.push(entry);
      } catch (error) {
        if (isTierfsError(error, 'NOT_FOUND') || isTierfsError(error, 'NOT_A_DIRECTORY')) return;
        throw error;
      }
      children.sort((a, b) => (sortName(a) < sortName(b) ? -1 : sortName(a) > sortName(b) ? 1 : 0));
      for (const child of children) {
        const key = dir === '' ? child.name : `${dir}/${child.name}`;
        if (child.isDirectory) {
          const dirKey = `${key}/`;
          // Nothing below can match the prefix, or everything below was listed already.
          if (!dirKey.startsWith(prefix) && !prefix.startsWith(dirKey)) continue;
          if (after && after.key > dirKey && !after.key.startsWith(dirKey)) continue;
          if (after?.isPrefix && dirKey.startsWith(after.key)) continue;
          const common = dirKey.startsWith(prefix) ? rollUp(dirKey) : undefined;
          if (common !== undefined) {
            if (common !== lastPrefix && !isDone(common)) {
              lastPrefix = common;
              yield { kind: 'prefix', key: common };
            }
            continue;
          }
          yield* visit(key);
        } else {
          if (!key.startsWith(prefix) || isDone(key)) continue;
          const common = rollUp(key);
          if (common === undefined) yield { kind: 'object', key, status: child };
          else if (common !== lastPrefix) {
            lastPrefix = common;
            yield { kind: 'prefix', key: common };
          }
        }
      }
    }
    const start = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    if (start !== '' && normalizeUfsPath(start) !== start) return;
    yield* visit(start);
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}

function toObject(bucket: string, key: string, record: ObjectMetadata): KodoObject {
  return {
    bucket,
    key,
    size: record.size,
    hash: record.etag,
    mimeType: record.contentType,
    putTimeMs: record.putTimeMs,
    userMetadata: record.userMetadata ?? {},
  };
}

function toRecord(object: KodoObject, fingerprint: string): ObjectMetadata {
  return {
    etag: object.hash,
    size: object.size,
    contentType: object.mimeType,
    putTimeMs: object.putTimeMs,
    fingerprint,
    userMetadata: object.userMetadata,
  };
}
