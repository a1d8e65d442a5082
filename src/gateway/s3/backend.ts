/**
 * What the S3 gateway needs from the storage it serves: a tree of directories and files with
 * streamed reads and atomic streamed writes. The first implementation sits on an UnderStore
 * (ufs-backend.ts); the cluster namespace will implement the same interface. Buckets, keys,
 * listing order, metadata and multipart uploads are the gateway's own business above it.
 *
 * Paths are `/`-separated and relative to the gateway root (`''`); buckets are its top-level
 * directories. Failures are TierfsErrors with the UnderStore contract's codes.
 */
import type { Readable, Writable } from 'node:stream';

export interface BackendEntry {
  /** Last path component. */
  readonly name: string;
  readonly isDirectory: boolean;
  readonly size: number;
  /** Last modification, ms since the epoch, when known. */
  readonly mtimeMs: number | undefined;
  /** Changes whenever the content may have changed. */
  readonly fingerprint: string;
}

export interface GatewayBackend {
  /** Human-readable location for logs, e.g. the root URI. */
  readonly description: string;
  /** The entry at `path`, or undefined when nothing is there. */
  stat(path: string): Promise<BackendEntry | undefined>;
  /** Direct children of a directory, in any order, page by page (NOT_FOUND when it is missing). */
  children(path: string): AsyncIterable<BackendEntry>;
  /**
   * Reads `length` bytes (default: to the end) from `offset`; of the version whose fingerprint is
   * `version` only, when given (STALE when the file has another one).
   */
  open(path: string, range?: { offset: number; length: number }, version?: string): Promise<Readable>;
  /**
   * Starts replacing the file at `path` (parents are created). The content becomes visible only
   * when the stream finishes; destroying it leaves nothing behind.
   */
  create(path: string): Promise<Writable>;
  mkdirs(path: string): Promise<void>;
  /** Moves a file or directory to a path that does not exist (ALREADY_EXISTS otherwise). */
  rename(source: string, destination: string): Promise<void>;
  /** Deletes a file or an empty directory (DIRECTORY_NOT_EMPTY otherwise); recursive deletes everything. */
  delete(path: string, options?: { recursive?: boolean }): Promise<void>;
  close(): Promise<void>;
}
