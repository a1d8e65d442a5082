import { describe, expect, it } from 'vitest';
import { forEachLimited } from './concurrency.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('forEachLimited', () => {
  it('works on the first items of an async source while it still yields, never more than the limit at once', async () => {
    const log: string[] = [];
    let inFlight = 0;
    let most = 0;
    async function* source() {
      for (let i = 0; i < 6; i++) {
        log.push(`yield ${i}`);
        yield i;
        await tick();
      }
    }
    await forEachLimited(source(), 2, async (i) => {
      inFlight++;
      most = Math.max(most, inFlight);
      log.push(`start ${i}`);
      await tick();
      await tick();
      inFlight--;
    });
    expect(most).toBe(2);
    expect(log.filter((line) => line.startsWith('start')).sort()).toEqual(
      [0, 1, 2, 3, 4, 5].map((i) => `start ${i}`),
    );
    expect(log.indexOf('start 0')).toBeLessThan(log.indexOf('yield 5'));
  });

  it('a failure stops the lanes taking items, closes the source, and is thrown once the rest have settled', async () => {
    let closed = false;
    let taken = 0;
    let settled = 0;
    async function* source() {
      try {
        for (let i = 0; ; i++) {
          taken++;
          yield i;
        }
      } finally {
        closed = true;
      }
    }
    const run = forEachLimited(source(), 3, async (i) => {
      await tick();
      if (i === 1) throw new Error('item 1 failed');
      await tick();
      settled++;
    });
    await expect(run).rejects.toThrow('item 1 failed');
    expect(closed).toBe(true);
    expect(taken).toBe(3); // none taken after the failure
    expect(settled).toBe(2); // items 0 and 2, in flight beside item 1, finished first
  });

  it('takes a plain array too', async () => {
    const seen: number[] = [];
    await forEachLimited([1, 2, 3], 8, async (i) => {
      seen.push(i);
    });
    expect(seen).toEqual([1, 2, 3]);
  });
});
