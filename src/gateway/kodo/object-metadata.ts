/**
 * What an object store knows about an object beyond its bytes (entity tag, content type, upload
 * time, user metadata) for a gateway whose under store keeps only files. One JSON sidecar per
 * object in a state directory, written atomically (temp file + rename).
 *
 * A record describes the file it was written for: it carries that file's UfsStatus fingerprint,
 * and a caller that finds a different fingerprint (the file was replaced by someone else) treats
 * the record as stale and derives the facts again. Generic: nothing here is Kodo-specific.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ObjectMetadata {
  /** The protocol's entity tag / content hash of the bytes. */
  readonly etag: string;
  readonly size: number;
  readonly contentType: string;
  /** When the object was written, ms since the epoch. */
  readonly putTimeMs: number;
  /** UfsStatus.fingerprint of the file described; any other fingerprint means the record is stale. */
  readonly fingerprint: string;
  /** User metadata (`x-qn-meta-*`, `x-amz-meta-*`, ...), names without the protocol prefix. */
  readonly userMetadata?: Readonly<Record<string, string>>;
}

export class ObjectMetadataStore {
  constructor(private readonly dir: string) {}

  private fileOf(bucket: string, key: string): string {
    const digest = createHash('sha1').update(key).digest('hex');
    return join(this.dir, encodeURIComponent(bucket), digest.slice(0, 2), `${digest}.json`);
  }

  async get(bucket: string, key: string): Promise<ObjectMetadata | undefined> {
    let text: string;
    try {
      text = await readFile(this.fileOf(bucket, key), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      const record = JSON.parse(text) as { key?: unknown; metadata?: ObjectMetadata };
      // A sha1 collision or a hand-edited file must not describe another key.
      return record.key === key ? record.metadata : undefined;
    } catch {
      return undefined; // A torn or corrupt record is as good as none: the facts are derived again.
    }
  }

  async put(bucket: string, key: string, metadata: ObjectMetadata): Promise<void> {
    const file = this.fileOf(bucket, key);
    const dir = join(file, '..');
    await mkdir(dir, { recursive: true });
    const temp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
    await writeFile(temp, JSON.stringify({ key, metadata }));
    await rename(temp, file);
  }

  async delete(bucket: string, key: string): Promise<void> {
    await rm(this.fileOf(bucket, key), { force: true });
  }
}
