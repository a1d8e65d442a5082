/**
 * The embedded metadata store: one SQLite database in WAL mode (better-sqlite3). Calls are
 * synchronous underneath and kept short, so they never hold the event loop for long; the
 * interface is asynchronous so the PostgreSQL store can implement it too.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { TierfsError } from '../errors.js';
import { MIGRATIONS } from './sqlite-schema.js';
import { SqliteTransaction } from './sqlite-transaction.js';
import type {
  JobRecord,
  MetaStore,
  MetaTransaction,
  MountRecord,
  TokenRecord,
  WorkerRecord,
} from './store.js';
import { TransactionalStore } from './transactional-store.js';
import { toWorker, type WorkerRow } from './worker-rows.js';

/** Takes group and other access from a file of the store (when it exists and has any). */
function privateFileMode(path: string): void {
  if (existsSync(path) && (statSync(path).mode & 0o077) !== 0) chmodSync(path, statSync(path).mode & 0o600);
}

/** The kv row holding the mount generation. */
const MOUNT_GENERATION = 'generation.mounts';

export interface SqliteStoreOptions {
  /**
   * Hold the database for this process alone (SQLite's EXCLUSIVE locking mode) until it closes:
   * the master's store, so that a second master on the same file fails at once with a clear error
   * instead of running beside the first. Released by the operating system if the process dies.
   */
  readonly exclusive?: boolean;
}

