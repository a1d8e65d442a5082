/**
 * The inode and persistence-queue statements of the SQLite store. They run on the store's one
 * connection, inside a transaction the store opened (sqlite-store.ts serialises transactions).
 */
import type Database from 'better-sqlite3';
import { TierfsError } from '../errors.js';
import { INODE_COLUMNS, INODE_ROW_COLUMNS } from './inode-columns.js';
import {
  assignments,
  descendantRange,
  guardClause,
  inodeValues,
  SQLITE,
  SqlValues,
  staleChildrenClause,
} from './sql-clauses.js';
import {
  type InodeRow,
  type PersistRow,
  type RawInodeRow,
  rawToInode,
  toInode,
  toPersistTask,
} from './sqlite-schema.js';
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

export class SqliteTransaction implements MetaTransaction {
  constructor(private readonly sql: (text: string) => Database.Statement) {}

  async getInode(path: string): Promise<Inode | undefined> {
    const row = this.sql('SELECT * FROM inodes WHERE path = ?').get(path) as InodeRow | undefined;
    return row && toInode(row);
  }

  async getAncestry(path: string): Promise<Inode[]> {
    const rows = this.sql(
      'SELECT * FROM inodes WHERE path IN (SELECT value FROM json_each(?)) ORDER BY length(path)',
    ).all(JSON.stringify(ancestryOf(path))) as InodeRow[];
    return rows.map(toInode);
  }

  async listChildren(path: string, options: { after?: string; limit: number }): Promise<ChildPage> {
    // The columns an Inode is made of (not parent and name, which the path holds), as arrays of
    // values (raw): a page is a thousand rows, and better-sqlite3 building each as an object with
    // its column names cost about as much again as the values (rawToInode).
    const rows = this.sql(
      `SELECT ${INODE_ROW_COLUMNS} FROM inodes WHERE parent = ? AND name > ? ORDER BY name LIMIT ?`,
    )
      .raw(true)
      .all(path, options.after ?? '', options.limit + 1) as RawInodeRow[];
    const more = rows.length > options.limit;
    const count = Math.min(rows.length, options.limit);
    const inodes: Inode[] = new Array(count);
    for (let i = 0; i < count; i++) inodes[i] = rawToInode(rows[i]!);
    return more ? { inodes, after: nameOf(inodes.at(-1)!.path) } : { inodes };
  }

  async countChildren(path: string): Promise<number> {
    return (this.sql('SELECT count(*) AS n FROM inodes WHERE parent = ?').get(path) as { n: number }).n;
  }

  async countFiles(): Promise<number> {
    return (this.sql('SELECT count(*) AS n FROM inodes WHERE is_dir = 0').get() as { n: number }).n;
  }

  async listDescendants(path: string, options: { after?: string; limit: number }): Promise<readonly Inode[]> {
    const [low, high] = descendantRange(path);
    const rows = this.sql(
      'SELECT * FROM inodes WHERE path > ? AND path > ? AND path < ? ORDER BY path LIMIT ?',
    ).all(low, options.after ?? '', high, options.limit) as InodeRow[];
    return rows.map(toInode);
  }

  async createInode(inode: Inode): Promise<boolean> {
    return (
      this.sql(
        `INSERT INTO inodes (${INODE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (path) DO NOTHING`,
      ).run(...inodeValues(inode, SQLITE)).changes === 1
    );
  }

