/**
 * The JSON shapes of the master's API (`/api/v1` on the master RPC port), shared by the master,
 * the workers and the client. Every error is `{code, message}` with the code's HTTP status.
 */
import type { FileStatus, ListResult, WriteType } from '../namespace/namespace.js';

export type { FileStatus, ListResult, WriteType };

/** Request headers naming the caller (SIMPLE authentication, as Alluxio's default). */
export const USER_HEADER = 'x-tierfs-user';
export const GROUPS_HEADER = 'x-tierfs-groups';
/** Shared secret workers present on internal endpoints (written by `tierfs format`). */
export const CLUSTER_TOKEN_HEADER = 'x-tierfs-cluster-token';

export interface ErrorBody {
  readonly code: string;
  readonly message: string;
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

export interface CompleteFileRequest {
  readonly path: string;
  readonly contentId: string;
  readonly size: number;
  readonly ufsFingerprint?: string;
  readonly workerId?: string;
}

/** Running totals of one worker (`GET /internal/stats`), summed by the master's metrics sampler. */
export interface WorkerStats {
  readonly cacheHits: number;
  readonly cacheMisses: number;
  readonly cacheBytesRead: number;
  readonly cacheEvictions: number;
  readonly ufsBytesRead: number;
  readonly ufsOperations: number;
}

/** One sample of the cluster's totals (the master's own UFS calls included). */
export interface MetricsSample extends WorkerStats {
  readonly timeMs: number;
  readonly workers: number;
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
