/**
 * The inode and persistence-queue statements of the PostgreSQL store, run by one pooled connection
 * inside a SERIALIZABLE transaction the store opened (postgres-store.ts). Same behaviour as
 * sqlite-transaction.ts, checked by the same suite (test/meta/suite.ts).
 */
import { TierfsError } from '../errors.js';
import { INODE_COLUMNS } from './inode-columns.js';
import {
  assignments,
  descendantRange,
  guardClause,
  inodeValues,
  POSTGRES,
  SqlValues,
  staleChildrenClause,
} from './sql-clauses.js';
import {
  type AttributePatch,
  ancestryOf,
  type ChildPage,
  type ClaimOptions,
  type Inode,
  type InodeGuard,
  type InodePatch,
  type MetaTransaction,
  type NameRange,
  nameOf,
  PARKED_RETRY_MS,
  type PersistEnqueue,
  type PersistTask,
  type PersistTaskState,
  parentOf,
  type TemporaryObject,
} from './store.js';

export type Query = (
  text: string,
  values?: unknown[],
) => Promise<{ rows: Record<string, unknown>[]; rowCount: number }>;

function toInode(row: Record<string, unknown>): Inode {
  return {
    path: row.path as string,
    isDirectory: row.is_dir as boolean,
    size: Number(row.size),
    mtimeMs: Number(row.mtime_ms),
    owner: row.owner as string,
    group: row.grp as string,
    mode: row.mode as number,
    state: row.state as Inode['state'],
    persistence: row.persistence as Inode['persistence'],
    ...(row.ufs_fingerprint === null ? {} : { ufsFingerprint: row.ufs_fingerprint as string }),
    contentId: row.content_id as string,
    syncedAtMs: Number(row.synced_at_ms),
    childrenLoaded: row.children_loaded as boolean,
  };
}

function toPersistTask(r: Record<string, unknown>): PersistTask {
  return {
    path: r.path as string,
    contentId: r.content_id as string,
    workerId: r.worker_id as string,
    state: r.state as PersistTaskState,
    attempts: r.attempts as number,
    ...(r.last_error === null ? {} : { lastError: r.last_error as string }),
    enqueuedMs: Number(r.enqueued_ms),
    retryAtMs: Number(r.retry_at_ms),
    ...(r.owner === null ? {} : { owner: r.owner as string }),
    ...(r.lease_until_ms === null ? {} : { leaseUntilMs: Number(r.lease_until_ms) }),
    ...(r.temporary_path === null ? {} : { temporaryPath: r.temporary_path as string }),
  };
}

/** Placeholders `$n, $n+1, ...` for `count` values starting at `first`. */
function placeholders(first: number, count: number): string {
  return Array.from({ length: count }, (_, k) => `$${first + k}`).join(', ');
}

/** The inodes table's columns, split once (not once per mirrored row). */
const COLUMN_NAMES = INODE_COLUMNS.split(', ');

export class PostgresTransaction implements MetaTransaction {
  constructor(private readonly q: Query) {}

  async getInode(path: string): Promise<Inode | undefined> {
    const { rows } = await this.q('SELECT * FROM inodes WHERE path = $1', [path]);
    return rows[0] && toInode(rows[0]);
  }

  async getAncestry(path: string): Promise<Inode[]> {
    const { rows } = await this.q('SELECT * FROM inodes WHERE path = ANY($1::text[]) ORDER BY length(path)', [
      ancestryOf(path),
    ]);
    return rows.map(toInode);
  }

  async listChildren(path: string, options: { after?: string; limit: number }): Promise<ChildPage> {
    const { rows } = await this.q(
      'SELECT * FROM inodes WHERE parent = $1 AND name > $2 ORDER BY name LIMIT $3',
      [path, options.after ?? '', options.limit + 1],
    );
    const more = rows.length > options.limit;
    const inodes = rows.slice(0, options.limit).map(toInode);
    return more ? { inodes, after: nameOf(inodes.at(-1)!.path) } : { inodes };
  }

