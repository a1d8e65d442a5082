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

export type PersistTaskState = 'PENDING' | 'RUNNING' | 'FAILED';

export interface PersistTask {
  readonly path: string;
  readonly contentId: string;
  /** The worker holding the data to persist. */
  readonly workerId: string;
  readonly state: PersistTaskState;
  readonly attempts: number;
  readonly lastError?: string;
  readonly enqueuedMs: number;
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

/** A user token: the token itself is never stored, only its SHA-256 hash. */
export interface TokenRecord {
  /** Short public id: shown by `tierfs auth token list`, named by `revoke`, part of the token. */
  readonly id: string;
  /** SHA-256 of the whole token, hex. */
  readonly hash: string;
  readonly user: string;
  readonly groups: readonly string[];
  readonly createdMs: number;
}

export interface ChildPage {
  readonly inodes: readonly Inode[];
  /** Name of the last child returned when more may follow. */
  readonly after?: string;
}

export interface MetaStore {
  getInode(path: string): Promise<Inode | undefined>;
  /** Inserts or replaces inodes in one transaction. */
  putInodes(inodes: readonly Inode[]): Promise<void>;
  /** Children of a directory in name order, at most `limit`, after the child named `after`. */
  listChildren(path: string, options: { after?: string; limit: number }): Promise<ChildPage>;
  countChildren(path: string): Promise<number>;
  /** Removes the inode and everything below it; returns how many inodes went. */
  deleteTree(path: string): Promise<number>;
  /** Moves an inode and everything below it to a new path in one transaction. */
  renameTree(source: string, destination: string): Promise<void>;
  /** Every inode below a path (not the path itself), in path order, a page at a time. */
  listDescendants(path: string, options: { after?: string; limit: number }): Promise<readonly Inode[]>;

  /** An overwrite in progress: the inode it will become, kept apart from the one it replaces. */
  putPendingWrite(inode: Inode): Promise<void>;
  /** Removes and returns a pending write (undefined when there is none). */
  takePendingWrite(path: string, contentId: string): Promise<Inode | undefined>;

  listMounts(): Promise<MountRecord[]>;
  addMount(mount: MountRecord): Promise<void>;
  removeMount(path: string): Promise<boolean>;

  enqueuePersist(task: Omit<PersistTask, 'state' | 'attempts'>): Promise<void>;
  listPersistTasks(state?: PersistTaskState): Promise<PersistTask[]>;
  updatePersistTask(path: string, change: { state: PersistTaskState; lastError?: string }): Promise<void>;
  removePersistTask(path: string): Promise<void>;

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

/** Parent of an absolute namespace path (`` for `/`). */
export function parentOf(path: string): string {
  if (path === '/') return '';
  const slash = path.lastIndexOf('/');
  return slash === 0 ? '/' : path.slice(0, slash);
}

export function nameOf(path: string): string {
  return path === '/' ? '' : path.slice(path.lastIndexOf('/') + 1);
}
