/**
 * The metadata store on PostgreSQL, for clusters of several masters: one database, a pool of
 * connections (`pg`), every transaction SERIALIZABLE and run again when the database reports a
 * serialization failure or a deadlock (so fn must only call its tx: see MetaStore.transaction).
 * Paths compare in byte order (COLLATE "C"); persist claims use FOR UPDATE SKIP LOCKED.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { TierfsError } from '../errors.js';
import { POSTGRES_MIGRATIONS } from './postgres-schema.js';
import { PostgresTransaction, type Query } from './postgres-transaction.js';
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

/** The kv row holding the mount generation. */
const MOUNT_GENERATION = 'generation.mounts';
/** Moves the mount generation on (inside the statement that changes the mounts). */
const BUMP_MOUNT_GENERATION = `INSERT INTO kv (key, value) VALUES ('${MOUNT_GENERATION}', '1')
  ON CONFLICT (key) DO UPDATE SET value = (kv.value::bigint + 1)::text`;

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database (a secret: never logged). */
  readonly url: string;
  /** Connections in the pool. */
  readonly poolSize: number;
  /**
   * How long a session may sit inside a transaction without sending a statement before the server
   * ends it (PostgreSQL's idle_in_transaction_session_timeout); default IDLE_IN_TRANSACTION_MS.
   */
  readonly idleInTransactionTimeoutMs?: number;
}

/**
 * A master that hangs (SIGSTOP, swapping, a stuck event loop) in the middle of a transaction keeps
 * its row locks, and every other master's transaction on those rows waits behind it. Namespace
 * transactions never wait on anything but their own statements (no under-store call inside one),
 * so a session idle inside a transaction this long belongs to a master that stopped: the server
 * ends it, its locks go, and the cluster goes on (the hung master's transaction fails).
 */
export const IDLE_IN_TRANSACTION_MS = 5_000;

/** SQLSTATEs after which a transaction is run again: serialization_failure, deadlock_detected. */
const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 40;
/** The longest pause between two attempts; the pauses double up to it (with full jitter). */
const MAX_BACKOFF_MS = 250;
/** Arbitrary constant naming the advisory lock taken while migrating. */
const MIGRATION_LOCK = 7_311_004;

/** BIGINT (milliseconds, sizes) as a number: they stay far below 2^53. */
const TYPES = {
  getTypeParser: (oid: number, format?: string) =>
    oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text'),
};

export class PostgresMetaStore extends TransactionalStore implements MetaStore {
  /** Every master of the cluster shares the database. */
  readonly shared = true;
  private readonly inTransaction = new AsyncLocalStorage<boolean>();
  private closed = false;

  private constructor(private readonly pool: pg.Pool) {
    super();
  }

