/**
 * The OSS backend on the common object model (common/object-model.ts) over any UnderStore:
 * buckets are the top-level directories of the store's root (or, in single-bucket mode, the root
 * itself is the one bucket), keys, markers and keys that are also prefixes are kept as the model
 * keeps them. What is OSS's own here: bucket names, its record (object type, Content-MD5), its
 * ETags (upper-case hex MD5; derived for files written by others), Content-MD5 checks, and its
 * multipart rules over the shared part staging. Records and multipart state live in the state
 * directory; files written to the store by anyone else are served too.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isTierfsError } from '../../errors.js';
import type { UfsStatus, UfsWriteStream, UnderStore } from '../../ufs/contract.js';
import { itemKey } from '../common/key-listing.js';
import { ObjectModel } from '../common/object-model.js';
import { modelRecords, type ObjectRecord, ObjectRecordStore } from '../common/object-records.js';
import type { WrittenKey } from '../common/object-write.js';
import {
  chooseParts,
  multipartEtag,
  PartStaging,
  type StagedPart,
  type StagedUpload,
} from '../common/part-staging.js';
import { StateDatabase } from '../common/state-database.js';
import {
  type BucketSummary,
  type ByteRange,
  backendError,
  type CompletePart,
  type ListObjectsOptions,
  type ListObjectsResult,
  type ObjectInfo,
  type ObjectType,
  type OssBackend,
  type PartInfo,
  type PutObjectOptions,
  type UploadInfo,
} from './backend.js';

export interface UfsBackendOptions {
  /** Local directory for the state database and staged multipart parts. */
  readonly stateDir: string;
  /** Serve the store's root as this one bucket instead of one bucket per top-level directory. */
  readonly singleBucket?: string;
  /** Smallest size of a part other than the last one at Complete (default 100 KB). */
  readonly minPartSize?: number;
}

/** What OSS keeps of an object beyond the fields every protocol has. */
interface OssExtra {
  readonly objectType: ObjectType;
  /** base64 MD5 of the content, when known. */
  readonly contentMd5?: string;
}

/** What Complete needs of the CreateMultipartUpload request. */
interface UploadAttributes {
  readonly contentType?: string;
  readonly userMeta: Readonly<Record<string, string>>;
  readonly forbidOverwrite: boolean;
}

const EMPTY_MD5 = createHash('md5').update('').digest();
const MAX_KEY_BYTES = 1023;
const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
/** A single path segment a directory could have, before it is checked as a bucket name. */
const PLAIN_NAME = /^[A-Za-z0-9._-]{1,255}$/;

export class UfsOssBackend implements OssBackend {
  private readonly db: StateDatabase;
  private readonly metadata: ObjectRecordStore<OssExtra>;
  private readonly staging: PartStaging<UploadAttributes>;
  private readonly minPartSize: number;
  private readonly model: ObjectModel<ObjectRecord<OssExtra>>;

  constructor(
    store: UnderStore,
    private readonly options: UfsBackendOptions,
  ) {
    this.db = new StateDatabase(options.stateDir, 'state.db');
    this.metadata = new ObjectRecordStore(this.db);
    this.model = new ObjectModel({
      store,
      records: modelRecords(this.metadata, { objectType: 'Normal' }),
      rootOf: (bucket) => this.bucketRoot(bucket),
      isBucketName: (name) => BUCKET_NAME.test(name),
      maxKeyBytes: MAX_KEY_BYTES,
    });
    this.staging = new PartStaging(this.db, {
      dir: join(options.stateDir, 'uploads'),
      uploadIdCase: 'upper',
    });
    this.minPartSize = options.minPartSize ?? 100 * 1024;
  }

  async checkBucket(bucket: string): Promise<void> {
    if (this.options.singleBucket === undefined && !BUCKET_NAME.test(bucket)) {
      await this.refuseUnservedDirectory(bucket);
    }
    if (this.bucketRoot(bucket) === '') return;
    if (!(await this.model.bucket(bucket))) {
      throw backendError('NOT_FOUND', 'NoSuchBucket', `no such bucket: ${bucket}`, { BucketName: bucket });
    }
  }

  async createBucket(bucket: string): Promise<void> {
    if (!BUCKET_NAME.test(bucket)) {
      throw backendError(
        'INVALID_ARGUMENT',
        'InvalidBucketName',
        `'${bucket}' is not a valid OSS bucket name: 3 to 63 lowercase letters, digits and hyphens, starting and ending with a letter or digit`,
        { BucketName: bucket },
      );
    }
    await this.model.createBucket(bucket);
  }

