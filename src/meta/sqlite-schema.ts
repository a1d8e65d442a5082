/** The SQLite schema of the metadata store (its migrations) and the rows it reads back. */
import type { Inode, PersistTask, PersistTaskState } from './store.js';

/** Each entry upgrades the schema by one version; never edit a released entry, append a new one. */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE inodes (
     path TEXT PRIMARY KEY,
     parent TEXT NOT NULL,
     name TEXT NOT NULL,
     is_dir INTEGER NOT NULL,
     size INTEGER NOT NULL,
     mtime_ms INTEGER NOT NULL,
     owner TEXT NOT NULL,
     grp TEXT NOT NULL,
     mode INTEGER NOT NULL,
     state TEXT NOT NULL,
     persistence TEXT NOT NULL,
     ufs_fingerprint TEXT,
     content_id TEXT NOT NULL,
     synced_at_ms INTEGER NOT NULL,
     children_loaded INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE INDEX inodes_by_parent ON inodes(parent, name);
   CREATE TABLE mounts (
     path TEXT PRIMARY KEY,
     ufs_uri TEXT NOT NULL,
     read_only INTEGER NOT NULL,
     shared INTEGER NOT NULL,
     options TEXT NOT NULL,
     created_ms INTEGER NOT NULL
   );
   CREATE TABLE persist_queue (
     path TEXT PRIMARY KEY,
     content_id TEXT NOT NULL,
     worker_id TEXT NOT NULL,
     state TEXT NOT NULL,
     attempts INTEGER NOT NULL,
     last_error TEXT,
     enqueued_ms INTEGER NOT NULL
   );
   CREATE TABLE jobs (
     id TEXT PRIMARY KEY,
     type TEXT NOT NULL,
     state TEXT NOT NULL,
     detail TEXT NOT NULL,
     created_ms INTEGER NOT NULL,
     updated_ms INTEGER NOT NULL
   );
   CREATE INDEX jobs_by_type ON jobs(type, created_ms);
   CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  // 2: overwrites in progress, kept apart so the file they replace stays readable until they complete.
  `CREATE TABLE pending_writes (
     path TEXT NOT NULL,
     content_id TEXT NOT NULL,
     inode TEXT NOT NULL,
     PRIMARY KEY (path, content_id)
   );`,
  // 3: user tokens (TOKEN authentication), by public id; only the SHA-256 of a token is kept.
  `CREATE TABLE tokens (
     id TEXT PRIMARY KEY,
     hash TEXT NOT NULL,
     user TEXT NOT NULL,
     groups TEXT NOT NULL,
     created_ms INTEGER NOT NULL
   );`,
  // 4: persist tasks claimed with leases (who runs an attempt, until when, what it writes, when to
  // retry), and the temporary objects attempts write, so that none is left behind.
  `ALTER TABLE persist_queue ADD COLUMN owner TEXT;
   ALTER TABLE persist_queue ADD COLUMN lease_until_ms INTEGER;
   ALTER TABLE persist_queue ADD COLUMN retry_at_ms INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE persist_queue ADD COLUMN temporary_path TEXT;
   CREATE INDEX persist_queue_by_state ON persist_queue(state, enqueued_ms);
   CREATE INDEX inodes_by_content ON inodes(content_id);
   CREATE TABLE temporaries (
     mount_path TEXT NOT NULL,
     ufs_path TEXT NOT NULL,
     created_ms INTEGER NOT NULL,
     PRIMARY KEY (mount_path, ufs_path)
   );
   CREATE INDEX temporaries_by_age ON temporaries(created_ms);`,
  // 5: what several masters share: worker membership (heartbeats), leases on background work.
  `CREATE TABLE workers (
     id TEXT PRIMARY KEY,
     address TEXT NOT NULL,
     started_ms INTEGER NOT NULL,
     last_heartbeat_ms INTEGER NOT NULL,
     detail TEXT NOT NULL
   );
   CREATE TABLE leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, until_ms INTEGER NOT NULL);`,
  // 6: user tokens expire (NULL for tokens made before: they never do).
  'ALTER TABLE tokens ADD COLUMN expires_ms INTEGER;',
];

export interface InodeRow {
  path: string;
  is_dir: number;
  size: number;
  mtime_ms: number;
  owner: string;
  grp: string;
  mode: number;
  state: Inode['state'];
  persistence: Inode['persistence'];
  ufs_fingerprint: string | null;
  content_id: string;
  synced_at_ms: number;
  children_loaded: number;
}

export function toInode(row: InodeRow): Inode {
  return {
    path: row.path,
    isDirectory: row.is_dir === 1,
    size: row.size,
    mtimeMs: row.mtime_ms,
    owner: row.owner,
    group: row.grp,
    mode: row.mode,
    state: row.state,
    persistence: row.persistence,
    ...(row.ufs_fingerprint === null ? {} : { ufsFingerprint: row.ufs_fingerprint }),
    contentId: row.content_id,
    syncedAtMs: row.synced_at_ms,
    childrenLoaded: row.children_loaded === 1,
  };
}

/**
 * An inode's row as better-sqlite3's raw mode gives it: its values in the order of
 * INODE_ROW_COLUMNS. A page of children is read this way: building each row as an object with its
 * column names cost better-sqlite3 about as much again as the values (a page is a thousand rows).
 */
export type RawInodeRow = readonly [
  path: string,
  isDir: number,
  size: number,
  mtimeMs: number,
  owner: string,
  group: string,
  mode: number,
  state: Inode['state'],
  persistence: Inode['persistence'],
  ufsFingerprint: string | null,
  contentId: string,
  syncedAtMs: number,
  childrenLoaded: number,
];

/** The same Inode as toInode makes of the row's object (no ufsFingerprint key when it is null). */
export function rawToInode(row: RawInodeRow): Inode {
  const inode: { -readonly [K in keyof Inode]: Inode[K] } = {
    path: row[0],
    isDirectory: row[1] === 1,
    size: row[2],
    mtimeMs: row[3],
    owner: row[4],
    group: row[5],
    mode: row[6],
    state: row[7],
    persistence: row[8],
    contentId: row[10],
    syncedAtMs: row[11],
    childrenLoaded: row[12] === 1,
  };
  if (row[9] !== null) inode.ufsFingerprint = row[9];
  return inode;
}

export interface PersistRow {
  path: string;
  content_id: string;
  worker_id: string;
  state: PersistTaskState;
  attempts: number;
  last_error: string | null;
  enqueued_ms: number;
  retry_at_ms: number;
  owner: string | null;
  lease_until_ms: number | null;
  temporary_path: string | null;
}

export function toPersistTask(r: PersistRow): PersistTask {
  return {
    path: r.path,
    contentId: r.content_id,
    workerId: r.worker_id,
    state: r.state,
    attempts: r.attempts,
    ...(r.last_error === null ? {} : { lastError: r.last_error }),
    enqueuedMs: r.enqueued_ms,
    retryAtMs: r.retry_at_ms,
    ...(r.owner === null ? {} : { owner: r.owner }),
    ...(r.lease_until_ms === null ? {} : { leaseUntilMs: r.lease_until_ms }),
    ...(r.temporary_path === null ? {} : { temporaryPath: r.temporary_path }),
  };
}
