/**
 * One open file being read through the mount. The file is pinned to the content it had when it
 * was opened (a handle never mixes two versions); its stream from the worker is opened at the
 * first read (an open whose reads the kernel's page cache serves asks the worker nothing), and
 * sequential reads are served from that one stream. Reads that arrive a little out of order (the kernel's read-ahead runs
 * several at once) are served from the bytes just read; a read far from the stream's position (a
 * seek, or a hole the kernel's page cache lacks in a warm pass) opens a ranged read there of at
 * most 1 MiB, continued to the end of the file once the reads prove sequential (the next read
 * starts where it ended); a read past its end that leaves a gap opens another ranged read.
 *
 * A warm pass through the mount asks only for the folios the kernel's page cache lost since the
 * last pass (a few KiB each, far apart: the machine's memory management takes single folios back
 * from clean page caches, of local files too). Those reads are served from the file's page files
 * at the worker on this host, pinned once per handle for a short-circuit lease (pinned-file.ts):
 * no request to the worker per hole.
 */
import type { Readable } from 'node:stream';
import type { ReadType, TierfsClient } from '../client/client.js';
import type { PinnedFile } from '../cluster/pinned-file.js';
import type { FileStatus } from '../cluster/wire.js';
import { isTierfsError, TierfsError } from '../errors.js';

/** Bytes kept behind the stream's position for reads that arrive late. */
const KEPT_BEHIND = 8 * 1024 * 1024;
/** Least a stream is read ahead of the kernel's reads (more when max_readahead is larger). */
const MIN_AHEAD = 4 * 1024 * 1024;
/**
 * Most a read away from the stream opens a ranged read of (its own length when larger): a warm
 * pass asks the mount only for the few folios the page cache lacks, each a few KiB, far apart.
 */
const FAR_READ = 1024 * 1024;

interface Chunk {
  readonly start: number;
  readonly bytes: Buffer;
}

/**
 * A worker stream read ahead of its reader: chunks are taken off the socket as they arrive, up to
 * `aheadBytes` not yet read, so the worker (and, cold, the under store behind it) keeps sending
 * while the kernel's reads come in bursts; past that the stream is paused until the reader catches up.
 */
