/**
 * `open-list` with `view: 'rows'`: the master answers arrays (OpenRowsResult) and the client
 * rebuilds from them the FileStatus the full answer has, field for field, on SQLite and PostgreSQL:
 * files with and without an under-store fingerprint, a directory, a mount point in the root.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialHeaders } from '../../src/cluster/auth.js';
import type { OpenListResult, OpenRowsResult } from '../../src/cluster/wire.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { postgresAvailable, startPostgres, type TestPostgres } from '../support/postgres.js';

const backends = postgresAvailable() ? ['SQLITE', 'POSTGRESQL'] : ['SQLITE'];

describe.each(backends)('open-list view=rows over %s', (backend) => {
  let server: TestPostgres | undefined;
  let cluster: TestCluster;
  let extra: string;
  /** The open-list answers the master made, as it sent them. */
  const openLists: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const values: Record<string, string> = {};
    if (backend === 'POSTGRESQL') {
      server = await startPostgres();
      values['tierfs.master.metastore'] = 'POSTGRESQL';
      values['tierfs.master.metastore.postgresql.url'] = await server.database();
    }
    cluster = await startCluster(values, {
      onAnswer: (answer) => {
        if (answer.url === '/api/v1/paths/open-list')
          openLists.push(answer.payload as Record<string, unknown>);
      },
    });
    const admin = cluster.client();
    await pipeline(Readable.from([Buffer.from('through')]), await admin.createFile('/rows/a-through'));
    await pipeline(
      Readable.from([Buffer.from('cached only')]),
      await admin.createFile('/rows/b-cached', { writeType: 'MUST_CACHE' }),
    );
    mkdirSync(join(cluster.ufs, 'rows', 'c-dir'), { recursive: true });
    writeFileSync(join(cluster.ufs, 'rows', 'd-in-store'), 'from the store');
    extra = mkdtempSync(join(tmpdir(), 'tierfs-rows-mount-'));
    await admin.mount('/rows-mnt', `file://${extra}`);
    // Listed once before: the root's first listing loads its children from the store.
    await admin.listStatus('/');
    await admin.listStatus('/rows');
  });
  afterAll(async () => {
    await cluster?.stop();
    await server?.stop();
    if (extra) rmSync(extra, { recursive: true, force: true });
  });

  it('answers rows, and the statuses rebuilt from them equal the full answer', async () => {
    const admin = cluster.client();
    for (const path of ['/rows', '/rows/', '/']) {
      const options = { pageCapability: true };
      const full = await admin.listPageForRead(path, options);
      const rows = await admin.listPageForRead(path, { ...options, view: 'rows' });
      expect(rows.entries.length).toBeGreaterThan(0);
      expect(rows.entries).toEqual(full.entries);
      // Key for key: no field added, none lost (an absent ufsFingerprint stays absent).
      expect(rows.entries.map((e) => Object.keys(e).sort())).toEqual(
        full.entries.map((e) => Object.keys(e).sort()),
      );
      expect(rows.unreadable).toEqual(full.unreadable);
      expect(rows.pageCapabilities?.length).toBe(full.pageCapabilities?.length);
    }
    const names = (await admin.listPageForRead('/rows', { view: 'rows' })).entries.map((e) => e.name);
    expect(names).toEqual(['a-through', 'b-cached', 'c-dir', 'd-in-store']);
    const statuses = (await admin.listPageForRead('/rows', { view: 'rows' })).entries;
    expect(statuses.find((e) => e.name === 'b-cached')).not.toHaveProperty('ufsFingerprint');
    const root = (await admin.listPageForRead('/', { view: 'rows' })).entries;
    expect(root.find((e) => e.name === 'rows-mnt')).toMatchObject({
      mountPoint: true,
      mountPath: '/rows-mnt',
    });
  });

  it('listForRead asks for rows', async () => {
    openLists.length = 0;
    const names: string[] = [];
    for await (const file of cluster.client().listForRead('/rows')) names.push(file.status.name);
    expect(names).toEqual(['a-through', 'b-cached', 'c-dir', 'd-in-store']);
    expect(openLists).toHaveLength(1);
    expect(openLists[0]).toHaveProperty('rows');
    expect(openLists[0]).not.toHaveProperty('entries');
  });

  it('the master sends rows when asked, and the full form otherwise', async () => {
    const headers = { ...credentialHeaders({ user: 'admin' }), 'content-type': 'application/json' };
    const ask = async (body: object) => {
      const r = await fetch(`${cluster.master.rpcAddress}/api/v1/paths/open-list`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ path: '/rows', pageCapability: true, ...body }),
      });
      expect(r.status).toBe(200);
      return (await r.json()) as Record<string, unknown>;
    };
    const compact = (await ask({ view: 'rows' })) as unknown as OpenRowsResult;
    expect(compact).not.toHaveProperty('entries');
    expect(compact.dir).toBe('/rows');
    expect(compact.rows.map((r) => r[0])).toEqual(['a-through', 'b-cached', 'c-dir', 'd-in-store']);
    const full = (await ask({})) as unknown as OpenListResult;
    expect(full).not.toHaveProperty('rows');
    expect(full.entries).toHaveLength(4);
  });
});
