/**
 * Multipart uploads staged on local disk until they are completed or aborted, for every gateway
 * dialect: one row per upload and per part in the gateway's state database, each part's bytes in
 * its own file `<dir>/<uploadId>/<partNumber>`. A part streams to a temp file while its size and
 * MD5 are taken (never held in memory) and is renamed into place only when whole, so a part sent
 * again replaces the old one atomically and an interrupted one leaves nothing. Complete streams
 * the chosen parts in order into one write.
 *
 * The protocol rules stay with each gateway: which part numbers it accepts, the smallest part, what
 * a part's and the object's entity tags look like, what an upload carries (`attributes`, stored as
 * JSON) and whether it expires.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { UfsWriteStream } from '../../ufs/contract.js';
import { abortWrite } from '../../ufs/io.js';
import { multipartEtagOf } from '../../ufs/object/multipart.js';
import type { StateDatabase } from './state-database.js';

export interface StagedUpload<Attributes> {
  readonly uploadId: string;
  readonly bucket: string;
  readonly key: string;
  readonly initiatedMs: number;
  /** When the upload is dropped unless completed, ms since the epoch; undefined: never. */
  readonly expiresAtMs: number | undefined;
  /** What the protocol needs to complete the upload; must survive a JSON round trip. */
  readonly attributes: Attributes;
}

export interface StagedPart {
  readonly partNumber: number;
  readonly size: number;
  /** Lower-case hex MD5 of the part's bytes, or the tag the dialect gave instead (see putPart). */
  readonly md5: string;
  readonly mtimeMs: number;
  /**
   * What the dialect needs to read the part's bytes back (the S3 gateway: the IV of an SSE-C
   * part), opaque here; recorded in the same row as the part's size and MD5.
   */
  readonly sealing?: string;
  /** The dialect's checksum of the part (the S3 gateway: `algorithm:base64`), opaque here. */
  readonly checksum?: string;
}

export interface PartStagingOptions {
  /** Where parts are staged, one subdirectory per upload. */
  readonly dir: string;
  /** How long an upload lives (absent: until completed or aborted). */
  readonly ttlMs?: number;
  /** Upload ids are 32 hex digits, in this case (default lower). */
  readonly uploadIdCase?: 'lower' | 'upper';
}

/** A part larger than `maxSize` was refused (nothing of it is kept). */
export class PartTooLargeError extends Error {}

/** Readable, then any transforms, as `pipeline` takes them. */
export type PartSource = readonly [NodeJS.ReadableStream, ...NodeJS.ReadWriteStream[]];

interface UploadRow {
  upload_id: string;
  bucket: string;
  key: string;
  initiated_ms: number;
  expires_ms: number | null;
  attributes: string;
}

interface PartRow {
  part_number: number;
  size: number;
  md5: string;
  mtime_ms: number;
  sealing: string | null;
  checksum: string | null;
}

/** Only ids of this form ever name a directory, so no id can reach outside the staging dir. */
const UPLOAD_ID = /^[0-9a-fA-F]{32}$/;

export class PartStaging<Attributes> {
  private readonly dir: string;
  private readonly ttlMs: number | undefined;
  private readonly upperCaseIds: boolean;
  /** The last step of each part being put, by part file: its rename and its row go in one order. */
  private readonly placing = new Map<string, Promise<unknown>>();

  constructor(
    private readonly db: StateDatabase,
    options: PartStagingOptions,
  ) {
    this.dir = options.dir;
    this.ttlMs = options.ttlMs;
    this.upperCaseIds = options.uploadIdCase === 'upper';
    db.exec(`CREATE TABLE IF NOT EXISTS staged_uploads (
      upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key TEXT NOT NULL, initiated_ms INTEGER NOT NULL,
      expires_ms INTEGER, attributes TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS staged_uploads_by_key ON staged_uploads (bucket, key, upload_id);
    CREATE TABLE IF NOT EXISTS staged_parts (
      upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, size INTEGER NOT NULL, md5 TEXT NOT NULL,
      mtime_ms INTEGER NOT NULL, sealing TEXT, PRIMARY KEY (upload_id, part_number)) WITHOUT ROWID`);
    // State databases made before parts had a sealing.
    const columns = db.sql<[], { name: string }>('PRAGMA table_info(staged_parts)').all();
    if (!columns.some((column) => column.name === 'sealing')) {
      db.exec('ALTER TABLE staged_parts ADD COLUMN sealing TEXT');
    }
    // ... and before they had a checksum.
    if (!columns.some((column) => column.name === 'checksum')) {
      db.exec('ALTER TABLE staged_parts ADD COLUMN checksum TEXT');
    }
  }

