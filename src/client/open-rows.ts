/**
 * The FileStatus of each entry of an `open-list` page asked with `view: 'rows'` (wire.ts
 * OpenRowsResult), or, from a master that does not know that view, the page as it came.
 */
import {
  type FileStatus,
  LS_FLAG_DIRECTORY,
  LS_FLAG_MOUNT_POINT,
  type OpenListResult,
  type OpenRowsResult,
} from '../cluster/wire.js';

export function openListOf(page: OpenRowsResult | OpenListResult): OpenListResult {
  if (!('rows' in page)) return page;
  const prefix = page.dir === '/' ? '/' : `${page.dir}/`;
  const entries: FileStatus[] = new Array(page.rows.length);
  for (let i = 0; i < page.rows.length; i++) {
    const [name, flags, size, mtimeMs, owner, group, mode, persistence, state, syncedAtMs, contentId] =
      page.rows[i]!;
    const row = page.rows[i]!;
    const fingerprint = row[11];
    const status: FileStatus = {
      path: prefix + name,
      name,
      isDirectory: (flags & LS_FLAG_DIRECTORY) !== 0,
      size,
      mtimeMs,
      owner,
      group,
      mode,
      persistence,
      state,
      syncedAtMs,
      contentId,
      mountPoint: (flags & LS_FLAG_MOUNT_POINT) !== 0,
      mountPath: row[13] ?? page.mountPath,
      ufsUri: row[12] ?? page.ufsBase + name,
    };
    entries[i] = fingerprint === null ? status : { ...status, ufsFingerprint: fingerprint };
  }
  const { continuationToken, capabilities, pageCapabilities, unreadable } = page;
  return {
    entries,
    capabilities,
    ...(continuationToken === undefined ? {} : { continuationToken }),
    ...(pageCapabilities === undefined ? {} : { pageCapabilities }),
    ...(unreadable === undefined ? {} : { unreadable }),
  };
}
