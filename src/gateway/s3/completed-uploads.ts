/**
 * What the gateway remembers of completed multipart uploads: the ETag an upload produced (so a
 * repeated CompleteMultipartUpload answers 200 again, as S3 does) and the sizes of the parts an
 * object was made of (so GET and HEAD with `partNumber` serve one part and tell the part count).
 * Rows of an object are dropped when another upload replaces it with different content.
 */
import type { StateDatabase } from '../common/state-database.js';

export interface CompletedUpload {
  readonly uploadId: string;
  readonly bucket: string;
  readonly key: string;
  /** Without quotes: `<hex>-<parts>`. */
  readonly etag: string;
  readonly partSizes: readonly number[];
}

interface Row {
  upload_id: string;
  bucket: string;
  key: string;
  etag: string;
  part_sizes: string;
}

function fromRow(row: Row): CompletedUpload {
  return {
    uploadId: row.upload_id,
    bucket: row.bucket,
    key: row.key,
    etag: row.etag,
    partSizes: JSON.parse(row.part_sizes) as number[],
  };
}

export class CompletedUploads {
  constructor(private readonly db: StateDatabase) {
    db.exec(`CREATE TABLE IF NOT EXISTS completed_uploads (
      upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key TEXT NOT NULL, etag TEXT NOT NULL,
      part_sizes TEXT NOT NULL, completed_ms INTEGER NOT NULL)`);
    db.exec('CREATE INDEX IF NOT EXISTS completed_uploads_object ON completed_uploads (bucket, key)');
  }

  record(upload: CompletedUpload, nowMs = Date.now()): void {
    this.db.transaction(() => {
      this.db
        .sql('DELETE FROM completed_uploads WHERE bucket = ? AND key = ? AND etag <> ?')
        .run(upload.bucket, upload.key, upload.etag);
      this.db
        .sql(
          'INSERT OR REPLACE INTO completed_uploads (upload_id, bucket, key, etag, part_sizes, completed_ms) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(
          upload.uploadId,
          upload.bucket,
          upload.key,
          upload.etag,
          JSON.stringify(upload.partSizes),
          nowMs,
        );
    });
  }

  /** The upload with this id, if it completed to this bucket and key. */
  find(uploadId: string, bucket: string, key: string): CompletedUpload | undefined {
    const row = this.db
      .sql<[string], Row>('SELECT * FROM completed_uploads WHERE upload_id = ?')
      .get(uploadId);
    return row && row.bucket === bucket && row.key === key ? fromRow(row) : undefined;
  }

  /** The part sizes of the object `bucket/key` with this ETag, when an upload here made it. */
  partSizes(bucket: string, key: string, etag: string): readonly number[] | undefined {
    const row = this.db
      .sql<[string, string, string], Row>(
        'SELECT * FROM completed_uploads WHERE bucket = ? AND key = ? AND etag = ? ORDER BY completed_ms DESC LIMIT 1',
      )
      .get(bucket, key, etag);
    return row && fromRow(row).partSizes;
  }
}
