import { describe, expect, it } from 'vitest';
import { type DirentSource, SortedNames } from './sorted-names.js';

/** A directory handle giving these names, in this order. */
function inOrder(names: readonly string[]): DirentSource {
  let next = 0;
  return { read: async () => (next < names.length ? { name: names[next++]! } : null) };
}
const all = () => true;

describe('SortedNames', () => {
  // Names in no order, of different lengths, non-ASCII among them (é, and a surrogate pair).
  const names = Array.from({ length: 2_500 }, (_, n) => `${n % 7 === 0 ? 'é' : 'f'}${(n * 7919) % 2_500}`);
  names.push('', '🙂x', 'a', 'zz');
  const sorted = [...names].sort();

  it('gives every name once, in order, whatever the run length', async () => {
    for (const runLength of [3, 100, 2_504, 100_000]) {
      const read = await SortedNames.read(inOrder(names), all, runLength);
      expect(read.length).toBe(names.length);
      expect([...read.from()]).toEqual(sorted);
    }
  });

  it('starts at the first name not before the one asked for', async () => {
    const read = await SortedNames.read(inOrder(names), all, 97);
    for (const probe of [sorted[0]!, sorted[1_000]!, sorted.at(-1)!, 'f5', 'f5000', 'zzz', '', 'é']) {
      const at = sorted.findIndex((n) => n >= probe);
      expect([...read.from(probe)]).toEqual(at === -1 ? [] : sorted.slice(at));
    }
  });

  it('leaves out the names it is told to', async () => {
    const read = await SortedNames.read(inOrder(names), (name) => !name.startsWith('f'), 7);
    expect([...read.from()]).toEqual(sorted.filter((name) => !name.startsWith('f')));
  });

  it('stops where its reader stops, and is empty when nothing was read', async () => {
    const read = await SortedNames.read(inOrder(names), all, 10);
    const first: string[] = [];
    for (const name of read.from('f1')) {
      first.push(name);
      if (first.length === 5) break;
    }
    const at = sorted.findIndex((n) => n >= 'f1');
    expect(first).toEqual(sorted.slice(at, at + 5));
    expect([...SortedNames.empty.from()]).toEqual([]);
    expect([...(await SortedNames.read(inOrder([]), all)).from('a')]).toEqual([]);
  });
});
