/**
 * What S3 keeps about buckets and objects that a plain store cannot (creation time, content
 * headers, user metadata, tags, ACLs, the MD5 ETag), in the gateway's state database
 * (`metadata.db`), which also holds the staged multipart uploads. Object data never goes here.
 * Object rows are the shared ObjectRecordStore's, with S3's own fields in its per-protocol part; a
 * row is trusted only while the store's fingerprint of the object still matches the one recorded
 * when the gateway wrote it.
 */

import { type ObjectRecord as CommonRecord, ObjectRecordStore } from '../common/object-records.js';
import { StateDatabase } from '../common/state-database.js';
import type { Grant } from './acl.js';
import { BucketSettings } from './bucket-settings.js';
import type { CorsRule } from './cors.js';
import type { StoredChecksum } from './object-checksums.js';
import type { SseRecord } from './sse-c.js';
import { VersionStore } from './version-store.js';

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
  /** Object Lock retention of this version (see object-lock.ts); the date is ISO 8601. */
  readonly lockMode?: 'GOVERNANCE' | 'COMPLIANCE';
  readonly lockRetainUntil?: string;
  /** Object Lock legal hold of this version. */
  readonly legalHold?: 'ON' | 'OFF';
  /** SSE-C: how the stored bytes are encrypted (never the key; see sse-c.ts). */
  readonly sse?: SseRecord;
  /** The x-amz-checksum-* it was written with (of the plaintext), see object-checksums.ts. */
  readonly checksum?: StoredChecksum;
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
  readonly grants?: readonly Grant[];
  readonly owner: string;
  /** The S3 version id of this content; undefined is the `null` version. */
  readonly versionId?: string;
  /** Orders this version among the key's others (see version-store.ts). */
  readonly seq?: number;
}

export interface BucketRecord {
  readonly name: string;
  readonly createdMs: number;
  readonly acl: CannedAcl;
  readonly owner: string;
}

/** What S3 keeps of an object beyond the fields every protocol has. */
interface S3Extra {
  readonly headers: Omit<ObjectHeaders, 'contentType' | 'userMetadata'>;
  readonly tags: readonly Tag[];
  readonly acl: CannedAcl;
  readonly grants?: readonly Grant[];
  readonly owner: string;
  readonly versionId?: string;
  readonly seq?: number;
}

interface BucketRow {
  name: string;
  created_ms: number;
  acl: string;
  owner: string;
}

export class MetadataStore {
  /** The state database, shared with the multipart staging. */
  readonly db: StateDatabase;
  private readonly objects: ObjectRecordStore<S3Extra>;
  readonly settings: BucketSettings;
  /** Noncurrent versions and delete markers of versioned buckets. */
  readonly versions: VersionStore;

  /** Opens (creating) `metadata.db` in `dir`; `':memory:'` keeps it in memory. */
  constructor(dir: string) {
    this.db = new StateDatabase(dir, 'metadata.db');
    this.db.exec(`CREATE TABLE IF NOT EXISTS buckets (
      name TEXT PRIMARY KEY, created_ms INTEGER NOT NULL, acl TEXT NOT NULL, owner TEXT NOT NULL)`);
    this.db.exec('CREATE TABLE IF NOT EXISTS bucket_cors (bucket TEXT PRIMARY KEY, rules TEXT NOT NULL)');
    this.objects = new ObjectRecordStore(this.db);
    this.settings = new BucketSettings(this.db);
    this.versions = new VersionStore(this.db);
  }

  close(): void {
    this.db.close();
  }

  // --- buckets -----------------------------------------------------------------------------------

  getBucket(name: string): BucketRecord | undefined {
    const row = this.db.sql<[string], BucketRow>('SELECT * FROM buckets WHERE name = ?').get(name);
    return row && { name: row.name, createdMs: row.created_ms, acl: row.acl as CannedAcl, owner: row.owner };
  }

  putBucket(bucket: BucketRecord): void {
    this.db
      .sql('INSERT OR REPLACE INTO buckets (name, created_ms, acl, owner) VALUES (?, ?, ?, ?)')
      .run(bucket.name, bucket.createdMs, bucket.acl, bucket.owner);
  }

  /** Forgets a bucket, its settings and every object and version row in it. */
  deleteBucket(name: string): void {
    this.db.transaction(() => {
      this.objects.deleteBucket(name);
      this.versions.deleteBucket(name);
      this.settings.deleteBucket(name);
      this.db.sql('DELETE FROM buckets WHERE name = ?').run(name);
      this.db.sql('DELETE FROM bucket_cors WHERE bucket = ?').run(name);
    });
  }

  /** The bucket's CORS rules, or undefined when it has no configuration. */
  getCors(bucket: string): CorsRule[] | undefined {
    const row = this.db
      .sql<[string], { rules: string }>('SELECT rules FROM bucket_cors WHERE bucket = ?')
      .get(bucket);
    return row && (JSON.parse(row.rules) as CorsRule[]);
  }

  putCors(bucket: string, rules: readonly CorsRule[]): void {
    this.db
      .sql('INSERT OR REPLACE INTO bucket_cors (bucket, rules) VALUES (?, ?)')
      .run(bucket, JSON.stringify(rules));
  }

  deleteCors(bucket: string): void {
    this.db.sql('DELETE FROM bucket_cors WHERE bucket = ?').run(bucket);
  }

  // --- objects -----------------------------------------------------------------------------------

  getObject(bucket: string, key: string): ObjectRecord | undefined {
    const record = this.objects.find(bucket, key);
    if (!record) return undefined;
    const { headers, tags, acl, grants, owner, versionId, seq } = record.extra;
    return {
      bucket,
      key,
      fingerprint: record.fingerprint,
      etag: record.etag,
      headers: { ...headers, contentType: record.contentType, userMetadata: record.userMetadata },
      tags,
      acl,
      grants,
      owner,
      versionId,
      seq,
    };
  }

  putObject(record: ObjectRecord): void {
    const { contentType, userMetadata, ...headers } = record.headers;
    const common: CommonRecord<S3Extra> = {
      bucket: record.bucket,
      key: record.key,
      fingerprint: record.fingerprint,
      etag: record.etag,
      contentType,
      userMetadata,
      extra: {
        headers,
        tags: record.tags,
        acl: record.acl,
        grants: record.grants,
        owner: record.owner,
        versionId: record.versionId,
        seq: record.seq,
      },
    };
    this.objects.put(common);
  }

  deleteObject(bucket: string, key: string): void {
    this.objects.delete(bucket, key);
  }
}
