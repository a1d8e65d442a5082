/**
 * What the in-process mount tests share: FuseOperations over a test cluster's client with the
 * settings they all use, and a real mount of them at a fresh directory with every call counted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TierfsClient } from '../../src/client/client.js';
import { IdentityMap } from '../../src/fuse/identity-map.js';
import { FuseMount } from '../../src/fuse/mount.js';
import { FuseOperations } from '../../src/fuse/operations.js';

const quiet = { info: () => undefined, warn: () => undefined };

/** The namespace at `/`, CACHE reads, CACHE_THROUGH writes, uid and gid 0, no id translation. */
export async function testOperations(client: TierfsClient, attrCacheTtlMs: number): Promise<FuseOperations> {
  return new FuseOperations({
    client,
    root: '/',
    readOnly: false,
    readType: 'CACHE',
    writeType: 'CACHE_THROUGH',
    readAheadBytes: 1024 * 1024,
    attrCacheTtlMs,
    umask: 0o022,
    appendRewriteMax: 1024 * 1024,
    ids: await IdentityMap.load({ translate: false, ownUid: 0, ownGid: 0 }),
    translate: false,
    owner: { uid: 0, gid: 0 },
    log: quiet,
  });
}

export interface CountedMount {
  readonly mount: FuseMount;
  /** The mount point. */
  readonly mnt: string;
  /** Calls that reached the operations, by name, since the last clear (`weigh` sets what one counts). */
  readonly calls: Map<string, number>;
  /** Unmounts and removes the mount point. */
  stop(): Promise<void>;
}

/**
 * Mounts `operations` at a new directory named after `prefix`, the kernel's attributes and entries
 * living `kernelTimeoutMs`; every call reaching them is counted (as `weigh(name, args)`, default 1).
 */
export async function mountCounted(
  operations: FuseOperations,
  options: {
    prefix: string;
    kernelTimeoutMs: number;
    weigh?: (name: string, args: unknown[]) => number;
  },
): Promise<CountedMount> {
  const calls = new Map<string, number>();
  const counted = new Proxy(operations, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const n = options.weigh?.(String(name), args) ?? 1;
        calls.set(String(name), (calls.get(String(name)) ?? 0) + n);
        return value.apply(target, args);
      };
    },
  });
  const mnt = mkdtempSync(join(tmpdir(), `${options.prefix}-`));
  const mount = await FuseMount.mount(
    counted,
    {
      mountPoint: mnt,
      fsName: 'tierfs-test',
      readOnly: false,
      allowOther: false,
      attrTimeoutMs: options.kernelTimeoutMs,
      entryTimeoutMs: options.kernelTimeoutMs,
      maxReadahead: 1024 * 1024,
      maxWrite: 1024 * 1024,
      debug: false,
    },
    quiet,
  );
  return {
    mount,
    mnt,
    calls,
    async stop() {
      await mount.unmount();
      rmSync(mnt, { recursive: true, force: true });
    },
  };
}