  async countChildren(path: string): Promise<number> {
    const { rows } = await this.q('SELECT count(*)::int AS n FROM inodes WHERE parent = $1', [path]);
    return rows[0]!.n as number;
  }

  async countFiles(): Promise<number> {
    const { rows } = await this.q('SELECT count(*)::int AS n FROM inodes WHERE NOT is_dir', []);
    return rows[0]!.n as number;
  }

  async listDescendants(path: string, options: { after?: string; limit: number }): Promise<readonly Inode[]> {
    const [low, high] = descendantRange(path);
    const { rows } = await this.q(
      'SELECT * FROM inodes WHERE path > $1 AND path > $2 AND path < $3 ORDER BY path LIMIT $4',
      [low, options.after ?? '', high, options.limit],
    );
    return rows.map(toInode);
  }

  async createInode(inode: Inode): Promise<boolean> {
    const { rowCount } = await this.q(
      `INSERT INTO inodes (${INODE_COLUMNS}) VALUES (${placeholders(1, 15)}) ON CONFLICT (path) DO NOTHING`,
      inodeValues(inode, POSTGRES),
    );
    return rowCount === 1;
  }

  async putInodes(inodes: readonly Inode[]): Promise<void> {
    for (const inode of inodes) {
      await this.q(
        `INSERT INTO inodes (${INODE_COLUMNS}) VALUES (${placeholders(1, 15)})
         ON CONFLICT (path) DO UPDATE SET (${INODE_COLUMNS}) = (${INODE_COLUMNS.split(', ')
           .map((c) => `excluded.${c}`)
           .join(', ')})`,
        inodeValues(inode, POSTGRES),
      );
    }
  }

  async mirrorInodes(inodes: readonly Inode[]): Promise<void> {
    if (inodes.length === 0) return;
    const keep = `(inodes.ufs_fingerprint IS NOT DISTINCT FROM excluded.ufs_fingerprint OR (inodes.is_dir AND excluded.is_dir))`;
    const same = 'inodes.ufs_fingerprint IS NOT DISTINCT FROM excluded.ufs_fingerprint';
    await this.q(
      `INSERT INTO inodes (${INODE_COLUMNS})
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(path text, parent text, name text, is_dir boolean,
         size bigint, mtime_ms bigint, owner text, grp text, mode integer, state text, persistence text,
         ufs_fingerprint text, content_id text, synced_at_ms bigint, children_loaded boolean)
       ON CONFLICT (path) DO UPDATE SET
         is_dir = excluded.is_dir, size = excluded.size, mtime_ms = excluded.mtime_ms,
         owner = CASE WHEN ${keep} THEN inodes.owner ELSE excluded.owner END,
         grp = CASE WHEN ${keep} THEN inodes.grp ELSE excluded.grp END,
         mode = CASE WHEN ${keep} THEN inodes.mode ELSE excluded.mode END,
         state = excluded.state, persistence = excluded.persistence,
         content_id = CASE WHEN ${same} THEN inodes.content_id ELSE excluded.content_id END,
         children_loaded = CASE WHEN ${same} THEN inodes.children_loaded ELSE false END,
         ufs_fingerprint = excluded.ufs_fingerprint, synced_at_ms = excluded.synced_at_ms
       WHERE inodes.state = 'COMPLETE' AND inodes.persistence = 'PERSISTED'`,
      [
        JSON.stringify(
          inodes.map((i) => {
            const v = inodeValues(i, POSTGRES);
            const row: Record<string, unknown> = {};
            for (let k = 0; k < COLUMN_NAMES.length; k++) row[COLUMN_NAMES[k]!] = v[k];
            return row;
          }),
        ),
      ],
    );
  }

  async patchInode(path: string, guard: InodeGuard, patch: InodePatch): Promise<boolean> {
    const sql = new SqlValues(POSTGRES);
    const set = assignments(patch, sql);
    if (set === '') return (await this.getInode(path)) !== undefined;
    const where = `path = ${sql.bind(path)}${guardClause(guard, sql)}`;
    const { rowCount } = await this.q(`UPDATE inodes SET ${set} WHERE ${where}`, sql.values);
    return rowCount === 1;
  }

