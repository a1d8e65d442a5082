/**
 * The metadata store: the inode tree of the namespace, the mount table, the persistence queue and
 * jobs, behind one asynchronous interface. The embedded implementation is SQLite (sqlite-store.ts);
 * a PostgreSQL store implements the same interface with the same schema for multi-node clusters.
 *
 * Inodes are keyed by their absolute namespace path (`/`, `/data/a.csv`); each records its parent
 * path, so listing a directory is one indexed range scan and renaming a tree is one statement.
 */

export type InodeState = 'COMPLETE' | 'INCOMPLETE';
export type PersistenceState = 'PERSISTED' | 'NOT_PERSISTED' | 'TO_BE_PERSISTED';

export interface Inode {
  /** Absolute namespace path: `/` or `/a/b` (no trailing slash). */
  readonly path: string;
  readonly isDirectory: boolean;
  readonly size: number;
  readonly mtimeMs: number;
  readonly owner: string;
  readonly group: string;
  readonly mode: number;
  /** A file is visible only once COMPLETE. */
  readonly state: InodeState;
  readonly persistence: PersistenceState;
  /** Fingerprint of the UFS object this inode mirrors; undefined when not in the UFS. */
  readonly ufsFingerprint?: string;
  /**
   * Identity of the content in worker caches: the UFS fingerprint for persisted files, a generated
   * id for data written to the cache first; a new value makes every cached page of the old one stale.
   */
  readonly contentId: string;
  /** When the inode (and, for a directory with childrenLoaded, its children) was last synced. */
  readonly syncedAtMs: number;
  /** For directories: the children were loaded from the UFS. */
  readonly childrenLoaded: boolean;
}

export interface MountRecord {
  /** Namespace path of the mount point. */
  readonly path: string;
  readonly ufsUri: string;
  readonly readOnly: boolean;
  readonly shared: boolean;
  /** Per-mount configuration (`--option k=v`), secrets included: never shown unmasked. */
  readonly options: Readonly<Record<string, string>>;
  readonly createdMs: number;
}

/**
 * PENDING: waiting to be claimed (or retried at retryAtMs). RUNNING: claimed by `owner` until
 * `leaseUntilMs`, its data being written under `temporaryPath`. COMMITTING: the owner is moving the
 * temporary object over the file; overwrites and deletes of the path wait (CONFLICT, retryable)
 * until it is done or its lease expires. FAILED: the last attempt failed; retried at retryAtMs.
 */
export type PersistTaskState = 'PENDING' | 'RUNNING' | 'COMMITTING' | 'FAILED';

export interface PersistTask {
  readonly path: string;
  readonly contentId: string;
  /** The worker holding the data to persist. */
  readonly workerId: string;
  readonly state: PersistTaskState;
  readonly attempts: number;
  readonly lastError?: string;
  readonly enqueuedMs: number;
  /** Not claimed again before this time (backoff after a failure). */
  readonly retryAtMs: number;
  /** Who holds the claim (a master's id) and until when; a claim past its lease may be taken over. */
  readonly owner?: string;
  readonly leaseUntilMs?: number;
  /** Under store path (in the file's mount) of the attempt's temporary object. */
  readonly temporaryPath?: string;
}

export type PersistEnqueue = Pick<PersistTask, 'path' | 'contentId' | 'workerId' | 'enqueuedMs'> & {
  readonly commit?: { readonly owner: string; readonly leaseUntilMs: number; readonly temporaryPath: string };
};

/** An object written under a temporary name in an under store (see ufs/temporary.ts). */
export interface TemporaryObject {
  readonly mountPath: string;
  readonly ufsPath: string;
  readonly createdMs: number;
}

export interface ClaimOptions {
  /** Who claims: a master's id. */
  readonly owner: string;
  readonly nowMs: number;
  readonly leaseMs: number;
  readonly limit: number;
  /** Only tasks whose data is on one of these workers (the live ones). */
  readonly workerIds: readonly string[];
}

export type JobState = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface JobRecord {
  readonly id: string;
  readonly type: string;
  readonly state: JobState;
  /** Job-specific JSON: the request, progress counters, the error. */
  readonly detail: Readonly<Record<string, unknown>>;
  readonly createdMs: number;
  readonly updatedMs: number;
}

