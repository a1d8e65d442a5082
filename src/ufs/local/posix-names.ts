/**
 * User and group names for numeric ids, read once from /etc/passwd and /etc/group. Ids without an
 * entry (containers, NFS) are shown as the number, as `ls -l` does.
 */
import { readFileSync } from 'node:fs';

function readIdFile(file: string): Map<number, string> {
  const names = new Map<number, string>();
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (name && id !== undefined && /^\d+$/.test(id)) names.set(Number(id), name);
    }
  } catch {
    // No such file on this platform: numbers it is.
  }
  return names;
}

let users: Map<number, string> | undefined;
let groups: Map<number, string> | undefined;

export function userName(uid: number): string {
  users ??= readIdFile('/etc/passwd');
  return users.get(uid) ?? String(uid);
}

export function groupName(gid: number): string {
  groups ??= readIdFile('/etc/group');
  return groups.get(gid) ?? String(gid);
}
