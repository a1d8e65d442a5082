/**
 * One open file being read through the mount. The file is pinned to the content it had when it
 * was opened (a handle never mixes two versions); its stream from the worker is opened at the
 * first read (an open whose reads the kernel's page cache serves asks the worker nothing), and
 * sequential reads are served from that one stream. Reads that arrive a little out of order (the kernel's read-ahead runs
 * several at once) are served from the bytes just read; a read far from the stream's position
 * opens a ranged read there, of `readAheadBytes`, continued to the end of the file once the reads
 * prove sequential.
 */
import type { Readable } from 'node:stream';
import type { ReadType, TierfsClient } from '../client/client.js';
import type { FileStatus } from '../cluster/wire.js';
import { isTierfsError, TierfsError } from '../errors.js';

/** Bytes kept behind the stream's position for reads that arrive late. */
const KEPT_BEHIND = 8 * 1024 * 1024;

interface Chunk {
  readonly start: number;
  readonly bytes: Buffer;
}

class StreamCursor {
  private readonly chunks: AsyncIterator<Buffer>;
  private leftover: Buffer | undefined;
  private ended = false;

  constructor(
    private readonly stream: Readable,
    /** File offset of the stream's next byte. */
    public position: number,
    /** File offset where the stream ends. */
    readonly end: number,
  ) {
    this.chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    // Failures reach the reader through the iterator; closing early must not be an uncaught error.
    stream.on('error', () => undefined);
  }

  /** Up to `max` next bytes; empty at the end of the stream. */
  async next(max: number): Promise<Buffer> {
    if (this.leftover === undefined) {
      if (this.ended) return Buffer.alloc(0);
      const step = await this.chunks.next();
      if (step.done) {
        this.ended = true;
        return Buffer.alloc(0);
      }
      this.leftover = step.value;
    }
    const out = this.leftover.length <= max ? this.leftover : this.leftover.subarray(0, max);
    this.leftover = out === this.leftover ? undefined : this.leftover.subarray(max);
    this.position += out.length;
    return out;
  }

  close(): void {
    this.stream.destroy();
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

  private constructor(
    private readonly client: TierfsClient,
    private status: FileStatus,
    private readonly options: ReadHandleOptions,
    private refresh: (() => Promise<FileStatus>) | undefined,
  ) {}

  /**
   * The file, pinned to the content `status` names; its stream opens at the first read. Should
   * that content be gone by then (`status` came from a cache), `refresh` gives the file's status
   * now, once, before any byte was read.
   */
  static open(
    client: TierfsClient,
    status: FileStatus,
    options: ReadHandleOptions,
    refresh?: () => Promise<FileStatus>,
  ): ReadHandle {
    return new ReadHandle(client, status, options, refresh);
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
    this.cursor?.close();
    this.cursor = undefined;
    this.kept = [];
  }

  private async readNow(offset: number, into: Buffer): Promise<number> {
    if (this.refresh) await this.firstOpen(offset);
    const end = Math.min(offset + into.length, this.size);
    if (offset >= end) return 0;
    const cursor = this.cursor;
    const keptFrom = this.kept[0]?.start ?? cursor?.position ?? 0;
    const near =
      cursor !== undefined && offset >= keptFrom && offset <= cursor.position + this.options.readAheadBytes;
    if (!near) await this.reopen(offset, Math.max(into.length, this.options.readAheadBytes));
    while (this.cursor!.position < end) {
      if (this.cursor!.position >= this.cursor!.end) {
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

  /** The first stream: from the start to the end when the first read is at the start. */
  private async firstOpen(offset: number): Promise<void> {
    const refresh = this.refresh!;
    this.refresh = undefined;
    const length = offset === 0 ? this.size : this.options.readAheadBytes;
    try {
      await this.reopen(offset, length);
    } catch (error) {
      if (!isTierfsError(error, 'STALE') && !isTierfsError(error, 'NOT_FOUND')) throw error;
      this.status = await refresh();
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
    const stream = await this.client.openFile(this.status.path, {
      contentId: this.status.contentId,
      readType: this.options.readType,
      offset,
      length: bounded,
    });
    this.cursor = new StreamCursor(stream, offset, offset + bounded);
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
