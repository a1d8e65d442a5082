/**
 * Listing a never-listed directory returns its first pages while the rest is still being loaded
 * from the under store: here the under store stops answering after its first pages (a gate the
 * test holds after the first page of 1,000 names), and the first pages of the listing still arrive, complete and in order.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Configuration } from '../config/configuration.js';
import { SqliteMetaStore } from '../meta/sqlite-store.js';
import type { UnderStore } from '../ufs/contract.js';
import '../ufs/drivers.js';
import { Namespace } from './namespace.js';
import type { Caller } from './permissions.js';

const ADMIN: Caller = { user: 'admin', groups: ['admin'] };
const FILES = 3000;

let base: string;
let meta: SqliteMetaStore;
let ns: Namespace | undefined;

/**
 * Lets `open` under store list calls through, then holds every further one until released; with
 * `pageSize`, the store's pages are that small.
 */
function gate(open: number, pageSize?: number) {
  let calls = 0;
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let reached!: () => void;
  const reachedGate = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const layer = (store: UnderStore): UnderStore =>
    new Proxy(store, {
      get(target, property, receiver) {
        if (property !== 'list') return Reflect.get(target, property, receiver);
        return async (...args: Parameters<UnderStore['list']>) => {
          if (++calls > open) {
            reached();
            await released;
          }
          const [path, options] = args;
          return target.list(path, pageSize === undefined ? options : { ...options, pageSize });
        };
      },
    });
  return { layer, release: () => release(), reachedGate };
}

/** `f00000`-style names `from` on, `count` of them: the files of /big in order. */
const names = (from: number, count: number) =>
  Array.from({ length: count }, (_, n) => `f${String(from + n).padStart(5, '0')}`);

/** Opens the namespace over the test's under store (root mount), each store call through `layer`. */
async function openNamespace(
  layer?: (store: UnderStore) => UnderStore,
  settings: Record<string, string> = {},
) {
  ns = await Namespace.open(
    Configuration.of({ 'tierfs.master.mount.table.root.ufs': join(base, 'ufs'), ...settings }),
    meta,
    'admin',
    layer,
  );
  return ns;
}

/** The names of every page of /big's listing after `page`, asked for `pageSize` at a time. */
async function namesAfter(page: { continuationToken?: string }, pageSize = 1000): Promise<string[]> {
  const listed: string[] = [];
  for (let token = page.continuationToken; token; ) {
    const next = await ns!.listStatus('/big', ADMIN, { pageSize, continuationToken: token });
    listed.push(...next.entries.map((e) => e.name));
    token = next.continuationToken;
  }
  return listed;
}

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'tierfs-listing-'));
  mkdirSync(join(base, 'ufs', 'big'), { recursive: true });
  for (const name of names(0, FILES)) writeFileSync(join(base, 'ufs', 'big', name), '');
  meta = new SqliteMetaStore(join(base, 'meta', 'tierfs.db'));
});

afterEach(async () => {
  await ns?.close();
  await meta.close();
  rmSync(base, { recursive: true, force: true });
});

describe('listing a never-listed directory', () => {
  it('returns the first pages before the under store has listed the rest', async () => {
    const { layer, release, reachedGate } = gate(1);
    ns = await openNamespace(layer);
    const first = await ns.listStatus('/big', ADMIN, { pageSize: 200 });
    const second = await ns.listStatus('/big', ADMIN, {
      pageSize: 200,
      continuationToken: first.continuationToken,
    });
    const listed = [...first.entries, ...second.entries].map((e) => e.name);
    expect(listed).toEqual(names(0, 400));
    // The under store cannot have listed the rest: the gate opens only now. (Before streaming, the
    // first page waited for the whole directory, so this test never got here.)
    await reachedGate;
    expect(await meta.countChildren('/big')).toBeLessThan(FILES);

    release();
    expect([...listed, ...(await namesAfter(second))]).toEqual(names(0, FILES));
  });

  /** Opens the gate after 10 s if the test has not: `timedOut()` says whether it had to. */
  function guard(release: () => void) {
    let fired = false;
    const timer = setTimeout(() => {
      fired = true;
      release();
    }, 10_000);
    return { timedOut: () => fired, stop: () => clearTimeout(timer) };
  }

  it('returns what the load has mirrored as a page, without waiting for the page to fill', async () => {
    const { layer, release } = gate(1); // the under store's first page of 1,000 names, then nothing
    ns = await openNamespace(layer);
    const { timedOut, stop } = guard(release);
    // Exactly a page: complete, though the metadata store has nothing after it yet.
    const exact = await ns.listStatus('/big', ADMIN, { pageSize: 1000 });
    // More than the load has: what it has, and a token for the rest.
    const partial = await ns.listStatus('/big', ADMIN, { pageSize: 1500 });
    expect(timedOut()).toBe(false);
    stop();
    expect(exact.entries.map((e) => e.name)).toEqual(names(0, 1000));
    expect(partial.entries.map((e) => e.name)).toEqual(names(0, 1000));
    expect(exact.continuationToken).toBeDefined();

    release();
    const listed = partial.entries.map((e) => e.name);
    expect([...listed, ...(await namesAfter(partial, 1500))]).toEqual(names(0, FILES));
  });

  it('re-listing a stale directory: a page returned during the load shows no vanished child', async () => {
    const interval = (value: string) => ({ 'tierfs.user.file.metadata.sync.interval': value });
    ns = await openNamespace(undefined, interval('-1'));
    await namesAfter(await ns.listStatus('/big', ADMIN, { pageSize: 1000 }));
    await ns.close();
    for (const n of [5, 999, 1500]) rmSync(join(base, 'ufs', 'big', `f${String(n).padStart(5, '0')}`));

    const { layer, release } = gate(1); // the store's first page of the re-listing, then nothing
    ns = await openNamespace(layer, interval('0'));
    const { timedOut, stop } = guard(release);
    const first = await ns.listStatus('/big', ADMIN, { pageSize: 1000 });
    expect(timedOut()).toBe(false);
    stop();
    const kept = names(0, FILES).filter((n) => !['f00005', 'f00999', 'f01500'].includes(n));
    expect(first.entries.map((e) => e.name)).toEqual(kept.slice(0, first.entries.length));
    expect(first.entries.length).toBeGreaterThanOrEqual(998);

    release();
    expect([...first.entries.map((e) => e.name), ...(await namesAfter(first))]).toEqual(kept);
  });

  it('mirrors a batch as soon as the under store holds back its next page', async () => {
    // Pages of 50 names: the first 1,050 are mirrored page by page (no page of the listing is
    // complete before), the 22nd page is the first one batched, and the 23rd is held.
    const { layer, release } = gate(22, 50);
    ns = await openNamespace(layer);
    const { timedOut, stop } = guard(release);
    const listed: string[] = [];
    let page = await ns.listStatus('/big', ADMIN, { pageSize: 1000 });
    listed.push(...page.entries.map((e) => e.name));
    while (listed.length < 1100) {
      page = await ns.listStatus('/big', ADMIN, {
        pageSize: 1000,
        continuationToken: page.continuationToken,
      });
      listed.push(...page.entries.map((e) => e.name));
    }
    expect(timedOut()).toBe(false);
    stop();
    expect(listed).toEqual(names(0, 1100));

    release();
    expect([...listed, ...(await namesAfter(page))]).toEqual(names(0, FILES));
  });
});

