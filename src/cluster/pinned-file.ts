/**
 * A whole cached file's page files, pinned at its worker for one short-circuit lease, read by
 * range for as long as the lease lasts: a reader that comes back for scattered pieces of a file
 * it read before (the holes in the kernel's page cache that a warm pass through a FUSE mount
 * finds) reads each piece from the page files here, without a request to the worker per piece.
 * Each page file's header is checked against the page the worker named (short-circuit.ts), so a
 * piece is never another page's bytes; any piece that cannot be read so (the lease about to end,
 * a page file gone) is left to the caller to read from the worker.
 */
import { closeShortCircuit, openShortCircuit, type WorkerAddress } from './data-client.js';
import { isOnThisHost, readPage } from './short-circuit.js';
import type { ShortCircuitFile } from './wire.js';

/** A piece is not read from a lease that ends sooner than this: the worker may unpin its pages. */
const LEASE_MARGIN_MS = 1000;
/**
 * Largest file pinned whole: the worker names every page file in its answer (8,192 of 1 MiB here)
 * and keeps them all from eviction for the lease. A larger file's pieces are read from the worker.
 */
export const MAX_PINNED_BYTES = 8 * 1024 ** 3;

export interface PinnedFile {
  /** The bytes `offset` to `offset + length` of the file; undefined when they cannot be read here. */
  read(offset: number, length: number): Promise<Buffer | undefined>;
  /** Ends the lease: the worker may evict the pages again. */
  release(): void;
}

/**
 * The page files of the whole of `contentId` (`size` bytes), pinned for a lease; undefined when
 * the worker is on another host or does not hold every page of it in a file, or the file is
 * larger than MAX_PINNED_BYTES.
 */
export async function openPinnedFile(
  worker: WorkerAddress,
  capability: string,
  contentId: string,
  size: number,
): Promise<PinnedFile | undefined> {
  if (size <= 0 || size > MAX_PINNED_BYTES || !isOnThisHost(worker.address)) return undefined;
  let answer: Awaited<ReturnType<typeof openShortCircuit>>;
  try {
    answer = await openShortCircuit(worker, capability, { contentId, offset: 0, length: size });
  } catch {
    return undefined;
  }
  if (!answer.available) return undefined;
  const { files, pageSize, lease, leaseExpiresMs } = answer;
  const byPage = new Map<number, ShortCircuitFile>(files.map((file) => [file.pageIndex, file]));
  let released = false;
  return {
    async read(offset, length) {
      if (released || Date.now() > leaseExpiresMs - LEASE_MARGIN_MS) return undefined;
      const end = Math.min(offset + length, size);
      const pieces: Buffer[] = [];
      try {
        for (let at = offset; at < end; ) {
          const index = Math.floor(at / pageSize);
          const file = byPage.get(index);
          if (!file) return undefined;
          const start = index * pageSize;
          const to = Math.min(end, start + file.size) - start;
          if (to <= at - start) return undefined; // the page is shorter than the file says
          pieces.push(await readPage(contentId, file, at - start, to));
          at = start + to;
        }
      } catch {
        return undefined;
      }
      return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
    },
    release() {
      if (released) return;
      released = true;
      closeShortCircuit(worker, capability, contentId, lease).catch(() => undefined);
    },
  };
}
