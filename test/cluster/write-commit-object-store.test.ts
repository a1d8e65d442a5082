/**
 * A CACHE_THROUGH write to an object store whose master died while it copied the write's object
 * over the file: with the temporary object and the file both there, the settling must tell whether
 * the copy happened. A new file copied is removed (the client saw its completion fail); an
 * overwrite copied is finished (the old version is gone from the store, the copy is the only one);
 * an overwrite not copied leaves the old version. A write that went up in parts wrote no temporary
 * object: its upload was left open at the file's key, and the master died completing it or before;
 * the same rules hold, told by whether the file is still the version being replaced. Over the S3
 * driver and tierfs's S3 gateway.
 */

import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Configuration } from '../../src/config/configuration.js';
import { SqliteMetaStore } from '../../src/meta/sqlite-store.js';
import { type CreatedFile, Namespace } from '../../src/namespace/namespace.js';
import type { Caller } from '../../src/namespace/permissions.js';
import { HOLD_WORKER, recoverWriteCommits } from '../../src/namespace/write-commit.js';
import type { UnderStore } from '../../src/ufs/contract.js';
import { readStream, writeFile } from '../../src/ufs/io.js';
import { FileSystem } from '../../src/ufs/registry.js';
import '../../src/ufs/drivers.js';
import { ACCESS_KEY, type RunningGateway, SECRET_KEY, startGateway } from '../gateway/harness.js';
import { eventually } from '../support/eventually.js';

const ADMIN: Caller = { user: 'admin', groups: ['admin'] };
const URI = 's3://held/data/';

let base: string;
let gateway: RunningGateway;
let meta: SqliteMetaStore;
let ns: Namespace;
let store: UnderStore;
let options: Record<string, string>;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'tierfs-write-commit-s3-'));
  mkdirSync(join(base, 'ufs'));
  gateway = await startGateway();
  mkdirSync(join(gateway.root, 'held'));
  options = {
    'tierfs.underfs.s3.endpoint': gateway.endpoint,
    'tierfs.underfs.s3.disable.dns.buckets': 'true',
    'tierfs.underfs.s3.inherit.acl': 'false',
    'aws.accessKeyId': ACCESS_KEY,
    'aws.secretKey': SECRET_KEY,
    'tierfs.underfs.object.store.write.commit.copy': 'true',
    'tierfs.underfs.s3.multipart.upload.partition.size': '5MB',
    'tierfs.underfs.s3.intermediate.upload.clean.age': '1ms',
  };
  meta = new SqliteMetaStore(join(base, 'meta', 'tierfs.db'));
  const conf = Configuration.of({ 'tierfs.master.mount.table.root.ufs': join(base, 'ufs') });
  ns = await Namespace.open(conf, meta, 'admin');
  await ns.mount('/s3', URI, ADMIN, { options });
  store = await FileSystem.get(URI, options);
});

afterAll(async () => {
  await store?.close();
  await ns?.close();
  await meta?.close();
  await gateway?.stop();
  rmSync(base, { recursive: true, force: true });
});

/** A write as its worker left it (data in the temporary object), held by a master that then died. */
async function heldByDeadMaster(path: string, data: string, overwrite = false): Promise<CreatedFile> {
  const created = await ns.createFile(`/s3/${path}`, ADMIN, { writeType: 'CACHE_THROUGH', overwrite });
  expect(created.writeUfsPath).toMatch(/\.tierfs-write\./);
  await writeFile(store, created.writeUfsPath, Buffer.from(data));
  await meta.enqueuePersist({
    path: `/s3/${path}`,
    contentId: created.contentId,
    workerId: HOLD_WORKER,
    enqueuedMs: 1,
    commit: { owner: 'dead-master', leaseUntilMs: Date.now() - 1, temporaryPath: created.writeUfsPath },
  });
  return created;
}

async function write(path: string, data: string): Promise<void> {
  const created = await ns.createFile(`/s3/${path}`, ADMIN, { writeType: 'CACHE_THROUGH' });
  await writeFile(store, created.writeUfsPath, Buffer.from(data));
  await ns.completeFile(`/s3/${path}`, {
    contentId: created.contentId,
    size: data.length,
    temporaryPath: created.writeUfsPath,
  });
}

/** What the master had done when it died: the server-side copy, not yet the delete. */
async function copied(created: CreatedFile, path: string): Promise<void> {
  const data = await readStream(await store.open(created.writeUfsPath));
  await writeFile(store, path, data, { overwrite: true });
}

const text = async (path: string) => (await readStream(await store.open(path))).toString('utf8');
const settle = () => recoverWriteCommits(meta, ns.mounts, Date.now());

