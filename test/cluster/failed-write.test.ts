/**
 * A write the client saw fail leaves nothing visible or half-written, and never replaces what
 * another write stored. Found on main: a CACHE_THROUGH write went straight to the file's path in
 * the under store, so when its completion failed (the file was deleted, or another write took the
 * path meanwhile) its data was still there: the deleted file came back, or the other, acknowledged
 * write was lost, once the metadata was re-read from the under store.
 *
 * On every kind of store: a local directory (rename), and S3, OSS and Kodo through tierfs's own
 * gateways (each over a local directory), whose writes are copied over the file server-side by
 * default (tierfs.underfs.object.store.write.commit.copy).
 *
 * Each case holds a write open (its bytes sent, the stream not ended) while another client acts on
 * the path, then ends it: the completion must fail, and the under store and tierfs must show what
 * they would had the failed write never happened.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TierfsClient } from '../../src/client/client.js';
import type { WriteType } from '../../src/cluster/wire.js';
import type { UnderStore } from '../../src/ufs/contract.js';
import { readStream } from '../../src/ufs/io.js';
import { FileSystem } from '../../src/ufs/registry.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { storesUnderTest } from '../support/stores-under-test.js';

let cluster: TestCluster;
let client: TierfsClient;
const { stores, cleanup } = storesUnderTest(() => join(cluster.home, 'local-store'), 'failed');

beforeAll(async () => {
  cluster = await startCluster();
  client = cluster.client();
});
afterAll(async () => {
  await cluster?.stop();
  await cleanup();
});

async function write(path: string, data: Buffer, writeType: WriteType, overwrite = false): Promise<void> {
  await pipeline(Readable.from([data]), await client.createFile(path, { writeType, overwrite }));
}

/** Larger than one part on every store (PART_OPTIONS): the write goes up in parts. */
const BIG = 6 * 1024 * 1024;

/** The temporary objects of committed writes go within 100 ms (not the default second): quick tests. */
const QUICK_DELETES = { 'tierfs.underfs.object.store.write.commit.delete.interval': '100ms' };

/** Mount options under which a BIG write goes up in parts (S3 parts are at least 5 MiB). */
const PART_OPTIONS: Record<string, Record<string, string>> = {
  local: {},
  s3: { 'tierfs.underfs.s3.multipart.upload.partition.size': '5MB', ...QUICK_DELETES },
  oss: { 'tierfs.underfs.oss.multipart.upload.partition.size': '1MB', ...QUICK_DELETES },
  kodo: {
    'tierfs.underfs.kodo.resumable.upload.threshold': '1MB',
    'tierfs.underfs.kodo.resumable.upload.part.size': '1MB',
  },
};

/** Options of the test's own store: its cleanup() takes every open upload as left behind. */
const SWEEP_NOW = {
  'tierfs.underfs.s3.intermediate.upload.clean.age': '1ms',
  'tierfs.underfs.oss.intermediate.upload.clean.age': '1ms',
};

/** A write with its data sent and its stream still open. */
async function openWrite(path: string, data: Buffer, writeType: WriteType, overwrite = false) {
  const stream: Writable = await client.createFile(path, { writeType, overwrite });
  stream.on('error', () => undefined);
  stream.write(data);
  return {
    stream,
    /** Ends the write; resolves to its error, or undefined when it was acknowledged. */
    end: async (): Promise<unknown> => {
      stream.end();
      return finished(stream).then(
        () => undefined,
        (error: unknown) => error,
      );
    },
  };
}

/** tierfs's objects in progress left in a directory of the under store. */
async function leftovers(store: UnderStore, dir: string): Promise<string[]> {
  if (!(await store.exists(dir))) return [];
  const page = await store.list(dir);
  return page.entries.map((entry) => entry.name).filter((name) => name.startsWith('.tierfs-'));
}

