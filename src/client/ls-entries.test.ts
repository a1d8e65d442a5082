import { describe, expect, it } from 'vitest';
import type { FileStatus, LsPage, LsRow } from '../cluster/wire.js';
import { lsEntriesOf } from './ls-entries.js';

describe('lsEntriesOf', () => {
  it("names an entry of the root '/name' and of a directory 'dir/name', with its flags and mount", () => {
    const row = (name: string, flags: number, cached: number | null, uri?: string): LsRow =>
      uri === undefined
        ? [name, flags, 0o755, 'u', 'g', 7, 'PERSISTED', 1000, cached]
        : [name, flags, 0o755, 'u', 'g', 7, 'PERSISTED', 1000, cached, uri];
    const root: LsPage = { dir: '/', rows: [row('f', 0, 3), row('m', 3, null, 's3://b/p/')] };
    expect(lsEntriesOf(root)).toEqual([
      {
        path: '/f',
        isDirectory: false,
        mountPoint: false,
        mode: 0o755,
        owner: 'u',
        group: 'g',
        size: 7,
        persistence: 'PERSISTED',
        mtimeMs: 1000,
        cachedBytes: 3,
      },
      {
        path: '/m',
        isDirectory: true,
        mountPoint: true,
        mode: 0o755,
        owner: 'u',
        group: 'g',
        size: 7,
        persistence: 'PERSISTED',
        mtimeMs: 1000,
        ufsUri: 's3://b/p/',
      },
    ]);
    const [entry] = lsEntriesOf({ dir: '/a/b', rows: [row('d', 1, null)] });
    expect([entry?.path, entry?.isDirectory, entry?.mountPoint, entry?.cachedBytes]).toEqual([
      '/a/b/d',
      true,
      false,
      undefined,
    ]);
  });

  it('takes the entries of a full page as they are (a master without the ls view)', () => {
    const status = { path: '/x', name: 'x', isDirectory: false, size: 1 } as FileStatus;
    expect(lsEntriesOf({ entries: [status] })).toEqual([status]);
  });
});
