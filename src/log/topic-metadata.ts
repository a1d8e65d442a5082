/**
 * What a topic records about itself, in `topic.json` beside its ledger files (Pulsar keeps the
 * same in its metadata store, MLDataFormats.proto): the ledgers with their offload context, and the
 * status of the last offload run, which therefore survives restarts.
 */
import type { DriverMetadata } from './driver-config.js';
import type { Position } from './position.js';

export interface OffloadContext {
  /** The attempt: names the objects. Written before the upload starts (prepare). */
  readonly uuid: string;
  /** Set once the data and index objects are both in place (complete). */
  readonly complete: boolean;
  /** Where the attempt went; reads use this, not the current configuration. */
  readonly driver: DriverMetadata;
  readonly offloadedMs?: number;
}

export interface LedgerInfo {
  readonly ledgerId: number;
  entries: number;
  /** Payload bytes. */
  size: number;
  readonly createdMs: number;
  /** 0 while the ledger is open (the current ledger). */
  closedMs: number;
  offload?: OffloadContext;
  /** The local copy was deleted after the offload deletion lag. */
  localDeleted?: boolean;
}

export type OffloadState = 'NOT_RUN' | 'RUNNING' | 'SUCCESS' | 'ERROR';

export interface OffloadStatus {
  readonly state: OffloadState;
  /** SUCCESS: the first position not offloaded by the run (ledger L, entry 0). */
  readonly firstUnoffloaded?: Position;
  /** ERROR: `Error offloading: <cause>`. */
  readonly error?: string;
  /** Whether the run was triggered manually or by the namespace threshold. */
  readonly trigger?: 'manual' | 'threshold';
  readonly updatedMs: number;
}

export interface TopicMetadata {
  readonly version: 1;
  readonly createdMs: number;
  nextLedgerId: number;
  /** In ledger id order; the last one is the current (open) ledger. */
  ledgers: LedgerInfo[];
  offloadStatus: OffloadStatus;
}

export function newTopicMetadata(now: number): TopicMetadata {
  return {
    version: 1,
    createdMs: now,
    nextLedgerId: 0,
    ledgers: [],
    offloadStatus: { state: 'NOT_RUN', updatedMs: now },
  };
}
