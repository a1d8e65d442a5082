import { mkdtemp, open, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileKeyOf } from './page-key.js';
import { PageStore } from './page-store.js';
import { type FetchRange, readRange, streamRange } from './range-reader.js';

const PAGE = 10;
const FILE_SIZE = 95; // 9 whole pages and a 5-byte last page
const CONTENT = Buffer.from(Array.from({ length: FILE_SIZE }, (_, i) => (i * 7 + 3) & 0xff));
const KEY = fileKeyOf('oss://bucket/file', 'etag-a');

let dir: string;
let store: PageStore;
let calls: Array<[number, number]>;

/** The UFS: serves CONTENT and records every range asked for. */
const fetch: FetchRange = async (offset, length) => {
  calls.push([offset, length]);
  return CONTENT.subarray(offset, offset + length);
};

function read(offset: number, length: number, readType?: 'NO_CACHE' | 'CACHE' | 'CACHE_PROMOTE') {
  return readRange(store, {
    fileKey: KEY,
    fileSize: FILE_SIZE,
    offset,
    length,
    fetch,
    ...(readType && { readType }),
  });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tierfs-range-'));
  store = await PageStore.open({
    pageSize: PAGE,
    mem: { quota: 1000 },
    disk: { dirs: [{ path: dir, quota: 1000 }], buckets: 2 },
  });
  calls = [];
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('readRange', () => {
  it('fetches only the missing pages, one fetch per run of adjacent missing pages', async () => {
    for (const index of [0, 3, 4, 7])
      await store.put(KEY, index, CONTENT.subarray(index * PAGE, index * PAGE + PAGE));
    expect(await read(5, 80)).toEqual(CONTENT.subarray(5, 85)); // pages 0..8
    expect(calls).toEqual([
      [10, 20], // pages 1-2
      [50, 20], // pages 5-6
      [80, 10], // page 8
    ]);
    calls = [];
    expect(await read(0, FILE_SIZE)).toEqual(CONTENT);
    expect(calls).toEqual([[90, 5]]); // only the short last page was still missing
    calls = [];
    expect(await read(0, FILE_SIZE)).toEqual(CONTENT);
    expect(calls).toEqual([]);
  });

  it('returns exactly the bytes of ranges crossing page boundaries and partial first and last pages', async () => {
    const ranges: Array<[number, number]> = [
      [0, 1],
      [9, 2],
      [13, 4],
      [19, 22],
      [88, 7],
      [90, 5],
      [94, 1],
      [85, 100], // cut at the end of the file
      [0, FILE_SIZE],
    ];
    for (const [offset, length] of ranges) {
      expect(await read(offset, length), `${offset}+${length}`).toEqual(
        CONTENT.subarray(offset, Math.min(offset + length, FILE_SIZE)),
      );
    }
    // Every page was fetched at most once over all those reads.
    const fetchedPages = calls.flatMap(([offset, length]) =>
      Array.from({ length: Math.ceil(length / PAGE) }, (_, i) => offset / PAGE + i),
    );
    expect(new Set(fetchedPages).size).toBe(fetchedPages.length);
    expect(store.usage().MEM).toMatchObject({ used: FILE_SIZE, pages: 10 });
  });

  it('returns nothing and fetches nothing at or past the end of the file or for length 0', async () => {
    expect(await read(95, 10)).toEqual(Buffer.alloc(0));
    expect(await read(200, 10)).toEqual(Buffer.alloc(0));
    expect(await read(10, 0)).toEqual(Buffer.alloc(0));
    expect(calls).toEqual([]);
  });

  it('with NO_CACHE fetches only the bytes asked for, serves cached pages, and caches nothing', async () => {
    await store.put(KEY, 2, CONTENT.subarray(20, 30));
    expect(await read(15, 20, 'NO_CACHE')).toEqual(CONTENT.subarray(15, 35));
    expect(calls).toEqual([
      [15, 5],
      [30, 5],
    ]);
    expect([...store.pages()].map((page) => page.pageIndex)).toEqual([2]);
  });

  it('with CACHE_PROMOTE moves DISK pages to MEM, with CACHE leaves them', async () => {
    await store.close();
    const disk = { dirs: [{ path: dir, quota: 1000 }] };
    store = await PageStore.open({ pageSize: PAGE, disk });
    await read(0, 30);
    await store.close();
    calls = [];
    // A restart empties MEM; the pages are found on DISK.
    store = await PageStore.open({
      pageSize: PAGE,
      mem: { quota: 100 },
      disk: { dirs: [{ path: dir, quota: 1000 }] },
    });
    expect(await read(0, 30, 'CACHE')).toEqual(CONTENT.subarray(0, 30));
    expect([0, 1, 2].map((i) => store.tierOf(KEY, i))).toEqual(['DISK', 'DISK', 'DISK']);
    expect(await read(0, 30, 'CACHE_PROMOTE')).toEqual(CONTENT.subarray(0, 30));
    expect([0, 1, 2].map((i) => store.tierOf(KEY, i))).toEqual(['MEM', 'MEM', 'MEM']);
    expect(calls).toEqual([]);
  });

  it('never serves pages of an old fingerprint', async () => {
    await read(0, FILE_SIZE);
    const changed = Buffer.alloc(FILE_SIZE, 0xee);
    const newKey = fileKeyOf('oss://bucket/file', 'etag-b');
    const bytes = await readRange(store, {
      fileKey: newKey,
      fileSize: FILE_SIZE,
      offset: 0,
      length: FILE_SIZE,
      fetch: async (offset, length) => changed.subarray(offset, offset + length),
    });
    expect(bytes).toEqual(changed);
  });

  it('fails clearly when the UFS returns fewer bytes than asked for', async () => {
    await expect(
      readRange(store, {
        fileKey: KEY,
        fileSize: FILE_SIZE,
        offset: 0,
        length: 30,
        fetch: async () => CONTENT.subarray(0, 12),
      }),
    ).rejects.toThrow(/returned 12 bytes for 30 bytes at offset 0.*may have changed/);
    expect(store.has(KEY, 0)).toBe(false);
  });

  it('refuses negative or fractional offsets and lengths', async () => {
    await expect(read(-1, 5)).rejects.toThrow(/offset must be a non-negative integer/);
    await expect(read(1.5, 5)).rejects.toThrow(/offset/);
  });
});

describe('streamRange', () => {
  it('yields exactly the bytes readRange returns, for ranges crossing pages, partial ends and NO_CACHE', async () => {
    const size = 95;
    const file = Buffer.from(Array.from({ length: size }, (_, i) => i));
    for (const readType of ['CACHE', 'NO_CACHE', 'CACHE_PROMOTE'] as const) {
      for (const [offset, length] of [
        [0, 95],
        [3, 20],
        [9, 1],
        [10, 10],
        [87, 50],
        [95, 5],
        [40, 0],
      ] as const) {
        const store = await PageStore.open({ pageSize: 10, mem: { quota: 1000 } });
        const calls: [number, number][] = [];
        const fetch = async (at: number, n: number) => {
          calls.push([at, n]);
          return file.subarray(at, at + n);
        };
        const read = { fileKey: 'f', fileSize: size, offset, length, readType, fetch, windowPages: 2 };
        const chunks: Buffer[] = [];
        for await (const chunk of streamRange(store, read)) chunks.push(chunk);
        expect(Buffer.concat(chunks).equals(file.subarray(offset, offset + length))).toBe(true);
        expect(chunks.every((c) => c.length > 0 && c.length <= 10)).toBe(true);
        const cachedAfter = Array.from({ length: 10 }, (_, i) => store.has('f', i)).filter(Boolean).length;
        if (readType === 'NO_CACHE' || length === 0 || offset >= size) expect(cachedAfter).toBe(0);
        else
          expect(cachedAfter).toBe(
            Math.floor((Math.min(size, offset + length) - 1) / 10) - Math.floor(offset / 10) + 1,
          );
        await store.close();
      }
    }
  });

  it('lets a fetched stream that was read to its end finish, and ends one that was not', async () => {
    const store = await PageStore.open({ pageSize: 10, mem: { quota: 1000 } });
    try {
      const file = Buffer.from(Array.from({ length: 25 }, (_, i) => i));
      const streams: Readable[] = [];
      // What an S3 GET of a small object hands over: the body, whole, its end already received.
      const whole = async (at: number, n: number) => {
        const body = new Readable({ read() {} });
        body.push(file.subarray(at, at + n));
        body.push(null);
        streams.push(body);
        return body;
      };
      const chunks: Buffer[] = [];
      for await (const chunk of streamRange(store, {
        fileKey: 'w',
        fileSize: 25,
        offset: 0,
        length: 25,
        fetch: whole,
      }))
        chunks.push(chunk);
      expect(Buffer.concat(chunks).equals(file)).toBe(true);
      await new Promise((resolve) => setImmediate(resolve));
      expect(streams).toHaveLength(1);
      expect(streams[0]!.errored).toBeNull();
      expect(streams[0]!.readableEnded).toBe(true);

      // A body whose end has not come: the reader stops taking it, and it is destroyed.
      const open: Readable[] = [];
      const endless = async (at: number, n: number) => {
        const body = new Readable({ read() {} });
        body.push(file.subarray(at, at + n));
        open.push(body);
        return body;
      };
      const first = streamRange(store, {
        fileKey: 'e',
        fileSize: 25,
        offset: 0,
        length: 5,
        readType: 'NO_CACHE',
        fetch: endless,
      });
      const got: Buffer[] = [];
      for await (const chunk of first) got.push(chunk);
      expect(Buffer.concat(got).equals(file.subarray(0, 5))).toBe(true);
      expect(open[0]!.destroyed).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('fetches each run of missing pages once per window and serves cached pages from the store', async () => {
    const file = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
    const store = await PageStore.open({ pageSize: 10, mem: { quota: 1000 } });
    await store.put('f', 2, file.subarray(20, 30));
    await store.put('f', 3, file.subarray(30, 40));
    const calls: [number, number][] = [];
    const fetch = async (at: number, n: number) => {
      calls.push([at, n]);
      return file.subarray(at, at + n);
    };
    const chunks: Buffer[] = [];
    for await (const chunk of streamRange(store, {
      fileKey: 'f',
      fileSize: 100,
      offset: 0,
      length: 100,
      fetch,
      windowPages: 5,
    })) {
      chunks.push(chunk);
    }
    expect(Buffer.concat(chunks).equals(file)).toBe(true);
    // One fetch per run of missing pages, even when the run spans windows (pages 4-9).
    expect(calls).toEqual([
      [0, 20],
      [40, 60],
    ]);
    for (let i = 0; i < 10; i++) expect(store.has('f', i)).toBe(true);
    await store.close();
  });

  it('reads a streamed fetch in chunks of any size, one fetch per run even when a later window is found first', async () => {
    const file = Buffer.from(Array.from({ length: 95 }, (_, i) => (i * 13) & 0xff));
    // DISK pages in the first window make its lookups slower than the next window's misses.
    const disk = await PageStore.open({
      pageSize: 10,
      disk: { dirs: [{ path: dir, quota: 1000 }], buckets: 2 },
    });
    for (const index of [0, 1]) await disk.put('f', index, file.subarray(index * 10, index * 10 + 10));
    const calls: [number, number][] = [];
    let closed = 0;
    const fetch = async (at: number, n: number) => {
      calls.push([at, n]);
      return (async function* () {
        try {
          for (let i = at; i < at + n; i += 3) yield file.subarray(i, Math.min(i + 3, at + n));
        } finally {
          closed++;
        }
      })();
    };
    const chunks: Buffer[] = [];
    const read = { fileKey: 'f', fileSize: 95, offset: 4, length: 91, fetch, windowPages: 3 };
    for await (const chunk of streamRange(disk, read)) chunks.push(chunk);
    expect(Buffer.concat(chunks).equals(file.subarray(4))).toBe(true);
    expect(calls).toEqual([[20, 75]]);
    expect(closed).toBe(1);
    for (let i = 0; i < 10; i++) expect(disk.has('f', i)).toBe(true);

    // A reader that stops early closes the fetch it was reading.
    calls.length = 0;
    closed = 0;
    for (let i = 2; i < 10; i++) await disk.delete('f', i);
    for await (const _ of streamRange(disk, { ...read, offset: 25, length: 60 })) break;
    expect(calls).toEqual([[20, 70]]); // whole pages to the end of the range's last page (8)
    expect(closed).toBe(1);
    await disk.close();
  });

  it('a stream that ends early fails the read and leaves none of its pages cached', async () => {
    const store = await PageStore.open({ pageSize: 10, mem: { quota: 1000 } });
    let fetches = 0;
    const fetch = async () => {
      fetches++;
      return (async function* () {
        yield CONTENT.subarray(0, 25);
      })();
    };
    const read = { fileKey: 'f', fileSize: 95, offset: 0, length: 95, fetch, windowPages: 2 };
    await expect(
      (async () => {
        for await (const _ of streamRange(store, read));
      })(),
    ).rejects.toThrow(/returned 25 bytes for 95 bytes at offset 0.*may have changed/);
    expect(Array.from({ length: 10 }, (_, i) => store.has('f', i))).toEqual(Array(10).fill(false));
    // The windows prepared behind the failed page started no other fetch.
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(fetches).toBe(1);
    await store.close();
  });
});

describe('streamRange, reads larger than the cache', () => {
  const file = Buffer.from(Array.from({ length: 2560 }, (_, i) => (i * 31 + 7) & 0xff));
  /** A streamed fetch of `file` in 7-byte chunks, recording each range asked for. */
  const streamedFetch =
    (calls: [number, number][], before?: () => Promise<void>): FetchRange =>
    async (at, n) => {
      calls.push([at, n]);
      await before?.();
      return (async function* () {
        for (let i = at; i < at + n; i += 7) yield file.subarray(i, Math.min(i + 7, at + n));
      })();
    };
  const readAll = async (pages: PageStore, fetch: FetchRange, windowPages = 8) => {
    const chunks: Buffer[] = [];
    const read = { fileKey: 'f', fileSize: file.length, offset: 0, length: file.length, fetch, windowPages };
    for await (const chunk of streamRange(pages, read)) chunks.push(chunk);
    return Buffer.concat(chunks);
  };

  it('fetches anew a page that was cached when a fetch began and evicted before it was read', async () => {
    const pages = await PageStore.open({ pageSize: 10, mem: { quota: 10_000 } });
    for (let index = 5; index < 10; index++)
      await pages.put('f', index, file.subarray(index * 10, index * 10 + 10));
    const calls: [number, number][] = [];
    // Pages 0-4 are missing, so the first fetch stops at page 5; another read evicts page 5 meanwhile.
    const fetch = streamedFetch(calls, async () => {
      if (calls.length === 1) await pages.delete('f', 5);
    });
    expect((await readAll(pages, fetch, 2)).equals(file)).toBe(true);
    expect(calls.slice(0, 2)).toEqual([
      [0, 50],
      [50, 10],
    ]);
    await pages.close();
  });

  it('a file ten times the cache (MEM and DISK) read again and again: every byte, every time', async () => {
    // 256 pages through 8 pages of MEM and 16 of DISK: each read evicts pages it has already sent.
    const pages = await PageStore.open({
      pageSize: 10,
      mem: { quota: 80 },
      disk: { dirs: [{ path: dir, quota: 160 }], buckets: 2 },
    });
    const calls: [number, number][] = [];
    for (let round = 0; round < 4; round++) {
      expect((await readAll(pages, streamedFetch(calls))).equals(file)).toBe(true);
      const usage = pages.usage();
      expect(usage.MEM!.used).toBeLessThanOrEqual(80);
      expect(usage.DISK!.used).toBeLessThanOrEqual(160);
    }
    expect(pages.stats().corruptPages).toBe(0);
    await pages.close();
  });

  it('does not cache when the windows in flight do not fit in the cache, and still serves cached pages', async () => {
    // 8-page windows, two in flight, through 12 pages of cache.
    const pages = await PageStore.open({ pageSize: 10, mem: { quota: 120 } });
    await pages.put('f', 3, file.subarray(30, 40));
    const calls: [number, number][] = [];
    expect((await readAll(pages, streamedFetch(calls))).equals(file)).toBe(true);
    expect(calls.slice(0, 2)).toEqual([
      [0, 30],
      [40, 2520],
    ]);
    expect([...pages.pages()].map((page) => page.pageIndex)).toEqual([3]);
    await pages.close();
  });
});

/** Overwrites the last `length` bytes of a file with zeros, keeping its length. */
async function zeroTail(path: string, length: number): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.write(Buffer.alloc(length), 0, length, (await handle.stat()).size - length);
  } finally {
    await handle.close();
  }
}

describe('streamRange, cold pages from the received chunks', () => {
  const file = Buffer.from(Array.from({ length: 2000 }, (_, i) => (i * 11 + 5) & 0xff));
  /** A streamed fetch in 96-byte chunks, each a fresh allocation of its own (as a socket delivers them). */
  const chunkedFetch = (received: Set<ArrayBufferLike>): FetchRange => {
    return async (at, n) =>
      (async function* () {
        for (let i = at; i < at + n; i += 96) {
          const chunk = Buffer.allocUnsafeSlow(Math.min(96, at + n - i));
          file.copy(chunk, 0, i, i + chunk.length);
          received.add(chunk.buffer);
          yield chunk;
        }
      })();
  };
  const readAll = async (pages: PageStore, fetch: FetchRange, offset = 0, length = file.length) => {
    const out: Buffer[] = [];
    const read = { fileKey: 'f', fileSize: file.length, offset, length, fetch, windowPages: 4 };
    for await (const chunk of streamRange(pages, read)) out.push(chunk);
    return out;
  };

  it('sends and caches the received chunks without copying them into pages', async () => {
    const ram = await mkdtemp('/dev/shm/tierfs-range-');
    const pages = await PageStore.open({ pageSize: 256, mem: { quota: 4096, path: join(ram, 'w') } });
    try {
      const received = new Set<ArrayBufferLike>();
      const sent = await readAll(pages, chunkedFetch(received), 100, 1800);
      expect(Buffer.concat(sent).equals(file.subarray(100, 1900))).toBe(true);
      // Every buffer sent is a view of a received chunk: no page was assembled by copying.
      expect(sent.filter((buffer) => !received.has(buffer.buffer))).toEqual([]);
      // The pages were cached from those chunks (a page crossing chunk boundaries included).
      for (let index = 0; index < 8; index++) {
        const page = await pages.get('f', index);
        expect(page?.equals(file.subarray(index * 256, index * 256 + 256))).toBe(true);
      }
    } finally {
      await pages.close();
      await rm(ram, { recursive: true, force: true });
    }
  });

  it('never serves a torn page written from chunks: the page is fetched again', async () => {
    const pages = await PageStore.open({
      pageSize: 256,
      disk: { dirs: [{ path: dir, quota: 8192 }], buckets: 2 },
    });
    try {
      const received = new Set<ArrayBufferLike>();
      await readAll(pages, chunkedFetch(received));
      expect(pages.has('f', 3)).toBe(true);
      // Tear page 3's file: its last chunk's bytes never reached the disk (zeros, same length), as
      // after a crash; and page 5's file cut short.
      for (const [index, tear] of [
        [3, (path: string) => zeroTail(path, 96)],
        [5, async (path: string) => truncate(path, (await stat(path)).size - 10)],
      ] as const) {
        const pinned = await pages.pin('f', index * 256, 256);
        const { path } = pinned!.files[0]!;
        pinned!.release();
        await tear(path);
      }
      received.clear();
      const again = Buffer.concat(await readAll(pages, chunkedFetch(received)));
      expect(again.equals(file)).toBe(true);
      expect(received.size).toBeGreaterThan(0); // pages 3 and 5 came from the UFS, not from their torn files
    } finally {
      await pages.close();
    }
  });
});
