/** The namespace's view of a path, turned into the wire type clients get (cluster/wire.ts). */
import type {
  FileStatus,
  ListResult,
  LsPage,
  LsRow,
  OpenListResult,
  OpenRow,
  OpenRowsResult,
} from '../cluster/wire.js';
import { LS_FLAG_DIRECTORY, LS_FLAG_MOUNT_POINT } from '../cluster/wire.js';
import type { ListResult as NamespaceList, FileStatus as NamespaceStatus } from '../namespace/namespace.js';

/**
 * Field by field, `ufsFingerprint` left undefined when there is none (not a spread per status: a
 * page is a thousand of them). Fastify's serializer and JSON.stringify both leave an undefined
 * field out, so the wire is the same as when the field was omitted.
 */
export function wireStatus(s: NamespaceStatus): FileStatus {
  return {
    path: s.path,
    name: s.name,
    isDirectory: s.isDirectory,
    size: s.size,
    mtimeMs: s.mtimeMs,
    owner: s.owner,
    group: s.group,
    mode: s.mode,
    persistence: s.persistence,
    state: s.state,
    syncedAtMs: s.syncedAtMs,
    contentId: s.contentId,
    ufsFingerprint: s.ufsFingerprint,
    mountPoint: s.mountPoint,
    mountPath: s.mountPath,
    ufsUri: s.ufsUri,
  };
}

export function wireList(list: NamespaceList): ListResult {
  const entries = list.entries.map(wireStatus);
  return list.continuationToken === undefined
    ? { entries }
    : { entries, continuationToken: list.continuationToken };
}

/** The LS_FLAG_* bits of a status, as LsRow and OpenRow carry them. */
function lsFlagsOf(s: NamespaceStatus): number {
  return (s.isDirectory ? LS_FLAG_DIRECTORY : 0) | (s.mountPoint ? LS_FLAG_MOUNT_POINT : 0);
}

/**
 * An `open-list` answer serialised here, as lsPageText's page is: the same JSON fastify's schema
 * serializer wrote (the same fields and values; only their order may differ), without its walk of
 * the schema per status. Sent as a string with the JSON content type, it passes fastify's
 * serializer by.
 */
export function openListText(list: NamespaceList, extra: Omit<OpenListResult, keyof ListResult>): string {
  const answer: OpenListResult = { ...wireList(list), ...extra };
  return JSON.stringify(answer);
}

/**
 * An `open-list` answer asked with `view: 'rows'` (OpenRowsResult), serialised: one array per
 * status, the page's mount and under-store directory said once (taken from its first entry that
 * is not a mount point; a row that differs carries its own).
 */
export function openRowsText(
  dir: string,
  list: NamespaceList,
  extra: Omit<OpenListResult, keyof ListResult>,
): string {
  const shared = list.entries.find((e) => !e.mountPoint);
  const mountPath = shared?.mountPath ?? dir;
  const ufsBase =
    shared === undefined ? '' : shared.ufsUri.slice(0, shared.ufsUri.length - shared.name.length);
  const rows: OpenRow[] = new Array(list.entries.length);
  for (let i = 0; i < list.entries.length; i++) {
    const s = list.entries[i]!;
    rows[i] = [
      s.name,
      lsFlagsOf(s),
      s.size,
      s.mtimeMs,
      s.owner,
      s.group,
      s.mode,
      s.persistence,
      s.state,
      s.syncedAtMs,
      s.contentId,
      s.ufsFingerprint ?? null,
      s.ufsUri === ufsBase + s.name ? null : s.ufsUri,
      s.mountPath === mountPath ? null : s.mountPath,
    ];
  }
  const page: OpenRowsResult = {
    dir,
    mountPath,
    ufsBase,
    rows,
    ...(list.continuationToken === undefined ? {} : { continuationToken: list.continuationToken }),
    ...extra,
  };
  return JSON.stringify(page);
}

/**
 * A page as `GET /api/v1/paths/list?view=ls` sends it (LsPage), serialised: `cached` holds the
 * cached bytes of the page's files in order (directories skipped), when they were asked for.
 */
export function lsPageText(dir: string, list: NamespaceList, cached?: readonly number[]): string {
  const rows: LsRow[] = new Array(list.entries.length);
  let file = 0;
  for (let i = 0; i < list.entries.length; i++) {
    const s = list.entries[i]!;
    const flags = lsFlagsOf(s);
    const cachedBytes = s.isDirectory || cached === undefined ? null : (cached[file++] ?? 0);
    rows[i] = s.mountPoint
      ? [s.name, flags, s.mode, s.owner, s.group, s.size, s.persistence, s.mtimeMs, cachedBytes, s.ufsUri]
      : [s.name, flags, s.mode, s.owner, s.group, s.size, s.persistence, s.mtimeMs, cachedBytes];
  }
  const page: LsPage =
    list.continuationToken === undefined
      ? { dir, rows }
      : { dir, rows, continuationToken: list.continuationToken };
  return JSON.stringify(page);
}