  async create(
    bucket: string,
    key: string,
    attributes: Attributes,
    nowMs = Date.now(),
  ): Promise<StagedUpload<Attributes>> {
    const hex = randomBytes(16).toString('hex');
    const upload: StagedUpload<Attributes> = {
      uploadId: this.upperCaseIds ? hex.toUpperCase() : hex,
      bucket,
      key,
      initiatedMs: nowMs,
      expiresAtMs: this.ttlMs === undefined ? undefined : nowMs + this.ttlMs,
      attributes,
    };
    // Recorded before its directory exists, so the sweep never takes a new upload's directory for
    // one left behind.
    this.db
      .sql(
        'INSERT INTO staged_uploads (upload_id, bucket, key, initiated_ms, expires_ms, attributes) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(upload.uploadId, bucket, key, nowMs, upload.expiresAtMs ?? null, JSON.stringify(attributes));
    try {
      await mkdir(this.uploadDir(upload.uploadId), { recursive: true });
    } catch (error) {
      await this.remove(upload.uploadId);
      throw error;
    }
    return upload;
  }

  /** The upload, or undefined when it is unknown or expired (an expired one waits for the sweep). */
  get(uploadId: string, nowMs = Date.now()): StagedUpload<Attributes> | undefined {
    const row = this.db
      .sql<[string], UploadRow>('SELECT * FROM staged_uploads WHERE upload_id = ?')
      .get(uploadId);
    if (!row || (row.expires_ms !== null && row.expires_ms < nowMs)) return undefined;
    return this.toUpload(row);
  }

  /**
   * Uploads in a bucket whose key starts with `prefix`, ordered by key then upload id, after the
   * (keyMarker, uploadIdMarker) position, at most `limit`.
   */
  listUploads(
    bucket: string,
    options: { prefix?: string; keyMarker?: string; uploadIdMarker?: string; limit?: number } = {},
  ): StagedUpload<Attributes>[] {
    const { prefix = '', keyMarker = '', uploadIdMarker = '', limit = -1 } = options;
    return this.db
      .sql<unknown[], UploadRow>(
        `SELECT * FROM staged_uploads WHERE bucket = ? AND substr(key, 1, length(?)) = ?
           AND (key > ? OR (key = ? AND upload_id > ?))
         ORDER BY key, upload_id LIMIT ?`,
      )
      .all(bucket, prefix, prefix, keyMarker, keyMarker, uploadIdMarker, limit)
      .map((row) => this.toUpload(row));
  }

  /**
   * Streams a part through `source` to disk, measuring and hashing it, then makes it the part with
   * that number, replacing an earlier one. More than `maxSize` bytes fail with PartTooLargeError.
   * `sealed.sealing` is kept with the part (see StagedPart) and `sealed.md5`, asked once the
   * stream has ended, is recorded instead of the MD5 of the bytes staged (an encrypting dialect's
   * tag of the plaintext). `checksum`, asked once the stream has ended, is kept with the part.
   */
  async putPart(
    uploadId: string,
    partNumber: number,
    source: PartSource,
    maxSize = Number.POSITIVE_INFINITY,
    sealed?: { readonly sealing: string; readonly md5: () => string },
    checksum?: () => string | undefined,
  ): Promise<StagedPart> {
    const final = this.partFile(uploadId, partNumber);
    const temp = `${final}.${randomBytes(6).toString('hex')}.tmp`;
    const md5 = createHash('md5');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        if (size > maxSize) return callback(new PartTooLargeError(`part larger than ${maxSize} bytes`));
        md5.update(chunk);
        callback(null, chunk);
      },
    });
    try {
      await pipeline([...source, meter, createWriteStream(temp, { flags: 'wx' })]);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    const sum = checksum?.();
    const part: StagedPart = {
      partNumber,
      size,
      md5: sealed ? sealed.md5() : md5.digest('hex'),
      mtimeMs: Date.now(),
      ...(sealed ? { sealing: sealed.sealing } : {}),
      ...(sum === undefined ? {} : { checksum: sum }),
    };
    // Two puts of one part at once: each rename is followed by its row before the other's rename
    // starts, so the part file and its row (size, MD5, sealing IVs) are always the same put's.
    const place = async () => {
      try {
        await rename(temp, final);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
      this.db
        .sql(
          'INSERT OR REPLACE INTO staged_parts (upload_id, part_number, size, md5, mtime_ms, sealing, checksum) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(uploadId, partNumber, part.size, part.md5, part.mtimeMs, sealed?.sealing ?? null, sum ?? null);
    };
    const placed = (this.placing.get(final) ?? Promise.resolve()).catch(() => undefined).then(place);
    this.placing.set(final, placed);
    try {
      await placed;
    } finally {
      if (this.placing.get(final) === placed) this.placing.delete(final);
    }
    return part;
  }

  /** Parts received so far after `afterPart`, by part number, at most `limit`. */
  listParts(uploadId: string, afterPart = 0, limit = -1): StagedPart[] {
    return this.db
      .sql<[string, number, number], PartRow>(
        `SELECT part_number, size, md5, mtime_ms, sealing, checksum FROM staged_parts
         WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?`,
      )
      .all(uploadId, afterPart, limit)
      .map((row) => ({
        partNumber: row.part_number,
        size: row.size,
        md5: row.md5,
        mtimeMs: row.mtime_ms,
        ...(row.sealing === null ? {} : { sealing: row.sealing }),
        ...(row.checksum === null ? {} : { checksum: row.checksum }),
      }));
  }

  /** The bytes of the given parts one after the other, streamed from disk a file at a time. */
  readParts(uploadId: string, partNumbers: readonly number[]): Readable {
    const files = partNumbers.map((n) => this.partFile(uploadId, n));
    return Readable.from(
      (async function* () {
        for (const file of files) yield* createReadStream(file);
      })(),
    );
  }

  /**
   * Writes the given parts in order into `out` (an UnderStore write, which commits when it ends).
   * On any failure the write is destroyed, so nothing of it becomes visible, and the error thrown.
   */
  async writeParts(uploadId: string, partNumbers: readonly number[], out: UfsWriteStream): Promise<void> {
    try {
      await pipeline(this.readParts(uploadId, partNumbers), out);
    } catch (error) {
      await abortWrite(out, error as Error);
      throw error;
    }
  }

  /** Forgets the upload and deletes its staged parts. */
  async remove(uploadId: string): Promise<void> {
    this.db.transaction(() => {
      this.db.sql('DELETE FROM staged_parts WHERE upload_id = ?').run(uploadId);
      this.db.sql('DELETE FROM staged_uploads WHERE upload_id = ?').run(uploadId);
    });
    if (UPLOAD_ID.test(uploadId)) await rm(this.uploadDir(uploadId), { recursive: true, force: true });
  }

  /** Removes every upload of a bucket (it is being deleted); returns their ids. */
  async removeBucket(bucket: string): Promise<string[]> {
    const ids = this.db
      .sql<[string], { upload_id: string }>('SELECT upload_id FROM staged_uploads WHERE bucket = ?')
      .all(bucket)
      .map((row) => row.upload_id);
    for (const id of ids) await this.remove(id);
    return ids;
  }

  /**
   * Removes every upload past its expiry, and staged directories no upload owns (left by a crash
   * between forgetting an upload and deleting its parts); returns how many uploads expired.
   */
  async sweepExpired(nowMs = Date.now()): Promise<number> {
    const expired = this.db
      .sql<[number], { upload_id: string }>(
        'SELECT upload_id FROM staged_uploads WHERE expires_ms IS NOT NULL AND expires_ms < ?',
      )
      .all(nowMs)
      .map((row) => row.upload_id);
    for (const id of expired) await this.remove(id);
    const known = this.db.sql<[string], { upload_id: string }>(
      'SELECT upload_id FROM staged_uploads WHERE upload_id = ?',
    );
    for (const name of await readdir(this.dir).catch(() => [])) {
      if (UPLOAD_ID.test(name) && !known.get(name)) await this.remove(name);
    }
    return expired.length;
  }

  private uploadDir(uploadId: string): string {
    // Callers look the upload up first; this is the last guard against a path from a request.
    if (!UPLOAD_ID.test(uploadId)) throw new Error(`not an upload id: '${uploadId}'`);
    return join(this.dir, uploadId);
  }

  private partFile(uploadId: string, partNumber: number): string {
    return join(this.uploadDir(uploadId), String(partNumber));
  }

  private toUpload(row: UploadRow): StagedUpload<Attributes> {
    return {
      uploadId: row.upload_id,
      bucket: row.bucket,
      key: row.key,
      initiatedMs: row.initiated_ms,
      expiresAtMs: row.expires_ms ?? undefined,
      attributes: JSON.parse(row.attributes) as Attributes,
    };
  }
}

/**
 * The S3-style entity tag of an object assembled from parts: the MD5 of the parts' binary MD5s,
 * then `-<number of parts>` (lower-case hex; OSS sends it upper case).
 */
export function multipartEtag(parts: readonly StagedPart[]): string {
  const etag = multipartEtagOf(parts.map((part) => part.md5));
  if (etag === undefined) throw new Error('a staged part has no MD5');
  return etag;
}

/** How a protocol refuses a Complete request; each returns the error to throw. */
export interface CompleteRules {
  /** Smallest size of every chosen part but the last. */
  readonly minPartSize: number;
  /** Whether the entity tag the client sent names this staged part. */
  matches(part: StagedPart, sentEtag: string): boolean;
  noParts(): Error;
  outOfOrder(partNumber: number): Error;
  notStaged(partNumber: number): Error;
  tooSmall(part: StagedPart): Error;
}

/**
 * The staged parts a Complete request names, checked: at least one, in ascending part-number order,
 * each staged with the entity tag given, and all but the last at least the minimum size.
 */
export function chooseParts(
  staged: readonly StagedPart[],
  requested: readonly { readonly partNumber: number; readonly etag: string }[],
  rules: CompleteRules,
): StagedPart[] {
  if (requested.length === 0) throw rules.noParts();
  const byNumber = new Map(staged.map((part) => [part.partNumber, part]));
  const chosen = requested.map((wanted, index) => {
    if (index > 0 && wanted.partNumber <= requested[index - 1]!.partNumber) {
      throw rules.outOfOrder(wanted.partNumber);
    }
    const part = byNumber.get(wanted.partNumber);
    if (!part || !rules.matches(part, wanted.etag)) throw rules.notStaged(wanted.partNumber);
    return part;
  });
  for (const part of chosen.slice(0, -1)) if (part.size < rules.minPartSize) throw rules.tooSmall(part);
  return chosen;
}
