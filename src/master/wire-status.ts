/** The namespace's view of a path, turned into the wire type clients get (cluster/wire.ts). */
import type { FileStatus, ListResult } from '../cluster/wire.js';
import type { ListResult as NamespaceList, FileStatus as NamespaceStatus } from '../namespace/namespace.js';

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
    ...(s.ufsFingerprint === undefined ? {} : { ufsFingerprint: s.ufsFingerprint }),
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