  static async open(options: PostgresStoreOptions): Promise<PostgresMetaStore> {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      types: TYPES,
      idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? IDLE_IN_TRANSACTION_MS,
    });
    pool.on('error', () => undefined); // An idle connection that broke: the next query reconnects.
    const store = new PostgresMetaStore(pool);
    try {
      await store.migrate();
    } catch (error) {
      await pool.end();
      throw new TierfsError(
        'UNAVAILABLE',
        `cannot open the PostgreSQL metadata store: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return store;
  }

  /** `tierfs format`: drops every table of tierfs and creates the current schema, empty. */
  async wipe(): Promise<void> {
    await this.one(
      `DROP TABLE IF EXISTS inodes, mounts, persist_queue, jobs, kv, pending_writes, tokens, temporaries,
         workers, leases, tierfs_schema`,
    );
    await this.migrate();
  }

  /** The schema version this database is at. */
  async schemaVersion(): Promise<number> {
    const { rows } = await this.pool.query("SELECT to_regclass('tierfs_schema') IS NOT NULL AS present");
    if (!rows[0].present) return 0;
    return Number((await this.pool.query('SELECT version FROM tierfs_schema')).rows[0]?.version ?? 0);
  }

  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query('CREATE TABLE IF NOT EXISTS tierfs_schema (version INTEGER NOT NULL)');
      const { rows } = await client.query('SELECT version FROM tierfs_schema');
      if (rows.length === 0) await client.query('INSERT INTO tierfs_schema (version) VALUES (0)');
      const current = Number(rows[0]?.version ?? 0);
      if (current > POSTGRES_MIGRATIONS.length) {
        throw new TierfsError(
          'CONFIG_INVALID',
          `the metadata store has schema version ${current}, newer than this tierfs understands (${POSTGRES_MIGRATIONS.length}); upgrade tierfs`,
        );
      }
      for (let version = current; version < POSTGRES_MIGRATIONS.length; version++) {
        await client.query(POSTGRES_MIGRATIONS[version]!);
      }
      await client.query('UPDATE tierfs_schema SET version = $1', [POSTGRES_MIGRATIONS.length]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async transaction<T>(fn: (tx: MetaTransaction) => Promise<T>): Promise<T> {
    if (this.inTransaction.getStore()) {
      throw new TierfsError('INTERNAL', 'a metadata transaction cannot open another one (use its tx)');
    }
    const client = await this.pool.connect();
    // A session the server ended while this transaction was between statements (see
    // IDLE_IN_TRANSACTION_MS) errors here rather than as an unhandled event; its next query fails.
    let ended: Error | undefined;
    const onError = (error: Error) => {
      ended = error;
    };
    client.on('error', onError);
    try {
      for (let attempt = 1; ; attempt++) {
        let open = true;
        const query: Query = async (text, values) => {
          if (!open) throw new TierfsError('INTERNAL', 'a metadata transaction was used after it ended');
          const result = await client.query(text, values);
          return { rows: result.rows as Record<string, unknown>[], rowCount: result.rowCount ?? 0 };
        };
        await client.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
        try {
          const result = await this.inTransaction.run(true, () => fn(new PostgresTransaction(query)));
          open = false;
          await client.query('COMMIT');
          return result;
        } catch (error) {
          open = false;
          await client.query('ROLLBACK').catch(() => undefined);
          const code = (error as { code?: string }).code;
          if (code && RETRYABLE.has(code) && attempt < MAX_ATTEMPTS) {
            // Back off at random, up to twice as long each time (capped), so that transactions that
            // keep colliding spread out further each round.
            const ceiling = Math.min(MAX_BACKOFF_MS, 2 * 2 ** attempt);
            await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
            continue;
          }
          throw error;
        }
      }
    } finally {
      client.off('error', onError);
      // A broken connection is dropped from the pool, not handed to the next transaction.
      client.release(ended);
    }
  }

  /** One statement outside any transaction of the caller's (itself atomic). */
  private async one(text: string, values?: unknown[]): Promise<pg.QueryResult> {
    return this.pool.query(text, values);
  }

  async listMounts(): Promise<MountRecord[]> {
    const { rows } = await this.one('SELECT * FROM mounts ORDER BY path');
    return rows.map((r) => ({
      path: r.path,
      ufsUri: r.ufs_uri,
      readOnly: r.read_only,
      shared: r.shared,
      options: JSON.parse(r.options) as Record<string, string>,
      createdMs: Number(r.created_ms),
    }));
  }

  async mountGeneration(): Promise<number> {
    return Number(
      (await this.one('SELECT value FROM kv WHERE key = $1', [MOUNT_GENERATION])).rows[0]?.value ?? 0,
    );
  }

  async addMount(mount: MountRecord): Promise<void> {
    try {
      // One statement: the mount and the generation move together.
      await this.one(
        `WITH bump AS (${BUMP_MOUNT_GENERATION})
         INSERT INTO mounts (path, ufs_uri, read_only, shared, options, created_ms) VALUES ($1, $2, $3, $4, $5, $6)`,
        [
          mount.path,
          mount.ufsUri,
          mount.readOnly,
          mount.shared,
          JSON.stringify(mount.options),
          mount.createdMs,
        ],
      );
    } catch (error) {
      if ((error as { code?: string }).code === '23505') {
        throw new TierfsError('ALREADY_EXISTS', `${mount.path} is already a mount point`, { cause: error });
      }
      throw error;
    }
  }

  async removeMount(path: string): Promise<boolean> {
    const { rows } = await this.one(
      `WITH gone AS (DELETE FROM mounts WHERE path = $1 RETURNING path),
            bump AS (
              INSERT INTO kv (key, value) SELECT '${MOUNT_GENERATION}', '1' WHERE EXISTS (SELECT 1 FROM gone)
              ON CONFLICT (key) DO UPDATE SET value = (kv.value::bigint + 1)::text)
       SELECT count(*)::int AS removed FROM gone`,
      [path],
    );
    return rows[0].removed > 0;
  }

  async updateMountOptions(path: string, options: Record<string, string>): Promise<boolean> {
    const { rows } = await this.one(
      `WITH changed AS (UPDATE mounts SET options = $2 WHERE path = $1 RETURNING path),
            bump AS (
              INSERT INTO kv (key, value) SELECT '${MOUNT_GENERATION}', '1' WHERE EXISTS (SELECT 1 FROM changed)
              ON CONFLICT (key) DO UPDATE SET value = (kv.value::bigint + 1)::text)
       SELECT count(*)::int AS changed FROM changed`,
      [path, JSON.stringify(options)],
    );
    return rows[0].changed > 0;
  }

  async heartbeatWorker(worker: WorkerRecord, leaseMs: number): Promise<boolean> {
    // The CTE reads the row as it was before this statement's upsert.
    const { rows } = await this.one(
      `WITH previous AS (SELECT started_ms, last_heartbeat_ms FROM workers WHERE id = $1),
            upsert AS (
              INSERT INTO workers (id, address, started_ms, last_heartbeat_ms, detail) VALUES ($1, $2, $3, $4, $5)
              ON CONFLICT (id) DO UPDATE SET address = excluded.address, started_ms = excluded.started_ms,
                last_heartbeat_ms = excluded.last_heartbeat_ms, detail = excluded.detail)
       SELECT started_ms, last_heartbeat_ms FROM previous`,
      [worker.id, worker.address, worker.startedMs, worker.lastHeartbeatMs, JSON.stringify(worker.detail)],
    );
    const previous = rows[0] as { started_ms: number; last_heartbeat_ms: number } | undefined;
    return (
      previous === undefined ||
      previous.started_ms !== worker.startedMs ||
      worker.lastHeartbeatMs - previous.last_heartbeat_ms > leaseMs
    );
  }

  async listWorkers(): Promise<WorkerRecord[]> {
    return (await this.one('SELECT * FROM workers ORDER BY id')).rows.map((r) => toWorker(r as WorkerRow));
  }

  async removeWorker(id: string): Promise<boolean> {
    return ((await this.one('DELETE FROM workers WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }

  async acquireLease(
    name: string,
    owner: string,
    options: { nowMs: number; leaseMs: number },
  ): Promise<boolean> {
    // ON CONFLICT locks the row and checks the condition on its latest version: one winner.
    const { rowCount } = await this.one(
      `INSERT INTO leases (name, owner, until_ms) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until_ms = excluded.until_ms
       WHERE leases.owner = excluded.owner OR leases.until_ms < $4`,
      [name, owner, options.nowMs + options.leaseMs, options.nowMs],
    );
    return (rowCount ?? 0) > 0;
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    await this.one('DELETE FROM leases WHERE name = $1 AND owner = $2', [name, owner]);
  }

  async putJob(job: JobRecord): Promise<void> {
    await this.one(
      `INSERT INTO jobs (id, type, state, detail, created_ms, updated_ms) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET type = excluded.type, state = excluded.state, detail = excluded.detail,
         created_ms = excluded.created_ms, updated_ms = excluded.updated_ms`,
      [job.id, job.type, job.state, JSON.stringify(job.detail), job.createdMs, job.updatedMs],
    );
  }

  async getJob(id: string): Promise<JobRecord | undefined> {
    const { rows } = await this.one('SELECT * FROM jobs WHERE id = $1', [id]);
    return rows[0] && toJob(rows[0]);
  }

  async listJobs(options: { type?: string; limit?: number } = {}): Promise<JobRecord[]> {
    const limit = options.limit ?? 100;
    const { rows } = options.type
      ? await this.one('SELECT * FROM jobs WHERE type = $1 ORDER BY created_ms DESC LIMIT $2', [
          options.type,
          limit,
        ])
      : await this.one('SELECT * FROM jobs ORDER BY created_ms DESC LIMIT $1', [limit]);
    return rows.map(toJob);
  }

  async putToken(token: TokenRecord): Promise<void> {
    await this.one(
      'INSERT INTO tokens (id, hash, "user", groups, created_ms, expires_ms) VALUES ($1, $2, $3, $4, $5, $6)',
      [
        token.id,
        token.hash,
        token.user,
        JSON.stringify(token.groups),
        token.createdMs,
        token.expiresMs ?? null,
      ],
    );
  }

  async getToken(id: string): Promise<TokenRecord | undefined> {
    const { rows } = await this.one('SELECT * FROM tokens WHERE id = $1', [id]);
    return rows[0] && toToken(rows[0]);
  }

  async listTokens(): Promise<TokenRecord[]> {
    return (await this.one('SELECT * FROM tokens ORDER BY created_ms, id')).rows.map(toToken);
  }

  async removeToken(id: string): Promise<boolean> {
    return ((await this.one('DELETE FROM tokens WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }

  async getValue(key: string): Promise<string | undefined> {
    return (await this.one('SELECT value FROM kv WHERE key = $1', [key])).rows[0]?.value;
  }

  async setValue(key: string, value: string): Promise<void> {
    await this.one(
      'INSERT INTO kv (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      [key, value],
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

function toJob(row: Record<string, unknown>): JobRecord {
  return {
    id: row.id as string,
    type: row.type as string,
    state: row.state as JobRecord['state'],
    detail: JSON.parse(row.detail as string) as Record<string, unknown>,
    createdMs: Number(row.created_ms),
    updatedMs: Number(row.updated_ms),
  };
}

function toToken(row: Record<string, unknown>): TokenRecord {
  return {
    id: row.id as string,
    hash: row.hash as string,
    user: row.user as string,
    groups: JSON.parse(row.groups as string) as string[],
    createdMs: Number(row.created_ms),
    ...(row.expires_ms === null || row.expires_ms === undefined ? {} : { expiresMs: Number(row.expires_ms) }),
  };
}
