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
    // By index, not destructured (an iterator per row until the code is optimised): OpenRow's order.
    const row = page.rows[i]!;
    const name = row[0];
    const entry: { -readonly [K in keyof FileStatus]: FileStatus[K] } = {
      path: prefix + name,
      name,
      isDirectory: (row[1] & LS_FLAG_DIRECTORY) !== 0,
      size: row[2],
      mtimeMs: row[3],
      owner: row[4],
      group: row[5],
      mode: row[6],
      persistence: row[7],
      state: row[8],
      syncedAtMs: row[9],
      contentId: row[10],
      mountPoint: (row[1] & LS_FLAG_MOUNT_POINT) !== 0,
      mountPath: row[13] ?? page.mountPath,
      ufsUri: row[12] ?? page.ufsBase + name,
    };
    // Absent, not undefined, when the row has none: as in the full answer's JSON.
    if (row[11] !== null) entry.ufsFingerprint = row[11];
    entries[i] = entry;
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
