import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteMetaStore } from './sqlite-store.js';
import type { Inode } from './store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function open(): { store: SqliteMetaStore; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tierfs-meta-'));
  dirs.push(dir);
  const file = join(dir, 'meta', 'tierfs.db');
  return { store: new SqliteMetaStore(file), file };
}

function inode(path: string, overrides: Partial<Inode> = {}): Inode {
  return {
    path,
    isDirectory: false,
    size: 3,
    mtimeMs: 1000,
    owner: 'alice',
    group: 'staff',
    mode: 0o644,
    state: 'COMPLETE',
    persistence: 'PERSISTED',
    contentId: `c-${path}`,
    syncedAtMs: 5,
    childrenLoaded: false,
    ...overrides,
  };
}

const dir = (path: string) => inode(path, { isDirectory: true, size: 0 });

describe('SqliteMetaStore', () => {
  it('stores and returns inodes exactly', async () => {
    const { store } = open();
    const file = inode('/a/b.txt', {
      ufsFingerprint: 'etag-1',
      persistence: 'TO_BE_PERSISTED',
      state: 'INCOMPLETE',
    });
    await store.putInodes([dir('/'), dir('/a'), file]);
    expect(await store.getInode('/a/b.txt')).toEqual(file);
    expect(await store.getInode('/a')).toEqual(dir('/a'));
    expect(await store.getInode('/missing')).toBeUndefined();
    await store.close();
  });

  it('lists children in name order, paginated, without grandchildren or prefix siblings', async () => {
    const { store } = open();
    await store.putInodes([
      dir('/'),
      dir('/d'),
      inode('/d/c'),
      inode('/d/a'),
      inode('/d/b'),
      inode('/d/b/x'),
      inode('/d-x'),
    ]);
    const first = await store.listChildren('/d', { limit: 2 });
    expect(first.inodes.map((i) => i.path)).toEqual(['/d/a', '/d/b']);
    expect(first.after).toBe('b');
    const second = await store.listChildren('/d', { limit: 2, after: first.after });
    expect(second.inodes.map((i) => i.path)).toEqual(['/d/c']);
    expect(second.after).toBeUndefined();
    expect((await store.listChildren('/', { limit: 10 })).inodes.map((i) => i.path)).toEqual(['/d', '/d-x']);
    expect(await store.countChildren('/d')).toBe(3);
  });

  it('deletes a tree and nothing beside it', async () => {
    const { store } = open();
    await store.putInodes([
      dir('/'),
      dir('/d'),
      inode('/d/a'),
      dir('/d/s'),
      inode('/d/s/z'),
      inode('/d-x'),
      inode('/dd'),
    ]);
    expect(await store.deleteTree('/d')).toBe(4);
    expect((await store.listDescendants('/', { limit: 10 })).map((i) => i.path)).toEqual(['/d-x', '/dd']);
  });

  it('renames a tree: paths, parents and queued persist tasks move; siblings stay', async () => {
    const { store } = open();
    await store.putInodes([
      dir('/'),
      dir('/src'),
      inode('/src/a'),
      dir('/src/s'),
      inode('/src/s/z'),
      inode('/src2'),
    ]);
    await store.enqueuePersist({ path: '/src/s/z', contentId: 'c', workerId: 'w1', enqueuedMs: 1 });
    await store.renameTree('/src', '/dst/moved');
    expect((await store.listDescendants('/', { limit: 10 })).map((i) => i.path)).toEqual([
      '/dst/moved',
      '/dst/moved/a',
      '/dst/moved/s',
      '/dst/moved/s/z',
      '/src2',
    ]);
    expect((await store.listChildren('/dst/moved/s', { limit: 10 })).inodes.map((i) => i.path)).toEqual([
      '/dst/moved/s/z',
    ]);
    expect((await store.listChildren('/dst', { limit: 10 })).inodes.map((i) => i.path)).toEqual([
      '/dst/moved',
    ]);
    expect((await store.listPersistTasks()).map((t) => t.path)).toEqual(['/dst/moved/s/z']);
  });

  it('pages through descendants in path order', async () => {
    const { store } = open();
    await store.putInodes([dir('/'), dir('/a'), inode('/a/1'), inode('/a/2'), inode('/a/3'), inode('/b')]);
    const page1 = await store.listDescendants('/a', { limit: 2 });
    const page2 = await store.listDescendants('/a', { limit: 2, after: page1.at(-1)!.path });
    expect([...page1, ...page2].map((i) => i.path)).toEqual(['/a/1', '/a/2', '/a/3']);
  });

  it('keeps pending writes apart from the inode they will replace', async () => {
    const { store } = open();
    await store.putInodes([dir('/'), inode('/f')]);
    await store.putPendingWrite(inode('/f', { contentId: 'new', size: 9, state: 'INCOMPLETE' }));
    expect((await store.getInode('/f'))?.contentId).toBe('c-/f');
    expect(await store.takePendingWrite('/f', 'other')).toBeUndefined();
    expect(await store.takePendingWrite('/f', 'new')).toMatchObject({ contentId: 'new', size: 9 });
    expect(await store.takePendingWrite('/f', 'new')).toBeUndefined();
  });

  it('keeps mounts, refusing a second mount at the same path', async () => {
    const { store } = open();
    const mount = {
      path: '/s3',
      ufsUri: 's3://b/d',
      readOnly: true,
      shared: false,
      options: { k: 'v' },
      createdMs: 7,
    };
    await store.addMount(mount);
    await expect(store.addMount(mount)).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    expect(await store.listMounts()).toEqual([mount]);
    expect(await store.removeMount('/s3')).toBe(true);
    expect(await store.removeMount('/s3')).toBe(false);
  });

  it('tracks persist attempts and errors, jobs and values, and survives reopening', async () => {
    const { store, file } = open();
    await store.enqueuePersist({ path: '/f', contentId: 'c1', workerId: 'w1', enqueuedMs: 1 });
    const claim = { owner: 'm1', nowMs: 10, leaseMs: 100, limit: 5, workerIds: ['w1'] };
    expect(await store.claimPersists(claim)).toHaveLength(1);
    await store.updateClaimedPersist(
      '/f',
      { owner: 'm1', contentId: 'c1' },
      { state: 'FAILED', lastError: 'boom' },
    );
    expect(await store.claimPersists(claim)).toHaveLength(1);
    await store.putJob({
      id: 'j1',
      type: 'load',
      state: 'RUNNING',
      detail: { done: 1 },
      createdMs: 1,
      updatedMs: 2,
    });
    await store.setValue('formatted', '2026');
    await store.close();
    const again = new SqliteMetaStore(file);
    expect(again.schemaVersion).toBe(6);
    expect(await again.listPersistTasks()).toEqual([
      {
        path: '/f',
        contentId: 'c1',
        workerId: 'w1',
        state: 'RUNNING',
        attempts: 2,
        lastError: 'boom',
        enqueuedMs: 1,
        retryAtMs: 0,
        owner: 'm1',
        leaseUntilMs: 110,
      },
    ]);
    expect(await again.getJob('j1')).toMatchObject({ state: 'RUNNING', detail: { done: 1 } });
    expect(await again.listJobs({ type: 'load' })).toHaveLength(1);
    expect(await again.getValue('formatted')).toBe('2026');
    await again.close();
  });

  it('keeps user tokens by id, hashed, and forgets revoked ones', async () => {
    const { store, file } = open();
    const token = {
      id: 'ab12cd34',
      hash: 'f'.repeat(64),
      user: 'alice',
      groups: ['alice', 'eng'],
      createdMs: 5,
    };
    await store.putToken(token);
    await store.putToken({ ...token, id: 'ef56ab78', user: 'bob', groups: ['bob'], createdMs: 6 });
    await expect(store.putToken(token)).rejects.toThrow();
    await store.close();
    const again = new SqliteMetaStore(file);
    expect(await again.getToken('ab12cd34')).toEqual(token);
    expect((await again.listTokens()).map((t) => t.user)).toEqual(['alice', 'bob']);
    expect(await again.removeToken('ab12cd34')).toBe(true);
    expect(await again.removeToken('ab12cd34')).toBe(false);
    expect(await again.getToken('ab12cd34')).toBeUndefined();
    await again.close();
  });

  it('held by one master: a second exclusive open fails at once and names the way out', async () => {
    const { store, file } = open();
    await store.close();
    const first = new SqliteMetaStore(file, { exclusive: true });
    await first.setValue('k', 'v');
    const started = Date.now();
    expect(() => new SqliteMetaStore(file, { exclusive: true })).toThrow(
      /is in use by another master: SQLite keeps tierfs to one master .*POSTGRESQL/,
    );
    expect(Date.now() - started).toBeLessThan(2000); // Not after the busy timeout.
    await first.close();
    // Released when the holder closes (or dies): the next master opens it.
    const next = new SqliteMetaStore(file, { exclusive: true });
    expect(await next.getValue('k')).toBe('v');
    await next.close();
  });
});