  async patchTree(path: string, patch: AttributePatch): Promise<number> {
    const sql = new SqlValues(POSTGRES);
    const set = assignments(patch, sql);
    if (set === '') return 0;
    const [low, high] = descendantRange(path);
    const { rowCount } = await this.q(
      `UPDATE inodes SET ${set} WHERE path = ${sql.bind(path)} OR (path > ${sql.bind(low)} AND path < ${sql.bind(high)})`,
      sql.values,
    );
    return rowCount;
  }

  async deleteTree(path: string, guard?: InodeGuard): Promise<number> {
    const sql = new SqlValues(POSTGRES);
    const where = `path = ${sql.bind(path)}`;
    const guarded = guardClause(guard, sql);
    const root = (await this.q(`DELETE FROM inodes WHERE ${where}${guarded}`, sql.values)).rowCount;
    if (root === 0 && guarded !== '') return 0;
    const [low, high] = descendantRange(path);
    return root + (await this.q('DELETE FROM inodes WHERE path > $1 AND path < $2', [low, high])).rowCount;
  }

  async deleteStaleChildren(
    path: string,
    syncedBeforeMs: number,
    keep: readonly string[],
    names: NameRange = {},
  ): Promise<number> {
    const sql = new SqlValues(POSTGRES);
    const stale = staleChildrenClause(sql, path, syncedBeforeMs, keep, names);
    const dirs = await this.q(`SELECT path FROM inodes WHERE ${stale} AND is_dir`, sql.values);
    let removed = 0;
    for (const dir of dirs.rows) {
      const [low, high] = descendantRange(dir.path as string);
      removed += (await this.q('DELETE FROM inodes WHERE path > $1 AND path < $2', [low, high])).rowCount;
    }
    return removed + (await this.q(`DELETE FROM inodes WHERE ${stale}`, sql.values)).rowCount;
  }

  async renameTree(source: string, destination: string, guard?: InodeGuard): Promise<boolean> {
    const sql = new SqlValues(POSTGRES);
    const where = `path = ${sql.bind(source)}${guardClause(guard, sql)}`;
    if ((await this.q(`SELECT 1 FROM inodes WHERE ${where}`, sql.values)).rowCount === 0) return false;
    if ((await this.q('SELECT 1 FROM inodes WHERE path = $1', [destination])).rowCount > 0) return false;
    const [low, high] = descendantRange(source);
    const cut = source.length + 1;
    await this.q('UPDATE inodes SET path = $1, parent = $2, name = $3 WHERE path = $4', [
      destination,
      parentOf(destination),
      nameOf(destination),
      source,
    ]);
    await this.q(
      'UPDATE inodes SET path = $1 || substr(path, $2), parent = $1 || substr(parent, $2) WHERE path > $3 AND path < $4',
      [destination, cut, low, high],
    );
    for (const table of ['persist_queue', 'pending_writes']) {
      await this.q(
        `UPDATE ${table} SET path = $1 || substr(path, $2) WHERE path = $3 OR (path > $4 AND path < $5)`,
        [destination, cut, source, low, high],
      );
    }
    return true;
  }

  async putPendingWrite(inode: Inode): Promise<void> {
    await this.q(
      `INSERT INTO pending_writes (path, content_id, inode, started_ms) VALUES ($1, $2, $3, $4)
       ON CONFLICT (path, content_id) DO UPDATE SET inode = excluded.inode, started_ms = excluded.started_ms`,
      [inode.path, inode.contentId, JSON.stringify(inode), Math.trunc(inode.syncedAtMs)],
    );
  }

  async takePendingWrite(path: string, contentId: string): Promise<Inode | undefined> {
    const { rows } = await this.q(
      'DELETE FROM pending_writes WHERE path = $1 AND content_id = $2 RETURNING inode',
      [path, contentId],
    );
    return rows[0] && { ...(JSON.parse(rows[0].inode as string) as Inode), path };
  }

