/**
 * What S3 keeps per bucket besides its name, owner and canned ACL: the versioning state, the
 * ownership controls, the bucket policy, explicit ACL grants, the bucket's tags, its public access block and its
 * object lock configuration, one row per (bucket, setting) in
 * the gateway's state database. Values are text (JSON where structured).
 */
import type { StateDatabase } from '../common/state-database.js';

/** `''`: versioning was never configured (S3's "unversioned" bucket). */
export type VersioningStatus = '' | 'Enabled' | 'Suspended';

export type SettingName =
  | 'versioning'
  | 'ownership'
  | 'policy'
  | 'grants'
  | 'tagging'
  | 'publicAccessBlock'
  | 'objectLock';

export class BucketSettings {
  constructor(private readonly db: StateDatabase) {
    db.exec(`CREATE TABLE IF NOT EXISTS bucket_settings (
      bucket TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
      PRIMARY KEY (bucket, name)) WITHOUT ROWID`);
  }

  get(bucket: string, name: SettingName): string | undefined {
    return this.db
      .sql<[string, string], { value: string }>(
        'SELECT value FROM bucket_settings WHERE bucket = ? AND name = ?',
      )
      .get(bucket, name)?.value;
  }

  set(bucket: string, name: SettingName, value: string): void {
    this.db
      .sql('INSERT OR REPLACE INTO bucket_settings (bucket, name, value) VALUES (?, ?, ?)')
      .run(bucket, name, value);
  }

  delete(bucket: string, name: SettingName): void {
    this.db.sql('DELETE FROM bucket_settings WHERE bucket = ? AND name = ?').run(bucket, name);
  }

  /** Forgets every setting of a bucket. */
  deleteBucket(bucket: string): void {
    this.db.sql('DELETE FROM bucket_settings WHERE bucket = ?').run(bucket);
  }

  versioning(bucket: string): VersioningStatus {
    return (this.get(bucket, 'versioning') ?? '') as VersioningStatus;
  }
}
