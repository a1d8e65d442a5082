/**
 * The JSON shapes that cross process boundaries: the master's API (`/api/v1` on its RPC port and
 * the admin REST API), the workers' data and internal endpoints. These are wire types, written for
 * their readers: no database row travels as it is stored. Every error is an ErrorBody with the
 * code's HTTP status.
 */
import type { InodeState, PersistenceState } from '../meta/store.js';
import type { WriteType } from './io-types.js';

export type { InodeState, PersistenceState, WriteType };

export interface ErrorBody {
  readonly code: string;
  readonly message: string;
  /** Structured facts (never secrets), e.g. the path a STALE read was for. */
  readonly details?: Readonly<Record<string, string | number | boolean>>;
  /** Whether the same call may succeed if tried again. */
  readonly retryable?: boolean;
}

/** A file or directory of the namespace, as clients see it. */
export interface FileStatus {
  /** Absolute namespace path, `/` or `/a/b`. */
  readonly path: string;
  /** Last path component (`''` for the root). */
  readonly name: string;
  readonly isDirectory: boolean;
  readonly size: number;
  readonly mtimeMs: number;
  readonly owner: string;
  readonly group: string;
  /** POSIX permission bits. */
  readonly mode: number;
  readonly persistence: PersistenceState;
  /** A file is listed only once COMPLETE (written and completed). */
  readonly state: InodeState;
  /** When tierfs last synced this entry's metadata with the under store (ms since the epoch). */
  readonly syncedAtMs: number;
  /** Identity of the content in the workers' caches (changes with every new version of a file). */
  readonly contentId: string;
  /** The under store's fingerprint of the version tierfs knows, when the file is in the under store. */
  readonly ufsFingerprint?: string;
  /** The path is a mount point. */
  readonly mountPoint: boolean;
  /** The mount the path belongs to. */
  readonly mountPath: string;
  /** Where the data lives (or will live) in the under store. */
  readonly ufsUri: string;
  /** Bytes of the file in the workers' caches: only in listings asked for with `cached` (files only). */
  readonly cachedBytes?: number;
}

export interface ListResult {
  readonly entries: readonly FileStatus[];
  readonly continuationToken?: string;
}

/**
 * The response header of `GET /api/v1/paths/list` that carries the page's continuation token ahead
 * of its body (which has it too): a client asks for the next page as soon as the head arrives,
 * while this page's body is still on its way and being parsed, so the master works on the next
 * page meanwhile.
 */
export const CONTINUATION_HEADER = 'x-tierfs-continuation-token';

/**
 * `GET /api/v1/paths/list?view=ls`: a page with only what `tierfs fs ls` prints, one array per
 * entry (LsRow) instead of a FileStatus object: a tenth of the bytes, and no object per entry to
 * build, serialise and parse on either side. Sent with LS_PAGE_CONTENT_TYPE; a master that does
 * not know the view answers a ListResult, which a client tells apart by the `rows` field.
 */
export interface LsPage {
  /** The listed directory: an entry's path is `dir` + `/` + its name (`/` + name in the root). */
  readonly dir: string;
  readonly rows: readonly LsRow[];
  readonly continuationToken?: string;
}

/**
 * One entry of an LsPage: name, LS_FLAG_* bits, mode, owner, group, size, persistence, mtimeMs,
 * then the cached bytes (`null` for a directory or when not asked for with `cached=true`) and, for
 * a mount point only, the under store mounted there (its ufsUri).
 */
export type LsRow = readonly [
  name: string,
  flags: number,
  mode: number,
  owner: string,
  group: string,
  size: number,
  persistence: PersistenceState,
  mtimeMs: number,
  cachedBytes: number | null,
  mountedUfsUri?: string,
];

export const LS_FLAG_DIRECTORY = 1;
export const LS_FLAG_MOUNT_POINT = 2;
export const LS_PAGE_CONTENT_TYPE = 'application/vnd.tierfs.ls-page+json';

/**
 * `POST /api/v1/paths/open-list`: a page of a directory and, by position, the capability to read
 * each file of it (null for a directory, or a file the caller may not read): one call where an
 * open per file would be one each.
 */