  async enqueuePersist(task: PersistEnqueue): Promise<void> {
    await this.q(
      `INSERT INTO persist_queue (path, content_id, worker_id, state, attempts, last_error, enqueued_ms, retry_at_ms,
         owner, lease_until_ms, temporary_path)
       VALUES ($1, $2, $3, $4, 0, NULL, $5, 0, $6, $7, $8)
       ON CONFLICT (path) DO UPDATE SET content_id = excluded.content_id, worker_id = excluded.worker_id,
         state = excluded.state, attempts = 0, last_error = NULL, enqueued_ms = excluded.enqueued_ms, retry_at_ms = 0,
         owner = excluded.owner, lease_until_ms = excluded.lease_until_ms, temporary_path = excluded.temporary_path`,
      [
        task.path,
        task.contentId,
        task.workerId,
        task.commit ? 'COMMITTING' : 'PENDING',
        task.enqueuedMs,
        task.commit?.owner ?? null,
        task.commit ? Math.trunc(task.commit.leaseUntilMs) : null,
        task.commit?.temporaryPath ?? null,
      ],
    );
  }

  async getPersistTask(path: string): Promise<PersistTask | undefined> {
    const { rows } = await this.q('SELECT * FROM persist_queue WHERE path = $1', [path]);
    return rows[0] && toPersistTask(rows[0]);
  }

  async listPersistTasks(state?: PersistTaskState): Promise<PersistTask[]> {
    const { rows } = state
      ? await this.q('SELECT * FROM persist_queue WHERE state = $1 ORDER BY enqueued_ms, path', [state])
      : await this.q('SELECT * FROM persist_queue ORDER BY enqueued_ms, path');
    return rows.map(toPersistTask);
  }

  async cancelPersists(
    path: string,
    options: { recursive: boolean; nowMs: number; requeueAtMs?: number },
  ): Promise<number> {
    const [low, high] = descendantRange(path);
    const scope = options.recursive ? '(path = $1 OR (path > $2 AND path < $3))' : 'path = $1';
    const args: unknown[] = options.recursive ? [path, low, high] : [path];
    const committing = await this.q(
      `SELECT path FROM persist_queue WHERE ${scope} AND state = 'COMMITTING' AND lease_until_ms > $${args.length + 1}
       LIMIT 1`,
      [...args, Math.trunc(options.nowMs)],
    );
    if (committing.rowCount > 0) {
      throw new TierfsError(
        'CONFLICT',
        `${committing.rows[0]!.path as string} is being moved into the under store by its persist; try again in a moment`,
        { retryable: true },
      );
    }
    if (options.requeueAtMs === undefined) {
      return (await this.q(`DELETE FROM persist_queue WHERE ${scope}`, args)).rowCount;
    }
    return (
      await this.q(
        `UPDATE persist_queue SET state = 'PENDING', owner = NULL, lease_until_ms = NULL,
           retry_at_ms = $${args.length + 1} WHERE ${scope}`,
        [...args, Math.trunc(options.requeueAtMs)],
      )
    ).rowCount;
  }