/** A worker as the masters know it: what its last heartbeat said, and when that was. */
export interface WorkerRecord {
  readonly id: string;
  /** Where the worker's data API is (http://host:port). */
  readonly address: string;
  readonly startedMs: number;
  readonly lastHeartbeatMs: number;
  /** The rest of the heartbeat (tiers and their usage), as JSON. */
  readonly detail: Readonly<Record<string, unknown>>;
}

/** A user token: the token itself is never stored, only its SHA-256 hash. */
export interface TokenRecord {
  /** Short public id: shown by `tierfs auth token list`, named by `revoke`, part of the token. */
  readonly id: string;
  /** SHA-256 of the whole token, hex. */
  readonly hash: string;
  readonly user: string;
  readonly groups: readonly string[];
  readonly createdMs: number;
  /** When it stops being accepted; undefined: never (tokens made before tokens expired). */
  readonly expiresMs?: number;
}

/** Children's names after `after` (exclusive) and up to `upTo` (inclusive), in byte order. */
export interface NameRange {
  readonly after?: string;
  readonly upTo?: string;
}

export interface ChildPage {
  readonly inodes: readonly Inode[];
  /** Name of the last child returned when more may follow. */
  readonly after?: string;
}

/** The retry time of a persist parked by an overwrite in progress: never due until un-parked. */
export const PARKED_RETRY_MS = Number.MAX_SAFE_INTEGER;

/** What a conditional write expects of the row it changes, as the caller read it. */
export interface InodeGuard {
  readonly contentId?: string;
  readonly state?: InodeState;
  readonly persistence?: PersistenceState;
  readonly isDirectory?: boolean;
}

/** Named fields to change; `ufsFingerprint: null` clears it. Path and kind never change. */
export type InodePatch = {
  readonly [K in Exclude<keyof Inode, 'path' | 'isDirectory' | 'ufsFingerprint'>]?: Inode[K];
} & { readonly ufsFingerprint?: string | null };

/** chmod, chown, chgrp, touch of a whole tree. */
export type AttributePatch = Pick<InodePatch, 'mode' | 'owner' | 'group' | 'mtimeMs'>;

/**
 * Everything the namespace and the persistence queue read and write, inside one transaction.
 * Conditional writes report whether they applied; they never half-apply.
 */
export interface MetaTransaction {
  getInode(path: string): Promise<Inode | undefined>;
  /** The path and each of its ancestors that exist, root first, in one query. */
  getAncestry(path: string): Promise<Inode[]>;
  /** Children of a directory in name order, at most `limit`, after the child named `after`. */
  listChildren(path: string, options: { after?: string; limit: number }): Promise<ChildPage>;
  countChildren(path: string): Promise<number>;
  /** Files (not directories) in the namespace, those mirrored from under stores included. */
  countFiles(): Promise<number>;
  /** Every inode below a path (not the path itself), in path order, a page at a time. */
  listDescendants(path: string, options: { after?: string; limit: number }): Promise<readonly Inode[]>;

  /** Inserts an inode unless its path is taken; false when it was. */
  createInode(inode: Inode): Promise<boolean>;
  /** Inserts or replaces whole inodes (tests and initial loads; namespace writes use the others). */
  putInodes(inodes: readonly Inode[]): Promise<void>;
  /**
   * Mirrors under store entries, in one statement: new paths are inserted, existing ones replaced
   * only while they still mirror the under store (COMPLETE and PERSISTED), never one written
   * through tierfs and not yet persisted.
   */
  mirrorInodes(inodes: readonly Inode[]): Promise<void>;
  /** Changes the named fields of an inode if it matches the guard; false when it does not. */
  patchInode(path: string, guard: InodeGuard, patch: InodePatch): Promise<boolean>;
  /** Changes the attributes of an inode and everything below it; returns how many changed. */
  patchTree(path: string, patch: AttributePatch): Promise<number>;
  /** Removes an inode (when it matches the guard) and everything below it; returns how many went. */
  deleteTree(path: string, guard?: InodeGuard): Promise<number>;
  /**
   * Removes the children of a directory that mirror the under store (COMPLETE, PERSISTED) and were
   * last synced before `syncedBeforeMs`, with everything below them, except the paths in `keep`;
   * with `names`, only children named after `after` and up to `upTo` (byte order, both optional).
   */
  deleteStaleChildren(
    path: string,
    syncedBeforeMs: number,
    keep: readonly string[],
    names?: NameRange,
  ): Promise<number>;
  /**
   * Moves an inode and everything below it (and their persist tasks) when the source matches the
   * guard and the destination is free; false, with nothing moved, otherwise.
   */
  renameTree(source: string, destination: string, guard?: InodeGuard): Promise<boolean>;

