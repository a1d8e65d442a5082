import { describe, expect, it } from 'vitest';
import { KeyLocks } from './key-locks.js';

describe('KeyLocks', () => {
  it('runs bodies for one key one at a time, in order, and others alongside', async () => {
    const locks = new KeyLocks();
    const events: string[] = [];
    const step = (name: string, ms: number) => async () => {
      events.push(`${name}+`);
      await new Promise((r) => setTimeout(r, ms));
      events.push(`${name}-`);
      return name;
    };
    const results = await Promise.all([
      locks.run('k', step('a', 20)),
      locks.run('k', step('b', 1)),
      locks.run('other', step('c', 1)),
    ]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(events.indexOf('b+')).toBeGreaterThan(events.indexOf('a-'));
    expect(events.indexOf('c+')).toBeLessThan(events.indexOf('a-'));
  });

  it('a failed body does not block the next one', async () => {
    const locks = new KeyLocks();
    await expect(locks.run('k', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(locks.run('k', async () => 1)).resolves.toBe(1);
  });
});
