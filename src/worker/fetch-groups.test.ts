import { describe, expect, it } from 'vitest';
import { FetchGroups } from './fetch-groups.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('FetchGroups', () => {
  it('lets at most the limit of a group run, the rest in the order they came, and forgets an idle group', async () => {
    const groups = new FetchGroups();
    const started: number[] = [];
    const ends: (() => void)[] = [];
    for (let n = 0; n < 5; n++)
      void groups.turn('g', 2).then((end) => {
        started.push(n);
        ends[n] = end;
      });
    // Another group is not held up by this one.
    const other = await groups.turn('h', 1);
    await tick();
    expect(started).toEqual([0, 1]);
    ends[1]!();
    ends[1]!(); // a second call ends nothing more
    await tick();
    expect(started).toEqual([0, 1, 2]);
    ends[0]!();
    ends[2]!();
    await tick();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    ends[3]!();
    ends[4]!();
    other();
    expect(groups.size).toBe(0);
  });

  it('a later batch that raises the limit starts the waiting reads at once', async () => {
    const groups = new FetchGroups();
    const started: number[] = [];
    for (let n = 0; n < 3; n++) void groups.turn('g', 1).then(() => started.push(n));
    await tick();
    expect(started).toEqual([0]);
    void groups.turn('g', 4).then(() => started.push(3));
    await tick();
    expect(started).toEqual([0, 1, 2, 3]);
  });
});
