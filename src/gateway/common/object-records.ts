/**
 * What an object store keeps beside the bytes and a file system does not, for every gateway
 * dialect: the entity tag, the content type, user metadata, and whatever else the protocol needs
 * (S3's other content headers, tags and ACL; OSS's object type; Kodo's size and put time) in a
 * typed per-protocol part stored as JSON. One row per (bucket, key) in the gateway's state
 * database; a write replaces the whole row atomically.
 *
 * A record describes the file it was written for: it carries that file's fingerprint, and a caller
 * that finds the file with another fingerprint (rewritten by someone else) treats the record as
 * stale. A directory marker's record is its own whatever its directory's fingerprint, which
 * changes with what is put below it: callers read those with `find`.
 */
import type { StateDatabase } from './state-database.js';

export interface ObjectRecord<Extra> {
  readonly bucket: string;
  readonly key: string;
  /** UfsStatus.fingerprint of the file (or marker directory) when the record was written. */
  readonly fingerprint: string;
  /** The protocol's entity tag, without quotes. */
  readonly etag: string;
  readonly contentType: string | undefined;
  /** User metadata, names without the protocol prefix (`x-amz-meta-`, `x-oss-meta-`, `x-qn-meta-`). */
  readonly userMetadata: Readonly<Record<string, string>>;
  /** What only this protocol keeps; must survive a JSON round trip. */
  readonly extra: Extra;
}

interface Row {
  fingerprint: string;
  etag: string;
  content_type: string | null;
  user_metadata: string;
  extra: string;
}

export class ObjectRecordStore<Extra> {
  constructor(private readonly db: StateDatabase) {
    db.exec(`CREATE TABLE IF NOT EXISTS object_records (
      bucket TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, etag TEXT NOT NULL,
      content_type TEXT, user_metadata TEXT NOT NULL, extra TEXT NOT NULL,
      PRIMARY KEY (bucket, key)) WITHOUT ROWID`);
  }

  /** The record of the object whatever its fingerprint, or undefined when there is none. */
  find(bucket: string, key: string): ObjectRecord<Extra> | undefined {
    const row = this.db
      .sql<[string, string], Row>(
        'SELECT fingerprint, etag, content_type, user_metadata, extra FROM object_records WHERE bucket = ? AND key = ?',
      )
      .get(bucket, key);
    if (!row) return undefined;
    return {
      bucket,
      key,
      fingerprint: row.fingerprint,
      etag: row.etag,
      contentType: row.content_type ?? undefined,
      userMetadata: JSON.parse(row.user_metadata) as Record<string, string>,
      extra: JSON.parse(row.extra) as Extra,
    };
  }

  /** The record of the object while it still describes the file with this fingerprint. */
  get(bucket: string, key: string, fingerprint: string): ObjectRecord<Extra> | undefined {
    const record = this.find(bucket, key);
    return record?.fingerprint === fingerprint ? record : undefined;
  }

  put(record: ObjectRecord<Extra>): void {
    this.db
      .sql(
        `INSERT OR REPLACE INTO object_records (bucket, key, fingerprint, etag, content_type, user_metadata, extra)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        record.bucket,
        record.key,
        record.fingerprint,
        record.etag,
        record.contentType ?? null,
        JSON.stringify(record.userMetadata),
        JSON.stringify(record.extra),
      );
  }

  delete(bucket: string, key: string): void {
    this.db.sql('DELETE FROM object_records WHERE bucket = ? AND key = ?').run(bucket, key);
  }

  /** Forgets every record of a bucket. */
  deleteBucket(bucket: string): void {
    this.db.sql('DELETE FROM object_records WHERE bucket = ?').run(bucket);
  }
}

/**
 * The `moved` hook of a key layout (key-layout.ts) for any dialect's records: a store may give
 * moved bytes a new fingerprint, and the record follows them. An object written by others has no
 * record: it gets `blank` (a record that matches no bytes), so that listings look inside its
 * directory.
 */
export function recordFollowsMove<R extends { readonly fingerprint: string }>(records: {
  find(bucket: string, key: string): R | undefined;
  put(record: R): void;
  blank(bucket: string, key: string): R;
}): (bucket: string, key: string, before: { fingerprint: string }, after: { fingerprint: string }) => void {
  return (bucket, key, before, after) => {
    const record = records.find(bucket, key) ?? records.blank(bucket, key);
    const fingerprint = record.fingerprint === before.fingerprint ? after.fingerprint : record.fingerprint;
    records.put({ ...record, fingerprint });
  };
}

/**
 * A record store as the object model's records (object-model.ts): what it finds and keeps, and
 * for an object written by others a blank record (matching no bytes) with `extra` as its part.
 */
export function modelRecords<Extra>(
  store: ObjectRecordStore<Extra>,
  blankExtra: Extra,
): {
  find(bucket: string, key: string): ObjectRecord<Extra> | undefined;
  put(record: ObjectRecord<Extra>): void;
  blank(bucket: string, key: string): ObjectRecord<Extra>;
} {
  return {
    find: (bucket, key) => store.find(bucket, key),
    put: (record) => store.put(record),
    blank: (bucket, key) => ({
      bucket,
      key,
      fingerprint: '',
      etag: '',
      contentType: undefined,
      userMetadata: {},
      extra: blankExtra,
    }),
  };
}