export interface OpenListResult extends ListResult {
  /** Empty when the page was asked for with `pageCapability` (pageCapabilities instead). */
  readonly capabilities: readonly (string | null)[];
  /**
   * Asked for with `pageCapability: true`: the read capabilities of the page's entries in page
   * capabilities (cluster/capability.ts PageCapability) of PAGE_CAPABILITY_FILES entries each,
   * entry i in `pageCapabilities[i / PAGE_CAPABILITY_FILES]` at index `i % PAGE_CAPABILITY_FILES`:
   * signed once per run of entries, not once per file, and checked by a worker once.
   */
  readonly pageCapabilities?: readonly string[];
  /** With `pageCapability`: the indices of the files the page capabilities grant no read of. */
  readonly unreadable?: readonly number[];
}

/**
 * `POST /api/v1/paths/open-list` asked with `"view": "rows"`: the page's statuses as arrays
 * (OpenRow) instead of FileStatus objects, the facts every entry of the page shares said once
 * (`dir`, `mountPath`, `ufsBase`), the capabilities as in OpenListResult. A client rebuilds each
 * FileStatus (client/open-rows.ts); a master that does not know the view answers an
 * OpenListResult, which a client tells apart by the `rows` field.
 */
export interface OpenRowsResult {
  /** The listed directory: an entry's path is `dir` + `/` + its name (`/` + name in the root). */
  readonly dir: string;
  /** The mount of an entry whose row has no mountPath of its own. */
  readonly mountPath: string;
  /** An entry whose row has no ufsUri of its own has `ufsBase` + its name. */
  readonly ufsBase: string;
  readonly rows: readonly OpenRow[];
  readonly continuationToken?: string;
  readonly capabilities: readonly (string | null)[];
  readonly pageCapabilities?: readonly string[];
  readonly unreadable?: readonly number[];
}

/**
 * One FileStatus of an OpenRowsResult: name, LS_FLAG_* bits, size, mtimeMs, owner, group, mode,
 * persistence, state, syncedAtMs, contentId, then ufsFingerprint, ufsUri and mountPath, each null
 * when absent (ufsFingerprint) or the page's (`ufsBase` + name, `mountPath`).
 */
export type OpenRow = readonly [
  name: string,
  flags: number,
  size: number,
  mtimeMs: number,
  owner: string,
  group: string,
  mode: number,
  persistence: PersistenceState,
  state: InodeState,
  syncedAtMs: number,
  contentId: string,
  ufsFingerprint: string | null,
  ufsUri: string | null,
  mountPath: string | null,
];

/** The entries of a listing page one page capability covers (open-list with `pageCapability`). */
export const PAGE_CAPABILITY_FILES = 256;

/** `POST /api/v1/paths/open`: the file and the capability its worker serves it for. */
export interface OpenFileResponse {
  readonly status: FileStatus;
  readonly capability: string;
}

/** `POST /api/v1/paths/create-file`: the incomplete file and the capability to write it. */
export interface CreateFileResponse {
  readonly status: FileStatus;
  readonly capability: string;
}

/** What a worker answers once a write is stored. */
export interface WriteReceipt {
  readonly size: number;
  /** Fingerprint of the object written to the under store (synchronous write types). */
  readonly ufsFingerprint?: string;
  readonly workerId: string;
  /** The same figures signed by the worker, for the master to complete the file with. */
  readonly receipt: string;
}

export interface TierUsage {
  readonly alias: string;
  readonly capacityBytes: number;
  readonly usedBytes: number;
}

export interface WorkerInfo {
  readonly id: string;
  /** `http://host:port` of the worker's data API. */
  readonly address: string;
  readonly startedMs: number;
  readonly lastHeartbeatMs: number;
  readonly tiers: readonly TierUsage[];
  readonly state: 'LIVE' | 'LOST';
}

export interface HeartbeatRequest {
  readonly id: string;
  readonly address: string;
  readonly startedMs: number;
  readonly tiers: readonly TierUsage[];
}

export interface HeartbeatResponse {
  /** The worker is considered lost when no heartbeat arrives for this long. */
  readonly leaseMs: number;
  /**
   * A digest of the mount table: when it changes, the worker opens the under stores of the mounts
   * (drivers loaded, clients made) before a read needs them. Absent from older masters.
   */
  readonly mountTable?: string;
}

