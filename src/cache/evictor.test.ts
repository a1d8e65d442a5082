import { describe, expect, it } from 'vitest';
import { LfuEvictor, LruEvictor } from './evictor.js';

describe('evictors', () => {
  it('LRU yields least recently used first', () => {
    const lru = new LruEvictor<string>();
    for (const key of ['a', 'b', 'c', 'd']) lru.add(key);
    lru.touch('a');
    lru.touch('c');
    lru.remove('d');
    expect([...lru.candidates()]).toEqual(['b', 'a', 'c']);
    expect(lru.size).toBe(3);
  });

  it('LFU yields least frequently used first, ties least recently used first', () => {
    const lfu = new LfuEvictor<string>();
    for (const key of ['a', 'b', 'c', 'd']) lfu.add(key);
    lfu.touch('a');
    lfu.touch('a');
    lfu.touch('b');
    lfu.touch('d');
    lfu.remove('c');
    expect([...lfu.candidates()]).toEqual(['b', 'd', 'a']);
    lfu.add('a'); // re-added: counted once again
    expect([...lfu.candidates()]).toEqual(['a', 'b', 'd']);
    expect(lfu.size).toBe(3);
  });
});