  async claimPersists(options: ClaimOptions): Promise<PersistTask[]> {
    if (options.workerIds.length === 0 || options.limit < 1) return [];
    const now = Math.trunc(options.nowMs);
    const { rows } = await this.q(
      `UPDATE persist_queue
       SET state = 'RUNNING', owner = $1, lease_until_ms = $2, attempts = attempts + 1, temporary_path = NULL
       WHERE path IN (
         SELECT path FROM persist_queue
         WHERE worker_id = ANY($3::text[])
           AND ((state IN ('PENDING', 'FAILED') AND retry_at_ms <= $4)
                OR (state IN ('RUNNING', 'COMMITTING') AND lease_until_ms <= $4))
         ORDER BY enqueued_ms, path LIMIT $5
         FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [options.owner, now + Math.trunc(options.leaseMs), [...options.workerIds], now, options.limit],
    );
    return rows.map(toPersistTask).sort((a, b) => a.enqueuedMs - b.enqueuedMs || (a.path < b.path ? -1 : 1));
  }

  async updateClaimedPersist(
    path: string,
    claim: { owner: string; contentId: string },
    change: {
      state: PersistTaskState;
      leaseUntilMs?: number;
      temporaryPath?: string;
      lastError?: string;
      retryAtMs?: number;
    },
  ): Promise<boolean> {
    const claimed = change.state === 'RUNNING' || change.state === 'COMMITTING';
    const { rowCount } = await this.q(
      `UPDATE persist_queue SET state = $1, owner = $2, lease_until_ms = coalesce($3, lease_until_ms),
         temporary_path = coalesce($4, temporary_path), last_error = coalesce($5, last_error),
         retry_at_ms = coalesce($6, retry_at_ms)
       WHERE path = $7 AND owner = $8 AND content_id = $9 AND state IN ('RUNNING', 'COMMITTING')`,
      [
        change.state,
        claimed ? claim.owner : null,
        change.leaseUntilMs === undefined ? null : Math.trunc(change.leaseUntilMs),
        change.temporaryPath ?? null,
        change.lastError ?? null,
        change.retryAtMs === undefined ? null : Math.trunc(change.retryAtMs),
        path,
        claim.owner,
        claim.contentId,
      ],
    );
    return rowCount === 1;
  }

  async removePersist(path: string, claim: { owner?: string; contentId?: string } = {}): Promise<boolean> {
    const { rowCount } = await this.q(
      `DELETE FROM persist_queue WHERE path = $1 AND ($2::text IS NULL OR owner = $2)
         AND ($3::text IS NULL OR content_id = $3)`,
      [path, claim.owner ?? null, claim.contentId ?? null],
    );
    return rowCount === 1;
  }

  async dropAbandonedWrites(startedBeforeMs: number): Promise<number> {
    const before = Math.trunc(startedBeforeMs);
    const pending = await this.q('DELETE FROM pending_writes WHERE started_ms < $1 RETURNING path', [before]);
    for (const write of pending.rows) {
      await this.q('UPDATE persist_queue SET retry_at_ms = 0 WHERE path = $1 AND retry_at_ms = $2', [
        write.path,
        PARKED_RETRY_MS,
      ]);
    }
    const files = await this.q(
      "DELETE FROM inodes WHERE state = 'INCOMPLETE' AND NOT is_dir AND synced_at_ms < $1",
      [before],
    );
    return pending.rowCount + files.rowCount;
  }

  async addTemporary(temporary: TemporaryObject): Promise<void> {
    await this.q(
      `INSERT INTO temporaries (mount_path, ufs_path, created_ms) VALUES ($1, $2, $3)
       ON CONFLICT (mount_path, ufs_path) DO UPDATE SET created_ms = excluded.created_ms`,
      [temporary.mountPath, temporary.ufsPath, Math.trunc(temporary.createdMs)],
    );
  }

  async removeTemporary(mountPath: string, ufsPath: string): Promise<void> {
    await this.q('DELETE FROM temporaries WHERE mount_path = $1 AND ufs_path = $2', [mountPath, ufsPath]);
  }

  async listLeftoverTemporaries(options: {
    createdBeforeMs: number;
    nowMs: number;
    limit: number;
  }): Promise<TemporaryObject[]> {
    const { rows } = await this.q(
      `SELECT * FROM temporaries t WHERE created_ms < $1
         AND NOT EXISTS (SELECT 1 FROM persist_queue q WHERE q.temporary_path = t.ufs_path AND q.lease_until_ms > $2)
       ORDER BY created_ms, mount_path, ufs_path LIMIT $3`,
      [Math.trunc(options.createdBeforeMs), Math.trunc(options.nowMs), options.limit],
    );
    return rows.map((r) => ({
      mountPath: r.mount_path as string,
      ufsPath: r.ufs_path as string,
      createdMs: Number(r.created_ms),
    }));
  }

  async neededStagedContent(contentIds: readonly string[]): Promise<string[]> {
    const { rows } = await this.q(
      `SELECT content_id FROM inodes WHERE content_id = ANY($1::text[]) AND persistence <> 'PERSISTED'
       UNION SELECT content_id FROM pending_writes WHERE content_id = ANY($1::text[])`,
      [[...contentIds]],
    );
    return rows.map((r) => r.content_id as string).sort();
  }
}
