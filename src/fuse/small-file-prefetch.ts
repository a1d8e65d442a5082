/**
 * Reads ahead of a walk through a directory's small files (`find | xargs cat`, a data loader going
 * through its samples): when a file is opened right after the one before it in the listing, the
 * next small files of the listing are fetched from their workers, several at once, and held for
 * their opens. Each is fetched with the capability of the version its listing page named and is
 * only handed to an open of that same version (the open's attributes, fresh within
 * `attr_timeout`); unclaimed, it is dropped after that time. A version this mount has read before
 * is not fetched again: the kernel's page cache holds it.
 */
import type { Readable } from 'node:stream';
import type { ListedFile, ReadType } from '../client/client.js';
import type { FileStatus } from '../cluster/wire.js';

/** A file that may be fetched ahead, and how to have the capability to read its version. */
export interface PrefetchCandidate {
  readonly status: FileStatus;
  readonly capability: () => Promise<string | undefined>;
}

export interface SmallFilePrefetchOptions {
  /** Reads a listed file whole (the client's `readListed`). */
  readonly read: (file: ListedFile, options: { contentId: string; readType: ReadType }) => Promise<Readable>;
  readonly readType: ReadType;
  /** How long an unclaimed file is held (the attribute time to live). */
  readonly holdMs: number;
  /** Largest file fetched ahead. */
  readonly maxFileBytes?: number;
  /** Files fetched ahead of the one opened. */
  readonly depth?: number;
  /** Bytes held (fetched or being fetched) at most. */
  readonly maxHeldBytes?: number;
  /** Fetches running at once at most. */
  readonly maxRunning?: number;
}

interface Held {
  readonly contentId: string;
  readonly size: number;
  readonly bytes: Promise<Buffer | undefined>;
  readonly timer: NodeJS.Timeout;
}

const REMEMBERED_READS = 200_000;

export class SmallFilePrefetch {
  private readonly held = new Map<string, Held>();
  private heldBytes = 0;
  private running = 0;
  /** Versions (content ids) this mount has read: the kernel keeps their pages. */
  private readonly read = new Set<string>();
  /** Files opened lately, by path: a walk shows as an open of the file after one of them. */
  private readonly opened = new Set<string>();
  private readonly maxFileBytes: number;
  private readonly depth: number;
  private readonly maxHeldBytes: number;
  private readonly maxRunning: number;

  constructor(private readonly options: SmallFilePrefetchOptions) {
    this.maxFileBytes = options.maxFileBytes ?? 1024 * 1024;
    this.depth = options.depth ?? 16;
    this.maxHeldBytes = options.maxHeldBytes ?? 64 * 1024 * 1024;
    this.maxRunning = options.maxRunning ?? 32;
  }

  /**
   * An open of `path` (of the version `contentId`): its bytes when they were fetched ahead for that
   * version (undefined should that fetch fail), or undefined. `before` is the path of the file
   * before it in its directory's listing, `next` the files after it (with their capabilities):
   * when `before` was opened lately, the walk goes on and they are fetched ahead.
   */
  claim(
    path: string,
    contentId: string,
    before: string | undefined,
    next: () => PrefetchCandidate[],
  ): Promise<Buffer | undefined> | undefined {
    const held = this.held.get(path);
    if (held) this.drop(path, held);
    this.remember(this.opened, path, 10_000);
    // A version read before: the kernel's pages serve it, and a walk through such files (a warm
    // one) finds the files after it read too; the first unread file it opens fetches ahead again.
    if (this.read.has(contentId)) return undefined;
    if (before !== undefined && this.opened.has(before)) {
      for (const file of next()) this.fetch(file);
    }
    return held?.contentId === contentId ? held.bytes : undefined;
  }

  /** Notes that the version `contentId` was read through the mount (its pages are the kernel's now). */
  noteRead(contentId: string): void {
    this.remember(this.read, contentId, REMEMBERED_READS);
  }

  /** Drops everything held. */
  clear(): void {
    for (const [path, held] of this.held) this.drop(path, held);
  }

  private fetch(file: PrefetchCandidate): void {
    const { status } = file;
    if (status.isDirectory || status.size > this.maxFileBytes) return;
    if (this.held.has(status.path) || this.read.has(status.contentId)) return;
    if (this.running >= this.maxRunning || this.heldBytes + status.size > this.maxHeldBytes) return;
    this.running++;
    const bytes = file
      .capability()
      .then(async (capability) => {
        if (capability === undefined) return undefined;
        const stream = await this.options.read(
          { status, capability },
          { contentId: status.contentId, readType: this.options.readType },
        );
        return collect(stream);
      })
      .then(
        (all) => (all?.length === status.size ? all : undefined),
        () => undefined, // The open reads it itself, and meets the failure there.
      )
      .finally(() => {
        this.running--;
      });
    const timer = setTimeout(() => {
      const held = this.held.get(status.path);
      if (held?.bytes === bytes) this.drop(status.path, held);
    }, this.options.holdMs);
    timer.unref();
    this.held.set(status.path, { contentId: status.contentId, size: status.size, bytes, timer });
    this.heldBytes += status.size;
  }

  private drop(path: string, held: Held): void {
    clearTimeout(held.timer);
    this.held.delete(path);
    this.heldBytes -= held.size;
  }

  private remember(set: Set<string>, key: string, max: number): void {
    set.delete(key);
    set.add(key);
    if (set.size > max) set.delete(set.values().next().value!);
  }
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
