/**
 * Serving a byte range of a file through the page store: cached pages come from the store, the
 * missing ones from the UFS in as few fetches as possible (adjacent missing pages form one fetch),
 * and fetched pages are cached unless the read type is NO_CACHE. This is what the worker calls.
 */
import { TierfsError } from '../errors.js';
import type { PageStore } from './page-store.js';

/** Alluxio's read types: NO_CACHE leaves the cache as it is, CACHE fills it, CACHE_PROMOTE also moves pages up. */
export type ReadType = 'NO_CACHE' | 'CACHE' | 'CACHE_PROMOTE';

/** Reads `length` bytes at `offset` of the file from the UFS. */
export type FetchRange = (offset: number, length: number) => Promise<Uint8Array>;

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

interface Piece {
  readonly start: number;
  readonly bytes: Uint8Array;
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
 * The bytes of a range as a stream of page-sized Buffers, without copying cached pages into one
 * big Buffer: what the worker sends. Missing pages are fetched a run at a time (adjacent missing
 * pages in one fetch), and written to the cache in the background, a bounded number at a time, so
 * a cold read is not held up by every page write; the generator ends once they are written.
 */
export async function* streamRange(store: PageStore, read: RangeStream): AsyncGenerator<Buffer> {
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
  const cache = readType !== 'NO_CACHE';
  const pending = new Set<Promise<unknown>>();

  const putInBackground = async (index: number, bytes: Uint8Array): Promise<void> => {
    while (pending.size >= MAX_PENDING_PUTS) await Promise.race(pending);
    // A failed cache write is not a failed read: the page is simply not cached.
    const put: Promise<unknown> = store
      .put(fileKey, index, bytes)
      .catch(() => false)
      .finally(() => pending.delete(put));
    pending.add(put);
  };

  /** The pieces of pages [from, to], each as {start offset in the file, bytes}, trimmed to the range. */
  const loadWindow = async (from: number, to: number): Promise<Buffer[]> => {
    const pieces: (Piece | undefined)[] = await Promise.all(
      Array.from({ length: to - from + 1 }, async (_, i) => {
        const bytes = await store.get(fileKey, from + i, { promote });
        return bytes && { start: (from + i) * pageSize, bytes };
      }),
    );
    for (let i = 0; i < pieces.length; ) {
      if (pieces[i]) {
        i++;
        continue;
      }
      let j = i;
      while (j + 1 < pieces.length && !pieces[j + 1]) j++;
      const runFirst = from + i;
      const runLast = from + j;
      const start = cache ? runFirst * pageSize : Math.max(runFirst * pageSize, offset);
      const stop = Math.min((runLast + 1) * pageSize, cache ? fileSize : end);
      const bytes = await fetch(start, stop - start);
      if (bytes.length !== stop - start) {
        throw new TierfsError(
          'CONFLICT',
          `the UFS returned ${bytes.length} bytes for ${stop - start} bytes at offset ${start} of ` +
            `a ${fileSize}-byte file; the file may have changed`,
          { details: { offset: start, expected: stop - start, actual: bytes.length } },
        );
      }
      for (let index = runFirst; index <= runLast; index++) {
        const pageStart = Math.max(index * pageSize, start);
        const from = pageStart - start;
        const page = bytes.subarray(
          from,
          Math.min(from + pageSize - (pageStart - index * pageSize), bytes.length),
        );
        pieces[index - runFirst + i] = { start: pageStart, bytes: page };
        if (cache) await putInBackground(index, page);
      }
      i = j + 1;
    }
    return pieces.map((piece) => {
      const { start, bytes } = piece!;
      const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      return buffer.subarray(Math.max(0, offset - start), Math.max(0, Math.min(buffer.length, end - start)));
    });
  };

  try {
    let next: Promise<Buffer[]> | undefined = loadWindow(first, Math.min(last, first + window - 1));
    for (let from = first; next; from += window) {
      const current: Promise<Buffer[]> = next;
      const following = from + window;
      next = following <= last ? loadWindow(following, Math.min(last, following + window - 1)) : undefined;
      next?.catch(() => undefined); // Surfaced when awaited.
      for (const buffer of await current) if (buffer.length > 0) yield buffer;
    }
  } finally {
    await Promise.all(pending);
  }
}
