/** The MEM tier on a RAM disk: pages in files on tmpfs, not in the heap. */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PageStore } from './page-store.js';

const KB = 1024;
let ram: string;
let disk: string;

beforeEach(async () => {
  ram = await mkdtemp('/dev/shm/tierfs-ramtier-');
  disk = await mkdtemp(join(tmpdir(), 'tierfs-ramtier-disk-'));
});

afterEach(async () => {
  await rm(ram, { recursive: true, force: true });
  await rm(disk, { recursive: true, force: true });
});

function bytes(seed: number, size = KB): Buffer {
  return Buffer.from(Array.from({ length: size }, (_, i) => (seed * 13 + i) & 0xff));
}

async function files(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

function open(memQuota = 4 * KB, diskQuota = 64 * KB): Promise<PageStore> {
  return PageStore.open({
    pageSize: KB,
    mem: { quota: memQuota, path: join(ram, 'w1'), lowWatermark: 0.5 },
    disk: { dirs: [{ path: disk, quota: diskQuota }], buckets: 4 },
  });
}

describe('the MEM tier on a RAM disk', () => {
  it('keeps MEM pages in files on tmpfs, readable by owner and group only', async () => {
    const store = await open();
    expect(await store.put('file', 0, bytes(1))).toBe(true);
    expect(
      await store.put('file', 1, [bytes(2).subarray(0, 100), bytes(2).subarray(100)], { adopt: true }),
    ).toBe(true);
    expect(store.tierOf('file', 0)).toBe('MEM');
    const mem = await files(join(ram, 'w1'));
    expect(mem).toHaveLength(2);
    for (const file of mem) expect((await stat(file)).mode & 0o007).toBe(0);
    expect(await store.get('file', 0)).toEqual(bytes(1));
    expect(await store.get('file', 1)).toEqual(bytes(2));
    expect(store.usage().MEM).toMatchObject({ used: 2 * KB, pages: 2, dirs: [{ path: join(ram, 'w1') }] });
    await store.close();
  });

  it('finds its pages again after a crash (no close), and close({ removeMemDir }) gives the memory back', async () => {
    const first = await open();
    for (let i = 0; i < 3; i++) await first.put('file', i, bytes(i));
    await first.flush(); // the process dies here: no close
    const second = await open();
    expect(second.recovery.pages).toBe(3);
    expect(second.tierOf('file', 2)).toBe('MEM');
    expect(await second.get('file', 2)).toEqual(bytes(2));
    await second.close({ removeMemDir: true });
    await expect(stat(join(ram, 'w1'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('demotes MEM page files to DISK and promotes them back, bytes intact', async () => {
    const store = await open(4 * KB);
    for (let i = 0; i < 8; i++) await store.put('file', i, bytes(i));
    await store.demote();
    await store.flush();
    expect(store.stats().demotions).toBeGreaterThan(0);
    expect(store.tierOf('file', 0)).toBe('DISK');
    expect((await files(join(ram, 'w1'))).length).toBe(store.usage().MEM!.pages);
    expect((await files(disk)).length).toBe(store.usage().DISK!.pages);
    for (let i = 0; i < 8; i++) expect(await store.get('file', i), `page ${i}`).toEqual(bytes(i));
    expect(await store.get('file', 0, { promote: true })).toEqual(bytes(0));
    expect(store.tierOf('file', 0)).toBe('MEM');
    await store.flush();
    expect(await store.get('file', 0)).toEqual(bytes(0));
    await store.close();
  });

  it('pins page files against eviction until released', async () => {
    const store = await PageStore.open({
      pageSize: KB,
      mem: { quota: 4 * KB, path: join(ram, 'w1'), highWatermark: 1 },
    });
    for (let i = 0; i < 4; i++) await store.put('pinned', i, bytes(i));
    const hits = store.stats().hits;
    const pinned = await store.pin('pinned', 10, 4 * KB - 20);
    expect(pinned?.files.map((f) => f.pageIndex)).toEqual([0, 1, 2, 3]);
    expect(store.stats().hits).toBe(hits + 4);
    expect(store.stats().tiers.MEM?.bytesRead).toBe(4 * KB - 20);
    const one = await store.pin('pinned', KB, 1);
    expect(one?.files.map((f) => f.pageIndex)).toEqual([1]);
    one?.release();
    expect(await store.put('other', 0, bytes(9))).toBe(false); // every page is pinned: no room
    for (const file of pinned!.files) expect((await stat(file.path)).size).toBe(file.headerLength + KB);
    pinned!.release();
    pinned!.release(); // once
    expect(await store.put('other', 0, bytes(9))).toBe(true);
    expect(store.has('pinned', 0)).toBe(false);
    expect(await store.pin('pinned', 0, 4 * KB)).toBeUndefined(); // a page is gone
    await store.close();
  });

  it('does not pin pages kept in the heap', async () => {
    const store = await PageStore.open({ pageSize: KB, mem: { quota: 4 * KB } });
    await store.put('heap', 0, bytes(0));
    expect(await store.pin('heap', 0, KB)).toBeUndefined();
    await store.close();
  });
});
