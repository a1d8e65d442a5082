/**
 * A mount that lives long: what it holds must not grow with the operations it served. A real FUSE
 * mount in this process (over a master and a worker in it too), walked again and again by `find |
 * xargs -P16 cat`, whose processes make libfuse end idle threads and start new ones all the time.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityMap } from '../../src/fuse/identity-map.js';
import { FuseMount } from '../../src/fuse/mount.js';
import { FuseOperations } from '../../src/fuse/operations.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { requireFuse, sh } from './support.js';

const FILES = 300;
const WALKS = 6;

let cluster: TestCluster | undefined;
let mount: FuseMount | undefined;
let operations: FuseOperations | undefined;
let mnt = '';

beforeAll(async () => {
  requireFuse();
  cluster = await startCluster();
  mkdirSync(join(cluster.ufs, 'tree'));
  for (let i = 0; i < FILES; i++) {
    writeFileSync(join(cluster.ufs, 'tree', `f${String(i).padStart(4, '0')}`), `file ${i}\n`);
  }
  const quiet = { info: () => undefined, warn: () => undefined };
  operations = new FuseOperations({
    client: cluster.client(),
    root: '/',
    readOnly: false,
    readType: 'CACHE',
    writeType: 'CACHE_THROUGH',
    readAheadBytes: 1024 * 1024,
    attrCacheTtlMs: 1000,
    umask: 0o022,
    appendRewriteMax: 1024 * 1024,
    ids: await IdentityMap.load({ translate: false, ownUid: 0, ownGid: 0 }),
    translate: false,
    owner: { uid: 0, gid: 0 },
    log: quiet,
  });
  mnt = mkdtempSync(join(tmpdir(), 'tierfs-fuse-long-'));
  mount = await FuseMount.mount(
    operations,
    {
      mountPoint: mnt,
      fsName: 'tierfs-test',
      readOnly: false,
      allowOther: false,
      attrTimeoutMs: 1000,
      entryTimeoutMs: 1000,
      maxReadahead: 1024 * 1024,
      maxWrite: 1024 * 1024,
      debug: false,
    },
    quiet,
  );
}, 60_000);

afterAll(async () => {
  await mount?.unmount();
  await cluster?.stop();
  if (mnt) rmSync(mnt, { recursive: true, force: true });
}, 60_000);

describe('a long-lived FUSE mount', () => {
  it("keeps no more of the binding's thread states than threads ran at once, and no open handles, over walk after walk", async () => {
    const counts: number[] = [];
    for (let walk = 0; walk < WALKS; walk++) {
      const r = await sh(`cd ${mnt}/tree && find . -type f | xargs -P16 -n4 cat | wc -l`);
      expect(r.stdout.trim()).toBe(String(FILES));
      counts.push(mount!.threadStates);
    }
    // fuse-native 2.2.6 made a new state (a buffer and a uv_async_t on the loop) for every thread
    // libfuse started: about one per 8 files opened here, so hundreds by now, and growing.
    expect(counts.at(-1)).toBeLessThanOrEqual(64);
    expect(counts.at(-1)! - counts[0]!).toBeLessThanOrEqual(16);
    expect(operations!.openHandles).toBe(0);
  }, 120_000);
});
