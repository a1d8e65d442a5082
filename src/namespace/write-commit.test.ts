/**
 * A CACHE_THROUGH write whose master died while it moved the object into place: once the hold's
 * lease expired, a new file is undone (the client saw its completion fail), and an overwrite whose
 * old version was already gone from the under store is finished (its data is the only copy left).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Configuration } from '../config/configuration.js';
import { SqliteMetaStore } from '../meta/sqlite-store.js';
import '../ufs/drivers.js';
import { type CreatedFile, Namespace } from './namespace.js';
import type { Caller } from './permissions.js';
import { HOLD_WORKER, recoverWriteCommits } from './write-commit.js';

const ADMIN: Caller = { user: 'admin', groups: ['admin'] };

let base: string;
let ufs: string;
let meta: SqliteMetaStore;
let ns: Namespace;

beforeEach(async () => {
  base = mkdtempSync(join(tmpdir(), 'tierfs-write-commit-'));
  ufs = join(base, 'ufs');
  mkdirSync(ufs);
  meta = new SqliteMetaStore(join(base, 'meta', 'tierfs.db'));
  const conf = Configuration.of({ 'tierfs.master.mount.table.root.ufs': ufs });
  ns = await Namespace.open(conf, meta, 'admin');
});

afterEach(async () => {
  await ns.close();
  await meta.close();
  rmSync(base, { recursive: true, force: true });
});

/** A write as its worker left it (data in the temporary object), held by a master that then died. */
async function heldByDeadMaster(path: string, data: string, overwrite = false): Promise<CreatedFile> {
  const created = await ns.createFile(path, ADMIN, { writeType: 'CACHE_THROUGH', overwrite });
  writeFileSync(join(ufs, created.writeUfsPath), data);
  await meta.enqueuePersist({
    path,
    contentId: created.contentId,
    workerId: HOLD_WORKER,
    enqueuedMs: 1,
    commit: { owner: 'dead-master', leaseUntilMs: Date.now() - 1, temporaryPath: created.writeUfsPath },
  });
  return created;
}

async function write(path: string, data: string): Promise<void> {
  const created = await ns.createFile(path, ADMIN, { writeType: 'CACHE_THROUGH' });
  writeFileSync(join(ufs, created.writeUfsPath), data);
  await ns.completeFile(path, {
    contentId: created.contentId,
    size: data.length,
    temporaryPath: created.writeUfsPath,
  });
}

const settle = () => recoverWriteCommits(meta, ns.mounts, Date.now());

describe('a write hold whose master died', () => {
  it('a new file not moved yet: the hold goes, nothing appears', async () => {
    await heldByDeadMaster('/a.txt', 'new');
    expect(await settle()).toBe(1);
    expect(await meta.listPersistTasks()).toEqual([]);
    expect(existsSync(join(ufs, 'a.txt'))).toBe(false);
    expect(await ns.exists('/a.txt', ADMIN)).toBe(false);
  });

  it('a new file already moved: the object is removed, nothing appears', async () => {
    const created = await heldByDeadMaster('/b.txt', 'new');
    renameSync(join(ufs, created.writeUfsPath), join(ufs, 'b.txt'));
    expect(await settle()).toBe(1);
    expect(existsSync(join(ufs, 'b.txt'))).toBe(false);
    expect(await meta.getInode('/b.txt')).toBeUndefined();
    expect(await meta.listPersistTasks()).toEqual([]);
  });

  it('an overwrite whose old version was removed: the move is finished and the write completed', async () => {
    await write('/c.txt', 'old');
    const created = await heldByDeadMaster('/c.txt', 'newer', true);
    rmSync(join(ufs, 'c.txt'));
    expect(await settle()).toBe(1);
    expect(readFileSync(join(ufs, 'c.txt'), 'utf8')).toBe('newer');
    const status = await ns.getStatus('/c.txt', ADMIN);
    expect([status.contentId, status.size, status.persistence]).toEqual([created.contentId, 5, 'PERSISTED']);
    expect(existsSync(join(ufs, created.writeUfsPath))).toBe(false);
  });

  it('an overwrite not started: the old version stays', async () => {
    await write('/d.txt', 'old');
    const old = await ns.getStatus('/d.txt', ADMIN);
    await heldByDeadMaster('/d.txt', 'newer', true);
    expect(await settle()).toBe(1);
    expect(readFileSync(join(ufs, 'd.txt'), 'utf8')).toBe('old');
    expect((await ns.getStatus('/d.txt', ADMIN)).contentId).toBe(old.contentId);
  });

  it('a hold whose lease lives is left alone', async () => {
    const created = await ns.createFile('/e.txt', ADMIN, { writeType: 'CACHE_THROUGH' });
    await meta.enqueuePersist({
      path: '/e.txt',
      contentId: created.contentId,
      workerId: HOLD_WORKER,
      enqueuedMs: 1,
      commit: {
        owner: 'live-master',
        leaseUntilMs: Date.now() + 60_000,
        temporaryPath: created.writeUfsPath,
      },
    });
    expect(await settle()).toBe(0);
    expect((await meta.listPersistTasks()).length).toBe(1);
  });
});

describe('a committed write', () => {
  it('completed again (its master died before answering) answers as the first complete did', async () => {
    const created = await ns.createFile('/again.txt', ADMIN, { writeType: 'CACHE_THROUGH' });
    writeFileSync(join(ufs, created.writeUfsPath), 'data');
    const complete = { contentId: created.contentId, size: 4, temporaryPath: created.writeUfsPath };
    const first = await ns.completeFile('/again.txt', complete);
    const again = await ns.completeFile('/again.txt', complete);
    expect(again).toEqual(first);
    expect(readFileSync(join(ufs, 'again.txt'), 'utf8')).toBe('data');
    // Another write's complete is still refused.
    await expect(
      ns.completeFile('/again.txt', { ...complete, contentId: 'another-content' }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('completed again through another master after the first one moved it and died: the move is not undone', async () => {
    // The first master renamed the object into place and died; its hold's lease ran out before the
    // worker's resent completion got through (while it lived, the completion was asked to wait).
    const created = await heldByDeadMaster('/moved.txt', 'new');
    renameSync(join(ufs, created.writeUfsPath), join(ufs, 'moved.txt'));
    const done = await ns.completeFile('/moved.txt', {
      contentId: created.contentId,
      size: 3,
      temporaryPath: created.writeUfsPath,
    });
    expect(done.contentId).toBe(created.contentId);
    expect(readFileSync(join(ufs, 'moved.txt'), 'utf8')).toBe('new');
    expect((await ns.getStatus('/moved.txt', ADMIN)).state).toBe('COMPLETE');
    expect(await meta.listPersistTasks()).toEqual([]);
  });

  it('an overwrite completed again after the first master moved it and died keeps the new version', async () => {
    await write('/over.txt', 'old');
    const created = await heldByDeadMaster('/over.txt', 'newer', true);
    rmSync(join(ufs, 'over.txt'));
    renameSync(join(ufs, created.writeUfsPath), join(ufs, 'over.txt'));
    await ns.completeFile('/over.txt', {
      contentId: created.contentId,
      size: 5,
      temporaryPath: created.writeUfsPath,
    });
    expect(readFileSync(join(ufs, 'over.txt'), 'utf8')).toBe('newer');
    expect((await ns.getStatus('/over.txt', ADMIN)).contentId).toBe(created.contentId);
  });
});
