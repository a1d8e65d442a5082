import { describe, expect, it } from 'vitest';
import type { FileStatus } from '../cluster/wire.js';
import { AttributeCache } from './attribute-cache.js';

const status = (path: string) => ({ path }) as FileStatus;

describe('AttributeCache', () => {
  it('answers until the entry is older than its time to live', () => {
    let now = 0;
    const cache = new AttributeCache(1000, 10, () => now);
    cache.set('/a', status('/a'));
    now = 999;
    expect(cache.get('/a')?.path).toBe('/a');
    now = 1000;
    expect(cache.get('/a')).toBeUndefined();
  });

  it('forgets a tree, and the oldest entries beyond its bound', () => {
    const cache = new AttributeCache(1000, 3, () => 0);
    for (const p of ['/d', '/d/x', '/dx', '/e']) cache.set(p, status(p));
    expect(cache.get('/d')).toBeUndefined(); // Evicted: the bound is 3.
    cache.invalidateTree('/d');
    expect([cache.get('/d/x'), cache.get('/dx')?.path, cache.get('/e')?.path]).toEqual([
      undefined,
      '/dx',
      '/e',
    ]);
  });
});
