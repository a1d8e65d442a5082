/**
 * The gateway's state database (SQLite via better-sqlite3, WAL): what S3 keeps about objects that a
 * plain store cannot (content headers, user metadata, tags, ACLs, the MD5 ETag) and the state of
 * multipart uploads. Object data never goes here. A row is trusted only while the store's
 * fingerprint of the object still matches the one recorded when the gateway wrote it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export const CANNED_ACLS = [
  'private',
  'public-read',
  'public-read-write',
  'authenticated-read',
  'bucket-owner-read',
  'bucket-owner-full-control',
] as const;
export type CannedAcl = (typeof CANNED_ACLS)[number];

export interface Tag {
  readonly key: string;
  readonly value: string;
}

/** Headers S3 stores with an object and returns on GET and HEAD. */
export interface ObjectHeaders {
  readonly contentType?: string;
  readonly contentDisposition?: string;
  readonly contentEncoding?: string;
  readonly contentLanguage?: string;
  readonly cacheControl?: string;
  readonly expires?: string;
  /** `x-amz-meta-*` without the prefix, names lower case. */
  readonly userMetadata: Readonly<Record<string, string>>;
}

export interface ObjectRecord {
  readonly bucket: string;
  readonly key: string;
  /** The store's fingerprint of the content this row describes. */
  readonly fingerprint: string;
  /** Without quotes: MD5 hex, or `md5-of-part-md5s-N` for multipart uploads. */
  readonly etag: string;
  readonly headers: ObjectHeaders;
  readonly tags: readonly Tag[];
  readonly acl: CannedAcl;
  readonly owner: string;
}

export interface BucketRecord {
  readonly name: string;
  readonly createdMs: number;
  readonly acl: CannedAcl;
  readonly owner: string;
}

export interface UploadRecord {
  readonly uploadId: string;
  readonly bucket: string;
  readonly key: string;
  readonly initiatedMs: number;
  readonly headers: ObjectHeaders;
  readonly tags: readonly Tag[];
  readonly acl: CannedAcl;
  readonly owner: string;
}

export interface PartRecord {
  readonly partNumber: number;
  readonly etag: string;
  readonly size: number;
  readonly mtimeMs: number;
}

interface ObjectRow {
  bucket: string;
  key: string;
  fingerprint: string;
  etag: string;
  headers: string;
  tags: string;
  acl: string;
  owner: string;
}

