/**
 * POSIX-style permission checks on inodes, with Alluxio's error text so operators recognise it:
 * `Permission denied: user=presto, access=--x, path=/mnt/s3/obj: failed at s3, inode owner=john, ...`
 */
import { TierfsError } from '../errors.js';
import type { Inode } from '../meta/store.js';

export interface Caller {
  readonly user: string;
  readonly groups: readonly string[];
}

export type Access = 'r' | 'w' | 'x' | 'rx' | 'wx';

const BITS: Record<Access, number> = { r: 4, w: 2, x: 1, rx: 5, wx: 3 };

export function modeString(mode: number): string {
  const chars = 'rwxrwxrwx';
  let out = '';
  for (let i = 0; i < 9; i++) out += mode & (1 << (8 - i)) ? chars[i] : '-';
  return out;
}

function accessString(access: Access): string {
  const bits = BITS[access];
  return `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${bits & 1 ? 'x' : '-'}`;
}

export class PermissionChecker {
  constructor(
    private readonly enabled: boolean,
    /** The user the master runs as and members of the supergroup pass every check. */
    private readonly superUser: string,
    private readonly superGroup: string,
  ) {}

  isSuper(caller: Caller): boolean {
    return !this.enabled || caller.user === this.superUser || caller.groups.includes(this.superGroup);
  }

  allows(inode: Inode, caller: Caller, access: Access): boolean {
    if (this.isSuper(caller)) return true;
    const want = BITS[access];
    const shift = caller.user === inode.owner ? 6 : caller.groups.includes(inode.group) ? 3 : 0;
    return ((inode.mode >> shift) & want) === want;
  }

  /** Throws PERMISSION_DENIED for `target` when `inode` (target itself or an ancestor) refuses `access`. */
  check(inode: Inode, caller: Caller, access: Access, target: string): void {
    if (this.allows(inode, caller, access)) return;
    const failedAt = inode.path === '/' ? '/' : inode.path.slice(inode.path.lastIndexOf('/') + 1);
    throw new TierfsError(
      'PERMISSION_DENIED',
      `Permission denied: user=${caller.user}, access=${accessString(access)}, path=${target}: failed at ${failedAt}, ` +
        `inode owner=${inode.owner}, inode group=${inode.group}, inode mode=${modeString(inode.mode)}`,
    );
  }
}
