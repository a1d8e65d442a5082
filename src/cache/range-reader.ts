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

/** The bytes of the range, in a new Buffer. */
export async function readRange(store: PageStore, read: RangeRead): Promise<Buffer> {
  const { fileKey, fileSize, offset, length, readType = 'CACHE', fetch } = read;
  for (const [name, value] of Object.entries({ fileSize, offset, length })) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new TierfsError('INVALID_ARGUMENT', `${name} must be a non-negative integer, not ${value}`);
    }
  }
  const end = Math.min(offset + length, fileSize);
  if (offset >= end) return Buffer.alloc(0);
  const pageSize = store.pageSize;
  const first = Math.floor(offset / pageSize);
  const last = Math.floor((end - 1) / pageSize);
  const promote = readType === 'CACHE_PROMOTE';
  const cache = readType !== 'NO_CACHE';

  const indexes = Array.from({ length: last - first + 1 }, (_, i) => first + i);
  const cached = await Promise.all(indexes.map((index) => store.get(fileKey, index, { promote })));
  const pieces: Piece[] = [];
  const runs: Array<{ first: number; last: number }> = [];
  cached.forEach((bytes, i) => {
    const index = first + i;
    if (bytes) pieces.push({ start: index * pageSize, bytes });
    else if (runs.at(-1)?.last === index - 1) runs.at(-1)!.last = index;
    else runs.push({ first: index, last: index });
  });

  await Promise.all(
    runs.map(async (run) => {
      // Whole pages when they will be cached; only the bytes asked for otherwise.
      const start = cache ? run.first * pageSize : Math.max(run.first * pageSize, offset);
      const stop = Math.min((run.last + 1) * pageSize, cache ? fileSize : end);
      const bytes = await fetch(start, stop - start);
      if (bytes.length !== stop - start) {
        throw new TierfsError(
          'CONFLICT',
          `the UFS returned ${bytes.length} bytes for ${stop - start} bytes at offset ${start} of ` +
            `a ${fileSize}-byte file; the file may have changed`,
          { details: { offset: start, expected: stop - start, actual: bytes.length } },
        );
      }
      pieces.push({ start, bytes });
      if (!cache) return;
      const puts: Promise<boolean>[] = [];
      for (let index = run.first; index <= run.last; index++) {
        const from = index * pageSize - start;
        puts.push(store.put(fileKey, index, bytes.subarray(from, Math.min(from + pageSize, bytes.length))));
      }
      await Promise.all(puts);
    }),
  );

  const result = Buffer.allocUnsafe(end - offset);
  for (const { start, bytes } of pieces) {
    const from = Math.max(offset, start);
    const to = Math.min(end, start + bytes.length);
    if (from < to) result.set(bytes.subarray(from - start, to - start), from - offset);
  }
  return result;
}