interface UploadRow {
  upload_id: string;
  bucket: string;
  key: string;
  initiated_ms: number;
  headers: string;
  tags: string;
  acl: string;
  owner: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS buckets (
  name TEXT PRIMARY KEY, created_ms INTEGER NOT NULL, acl TEXT NOT NULL, owner TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS objects (
  bucket TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, etag TEXT NOT NULL,
  headers TEXT NOT NULL, tags TEXT NOT NULL, acl TEXT NOT NULL, owner TEXT NOT NULL,
  PRIMARY KEY (bucket, key));
CREATE TABLE IF NOT EXISTS uploads (
  upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key TEXT NOT NULL, initiated_ms INTEGER NOT NULL,
  headers TEXT NOT NULL, tags TEXT NOT NULL, acl TEXT NOT NULL, owner TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads (bucket, key, upload_id);
CREATE TABLE IF NOT EXISTS parts (
  upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, etag TEXT NOT NULL, size INTEGER NOT NULL,
  mtime_ms INTEGER NOT NULL, PRIMARY KEY (upload_id, part_number));
`;

export class MetadataStore {
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  /** Opens (creating) `metadata.db` in `dir`; `':memory:'` keeps it in memory. */
  constructor(dir: string) {
    if (dir === ':memory:') {
      this.db = new Database(':memory:');
    } else {
      mkdirSync(dir, { recursive: true });
      this.db = new Database(join(dir, 'metadata.db'));
      this.db.pragma('journal_mode = WAL');
    }
    this.db.exec(SCHEMA);
  }

  close(): void {
    this.db.close();
  }

  /** A prepared statement, prepared once per SQL text. */
  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  // --- buckets -----------------------------------------------------------------------------------

  getBucket(name: string): BucketRecord | undefined {
    const row = this.sql('SELECT * FROM buckets WHERE name = ?').get(name) as
      | { name: string; created_ms: number; acl: string; owner: string }
      | undefined;
    return row && { name: row.name, createdMs: row.created_ms, acl: row.acl as CannedAcl, owner: row.owner };
  }

  putBucket(bucket: BucketRecord): void {
    this.sql('INSERT OR REPLACE INTO buckets (name, created_ms, acl, owner) VALUES (?, ?, ?, ?)').run(
      bucket.name,
      bucket.createdMs,
      bucket.acl,
      bucket.owner,
    );
  }

  /** Forgets a bucket and every object row and upload in it; returns the upload ids dropped. */
  deleteBucket(name: string): string[] {
    return this.db.transaction(() => {
      const uploads = this.db
        .prepare('SELECT upload_id FROM uploads WHERE bucket = ?')
        .pluck()
        .all(name) as string[];
      for (const id of uploads) this.deleteUpload(id);
      this.sql('DELETE FROM objects WHERE bucket = ?').run(name);
      this.sql('DELETE FROM buckets WHERE name = ?').run(name);
      return uploads;
    })();
  }

  // --- objects -----------------------------------------------------------------------------------

  getObject(bucket: string, key: string): ObjectRecord | undefined {
    const row = this.sql('SELECT * FROM objects WHERE bucket = ? AND key = ?').get(bucket, key) as
      | ObjectRow
      | undefined;
    return (
      row && {
        bucket: row.bucket,
        key: row.key,
        fingerprint: row.fingerprint,
        etag: row.etag,
        headers: JSON.parse(row.headers) as ObjectHeaders,
        tags: JSON.parse(row.tags) as Tag[],
        acl: row.acl as CannedAcl,
        owner: row.owner,
      }
    );
  }

  putObject(record: ObjectRecord): void {
    this.sql(
      'INSERT OR REPLACE INTO objects (bucket, key, fingerprint, etag, headers, tags, acl, owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(
      record.bucket,
      record.key,
      record.fingerprint,
      record.etag,
      JSON.stringify(record.headers),
      JSON.stringify(record.tags),
      record.acl,
      record.owner,
    );
  }

  deleteObject(bucket: string, key: string): void {
    this.sql('DELETE FROM objects WHERE bucket = ? AND key = ?').run(bucket, key);
  }

  // --- multipart uploads -------------------------------------------------------------------------

  createUpload(upload: UploadRecord): void {
    this.sql(
      'INSERT INTO uploads (upload_id, bucket, key, initiated_ms, headers, tags, acl, owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(
      upload.uploadId,
      upload.bucket,
      upload.key,
      upload.initiatedMs,
      JSON.stringify(upload.headers),
      JSON.stringify(upload.tags),
      upload.acl,
      upload.owner,
    );
  }

  getUpload(uploadId: string): UploadRecord | undefined {
    const row = this.sql('SELECT * FROM uploads WHERE upload_id = ?').get(uploadId) as UploadRow | undefined;
    return row && uploadRecord(row);
  }

  /** Uploads in a bucket ordered by key then upload id, after the (key, uploadId) marker. */
  listUploads(
    bucket: string,
    options: { prefix: string; keyMarker: string; uploadIdMarker: string; limit: number },
  ): UploadRecord[] {
    const rows = this.sql(
      `SELECT * FROM uploads WHERE bucket = ? AND substr(key, 1, length(?)) = ?
           AND (key > ? OR (key = ? AND upload_id > ?))
         ORDER BY key, upload_id LIMIT ?`,
    ).all(
      bucket,
      options.prefix,
      options.prefix,
      options.keyMarker,
      options.keyMarker,
      options.uploadIdMarker,
      options.limit,
    ) as UploadRow[];
    return rows.map(uploadRecord);
  }

  deleteUpload(uploadId: string): void {
    this.sql('DELETE FROM parts WHERE upload_id = ?').run(uploadId);
    this.sql('DELETE FROM uploads WHERE upload_id = ?').run(uploadId);
  }

  putPart(uploadId: string, part: PartRecord): void {
    this.sql(
      'INSERT OR REPLACE INTO parts (upload_id, part_number, etag, size, mtime_ms) VALUES (?, ?, ?, ?, ?)',
    ).run(uploadId, part.partNumber, part.etag, part.size, part.mtimeMs);
  }

  /** Parts after `afterPart` in part-number order, at most `limit`. */
  listParts(uploadId: string, afterPart = 0, limit = 10_000): PartRecord[] {
    const rows = this.sql(
      'SELECT part_number, etag, size, mtime_ms FROM parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?',
    ).all(uploadId, afterPart, limit) as {
      part_number: number;
      etag: string;
      size: number;
      mtime_ms: number;
    }[];
    return rows.map((r) => ({ partNumber: r.part_number, etag: r.etag, size: r.size, mtimeMs: r.mtime_ms }));
  }
}

function uploadRecord(row: UploadRow): UploadRecord {
  return {
    uploadId: row.upload_id,
    bucket: row.bucket,
    key: row.key,
    initiatedMs: row.initiated_ms,
    headers: JSON.parse(row.headers) as ObjectHeaders,
    tags: JSON.parse(row.tags) as Tag[],
    acl: row.acl as CannedAcl,
    owner: row.owner,
  };
}
