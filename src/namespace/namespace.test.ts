import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Configuration } from '../config/configuration.js';
import { isTierfsError } from '../errors.js';
import { SqliteMetaStore } from '../meta/sqlite-store.js';
import '../ufs/drivers.js';
import { Namespace } from './namespace.js';
import type { Caller } from './permissions.js';

const ADMIN: Caller = { user: 'admin', groups: [] };
const ROOT: Caller = { user: 'root', groups: ['root'] };
const BOB: Caller = { user: 'bob', groups: ['bob'] };

let base: string;
let ufs: string;
let meta: SqliteMetaStore;
let ns: Namespace;

async function open(values: Record<string, string> = {}): Promise<Namespace> {
  await ns?.close();
  const conf = Configuration.of({ 'tierfs.master.mount.table.root.ufs': ufs, ...values });
  ns = await Namespace.open(conf, meta, 'admin');
  return ns;
}

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isTierfsError(error)) return error.code;
    throw error;
  }
  return 'OK';
}

beforeEach(async () => {
  base = mkdtempSync(join(tmpdir(), 'tierfs-ns-'));
  ufs = join(base, 'ufs');
  mkdirSync(ufs);
  meta = new SqliteMetaStore(':memory:');
  await open();
});

afterEach(async () => {
  await ns.close();
  await meta.close();
  rmSync(base, { recursive: true, force: true });
});

async function names(path: string, caller = ROOT): Promise<string[]> {
  return (await ns.listStatus(path, caller)).entries.map((e) => `${e.name}${e.isDirectory ? '/' : ''}`);
}

describe('loading metadata from the under store', () => {
  it('finds files and directories written straight into the under store', async () => {
    mkdirSync(join(ufs, 'data/sub'), { recursive: true });
    writeFileSync(join(ufs, 'data/a.csv'), 'abc');
    const status = await ns.getStatus('/data/a.csv', ROOT);
    expect(status).toMatchObject({
      path: '/data/a.csv',
      name: 'a.csv',
      size: 3,
      isDirectory: false,
      persistence: 'PERSISTED',
    });
    expect(status.ufsUri).toBe(`file://${ufs}/data/a.csv`);
    expect(await names('/data')).toEqual(['a.csv', 'sub/']);
    expect(await names('/')).toEqual(['data/']);
  });

  it('with sync interval -1 keeps what it loaded; with 0 it sees every change', async () => {
    writeFileSync(join(ufs, 'f'), 'one');
    const first = await ns.getStatus('/f', ROOT);
    writeFileSync(join(ufs, 'f'), 'three');
    utimesSync(join(ufs, 'f'), new Date(), new Date(Date.now() + 5000));
    expect((await ns.getStatus('/f', ROOT)).size).toBe(3);
    await open({ 'tierfs.user.file.metadata.sync.interval': '0' });
    const second = await ns.getStatus('/f', ROOT);
    expect(second.size).toBe(5);
    expect(second.contentId).not.toBe(first.contentId);
    rmSync(join(ufs, 'f'));
    expect(await code(ns.getStatus('/f', ROOT))).toBe('NOT_FOUND');
  });

  it('re-listing a stale directory drops vanished children but keeps files not yet persisted', async () => {
    mkdirSync(join(ufs, 'd'));
    writeFileSync(join(ufs, 'd/gone'), 'x');
    writeFileSync(join(ufs, 'd/kept'), 'x');
    expect(await names('/d')).toEqual(['gone', 'kept']);
    const cacheOnly = await ns.createFile('/d/cache-only', ROOT, { writeType: 'MUST_CACHE' });
    await ns.completeFile('/d/cache-only', { contentId: cacheOnly.contentId, size: 1 });
    rmSync(join(ufs, 'd/gone'));
    expect(await names('/d')).toEqual(['cache-only', 'gone', 'kept']);
    await open({ 'tierfs.user.file.metadata.sync.interval': '0' });
    expect(await names('/d')).toEqual(['cache-only', 'kept']);
  });

  it('does not look up the under store again for a path missing from a freshly listed directory', async () => {
    mkdirSync(join(ufs, 'd'));
    expect(await names('/d')).toEqual([]);
    writeFileSync(join(ufs, 'd/late'), 'x');
    expect(await code(ns.getStatus('/d/late', ROOT))).toBe('NOT_FOUND');
    await ns.loadMetadata('/d', ROOT);
    expect((await ns.getStatus('/d/late', ROOT)).size).toBe(1);
  });

  it('paginates listings', async () => {
    for (let i = 0; i < 7; i++) writeFileSync(join(ufs, `f${i}`), '');
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await ns.listStatus('/', ROOT, { pageSize: 3, continuationToken: token });
      expect(page.entries.length).toBeLessThanOrEqual(3);
      seen.push(...page.entries.map((e) => e.name));
      token = page.continuationToken;
    } while (token);
    expect(seen).toEqual(['f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6']);
  });
});

