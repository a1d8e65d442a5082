import { describe, expect, it } from 'vitest';
import { isTierfsError } from '../errors.js';
import { holdChunk, isSlabChunk, releaseChunk, SLAB_BYTES, takeSlab } from './slab-pool.js';

describe('slab pool', () => {
  it('gives a slab again only once every hold on it is released', () => {
    const slab = takeSlab(); // the filler's hold
    const a = slab.subarray(0, 10);
    const b = slab.subarray(10, 20);
    holdChunk(a);
    holdChunk(b);
    releaseChunk(slab);
    releaseChunk(a);
    const other = takeSlab();
    expect(other.buffer).not.toBe(slab.buffer); // b still holds it
    releaseChunk(b);
    expect(takeSlab().buffer).toBe(slab.buffer);
    expect(slab.length).toBe(SLAB_BYTES);
  });

  it('refuses a release of a slab nobody holds, and leaves memory of no slab alone', () => {
    const slab = takeSlab();
    releaseChunk(slab);
    let error: unknown;
    try {
      releaseChunk(slab.subarray(5));
    } catch (e) {
      error = e;
    }
    expect(isTierfsError(error, 'INTERNAL'), String(error)).toBe(true);
    const plain = Buffer.allocUnsafeSlow(SLAB_BYTES);
    expect(isSlabChunk(plain)).toBe(false);
    holdChunk(plain);
    releaseChunk(plain);
    expect(takeSlab().buffer).not.toBe(plain.buffer);
  });
});
