/**
 * The PostgreSQL schema of the metadata store: the SQLite schema's tables, with paths and names in
 * the "C" collation (byte order, as SQLite's BINARY: the path ranges of a subtree depend on it) and
 * times as BIGINT milliseconds. Each migration runs once, in order, under an advisory lock, so
 * masters starting together upgrade a database once.
 */
export const POSTGRES_MIGRATIONS: readonly string[] = [
  `CREATE TABLE inodes (
     path TEXT COLLATE "C" PRIMARY KEY,
     parent TEXT COLLATE "C" NOT NULL,
     name TEXT COLLATE "C" NOT NULL,
     is_dir BOOLEAN NOT NULL,
     size BIGINT NOT NULL,
     mtime_ms BIGINT NOT NULL,
     owner TEXT NOT NULL,
     grp TEXT NOT NULL,
     mode INTEGER NOT NULL,
     state TEXT NOT NULL,
     persistence TEXT NOT NULL,
     ufs_fingerprint TEXT,
     content_id TEXT NOT NULL,
     synced_at_ms BIGINT NOT NULL,
     children_loaded BOOLEAN NOT NULL
   );
   CREATE INDEX inodes_by_parent ON inodes(parent, name);
   CREATE INDEX inodes_by_content ON inodes(content_id);
   CREATE TABLE mounts (
     path TEXT COLLATE "C" PRIMARY KEY,
     ufs_uri TEXT NOT NULL,
     read_only BOOLEAN NOT NULL,
     shared BOOLEAN NOT NULL,
     options TEXT NOT NULL,
     created_ms BIGINT NOT NULL
   );
   CREATE TABLE persist_queue (
     path TEXT COLLATE "C" PRIMARY KEY,
     content_id TEXT NOT NULL,
     worker_id TEXT NOT NULL,
     state TEXT NOT NULL,
     attempts INTEGER NOT NULL,
     last_error TEXT,
     enqueued_ms BIGINT NOT NULL,
     retry_at_ms BIGINT NOT NULL DEFAULT 0,
     owner TEXT,
     lease_until_ms BIGINT,
     temporary_path TEXT
   );
   CREATE INDEX persist_queue_by_state ON persist_queue(state, enqueued_ms);
   CREATE TABLE jobs (
     id TEXT PRIMARY KEY,
     type TEXT NOT NULL,
     state TEXT NOT NULL,
     detail TEXT NOT NULL,
     created_ms BIGINT NOT NULL,
     updated_ms BIGINT NOT NULL
   );
   CREATE INDEX jobs_by_type ON jobs(type, created_ms);
   CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE pending_writes (
     path TEXT COLLATE "C" NOT NULL,
     content_id TEXT NOT NULL,
     inode TEXT NOT NULL,
     started_ms BIGINT NOT NULL,
     PRIMARY KEY (path, content_id)
   );
   CREATE TABLE tokens (
     id TEXT PRIMARY KEY,
     hash TEXT NOT NULL,
     "user" TEXT NOT NULL,
     groups TEXT NOT NULL,
     created_ms BIGINT NOT NULL
   );
   CREATE TABLE temporaries (
     mount_path TEXT COLLATE "C" NOT NULL,
     ufs_path TEXT COLLATE "C" NOT NULL,
     created_ms BIGINT NOT NULL,
     PRIMARY KEY (mount_path, ufs_path)
   );
   CREATE INDEX temporaries_by_age ON temporaries(created_ms);`,
  // 2: what the masters share: worker membership (heartbeats), leases on background work.
  `CREATE TABLE workers (
     id TEXT PRIMARY KEY,
     address TEXT NOT NULL,
     started_ms BIGINT NOT NULL,
     last_heartbeat_ms BIGINT NOT NULL,
     detail TEXT NOT NULL
   );
   CREATE TABLE leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, until_ms BIGINT NOT NULL);`,
  // 3: user tokens expire (NULL for tokens made before: they never do).
  'ALTER TABLE tokens ADD COLUMN expires_ms BIGINT;',
];
