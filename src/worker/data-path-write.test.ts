/**
 * CACHE_THROUGH writes cache behind the upload: a page store that does not keep up never holds
 * the write back; caching stops past the write-behind bound and the file then holds only the pages
 * it really has; pages of a failed write never stay visible, even when their puts land after the
 * failure. A real page store (its puts held back at a gate, as a slow disk would), a real local
 * under store and staging area.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PageStore } from '../cache/page-store.js';
import { readStream } from '../ufs/io.js';
import { LocalUnderStore } from '../ufs/local/local-store.js';
import { type DataPath, readFile, writeFile } from './data-path.js';
import { StagingArea } from './staging.js';

const PAGE = 4096;
const PAGES = 16;
const BEHIND_PAGES = 4;

let dir: string;
let store: LocalUnderStore;
let staging: StagingArea;
let pages: PageStore;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tierfs-write-behind-'));
  store = new LocalUnderStore({ root: join(dir, 'ufs') });
  staging = new StagingArea(join(dir, 'staging'));
  await staging.init();
  pages = await PageStore.open({
    pageSize: PAGE,
    disk: { dirs: [{ path: join(dir, 'pages'), quota: 1 << 20 }] },
  });
});
afterAll(async () => {
  await pages?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The real page store with every put held until `open()`: a page store that has fallen behind. */
function gated(real: PageStore) {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  let puts = 0;
  const view = Object.create(real) as PageStore;
  view.put = (...args: Parameters<PageStore['put']>) => {
    puts++;
    return gate.then(() => real.put(...args));
  };
  return { view, open, puts: () => puts };
}

function content(n: number): Buffer {
  const data = Buffer.alloc(n);
  for (let i = 0; i < n; i++) data[i] = (i * 31 + (i >> 12)) & 0xff;
  return data;
}

/** The data as the 1 KiB chunks a client would send, optionally failing after `failAfter` bytes. */
function body(data: Buffer, failAfter?: number): Readable {
  return Readable.from(
    (async function* () {
      for (let at = 0; at < data.length; at += 1024) {
        if (failAfter !== undefined && at >= failAfter) throw new Error('client went away');
        yield Buffer.from(data.subarray(at, at + 1024));
      }
    })(),
  );
}

const ufsOf = (path: string) => () => Promise.resolve({ store, path });

describe('CACHE_THROUGH write behind', () => {
  it('finishes the upload while the page store is stuck, and then claims only the pages it put', async () => {
    const { view, open, puts } = gated(pages);
    const data: DataPath = { pages: view, staging, writeBehindBytes: BEHIND_PAGES * PAGE };
    const file = content(PAGES * PAGE + 100);
    const receipt = await writeFile(
      data,
      { contentId: 'behind-1', writeType: 'CACHE_THROUGH', ufs: ufsOf('/behind-1') },
      body(file),
    );
    expect(receipt.size).toBe(file.length);
    expect(await readStream(await store.open('/behind-1'))).toEqual(file);
    // The store fell behind at the bound: the rest of the file was not handed over.
    expect(puts()).toBe(BEHIND_PAGES);
    open();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await pages.flush();
    const cached = [...pages.pages()].filter((page) => page.fileKey === 'behind-1').map((p) => p.pageIndex);
    expect(cached.sort((a, b) => a - b)).toEqual([0, 1, 2, 3]);
    // A reader gets the whole file: the cached pages, the rest from the under store.
    const read = await readStream(
      readFile(
        { pages, staging },
        {
          contentId: 'behind-1',
          size: file.length,
          persisted: true,
          offset: 0,
          length: file.length,
          readType: 'NO_CACHE',
          ufs: ufsOf('/behind-1'),
        },
      ),
    );
    expect(read).toEqual(file);
  });

  it('caches every page when the page store keeps within the bound', async () => {
    const data: DataPath = { pages, staging, writeBehindBytes: 2 * PAGES * PAGE };
    const file = content(PAGES * PAGE + 100);
    await writeFile(
      data,
      { contentId: 'behind-2', writeType: 'CACHE_THROUGH', ufs: ufsOf('/behind-2') },
      body(file),
    );
    await pages.flush();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await pages.flush();
    for (let i = 0; i <= PAGES; i++)
      expect(await pages.get('behind-2', i)).toEqual(file.subarray(i * PAGE, (i + 1) * PAGE));
  });

  it('leaves no page of a failed write, even when its puts land after the failure', async () => {
    const { view, open, puts } = gated(pages);
    const data: DataPath = { pages: view, staging, writeBehindBytes: 64 * PAGE };
    const file = content(PAGES * PAGE);
    await expect(
      writeFile(
        data,
        { contentId: 'behind-3', writeType: 'CACHE_THROUGH', ufs: ufsOf('/behind-3') },
        body(file, 6 * PAGE),
      ),
    ).rejects.toThrow('client went away');
    expect(puts()).toBe(6);
    open();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await pages.flush();
    expect([...pages.pages()].filter((page) => page.fileKey === 'behind-3')).toEqual([]);
    await expect(store.getStatus('/behind-3')).rejects.toThrow();
  });

  it('MUST_CACHE still waits for its pages: they are the only copy', async () => {
    const { view, open } = gated(pages);
    const data: DataPath = { pages: view, staging, writeBehindBytes: BEHIND_PAGES * PAGE };
    const file = content(8 * PAGE);
    let done = false;
    const write = writeFile(
      data,
      { contentId: 'behind-4', writeType: 'MUST_CACHE', ufs: ufsOf('/behind-4') },
      body(file),
    ).then((receipt) => {
      done = true;
      return receipt;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(done).toBe(false);
    open();
    expect((await write).size).toBe(file.length);
    for (let i = 0; i < 8; i++)
      expect(await pages.get('behind-4', i)).toEqual(file.subarray(i * PAGE, (i + 1) * PAGE));
  });

  it('fails a MUST_CACHE write the cache has no room for, instead of acknowledging a file with holes', async () => {
    let puts = 0;
    const full = Object.create(pages) as PageStore;
    // From the third page on, the store refuses as a full tier whose pages cannot be evicted does.
    full.put = (...args: Parameters<PageStore['put']>) =>
      ++puts > 2 ? Promise.resolve(false) : pages.put(...args);
    const data: DataPath = { pages: full, staging };
    await expect(
      writeFile(
        data,
        { contentId: 'no-room', writeType: 'MUST_CACHE', ufs: ufsOf('/no-room') },
        body(content(8 * PAGE)),
      ),
    ).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringMatching(/no room for page 2 of a MUST_CACHE write/),
    });
    await pages.flush();
    expect([...pages.pages()].filter((page) => page.fileKey === 'no-room')).toEqual([]);
  });
});
