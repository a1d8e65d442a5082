/**
 * The entries of a listing page as `tierfs fs ls` prints them (LsEntry), from the master's compact
 * page (`view=ls`, wire.ts LsPage) or, from a master that does not know that view, from a
 * ListResult of FileStatus objects.
 */
import {
  type FileStatus,
  type ListResult,
  LS_FLAG_DIRECTORY,
  LS_FLAG_MOUNT_POINT,
  type LsPage,
} from '../cluster/wire.js';

/** What `fs ls` prints of an entry; a FileStatus is one. `ufsUri` is there for a mount point. */
export type LsEntry = Pick<
  FileStatus,
  'path' | 'isDirectory' | 'mode' | 'owner' | 'group' | 'size' | 'persistence' | 'mtimeMs' | 'mountPoint'
> & {
  /** Bytes of the file in the workers' caches, when asked for (files only). */
  readonly cachedBytes?: number;
  /** Where the data lives in the under store: at least for a mount point. */
  readonly ufsUri?: string;
};

export function lsEntriesOf(page: LsPage | ListResult): readonly LsEntry[] {
  if (!('rows' in page)) return page.entries;
  const prefix = page.dir === '/' ? '/' : `${page.dir}/`;
  const entries: LsEntry[] = new Array(page.rows.length);
  for (let i = 0; i < page.rows.length; i++) {
    const [name, flags, mode, owner, group, size, persistence, mtimeMs, cachedBytes, ufsUri] = page.rows[i]!;
    entries[i] = {
      path: prefix + name,
      isDirectory: (flags & LS_FLAG_DIRECTORY) !== 0,
      mode,
      owner,
      group,
      size,
      persistence,
      mtimeMs,
      mountPoint: (flags & LS_FLAG_MOUNT_POINT) !== 0,
      cachedBytes: cachedBytes ?? undefined,
      ufsUri,
    };
  }
  return entries;
}
