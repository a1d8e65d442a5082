/**
 * Serving a byte range of a file through the page store: cached pages come from the store, the
 * missing ones from the UFS, and fetched pages are cached unless the read type is NO_CACHE. Each run
 * of adjacent missing pages is one streamed fetch, read page by page as the bytes arrive, so a cold
 * sequential read is a single request whatever its length. This is what the worker calls.
 */
import { Readable } from 'node:stream';
import { TierfsError } from '../errors.js';
import { holdChunk, releaseChunk } from '../ufs/slab-pool.js';
import type { PageStore } from './page-store.js';

/** Alluxio's read types: NO_CACHE leaves the cache as it is, CACHE fills it, CACHE_PROMOTE also moves pages up. */
export type ReadType = 'NO_CACHE' | 'CACHE' | 'CACHE_PROMOTE';

/**
 * Reads `length` bytes at `offset` of the file from the UFS: all at once, or as a stream of chunks
 * (a Readable is one) that is consumed as far as the read needs and then closed.
 */
export type FetchRange = (offset: number, length: number) => Promise<Uint8Array | AsyncIterable<Uint8Array>>;

export interface RangeRead {
  /** The file's identity at its current fingerprint (see fileKeyOf). */
  readonly fileKey: string;
  readonly fileSize: number;
  readonly offset: number;
  /** Cut at the end of the file. */
  readonly length: number;
  /** Default CACHE. */
  readonly readType?: ReadType;
  readonly fetch: FetchRange;
}

/** Bytes of a page at file offset `start`: a cached page, or the received chunks of a fetched one. */
interface Piece {
  readonly start: number;
  readonly parts: readonly Uint8Array[];
}

