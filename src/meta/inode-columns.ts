/** The inodes table's columns, the same in the SQLite and the PostgreSQL schema. */
import type { InodePatch } from './store.js';

/** Every column, in the order the stores insert them. */
export const INODE_COLUMNS =
  'path, parent, name, is_dir, size, mtime_ms, owner, grp, mode, state, persistence, ufs_fingerprint, content_id, synced_at_ms, children_loaded';

/** The columns toInode reads (INODE_COLUMNS without parent and name, which the path holds). */
export const INODE_ROW_COLUMNS =
  'path, is_dir, size, mtime_ms, owner, grp, mode, state, persistence, ufs_fingerprint, content_id, synced_at_ms, children_loaded';

/** Column of each patchable field. */
export const COLUMN_OF: Record<keyof InodePatch, string> = {
  size: 'size',
  mtimeMs: 'mtime_ms',
  owner: 'owner',
  group: 'grp',
  mode: 'mode',
  state: 'state',
  persistence: 'persistence',
  ufsFingerprint: 'ufs_fingerprint',
  contentId: 'content_id',
  syncedAtMs: 'synced_at_ms',
  childrenLoaded: 'children_loaded',
};