describe.each(Object.keys(stores))('on a %s mount', (kind) => {
  const mountPath = `/${kind}`;
  let store: UnderStore;
  beforeAll(async () => {
    const { uri, options } = await stores[kind]!();
    const mountOptions = { ...options, ...PART_OPTIONS[kind] };
    await client.mount(mountPath, uri, { options: mountOptions });
    store = await FileSystem.get(uri, { ...mountOptions, ...SWEEP_NOW });
  });
  afterAll(async () => {
    await store?.close();
  });

  describe('a write that goes up in parts (a multipart upload the master completes)', () => {
    const parts = mountPath;

    it('a path another write took meanwhile: the acknowledged write stays, the loser aborted its upload', async () => {
      const dir = `parts-taken`;
      const path = `${parts}/${dir}/file.bin`;
      await client.mkdir(`${parts}/${dir}`, { recursive: true });
      const failing = await openWrite(path, randomBytes(BIG), 'THROUGH');
      const winner = randomBytes(16 * 1024);
      await write(path, winner, 'CACHE_THROUGH');
      expect(await failing.end()).toBeDefined();

      expect((await readStream(await store.open(`${dir}/file.bin`))).equals(winner)).toBe(true);
      await client.loadMetadata(`${parts}/${dir}`, { recursive: true });
      expect((await readStream(await client.openFile(path, { readType: 'NO_CACHE' }))).equals(winner)).toBe(
        true,
      );
      expect(await store.cleanup?.()).toBeFalsy(); // nothing left for the sweep
    });

    it('an overwrite in parts that completes replaces the file whole, with no temporary object', async () => {
      const dir = `parts-replaced`;
      const path = `${parts}/${dir}/file.bin`;
      await write(path, randomBytes(1024), 'CACHE_THROUGH');
      const newer = randomBytes(BIG);
      await write(path, newer, 'CACHE_THROUGH', true);
      expect((await readStream(await store.open(`${dir}/file.bin`))).equals(newer)).toBe(true);
      await eventually(
        async () => (await leftovers(store, dir)).length === 0,
        "the first write's temporary object to go",
      );
      expect(await store.cleanup?.()).toBeFalsy();
    });

    it('a write killed between parts leaves nothing at the key and no open upload', async () => {
      const dir = `parts-killed`;
      const path = `${parts}/${dir}/file.bin`;
      await client.mkdir(`${parts}/${dir}`, { recursive: true });
      const killed = await openWrite(path, randomBytes(BIG), 'THROUGH');
      killed.stream.destroy(new Error('client gone'));
      await eventually(async () => !(await client.exists(path)), 'the write to be dropped');
      expect(await store.exists(`${dir}/file.bin`)).toBe(false);
      await eventually(async () => !(await store.cleanup?.()), 'the upload to be aborted by its writer');
    });

    it.skipIf(kind === 'local' || kind === 'kodo')(
      'an upload its writer left open (a worker killed before its receipt reached the master) is aborted by the sweep',
      async () => {
        const out = await store.create(`orphan/.tierfs-write.00000000-0000-0000-0000-000000000000`, {
          overwrite: true,
          parentExists: true,
          noStatus: true,
          commitTo: 'orphan/file.bin',
        });
        await pipeline(Readable.from([randomBytes(BIG)]), out);
        expect(out.pendingUpload).toBeDefined();
        expect(await store.exists('orphan/file.bin')).toBe(false);
        await new Promise((resolve) => setTimeout(resolve, 5));
        expect(await store.cleanup!()).toBe(1);
        expect(await store.exists('orphan/file.bin')).toBe(false);
        await expect(store.completeUpload!('orphan/file.bin', out.pendingUpload!)).rejects.toThrow();
        expect(await store.exists('orphan/file.bin')).toBe(false);
      },
    );
  });

  describe.each(['CACHE_THROUGH', 'THROUGH'] as const)('a %s write whose completion fails', (writeType) => {
    it('overwriting a file deleted meanwhile: the file stays deleted', async () => {
      const dir = `deleted-${writeType}`;
      const path = `${mountPath}/${dir}/file.bin`;
      await write(path, randomBytes(1024), 'CACHE_THROUGH');
      const failing = await openWrite(path, randomBytes(48 * 1024), writeType, true);
      await client.delete(path);
      expect(await failing.end()).toBeDefined();

      await client.loadMetadata(`${mountPath}/${dir}`, { recursive: true });
      expect(await client.exists(path)).toBe(false);
      expect(await store.exists(`${dir}/file.bin`)).toBe(false);
      await eventually(async () => (await leftovers(store, dir)).length === 0, 'no temporary object left');
    });

    it('a path another write took meanwhile: the other write stays', async () => {
      const dir = `taken-${writeType}`;
      const path = `${mountPath}/${dir}/file.bin`;
      await client.mkdir(`${mountPath}/${dir}`, { recursive: true });
      const failing = await openWrite(path, randomBytes(48 * 1024), writeType);
      const winner = randomBytes(16 * 1024);
      await write(path, winner, 'CACHE_THROUGH');
      expect(await failing.end()).toBeDefined();

      await client.loadMetadata(`${mountPath}/${dir}`, { recursive: true });
      expect((await readStream(await store.open(`${dir}/file.bin`))).equals(winner)).toBe(true);
      const read = await readStream(await client.openFile(path, { readType: 'NO_CACHE' }));
      expect(read.equals(winner)).toBe(true);
      await eventually(async () => (await leftovers(store, dir)).length === 0, 'no temporary object left');
    });

    it('an overwrite that completes: its data replaces the file, and no temporary object stays', async () => {
      const dir = `replaced-${writeType}`;
      const path = `${mountPath}/${dir}/file.bin`;
      await write(path, randomBytes(1024), 'CACHE_THROUGH');
      const newer = randomBytes(32 * 1024);
      await write(path, newer, writeType, true);
      expect((await readStream(await store.open(`${dir}/file.bin`))).equals(newer)).toBe(true);
      // Object stores delete the temporary objects of committed writes in batches, within a second.
      await eventually(async () => (await leftovers(store, dir)).length === 0, 'no temporary object left');
      expect((await readStream(await client.openFile(path, { readType: 'NO_CACHE' }))).equals(newer)).toBe(
        true,
      );
    });
  });
});
