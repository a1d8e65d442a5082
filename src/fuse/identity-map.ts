/**
 * Owners and groups between tierfs (names) and the kernel (uid and gid numbers): the operating
 * system's user database (`getent`, so LDAP and NSS users count), overridden by configured
 * `name=id` pairs. A name the system does not know shows as nobody (65534); a number the system
 * does not know is kept as its decimal name, as NFS does. With translation off every file shows as
 * the user who mounted.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { TierfsError } from '../errors.js';

export const NOBODY_ID = 65534;

export interface IdentityMapOptions {
  readonly translate: boolean;
  /** `name=id` pairs for users and for groups (the configured mappings). */
  readonly users?: readonly string[];
  readonly groups?: readonly string[];
  /** The uid and gid of the mounting process, shown when translation is off. */
  readonly ownUid: number;
  readonly ownGid: number;
}

class Directory {
  private readonly ids = new Map<string, number>();
  private readonly names = new Map<number, string>();

  add(name: string, id: number, override: boolean): void {
    if (!override && this.ids.has(name)) return;
    this.ids.set(name, id);
    if (override || !this.names.has(id)) this.names.set(id, name);
  }

  idOf(name: string): number {
    const id = this.ids.get(name);
    if (id !== undefined) return id;
    return /^\d+$/.test(name) ? Number(name) : NOBODY_ID;
  }

  nameOf(id: number): string {
    return this.names.get(id) ?? String(id);
  }
}

export class IdentityMap {
  private constructor(
    private readonly options: IdentityMapOptions,
    private readonly users: Directory,
    private readonly groups: Directory,
  ) {}

  /** Reads the system's users and groups (asynchronously: never blocks the event loop). */
  static async load(options: IdentityMapOptions): Promise<IdentityMap> {
    const users = new Directory();
    const groups = new Directory();
    if (options.translate) {
      for (const [name, id] of parsePairs(options.users ?? [], 'tierfs.fuse.user.mapping'))
        users.add(name, id, true);
      for (const [name, id] of parsePairs(options.groups ?? [], 'tierfs.fuse.group.mapping'))
        groups.add(name, id, true);
      for (const [name, id] of await getent('passwd')) users.add(name, id, false);
      for (const [name, id] of await getent('group')) groups.add(name, id, false);
    }
    return new IdentityMap(options, users, groups);
  }

  uidOf(owner: string): number {
    return this.options.translate ? this.users.idOf(owner) : this.options.ownUid;
  }

  gidOf(group: string): number {
    return this.options.translate ? this.groups.idOf(group) : this.options.ownGid;
  }

  userOf(uid: number): string {
    return this.users.nameOf(uid);
  }

  groupOf(gid: number): string {
    return this.groups.nameOf(gid);
  }
}

function parsePairs(pairs: readonly string[], key: string): [string, number][] {
  return pairs.map((pair) => {
    const match = /^([^=\s]+)=(\d+)$/.exec(pair.trim());
    if (!match) {
      throw new TierfsError(
        'CONFIG_INVALID',
        `${key}: '${pair}' is not a name=id pair; write it like alice=1001,bob=1002`,
      );
    }
    return [match[1]!, Number(match[2])];
  });
}

/** `name:x:id:...` lines of `getent passwd|group`; /etc/passwd and /etc/group when getent is missing. */
function getent(database: 'passwd' | 'group'): Promise<[string, number][]> {
  return new Promise((resolve) => {
    execFile('getent', [database], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => {
      if (!error) return resolve(parseDatabase(stdout));
      readFile(`/etc/${database}`, 'utf8')
        .then(parseDatabase, () => [])
        .then(resolve);
    });
  });
}

function parseDatabase(text: string): [string, number][] {
  const entries: [string, number][] = [];
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    if (name && id !== undefined && /^\d+$/.test(id)) entries.push([name, Number(id)]);
  }
  return entries;
}
