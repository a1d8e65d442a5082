/**
 * Paging through a directory while it is loaded from its under store, on SQLite and PostgreSQL:
 * creates, deletes and renames between pages, and the load cut off midway (its master closed, the
 * listing carried on through another one with the same continuation token). Every entry that was
 * there throughout comes exactly once, nothing comes twice, nothing removed before its page comes.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Configuration } from '../../src/config/configuration.js';
import { PostgresMetaStore } from '../../src/meta/postgres-store.js';
import { SqliteMetaStore } from '../../src/meta/sqlite-store.js';
import type { MetaStore } from '../../src/meta/store.js';
import { Namespace } from '../../src/namespace/namespace.js';
import type { Caller } from '../../src/namespace/permissions.js';
import type { UnderStore } from '../../src/ufs/contract.js';
import '../../src/ufs/drivers.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

const ADMIN: Caller = { user: 'admin', groups: ['admin'] };
const FILES = 2500;
const name = (n: number) => `f${String(n).padStart(5, '0')}`;

/** Lets the first under store list call through and holds every further one until released. */
function gate() {
  let calls = 0;
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const layer = (store: UnderStore): UnderStore =>
    new Proxy(store, {
      get(target, property, receiver) {
        if (property !== 'list') return Reflect.get(target, property, receiver);
        return async (...args: Parameters<UnderStore['list']>) => {
          if (++calls > 1) await released;
          return target.list(...args);
        };
      },
    });
  return { layer, release: () => release() };
}

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.stop());

const stores: [string, (base: string) => Promise<MetaStore>][] = [
  ['SQLite', async (base) => new SqliteMetaStore(join(base, 'meta', 'tierfs.db'))],
  ['PostgreSQL', async () => PostgresMetaStore.open({ url: await server.database(), poolSize: 8 })],
];

describe.each(stores)('paging a directory while it loads (%s)', (_label, open) => {
  let base: string;
  let meta: MetaStore;
  const namespaces: Namespace[] = [];

  beforeEach(async () => {
    base = mkdtempSync(join(tmpdir(), 'tierfs-listing-pages-'));
    mkdirSync(join(base, 'ufs', 'big'), { recursive: true });
    for (let n = 0; n < FILES; n++) writeFileSync(join(base, 'ufs', 'big', name(n)), '');
    meta = await open(base);
  });

  afterEach(async () => {
    for (const ns of namespaces.splice(0)) await ns.close();
    await meta.close();
    rmSync(base, { recursive: true, force: true });
  });

  it('lists every entry once across creates, deletes, renames and a load cut off midway', async () => {
    const conf = Configuration.of({ 'tierfs.master.mount.table.root.ufs': join(base, 'ufs') });
    const { layer, release } = gate();
    const first = await Namespace.open(conf, meta, 'admin', layer);
    namespaces.push(first);

    const listed: string[] = [];
    let page = await first.listStatus('/big', ADMIN, { pageSize: 300 });
    listed.push(...page.entries.map((e) => e.name));
    expect(listed.at(-1)).toBe(name(299));

    // Between pages: a create behind the cursor and one ahead of it, a delete of a listed entry
    // and of one not listed yet, renames from ahead of the cursor to behind it and to ahead.
    await first.mkdir('/big/a-new', ADMIN);
    await first.mkdir(`/big/${name(1500)}x`, ADMIN);
    await first.delete(`/big/${name(100)}`, ADMIN);
    await first.delete(`/big/${name(1800)}`, ADMIN);
    await first.rename(`/big/${name(2000)}`, `/big/${name(50)}b`, ADMIN);
    await first.rename(`/big/${name(400)}`, `/big/${name(2400)}b`, ADMIN);

    page = await first.listStatus('/big', ADMIN, {
      pageSize: 300,
      continuationToken: page.continuationToken,
    });
    listed.push(...page.entries.map((e) => e.name));
    // The load got no further than the under store's first page: the rest is not in the store yet.
    expect(await meta.countChildren('/big')).toBeLessThan(FILES);

    // The master that was loading goes away midway; the listing goes on through another master.
    release();
    await first.close();
    namespaces.splice(0);
    const second = await Namespace.open(conf, meta, 'admin');
    namespaces.push(second);
    while (page.continuationToken) {
      page = await second.listStatus('/big', ADMIN, {
        pageSize: 300,
        continuationToken: page.continuationToken,
      });
      listed.push(...page.entries.map((e) => e.name));
    }

    const duplicates = listed.filter((n, i) => listed.indexOf(n) !== i);
    expect(duplicates).toEqual([]);
    const touched = new Set([100, 1800, 2000, 400].map(name));
    const untouched = Array.from({ length: FILES }, (_, n) => name(n)).filter((n) => !touched.has(n));
    const seen = new Set(listed);
    expect(untouched.filter((n) => !seen.has(n))).toEqual([]);
    // Removed before their page: never listed. Created or renamed ahead of the cursor: listed.
    for (const gone of [name(1800), name(2000), name(400)]) expect(seen.has(gone)).toBe(false);
    for (const ahead of [`${name(1500)}x`, `${name(2400)}b`]) expect(seen.has(ahead)).toBe(true);
    expect(listed).toEqual([...listed].sort());
  });
});
