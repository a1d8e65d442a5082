import { createHash } from 'node:crypto';
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

describe('placement', () => {
  it('is the first ring point at or after the MD5 of the key, as it has always been (clients and masters agree)', () => {
    const md5 = (text: string) => createHash('md5').update(text).digest().readUInt32BE(0);
    const members = workers(3);
    const points = members
      .flatMap((w) => Array.from({ length: 100 }, (_, i) => ({ hash: md5(`${w.id}#${i}`), id: w.id })))
      .sort((a, b) => a.hash - b.hash || a.id.localeCompare(b.id));
    const ring = new HashRing(members);
    const membership = new MembershipRing<{ id: string; address: string }>();
    const withAddresses = members.map((w) => ({ ...w, address: `http://h:${w.id}` }));
    for (const key of keys.slice(0, 300)) {
      const h = md5(key);
      const expected = (points.find((p) => p.hash >= h) ?? points[0]!).id;
      expect(ring.owner(key)!.id).toBe(expected);
      expect(membership.owner(withAddresses, key)!.id).toBe(expected);
    }
  });
});
