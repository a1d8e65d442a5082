/**
 * Multipart uploads: parts are staged as files under the state directory (never in memory), their
 * state lives in the state database, and Complete streams the chosen parts in order into one
 * write to the store, which becomes visible only when the last byte is in.
 */
import type { Transform } from 'node:stream';
import {
  chooseParts,
  multipartEtag,
  PartStaging,
  type StagedPart,
  type StagedUpload,
} from '../common/part-staging.js';
import { DigestCheck } from './body.js';
import type { ChecksumAlgorithm } from './checksums.js';
import { CompletedUploads } from './completed-uploads.js';
import { S3Error } from './errors.js';
import { objectPath } from './names.js';
import {
  checkNamedChecksums,
  compositeChecksum,
  decodePartChecksum,
  encodePartChecksum,
  type NamedChecksums,
  type StoredChecksum,
  type UploadChecksum,
} from './object-checksums.js';
import type { ObjectAttributes, ObjectInfo, ObjectLayer } from './object-layer.js';

const MAX_PART_NUMBER = 10_000;

/** How an SSE-C part is stored: the IV of its ciphertext, and its ETag (known once it has ended). */
export interface PartSealing {
  readonly iv: string;
  readonly etag: () => string;
}

/** What an upload's writer chose about the object, and the checksum it was created with. */
export interface UploadAttributes extends ObjectAttributes {
  readonly checksum?: UploadChecksum;
}

/** An upload in progress, with what its writer chose about the object. */
export type UploadRecord = StagedUpload<UploadAttributes>;

export interface CompletedPart {
  readonly partNumber: number;
  readonly etag: string;
  /** The checksums the request names for the part (ChecksumCRC32, ...). */
  readonly checksums?: NamedChecksums;
}

const noSuchUpload = (): S3Error =>
  new S3Error(
    'NoSuchUpload',
    'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
  );

function unquote(etag: string): string {
  return etag.trim().replace(/^"|"$/g, '');
}

/**
 * The attributes of the object an upload completes into: under SSE-C, the parts stay as they were
 * encrypted when staged, so the object's record lists each part's IV and size (see sse-c.ts).
 */
function sealedObject(upload: UploadRecord, chosen: readonly StagedPart[]): ObjectAttributes {
  const { checksum: _upload, ...attributes } = upload.attributes;
  const sse = attributes.headers.sse;
  if (sse === undefined) return attributes;
  const ivs = chosen.map((part) => {
    if (part.sealing === undefined) {
      throw new S3Error(
        'InternalError',
        `Part ${part.partNumber} of this SSE-C upload was staged unencrypted`,
      );
    }
    return part.sealing;
  });
  return {
    ...attributes,
    headers: { ...attributes.headers, sse: { ...sse, ivs, sizes: chosen.map((part) => part.size) } },
  };
}

/**
 * The checksum an upload's object is kept with, and the stages that find it: COMPOSITE, from the
 * parts' checksums; FULL_OBJECT, computed as the parts stream into the object and compared with
 * the one the Complete request declares (a mismatch fails the write: BadDigest, nothing stored).
 * Under SSE-C the staged bytes are ciphertext, so a FULL_OBJECT checksum is not kept.
 */
function objectChecksum(
  upload: UploadRecord,
  chosen: readonly StagedPart[],
  declaredFull: string | undefined,
): { stages: Transform[]; checksum: () => StoredChecksum | undefined } {
  const kept = upload.attributes.checksum;
  if (kept === undefined) return { stages: [], checksum: () => undefined };
  if (kept.type === 'COMPOSITE') {
    const values = chosen.map((part) => {
      const sum = decodePartChecksum(part.checksum);
      if (sum?.algorithm !== kept.algorithm) {
        throw new S3Error(
          'InvalidPart',
          `Part ${part.partNumber} was not uploaded with a ${kept.algorithm} checksum.`,
        );
      }
      return sum.value;
    });
    const value = compositeChecksum(kept.algorithm, values);
    return { stages: [], checksum: () => ({ ...kept, value }) };
  }
  if (upload.attributes.headers.sse !== undefined) return { stages: [], checksum: () => undefined };
  const digest = new DigestCheck({ checksum: { algorithm: kept.algorithm, expected: () => declaredFull } });
  return {
    stages: [digest],
    checksum: () => digest.found && { ...kept, value: digest.found.value },
  };
}

export class MultipartUploads {
  private readonly layer: ObjectLayer;
  private readonly minPartSize: number;
  readonly staging: PartStaging<UploadAttributes>;
  readonly completed: CompletedUploads;