  async putInodes(inodes: readonly Inode[]): Promise<void> {
    const insert = this.sql(
      `INSERT OR REPLACE INTO inodes (${INODE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const inode of inodes) insert.run(...inodeValues(inode, SQLITE));
  }

  async mirrorInodes(inodes: readonly Inode[]): Promise<void> {
    if (inodes.length === 0) return;
    // Unchanged content keeps its content id (cached pages stay valid), its attributes (chmod lives
    // in tierfs only) and its loaded children; a directory keeps its attributes whatever happens.
    this.sql(
      `INSERT INTO inodes (${INODE_COLUMNS})
       SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6,
              value ->> 7, value ->> 8, value ->> 9, value ->> 10, value ->> 11, value ->> 12, value ->> 13,
              value ->> 14
       FROM json_each(?) WHERE true
       ON CONFLICT (path) DO UPDATE SET
         is_dir = excluded.is_dir, size = excluded.size, mtime_ms = excluded.mtime_ms,
         owner = CASE WHEN inodes.ufs_fingerprint IS excluded.ufs_fingerprint OR (inodes.is_dir = 1 AND excluded.is_dir = 1)
                      THEN inodes.owner ELSE excluded.owner END,
         grp = CASE WHEN inodes.ufs_fingerprint IS excluded.ufs_fingerprint OR (inodes.is_dir = 1 AND excluded.is_dir = 1)
                    THEN inodes.grp ELSE excluded.grp END,
         mode = CASE WHEN inodes.ufs_fingerprint IS excluded.ufs_fingerprint OR (inodes.is_dir = 1 AND excluded.is_dir = 1)
                     THEN inodes.mode ELSE excluded.mode END,
         state = excluded.state, persistence = excluded.persistence,
         content_id = CASE WHEN inodes.ufs_fingerprint IS excluded.ufs_fingerprint
                           THEN inodes.content_id ELSE excluded.content_id END,
         children_loaded = CASE WHEN inodes.ufs_fingerprint IS excluded.ufs_fingerprint
                                THEN inodes.children_loaded ELSE 0 END,
         ufs_fingerprint = excluded.ufs_fingerprint, synced_at_ms = excluded.synced_at_ms
       WHERE inodes.state = 'COMPLETE' AND inodes.persistence = 'PERSISTED'`,
    ).run(JSON.stringify(inodes.map((i) => inodeValues(i, SQLITE))));
  }

  async patchInode(path: string, guard: InodeGuard, patch: InodePatch): Promise<boolean> {
    const sql = new SqlValues(SQLITE);
    const set = assignments(patch, sql);
    if (set === '') return (await this.getInode(path)) !== undefined;
    const where = `path = ${sql.bind(path)}${guardClause(guard, sql)}`;
    return this.sql(`UPDATE inodes SET ${set} WHERE ${where}`).run(...sql.values).changes === 1;
  }

  async patchTree(path: string, patch: AttributePatch): Promise<number> {
    const sql = new SqlValues(SQLITE);
    const set = assignments(patch, sql);
    if (set === '') return 0;
    const [low, high] = descendantRange(path);
    return this.sql(`UPDATE inodes SET ${set} WHERE path = ? OR (path > ? AND path < ?)`).run(
      ...sql.values,
      path,
      low,
      high,
    ).changes;
  }

  async deleteTree(path: string, guard?: InodeGuard): Promise<number> {
    const sql = new SqlValues(SQLITE);
    const where = `path = ${sql.bind(path)}`;
    const guarded = guardClause(guard, sql);
    const root = this.sql(`DELETE FROM inodes WHERE ${where}${guarded}`).run(...sql.values).changes;
    if (root === 0 && guarded !== '') return 0;
    const [low, high] = descendantRange(path);
    return root + this.sql('DELETE FROM inodes WHERE path > ? AND path < ?').run(low, high).changes;
  }

  async deleteStaleChildren(
    path: string,
    syncedBeforeMs: number,
    keep: readonly string[],
    names: NameRange = {},
  ): Promise<number> {
    const sql = new SqlValues(SQLITE);
    const stale = staleChildrenClause(sql, path, syncedBeforeMs, keep, names);
    const dirs = this.sql(`SELECT path FROM inodes WHERE ${stale} AND is_dir = 1`).all(...sql.values) as {
      path: string;
    }[];
    let removed = 0;
    for (const dir of dirs) {
      const [low, high] = descendantRange(dir.path);
      removed += this.sql('DELETE FROM inodes WHERE path > ? AND path < ?').run(low, high).changes;
    }
    return removed + this.sql(`DELETE FROM inodes WHERE ${stale}`).run(...sql.values).changes;
  }

  async renameTree(source: string, destination: string, guard?: InodeGuard): Promise<boolean> {
    const sql = new SqlValues(SQLITE);
    const where = `path = ${sql.bind(source)}${guardClause(guard, sql)}`;
    if (!this.sql(`SELECT 1 FROM inodes WHERE ${where}`).get(...sql.values)) return false;
    if (this.sql('SELECT 1 FROM inodes WHERE path = ?').get(destination)) return false;
    const [low, high] = descendantRange(source);
    const cut = source.length + 1;
    this.sql('UPDATE inodes SET path = ?, parent = ?, name = ? WHERE path = ?').run(
      destination,
      parentOf(destination),
      nameOf(destination),
      source,
    );
    this.sql(
      'UPDATE inodes SET path = ? || substr(path, ?), parent = ? || substr(parent, ?) WHERE path > ? AND path < ?',
    ).run(destination, cut, destination, cut, low, high);
    this.sql(
      'UPDATE persist_queue SET path = ? || substr(path, ?) WHERE path = ? OR (path > ? AND path < ?)',
    ).run(destination, cut, source, low, high);
    this.sql(
      'UPDATE pending_writes SET path = ? || substr(path, ?) WHERE path = ? OR (path > ? AND path < ?)',
    ).run(destination, cut, source, low, high);
    return true;
  }

  async putPendingWrite(inode: Inode): Promise<void> {
    this.sql('INSERT OR REPLACE INTO pending_writes (path, content_id, inode) VALUES (?, ?, ?)').run(
      inode.path,
      inode.contentId,
      JSON.stringify(inode),
    );
  }

  async takePendingWrite(path: string, contentId: string): Promise<Inode | undefined> {
    const row = this.sql('SELECT inode FROM pending_writes WHERE path = ? AND content_id = ?').get(
      path,
      contentId,
    ) as { inode: string } | undefined;
    this.sql('DELETE FROM pending_writes WHERE path = ? AND content_id = ?').run(path, contentId);
    return row && { ...(JSON.parse(row.inode) as Inode), path };
  }

  async enqueuePersist(task: PersistEnqueue): Promise<void> {
    this.sql(
      `INSERT OR REPLACE INTO persist_queue (path, content_id, worker_id, state, attempts, last_error, enqueued_ms, retry_at_ms,
         owner, lease_until_ms, temporary_path)
       VALUES (?, ?, ?, ?, 0, NULL, ?, 0, ?, ?, ?)`,
    ).run(
      task.path,
      task.contentId,
      task.workerId,
      task.commit ? 'COMMITTING' : 'PENDING',
      task.enqueuedMs,
      task.commit?.owner ?? null,
      task.commit ? Math.trunc(task.commit.leaseUntilMs) : null,
      task.commit?.temporaryPath ?? null,
    );
  }

  async getPersistTask(path: string): Promise<PersistTask | undefined> {
    const row = this.sql('SELECT * FROM persist_queue WHERE path = ?').get(path) as PersistRow | undefined;
    return row && toPersistTask(row);
  }

  async listPersistTasks(state?: PersistTaskState): Promise<PersistTask[]> {
    const rows = (
      state
        ? this.sql('SELECT * FROM persist_queue WHERE state = ? ORDER BY enqueued_ms, path').all(state)
        : this.sql('SELECT * FROM persist_queue ORDER BY enqueued_ms, path').all()
    ) as PersistRow[];
    return rows.map(toPersistTask);
  }

  async cancelPersists(
    path: string,
    options: { recursive: boolean; nowMs: number; requeueAtMs?: number },
  ): Promise<number> {
    const [low, high] = descendantRange(path);
    const scope = options.recursive ? '(path = ? OR (path > ? AND path < ?))' : 'path = ?';
    const args = options.recursive ? [path, low, high] : [path];
    const committing = this.sql(
      `SELECT path FROM persist_queue WHERE ${scope} AND state = 'COMMITTING' AND lease_until_ms > ? LIMIT 1`,
    ).get(...args, Math.trunc(options.nowMs)) as { path: string } | undefined;
    if (committing) {
      throw new TierfsError(
        'CONFLICT',
        `${committing.path} is being moved into the under store by its persist; try again in a moment`,
        { retryable: true },
      );
    }
    if (options.requeueAtMs === undefined) {
      return this.sql(`DELETE FROM persist_queue WHERE ${scope}`).run(...args).changes;
    }
    return this.sql(
      `UPDATE persist_queue SET state = 'PENDING', owner = NULL, lease_until_ms = NULL, retry_at_ms = ?
       WHERE ${scope}`,
    ).run(Math.trunc(options.requeueAtMs), ...args).changes;
  }

  async claimPersists(options: ClaimOptions): Promise<PersistTask[]> {
    if (options.workerIds.length === 0 || options.limit < 1) return [];
    const now = Math.trunc(options.nowMs);
    const rows = this.sql(
      `UPDATE persist_queue
       SET state = 'RUNNING', owner = ?, lease_until_ms = ?, attempts = attempts + 1, temporary_path = NULL
       WHERE path IN (
         SELECT path FROM persist_queue
         WHERE worker_id IN (SELECT value FROM json_each(?))
           AND ((state IN ('PENDING', 'FAILED') AND retry_at_ms <= ?)
                OR (state IN ('RUNNING', 'COMMITTING') AND lease_until_ms <= ?))
         ORDER BY enqueued_ms, path LIMIT ?)
       RETURNING *`,
    ).all(
      options.owner,
      now + Math.trunc(options.leaseMs),
      JSON.stringify(options.workerIds),
      now,
      now,
      options.limit,
    ) as PersistRow[];
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
    return (
      this.sql(
        `UPDATE persist_queue SET state = ?, owner = ?, lease_until_ms = coalesce(?, lease_until_ms),
           temporary_path = coalesce(?, temporary_path), last_error = coalesce(?, last_error),
           retry_at_ms = coalesce(?, retry_at_ms)
         WHERE path = ? AND owner = ? AND content_id = ? AND state IN ('RUNNING', 'COMMITTING')`,
      ).run(
        change.state,
        claimed ? claim.owner : null,
        change.leaseUntilMs === undefined ? null : Math.trunc(change.leaseUntilMs),
        change.temporaryPath ?? null,
        change.lastError ?? null,
        change.retryAtMs === undefined ? null : Math.trunc(change.retryAtMs),
        path,
        claim.owner,
        claim.contentId,
      ).changes === 1
    );
  }

  async removePersist(path: string, claim: { owner?: string; contentId?: string } = {}): Promise<boolean> {
    return (
      this.sql(
        'DELETE FROM persist_queue WHERE path = ? AND (? IS NULL OR owner = ?) AND (? IS NULL OR content_id = ?)',
      ).run(path, claim.owner ?? null, claim.owner ?? null, claim.contentId ?? null, claim.contentId ?? null)
        .changes === 1
    );
  }

  async dropAbandonedWrites(startedBeforeMs: number): Promise<number> {
    const before = Math.trunc(startedBeforeMs);
    const pending = this.sql(
      "SELECT path, content_id FROM pending_writes WHERE json_extract(inode, '$.syncedAtMs') < ?",
    ).all(before) as { path: string; content_id: string }[];
    for (const write of pending) {
      this.sql('DELETE FROM pending_writes WHERE path = ? AND content_id = ?').run(
        write.path,
        write.content_id,
      );
      this.sql('UPDATE persist_queue SET retry_at_ms = 0 WHERE path = ? AND retry_at_ms = ?').run(
        write.path,
        PARKED_RETRY_MS,
      );
    }
    const files = this.sql(
      "DELETE FROM inodes WHERE state = 'INCOMPLETE' AND is_dir = 0 AND synced_at_ms < ?",
    ).run(before).changes;
    return pending.length + files;
  }

  async addTemporary(temporary: TemporaryObject): Promise<void> {
    this.sql('INSERT OR REPLACE INTO temporaries (mount_path, ufs_path, created_ms) VALUES (?, ?, ?)').run(
      temporary.mountPath,
      temporary.ufsPath,
      Math.trunc(temporary.createdMs),
    );
  }

  async removeTemporary(mountPath: string, ufsPath: string): Promise<void> {
    this.sql('DELETE FROM temporaries WHERE mount_path = ? AND ufs_path = ?').run(mountPath, ufsPath);
  }

  async listLeftoverTemporaries(options: {
    createdBeforeMs: number;
    nowMs: number;
    limit: number;
  }): Promise<TemporaryObject[]> {
    const rows = this.sql(
      `SELECT * FROM temporaries t WHERE created_ms < ?
         AND NOT EXISTS (SELECT 1 FROM persist_queue q WHERE q.temporary_path = t.ufs_path AND q.lease_until_ms > ?)
       ORDER BY created_ms, mount_path, ufs_path LIMIT ?`,
    ).all(Math.trunc(options.createdBeforeMs), Math.trunc(options.nowMs), options.limit) as {
      mount_path: string;
      ufs_path: string;
      created_ms: number;
    }[];
    return rows.map((r) => ({ mountPath: r.mount_path, ufsPath: r.ufs_path, createdMs: r.created_ms }));
  }

  async neededStagedContent(contentIds: readonly string[]): Promise<string[]> {
    const rows = this.sql(
      `SELECT content_id FROM inodes
       WHERE content_id IN (SELECT value FROM json_each(?)) AND persistence <> 'PERSISTED'
       UNION SELECT content_id FROM pending_writes WHERE content_id IN (SELECT value FROM json_each(?))`,
    ).all(JSON.stringify(contentIds), JSON.stringify(contentIds)) as { content_id: string }[];
    return rows.map((r) => r.content_id).sort();
  }
}
