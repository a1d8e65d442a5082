/**
 * Parts of multipart / resumable uploads, staged on local disk until the upload is completed or
 * aborted: `<dir>/<uploadId>/upload.json` describes the upload, `part-<n>` holds a part's bytes and
 * `part-<n>.json` its size and MD5. Parts stream to disk (never held in memory), each is renamed
 * into place when whole, and uploads past their expiry are swept. Generic: nothing here is
 * Kodo-specific; the protocol layer decides what a part's etag is and what `attributes` hold.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface StagedUpload {
  readonly uploadId: string;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
  /** Whatever the protocol needs to complete the upload (bucket, key, ...). */
  readonly attributes: Readonly<Record<string, string>>;
}

export interface StagedPart {
  readonly partNumber: number;
  readonly size: number;
  /** Hex MD5 of the part's bytes. */
  readonly md5: string;
  readonly putTimeMs: number;
}

export class PartTooLargeError extends Error {}

const UPLOAD_ID = /^[0-9a-f]{32}$/;

export class PartStaging {
  constructor(
    private readonly dir: string,
    private readonly ttlMs: number,
  ) {}

  private uploadDir(uploadId: string): string {
    return join(this.dir, uploadId);
  }

  async create(attributes: Readonly<Record<string, string>>, nowMs = Date.now()): Promise<StagedUpload> {
    const upload: StagedUpload = {
      uploadId: randomBytes(16).toString('hex'),
      createdAtMs: nowMs,
      expiresAtMs: nowMs + this.ttlMs,
      attributes,
    };
    // Built aside and renamed into place, so a sweep never sees an upload without its description.
    const temp = join(this.dir, `.${upload.uploadId}.tmp`);
    await mkdir(temp, { recursive: true });
    await writeFile(join(temp, 'upload.json'), JSON.stringify(upload));
    await rename(temp, this.uploadDir(upload.uploadId));
    return upload;
  }

  /** The upload, or undefined when it is unknown, malformed or expired. */
  async get(uploadId: string, nowMs = Date.now()): Promise<StagedUpload | undefined> {
    if (!UPLOAD_ID.test(uploadId)) return undefined;
    let upload: StagedUpload;
    try {
      upload = JSON.parse(
        await readFile(join(this.uploadDir(uploadId), 'upload.json'), 'utf8'),
      ) as StagedUpload;
    } catch {
      return undefined;
    }
    if (upload.expiresAtMs < nowMs) {
      await this.remove(uploadId);
      return undefined;
    }
    return upload;
  }

  /** Streams one part to disk; a part sent again replaces the earlier one. */
  async putPart(
    uploadId: string,
    partNumber: number,
    source: Readable | AsyncIterable<Buffer>,
    maxSize: number,
  ): Promise<StagedPart> {
    const dir = this.uploadDir(uploadId);
    const temp = join(dir, `.part-${partNumber}.${randomBytes(6).toString('hex')}.tmp`);
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
      await pipeline(source, meter, createWriteStream(temp, { flags: 'wx' }));
      await rename(temp, join(dir, `part-${partNumber}`));
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    const part: StagedPart = { partNumber, size, md5: md5.digest('hex'), putTimeMs: Date.now() };
    await writeFile(join(dir, `part-${partNumber}.json`), JSON.stringify(part));
    return part;
  }

  /** Parts received so far, by part number. */
  async listParts(uploadId: string): Promise<StagedPart[]> {
    const names = await readdir(this.uploadDir(uploadId)).catch(() => []);
    const parts: StagedPart[] = [];
    for (const name of names) {
      if (!/^part-\d+\.json$/.test(name)) continue;
      try {
        parts.push(JSON.parse(await readFile(join(this.uploadDir(uploadId), name), 'utf8')) as StagedPart);
      } catch {
        // Being replaced right now: the part is not there yet.
      }
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  /** The bytes of the given parts one after the other, streamed from disk. */
  async *readParts(uploadId: string, partNumbers: readonly number[]): AsyncGenerator<Buffer> {
    for (const partNumber of partNumbers) {
      for await (const chunk of createReadStream(join(this.uploadDir(uploadId), `part-${partNumber}`))) {
        yield chunk as Buffer;
      }
    }
  }

  async remove(uploadId: string): Promise<void> {
    if (UPLOAD_ID.test(uploadId)) await rm(this.uploadDir(uploadId), { recursive: true, force: true });
  }

  /** Removes every upload past its expiry; returns how many. */
  async sweepExpired(nowMs = Date.now()): Promise<number> {
    const names = await readdir(this.dir).catch(() => []);
    let removed = 0;
    for (const name of names) {
      if (UPLOAD_ID.test(name) && (await this.get(name, nowMs)) === undefined) {
        await this.remove(name);
        removed++;
      }
    }
    return removed;
  }
}