/** The bytes of the range, in a new Buffer (one window: every missing run fetched at once). */
export async function readRange(store: PageStore, read: RangeRead): Promise<Buffer> {
  const pages = Math.ceil(Math.max(1, read.length) / store.pageSize) + 1;
  const chunks: Buffer[] = [];
  for await (const chunk of streamRange(store, { ...read, windowPages: pages })) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Cache writes a streamed read may have in flight before it waits for them. */
const MAX_PENDING_PUTS = 16;

export interface RangeStream extends RangeRead {
  /** Pages looked up (and missing ones fetched) together; the next window is prepared ahead. */
  readonly windowPages?: number;
}

/**
 * The missing pages of one read, served from as few UFS fetches as possible. Reads must come in
 * increasing file order (they are queued, so overlapping callers are fine); a read that continues
 * where the previous one ended, inside the run that fetch asked for, takes its bytes from the same
 * fetch; any other read closes it and fetches from its own start to the end of the run of missing
 * pages it begins (`runEnd`, measured when the fetch starts: a page cached then may be evicted
 * before it is read, and is then fetched anew).
 */
class UfsCursor {
  private position = -1;
  /** The fetch being read: where it started and how many bytes it asked for. */
  private runStart = 0;
  private runLength = 0;
  private chunks: AsyncIterator<Uint8Array> | Iterator<Uint8Array> | undefined;
  private leftover: Uint8Array | undefined;
  /** What the fetch returned (a stream, or bytes). */
  private source: unknown;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly fetch: FetchRange,
    private readonly fileSize: number,
    private readonly runEnd: (start: number) => number,
  ) {}

  /**
   * The `length` bytes at `start` as the chunks the fetch delivered (views of them where a chunk
   * crosses the end): nothing is copied, so a cold page costs no allocation of its own.
   */
  read(start: number, length: number): Promise<Uint8Array[]> {
    const result = this.queue.then(() => this.readNow(start, length));
    // A failed read fails the whole range: the reads queued behind it must not start new fetches.
    this.queue = result.catch(() => {
      this.closed = true;
    });
    return result;
  }

  /** Ends the current fetch; reads still queued (a window prepared ahead) fail. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    await this.release();
  }

  private async readNow(start: number, length: number): Promise<Uint8Array[]> {
    if (this.closed) throw new TierfsError('ABORTED', 'the read ended before this page was needed');
    // Past the end of its run a fetch has no more bytes: the page after it was cached when the run
    // was measured and has been evicted since.
    if (start !== this.position || !this.chunks || start >= this.runStart + this.runLength) {
      await this.release();
      const end = this.runEnd(start);
      const source = await this.fetch(start, end - start);
      this.source = source;
      this.chunks =
        source instanceof Uint8Array
          ? [source][Symbol.iterator]()
          : (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
      this.position = start;
      this.runStart = start;
      this.runLength = end - start;
    }
    const out: Uint8Array[] = [];
    let filled = 0;
    while (filled < length) {
      let chunk = this.leftover;
      this.leftover = undefined;
      if (!chunk) {
        const next = await this.chunks!.next();
        if (next.done) throw this.shortRead(filled);
        chunk = next.value;
      }
      if (chunk.length > length - filled) {
        // Two views of the chunk's bytes from here on, each with a hold of its own (slab-pool.ts).
        this.leftover = chunk.subarray(length - filled);
        holdChunk(this.leftover);
        chunk = chunk.subarray(0, length - filled);
      }
      out.push(chunk);
      filled += chunk.length;
    }
    this.position += length;
    return out;
  }

  private shortRead(filled: number): TierfsError {
    const actual = this.position - this.runStart + filled;
    return new TierfsError(
      'CONFLICT',
      `the UFS returned ${actual} bytes for ${this.runLength} bytes at offset ${this.runStart} of ` +
        `a ${this.fileSize}-byte file; the file may have changed`,
      { details: { offset: this.runStart, expected: this.runLength, actual } },
    );
  }

  private async release(): Promise<void> {
    const chunks = this.chunks;
    const drained = this.leftover === undefined && this.position === this.runStart + this.runLength;
    if (this.leftover) releaseChunk(this.leftover);
    this.chunks = undefined;
    this.leftover = undefined;
    this.position = -1;
    const source = this.source;
    this.source = undefined;
    // A fetch read to the end of its run whose stream has its end already (a body received whole)
    // is let finish: ending it would destroy it with an AbortError and its stack trace, one per
    // small cold read. Anything else is ended now.
    if (drained && atEnd(source)) {
      (source as Readable).resume();
      return;
    }
    await chunks?.return?.();
  }
}

/**
 * Whether `source` is a stream that has received its end and has nothing left to read: ending it
 * early would only destroy it with an AbortError (node has no public flag for this state).
 */
function atEnd(source: unknown): boolean {
  if (!(source instanceof Readable) || source.readableLength > 0) return false;
  return (source as unknown as { _readableState?: { ended?: boolean } })._readableState?.ended === true;
}

/**
 * The bytes of a range as a stream of Buffers (cached pages, and the chunks a fetch received for
 * missing ones), none of them copied: what the worker sends. Pages are looked up a window at a
 * time, the next window while the current one is sent. Missing pages are read from one streamed UFS fetch per run of adjacent
 * missing pages (see UfsCursor), and written to the cache in the background, a bounded number at
 * a time, so a cold read is not held up by every page write; the generator ends once they are
 * written. A read larger than the cache evicts pages it has already sent (its own, in LRU order);
 * a read whose windows do not fit in the cache at all does not cache.
 */
export async function* streamRange(store: PageStore, read: RangeStream): AsyncGenerator<Buffer> {
  for await (const window of streamRangeWindows(store, read)) yield* window;
}

/**
 * streamRange a window at a time: the Buffers of each window's pages together, so that a sender
 * can hand them to the socket in one write (writev) rather than one write per received chunk.
 * A Buffer that is a view of a slab of the UFS fetch carries a hold on it (ufs/slab-pool.ts): a
 * sender may release each one once its bytes are written, so the slab serves a later fetch.
 */
export async function* streamRangeWindows(store: PageStore, read: RangeStream): AsyncGenerator<Buffer[]> {
  const { fileKey, fileSize, offset, length, readType = 'CACHE', fetch } = read;
  for (const [name, value] of Object.entries({ fileSize, offset, length })) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new TierfsError('INVALID_ARGUMENT', `${name} must be a non-negative integer, not ${value}`);
    }
  }
  const end = Math.min(offset + length, fileSize);
  if (offset >= end) return;
  const pageSize = store.pageSize;
  const first = Math.floor(offset / pageSize);
  const last = Math.floor((end - 1) / pageSize);
  const window = Math.max(1, read.windowPages ?? 8);
  const promote = readType === 'CACHE_PROMOTE';
  // A read has up to two windows in flight (the one being sent and the one prepared). When the
  // cache cannot hold them, every page it cached would push out one it is about to serve or has
  // just cached: the read streams from the UFS without caching instead.
  const inFlight = Math.min(2 * window, last - first + 1) * pageSize;
  const cache = readType !== 'NO_CACHE' && inFlight <= store.capacityFor(fileKey);
  const pending = new Set<Promise<unknown>>();
  /** Where the bytes of page `index` the read needs start and end (whole pages when caching). */
  const startOf = (index: number) => (cache ? index * pageSize : Math.max(index * pageSize, offset));
  const endOf = (index: number) => Math.min((index + 1) * pageSize, cache ? fileSize : end);
  const cursor = new UfsCursor(fetch, fileSize, (start) => {
    let index = Math.floor(start / pageSize);
    while (index < last && !store.has(fileKey, index + 1)) index++;
    return endOf(index);
  });

  /** Pages this read fetched and is caching. */
  const fetched = new Set<number>();
  const putInBackground = async (index: number, parts: readonly Uint8Array[]): Promise<void> => {
    fetched.add(index);
    while (pending.size >= MAX_PENDING_PUTS) await Promise.race(pending);
    // The page write's own hold on the chunks (the window sent holds them too), released once the
    // page is written (slab-pool.ts).
    for (const part of parts) holdChunk(part);
    // A failed cache write is not a failed read: the page is simply not cached.
    const put: Promise<unknown> = store
      // The received chunks, handed over (nobody writes to them again): a page file is written from
      // them as they are (writev); only a page kept in the heap is made one Buffer.
      .put(fileKey, index, parts, { adopt: true })
      .catch(() => false)
      .finally(() => {
        pending.delete(put);
        for (const part of parts) releaseChunk(part);
      });
    pending.add(put);
  };

  /**
   * Windows queue their UFS reads in window order (a window waits for the one before it to have
   * queued its reads), so the cursor sees increasing offsets even when a later window's lookups
   * finish first.
   */
  let queued: Promise<unknown> = Promise.resolve();

  /** The pages [from, to], trimmed to the range. */
  const loadWindow = async (from: number, to: number): Promise<Buffer[]> => {
    const lookups = Promise.all(
      Array.from({ length: to - from + 1 }, (_, i) => store.get(fileKey, from + i, { promote })),
    );
    const previous = queued;
    const ready = lookups.then(async (cached) => {
      await previous;
      return cached.map((bytes, i): Piece | Promise<Uint8Array[]> => {
        const index = from + i;
        if (bytes) return { start: index * pageSize, parts: [bytes] };
        return cursor.read(startOf(index), endOf(index) - startOf(index));
      });
    });
    queued = ready.catch(() => undefined);
    const pieces: Piece[] = [];
    for (const [i, piece] of (await ready).entries()) {
      if (!(piece instanceof Promise)) {
        pieces.push(piece);
        continue;
      }
      const parts = await piece;
      pieces.push({ start: startOf(from + i), parts });
      if (cache) await putInBackground(from + i, parts);
    }
    // Each part trimmed to the range, as a view of the same memory.
    const out: Buffer[] = [];
    for (const { start, parts } of pieces) {
      let at = start;
      for (const part of parts) {
        const low = Math.max(at, offset);
        const high = Math.min(at + part.length, end);
        // The part's hold goes with the Buffer sent; a part not sent has no holder left.
        if (high > low) out.push(Buffer.from(part.buffer, part.byteOffset + low - at, high - low));
        else releaseChunk(part);
        at += part.length;
      }
    }
    return out;
  };

  try {
    let next: Promise<Buffer[]> | undefined = loadWindow(first, Math.min(last, first + window - 1));
    for (let from = first; next; from += window) {
      const current: Promise<Buffer[]> = next;
      const following = from + window;
      next = following <= last ? loadWindow(following, Math.min(last, following + window - 1)) : undefined;
      next?.catch(() => undefined); // Surfaced when awaited.
      const buffers = (await current).filter((buffer) => buffer.length > 0);
      if (buffers.length > 0) yield buffers;
    }
  } catch (error) {
    // A short fetch means the file changed under the read: the pages it cached may be of the new
    // version, under the old version's key. Drop them.
    if (error instanceof TierfsError && error.code === 'CONFLICT') {
      await Promise.all(pending);
      await Promise.all([...fetched].map((index) => store.delete(fileKey, index)));
    }
    throw error;
  } finally {
    await cursor.close().catch(() => undefined);
    await Promise.all(pending);
  }
}
