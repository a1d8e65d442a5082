import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { eventually } from '../../test/support/eventually.js';
import { isTierfsError } from '../errors.js';
import { releaseChunk, SLAB_BYTES, takeSlab } from '../ufs/slab-pool.js';
import { bucketOf, fileIdOf, fileKeyOf } from './page-key.js';
import { PageStore } from './page-store.js';
import type { PageStoreOptions } from './page-store-options.js';

const KB = 1024;
const FILE = fileKeyOf('s3://bucket/data.bin', 'etag-1');

/** Deterministic bytes for a page: the same (file, index, size) always gives the same content. */
function pageBytes(fileKey: string, index: number, size = KB): Buffer {
  const bytes = Buffer.alloc(size);
  const seed = bucketOf(fileIdOf(fileKey), 251) + index * 7919;
  for (let i = 0; i < size; i++) bytes[i] = (seed + i * 31) & 0xff;
  return bytes;
}

let dir: string;
const open: PageStore[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tierfs-pages-'));
});

afterEach(async () => {
  for (const store of open.splice(0)) await store.close();
  await rm(dir, { recursive: true, force: true });
});

async function openStore(options: PageStoreOptions): Promise<PageStore> {
  const store = await PageStore.open({ pageSize: KB, ...options });
  open.push(store);
  return store;
}

function disk(quota: number, extra: Partial<NonNullable<PageStoreOptions['disk']>> = {}) {
  return { dirs: [{ path: dir, quota }], buckets: 4, ...extra };
}

/** Every page file under the store directory, with its size. */
async function pageFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) found.push(join(entry.parentPath, entry.name));
  }
  return found;
}

function expectUsageMatchesPages(store: PageStore): void {
  const usage = store.usage();
  for (const tier of ['MEM', 'DISK'] as const) {
    const pages = [...store.pages()].filter((page) => page.tier === tier);
    if (!usage[tier]) continue;
    expect(usage[tier].used, `${tier} used`).toBe(pages.reduce((total, page) => total + page.size, 0));
    expect(usage[tier].pages, `${tier} pages`).toBe(pages.length);
    expect(usage[tier].used).toBeLessThanOrEqual(usage[tier].capacity);
  }
}