describe('writes', () => {
  it('a created file is invisible until completed, and complete needs its own content id', async () => {
    const created = await ns.createFile('/new/file.txt', ROOT);
    expect(created.state).toBe('INCOMPLETE');
    expect(await code(ns.getStatus('/new/file.txt', ROOT))).toBe('NOT_FOUND');
    expect(await names('/new')).toEqual([]);
    expect(await code(ns.completeFile('/new/file.txt', { contentId: 'other', size: 1 }))).toBe('CONFLICT');
    const done = await ns.completeFile('/new/file.txt', {
      contentId: created.contentId,
      size: 4,
      ufsFingerprint: 'fp',
    });
    expect(done).toMatchObject({ state: 'COMPLETE', size: 4, persistence: 'PERSISTED' });
    expect(await names('/new')).toEqual(['file.txt']);
    expect(readdirSync(ufs)).toEqual(['new']);
  });

  it('a create or complete sent twice (its master died before answering) does what one did', async () => {
    // Create twice: the second replaces the incomplete file of the first, which can never complete.
    const lost = await ns.createFile('/twice', ROOT, { writeType: 'ASYNC_THROUGH' });
    const created = await ns.createFile('/twice', ROOT, { writeType: 'ASYNC_THROUGH' });
    expect(
      await code(ns.completeFile('/twice', { contentId: lost.contentId, size: 1, workerId: 'w1' })),
    ).toBe('CONFLICT');
    const complete = { contentId: created.contentId, size: 3, workerId: 'w1' };
    const first = await ns.completeFile('/twice', complete);
    const again = await ns.completeFile('/twice', complete);
    expect(again).toEqual(first);
    expect((await meta.listPersistTasks()).filter((t) => t.path === '/twice')).toHaveLength(1);
    // An overwrite completed twice too, and the old content's complete is refused.
    const next = await ns.createFile('/twice', ROOT, { overwrite: true, writeType: 'MUST_CACHE' });
    const overwritten = await ns.completeFile('/twice', { contentId: next.contentId, size: 5 });
    expect(await ns.completeFile('/twice', { contentId: next.contentId, size: 5 })).toEqual(overwritten);
    expect(await code(ns.completeFile('/twice', complete))).toBe('CONFLICT');
    expect((await ns.getStatus('/twice', ROOT)).contentId).toBe(next.contentId);
  });

  it('refuses to replace a file without overwrite; ASYNC_THROUGH queues persistence', async () => {
    const a = await ns.createFile('/f', ROOT, { writeType: 'ASYNC_THROUGH' });
    await ns.completeFile('/f', { contentId: a.contentId, size: 2, workerId: 'w1' });
    expect((await meta.listPersistTasks()).map((t) => [t.path, t.contentId])).toEqual([['/f', a.contentId]]);
    expect(await code(ns.createFile('/f', ROOT))).toBe('ALREADY_EXISTS');
    const b = await ns.createFile('/f', ROOT, { overwrite: true, writeType: 'THROUGH' });
    expect(b.contentId).not.toBe(a.contentId);
    // The old file stays visible while it is being overwritten, and after an aborted overwrite.
    expect((await ns.getStatus('/f', ROOT)).contentId).toBe(a.contentId);
    await ns.abortFile('/f', b.contentId);
    expect((await ns.getStatus('/f', ROOT)).contentId).toBe(a.contentId);
    const c = await ns.createFile('/f', ROOT, { overwrite: true, writeType: 'THROUGH' });
    expect((await ns.completeFile('/f', { contentId: c.contentId, size: 7 })).size).toBe(7);
    expect((await ns.getStatus('/f', ROOT)).contentId).toBe(c.contentId);
    const fresh = await ns.createFile('/g', ROOT);
    await ns.abortFile('/g', fresh.contentId);
    expect(await code(ns.getStatus('/g', ROOT))).toBe('NOT_FOUND');
  });

  it('mkdir, rename and delete act on the under store too', async () => {
    await ns.mkdir('/a/b', ROOT);
    expect(readdirSync(join(ufs, 'a'))).toEqual(['b']);
    expect(await code(ns.mkdir('/a/b', ROOT))).toBe('ALREADY_EXISTS');
    writeFileSync(join(ufs, 'a/b/x'), 'x');
    await ns.loadMetadata('/a', ROOT, { recursive: true });
    await ns.rename('/a', '/moved', ROOT);
    expect(readFileSync(join(ufs, 'moved/b/x'), 'utf8')).toBe('x');
    expect(await names('/moved/b')).toEqual(['x']);
    expect(await code(ns.getStatus('/a', ROOT))).toBe('NOT_FOUND');
    expect(await code(ns.delete('/moved', ROOT))).toBe('DIRECTORY_NOT_EMPTY');
    await ns.delete('/moved', ROOT, { recursive: true });
    expect(readdirSync(ufs)).toEqual([]);
    expect(await code(ns.getStatus('/moved/b/x', ROOT))).toBe('NOT_FOUND');
  });

  it('refuses paths with ..', async () => {
    expect(await code(ns.getStatus('/a/../../etc', ROOT))).toBe('INVALID_ARGUMENT');
    expect(await code(ns.createFile('/../x', ROOT))).toBe('INVALID_ARGUMENT');
  });
});