  async bucketSummary(bucket: string): Promise<BucketSummary> {
    await this.checkBucket(bucket);
    const status = await this.model.bucket(bucket);
    if (!status)
      throw backendError('NOT_FOUND', 'NoSuchBucket', `no such bucket: ${bucket}`, { BucketName: bucket });
    return { name: bucket, created: new Date(status.mtimeMs ?? 0) };
  }

  async listBuckets(): Promise<readonly BucketSummary[]> {
    if (this.options.singleBucket !== undefined) return [await this.bucketSummary(this.options.singleBucket)];
    return (await this.model.buckets()).map((entry) => ({
      name: entry.name,
      created: new Date(entry.mtimeMs ?? 0),
    }));
  }

  async deleteBucket(bucket: string): Promise<void> {
    await this.checkBucket(bucket);
    const notEmpty = () =>
      backendError('DIRECTORY_NOT_EMPTY', 'BucketNotEmpty', `bucket not empty: ${bucket}`, {
        BucketName: bucket,
      });
    if (await this.model.holdsAnything(bucket)) throw notEmpty();
    if ((await this.listMultipartUploads(bucket, '')).length > 0) throw notEmpty();
    if (this.bucketRoot(bucket) === '') {
      throw backendError('PERMISSION_DENIED', 'AccessDenied', 'the single bucket cannot be deleted');
    }
    await this.model.removeBucket(bucket).catch((error: unknown) => {
      throw isTierfsError(error, 'DIRECTORY_NOT_EMPTY') ? notEmpty() : error;
    });
    this.metadata.deleteBucket(bucket);
  }

  async headObject(bucket: string, key: string): Promise<ObjectInfo> {
    await this.checkBucket(bucket);
    const status = await this.objectStatus(bucket, key);
    return this.toInfo(bucket, key, status);
  }

  async openObject(bucket: string, key: string, range?: ByteRange, version?: string): Promise<Readable> {
    const { path, isMarker } = this.model.keyPath(key);
    const found = await this.model.layout.locate(bucket, path, isMarker);
    if (found?.kind !== 'data') {
      if (isMarker) return Readable.from([]);
      throw backendError('NOT_FOUND', 'NoSuchKey', `no such key: ${key}`, { Key: key });
    }
    return this.model.open(found.dataPath, range, version);
  }

  async putObject(
    bucket: string,
    key: string,
    body: Readable,
    options: PutObjectOptions,
  ): Promise<ObjectInfo> {
    await this.checkBucket(bucket);
    const { isMarker } = this.model.keyPath(key);
    if (isMarker && options.forbidOverwrite && (await this.findObject(bucket, key))) throw fileExists(key);
    const hash = createHash('md5');
    const { status } = await this.write(bucket, key, !options.forbidOverwrite, options.contentType, (out) =>
      pipeline(body, checkDigest(hash, options.contentMd5), out),
    );
    const md5 = hash.digest();
    return this.record(bucket, key, status, options, md5.toString('hex').toUpperCase(), 'Normal', md5);
  }

  /** Writes the bytes of a key where the key layout puts them; FileAlreadyExists without overwrite. */
  private async write(
    bucket: string,
    key: string,
    overwrite: boolean,
    contentType: string | undefined,
    fill: (out: UfsWriteStream) => Promise<void>,
  ): Promise<WrittenKey> {
    return this.model.write(bucket, key, { overwrite, contentType }, fill).catch((error: unknown) => {
      throw isTierfsError(error, 'ALREADY_EXISTS') ? fileExists(key) : error;
    });
  }

  /**
   * Deleting a missing key succeeds. Directories left empty go, up to the bucket, unless they carry
   * a marker; a marker's directory with keys below it stays, implied by them.
   */
  async deleteObject(bucket: string, key: string): Promise<void> {
    await this.checkBucket(bucket);
    this.model.keyPath(key);
    this.metadata.delete(bucket, key);
    await this.model.remove(bucket, key);
  }

  async listObjects(bucket: string, options: ListObjectsOptions): Promise<ListObjectsResult> {
    await this.checkBucket(bucket);
    const { prefix, delimiter, after, maxKeys } = options;
    const page = await this.model.list(bucket, { prefix, delimiter, after }, maxKeys);
    const objects: ObjectInfo[] = [];
    const commonPrefixes: string[] = [];
    for (const item of page.items) {
      if (item.kind === 'prefix') commonPrefixes.push(item.prefix);
      else if (!item.entry.isDirectory) objects.push(this.toInfo(bucket, item.key, item.entry));
      else {
        // A marker: its body, when it has one, says its size.
        const status = await this.findObject(bucket, item.key);
        if (status) objects.push(this.toInfo(bucket, item.key, status));
      }
    }
    const last = page.items.at(-1);
    return {
      objects,
      commonPrefixes,
      isTruncated: page.truncated,
      nextMarker: page.truncated && last ? itemKey(last) : undefined,
    };
  }

