/** The client's listing: pages as the master answers them, the next one asked for while this one is handled. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TierfsClient } from '../../src/client/client.js';
import type { LsEntry } from '../../src/client/ls-entries.js';
import { credentialHeaders } from '../../src/cluster/auth.js';
import { type FileStatus, LS_PAGE_CONTENT_TYPE, type LsPage } from '../../src/cluster/wire.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';

let cluster: TestCluster;
let proxy: FaultProxy;
let client: TierfsClient;

beforeAll(async () => {
  cluster = await startCluster();
  const admin = cluster.client();
  for (let i = 0; i < 7; i++) {
    await pipeline(Readable.from([Buffer.from(`${i}`)]), await admin.createFile(`/pages/f${i}`));
  }
  proxy = await startFaultProxy(cluster.master.rpcAddress);
  client = new TierfsClient({ masterAddress: proxy.endpoint, user: 'admin' });
});
afterAll(async () => {
  await proxy.close();
  await cluster.stop();
});

const listCalls = () => proxy.requests.filter((r) => r.path.startsWith('/api/v1/paths/list?'));

describe('client.listPages', () => {
  it('asks for the next page before the caller is done with this one, and yields every entry once', async () => {
    proxy.requests.length = 0;
    const pages = client.listPages('/pages', { pageSize: 3 });
    const first = await pages.next();
    expect((first.value as readonly FileStatus[]).map((e) => e.name)).toEqual(['f0', 'f1', 'f2']);
    // Still holding page 1: page 2 is on its way already.
    await eventually(() => listCalls().length === 2, 'the second page requested');
    const rest: string[] = [];
    for await (const page of pages) rest.push(...page.map((e) => e.name));
    expect(rest).toEqual(['f3', 'f4', 'f5', 'f6']);
    expect(listCalls()).toHaveLength(3);
  });

  it("asks for the next page as soon as this one's head arrives, before its body", async () => {
    proxy.requests.length = 0;
    let release!: () => void;
    const until = new Promise<void>((resolve) => {
      release = resolve;
    });
    proxy.rules.push({
      match: (r) => r.path.startsWith('/api/v1/paths/list?') && !r.query.has('continuationToken'),
      fault: 'holdBody',
      until,
    });
    const names: string[] = [];
    const listing = (async () => {
      for await (const page of client.listPages('/pages', { pageSize: 3, cached: true })) {
        names.push(...page.map((e) => e.name));
      }
    })();
    try {
      // The first page's body is held: its head (with the token) is all the client has.
      await eventually(
        () => listCalls().length === 2,
        'the second page asked for while the first one is held',
      );
      expect(names).toEqual([]);
    } finally {
      release();
    }
    await listing;
    expect(names).toEqual(['f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6']);
    expect(listCalls()).toHaveLength(3);
  });

  it("listForRead asks for its next page as soon as this one's head arrives, before its body", async () => {
    // More than the first page of a listForRead (256 entries): files put straight into the store.
    mkdirSync(join(cluster.ufs, 'many'));
    for (let i = 0; i < 300; i++)
      writeFileSync(join(cluster.ufs, 'many', `m${String(i).padStart(3, '0')}`), `${i}`);
    proxy.requests.length = 0;
    let release!: () => void;
    const until = new Promise<void>((resolve) => {
      release = resolve;
    });
    const openLists = () => proxy.requests.filter((r) => r.path === '/api/v1/paths/open-list');
    proxy.rules.push({
      match: (r) => r.path === '/api/v1/paths/open-list',
      fault: 'holdBody',
      until,
    });
    const names: string[] = [];
    const listing = (async () => {
      for await (const file of client.listForRead('/many')) names.push(file.status.name);
    })();
    try {
      await eventually(
        () => openLists().length === 2,
        'the second page asked for while the first one is held',
      );
      expect(names).toEqual([]);
    } finally {
      release();
    }
    await listing;
    expect(names).toEqual(Array.from({ length: 300 }, (_, i) => `m${String(i).padStart(3, '0')}`));
    expect(openLists()).toHaveLength(2);
  });

  it('list() yields the same entries', async () => {
    const names: string[] = [];
    for await (const e of client.list('/pages')) names.push(e.name);
    expect(names).toEqual(['f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6']);
  });
});

describe('client.listLsPages', () => {
  const local = mkdtempSync(join(tmpdir(), 'tierfs-ls-view-'));
  afterAll(() => rmSync(local, { recursive: true, force: true }));

  it('gets pages of one array per entry (view=ls) holding what fs ls prints of the full statuses', async () => {
    const admin = cluster.client();
    await admin.mkdir('/ls-view/sub', { recursive: true });
    const write = async (path: string, text: string, writeType: 'MUST_CACHE' | 'THROUGH') =>
      pipeline(Readable.from([Buffer.from(text)]), await admin.createFile(path, { writeType }));
    await write('/ls-view/hot', 'hot bytes', 'MUST_CACHE');
    await write('/ls-view/cold', 'cold bytes', 'THROUGH');
    await admin.mount('/ls-view/mnt', `file://${local}/`);

    const full: FileStatus[] = [];
    for await (const page of client.listPages('/ls-view', { pageSize: 2, cached: true })) full.push(...page);
    proxy.requests.length = 0;
    const compact: LsEntry[] = [];
    for await (const page of client.listLsPages('/ls-view', { pageSize: 2, cached: true }))
      compact.push(...page);
    expect(full.map((e) => e.name)).toEqual(['cold', 'hot', 'mnt', 'sub']);
    expect(full.find((e) => e.name === 'hot')?.cachedBytes).toBe(9);
    expect(full.find((e) => e.name === 'cold')?.cachedBytes).toBe(0);
    expect(compact).toEqual(
      full.map((e) => ({
        path: e.path,
        isDirectory: e.isDirectory,
        mode: e.mode,
        owner: e.owner,
        group: e.group,
        size: e.size,
        persistence: e.persistence,
        mtimeMs: e.mtimeMs,
        mountPoint: e.mountPoint,
        cachedBytes: e.cachedBytes,
        ufsUri: e.mountPoint ? e.ufsUri : undefined,
      })),
    );
    // Two pages, the second asked for with the first one's token, both in the compact view.
    expect(listCalls().map((r) => [r.query.get('view'), r.query.has('continuationToken')])).toEqual([
      ['ls', false],
      ['ls', true],
    ]);
  });

  it('the master answers view=ls with rows under their own content type, a fraction of the bytes', async () => {
    const headers = credentialHeaders({ user: 'admin' });
    const url = `${cluster.master.rpcAddress}/api/v1/paths/list?path=/ls-view/&cached=true`;
    const compact = await fetch(`${url}&view=ls`, { headers });
    const full = await fetch(url, { headers });
    expect(compact.status).toBe(200);
    expect(compact.headers.get('content-type')).toContain(LS_PAGE_CONTENT_TYPE);
    const compactText = await compact.text();
    const fullText = await full.text();
    const page = JSON.parse(compactText) as LsPage;
    const mnt = page.rows.find((r) => r[0] === 'mnt');
    expect(page.dir).toBe('/ls-view');
    expect(page.rows.map((r) => r[0])).toEqual(['cold', 'hot', 'mnt', 'sub']);
    // A mount point: directory and mount point flags, no cached bytes, its under store last.
    expect([mnt?.[1], mnt?.[8], mnt?.[9]]).toEqual([3, null, `file://${local}/`]);
    expect(page.rows.find((r) => r[0] === 'hot')?.slice(5, 9)).toEqual([
      9,
      'NOT_PERSISTED',
      expect.any(Number),
      9,
    ]);
    expect(page.rows.find((r) => r[0] === 'sub')?.length).toBe(9);
    expect(compactText.length).toBeLessThan(fullText.length / 3);
  });
});
