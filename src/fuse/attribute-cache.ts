/**
 * The mount's cache of file attributes: a status fetched from the master (or seen in a listing)
 * is answered again for `ttlMs` without asking, so `ls -l` and `find` after a listing cost no more
 * calls. Changes made through the mount drop what they touch at once. Bounded: the oldest entries
 * go first. An entry from a directory page fetched for reading also holds the capability to read
 * the version it describes, so opening it asks the master nothing.
 */
import type { FileStatus } from '../cluster/wire.js';

/** Told of every change to the cache (the mount mirrors it into the binding's own cache). */
export interface AttributeCacheListener {
  /** `path` is answered with `status` until `expires` (Date.now() time). */
  set(path: string, status: FileStatus, expires: number): void;
  /** `path` (and, with `tree`, everything below it) is no longer answered. */
  invalidate(path: string, tree: boolean): void;
}

export class AttributeCache {
  private readonly entries = new Map<
    string,
    { status: FileStatus; capability: string | undefined; expires: number }
  >();

  /** Counts invalidations: a status fetched across one may be older than the change. */
  private invalidations = 0;

  listener: AttributeCacheListener | undefined;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 200_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(path: string): FileStatus | undefined {
    return this.entry(path)?.status;
  }

  /**
   * The status and, when it came with one, the capability to read that version; `expires` is when
   * it stops being answered.
   */
  entry(path: string): { status: FileStatus; capability: string | undefined; expires: number } | undefined {
    const entry = this.entries.get(path);
    if (entry === undefined) return undefined;
    if (entry.expires <= this.now()) {
      this.entries.delete(path);
      return undefined;
    }
    return entry;
  }

  set(path: string, status: FileStatus, capability?: string): void {
    if (this.ttlMs <= 0) return;
    this.entries.delete(path);
    const expires = this.now() + this.ttlMs;
    this.entries.set(path, { status, capability, expires });
    this.listener?.set(path, status, expires);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  /** Forgets a path. */
  invalidate(path: string): void {
    this.invalidations++;
    this.entries.delete(path);
    this.listener?.invalidate(path, false);
  }

  /** Forgets a path and everything below it (a renamed or removed directory). */
  invalidateTree(path: string): void {
    this.invalidations++;
    this.entries.delete(path);
    const prefix = path === '/' ? '/' : `${path}/`;
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
    this.listener?.invalidate(path, true);
  }

  /** Changes with every invalidation (compare before and after fetching a status). */
  get generation(): number {
    return this.invalidations;
  }

  get size(): number {
    return this.entries.size;
  }
}
