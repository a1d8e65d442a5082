/**
 * The embedded metadata store: one SQLite database in WAL mode (better-sqlite3). Calls are
 * synchronous underneath and kept short, so they never hold the event loop for long; the
 * interface is asynchronous so the PostgreSQL store can implement it too.
 */
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { TierfsError } from '../errors.js';
import {
  type ChildPage,
  type Inode,
  type JobRecord,
  type MetaStore,
  type MountRecord,
  nameOf,
  type PersistTask,
  type PersistTaskState,
  parentOf,
  type TokenRecord,
} from './store.js';

/** Each entry upgrades the schema by one version; never edit a released entry, append a new one. */
const MIGRATIONS: readonly string[] = [
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
];

interface InodeRow {
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

function toInode(row: InodeRow): Inode {
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

/** Takes group and other access from a file of the store (when it exists and has any). */
function privateFileMode(path: string): void {
  if (existsSync(path) && (statSync(path).mode & 0o077) !== 0) chmodSync(path, statSync(path).mode & 0o600);
}

/** Bounds of the paths strictly below `path`: (`path/`, `path0`) in binary order ('0' follows '/'). */
function descendantRange(path: string): [string, string] {
  return path === '/' ? ['/', '0'] : [`${path}/`, `${path}0`];
}

export class SqliteMetaStore implements MetaStore {
  private readonly db: Database.Database;
  /** Prepared once: preparing showed up at 7% of the master's time on small-object workloads. */
  private readonly statements = new Map<string, Database.Statement>();

  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  constructor(file: string) {
    const onDisk = file !== ':memory:' && file !== '';
    if (onDisk) {
      // Only the user running tierfs may read the metadata (mount options, paths): a directory
      // made here is 0700, the database 0600 before SQLite makes its -wal and -shm, which it
      // creates with the database's mode.
      if (mkdirSync(dirname(file), { recursive: true, mode: 0o700 }) !== undefined) {
        chmodSync(dirname(file), 0o700);
      }
      for (const path of [file, `${file}-wal`, `${file}-shm`]) privateFileMode(path);
    }
    try {
      this.db = new Database(file);
      if (onDisk) privateFileMode(file);
    } catch (error) {
      throw new TierfsError(
        'UNAVAILABLE',
        `cannot open the metadata store ${file}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    // A deleted row (a mount's options) is overwritten in its page, not left for a reader of the file.
    this.db.pragma('secure_delete = FAST');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
  }

  /** The schema version this database is at. */
  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  private migrate(): void {
    const current = this.schemaVersion;
    if (current > MIGRATIONS.length) {
      throw new TierfsError(
        'CONFIG_INVALID',
        `the metadata store has schema version ${current}, newer than this tierfs understands (${MIGRATIONS.length}); upgrade tierfs or run \`tierfs format\``,
      );
    }
    for (let version = current; version < MIGRATIONS.length; version++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[version]!);
        this.db.pragma(`user_version = ${version + 1}`);
      })();
    }
  }

  async getInode(path: string): Promise<Inode | undefined> {
    const row = this.sql('SELECT * FROM inodes WHERE path = ?').get(path) as InodeRow | undefined;
    return row && toInode(row);
  }

  async putInodes(inodes: readonly Inode[]): Promise<void> {
    const insert = this.sql(
      `INSERT OR REPLACE INTO inodes (path, parent, name, is_dir, size, mtime_ms, owner, grp, mode, state,
         persistence, ufs_fingerprint, content_id, synced_at_ms, children_loaded)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      for (const i of inodes) {
        insert.run(
          i.path,
          parentOf(i.path),
          nameOf(i.path),
          i.isDirectory ? 1 : 0,
          i.size,
          Math.trunc(i.mtimeMs),
          i.owner,
          i.group,
          i.mode,
          i.state,
          i.persistence,
          i.ufsFingerprint ?? null,
          i.contentId,
          Math.trunc(i.syncedAtMs),
          i.childrenLoaded ? 1 : 0,
        );
      }
    })();
  }

  async listChildren(path: string, options: { after?: string; limit: number }): Promise<ChildPage> {
    const rows = this.db
      .prepare('SELECT * FROM inodes WHERE parent = ? AND name > ? ORDER BY name LIMIT ?')
      .all(path, options.after ?? '', options.limit + 1) as InodeRow[];
    const more = rows.length > options.limit;
    const inodes = rows.slice(0, options.limit).map(toInode);
    return more ? { inodes, after: nameOf(inodes.at(-1)!.path) } : { inodes };
  }

  async countChildren(path: string): Promise<number> {
    return (this.sql('SELECT count(*) AS n FROM inodes WHERE parent = ?').get(path) as { n: number }).n;
  }

  async deleteTree(path: string): Promise<number> {
    const [low, high] = descendantRange(path);
    return this.db
      .prepare('DELETE FROM inodes WHERE path = ? OR (path > ? AND path < ?)')
      .run(path, low, high).changes;
  }

  async renameTree(source: string, destination: string): Promise<void> {
    const [low, high] = descendantRange(source);
    const cut = source.length + 1;
    this.db.transaction(() => {
      this.db
        .prepare('UPDATE inodes SET path = ?, parent = ?, name = ? WHERE path = ?')
        .run(destination, parentOf(destination), nameOf(destination), source);
      this.db
        .prepare(
          'UPDATE inodes SET path = ? || substr(path, ?), parent = ? || substr(parent, ?) WHERE path > ? AND path < ?',
        )
        .run(destination, cut, destination, cut, low, high);
      this.db
        .prepare(
          'UPDATE persist_queue SET path = ? || substr(path, ?) WHERE path = ? OR (path > ? AND path < ?)',
        )
        .run(destination, cut, source, low, high);
    })();
  }

  async listDescendants(path: string, options: { after?: string; limit: number }): Promise<readonly Inode[]> {
    const [low, high] = descendantRange(path);
    const rows = this.db
      .prepare('SELECT * FROM inodes WHERE path > ? AND path > ? AND path < ? ORDER BY path LIMIT ?')
      .all(low, options.after ?? '', high, options.limit) as InodeRow[];
    return rows.map(toInode);
  }

  async putPendingWrite(inode: Inode): Promise<void> {
    this.db
      .prepare('INSERT OR REPLACE INTO pending_writes (path, content_id, inode) VALUES (?, ?, ?)')
      .run(inode.path, inode.contentId, JSON.stringify(inode));
  }

  async takePendingWrite(path: string, contentId: string): Promise<Inode | undefined> {
    return this.db.transaction(() => {
      const row = this.db
        .prepare('SELECT inode FROM pending_writes WHERE path = ? AND content_id = ?')
        .get(path, contentId) as { inode: string } | undefined;
      this.sql('DELETE FROM pending_writes WHERE path = ? AND content_id = ?').run(path, contentId);
      return row && (JSON.parse(row.inode) as Inode);
    })();
  }

  async listMounts(): Promise<MountRecord[]> {
    const rows = this.sql('SELECT * FROM mounts ORDER BY path').all() as {
      path: string;
      ufs_uri: string;
      read_only: number;
      shared: number;
      options: string;
      created_ms: number;
    }[];
    return rows.map((r) => ({
      path: r.path,
      ufsUri: r.ufs_uri,
      readOnly: r.read_only === 1,
      shared: r.shared === 1,
      options: JSON.parse(r.options) as Record<string, string>,
      createdMs: r.created_ms,
    }));
  }

  async addMount(mount: MountRecord): Promise<void> {
    try {
      this.db
        .prepare(
          'INSERT INTO mounts (path, ufs_uri, read_only, shared, options, created_ms) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(
          mount.path,
          mount.ufsUri,
          mount.readOnly ? 1 : 0,
          mount.shared ? 1 : 0,
          JSON.stringify(mount.options),
          mount.createdMs,
        );
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new TierfsError('ALREADY_EXISTS', `${mount.path} is already a mount point`, { cause: error });
      }
      throw error;
    }
  }

  async removeMount(path: string): Promise<boolean> {
    return this.sql('DELETE FROM mounts WHERE path = ?').run(path).changes > 0;
  }

  async enqueuePersist(task: Omit<PersistTask, 'state' | 'attempts'>): Promise<void> {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO persist_queue (path, content_id, worker_id, state, attempts, last_error, enqueued_ms)
         VALUES (?, ?, ?, 'PENDING', 0, NULL, ?)`,
      )
      .run(task.path, task.contentId, task.workerId, task.enqueuedMs);
  }

  async listPersistTasks(state?: PersistTaskState): Promise<PersistTask[]> {
    const rows = (
      state
        ? this.sql('SELECT * FROM persist_queue WHERE state = ? ORDER BY enqueued_ms').all(state)
        : this.sql('SELECT * FROM persist_queue ORDER BY enqueued_ms').all()
    ) as {
      path: string;
      content_id: string;
      worker_id: string;
      state: PersistTaskState;
      attempts: number;
      last_error: string | null;
      enqueued_ms: number;
    }[];
    return rows.map((r) => ({
      path: r.path,
      contentId: r.content_id,
      workerId: r.worker_id,
      state: r.state,
      attempts: r.attempts,
      ...(r.last_error === null ? {} : { lastError: r.last_error }),
      enqueuedMs: r.enqueued_ms,
    }));
  }

  async updatePersistTask(
    path: string,
    change: { state: PersistTaskState; lastError?: string },
  ): Promise<void> {
    this.db
      .prepare(
        `UPDATE persist_queue SET state = ?, last_error = ?,
           attempts = attempts + (CASE WHEN ? = 'RUNNING' THEN 1 ELSE 0 END) WHERE path = ?`,
      )
      .run(change.state, change.lastError ?? null, change.state, path);
  }

  async removePersistTask(path: string): Promise<void> {
    this.sql('DELETE FROM persist_queue WHERE path = ?').run(path);
  }

  async putJob(job: JobRecord): Promise<void> {
    this.db
      .prepare(
        'INSERT OR REPLACE INTO jobs (id, type, state, detail, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(job.id, job.type, job.state, JSON.stringify(job.detail), job.createdMs, job.updatedMs);
  }

  async getJob(id: string): Promise<JobRecord | undefined> {
    const row = this.sql('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row && toJob(row);
  }

  async listJobs(options: { type?: string; limit?: number } = {}): Promise<JobRecord[]> {
    const limit = options.limit ?? 100;
    const rows = (
      options.type
        ? this.db
            .prepare('SELECT * FROM jobs WHERE type = ? ORDER BY created_ms DESC LIMIT ?')
            .all(options.type, limit)
        : this.sql('SELECT * FROM jobs ORDER BY created_ms DESC LIMIT ?').all(limit)
    ) as JobRow[];
    return rows.map(toJob);
  }

  async putToken(token: TokenRecord): Promise<void> {
    this.sql('INSERT INTO tokens (id, hash, user, groups, created_ms) VALUES (?, ?, ?, ?, ?)').run(
      token.id,
      token.hash,
      token.user,
      JSON.stringify(token.groups),
      token.createdMs,
    );
  }

  async getToken(id: string): Promise<TokenRecord | undefined> {
    const row = this.sql('SELECT * FROM tokens WHERE id = ?').get(id) as TokenRow | undefined;
    return row && toToken(row);
  }

  async listTokens(): Promise<TokenRecord[]> {
    return (this.sql('SELECT * FROM tokens ORDER BY created_ms, id').all() as TokenRow[]).map(toToken);
  }

  async removeToken(id: string): Promise<boolean> {
    return this.sql('DELETE FROM tokens WHERE id = ?').run(id).changes > 0;
  }

  async getValue(key: string): Promise<string | undefined> {
    return (this.sql('SELECT value FROM kv WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  async setValue(key: string, value: string): Promise<void> {
    this.sql('INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)').run(key, value);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

interface JobRow {
  id: string;
  type: string;
  state: JobRecord['state'];
  detail: string;
  created_ms: number;
  updated_ms: number;
}

function toJob(row: JobRow): JobRecord {
  return {
    id: row.id,
    type: row.type,
    state: row.state,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
    createdMs: row.created_ms,
    updatedMs: row.updated_ms,
  };
}

interface TokenRow {
  id: string;
  hash: string;
  user: string;
  groups: string;
  created_ms: number;
}

function toToken(row: TokenRow): TokenRecord {
  return {
    id: row.id,
    hash: row.hash,
    user: row.user,
    groups: JSON.parse(row.groups) as string[],
    createdMs: row.created_ms,
  };
}