export interface MountInfo {
  readonly path: string;
  readonly ufsUri: string;
  readonly readOnly: boolean;
  readonly shared: boolean;
  /** Secrets masked, except on the workers' internal endpoint. */
  readonly options: Readonly<Record<string, string>>;
}

export interface ClusterInfo {
  readonly version: string;
  readonly startedMs: number;
  readonly masterAddress: string;
  readonly webAddress: string;
  readonly workers: readonly WorkerInfo[];
}

export interface CreateFileRequest {
  readonly path: string;
  readonly overwrite?: boolean;
  readonly writeType?: WriteType;
  readonly mode?: number;
  readonly recursive?: boolean;
}

/** `POST /api/v1/paths/complete-file`: the write capability and the worker's signed receipt. */
export interface CompleteFileRequest {
  readonly capability: string;
  readonly receipt: string;
}

/** Running totals of one worker (`GET /internal/stats`), summed by the master's metrics sampler. */
export interface WorkerStats {
  readonly cacheHits: number;
  readonly cacheMisses: number;
  readonly cacheBytesRead: number;
  readonly cacheEvictions: number;
  readonly ufsBytesRead: number;
  readonly ufsOperations: number;
  /** File bytes clients wrote through the worker (counted as they arrive). */
  readonly bytesWritten: number;
}

/** One sample of the cluster's totals (the master's own UFS calls included). */
export interface MetricsSample extends WorkerStats {
  readonly timeMs: number;
  readonly workers: number;
}

/** `POST /internal/persist` on a worker: upload a staged file to its under store. */
export interface PersistRequest {
  readonly path: string;
  readonly contentId: string;
  readonly size: number;
  readonly mountPath: string;
  /** Where the worker writes the data: a temporary path of the mount (ufs/temporary.ts). */
  readonly ufsPath: string;
  /**
   * The file's own path in the mount, which the master moves the data over: a file that needs
   * parts goes up as a multipart upload left open there (CreateOptions.commitTo), no temporary object.
   */
  readonly commitTo?: string;
}

/** What `POST /internal/persist` answers (see PersistRequest). */
export interface PersistResponse {
  /** The fingerprint of the object written at ufsPath, when no commitTo was given. */
  readonly ufsFingerprint?: string;
  /** The multipart upload left open at commitTo, which the master completes (or aborts). */
  readonly pendingUpload?: string;
}

/** `POST /internal/cached` on a worker: how many bytes of each file its page store holds. */
export interface CachedRequest {
  readonly files: readonly { readonly contentId: string; readonly size: number }[];
}

export interface CachedResponse {
  readonly cachedBytes: readonly number[];
}

export interface TierCapacity {
  readonly alias: string;
  readonly capacityBytes: number;
  readonly usedBytes: number;
  readonly freeBytes: number;
}

/** `GET /api/v1/overview` on the web port: what the Overview page shows. */
export interface ClusterOverview extends ClusterInfo {
  readonly uptimeMs: number;
  /** Cache capacity of the live workers, summed per tier. */
  readonly tiers: readonly TierCapacity[];
  /** The root under store's capacity, when the store knows it. */
  readonly ufs: {
    readonly uri: string;
    readonly capacityBytes?: number;
    readonly usedBytes?: number;
    readonly freeBytes?: number;
  };
  readonly persistQueue: { readonly pending: number; readonly running: number; readonly failed: number };
  readonly warnings: readonly string[];
}

/** A page file of a short-circuit read: the page bytes are `size` bytes from `headerLength` on. */
export interface ShortCircuitFile {
  readonly pageIndex: number;
  readonly path: string;
  readonly headerLength: number;
  readonly size: number;
}

/**
 * `POST /data/short-circuit?contentId&offset&length` on a worker (a read capability): the page
 * files of the range, pinned until `POST /data/short-circuit/close?contentId&lease` or the lease's
 * end; or why the client must use `GET /data` instead.
 */
export type ShortCircuitResponse =
  | { readonly available: false; readonly reason: string }
  | {
      readonly available: true;
      readonly lease: string;
      readonly leaseExpiresMs: number;
      readonly pageSize: number;
      readonly files: readonly ShortCircuitFile[];
    };
