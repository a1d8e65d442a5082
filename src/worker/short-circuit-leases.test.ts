import { describe, expect, it } from 'vitest';
import { MAX_LEASE_MS, ShortCircuitLeases } from './short-circuit-leases.js';

function pinned() {
  const state = { released: 0 };
  return { state, pins: { files: [], release: () => void state.released++ } };
}

describe('ShortCircuitLeases', () => {
  it('unpins on close, only for the content the lease is for, once', () => {
    const leases = new ShortCircuitLeases();
    const { state, pins } = pinned();
    const { id } = leases.open('content-1', pins, Date.now() + 10_000);
    expect(leases.close(id, 'content-2')).toBe(false);
    expect(state.released).toBe(0);
    expect(leases.close(id, 'content-1')).toBe(true);
    expect(leases.close(id, 'content-1')).toBe(false);
    expect(state.released).toBe(1);
  });

  it('unpins when the lease runs out, and never holds pins past MAX_LEASE_MS', async () => {
    const leases = new ShortCircuitLeases();
    const { state, pins } = pinned();
    const { expiresMs } = leases.open('content-1', pins, Date.now() + 30);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(state.released).toBe(1);
    expect(leases.size).toBe(0);
    expect(expiresMs).toBeLessThanOrEqual(Date.now());
    const long = leases.open('content-2', pinned().pins, Date.now() + 10 * MAX_LEASE_MS);
    expect(long.expiresMs).toBeLessThanOrEqual(Date.now() + MAX_LEASE_MS);
    leases.closeAll();
    expect(leases.size).toBe(0);
  });

  it('a batch lease unpins all its reads at once, by closeBatch or its end; close and closeBatch do not cross', async () => {
    const leases = new ShortCircuitLeases();
    const [a, b] = [pinned(), pinned()];
    const batch = leases.openBatch([a.pins, b.pins], Date.now() + 10_000);
    const single = leases.open('content-1', pinned().pins, Date.now() + 10_000);
    expect(leases.closeBatch(single.id)).toBe(false);
    expect(leases.close(batch.id, 'content-1')).toBe(false);
    expect([a.state.released, b.state.released]).toEqual([0, 0]);
    expect(leases.closeBatch(batch.id)).toBe(true);
    expect(leases.closeBatch(batch.id)).toBe(false);
    expect([a.state.released, b.state.released]).toEqual([1, 1]);
    const c = pinned();
    leases.openBatch([c.pins], Date.now() + 30);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(c.state.released).toBe(1);
    expect(leases.size).toBe(1); // the single lease, still open
    leases.closeAll();
  });
});
