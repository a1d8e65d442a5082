import { describe, expect, it } from 'vitest';
import type { LsEntry } from '../client/ls-entries.js';
import { formatMtime, formatSize, inCacheColumn, lsLine, typedModeString } from './fs-format.js';

/** The `ls` line column by column, as it was written before its columns were cached. */
function reference(status: LsEntry, human: boolean): string {
  const mount = status.mountPoint && status.path !== '/' ? ` -> ${status.ufsUri}` : '';
  return [
    typedModeString(status).padEnd(11),
    status.owner.padEnd(15),
    status.group.padEnd(15),
    formatSize(status.size, human).padStart(12),
    status.persistence.padEnd(15),
    formatMtime(status.mtimeMs).padEnd(23),
    inCacheColumn(status).padStart(4),
    `${status.path}${mount}`,
  ].join(' ');
}

describe('lsLine', () => {
  it('prints every line as the plain column-by-column format, whatever it printed before', () => {
    let seed = 17;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const owners = ['root', 'alice', 'a-very-long-owner-name', 'bob'];
    const persistence = ['PERSISTED', 'NOT_PERSISTED', 'TO_BE_PERSISTED'] as const;
    // Neighbouring times (the same second, the next one, a day apart, before 1970, across a
    // millisecond 0/9/99 boundary) in any order.
    const base = [1796667351604, 1796667351000, 1796667351009, 1796667352099, 1796753751604, -1234567, 0];
    for (let i = 0; i < 5000; i++) {
      const isDirectory = next(5) === 0;
      const size = next(3) === 0 ? 0 : next(1 << 30);
      const status: LsEntry = {
        path: `/d/${i}`,
        isDirectory,
        mode: next(0o10000),
        owner: owners[next(owners.length)]!,
        group: owners[next(owners.length)]!,
        size,
        persistence: persistence[next(3)]!,
        mtimeMs: base[next(base.length)]! + (next(2) === 0 ? 0 : next(3000)),
        mountPoint: isDirectory && next(4) === 0,
        cachedBytes: isDirectory || next(4) === 0 ? undefined : next(size + 1),
        ufsUri: 's3://bucket/prefix/',
      };
      const human = next(2) === 0;
      expect(lsLine(status, human)).toBe(reference(status, human));
    }
  });
});
