/**
 * Background work under leases, with two masters in this process on one PostgreSQL: a load job of
 * a master that died (its lease ran out) is finished by another; one whose holder renews its lease
 * is left alone; of two masters only the holder of the `sweep` lease sweeps.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Master } from '../../src/master/master.js';
import { PostgresMetaStore } from '../../src/meta/postgres-store.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

let server: TestPostgres;
let cluster: TestCluster;
let second: Master;
let meta: PostgresMetaStore;
let url: string;

beforeAll(async () => {
  server = await startPostgres();
  url = await server.database();
  cluster = await startCluster({
    'tierfs.master.metastore': 'POSTGRESQL',
    'tierfs.master.metastore.postgresql.url': url,
    'tierfs.master.persistence.lease.duration': '1sec',
    'tierfs.master.persistence.temporary.clean.age': '1sec',
    'tierfs.master.persistence.temporary.clean.interval': '1h',
  });
  // A second master of the same cluster: same database, same cluster secret, its own ports.
  second = await Master.start(cluster.conf, {
    log: pino({ level: 'silent' }),
    superUser: 'admin',
  });
  meta = await PostgresMetaStore.open({ url, poolSize: 2 });
}, 60_000);
afterAll(async () => {
  await meta?.close();
  await second?.stop();
  await cluster?.stop();
  await server?.stop();
});

function loadJob(id: string) {
  const now = Date.now();
  return {
    id,
    type: 'load',
    state: 'RUNNING' as const,
    detail: { path: '/jobs', files: 1, bytes: 5, loadedFiles: 0, loadedBytes: 0 },
    createdMs: now,
    updatedMs: now,
  };
}

describe('background work under leases, two masters', () => {
  it('finishes the load job of a dead master, and leaves a live one alone', async () => {
    const client = cluster.client();
    await client.mkdir('/jobs');
    const { Readable } = await import('node:stream');
    const { pipeline } = await import('node:stream/promises');
    await pipeline(Readable.from([Buffer.from('hello')]), await client.createFile('/jobs/a.txt'));

    // Held by a master that still renews it: nobody else runs it.
    await meta.putJob(loadJob('live'));
    expect(await meta.acquireLease('job:live', 'master-alive', { nowMs: Date.now(), leaseMs: 60_000 })).toBe(
      true,
    );
    // Held by a master that died a while ago: its lease ran out.
    await meta.putJob(loadJob('orphan'));
    expect(
      await meta.acquireLease('job:orphan', 'master-dead', { nowMs: Date.now() - 10_000, leaseMs: 1000 }),
    ).toBe(true);

    await eventually(async () => (await meta.getJob('orphan'))?.state === 'SUCCEEDED', 'the orphan job done');
    expect((await meta.getJob('orphan'))?.detail).toMatchObject({ loadedFiles: 1, loadedBytes: 5 });
    // Its lease went to one of the masters and was given up when done.
    expect(await meta.acquireLease('job:orphan', 'someone', { nowMs: Date.now(), leaseMs: 1000 })).toBe(true);
    // Several takeover rounds later the live job is untouched.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await meta.getJob('live')).toMatchObject({ state: 'RUNNING', detail: { loadedFiles: 0 } });
  });

  it('sweeps leftovers on the master that holds the sweep lease only', async () => {
    // The sweeps at start took the lease for one master: the other one must not sweep.
    const leftover = join(cluster.ufs, 'left', '.tierfs-persist.leftover');
    mkdirSync(join(cluster.ufs, 'left'), { recursive: true });
    writeFileSync(leftover, 'x');
    await meta.addTemporary({ mountPath: '/', ufsPath: 'left/.tierfs-persist.leftover', createdMs: 1 });
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    const holderId = (await db.query("SELECT owner FROM leases WHERE name = 'sweep'")).rows[0]?.owner;
    await db.end();
    const [holder, other] = holderId === second.id ? [second, cluster.master] : [cluster.master, second];
    expect(holder.id).toBe(holderId);
    expect(await other.sweeper.sweep()).toBe(0);
    expect(existsSync(leftover)).toBe(true);
    expect(await holder.sweeper.sweep()).toBe(1);
    expect(existsSync(leftover)).toBe(false);
  });
});
