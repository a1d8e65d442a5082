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
});
