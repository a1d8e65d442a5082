/**
 * The JSON shapes of the tiered log's REST endpoints (master/log-routes.ts), shared with the CLI.
 * Sizes in requests are numbers of bytes or text such as `10M` (`-1` disables).
 */
import { parseBytes } from '../config/types.js';
import { TierfsError } from '../errors.js';
import type { OffloadStatus } from './topic-metadata.js';

export interface ProduceRequest {
  readonly topic: string;
  readonly messages: readonly string[];
  /** How messages are encoded: utf8 (default) or base64. */
  readonly encoding?: 'utf8' | 'base64';
}

export interface ProduceResponse {
  /** `L:E` of each message, in order. */
  readonly positions: readonly string[];
}

export interface ConsumedEntry {
  readonly position: string;
  /** Base64 payload. */
  readonly data: string;
}

export interface ConsumeResponse {
  readonly entries: readonly ConsumedEntry[];
  /** Where the next read starts. */
  readonly next: string;
}

export interface OffloadRequest {
  readonly topic: string;
  readonly sizeThreshold: number | string;
}

export interface OffloadResponse {
  readonly triggered: boolean;
  /** `persistent://tenant/ns/topic`. */
  readonly topic: string;
  /** `L:0:-1`: messages before it are offloaded. */
  readonly before?: string;
}

export type OffloadStatusResponse = OffloadStatus;

/** `10M`, `512KB`, `0`, `-1` (any negative: disabled) or a number. */
export function sizeOf(value: unknown, name: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const text = value.trim();
    try {
      return text.startsWith('-') ? -parseBytes(text.slice(1)) : parseBytes(text);
    } catch {
      // described below
    }
  }
  throw new TierfsError(
    'INVALID_ARGUMENT',
    `'${name}' must be a size such as 10M, 512KB, 0 or -1, got '${String(value)}'`,
  );
}

/** The lines `topics offload-status` prints (Pulsar's wording). */
export function offloadStatusLines(status: OffloadStatus): string[] {
  switch (status.state) {
    case 'RUNNING':
      return ['Offload is currently running'];
    case 'SUCCESS':
      return ['Offload was a success'];
    case 'ERROR':
      return ['Error in offload', '', `Reason: ${status.error ?? 'unknown'}`];
    default:
      return ['Offload has not been run'];
  }
}