  async createMultipartUpload(bucket: string, key: string, options: PutObjectOptions): Promise<UploadInfo> {
    await this.checkBucket(bucket);
    this.model.keyPath(key);
    if (options.forbidOverwrite && (await this.findObject(bucket, key))) throw fileExists(key);
    return uploadInfo(
      await this.staging.create(bucket, key, {
        contentType: options.contentType,
        userMeta: { ...options.userMeta },
        forbidOverwrite: options.forbidOverwrite ?? false,
      }),
    );
  }

  async uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable,
    contentMd5?: string,
  ): Promise<PartInfo> {
    this.upload(bucket, key, uploadId);
    const source =
      contentMd5 === undefined ? body : Readable.from(checkDigest(createHash('md5'), contentMd5)(body));
    return partInfo(await this.staging.putPart(uploadId, partNumber, [source]));
  }

  async listParts(bucket: string, key: string, uploadId: string): Promise<readonly PartInfo[]> {
    this.upload(bucket, key, uploadId);
    return this.staging.listParts(uploadId).map(partInfo);
  }

  async completeMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    parts: readonly CompletePart[],
  ): Promise<ObjectInfo> {
    const upload = this.upload(bucket, key, uploadId);
    const chosen = chooseParts(this.staging.listParts(uploadId), parts, {
      minPartSize: this.minPartSize,
      matches: (part, sent) => part.md5 === sent.replace(/"/g, '').toLowerCase(),
      noParts: () => backendError('INVALID_ARGUMENT', 'InvalidPart', 'at least one part is required'),
      outOfOrder: () =>
        backendError('INVALID_ARGUMENT', 'InvalidPartOrder', 'parts must be listed in ascending order'),
      notStaged: (partNumber) =>
        backendError('INVALID_ARGUMENT', 'InvalidPart', `part ${partNumber} was not uploaded`, {
          PartNumber: String(partNumber),
          UploadId: uploadId,
        }),
      tooSmall: (part) =>
        backendError('INVALID_ARGUMENT', 'EntityTooSmall', `part ${part.partNumber} is too small`, {
          MinSizeAllowed: String(this.minPartSize),
          ProposedSize: String(part.size),
          PartNumber: String(part.partNumber),
        }),
    });
    const { contentType, userMeta, forbidOverwrite } = upload.attributes;
    // A marker's directory may exist without the marker: the write cannot tell, so ask first.
    if (forbidOverwrite && this.model.keyPath(key).isMarker && (await this.findObject(bucket, key))) {
      throw fileExists(key);
    }
    const { status } = await this.write(bucket, key, !forbidOverwrite, contentType, (out) =>
      this.staging.writeParts(
        uploadId,
        chosen.map((p) => p.partNumber),
        out,
      ),
    );
    const etag = multipartEtag(chosen).toUpperCase();
    const info = this.record(bucket, key, status, { contentType, userMeta }, etag, 'Multipart', undefined);
    await this.staging.remove(uploadId);
    return info;
  }

  async abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    this.upload(bucket, key, uploadId);
    await this.staging.remove(uploadId);
  }

  async listMultipartUploads(bucket: string, prefix: string): Promise<readonly UploadInfo[]> {
    await this.checkBucket(bucket);
    // In key (UTF-8 byte) order, then the order they were started in.
    return this.staging
      .listUploads(bucket, { prefix })
      .sort(
        (a, b) =>
          Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)) ||
          a.initiatedMs - b.initiatedMs ||
          Buffer.compare(Buffer.from(a.uploadId), Buffer.from(b.uploadId)),
      )
      .map(uploadInfo);
  }

  async close(): Promise<void> {
    this.db.close();
  }

  private upload(bucket: string, key: string, uploadId: string): StagedUpload<UploadAttributes> {
    const upload = this.staging.get(uploadId);
    if (!upload || upload.bucket !== bucket || upload.key !== key) {
      throw backendError('NOT_FOUND', 'NoSuchUpload', `no such upload: ${uploadId}`, { UploadId: uploadId });
    }
    return upload;
  }

  /**
   * A top-level directory whose name OSS does not allow for a bucket (made with mkdir, say
   * `My_Data`) is not served; naming it is InvalidBucketName saying so, not a NoSuchBucket that
   * contradicts what `ls` shows.
   */
  private async refuseUnservedDirectory(name: string): Promise<void> {
    if (!PLAIN_NAME.test(name) || name === '.' || name === '..') return;
    const entry = await this.model.files.stat(name).catch(() => undefined);
    if (!entry?.isDirectory) return;
    throw backendError(
      'INVALID_ARGUMENT',
      'InvalidBucketName',
      `'${name}' is a directory of the gateway's root but not a valid OSS bucket name ` +
        '(3 to 63 lowercase letters, digits and hyphens, starting and ending with a letter or digit), ' +
        'so it is not served as a bucket: rename the directory to a valid name',
      { BucketName: name },
    );
  }

  private bucketRoot(bucket: string): string {
    if (this.options.singleBucket !== undefined) {
      if (bucket !== this.options.singleBucket) {
        throw backendError('NOT_FOUND', 'NoSuchBucket', `no such bucket: ${bucket}`, { BucketName: bucket });
      }
      return '';
    }
    if (!BUCKET_NAME.test(bucket)) {
      throw backendError('NOT_FOUND', 'NoSuchBucket', `no such bucket: ${bucket}`, { BucketName: bucket });
    }
    return bucket;
  }

  /**
   * The file holding a key's bytes, or the directory of a marker key that was put without a body;
   * undefined when there is none.
   */
  private async findObject(bucket: string, key: string): Promise<UfsStatus | undefined> {
    return (await this.model.find(bucket, key))?.entry;
  }

  /** Like findObject, but NoSuchKey when there is no object. */
  private async objectStatus(bucket: string, key: string): Promise<UfsStatus> {
    const status = await this.findObject(bucket, key);
    if (!status) throw backendError('NOT_FOUND', 'NoSuchKey', `no such key: ${key}`, { Key: key });
    return status;
  }

  private record(
    bucket: string,
    key: string,
    status: UfsStatus,
    options: PutObjectOptions,
    etag: string,
    objectType: ObjectType,
    md5: Buffer | undefined,
  ): ObjectInfo {
    this.metadata.put({
      bucket,
      key,
      fingerprint: status.fingerprint,
      etag,
      contentType: options.contentType,
      userMetadata: { ...options.userMeta },
      extra: { objectType, contentMd5: md5?.toString('base64') },
    });
    return this.toInfo(bucket, key, status);
  }

  private toInfo(bucket: string, key: string, status: UfsStatus): ObjectInfo {
    // A marker's directory changes with what is put below it; its record stays its own.
    const meta = this.model.recordOf(bucket, key, status);
    return {
      key,
      size: status.isDirectory ? 0 : status.size,
      lastModified: new Date(status.mtimeMs ?? 0),
      etag: meta?.etag ?? derivedEtag(status),
      contentType: meta?.contentType,
      userMeta: meta?.userMetadata ?? {},
      objectType: meta?.extra.objectType ?? 'Normal',
      contentMd5: meta?.extra.contentMd5 ?? (status.isDirectory ? EMPTY_MD5.toString('base64') : undefined),
      version: status.isDirectory ? undefined : status.fingerprint,
    };
  }
}

