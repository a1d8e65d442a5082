/**
 * The FUSE mount (`tierfs fuse mount`). Every `tierfs.fuse.X` key is also accepted as Alluxio's
 * `alluxio.fuse.X`; Alluxio's `alluxio.fuse.mount.alluxio.path` names the tierfs path.
 */
import { defineProperty } from '../property.js';
import { bool, bytes, duration, list, oneOf, string } from '../types.js';

export const FUSE_MOUNT_POINT = defineProperty({
  key: 'tierfs.fuse.mount.point',
  type: string,
  default: '/mnt/tierfs-fuse',
  description: 'Local directory `tierfs fuse mount` mounts on when no mount point is given.',
});

export const FUSE_MOUNT_TIERFS_PATH = defineProperty({
  key: 'tierfs.fuse.mount.tierfs.path',
  type: string,
  default: '/',
  aliases: ['alluxio.fuse.mount.alluxio.path'],
  description: 'The tierfs path shown at the mount point when `tierfs fuse mount` names none.',
});

export const FUSE_MOUNT_OPTIONS = defineProperty({
  key: 'tierfs.fuse.mount.options',
  type: list(),
  default: '',
  description:
    'Comma-separated options of every FUSE mount, as `-o` takes them: ro, allow_other, attr_timeout=1s, ' +
    'or any tierfs.fuse.* property as key=value.',
});

export const FUSE_READ_ONLY = defineProperty({
  key: 'tierfs.fuse.read.only',
  type: bool,
  default: 'false',
  description: 'Mount read-only: every change fails with EROFS (`-o ro`).',
});

export const FUSE_ALLOW_OTHER = defineProperty({
  key: 'tierfs.fuse.allow.other',
  type: bool,
  default: 'false',
  description:
    'Let users other than the one who mounted use the mount (`-o allow_other`); the kernel checks each ' +
    "caller's uid and gid against the owner, group and mode tierfs records.",
});

export const FUSE_USER_GROUP_TRANSLATION_ENABLED = defineProperty({
  key: 'tierfs.fuse.user.group.translation.enabled',
  type: bool,
  default: 'true',
  description:
    'Show owners and groups as the uid and gid the operating system gives their names (getent), so the ' +
    'kernel checks permissions as the calling uid/gid; false shows every file as the mounting user.',
});

export const FUSE_USER_MAPPING = defineProperty({
  key: 'tierfs.fuse.user.mapping',
  type: list(),
  default: '',
  description:
    'user=uid pairs that override the operating system for owners, e.g. alice=1001,bob=1002. Unknown ' +
    'users show as the nobody uid (65534).',
});

export const FUSE_GROUP_MAPPING = defineProperty({
  key: 'tierfs.fuse.group.mapping',
  type: list(),
  default: '',
  description: 'group=gid pairs that override the operating system for groups, e.g. analysts=2001.',
});

export const FUSE_ATTR_CACHE_TIMEOUT = defineProperty({
  key: 'tierfs.fuse.attr.cache.timeout',
  type: duration(),
  default: '1sec',
  description:
    'How long the kernel and the mount keep a file attribute (size, mode, times) before asking the master again.',
});

export const FUSE_ENTRY_CACHE_TIMEOUT = defineProperty({
  key: 'tierfs.fuse.entry.cache.timeout',
  type: duration(),
  default: '1sec',
  description: 'How long the kernel keeps a name it looked up before looking it up again.',
});

export const FUSE_READ_TYPE = defineProperty({
  key: 'tierfs.fuse.read.type',
  type: oneOf(['NO_CACHE', 'CACHE', 'CACHE_PROMOTE']),
  description: 'Read type of reads through the mount; unset: tierfs.user.file.readtype.default.',
});

export const FUSE_WRITE_TYPE = defineProperty({
  key: 'tierfs.fuse.write.type',
  type: oneOf(['MUST_CACHE', 'CACHE_THROUGH', 'THROUGH', 'ASYNC_THROUGH']),
  description:
    'Write type of files written through the mount (close returns once the file is as durable as it ' +
    'promises); unset: tierfs.user.file.writetype.default.',
});

export const FUSE_MAX_READAHEAD = defineProperty({
  key: 'tierfs.fuse.max.readahead',
  type: bytes({ min: 4096 }),
  default: '8MB',
  description:
    "The kernel's read-ahead on the mount, and how much a read at a new position asks its worker for " +
    'before the reads prove sequential.',
});

export const FUSE_MAXWRITE_BYTES = defineProperty({
  key: 'tierfs.fuse.maxwrite.bytes',
  type: bytes({ min: 4096 }),
  default: '128KB',
  description: 'Largest write the kernel hands the mount at once.',
});

export const FUSE_APPEND_REWRITE_MAX = defineProperty({
  key: 'tierfs.fuse.append.rewrite.max',
  type: bytes({ min: 0 }),
  default: '64MB',
  description:
    'Largest existing file that writing on at its end (O_APPEND, or writing after fsync or after a ' +
    'close) rewrites whole: its bytes are read back into a new version that continues with the new ' +
    'writes. A larger file refuses such writes with ENOTSUP; 0 refuses them all.',
});

export const FUSE_FS_NAME = defineProperty({
  key: 'tierfs.fuse.fs.name',
  type: string,
  default: 'tierfs',
  description: 'File system name shown by mount and df for tierfs mounts.',
});

export const FUSE_DEBUG_ENABLED = defineProperty({
  key: 'tierfs.fuse.debug.enabled',
  type: bool,
  default: 'false',
  description: "Log every FUSE operation with its path and result to the mount's log.",
});

export const FUSE_UMOUNT_TIMEOUT = defineProperty({
  key: 'tierfs.fuse.umount.timeout',
  type: duration(),
  default: '1min',
  description: '`tierfs fuse unmount` waits this long for the mount process to finish its writes and exit.',
});
