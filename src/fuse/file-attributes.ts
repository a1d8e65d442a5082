/** The `stat` the kernel gets for a tierfs file, a directory, or a file this mount is writing. */
import type { FileStatus } from '../cluster/wire.js';
import type { IdentityMap } from './identity-map.js';

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

/** What fuse-native turns into a `struct stat`. */
export interface FuseStat {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly nlink: number;
  readonly blksize: number;
  readonly blocks: number;
  readonly atime: Date;
  readonly mtime: Date;
  readonly ctime: Date;
}

export function statOf(status: FileStatus, ids: IdentityMap): FuseStat {
  return attributes({
    isDirectory: status.isDirectory,
    mode: status.mode,
    uid: ids.uidOf(status.owner),
    gid: ids.gidOf(status.group),
    size: status.isDirectory ? 4096 : status.size,
    mtimeMs: status.mtimeMs,
  });
}

export function statOfWriting(
  file: { mode: number; written: number; openedMs: number },
  owner: { uid: number; gid: number },
): FuseStat {
  return attributes({
    isDirectory: false,
    mode: file.mode,
    ...owner,
    size: file.written,
    mtimeMs: file.openedMs,
  });
}

function attributes(a: {
  isDirectory: boolean;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeMs: number;
}): FuseStat {
  const time = new Date(a.mtimeMs);
  return {
    mode: (a.isDirectory ? S_IFDIR : S_IFREG) | (a.mode & 0o7777),
    uid: a.uid,
    gid: a.gid,
    size: a.size,
    // 1 for directories too: tools (find) then count no links, as on btrfs.
    nlink: 1,
    blksize: 1024 * 1024,
    blocks: Math.ceil(a.size / 512),
    atime: time,
    mtime: time,
    ctime: time,
  };
}