function uploadInfo(upload: StagedUpload<UploadAttributes>): UploadInfo {
  return { uploadId: upload.uploadId, key: upload.key, initiated: new Date(upload.initiatedMs) };
}

/** OSS names a part by its MD5 in upper-case hex. */
function partInfo(part: StagedPart): PartInfo {
  return {
    partNumber: part.partNumber,
    etag: part.md5.toUpperCase(),
    size: part.size,
    lastModified: new Date(part.mtimeMs),
  };
}

/** An entity tag for a file nobody told us the MD5 of: stable while the file is unchanged. */
function derivedEtag(status: UfsStatus): string {
  if (status.isDirectory) return EMPTY_MD5.toString('hex').toUpperCase();
  if (status.etag) return status.etag.replace(/"/g, '').toUpperCase();
  return createHash('md5').update(status.fingerprint).digest('hex').toUpperCase();
}

function fileExists(key: string) {
  return backendError('ALREADY_EXISTS', 'FileAlreadyExists', `object already exists: ${key}`, { Key: key });
}

/**
 * A pass-through that feeds `hash` and, when `expected` (base64 MD5) is given, fails the stream at
 * its end if the digest differs, before the writer after it is ended (so nothing is committed).
 */
function checkDigest(hash: ReturnType<typeof createHash>, expected: string | undefined) {
  return async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      hash.update(chunk);
      yield chunk;
    }
    if (expected !== undefined && hash.copy().digest('base64') !== expected) {
      throw backendError('INVALID_ARGUMENT', 'InvalidDigest', 'the Content-MD5 does not match the body');
    }
  };
}
