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
    const row = page.rows[i]!;
    // By index, not destructured (an iterator per row until the code is optimised).
    const name = row[0];
    const flags = row[1];
    const size = row[2];
    const mtimeMs = row[3];
    const owner = row[4];
    const group = row[5];
    const mode = row[6];
    const persistence = row[7];
    const state = row[8];
    const syncedAtMs = row[9];
    const contentId = row[10];
    const path = prefix + name;
    const isDirectory = (flags & LS_FLAG_DIRECTORY) !== 0;
    const mountPoint = (flags & LS_FLAG_MOUNT_POINT) !== 0;
    const mountPath = row[13] ?? page.mountPath;
    const ufsUri = row[12] ?? page.ufsBase + name;
    const fingerprint = row[11];
    // Two literals, not a spread to add the fingerprint: a page is a thousand of them.
    entries[i] =
      fingerprint === null
        ? {
            path,
            name,
            isDirectory,
            size,
            mtimeMs,
            owner,
            group,
            mode,
            persistence,
            state,
            syncedAtMs,
            contentId,
            mountPoint,
            mountPath,
            ufsUri,
          }
        : {
            path,
            name,
            isDirectory,
            size,
            mtimeMs,
            owner,
            group,
            mode,
            persistence,
            state,
            syncedAtMs,
            contentId,
            ufsFingerprint: fingerprint,
            mountPoint,
            mountPath,
            ufsUri,
          };
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
