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
