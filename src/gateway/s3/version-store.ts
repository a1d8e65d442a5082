/**
 * The versions of objects that are not the current one, and delete markers, of versioned buckets:
 * one row per (bucket, key, version id) in the gateway's state database. A noncurrent version's
 * bytes are a file in the versions area of the gateway root (`blob`), written before its row
 * and removed after it; a delete marker has none. The current version of a key is not here: it is
 * the file at the key's path, described by its object record (see object-layer.ts).
 *
 * `seq` orders the versions of a key (larger is newer) across current, noncurrent and markers.
 */
import { randomBytes } from 'node:crypto';
import type { StateDatabase } from '../common/state-database.js';
import type { Grant } from './acl.js';
import type { CannedAcl, ObjectHeaders, Tag } from './metadata-store.js';

/** What a version keeps besides its bytes (as the object record does for the current one). */
export interface VersionAttributes {
  readonly headers: ObjectHeaders;
  readonly tags: readonly Tag[];
  readonly acl: CannedAcl;
  readonly grants?: readonly Grant[];
  readonly owner: string;
}

export interface VersionRow {
  readonly bucket: string;
  readonly key: string;
  /** `null` for the version written while versioning was off or suspended. */
  readonly versionId: string;
  readonly seq: number;
  readonly deleteMarker: boolean;
  /** Path of the bytes below the gateway root (noncurrent versions only). */
  readonly blob: string | undefined;
  /** The store's fingerprint of the blob when it was written. */
  readonly fingerprint: string | undefined;
  readonly size: number;
  readonly mtimeMs: number;
  /** Without quotes; empty for delete markers. */
  readonly etag: string;
  readonly attributes: VersionAttributes;
}

interface Row {
  bucket: string;
  key: string;
  version_id: string;
  seq: number;
  delete_marker: number;
  blob: string | null;
  fingerprint: string | null;
  size: number;
  mtime_ms: number;
  etag: string;
  attributes: string;
}

function fromRow(row: Row): VersionRow {
  return {
    bucket: row.bucket,
    key: row.key,
    versionId: row.version_id,
    seq: row.seq,
    deleteMarker: row.delete_marker === 1,
    blob: row.blob ?? undefined,
    fingerprint: row.fingerprint ?? undefined,
    size: row.size,
    mtimeMs: row.mtime_ms,
    etag: row.etag,
    attributes: JSON.parse(row.attributes) as VersionAttributes,
  };
}

/** The directory below the gateway root holding noncurrent versions (not a valid bucket name). */
export const VERSIONS_AREA = '.tierfs-versions';

/** A fresh S3 version id: 32 URL-safe characters. */
export function newVersionId(): string {
  return randomBytes(24).toString('base64url');
}

let lastSeq = 0;
/** A number larger than every one handed out before in this process, and than the clock in µs. */
export function nextSeq(): number {
  lastSeq = Math.max(lastSeq + 1, Date.now() * 1000);
  return lastSeq;
}

export class VersionStore {
  constructor(private readonly db: StateDatabase) {
    db.exec(`CREATE TABLE IF NOT EXISTS object_versions (
      bucket TEXT NOT NULL, key TEXT NOT NULL, version_id TEXT NOT NULL, seq INTEGER NOT NULL,
      delete_marker INTEGER NOT NULL, blob TEXT, fingerprint TEXT, size INTEGER NOT NULL,
      mtime_ms INTEGER NOT NULL, etag TEXT NOT NULL, attributes TEXT NOT NULL,
      PRIMARY KEY (bucket, key, version_id)) WITHOUT ROWID`);
    db.exec('CREATE INDEX IF NOT EXISTS object_versions_order ON object_versions (bucket, key, seq)');
    db.exec('CREATE INDEX IF NOT EXISTS object_versions_blob ON object_versions (blob)');
  }

  /** Whether some version's bytes are the file `blob`. */
  hasBlob(blob: string): boolean {
    return (
      this.db
        .sql<[string], { one: number }>('SELECT 1 AS one FROM object_versions WHERE blob = ? LIMIT 1')
        .get(blob) !== undefined
    );
  }

  get(bucket: string, key: string, versionId: string): VersionRow | undefined {
    const row = this.db
      .sql<[string, string, string], Row>(
        'SELECT * FROM object_versions WHERE bucket = ? AND key = ? AND version_id = ?',
      )
      .get(bucket, key, versionId);
    return row && fromRow(row);
  }

  /** The versions of a key, newest first. */
  ofKey(bucket: string, key: string): VersionRow[] {
    return this.db
      .sql<[string, string], Row>(
        'SELECT * FROM object_versions WHERE bucket = ? AND key = ? ORDER BY seq DESC',
      )
      .all(bucket, key)
      .map(fromRow);
  }

  /** Up to `limit` distinct keys with versions here, in byte order, after `after`. */
  keysAfter(bucket: string, after: string, limit: number): string[] {
    return this.db
      .sql<[string, string, number], { key: string }>(
        'SELECT DISTINCT key FROM object_versions WHERE bucket = ? AND key > ? ORDER BY key LIMIT ?',
      )
      .all(bucket, after, limit)
      .map((row) => row.key);
  }

  hasAny(bucket: string): boolean {
    return (
      this.db
        .sql<[string], { one: number }>('SELECT 1 AS one FROM object_versions WHERE bucket = ? LIMIT 1')
        .get(bucket) !== undefined
    );
  }

  put(row: VersionRow): void {
    this.db
      .sql(
        `INSERT OR REPLACE INTO object_versions
         (bucket, key, version_id, seq, delete_marker, blob, fingerprint, size, mtime_ms, etag, attributes)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        row.bucket,
        row.key,
        row.versionId,
        row.seq,
        row.deleteMarker ? 1 : 0,
        row.blob ?? null,
        row.fingerprint ?? null,
        row.size,
        row.mtimeMs,
        row.etag,
        JSON.stringify(row.attributes),
      );
  }

  delete(bucket: string, key: string, versionId: string): void {
    this.db
      .sql('DELETE FROM object_versions WHERE bucket = ? AND key = ? AND version_id = ?')
      .run(bucket, key, versionId);
  }

  /** Forgets every version of a bucket. */
  deleteBucket(bucket: string): void {
    this.db.sql('DELETE FROM object_versions WHERE bucket = ?').run(bucket);
  }
}
