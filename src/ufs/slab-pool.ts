/**
 * 1 MiB slabs that the long-GET getter (s3/s3-stream-get.ts) reads the store's answers into, used
 * again once nobody holds their bytes. A cold GiB is 1,024 slabs: new memory for each would be new
 * external memory to V8, which starts a full garbage collection every few tens of MiB of it (a
 * quarter of a worker's CPU in a cold read).
 *
 * Every view of a slab handed on carries one hold on it (the getter's own, while it fills the slab,
 * is one too): whoever is given such a view and is done with its bytes calls releaseChunk once; a
 * holder that splits a view in two takes one more hold with holdChunk. A slab goes back to the pool
 * when its last hold is released. A view never released keeps its slab out of the pool for good
 * (the slab is then garbage like any Buffer): missing releases cost the reuse, never bytes. A view
 * of memory that is no slab is left alone by both.
 */
import { TierfsError } from '../errors.js';

/** What one socket read may fill at most, and the unit a long GET's body is kept in. */
export const SLAB_BYTES = 1024 * 1024;

/** Free slabs kept at most (what a few cold reads at once have in flight). */
const MAX_FREE = 32;

/** Free slabs are let go after this long without a slab taken. */
const IDLE_MS = 10_000;

interface Slab {
  readonly bytes: Buffer;
  holds: number;
}

const slabs = new WeakMap<ArrayBufferLike, Slab>();
const free: Buffer[] = [];
let trim: NodeJS.Timeout | undefined;
let taken = 0;
let reused = 0;

/** A slab to fill, held once (by the caller): from the pool, or new memory. */
export function takeSlab(): Buffer {
  taken++;
  let bytes = free.pop();
  if (bytes) reused++;
  else {
    bytes = Buffer.allocUnsafeSlow(SLAB_BYTES);
    slabs.set(bytes.buffer, { bytes, holds: 0 });
  }
  slabs.get(bytes.buffer)!.holds = 1;
  trim?.refresh();
  return bytes;
}

/** Whether `view` is of a slab (a page kept in the heap must not be one: its memory will be reused). */
export function isSlabChunk(view: Uint8Array): boolean {
  return slabs.has(view.buffer);
}

/** One more hold on the slab `view` is of, for a second view of the same bytes. */
export function holdChunk(view: Uint8Array): void {
  const slab = slabs.get(view.buffer);
  if (slab) slab.holds++;
}

/** The holder of `view` is done with its bytes: its slab goes back to the pool with its last hold. */
export function releaseChunk(view: Uint8Array): void {
  const slab = slabs.get(view.buffer);
  if (!slab) return;
  if (slab.holds <= 0) throw new TierfsError('INTERNAL', 'a slab was released more often than it was held');
  if (--slab.holds > 0 || free.length >= MAX_FREE) return;
  free.push(slab.bytes);
  trim ??= setTimeout(() => {
    free.length = 0;
    trim = undefined;
  }, IDLE_MS).unref();
}

/** Slabs taken so far, and how many of them came from the pool. */
export function slabCounts(): { taken: number; reused: number; free: number } {
  return { taken, reused, free: free.length };
}
