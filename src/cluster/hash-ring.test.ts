import { describe, expect, it } from 'vitest';
import { HashRing, MembershipRing } from './hash-ring.js';

const workers = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `worker-${i}` }));
const keys = Array.from({ length: 4000 }, (_, i) => `/data/file-${i}`);

describe('HashRing', () => {
  it('is empty without workers and deterministic with them', () => {
    expect(new HashRing([]).owner('x')).toBeUndefined();
    const a = new HashRing(workers(3));
    const b = new HashRing([...workers(3)].reverse());
    for (const key of keys.slice(0, 200)) expect(a.owner(key)!.id).toBe(b.owner(key)!.id);
  });

  it('spreads keys roughly evenly', () => {
    const ring = new HashRing(workers(4));
    const counts = new Map<string, number>();
    for (const key of keys) counts.set(ring.owner(key)!.id, (counts.get(ring.owner(key)!.id) ?? 0) + 1);
    expect(counts.size).toBe(4);
    for (const count of counts.values()) expect(count).toBeGreaterThan(keys.length / 4 / 2);
  });

  it('moves only the keys of a removed worker', () => {
    const before = new HashRing(workers(4));
    const after = new HashRing(workers(4).filter((w) => w.id !== 'worker-2'));
    for (const key of keys) {
      const owner = before.owner(key)!.id;
      if (owner !== 'worker-2') expect(after.owner(key)!.id).toBe(owner);
    }
  });
});

describe('MembershipRing', () => {
  const withAddress = (n: number) => workers(n).map((w) => ({ ...w, address: `http://h:${w.id}` }));

  it('answers as a ring of the current membership, following joins and leaves', () => {
    const ring = new MembershipRing<{ id: string; address: string }>();
    expect(ring.owner([], 'x')).toBeUndefined();
    for (const n of [3, 4, 2]) {
      const members = withAddress(n);
      const fresh = new HashRing(members);
      for (const key of keys.slice(0, 200)) expect(ring.owner(members, key)!.id).toBe(fresh.owner(key)!.id);
    }
  });
});
