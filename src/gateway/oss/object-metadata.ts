/**
 * What an object store keeps beside the bytes and a file system does not: content type, user
 * metadata, the MD5 ETag and the object type. A record is valid only while the file it describes
 * is unchanged (same fingerprint), so objects rewritten by others are served as plain files.
 * Protocol-neutral: shared by every gateway dialect.
 */
import type { StateDatabase } from './state-database.js';

export interface ObjectMetadata {
  readonly bucket: string;
  readonly key: string;
  /** UfsStatus.fingerprint of the file when the record was written. */
  readonly fingerprint: string;
  /** Entity tag without quotes. */
  readonly etag: string;
  readonly contentType: string | undefined;
  /** User metadata, names lower-cased without the protocol prefix. */
  readonly userMeta: Readonly<Record<string, string>>;
  readonly objectType: 'Normal' | 'Multipart';
  /** base64 MD5 of the content, when known. */
  readonly contentMd5: string | undefined;
}

interface Row {
  fingerprint: string;
  etag: string;
  content_type: string | null;
  user_meta: string;
  object_type: string;
  content_md5: string | null;
}

export class ObjectMetadataStore {
  private readonly getStmt;
  private readonly putStmt;
  private readonly deleteStmt;

  constructor(db: StateDatabase) {
    db.exec(`CREATE TABLE IF NOT EXISTS object_metadata (
      bucket TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, etag TEXT NOT NULL,
      content_type TEXT, user_meta TEXT NOT NULL, object_type TEXT NOT NULL, content_md5 TEXT,
      PRIMARY KEY (bucket, key))`);
    this.getStmt = db.prepare<[string, string], Row>(
      'SELECT fingerprint, etag, content_type, user_meta, object_type, content_md5 FROM object_metadata WHERE bucket = ? AND key = ?',
    );
    this.putStmt = db.prepare(
      'INSERT OR REPLACE INTO object_metadata VALUES (@bucket, @key, @fingerprint, @etag, @contentType, @userMeta, @objectType, @contentMd5)',
    );
    this.deleteStmt = db.prepare('DELETE FROM object_metadata WHERE bucket = ? AND key = ?');
  }

  /** The record for the object, or undefined when there is none or the file changed since. */
  get(bucket: string, key: string, fingerprint: string): ObjectMetadata | undefined {
    const record = this.find(bucket, key);
    return record?.fingerprint === fingerprint ? record : undefined;
  }

  /**
   * The record for the object whatever its fingerprint: for directory markers, whose directory
   * changes (and with it its fingerprint) whenever something is added below it.
   */
  find(bucket: string, key: string): ObjectMetadata | undefined {
    const row = this.getStmt.get(bucket, key);
    if (!row) return undefined;
    return {
      bucket,
      key,
      fingerprint: row.fingerprint,
      etag: row.etag,
      contentType: row.content_type ?? undefined,
      userMeta: JSON.parse(row.user_meta) as Record<string, string>,
      objectType: row.object_type === 'Multipart' ? 'Multipart' : 'Normal',
      contentMd5: row.content_md5 ?? undefined,
    };
  }

  put(record: ObjectMetadata): void {
    this.putStmt.run({
      bucket: record.bucket,
      key: record.key,
      fingerprint: record.fingerprint,
      etag: record.etag,
      contentType: record.contentType ?? null,
      userMeta: JSON.stringify(record.userMeta),
      objectType: record.objectType,
      contentMd5: record.contentMd5 ?? null,
    });
  }

  delete(bucket: string, key: string): void {
    this.deleteStmt.run(bucket, key);
  }
}