  /** An overwrite in progress: the inode it will become, kept apart from the one it replaces. */
  putPendingWrite(inode: Inode): Promise<void>;
  /** Removes and returns a pending write (undefined when there is none). */
  takePendingWrite(path: string, contentId: string): Promise<Inode | undefined>;

  /**
   * Queues (or re-queues, replacing any older task of the path) a persist; PENDING, unclaimed. With
   * `commit`, the task is COMMITTING, held by `commit.owner` until its lease ends: a write moving its
   * object into place, which overwrites and deletes of the path wait for (see cancelPersists).
   */
  enqueuePersist(task: PersistEnqueue): Promise<void>;
  getPersistTask(path: string): Promise<PersistTask | undefined>;
  listPersistTasks(state?: PersistTaskState): Promise<PersistTask[]>;
  /**
   * Cancels the persist tasks of a path (and, when recursive, of everything below it): drops
   * them, or with `requeueAtMs` ends their running attempts and sets them back to PENDING, due
   * then. Rejects with a retryable CONFLICT, changing nothing, while one of them is COMMITTING
   * under a live lease: its object is being moved into place and must land before the path changes.
   */
  cancelPersists(
    path: string,
    options: { recursive: boolean; nowMs: number; requeueAtMs?: number },
  ): Promise<number>;
  /**
   * Claims up to `limit` tasks: PENDING or FAILED ones due by now, and RUNNING or COMMITTING ones
   * whose lease expired (their owner is gone). Each claimed task is RUNNING, owned, leased, with
   * one more attempt. One statement on PostgreSQL (FOR UPDATE SKIP LOCKED).
   */
  claimPersists(options: ClaimOptions): Promise<PersistTask[]>;
  /**
   * Changes a claimed task, only while `owner` still holds it for that content; false otherwise
   * (cancelled, replaced or taken over).
   */
  updateClaimedPersist(
    path: string,
    claim: { owner: string; contentId: string },
    change: {
      state: PersistTaskState;
      leaseUntilMs?: number;
      temporaryPath?: string;
      lastError?: string;
      retryAtMs?: number;
    },
  ): Promise<boolean>;
  /** Removes a task (only the one of that content, when given); false when there was none. */
  removePersist(path: string, claim?: { owner?: string; contentId?: string }): Promise<boolean>;
  /**
   * Drops writes abandoned before `startedBeforeMs` (their client or master died between create
   * and complete; past their capability's lifetime they can never complete): INCOMPLETE files and
   * pending overwrites, whose parked persists resume. Returns how many went.
   */
  dropAbandonedWrites(startedBeforeMs: number): Promise<number>;
  /** Records a temporary object before anything writes it, so that it is swept if it outlives its writer. */
  addTemporary(temporary: TemporaryObject): Promise<void>;
  /** Forgets a temporary object once it was moved into place or removed. */
  removeTemporary(mountPath: string, ufsPath: string): Promise<void>;
  /**
   * Temporary objects recorded before `createdBeforeMs` that no persist with a live lease (at
   * `nowMs`) is writing: leftovers, oldest first.
   */
  listLeftoverTemporaries(options: {
    createdBeforeMs: number;
    nowMs: number;
    limit: number;
  }): Promise<TemporaryObject[]>;
  /**
   * Of these content ids, those whose staged copy on a worker is still needed: a file holds the
   * content and it is not persisted yet, or a write of it is in progress. The others are leftovers.
   */
  neededStagedContent(contentIds: readonly string[]): Promise<string[]>;
}