export class SqliteMetaStore extends TransactionalStore implements MetaStore {
  /** One master's store (see SqliteStoreOptions.exclusive). */
  readonly shared = false;
  private readonly db: Database.Database;
  /** Prepared once: preparing showed up at 7% of the master's time on small-object workloads. */
  private readonly statements = new Map<string, Database.Statement>();
  private readonly tx = new SqliteTransaction((text) => this.sql(text));
  /** The end of the last transaction queued: the next one starts after it. */
  private tail: Promise<void> = Promise.resolve();
  private readonly inTransaction = new AsyncLocalStorage<boolean>();

  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  constructor(file: string, options: SqliteStoreOptions = {}) {
    super();
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
    try {
      // An exclusive store fails at once, not after the busy timeout, when another process holds it.
      this.db.pragma(`busy_timeout = ${options.exclusive ? 0 : 5000}`);
      // A deleted row (a mount's options) is overwritten in its page, not left for a reader of the file.
      this.db.pragma('secure_delete = FAST');
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      if (options.exclusive) {
        this.db.pragma('locking_mode = EXCLUSIVE');
        // The lock is taken by the first write and then kept until the store closes.
        this.db.exec('BEGIN IMMEDIATE; COMMIT');
        this.db.pragma('busy_timeout = 5000');
      }
    } catch (error) {
      this.db.close();
      if (options.exclusive && (error as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
        throw new TierfsError(
          'UNAVAILABLE',
          `the SQLite metadata store ${file} is in use by another master: SQLite keeps tierfs to one master (stop the other one, or run several masters on tierfs.master.metastore=POSTGRESQL, see docs/cluster.md)`,
          { cause: error },
        );
      }
      throw error;
    }
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

  /**
   * Transactions take turns on the one connection: each waits for the one before it, opens with
   * BEGIN IMMEDIATE (the write lock, so two masters' processes also serialise) and ends with
   * COMMIT, or ROLLBACK when fn rejects.
   */
  async transaction<T>(fn: (tx: MetaTransaction) => Promise<T>): Promise<T> {
    if (this.inTransaction.getStore()) {
      throw new TierfsError('INTERNAL', 'a metadata transaction cannot open another one (use its tx)');
    }
    const turn = this.tail.then(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await this.inTransaction.run(true, () => fn(this.tx));
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw error;
      }
    });
    this.tail = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  /** One short synchronous piece of work in its own transaction, in turn with the others. */
  private exclusive<T>(work: () => T): Promise<T> {
    return this.transaction(async () => work());
  }

  listMounts(): Promise<MountRecord[]> {
    return this.exclusive(() => {
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
    });
  }

  private bumpMountGeneration(): void {
    this.sql(
      `INSERT INTO kv (key, value) VALUES ('${MOUNT_GENERATION}', '1')
       ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)`,
    ).run();
  }

  mountGeneration(): Promise<number> {
    return this.exclusive(() => {
      const row = this.sql('SELECT value FROM kv WHERE key = ?').get(MOUNT_GENERATION) as
        | { value: string }
        | undefined;
      return Number(row?.value ?? 0);
    });
  }

  addMount(mount: MountRecord): Promise<void> {
    return this.exclusive(() => {
      this.bumpMountGeneration();
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
    });
  }

  removeMount(path: string): Promise<boolean> {
    return this.exclusive(() => {
      const removed = this.sql('DELETE FROM mounts WHERE path = ?').run(path).changes > 0;
      if (removed) this.bumpMountGeneration();
      return removed;
    });
  }

  updateMountOptions(path: string, options: Record<string, string>): Promise<boolean> {
    return this.exclusive(() => {
      const changed =
        this.sql('UPDATE mounts SET options = ? WHERE path = ?').run(JSON.stringify(options), path).changes >
        0;
      if (changed) this.bumpMountGeneration();
      return changed;
    });
  }

  heartbeatWorker(worker: WorkerRecord, leaseMs: number): Promise<boolean> {
    return this.exclusive(() => {
      const previous = this.sql('SELECT started_ms, last_heartbeat_ms FROM workers WHERE id = ?').get(
        worker.id,
      ) as { started_ms: number; last_heartbeat_ms: number } | undefined;
      this.sql(
        `INSERT OR REPLACE INTO workers (id, address, started_ms, last_heartbeat_ms, detail)
         VALUES (?, ?, ?, ?, ?)`,
      ).run(
        worker.id,
        worker.address,
        worker.startedMs,
        worker.lastHeartbeatMs,
        JSON.stringify(worker.detail),
      );
      return (
        previous === undefined ||
        previous.started_ms !== worker.startedMs ||
        worker.lastHeartbeatMs - previous.last_heartbeat_ms > leaseMs
      );
    });
  }

  listWorkers(): Promise<WorkerRecord[]> {
    return this.exclusive(() =>
      (this.sql('SELECT * FROM workers ORDER BY id').all() as WorkerRow[]).map(toWorker),
    );
  }

  removeWorker(id: string): Promise<boolean> {
    return this.exclusive(() => this.sql('DELETE FROM workers WHERE id = ?').run(id).changes > 0);
  }

  acquireLease(name: string, owner: string, options: { nowMs: number; leaseMs: number }): Promise<boolean> {
    return this.exclusive(
      () =>
        this.sql(
          `INSERT INTO leases (name, owner, until_ms) VALUES (?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until_ms = excluded.until_ms
           WHERE leases.owner = excluded.owner OR leases.until_ms < ?`,
        ).run(name, owner, options.nowMs + options.leaseMs, options.nowMs).changes > 0,
    );
  }

  releaseLease(name: string, owner: string): Promise<void> {
    return this.exclusive(() => {
      this.sql('DELETE FROM leases WHERE name = ? AND owner = ?').run(name, owner);
    });
  }

  putJob(job: JobRecord): Promise<void> {
    return this.exclusive(() => {
      this.db
        .prepare(
          'INSERT OR REPLACE INTO jobs (id, type, state, detail, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(job.id, job.type, job.state, JSON.stringify(job.detail), job.createdMs, job.updatedMs);
    });
  }

  getJob(id: string): Promise<JobRecord | undefined> {
    return this.exclusive(() => {
      const row = this.sql('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
      return row && toJob(row);
    });
  }

  listJobs(options: { type?: string; limit?: number } = {}): Promise<JobRecord[]> {
    return this.exclusive(() => {
      const limit = options.limit ?? 100;
      const rows = (
        options.type
          ? this.db
              .prepare('SELECT * FROM jobs WHERE type = ? ORDER BY created_ms DESC LIMIT ?')
              .all(options.type, limit)
          : this.sql('SELECT * FROM jobs ORDER BY created_ms DESC LIMIT ?').all(limit)
      ) as JobRow[];
      return rows.map(toJob);
    });
  }

  putToken(token: TokenRecord): Promise<void> {
    return this.exclusive(() => {
      this.sql(
        'INSERT INTO tokens (id, hash, user, groups, created_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(
        token.id,
        token.hash,
        token.user,
        JSON.stringify(token.groups),
        token.createdMs,
        token.expiresMs ?? null,
      );
    });
  }

  getToken(id: string): Promise<TokenRecord | undefined> {
    return this.exclusive(() => {
      const row = this.sql('SELECT * FROM tokens WHERE id = ?').get(id) as TokenRow | undefined;
      return row && toToken(row);
    });
  }

  listTokens(): Promise<TokenRecord[]> {
    return this.exclusive(() => {
      return (this.sql('SELECT * FROM tokens ORDER BY created_ms, id').all() as TokenRow[]).map(toToken);
    });
  }

  removeToken(id: string): Promise<boolean> {
    return this.exclusive(() => {
      return this.sql('DELETE FROM tokens WHERE id = ?').run(id).changes > 0;
    });
  }

  getValue(key: string): Promise<string | undefined> {
    return this.exclusive(() => {
      return (this.sql('SELECT value FROM kv WHERE key = ?').get(key) as { value: string } | undefined)
        ?.value;
    });
  }

  setValue(key: string, value: string): Promise<void> {
    return this.exclusive(() => {
      this.sql('INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)').run(key, value);
    });
  }

  async close(): Promise<void> {
    await this.tail;
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
  expires_ms: number | null;
}

function toToken(row: TokenRow): TokenRecord {
  return {
    id: row.id,
    hash: row.hash,
    user: row.user,
    groups: JSON.parse(row.groups) as string[],
    createdMs: row.created_ms,
    ...(row.expires_ms === null ? {} : { expiresMs: row.expires_ms }),
  };
}
