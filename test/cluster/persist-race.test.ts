/**
 * A file overwritten or deleted while its ASYNC_THROUGH data is being persisted: the persist must
 * lose, every time. Found on main: the old version was moved over the new one in the under store
 * (8 of 8), and a deleted file came back after loadMetadata (8 of 8).
 *
 * The file lives in a mount whose persists are slow (test/support/slow-store.ts): writing the
 * temporary object and moving it into place each take a while and announce themselves, so every
 * trial overwrites or deletes the file at a known moment: half while the worker writes the
 * temporary object, half while the master moves it over the file (which takes longer than the
 * persist's lease, so the lease must be renewed through the move). Then it waits until no temporary
 * object is left, re-reads the metadata from the under store and checks what a user would see.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TierfsClient } from '../../src/client/client.js';
import type { WriteType } from '../../src/cluster/wire.js';
import { readStream } from '../../src/ufs/io.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { slowStoreEvents, slowStoreUri } from '../support/slow-store.js';

const TRIALS = 20;
/** How much longer the slow mount takes to write a temporary object, and to move it into place. */
const SLOW_MS = 150;
const MOUNT = '/race';
const LEASE_MS = 100;

let cluster: TestCluster;
let client: TierfsClient;
let postgres: TestPostgres | undefined;
let ufs: string;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function start(metastore: 'SQLITE' | 'POSTGRESQL'): Promise<void> {
  const store: Record<string, string> = {};
  if (metastore === 'POSTGRESQL') {
    postgres = await startPostgres();
    store['tierfs.master.metastore'] = 'POSTGRESQL';
    store['tierfs.master.metastore.postgresql.url'] = await postgres.database();
  }
  cluster = await startCluster({
    'tierfs.master.persistence.scheduler.interval': '20ms',
    // Shorter than a slow move into place: a persist that stopped renewing its lease while it
    // commits would let the overwrite or delete go ahead under it.
    'tierfs.master.persistence.lease.duration': `${LEASE_MS}ms`,
    ...store,
  });
  client = cluster.client();
  ufs = join(cluster.home, 'race');
  mkdirSync(ufs);
  await client.mount(MOUNT, slowStoreUri(ufs, SLOW_MS));
}

async function stop(): Promise<void> {
  await cluster?.stop();
  await postgres?.stop();
  postgres = undefined;
}

async function write(path: string, data: Buffer, writeType: WriteType, overwrite = false): Promise<void> {
  await pipeline(Readable.from([data]), await client.createFile(path, { writeType, overwrite }));
}

/** Names of tierfs's objects in progress in a directory of the under store. */
function inProgress(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.startsWith('.tierfs-')) : [];
}

type Phase = 'writing' | 'committing';

/** Resolves when the persist of a file in `dir` (relative to the mount) reaches `phase`. Call before the write. */
function reaches(phase: Phase, dir: string): Promise<void> {
  return new Promise((resolve) => {
    const listener = (ufsPath: string) => {
      if (!ufsPath.startsWith(`${dir}/`)) return;
      slowStoreEvents.off(phase, listener);
      resolve();
    };
    slowStoreEvents.on(phase, listener);
  });
}

const phaseOf = (trial: number): Phase => (trial % 2 === 0 ? 'writing' : 'committing');

describe.each(['SQLITE', 'POSTGRESQL'] as const)(
  'a persist racing an overwrite or a delete (%s)',
  (metastore) => {
    beforeAll(() => start(metastore));
    afterAll(() => stop());

    it(`overwrite during persist: the new version wins in the under store, ${TRIALS} of ${TRIALS}`, async () => {
      const failures: string[] = [];
      for (let trial = 0; trial < TRIALS; trial++) {
        const dir = `overwrite/${trial}`;
        const path = `${MOUNT}/${dir}/file.bin`;
        const [first, second] = [randomBytes(64 * 1024), randomBytes(32 * 1024)];
        const phase = phaseOf(trial);
        const racing = reaches(phase, dir);
        await write(path, first, 'ASYNC_THROUGH');
        await racing;
        await write(path, second, 'CACHE_THROUGH', true);
        await eventually(() => inProgress(join(ufs, dir)).length === 0, 'the persist attempt to end');
        await client.loadMetadata(`${MOUNT}/${dir}`, { recursive: true });
        const stored = readFileSync(join(ufs, dir, 'file.bin'));
        const read = await readStream(await client.openFile(path, { readType: 'NO_CACHE' }));
        if (sha(stored) !== sha(second) || sha(read) !== sha(second)) {
          failures.push(
            `trial ${trial} (${phase}): under store has ${stored.length} bytes, tierfs reads ${read.length}`,
          );
        }
      }
      expect(failures).toEqual([]);
    });

    it(`delete during persist: the file stays deleted, ${TRIALS} of ${TRIALS}`, async () => {
      const failures: string[] = [];
      for (let trial = 0; trial < TRIALS; trial++) {
        const dir = `delete/${trial}`;
        const path = `${MOUNT}/${dir}/file.bin`;
        const phase = phaseOf(trial);
        const racing = reaches(phase, dir);
        await write(path, randomBytes(64 * 1024), 'ASYNC_THROUGH');
        await racing;
        await client.delete(path);
        await eventually(() => inProgress(join(ufs, dir)).length === 0, 'the persist attempt to end');
        await client.loadMetadata(`${MOUNT}/${dir}`, { recursive: true });
        if (existsSync(join(ufs, dir, 'file.bin')) || (await client.exists(path))) {
          failures.push(`trial ${trial} (${phase}): the deleted file came back`);
        }
      }
      expect(failures).toEqual([]);
    });
  },
);