/**
 * The store. `transaction(fn)` runs fn with every read and write it makes in one serializable
 * transaction, committed when fn resolves and rolled back when it rejects. fn may be run again
 * when the database reports a serialization failure, so it must do nothing but store calls
 * (no I/O to under stores, no side effects it cannot repeat), and must not call the store itself.
 * Each MetaTransaction method called on the store directly is its own transaction.
 */
export interface MetaStore extends MetaTransaction {
  /**
   * Whether other masters may change this store while this one runs (PostgreSQL): what a master
   * keeps of it in memory (the mount table) must then be checked against it. SQLite has one master.
   */
  readonly shared: boolean;

  transaction<T>(fn: (tx: MetaTransaction) => Promise<T>): Promise<T>;

  listMounts(): Promise<MountRecord[]>;
  /** Adds a mount and moves the mount generation on, in one transaction. */
  addMount(mount: MountRecord): Promise<void>;
  /** Removes a mount (and moves the generation on); false when there was none. */
  removeMount(path: string): Promise<boolean>;
  /**
   * Replaces a mount's options in place (one statement; the generation moves on): the secret
   * sealing of an old install, which must never leave the mount missing. False when there is none.
   */
  updateMountOptions(path: string, options: Record<string, string>): Promise<boolean>;
  /**
   * A counter that changes with every mount added or removed (by any master): a master keeps the
   * mount table in memory and reloads it only when this moved.
   */
  mountGeneration(): Promise<number>;

  /**
   * Records a worker's heartbeat at `nowMs`. True when the worker is new, restarted (another
   * startedMs) or back after missing its lease (`leaseMs`): the masters hand it work again.
   */
  heartbeatWorker(worker: WorkerRecord, leaseMs: number): Promise<boolean>;
  /** Every worker that ever sent a heartbeat and did not leave, by id. */
  listWorkers(): Promise<WorkerRecord[]>;
  /** Forgets a worker (it left); false when it was not known. */
  removeWorker(id: string): Promise<boolean>;

  /**
   * Takes or renews the lease `name` for `owner` until `nowMs + leaseMs`: granted when nobody
   * holds it, `owner` already does, or the holder's lease ran out (it died). One atomic statement,
   * so of masters racing for one lease exactly one wins. Background work that only one master may
   * do at a time (a sweep, a job) runs under one.
   */
  acquireLease(name: string, owner: string, options: { nowMs: number; leaseMs: number }): Promise<boolean>;
  /** Gives a lease up (only when `owner` holds it). */
  releaseLease(name: string, owner: string): Promise<void>;

  putJob(job: JobRecord): Promise<void>;
  getJob(id: string): Promise<JobRecord | undefined>;
  listJobs(options?: { type?: string; limit?: number }): Promise<JobRecord[]>;

  putToken(token: TokenRecord): Promise<void>;
  getToken(id: string): Promise<TokenRecord | undefined>;
  /** Every token, oldest first. */
  listTokens(): Promise<TokenRecord[]>;
  /** Removes a token; false when there was none with that id. */
  removeToken(id: string): Promise<boolean>;

  /** Small cluster-wide values: format time, cluster id. */
  getValue(key: string): Promise<string | undefined>;
  setValue(key: string, value: string): Promise<void>;

  close(): Promise<void>;
}

/** Every path from the root down to `path` (`/`, `/a`, `/a/b` for `/a/b`). */
export function ancestryOf(path: string): string[] {
  if (path === '/') return ['/'];
  const paths = ['/'];
  for (let at = path.indexOf('/', 1); at !== -1; at = path.indexOf('/', at + 1))
    paths.push(path.slice(0, at));
  paths.push(path);
  return paths;
}

/** Parent of an absolute namespace path (`` for `/`). */
export function parentOf(path: string): string {
  if (path === '/') return '';
  const slash = path.lastIndexOf('/');
  return slash === 0 ? '/' : path.slice(0, slash);
}

export function nameOf(path: string): string {
  return path === '/' ? '' : path.slice(path.lastIndexOf('/') + 1);
}
