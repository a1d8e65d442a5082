/**
 * A CACHE_THROUGH write to an object store whose master died while it copied the write's object
 * over the file: with the temporary object and the file both there, the settling must tell whether
 * the copy happened. A new file copied is removed (the client saw its completion fail); an
 * overwrite copied is finished (the old version is gone from the store, the copy is the only one);
 * an overwrite not copied leaves the old version. Over the S3 driver and tierfs's S3 gateway.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

const ADMIN: Caller = { user: 'admin', groups: ['admin'] };
const URI = 's3://held/data/';

let base: string;
let gateway: RunningGateway;
let meta: SqliteMetaStore;
let ns: Namespace;
let store: UnderStore;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'tierfs-write-commit-s3-'));
  mkdirSync(join(base, 'ufs'));
  gateway = await startGateway();
  mkdirSync(join(gateway.root, 'held'));
  const options = {
    'tierfs.underfs.s3.endpoint': gateway.endpoint,
    'tierfs.underfs.s3.disable.dns.buckets': 'true',
    'tierfs.underfs.s3.inherit.acl': 'false',
    'aws.accessKeyId': ACCESS_KEY,
    'aws.secretKey': SECRET_KEY,
    'tierfs.underfs.object.store.write.commit.copy': 'true',
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
