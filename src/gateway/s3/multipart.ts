/**
 * Multipart uploads: parts are staged as files under the state directory (never in memory), their
 * state lives in the metadata store, and Complete streams the chosen parts in order into one
 * write to the store, which becomes visible only when the last byte is in.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { refuseMarkerUpload } from '../common/object-keys.js';
import { S3Error } from './errors.js';
import type { PartRecord, UploadRecord } from './metadata-store.js';
import { objectPath } from './names.js';
import type { ObjectAttributes, ObjectInfo, ObjectLayer } from './object-layer.js';

const MAX_PART_NUMBER = 10_000;

export interface CompletedPart {
  readonly partNumber: number;
  readonly etag: string;
}

function unquote(etag: string): string {
  return etag.trim().replace(/^"|"$/g, '');
}

export class MultipartUploads {
  private readonly layer: ObjectLayer;
  private readonly stagingDir: string;
  private readonly minPartSize: number;

  constructor(layer: ObjectLayer, stagingDir: string, minPartSize: number) {
    this.layer = layer;
    this.stagingDir = stagingDir;
    this.minPartSize = minPartSize;
  }

  async create(bucket: string, key: string, attributes: ObjectAttributes): Promise<string> {
    objectPath(key);
    refuseMarkerUpload(key);
    await this.layer.bucket(bucket);
    const uploadId = randomBytes(16).toString('hex');
    await mkdir(this.dir(uploadId), { recursive: true });
    this.layer.metadata.createUpload({ uploadId, bucket, key, initiatedMs: Date.now(), ...attributes });
    return uploadId;
  }

  /** The upload, checked against the bucket and key it was started for. */
  upload(uploadId: string, bucket: string, key: string): UploadRecord {
    const upload = /^[0-9a-f]{32}$/.test(uploadId) ? this.layer.metadata.getUpload(uploadId) : undefined;
    if (!upload || upload.bucket !== bucket || upload.key !== key) {
      throw new S3Error(
        'NoSuchUpload',
        'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
      );
    }
    return upload;
  }

  /** Stages one part from `source`; returns its record once it is safely on disk. */
  async uploadPart(
    upload: UploadRecord,
    partNumber: number,
    source: readonly (NodeJS.ReadableStream | Transform)[],
    md5Hex: () => string,
  ): Promise<PartRecord> {
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
      throw new S3Error('InvalidArgument', `Part number must be an integer between 1 and ${MAX_PART_NUMBER}`);
    }
    const final = join(this.dir(upload.uploadId), String(partNumber));
    const temp = `${final}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await pipeline([...source, createWriteStream(temp)]);
      await rename(temp, final);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    const { size } = await stat(final);
    const part = { partNumber, etag: md5Hex(), size, mtimeMs: Date.now() };
    this.layer.metadata.putPart(upload.uploadId, part);
    return part;
  }

  async complete(upload: UploadRecord, requested: readonly CompletedPart[]): Promise<ObjectInfo> {
    if (requested.length === 0) {
      throw new S3Error('MalformedXML', 'You must specify at least one part');
    }
    const staged = new Map(this.layer.metadata.listParts(upload.uploadId).map((p) => [p.partNumber, p]));
    const chosen: PartRecord[] = [];
    for (const [index, wanted] of requested.entries()) {
      if (index > 0 && wanted.partNumber <= requested[index - 1]!.partNumber) {
        throw new S3Error(
          'InvalidPartOrder',
          'The list of parts was not in ascending order. Parts must be ordered by part number.',
        );
      }
      const part = staged.get(wanted.partNumber);
      if (!part || part.etag !== unquote(wanted.etag)) {
        throw new S3Error(
          'InvalidPart',
          `One or more of the specified parts could not be found: part ${wanted.partNumber} was not uploaded or its ETag does not match.`,
        );
      }
      chosen.push(part);
    }
    chosen.forEach((part, index) => {
      if (index < chosen.length - 1 && part.size < this.minPartSize) {
        throw new S3Error(
          'EntityTooSmall',
          `Your proposed upload is smaller than the minimum allowed object size: part ${part.partNumber} has ${part.size} bytes, at least ${this.minPartSize} are required for all but the last part.`,
        );
      }
    });
    const digests = createHash('md5');
    for (const part of chosen) digests.update(Buffer.from(part.etag, 'hex'));
    const etag = `${digests.digest('hex')}-${chosen.length}`;
    const dir = this.dir(upload.uploadId);
    const body = Readable.from(
      (async function* () {
        for (const part of chosen) yield* createReadStream(join(dir, String(part.partNumber)));
      })(),
    );
    const { headers, tags, acl, owner } = upload;
    const info = await this.layer.put(upload.bucket, upload.key, [body], () => etag, {
      headers,
      tags,
      acl,
      owner,
    });
    await this.discard(upload.uploadId);
    return info;
  }

  async abort(upload: UploadRecord): Promise<void> {
    await this.discard(upload.uploadId);
  }

  /** Drops the staged parts and state of an upload (also for uploads of a deleted bucket). */
  async discard(uploadId: string): Promise<void> {
    this.layer.metadata.deleteUpload(uploadId);
    await rm(this.dir(uploadId), { recursive: true, force: true });
  }

  private dir(uploadId: string): string {
    return join(this.stagingDir, uploadId);
  }
}