class StreamCursor {
  private readonly ahead: Buffer[] = [];
  private aheadBytes = 0;
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly stream: Readable,
    /** File offset of the stream's next byte. */
    public position: number,
    /** File offset where the stream ends. */
    readonly end: number,
    private readonly aheadLimit: number,
  ) {
    stream.on('data', (chunk: Buffer) => {
      this.ahead.push(chunk);
      this.aheadBytes += chunk.length;
      if (this.aheadBytes >= this.aheadLimit) stream.pause();
      this.notify();
    });
    stream.on('end', () => {
      this.ended = true;
      this.notify();
    });
    // Closing early must not be an uncaught error; a failure reaches the reader at its next read.
    stream.on('error', (error) => {
      this.failure ??= error;
      this.notify();
    });
    stream.on('close', () => {
      if (!this.ended) this.failure ??= new TierfsError('UNAVAILABLE', 'the worker closed the stream early');
      this.notify();
    });
  }

  /** Up to `max` next bytes; empty at the end of the stream. */
  async next(max: number): Promise<Buffer> {
    while (this.ahead.length === 0) {
      if (this.ended) return Buffer.alloc(0);
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    const first = this.ahead[0]!;
    const out = first.length <= max ? first : first.subarray(0, max);
    if (out === first) this.ahead.shift();
    else this.ahead[0] = first.subarray(max);
    this.aheadBytes -= out.length;
    if (this.stream.isPaused() && this.aheadBytes < this.aheadLimit) this.stream.resume();
    this.position += out.length;
    return out;
  }

  close(): void {
    this.ended = true;
    this.ahead.length = 0;
    this.aheadBytes = 0;
    this.stream.destroy();
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

export interface ReadHandleOptions {
  readonly readType: ReadType;
  readonly readAheadBytes: number;
}

export class ReadHandle {
  private cursor: StreamCursor | undefined;
  private kept: Chunk[] = [];
  private keptBytes = 0;
  private queue: Promise<unknown> = Promise.resolve();
  /** Ranged opens so far (the first, whole-file open not counted): for tests and the debug log. */
  rangedOpens = 0;
  /** The file's page files pinned at a worker on this host, asked for at the first read away from the stream. */
  private pinned: Promise<PinnedFile | undefined> | undefined;

  private constructor(
    private readonly client: TierfsClient,
    private status: FileStatus,
    /** The capability to read this version at the worker straight, when there is one to have. */
    private capability: (() => Promise<string | undefined>) | undefined,
    private readonly options: ReadHandleOptions,
    private refresh: (() => Promise<FileStatus>) | undefined,
    /** The whole file, fetched ahead for this version (small-file-prefetch.ts). */
    private prefetched: Promise<Buffer | undefined> | undefined,
  ) {}

  /**
   * The file, pinned to the content `status` names; its stream opens at the first read, at the
   * worker straight with `capability` (from a directory page: the master signed it for that
   * content) or else through an open at the master. Should that content be gone by then (`status`
   * came from a cache), `refresh` gives the file's status now, once, before any byte was read.
   */
  static open(
    client: TierfsClient,
    file: {
      status: FileStatus;
      capability?: () => Promise<string | undefined>;
      prefetched?: Promise<Buffer | undefined>;
    },
    options: ReadHandleOptions,
    refresh?: () => Promise<FileStatus>,
  ): ReadHandle {
    return new ReadHandle(client, file.status, file.capability, options, refresh, file.prefetched);
  }

  /** The version read. */
  get contentId(): string {
    return this.status.contentId;
  }

  get size(): number {
    return this.status.size;
  }

  /** Copies the bytes at `offset` into `into`; the count, short only at the end of the file. */
  read(offset: number, into: Buffer): Promise<number> {
    // One read at a time per handle: each moves the stream its successor continues from.
    const result = this.queue.then(() => this.readNow(offset, into));
    this.queue = result.catch(() => undefined);
    return result;
  }

  close(): void {
    void this.pinned?.then((pinned) => pinned?.release());
    this.cursor?.close();
    this.cursor = undefined;
    this.kept = [];
  }

  private async readNow(offset: number, into: Buffer): Promise<number> {
    if (this.prefetched) {
      const whole = await this.prefetched;
      if (whole?.length === this.size) {
        const end = Math.min(offset + into.length, this.size);
        return offset >= end ? 0 : whole.copy(into, 0, offset, end);
      }
      this.prefetched = undefined; // Not fetched after all: read it from the worker.
    }
    const end = Math.min(offset + into.length, this.size);
    if (offset > 0 && offset < end && !this.near(offset)) {
      const copied = await this.readPinned(offset, end, into);
      if (copied !== undefined) return copied;
    }
    if (this.refresh) await this.firstOpen(offset, into.length);
    if (offset >= end) return 0;
    if (!this.near(offset)) await this.reopen(offset, this.farLength(into.length));
    while (this.cursor!.position < end) {
      if (this.cursor!.position >= this.cursor!.end) {
        if (offset > this.cursor!.position) {
          // Past the end of a ranged read, not where it ended (the next hole): ranged again.
          await this.reopen(offset, this.farLength(into.length));
          continue;
        }
        // A ranged read ran out and the reads went on: they are sequential, stream to the end.
        await this.reopen(this.cursor!.position, this.size - this.cursor!.position, true);
      }
      const start = this.cursor!.position;
      const bytes = await this.cursor!.next(end - start);
      if (bytes.length === 0) {
        throw new TierfsError(
          'UNAVAILABLE',
          `the worker ended ${this.status.path} at byte ${start} of ${this.size}`,
        );
      }
      this.keep({ start, bytes });
    }
    return this.copyKept(offset, end, into);
  }

  /** Whether a read at `offset` is served by the stream (from the bytes kept, or read on to). */
  private near(offset: number): boolean {
    const cursor = this.cursor;
    if (cursor === undefined) return false;
    const keptFrom = this.kept[0]?.start ?? cursor.position;
    return offset >= keptFrom && offset <= cursor.position + this.options.readAheadBytes;
  }

  /**
   * A read away from the stream, from the file's pinned page files (pinned once per handle, with
   * the capability from its directory's page or else an open at the master); undefined when they
   * cannot serve it, and the stream reads it.
   */
  private async readPinned(offset: number, end: number, into: Buffer): Promise<number | undefined> {
    this.pinned ??= (async () => {
      if (typeof this.client.pinFile !== 'function') return undefined;
      const capability = await this.capability?.().catch(() => undefined);
      return this.client.pinFile({ status: this.status, capability });
    })();
    const pinned = await this.pinned;
    const bytes = await pinned?.read(offset, end - offset);
    if (bytes?.length !== end - offset) {
      // Not served (the lease about to end, a page file gone): the stream reads from now on.
      if (pinned) {
        pinned.release();
        this.pinned = Promise.resolve(undefined);
      }
      return undefined;
    }
    return bytes.copy(into);
  }

  /** The length of a ranged read for a read of `wanted` bytes away from the stream. */
  private farLength(wanted: number): number {
    return Math.max(wanted, Math.min(FAR_READ, this.options.readAheadBytes));
  }

  /** The first stream: from the start to the end when the first read is at the start. */
  private async firstOpen(offset: number, wanted: number): Promise<void> {
    const refresh = this.refresh!;
    this.refresh = undefined;
    const length = offset === 0 ? this.size : this.farLength(wanted);
    try {
      await this.reopen(offset, length);
    } catch (error) {
      if (!isTierfsError(error, 'STALE') && !isTierfsError(error, 'NOT_FOUND')) throw error;
      this.status = await refresh();
      this.capability = undefined;
      await this.reopen(offset, offset === 0 ? this.size : length);
    }
  }

  private async reopen(offset: number, length: number, keepChunks = false): Promise<void> {
    this.cursor?.close();
    if (!keepChunks) {
      this.kept = [];
      this.keptBytes = 0;
    }
    const bounded = Math.min(length, this.size - offset);
    if (offset > 0 || bounded < this.size) this.rangedOpens++;
    const range = {
      contentId: this.status.contentId,
      readType: this.options.readType,
      offset,
      length: bounded,
    };
    // With a capability the worker is asked straight (an expired one, or a changed file, falls
    // back to an open at the master, pinned to the same content).
    const capability = await this.capability?.();
    if (capability) this.capability = async () => capability;
    const stream = capability
      ? await this.client.readListed({ status: this.status, capability }, range)
      : await this.client.openFile(this.status.path, range);
    this.cursor = new StreamCursor(
      stream,
      offset,
      offset + bounded,
      Math.max(this.options.readAheadBytes, MIN_AHEAD),
    );
  }

  private keep(chunk: Chunk): void {
    this.kept.push(chunk);
    this.keptBytes += chunk.bytes.length;
    while (this.kept.length > 1 && this.keptBytes - this.kept[0]!.bytes.length >= KEPT_BEHIND) {
      this.keptBytes -= this.kept.shift()!.bytes.length;
    }
  }

  private copyKept(offset: number, end: number, into: Buffer): number {
    let copied = 0;
    for (const { start, bytes } of this.kept) {
      const chunkEnd = start + bytes.length;
      if (chunkEnd <= offset || start >= end) continue;
      const from = Math.max(offset, start);
      const to = Math.min(end, chunkEnd);
      bytes.copy(into, from - offset, from - start, to - start);
      copied += to - from;
    }
    if (copied !== end - offset) {
      throw new TierfsError(
        'INTERNAL',
        `read of ${this.status.path} at ${offset} found ${copied} of ${end - offset} bytes`,
      );
    }
    return copied;
  }
}