describe('PageStore', () => {
  it('round-trips pages in MEM and on DISK, including a short last page', async () => {
    for (const options of [{ mem: { quota: 8 * KB } }, { disk: disk(8 * KB) }]) {
      const store = await openStore(options);
      expect(await store.put(FILE, 0, pageBytes(FILE, 0))).toBe(true);
      expect(await store.put(FILE, 1, pageBytes(FILE, 1, 100))).toBe(true);
      expect(await store.get(FILE, 0)).toEqual(pageBytes(FILE, 0));
      expect(await store.get(FILE, 1)).toEqual(pageBytes(FILE, 1, 100));
      expect(await store.get(FILE, 2)).toBeUndefined();
      expect(store.has(FILE, 1)).toBe(true);
      const tier = options.mem ? 'MEM' : 'DISK';
      expect(store.tierOf(FILE, 0)).toBe(tier);
      expect(store.usage()[tier]).toMatchObject({ used: KB + 100, pages: 2 });
      expect(store.stats()).toMatchObject({ hits: 2, misses: 1 });
      expect(await store.delete(FILE, 0)).toBe(true);
      expect(await store.delete(FILE, 0)).toBe(false);
      expect(store.usage()[tier]).toMatchObject({ used: 100, pages: 1 });
    }
  });

  it('keeps its own copy of the bytes put, taken before put returns (MEM and DISK)', async () => {
    for (const options of [{ mem: { quota: 4 * KB } }, { disk: disk(4 * KB) }]) {
      const store = await openStore(options);
      const bytes = pageBytes(FILE, 0);
      const put = store.put(FILE, 0, bytes);
      bytes.fill(0); // the worker reuses one page buffer for a whole write
      expect(await put).toBe(true);
      expect(await store.get(FILE, 0)).toEqual(pageBytes(FILE, 0));
    }
  });

  it('adopts a handed-over Buffer that owns its memory, and copies a view into a larger one', async () => {
    const store = await openStore({ mem: { quota: 4 * KB } });
    const whole = Buffer.allocUnsafeSlow(KB);
    pageBytes(FILE, 0).copy(whole);
    await store.put(FILE, 0, whole, { adopt: true });
    expect(await store.get(FILE, 0)).toBe(whole); // kept, not copied

    const big = Buffer.allocUnsafeSlow(2 * KB);
    pageBytes(FILE, 1).copy(big);
    const view = big.subarray(0, KB);
    await store.put(FILE, 1, view, { adopt: true });
    const cached = await store.get(FILE, 1);
    expect(cached).not.toBe(view);
    expect(cached!.buffer).not.toBe(big.buffer); // does not keep the larger allocation alive
    big.fill(0);
    expect(cached).toEqual(pageBytes(FILE, 1));
  });

  it('copies a handed-over slab of a long GET, whose memory is used again (slab-pool.ts)', async () => {
    // Pages of a slab's size: a whole slab is a Buffer that owns its memory, which is adopted.
    const store = await openStore({ pageSize: SLAB_BYTES, mem: { quota: 2 * SLAB_BYTES } });
    const slab = takeSlab();
    slab.fill(7);
    await store.put(FILE, 0, slab, { adopt: true });
    const cached = await store.get(FILE, 0);
    expect(cached!.buffer).not.toBe(slab.buffer);
    releaseChunk(slab);
    takeSlab().fill(0); // the same memory, filled by the next GET
    expect(cached!.every((byte) => byte === 7)).toBe(true);
  });

  it('lays pages out as <dir>/<pageSize>/<bucket>/<fileId>/<pageIndex>', async () => {
    const store = await openStore({ disk: disk(8 * KB) });
    await store.put(FILE, 3, pageBytes(FILE, 3));
    const fileId = fileIdOf(FILE);
    const path = join(dir, String(KB), String(bucketOf(fileId, 4)), fileId, '3');
    expect(await pageFiles(dir)).toEqual([path]);
    expect((await stat(path)).size).toBeGreaterThan(KB);
  });

  it('evicts the least recently used page first', async () => {
    const store = await openStore({ mem: { quota: 4 * KB, highWatermark: 1, lowWatermark: 0.75 } });
    for (let i = 0; i < 4; i++) await store.put(FILE, i, pageBytes(FILE, i));
    await store.get(FILE, 0); // page 0 is now the most recently used; page 1 the least
    await store.get(FILE, 2);
    await store.put(FILE, 4, pageBytes(FILE, 4));
    // 5 pages do not fit in 4: evict down to 3 pages after the put, so the two LRU pages go.
    expect([0, 1, 2, 3, 4].filter((i) => store.has(FILE, i))).toEqual([0, 2, 4]);
    expect(store.stats().tiers.MEM?.evictions).toBe(2);
  });

  it('with LFU, evicts the least frequently used page first', async () => {
    const store = await openStore({
      mem: { quota: 3 * KB, highWatermark: 1, lowWatermark: 1 },
      evictor: 'LFU',
    });
    for (let i = 0; i < 3; i++) await store.put(FILE, i, pageBytes(FILE, i));
    await store.get(FILE, 0);
    await store.get(FILE, 0);
    await store.get(FILE, 1);
    await store.get(FILE, 2);
    await store.get(FILE, 1);
    await store.put(FILE, 3, pageBytes(FILE, 3)); // page 2 was read least often
    expect([0, 1, 2, 3].filter((i) => store.has(FILE, i))).toEqual([0, 1, 3]);
  });

  it('evicts down to the low watermark once a put would pass the high watermark', async () => {
    const store = await openStore({ mem: { quota: 10 * KB } }); // high 0.95, low 0.7 by default
    for (let i = 0; i < 9; i++) await store.put(FILE, i, pageBytes(FILE, i));
    expect(store.usage().MEM).toMatchObject({ used: 9 * KB, pages: 9 }); // 90%: under the high mark
    expect(store.stats().tiers.MEM?.evictions).toBe(0);
    await store.put(FILE, 9, pageBytes(FILE, 9)); // 100% would pass 95%
    const usage = store.usage().MEM!;
    expect(usage.used).toBeLessThanOrEqual(0.7 * usage.capacity);
    expect(usage.used).toBe(7 * KB);
    expect(store.stats().tiers.MEM?.evictions).toBe(3);
    expect(store.has(FILE, 9)).toBe(true);
  });

  it('sends a page that finds MEM full to DISK, demoting nothing on the way, and demotes MEM to DISK afterwards', async () => {
    const store = await openStore({
      mem: { quota: 2 * KB, highWatermark: 1, lowWatermark: 0.5 },
      disk: disk(16 * KB),
    });
    for (let i = 0; i < 3; i++) await store.put(FILE, i, pageBytes(FILE, i));
    // The put of page 2 found MEM full: it went to DISK and moved no MEM page (no burst on its path).
    expect([0, 1, 2].map((i) => store.tierOf(FILE, i))).toEqual(['MEM', 'MEM', 'DISK']);
    expect(store.stats().demotions).toBe(0);
    await store.demote(); // what the background demotion does once the store is idle
    expect([0, 1, 2].map((i) => store.tierOf(FILE, i))).toEqual(['DISK', 'MEM', 'DISK']);
    expect(store.stats().demotions).toBe(1);
    await store.flush();
    expect(await pageFiles(dir)).toHaveLength(2);
    expect(await store.get(FILE, 0)).toEqual(pageBytes(FILE, 0));
    expect(store.usage()).toMatchObject({ MEM: { used: KB }, DISK: { used: 2 * KB } });
  });

  it('demotes MEM in the background once no page was put for the idle time, one page per interval while puts keep coming', async () => {
    const store = await openStore({
      mem: { quota: 8 * KB, highWatermark: 1, lowWatermark: 0.5 },
      disk: disk(32 * KB),
      demotionIdleMs: 40,
    });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      for (let i = 0; i < 8; i++) await store.put(FILE, i, pageBytes(FILE, i));
      // A put every 10 ms for 200 ms: never idle for 40 ms, so at most one page per 40 ms is demoted.
      for (let i = 8; i < 28; i++) {
        await store.put(FILE, i, pageBytes(FILE, i));
        await vi.advanceTimersByTimeAsync(10);
      }
      const busy = store.stats().demotions;
      expect(busy).toBeGreaterThanOrEqual(1);
      expect(busy).toBeLessThanOrEqual(5);
      expect(store.usage().MEM!.used).toBeGreaterThan(4 * KB);
      await vi.advanceTimersByTimeAsync(40); // idle now: down to the low watermark
    } finally {
      vi.useRealTimers();
    }
    await eventually(() => store.usage().MEM!.used <= 4 * KB, 'MEM down to its low watermark once idle');
    await store.flush();
    for (let i = 0; i < 28; i++) expect(await store.get(FILE, i), `page ${i}`).toEqual(pageBytes(FILE, i));
    expectUsageMatchesPages(store);
  });

  it('drops pages evicted from MEM when there is no DISK tier', async () => {
    const store = await openStore({ mem: { quota: 2 * KB, highWatermark: 1, lowWatermark: 0.5 } });
    for (let i = 0; i < 3; i++) await store.put(FILE, i, pageBytes(FILE, i));
    expect([0, 1, 2].map((i) => store.tierOf(FILE, i))).toEqual([undefined, undefined, 'MEM']);
    expect(store.stats().demotions).toBe(0);
  });

  it('promotes a DISK page to MEM on CACHE_PROMOTE, not on CACHE', async () => {
    const store = await openStore({
      mem: { quota: 2 * KB, highWatermark: 1, lowWatermark: 0.5 },
      disk: disk(16 * KB),
    });
    for (let i = 0; i < 3; i++) await store.put(FILE, i, pageBytes(FILE, i));
    await store.demote(); // page 0 to DISK, MEM at its low watermark: room for a promotion
    expect(await store.get(FILE, 0)).toEqual(pageBytes(FILE, 0));
    expect(store.tierOf(FILE, 0)).toBe('DISK');
    expect(await store.get(FILE, 0, { promote: true })).toEqual(pageBytes(FILE, 0));
    expect(store.tierOf(FILE, 0)).toBe('MEM');
    expect(store.stats()).toMatchObject({ promotions: 1 });
    expect(await store.get(FILE, 0)).toEqual(pageBytes(FILE, 0));
    expect(store.stats().tiers.MEM?.hits).toBe(1);
    await store.flush();
    expect(store.tierOf(FILE, 1)).toBe('MEM');
    expect((await pageFiles(dir)).map((path) => path.slice(-1))).toEqual(['2']); // page 0's file is gone
    expectUsageMatchesPages(store);
  });

  it('detects a corrupted page file, drops it, counts it and reports a miss', async () => {
    const store = await openStore({ disk: disk(16 * KB) });
    await store.put(FILE, 0, pageBytes(FILE, 0));
    await store.put(FILE, 1, pageBytes(FILE, 1));
    const [path] = (await pageFiles(dir)).filter((p) => p.endsWith('.0'));
    const bytes = await readFile(path!);
    bytes[bytes.length - 10]! ^= 0x01; // one bit of the page data
    await writeFile(path!, bytes);

    expect(await store.get(FILE, 0)).toBeUndefined();
    expect(store.stats()).toMatchObject({ corruptPages: 1, misses: 1, hits: 0 });
    expect(store.has(FILE, 0)).toBe(false);
    expect(store.usage().DISK).toMatchObject({ used: KB, pages: 1 });
    await store.flush();
    expect(await pageFiles(dir)).toHaveLength(1);
    expect(await store.get(FILE, 1)).toEqual(pageBytes(FILE, 1));
  });

  it('drops a page whose file vanished, and keeps one whose file could not be read', async () => {
    const store = await openStore({ disk: disk(16 * KB) });
    await store.put(FILE, 0, pageBytes(FILE, 0));
    await store.put(FILE, 1, pageBytes(FILE, 1));
    const files = await pageFiles(dir);
    await rm(files.find((p) => p.endsWith('.0'))!);
    const unreadable = files.find((p) => p.endsWith('/1'))!;
    await rm(unreadable);
    await mkdir(unreadable); // reading a directory fails with EISDIR

    expect(await store.get(FILE, 0)).toBeUndefined();
    expect(await store.get(FILE, 1)).toBeUndefined();
    expect(store.stats()).toMatchObject({ lostPages: 1, readErrors: 1, corruptPages: 0, misses: 2 });
    expect(store.has(FILE, 0)).toBe(false);
    expect(store.has(FILE, 1)).toBe(true);
  });

  it('detects a corrupted page in memory when asked to verify memory reads', async () => {
    const store = await openStore({ mem: { quota: 4 * KB }, verifyMemoryReads: true });
    await store.put(FILE, 0, pageBytes(FILE, 0));
    (await store.get(FILE, 0))![5]! ^= 0xff; // a caller breaking the read-only rule
    expect(await store.get(FILE, 0)).toBeUndefined();
    expect(store.stats().corruptPages).toBe(1);
  });

  it('finds its pages again after a restart and removes torn and invalid files', async () => {
    const first = await openStore({ disk: disk(16 * KB) });
    for (let i = 0; i < 5; i++) await first.put(FILE, i, pageBytes(FILE, i, i === 4 ? 300 : KB));
    await first.close();
    const files = await pageFiles(dir);
    const page1 = files.find((p) => p.endsWith('/1'))!;
    const page2 = files.find((p) => p.endsWith('/2'))!;
    await writeFile(`${page1}.abcd1234.tmp`, (await readFile(page1)).subarray(0, 100)); // a crash mid-write
    await writeFile(page2, (await readFile(page2)).subarray(0, 500)); // truncated by a power loss

    const second = await openStore({ disk: disk(16 * KB) });
    expect(second.recovery).toEqual({
      pages: 4,
      bytes: 3 * KB + 300,
      removedTemp: 1,
      removedInvalid: 1,
      evicted: 0,
    });
    expect(second.usage().DISK).toMatchObject({ used: 3 * KB + 300, pages: 4 });
    for (const i of [0, 1, 3]) expect(await second.get(FILE, i)).toEqual(pageBytes(FILE, i));
    expect(await second.get(FILE, 4)).toEqual(pageBytes(FILE, 4, 300));
    expect(await second.get(FILE, 2)).toBeUndefined();
    expect(await pageFiles(dir)).toHaveLength(4);
  });

  it('keeps page 0 of a file beside the file directories: a one-page file makes and removes no directory', async () => {
    const store = await openStore({ disk: disk(16 * KB) });
    const small = fileKeyOf('s3://bucket/small.bin', 'etag-1');
    const id = fileIdOf(small);
    const bucketDir = join(dir, String(KB), String(bucketOf(id, 4)));
    await store.put(small, 0, pageBytes(small, 0, 100));
    await store.flush();
    expect(await readdir(bucketDir)).toEqual([`${id}.0`]);
    expect(await store.get(small, 0)).toEqual(pageBytes(small, 0, 100));
    // A file of several pages: page 0 beside, the others in the file's directory.
    await store.put(FILE, 0, pageBytes(FILE, 0));
    await store.put(FILE, 1, pageBytes(FILE, 1));
    await store.flush();
    const fileId = fileIdOf(FILE);
    const fileBucket = join(dir, String(KB), String(bucketOf(fileId, 4)));
    expect(await readdir(fileBucket)).toEqual(expect.arrayContaining([`${fileId}.0`, fileId]));
    expect(await readdir(join(fileBucket, fileId))).toEqual(['1']);
    expect(await store.free(small)).toEqual({ pages: 1, bytes: 100 });
    expect(await store.free(FILE)).toEqual({ pages: 2, bytes: 2 * KB });
    await store.flush();
    expect(await pageFiles(dir)).toEqual([]);
    expect((await readdir(bucketDir)).filter((name) => name.startsWith(id))).toEqual([]);
    expect((await readdir(fileBucket)).filter((name) => name.startsWith(fileId))).toEqual([]);
  });

  it('at a restart, moves a page 0 kept in the file directory (the layout before) to its place, and serves it', async () => {
    const first = await openStore({ disk: disk(16 * KB) });
    await first.put(FILE, 0, pageBytes(FILE, 0));
    await first.put(FILE, 1, pageBytes(FILE, 1));
    await first.close();
    const fileId = fileIdOf(FILE);
    const fileDir = join(dir, String(KB), String(bucketOf(fileId, 4)), fileId);
    await writeFile(join(fileDir, '0'), await readFile(`${fileDir}.0`));
    await rm(`${fileDir}.0`);
    // A stray file in a bucket directory is not a page.
    await writeFile(join(dir, String(KB), String(bucketOf(fileId, 4)), 'stray'), 'x');

    const second = await openStore({ disk: disk(16 * KB) });
    expect(second.recovery).toMatchObject({ pages: 2, removedInvalid: 1 });
    expect(await second.get(FILE, 0)).toEqual(pageBytes(FILE, 0));
    expect(await second.get(FILE, 1)).toEqual(pageBytes(FILE, 1));
    expect(await readdir(fileDir)).toEqual(['1']);
  });

  it('finds pages of long file keys again after a restart', async () => {
    const longKey = fileKeyOf(`s3://bucket/${'deep/'.repeat(300)}file`, 'etag');
    const first = await openStore({ disk: disk(16 * KB) });
    await first.put(longKey, 2, pageBytes(longKey, 2));
    await first.close();
    const second = await openStore({ disk: disk(16 * KB) });
    expect(second.recovery.pages).toBe(1);
    expect(await second.get(longKey, 2)).toEqual(pageBytes(longKey, 2));
  });

  it('evicts at restart when the directories hold more than the quota', async () => {
    const first = await openStore({ disk: disk(16 * KB) });
    for (let i = 0; i < 10; i++) await first.put(FILE, i, pageBytes(FILE, i));
    await first.close();
    const second = await openStore({ disk: disk(8 * KB) });
    expect(second.recovery).toMatchObject({ evicted: 5, pages: 5 });
    expect(second.usage().DISK!.used).toBeLessThanOrEqual(0.7 * 8 * KB);
    await second.flush();
    expect(await pageFiles(dir)).toHaveLength(5);
  });

  it('never returns the bytes of an old fingerprint, and invalidateFile drops them', async () => {
    const store = await openStore({ mem: { quota: 4 * KB }, disk: disk(16 * KB) });
    const oldKey = fileKeyOf('s3://bucket/data.bin', 'etag-1');
    const newKey = fileKeyOf('s3://bucket/data.bin', 'etag-2');
    await store.put(oldKey, 0, Buffer.alloc(KB, 1));
    expect(await store.get(newKey, 0)).toBeUndefined();
    await store.put(newKey, 0, Buffer.alloc(KB, 2));
    expect(await store.get(newKey, 0)).toEqual(Buffer.alloc(KB, 2));
    expect(await store.invalidateFile(oldKey)).toEqual({ pages: 1, bytes: KB });
    expect(await store.get(oldKey, 0)).toBeUndefined();
    expect(await store.get(newKey, 0)).toEqual(Buffer.alloc(KB, 2));
  });

  it('frees every page of a file in every tier', async () => {
    const other = fileKeyOf('s3://bucket/other.bin', 'x');
    const store = await openStore({
      mem: { quota: 2 * KB, highWatermark: 1, lowWatermark: 0.5 },
      disk: disk(16 * KB),
    });
    for (let i = 0; i < 4; i++) await store.put(FILE, i, pageBytes(FILE, i));
    await store.put(other, 0, pageBytes(other, 0));
    expect(await store.free(FILE)).toEqual({ pages: 4, bytes: 4 * KB });
    expect([...store.pages()].map((page) => page.fileKey)).toEqual([other]);
    await store.flush();
    expect((await pageFiles(dir)).some((path) => path.includes(fileIdOf(FILE)))).toBe(false);
    expectUsageMatchesPages(store);
  });

  it('refuses a page larger than the page size or than every tier', async () => {
    const store = await openStore({ mem: { quota: 512 } });
    await expect(store.put(FILE, 0, Buffer.alloc(KB + 1))).rejects.toSatisfy((e) =>
      isTierfsError(e, 'INVALID_ARGUMENT'),
    );
    await expect(store.put(FILE, 0, Buffer.alloc(KB))).rejects.toThrow(
      /larger than the quota of every tier \(MEM 512/,
    );
    expect(await store.put(FILE, 0, Buffer.alloc(500))).toBe(true);
  });

  it("capacityFor is the MEM quota plus the quota of the DISK directory the file's pages go to", async () => {
    const dirs = [
      { path: join(dir, 'a'), quota: 10 * KB },
      { path: join(dir, 'b'), quota: 20 * KB },
    ];
    const store = await openStore({ mem: { quota: KB }, disk: { dirs, buckets: 4 } });
    const files = Array.from({ length: 8 }, (_, i) => fileKeyOf(`s3://bucket/f${i}`, 'etag'));
    const capacities = new Set(files.map((file) => store.capacityFor(file)));
    expect(capacities).toEqual(new Set([11 * KB, 21 * KB]));
    for (const file of files) {
      await store.put(file, 0, pageBytes(file, 0));
      await store.put(file, 1, pageBytes(file, 1)); // MEM holds one page: page 0 goes to DISK
    }
    for (const file of files) {
      const diskDir = [...store.pages()].find((page) => page.fileKey === file && page.tier === 'DISK')?.dir;
      expect(store.capacityFor(file)).toBe(KB + dirs.find((d) => d.path === diskDir)!.quota);
    }
    expect((await openStore({ mem: { quota: 5 * KB } })).capacityFor(FILE)).toBe(5 * KB);
  });

  it('sends a page too large for MEM to DISK', async () => {
    const store = await openStore({ mem: { quota: 512 }, disk: disk(4 * KB) });
    expect(await store.put(FILE, 0, pageBytes(FILE, 0))).toBe(true);
    expect(store.tierOf(FILE, 0)).toBe('DISK');
  });

  it('does not evict a page while it is being read from disk', async () => {
    const store = await openStore({ disk: disk(2 * KB, { highWatermark: 1, lowWatermark: 0.5 }) });
    await store.put(FILE, 0, pageBytes(FILE, 0));
    await store.put(FILE, 1, pageBytes(FILE, 1));
    const reading = store.get(FILE, 0); // page 0 is the LRU page, and pinned until the read ends
    await store.put(FILE, 2, pageBytes(FILE, 2));
    expect(store.has(FILE, 0)).toBe(true);
    expect(store.has(FILE, 1)).toBe(false);
    expect(await reading).toEqual(pageBytes(FILE, 0));
  });

  it.each([
    ['in the heap', false],
    ['in files (RAM disk)', true],
  ])('stays consistent under many concurrent puts, gets, deletes and frees, MEM %s', async (_, memFiles) => {
    const store = await openStore({
      mem: {
        quota: 6 * KB,
        highWatermark: 0.9,
        lowWatermark: 0.5,
        ...(memFiles ? { path: join(dir, 'ram') } : {}),
      },
      disk: { dirs: [0, 1].map((i) => ({ path: join(dir, `d${i}`), quota: 12 * KB })), buckets: 3 },
      demotionIdleMs: 1, // background demotions run among the operations
    });
    const keys = [0, 1, 2, 3].map((i) => fileKeyOf(`s3://bucket/f${i}`, 'v1'));
    const sizeOf = (index: number) => (index === 7 ? 333 : KB); // each file's last page is short
    let random = 42;
    const next = (n: number) => {
      random = (random * 1103515245 + 12345) & 0x7fffffff;
      return (random >>> 8) % n; // the low bits of this generator cycle quickly
    };
    const wrong: string[] = [];
    // 16 clients, each issuing its next operation when the previous one is done.
    const client = async () => {
      for (let op = 0; op < 150; op++) {
        const key = keys[next(keys.length)]!;
        const index = next(8);
        const roll = next(100);
        if (roll < 40) await store.put(key, index, pageBytes(key, index, sizeOf(index)));
        else if (roll < 95) {
          const bytes = await store.get(key, index, { promote: roll % 2 === 0 });
          if (bytes && !bytes.equals(pageBytes(key, index, sizeOf(index)))) wrong.push(`${key} ${index}`);
        } else if (roll < 99) await store.delete(key, index);
        else await store.free(key);
        expectUsageMatchesPages(store); // exact at every moment, not just at the end
      }
    };
    await Promise.all(Array.from({ length: 16 }, client));
    await store.demote(); // MEM at its low watermark: no background demotion moves files while they are counted
    await store.flush();
    expect(wrong).toEqual([]);
    expectUsageMatchesPages(store);
    const stats = store.stats();
    expect({ ...stats, tiers: undefined }).toMatchObject({
      corruptPages: 0,
      lostPages: 0,
      readErrors: 0,
      writeErrors: 0,
    });
    expect(stats.hits).toBeGreaterThan(0);
    expect(stats.demotions).toBeGreaterThan(0);
    expect(stats.promotions).toBeGreaterThan(0);
    const diskPages = store.usage().DISK!.pages;
    const memPages = memFiles ? store.usage().MEM!.pages : 0;
    expect((await pageFiles(dir)).length).toBe(diskPages + memPages);
    await store.close();

    const reopened = await openStore({
      disk: { dirs: [0, 1].map((i) => ({ path: join(dir, `d${i}`), quota: 12 * KB })), buckets: 3 },
    });
    expect(reopened.usage().DISK!.pages).toBe(diskPages);
    expectUsageMatchesPages(reopened);
    for (const page of [...reopened.pages()]) {
      expect(await reopened.get(page.fileKey, page.pageIndex)).toEqual(
        pageBytes(page.fileKey, page.pageIndex, page.size),
      );
    }
  });

  it('refuses operations after close', async () => {
    const store = await openStore({ mem: { quota: KB } });
    await store.close();
    await expect(store.get(FILE, 0)).rejects.toThrow(/closed/);
  });

  it('rejects invalid options clearly', async () => {
    await expect(PageStore.open({})).rejects.toThrow(/MEM or a DISK tier/);
    await expect(
      PageStore.open({ mem: { quota: KB, highWatermark: 0.5, lowWatermark: 0.7 } }),
    ).rejects.toThrow(/low watermark <= high watermark/);
    await expect(PageStore.open({ pageSize: 0, mem: { quota: KB } })).rejects.toThrow(/page size/);
    await expect(PageStore.open({ mem: { quota: KB }, demotionIdleMs: 0 })).rejects.toThrow(
      /demotion idle time must be a positive number of milliseconds, not 0/,
    );
  });
});