describe('the first request of the load of a directory the metadata store does not know', () => {
  const isBig = (path: unknown) => String(path).replace(/^\/+/, '') === 'big';

  /** The under store's lookup of `big` answers only once its listing was asked for (or after 2 s). */
  function lookupWaitsForList() {
    const events: string[] = [];
    let lists = 0;
    let listAsked!: () => void;
    const asked = new Promise<void>((resolve) => {
      listAsked = resolve;
    });
    const layer = (store: UnderStore): UnderStore =>
      new Proxy(store, {
        get(target, property, receiver) {
          if (property === 'list')
            return async (...args: Parameters<UnderStore['list']>) => {
              if (isBig(args[0]) && !args[1]?.continuationToken) {
                lists++;
                events.push('list asked');
                listAsked();
              }
              return target.list(...args);
            };
          if (property === 'getStatus')
            return async (path: string) => {
              if (isBig(path)) {
                await Promise.race([asked, new Promise((resolve) => setTimeout(resolve, 2000))]);
                events.push('lookup answered');
              }
              return target.getStatus(path);
            };
          return Reflect.get(target, property, receiver);
        },
      });
    return { layer, events, lists: () => lists };
  }

  it('goes out together with the lookup of the directory, not after its answer', async () => {
    const { layer, events, lists } = lookupWaitsForList();
    ns = await openNamespace(layer);
    const page = await ns.listStatus('/big', ADMIN, { pageSize: 100 });
    // One round trip instead of two before the load starts (20 ms each to a store 10 ms away).
    expect(events.slice(0, 2)).toEqual(['list asked', 'lookup answered']);
    expect(page.entries.map((e) => e.name)).toEqual(names(0, 100));
    // That page is the load's first page, not one asked for again.
    expect(await namesAfter(page)).toEqual(names(100, FILES - 100));
    expect(lists()).toBe(1);
    // Loaded now: listing it again asks the under store nothing.
    await ns.listStatus('/big', ADMIN, { pageSize: 100 });
    expect(lists()).toBe(1);
  });

  it('keeps what tierfs made in the directory after that first page was asked for', async () => {
    // The listing's lookup of `big` is held until a directory was made in it through tierfs (whose
    // own lookup goes through): made after the first page was listed, before the load started.
    let lookups = 0;
    let reached!: () => void;
    const lookupReached = new Promise<void>((resolve) => {
      reached = resolve;
    });
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const layer = (store: UnderStore): UnderStore =>
      new Proxy(store, {
        get(target, property, receiver) {
          if (property === 'getStatus')
            return async (path: string) => {
              if (isBig(path) && ++lookups === 1) {
                reached();
                await held;
              }
              return target.getStatus(path);
            };
          return Reflect.get(target, property, receiver);
        },
      });
    ns = await openNamespace(layer);
    const first = ns.listStatus('/big', ADMIN, { pageSize: 1000 });
    await lookupReached;
    await ns.mkdir('/big/zz-made-meanwhile', ADMIN);
    release();
    const page = await first;
    const listed = [...page.entries.map((e) => e.name), ...(await namesAfter(page))];
    // Not taken for a child the under store no longer has when the load ended.
    expect(listed).toHaveLength(FILES + 1);
    expect(listed.at(-1)).toBe('zz-made-meanwhile');
    expect((await ns.getStatus('/big/zz-made-meanwhile', ADMIN)).isDirectory).toBe(true);
  });

  it('is dropped when the path is a file or missing, with the error the lookup gives', async () => {
    writeFileSync(join(base, 'ufs', 'file'), 'x');
    ns = await openNamespace();
    await expect(ns.listStatus('/file', ADMIN)).rejects.toMatchObject({ code: 'NOT_A_DIRECTORY' });
    await expect(ns.listStatus('/missing', ADMIN)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await ns.listStatus('/big', ADMIN, { pageSize: 5 })).entries).toHaveLength(5);
  });
});
