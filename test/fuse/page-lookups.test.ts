/**
 * FuseOperations on a real master and worker (in this process), without the kernel: what a walk of
 * a listed directory asks the master once its attributes have expired, and that it still reads
 * each file's current version.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FuseOperations } from '../../src/fuse/operations.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { testOperations } from './in-process-mount.js';

const TTL_MS = 1000;
const FILES = 30;
const nameOf = (i: number) => `f${String(i).padStart(2, '0')}`;

let cluster: TestCluster;
/** Master answers about paths (not workers' heartbeats), by route, since the last reset. */
const asked = new Map<string, number>();

beforeAll(async () => {
  cluster = await startCluster(
    {},
    {
      onAnswer: (answer) => {
        if (answer.url.startsWith('/api/v1/paths/')) asked.set(answer.url, (asked.get(answer.url) ?? 0) + 1);
      },
    },
  );
  mkdirSync(join(cluster.ufs, 'walk'));
  for (let i = 0; i < FILES; i++) writeFileSync(join(cluster.ufs, 'walk', nameOf(i)), `old ${nameOf(i)}\n`);
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

function operations(attrCacheTtlMs = TTL_MS): Promise<FuseOperations> {
  return testOperations(cluster.client(), attrCacheTtlMs);
}

/** What `cat` makes the mount do: getattr (the kernel's lookup), open, read, release. */
async function cat(ops: FuseOperations, path: string): Promise<string> {
  const { size } = await ops.getattr(path);
  const { handle } = await ops.open(path, 0);
  const into = Buffer.alloc(size + 16);
  const n = await ops.read(handle, into, 0);
  await ops.release(handle);
  return into.subarray(0, n).toString();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('FuseOperations walking a listed directory', () => {
  it('looks expired files up a page at a time, opens none at the master, and reads each current version', async () => {
    const ops = await operations();
    const listed = await ops.readdir('/walk');
    expect(listed.names.slice(2)).toEqual(Array.from({ length: FILES }, (_, i) => nameOf(i)));

    // Another client writes a new version of one file (same size) after the listing.
    const writer = await cluster.client().createFile('/walk/f07', { overwrite: true });
    await new Promise<void>((done, fail) =>
      writer.end('NEW f07\n', (e?: Error | null) => (e ? fail(e) : done())),
    );

    await sleep(TTL_MS + 50); // Every cached attribute has expired.
    asked.clear();
    const contents = [];
    for (let i = 0; i < FILES; i++) contents.push(await cat(ops, `/walk/${nameOf(i)}`));

    expect(contents).toEqual(
      Array.from({ length: FILES }, (_, i) => (i === 7 ? 'NEW f07\n' : `old ${nameOf(i)}\n`)),
    );
    // The directory's page again, for the attributes and then with a capability per file (twice
    // each should the walk outlast the time to live on a loaded machine), not a status and an
    // open per file.
    expect([...asked.keys()].sort()).toEqual(['/api/v1/paths/list', '/api/v1/paths/open-list']);
    expect(asked.get('/api/v1/paths/list')).toBeLessThanOrEqual(2);
    expect(asked.get('/api/v1/paths/open-list')).toBeLessThanOrEqual(2);
  }, 60_000);

  it('looks a page up again in the background once its attributes are half their time to live old, so a walk never waits for it', async () => {
    const ttl = 4000;
    const ops = await operations(ttl);
    await ops.readdir('/walk');
    const listed = Date.now();
    await sleep(ttl * 0.6); // Past half the time to live: not expired yet.
    asked.clear();
    await ops.getattr('/walk/f01'); // Answered from the cache, and the page is looked up again.
    await sleep(200); // the lookup's answer
    expect([...asked]).toEqual([['/api/v1/paths/list', 1]]);
    await sleep(listed + ttl + 200 - Date.now()); // The attributes of the listing have expired.
    asked.clear();
    for (let i = 2; i < FILES; i++) await ops.getattr(`/walk/${nameOf(i)}`);
    expect(asked.size).toBe(0); // the page looked up again holds them, fresh
  }, 60_000);

  it("asks the master once for the directory a walk's processes all revalidate, and refreshes it ahead of its expiry", async () => {
    const ttl = 4000;
    const ops = await operations(ttl);
    await ops.readdir('/walk');
    await sleep(ttl + 50);
    asked.clear();
    await Promise.all(Array.from({ length: 16 }, () => ops.getattr('/walk'))); // 16 cats at once
    expect([...asked]).toEqual([['/api/v1/paths/status', 1]]);
    const fetched = Date.now();
    await sleep(ttl * 0.6);
    asked.clear();
    await ops.getattr('/walk'); // from the cache; its status is asked for again, in the background
    await sleep(200);
    expect([...asked]).toEqual([['/api/v1/paths/status', 1]]);
    await sleep(fetched + ttl + 200 - Date.now());
    asked.clear();
    await ops.getattr('/walk');
    expect(asked.size).toBe(0);
  }, 60_000);
});