describe('mounts', () => {
  let other: string;
  beforeEach(() => {
    other = join(base, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'inside.txt'), 'in');
  });

  it('mounts a nested store, lists it and unmounts it without touching its data', async () => {
    await ns.mkdir('/mnt', ROOT);
    const point = await ns.mount('/mnt/other', other, ADMIN, {
      options: { 'tierfs.underfs.listing.length': '10' },
    });
    expect(point).toMatchObject({ isDirectory: true, mountPoint: true, ufsUri: `file://${other}/` });
    expect(await names('/mnt/other')).toEqual(['inside.txt']);
    expect(await names('/mnt')).toEqual(['other/']);
    expect(ns.mounts.list().map((m) => m.path)).toEqual(['/', '/mnt/other']);
    await ns.unmount('/mnt/other', ADMIN);
    expect(await code(ns.getStatus('/mnt/other', ROOT))).toBe('NOT_FOUND');
    expect(readdirSync(other)).toEqual(['inside.txt']);
    expect(await meta.listMounts()).toEqual([]);
  });

  it("lists a directory holding a mount point with each entry's own mount, as getStatus gives it", async () => {
    mkdirSync(join(ufs, 'mnt'));
    writeFileSync(join(ufs, 'mnt', 'a.txt'), 'a');
    await ns.mount('/mnt/other', other, ADMIN);
    const fields = (s: object) => {
      const { path, name, mountPoint, mountPath, ufsPath, ufsUri } = s as Record<string, unknown>;
      return { path, name, mountPoint, mountPath, ufsPath, ufsUri };
    };
    for (const dir of ['/mnt', '/mnt/other']) {
      const { entries } = await ns.listStatus(dir, ROOT);
      const expected = await Promise.all(entries.map((e) => ns.getStatus(e.path, ROOT)));
      expect(entries.map(fields)).toEqual(expected.map(fields));
    }
    expect((await ns.listStatus('/mnt', ROOT)).entries.map(fields)).toEqual([
      {
        path: '/mnt/a.txt',
        name: 'a.txt',
        mountPoint: false,
        mountPath: '/',
        ufsPath: 'mnt/a.txt',
        ufsUri: `file://${ufs}/mnt/a.txt`,
      },
      {
        path: '/mnt/other',
        name: 'other',
        mountPoint: true,
        mountPath: '/mnt/other',
        ufsPath: '',
        ufsUri: `file://${other}/`,
      },
    ]);
    expect((await ns.listStatus('/mnt/other', ROOT)).entries.map(fields)).toEqual([
      {
        path: '/mnt/other/inside.txt',
        name: 'inside.txt',
        mountPoint: false,
        mountPath: '/mnt/other',
        ufsPath: 'inside.txt',
        ufsUri: `file://${other}/inside.txt`,
      },
    ]);
  });

  it('makes missing parents of a mount point, as mkdir -p would (seed 002: /mnt/s3 on a fresh namespace)', async () => {
    expect(await code(ns.getStatus('/mnt', ROOT))).toBe('NOT_FOUND');
    const point = await ns.mount('/mnt/deep/other', other, ADMIN);
    expect(point).toMatchObject({ path: '/mnt/deep/other', mountPoint: true });
    expect(await ns.getStatus('/mnt/deep', ROOT)).toMatchObject({ isDirectory: true, mountPoint: false });
    expect(await names('/mnt/deep/other')).toEqual(['inside.txt']);
    writeFileSync(join(ufs, 'plain'), 'x');
    expect(await code(ns.mount('/plain/other', other, ADMIN))).toBe('NOT_A_DIRECTORY');
    expect(ns.mounts.list().map((m) => m.path)).toEqual(['/', '/mnt/deep/other']);
  });

  it('lets only the superuser mount and unmount, wherever the caller may write', async () => {
    await ns.mkdir('/open', ADMIN);
    await ns.setAttribute('/open', ADMIN, { mode: 0o777 });
    expect(await code(ns.mount('/open/host', other, BOB))).toBe('PERMISSION_DENIED');
    expect(ns.mounts.list().map((m) => m.path)).toEqual(['/']);
    await ns.mount('/open/host', other, ADMIN);
    expect(await code(ns.unmount('/open/host', BOB))).toBe('PERMISSION_DENIED');
    await ns.unmount('/open/host', ADMIN);
  });

  it('refuses bad mounts and records nothing', async () => {
    mkdirSync(join(ufs, 'taken'));
    expect(await code(ns.mount('/taken', other, ADMIN))).toBe('ALREADY_EXISTS');
    expect(await code(ns.mount('/inner', join(ufs, 'taken'), ADMIN))).toBe('INVALID_ARGUMENT');
    expect(await code(ns.mount('/missing', join(base, 'nope'), ADMIN))).toBe('NOT_FOUND');
    const unknown = await ns.mount('/x', 'xyz://bucket/', ADMIN).catch((e: Error) => e.message);
    expect(unknown).toMatch(
      /^cannot mount xyz:\/\/bucket\/ at \/x: Could not find a file system implementation for scheme 'xyz'/,
    );
    expect(await meta.listMounts()).toEqual([]);
    expect(ns.mounts.list()).toHaveLength(1);
    await ns.mount('/o', other, ADMIN);
    expect(await code(ns.mount('/o2', other, ADMIN))).toBe('INVALID_ARGUMENT');
    expect(await code(ns.delete('/o', ROOT, { recursive: true }))).toBe('INVALID_ARGUMENT');
    expect(await code(ns.rename('/o/inside.txt', '/outside.txt', ROOT))).toBe('UNSUPPORTED');
  });

  it('a read-only mount refuses every write, leaving the store untouched', async () => {
    await ns.mount('/ro', other, ADMIN, { readOnly: true });
    expect(await code(ns.createFile('/ro/new', ROOT))).toBe('READ_ONLY');
    expect(await code(ns.mkdir('/ro/dir', ROOT))).toBe('READ_ONLY');
    expect(await code(ns.delete('/ro/inside.txt', ROOT))).toBe('READ_ONLY');
    expect(await code(ns.rename('/ro/inside.txt', '/ro/renamed', ROOT))).toBe('READ_ONLY');
    expect(readdirSync(other)).toEqual(['inside.txt']);
    expect((await ns.getStatus('/ro/inside.txt', ROOT)).size).toBe(2);
  });
});