describe('a write hold on an object store whose master died', () => {
  it('a new file copied but its temporary object not deleted: the copy is removed, nothing appears', async () => {
    const created = await heldByDeadMaster('a.txt', 'new');
    await copied(created, 'a.txt');
    expect(await settle()).toBe(1);
    expect(await store.exists('a.txt')).toBe(false);
    expect(await meta.getInode('/s3/a.txt')).toBeUndefined();
  });

  it('an overwrite copied but its temporary object not deleted: the write is finished', async () => {
    await write('b.txt', 'old');
    const created = await heldByDeadMaster('b.txt', 'newer', true);
    await copied(created, 'b.txt');
    expect(await settle()).toBe(1);
    expect(await text('b.txt')).toBe('newer');
    expect(await store.exists(created.writeUfsPath)).toBe(false);
    const status = await ns.getStatus('/s3/b.txt', ADMIN);
    expect([status.contentId, status.size, status.persistence]).toEqual([created.contentId, 5, 'PERSISTED']);
  });

  it('an overwrite not copied: the old version stays', async () => {
    await write('c.txt', 'old');
    const old = await ns.getStatus('/s3/c.txt', ADMIN);
    await heldByDeadMaster('c.txt', 'newer', true);
    expect(await settle()).toBe(1);
    expect(await text('c.txt')).toBe('old');
    expect((await ns.getStatus('/s3/c.txt', ADMIN)).contentId).toBe(old.contentId);
  });
});

/** More than one part (5 MiB): the write goes up as a multipart upload left open at the file's key. */
const BIG = 6 * 1024 * 1024;

/**
 * A write in parts as its worker left it (an upload open at the file's key, nothing at the
 * temporary name), held by a master that then died; `completed` when it died after completing it.
 */
async function heldInParts(path: string, data: Buffer, overwrite: boolean, completed: boolean) {
  const created = await ns.createFile(`/s3/${path}`, ADMIN, { writeType: 'CACHE_THROUGH', overwrite });
  expect(created.commitUfsPath).toBe(path);
  const out = await store.create(created.writeUfsPath, {
    overwrite: true,
    parentExists: true,
    noStatus: true,
    commitTo: path,
  });
  await pipeline(Readable.from([data]), out);
  expect(out.pendingUpload).toBeDefined();
  expect(await store.exists(created.writeUfsPath)).toBe(false);
  await meta.enqueuePersist({
    path: `/s3/${path}`,
    contentId: created.contentId,
    workerId: HOLD_WORKER,
    enqueuedMs: 1,
    commit: { owner: 'dead-master', leaseUntilMs: Date.now() - 1, temporaryPath: created.writeUfsPath },
  });
  if (completed) await store.completeUpload!(path, out.pendingUpload!, { size: data.length });
  return created;
}

describe("a write in parts (its upload open at the file's key) held by a master that died", () => {
  it('an overwrite whose upload was completed: the write is finished', async () => {
    await write('d.bin', 'old');
    const data = randomBytes(BIG);
    const created = await heldInParts('d.bin', data, true, true);
    expect(await settle()).toBe(1);
    expect((await readStream(await store.open('d.bin'))).equals(data)).toBe(true);
    const status = await ns.getStatus('/s3/d.bin', ADMIN);
    expect([status.contentId, status.size, status.persistence]).toEqual([
      created.contentId,
      BIG,
      'PERSISTED',
    ]);
  });

  it('an overwrite whose upload was not completed: the old version stays, the sweep aborts the upload', async () => {
    await write('e.bin', 'old');
    const old = await ns.getStatus('/s3/e.bin', ADMIN);
    await heldInParts('e.bin', randomBytes(BIG), true, false);
    expect(await settle()).toBe(1);
    expect(await text('e.bin')).toBe('old');
    const status = await ns.getStatus('/s3/e.bin', ADMIN);
    expect([status.contentId, status.size]).toEqual([old.contentId, 3]);
    expect(await store.cleanup!()).toBe(1);
    expect(await text('e.bin')).toBe('old');
  });

  it('a new file whose upload was completed: it is removed, nothing appears', async () => {
    await heldInParts('f.bin', randomBytes(BIG), false, true);
    expect(await settle()).toBe(1);
    expect(await store.exists('f.bin')).toBe(false);
    expect(await meta.getInode('/s3/f.bin')).toBeUndefined();
  });
});

describe('the temporary object of a write committed by copy', () => {
  it('stays recorded, so a crash leaves it to the sweep, until its batched delete went', async () => {
    // A mount of its own whose batches wait an hour: the store sends them when it is closed (unmount).
    const batched = { ...options, 'tierfs.underfs.object.store.write.commit.delete.interval': '1h' };
    await ns.mount('/batched', 's3://held/batched/', ADMIN, { options: batched });
    const created = await ns.createFile('/batched/g.txt', ADMIN, { writeType: 'CACHE_THROUGH' });
    const own = await FileSystem.get('s3://held/batched/', batched);
    try {
      await writeFile(own, created.writeUfsPath, Buffer.from('data'), { noStatus: true });
      await ns.completeFile('/batched/g.txt', {
        contentId: created.contentId,
        size: 4,
        temporaryPath: created.writeUfsPath,
      });
      expect((await readStream(await own.open('g.txt'))).toString()).toBe('data');
      const recorded = async () =>
        (
          await meta.listLeftoverTemporaries({
            createdBeforeMs: Date.now() + 1,
            nowMs: Date.now(),
            limit: 1000,
          })
        ).some((temporary) => temporary.ufsPath === created.writeUfsPath);
      expect(await own.exists(created.writeUfsPath)).toBe(true);
      expect(await recorded()).toBe(true);
      await ns.unmount('/batched', ADMIN);
      expect(await own.exists(created.writeUfsPath)).toBe(false);
      await eventually(async () => !(await recorded()), 'the record to go with the object');
    } finally {
      await own.close();
    }
  });
});
