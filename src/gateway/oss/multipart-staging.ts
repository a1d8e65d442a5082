/**
 * Multipart uploads staged on local disk: one record per upload and per part in the state
 * database, each part's bytes in its own file under `<stateDir>/uploads/<uploadId>/`. A part is
 * written to a temp file and renamed into place only when complete, so a re-sent part replaces the
 * old one atomically and an interrupted one leaves nothing. Protocol-neutral: shared by every
 * gateway dialect.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { StateDatabase } from './state-database.js';

export interface MultipartUpload {
  readonly uploadId: string;
  readonly bucket: string;
  readonly key: string;
  readonly initiated: Date;
  readonly contentType: string | undefined;
  readonly userMeta: Readonly<Record<string, string>>;
  readonly forbidOverwrite: boolean;
}

export interface StagedPart {
  readonly partNumber: number;
  /** Hex MD5 of the part, upper case, without quotes. */
  readonly etag: string;
  readonly md5: Buffer;
  readonly size: number;
  readonly lastModified: Date;
}

interface UploadRow {
  upload_id: string;
  bucket: string;
  key: string;
  initiated_ms: number;
  content_type: string | null;
  user_meta: string;
  forbid_overwrite: number;
}

interface PartRow {
  part_number: number;
  md5: Buffer;
  size: number;
  last_modified_ms: number;
}

export class MultipartStaging {
  private readonly dir: string;

  constructor(
    private readonly db: StateDatabase,
    stateDir: string,
  ) {
    this.dir = join(stateDir, 'uploads');
    db.exec(`CREATE TABLE IF NOT EXISTS multipart_uploads (
      upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key TEXT NOT NULL, initiated_ms INTEGER NOT NULL,
      content_type TEXT, user_meta TEXT NOT NULL, forbid_overwrite INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS multipart_parts (
      upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, md5 BLOB NOT NULL, size INTEGER NOT NULL,
      last_modified_ms INTEGER NOT NULL, PRIMARY KEY (upload_id, part_number))`);
  }

  async create(
    bucket: string,
    key: string,
    options: { contentType?: string; userMeta?: Record<string, string>; forbidOverwrite?: boolean },
  ): Promise<MultipartUpload> {
    const upload: MultipartUpload = {
      uploadId: randomBytes(16).toString('hex').toUpperCase(),
      bucket,
      key,
      initiated: new Date(),
      contentType: options.contentType,
      userMeta: options.userMeta ?? {},
      forbidOverwrite: options.forbidOverwrite ?? false,
    };
    await mkdir(join(this.dir, upload.uploadId), { recursive: true });
    this.db
      .prepare('INSERT INTO multipart_uploads VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(
        upload.uploadId,
        bucket,
        key,
        upload.initiated.getTime(),
        upload.contentType ?? null,
        JSON.stringify(upload.userMeta),
        upload.forbidOverwrite ? 1 : 0,
      );
    return upload;
  }

  get(uploadId: string): MultipartUpload | undefined {
    const row = this.db
      .prepare<[string], UploadRow>('SELECT * FROM multipart_uploads WHERE upload_id = ?')
      .get(uploadId);
    return row ? toUpload(row) : undefined;
  }

  /** Uploads of a bucket in key order, then initiation order. */
  list(bucket: string): MultipartUpload[] {
    return this.db
      .prepare<[string], UploadRow>(
        'SELECT * FROM multipart_uploads WHERE bucket = ? ORDER BY key, initiated_ms, upload_id',
      )
      .all(bucket)
      .map(toUpload);
  }

  /**
   * Streams a part to a temp file while hashing it, then makes it the part with that number,
   * replacing an earlier one.
   */
  async putPart(uploadId: string, partNumber: number, body: Readable): Promise<StagedPart> {
    const final = this.partFile(uploadId, partNumber);
    const temp = `${final}.${randomBytes(6).toString('hex')}.tmp`;
    const hash = createHash('md5');
    let size = 0;
    try {
      await pipeline(
        body,
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            hash.update(chunk);
            size += chunk.length;
            yield chunk;
          }
        },
        createWriteStream(temp, { flags: 'wx' }),
      );
      await rename(temp, final);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    const md5 = hash.digest();
    const lastModified = new Date();
    this.db
      .prepare('INSERT OR REPLACE INTO multipart_parts VALUES (?, ?, ?, ?, ?)')
      .run(uploadId, partNumber, md5, size, lastModified.getTime());
    return { partNumber, etag: md5.toString('hex').toUpperCase(), md5, size, lastModified };
  }

  parts(uploadId: string): StagedPart[] {
    return this.db
      .prepare<[string], PartRow>(
        'SELECT part_number, md5, size, last_modified_ms FROM multipart_parts WHERE upload_id = ? ORDER BY part_number',
      )
      .all(uploadId)
      .map((row) => ({
        partNumber: row.part_number,
        etag: row.md5.toString('hex').toUpperCase(),
        md5: row.md5,
        size: row.size,
        lastModified: new Date(row.last_modified_ms),
      }));
  }

  /** Writes the given parts, in the order given, into `out` (ending it), one file at a time. */
  async concatenate(uploadId: string, partNumbers: readonly number[], out: Writable): Promise<void> {
    const dir = this.dir;
    await pipeline(async function* () {
      for (const n of partNumbers) yield* createReadStream(join(dir, uploadId, String(n)));
    }, out);
  }

  /** Forgets the upload and deletes its staged parts. */
  async remove(uploadId: string): Promise<void> {
    this.db.prepare('DELETE FROM multipart_parts WHERE upload_id = ?').run(uploadId);
    this.db.prepare('DELETE FROM multipart_uploads WHERE upload_id = ?').run(uploadId);
    await rm(join(this.dir, uploadId), { recursive: true, force: true });
  }

  private partFile(uploadId: string, partNumber: number): string {
    return join(this.dir, uploadId, String(partNumber));
  }
}

function toUpload(row: UploadRow): MultipartUpload {
  return {
    uploadId: row.upload_id,
    bucket: row.bucket,
    key: row.key,
    initiated: new Date(row.initiated_ms),
    contentType: row.content_type ?? undefined,
    userMeta: JSON.parse(row.user_meta) as Record<string, string>,
    forbidOverwrite: row.forbid_overwrite === 1,
  };
}