describe('permissions', () => {
  it('refuses traversal of a directory others cannot enter, with the Alluxio message', async () => {
    await open({ 'tierfs.master.mount.table.root.shared': 'false' });
    mkdirSync(join(ufs, 'private'), { mode: 0o700 });
    writeFileSync(join(ufs, 'private/obj'), 'x');
    expect((await ns.getStatus('/private/obj', ROOT)).size).toBe(1);
    const message = await ns.getStatus('/private/obj', BOB).catch((e: Error) => e.message);
    expect(message).toBe(
      'Permission denied: user=bob, access=--x, path=/private/obj: failed at private, inode owner=root, inode group=root, inode mode=rwx------',
    );
    expect((await ns.getStatus('/private/obj', ADMIN)).size).toBe(1);
  });

  it('a shared mount gives others the owner bits', async () => {
    mkdirSync(join(ufs, 'private'), { mode: 0o700 });
    expect((await ns.getStatus('/private', ROOT)).mode).toBe(0o707);
    expect(await names('/private', BOB)).toEqual([]);
  });

  it('chmod and chown change tierfs metadata only', async () => {
    writeFileSync(join(ufs, 'f'), 'x');
    await ns.setAttribute('/f', ADMIN, { mode: 0o600, owner: 'carol' });
    expect(await ns.getStatus('/f', ROOT)).toMatchObject({ mode: 0o600, owner: 'carol' });
    await open({ 'tierfs.user.file.metadata.sync.interval': '0' });
    expect(await ns.getStatus('/f', ROOT)).toMatchObject({ mode: 0o600, owner: 'carol' });
    expect(await code(ns.setAttribute('/f', BOB, { owner: 'bob' }))).toBe('PERMISSION_DENIED');
  });

  it('sets the modification time for the owner, the superuser or a writer, and no one else', async () => {
    writeFileSync(join(ufs, 'timed'), 'x');
    await ns.setAttribute('/timed', ADMIN, { mode: 0o644 });
    await ns.setAttribute('/timed', ADMIN, { mtimeMs: 1_000_000_000_000 });
    expect((await ns.getStatus('/timed', ROOT)).mtimeMs).toBe(1_000_000_000_000);
    expect(await code(ns.setAttribute('/timed', BOB, { mtimeMs: 5 }))).toBe('PERMISSION_DENIED');
    await ns.setAttribute('/timed', ADMIN, { mode: 0o666 });
    await ns.setAttribute('/timed', BOB, { mtimeMs: 2_000_000_000_000 });
    expect((await ns.getStatus('/timed', ROOT)).mtimeMs).toBe(2_000_000_000_000);
    expect(await code(ns.setAttribute('/timed', ADMIN, { mtimeMs: -1 }))).toBe('INVALID_ARGUMENT');
  });

  it('a directory made through tierfs keeps its chmod and chown across re-syncs', async () => {
    await ns.mkdir('/made', ROOT);
    await ns.setAttribute('/made', ADMIN, { mode: 0o700, owner: 'carol' });
    writeFileSync(join(ufs, 'made', 'child'), 'x');
    await open({ 'tierfs.user.file.metadata.sync.interval': '0' });
    expect(await names('/made', ADMIN)).toEqual(['child']);
    expect(await ns.getStatus('/made', ADMIN)).toMatchObject({ mode: 0o700, owner: 'carol' });
  });

  it('a recursive chown changes the directory itself too, though it re-reads the tree from the under store', async () => {
    await ns.mkdir('/d/e', ROOT, { recursive: true });
    writeFileSync(join(ufs, 'd', 'e', 'f'), 'x');
    await ns.setAttribute('/d', ADMIN, { owner: 'carol', group: 'staff', mode: 0o750, recursive: true });
    for (const path of ['/d', '/d/e', '/d/e/f']) {
      expect(await ns.getStatus(path, ADMIN)).toMatchObject({ owner: 'carol', group: 'staff', mode: 0o750 });
    }
  });
});
