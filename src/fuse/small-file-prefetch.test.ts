import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { FileStatus } from '../cluster/wire.js';
import { type PrefetchCandidate, SmallFilePrefetch } from './small-file-prefetch.js';

const file = (name: string, contentId = `v-${name}`, size = 4): PrefetchCandidate => ({
  status: { path: `/d/${name}`, name, contentId, size, isDirectory: false } as FileStatus,
  capability: async () => `cap-${name}`,
});

const tick = () => new Promise((resolve) => setImmediate(resolve));

function prefetcher(holdMs = 60_000) {
  const fetched: string[] = [];
  const prefetch = new SmallFilePrefetch({
    read: async (f, options) => {
      fetched.push(`${f.status.path}@${options.contentId}:${f.capability}`);
      return Readable.from([Buffer.from(f.status.path.slice(-1).repeat(f.status.size))]);
    },
    readType: 'CACHE',
    holdMs,
    maxFileBytes: 8,
  });
  return { prefetch, fetched };
}

describe('SmallFilePrefetch', () => {
  it('fetches the next small files once an open follows the file before it, and hands each to an open of its version only', async () => {
    const { prefetch, fetched } = prefetcher();
    const next = [file('c'), file('d'), file('e'), file('big', 'v-big', 9)];
    expect(prefetch.claim('/d/a', 'v-a', undefined, () => next)).toBeUndefined();
    await tick();
    expect(fetched).toEqual([]); // One open is no walk.
    expect(prefetch.claim('/d/b', 'v-b', '/d/a', () => next)).toBeUndefined();
    await tick();
    expect(fetched).toEqual(['/d/c@v-c:cap-c', '/d/d@v-d:cap-d', '/d/e@v-e:cap-e']); // Not the file over 8 bytes.

    expect((await prefetch.claim('/d/c', 'v-c', '/d/b', () => []))?.toString()).toBe('cccc');
    // The listing named another version than the open now sees: not handed over.
    expect(prefetch.claim('/d/d', 'v-d2', '/d/c', () => [])).toBeUndefined();
    // Handed over once: a second open reads it itself.
    expect(prefetch.claim('/d/c', 'v-c', '/d/b', () => [])).toBeUndefined();
  });

  it('fetches no version the mount has read (the kernel holds its pages), and lets go of what nobody claims', async () => {
    const { prefetch, fetched } = prefetcher(30);
    prefetch.noteRead('v-c');
    prefetch.claim('/d/a', 'v-a', undefined, () => []);
    prefetch.claim('/d/b', 'v-b', '/d/a', () => [file('c'), file('d')]);
    await tick();
    expect(fetched).toEqual(['/d/d@v-d:cap-d']);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(prefetch.claim('/d/d', 'v-d', '/d/c', () => [])).toBeUndefined();
  });

  it('plans nothing at an open of a version the mount has read: a warm walk asks for no candidates', async () => {
    const { prefetch, fetched } = prefetcher();
    let asked = 0;
    const next = () => {
      asked++;
      return [file('c'), file('d')];
    };
    prefetch.noteRead('v-a');
    prefetch.noteRead('v-b');
    prefetch.claim('/d/a', 'v-a', undefined, next);
    prefetch.claim('/d/b', 'v-b', '/d/a', next);
    await tick();
    expect(asked).toBe(0);
    expect(fetched).toEqual([]);
    // The first unread file of the walk fetches ahead again.
    prefetch.claim('/d/x', 'v-x', '/d/b', next);
    await tick();
    expect(asked).toBe(1);
    expect(fetched).toEqual(['/d/c@v-c:cap-c', '/d/d@v-d:cap-d']);
  });
});