  constructor(layer: ObjectLayer, stagingDir: string, minPartSize: number) {
    this.layer = layer;
    this.minPartSize = minPartSize;
    this.staging = new PartStaging(layer.metadata.db, { dir: stagingDir });
    this.completed = new CompletedUploads(layer.metadata.db);
  }

  /**
   * The object an upload that already completed made, while it is still there: Complete sent
   * again answers 200 with it, as S3 does; otherwise NoSuchUpload.
   */
  async completedBefore(uploadId: string, bucket: string, key: string): Promise<ObjectInfo> {
    const done = this.completed.find(uploadId, bucket, key);
    const current = done && (await this.layer.stat(bucket, key));
    if (!done || current?.etag !== done.etag) throw noSuchUpload();
    return current;
  }

  async create(bucket: string, key: string, attributes: UploadAttributes): Promise<string> {
    objectPath(key);
    await this.layer.bucket(bucket);
    return (await this.staging.create(bucket, key, attributes)).uploadId;
  }

  /** The upload, checked against the bucket and key it was started for. */
  upload(uploadId: string, bucket: string, key: string): UploadRecord {
    const upload = /^[0-9a-f]{32}$/.test(uploadId) ? this.staging.get(uploadId) : undefined;
    if (!upload || upload.bucket !== bucket || upload.key !== key) throw noSuchUpload();
    return upload;
  }

  /**
   * Stages one part from `source`; returns its record once it is safely on disk. `sealing`: the
   * part is SSE-C ciphertext (`source` ends with the cipher) under that IV, kept with the part,
   * and has that ETag rather than the MD5 of the bytes staged.
   */
  async uploadPart(
    upload: UploadRecord,
    partNumber: number,
    source: readonly [NodeJS.ReadableStream, ...Transform[]],
    sealing?: PartSealing,
    checksum?: () => { algorithm: ChecksumAlgorithm; value: string } | undefined,
  ): Promise<StagedPart> {
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
      throw new S3Error('InvalidArgument', `Part number must be an integer between 1 and ${MAX_PART_NUMBER}`);
    }
    return this.staging.putPart(
      upload.uploadId,
      partNumber,
      source,
      undefined,
      sealing && { sealing: sealing.iv, md5: sealing.etag },
      () => {
        const sum = checksum?.();
        return sum && encodePartChecksum(sum.algorithm, sum.value);
      },
    );
  }

  /**
   * Completes the upload with the parts a client named. A part number named several times in a row
   * counts once, with its last entry (as on Ceph RGW): a client that uploaded a part again and
   * appended its new ETag names the part it has now.
   */
  async complete(
    upload: UploadRecord,
    requested: readonly CompletedPart[],
    declaredFull?: string,
  ): Promise<ObjectInfo> {
    const named = requested.filter((part, index) => requested[index + 1]?.partNumber !== part.partNumber);
    const chosen = chooseParts(this.staging.listParts(upload.uploadId), named, {
      minPartSize: this.minPartSize,
      matches: (part, sent) => part.md5 === unquote(sent),
      noParts: () => new S3Error('MalformedXML', 'You must specify at least one part'),
      outOfOrder: () =>
        new S3Error(
          'InvalidPartOrder',
          'The list of parts was not in ascending order. Parts must be ordered by part number.',
        ),
      notStaged: (partNumber) =>
        new S3Error(
          'InvalidPart',
          `One or more of the specified parts could not be found: part ${partNumber} was not uploaded or its ETag does not match.`,
        ),
      tooSmall: (part) =>
        new S3Error(
          'EntityTooSmall',
          `Your proposed upload is smaller than the minimum allowed object size: part ${part.partNumber} has ${part.size} bytes, at least ${this.minPartSize} are required for all but the last part.`,
        ),
    });
    checkNamedChecksums(
      upload.attributes.checksum,
      chosen.map((part, index) => ({
        partNumber: part.partNumber,
        staged: part.checksum,
        named: named[index]!.checksums ?? {},
      })),
    );
    const etag = multipartEtag(chosen);
    const sum = objectChecksum(upload, chosen, declaredFull);
    const body = this.staging.readParts(
      upload.uploadId,
      chosen.map((part) => part.partNumber),
    );
    const info = await this.layer.put(
      upload.bucket,
      upload.key,
      [body, ...sum.stages],
      () => etag,
      sealedObject(upload, chosen),
      sum.checksum,
    );
    this.completed.record({
      uploadId: upload.uploadId,
      bucket: upload.bucket,
      key: upload.key,
      etag: info.etag,
      partSizes: chosen.map((part) => part.size),
    });
    await this.staging.remove(upload.uploadId);
    return info;
  }

  async abort(upload: UploadRecord): Promise<void> {
    await this.staging.remove(upload.uploadId);
  }
}
