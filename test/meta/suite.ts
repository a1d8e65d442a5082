/**
 * The MetaStore behaviour suite: written once, run against every implementation (SQLite now;
 * PostgreSQL with the same file). Each test opens a fresh, empty store.
 *
 * Transactions here do what the namespace does: read, yield to the event loop (as a network round
 * trip to a database would), then write guarded by what they read. A store whose transactions are
 * not isolated, or whose conditional writes are not conditional, fails the concurrency cases.
 */
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { isTierfsError } from '../../src/errors.js';
import { type Inode, type MetaStore, type MetaTransaction, PARKED_RETRY_MS } from '../../src/meta/store.js';

export function inode(path: string, overrides: Partial<Inode> = {}): Inode {
  return {
    path,
    isDirectory: false,
    size: 0,
    mtimeMs: 1000,
    owner: 'alice',
    group: 'staff',
    mode: 0o644,
    state: 'COMPLETE',
    persistence: 'PERSISTED',
    ufsFingerprint: `fp-${path}`,
    contentId: `c-${path}`,
    syncedAtMs: 5,
    childrenLoaded: false,
    ...overrides,
  };
}

export const dir = (path: string, overrides: Partial<Inode> = {}) =>
  inode(path, { isDirectory: true, mode: 0o755, ...overrides });

/** A deterministic pseudo-random sequence, so a failing run can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

async function allInodes(store: MetaStore): Promise<Inode[]> {
  const root = await store.getInode('/');
  const below: Inode[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.listDescendants('/', { after, limit: 500 });
    if (page.length === 0) break;
    below.push(...page);
    after = page.at(-1)!.path;
  }
  return root ? [root, ...below] : below;
}

/** Every inode but the root has a parent, and that parent is a directory. */
async function expectNoOrphan(store: MetaStore): Promise<void> {
  const all = await allInodes(store);
  const byPath = new Map(all.map((i) => [i.path, i]));
  const orphans = all.filter((i) => {
    if (i.path === '/') return false;
    const parent = byPath.get(i.path.slice(0, Math.max(1, i.path.lastIndexOf('/'))));
    return !parent?.isDirectory;
  });
  expect(orphans.map((i) => i.path)).toEqual([]);
}

export function describeMetaStore(name: string, open: () => Promise<MetaStore>): void {
  describe(`MetaStore behaviour: ${name}`, () => {
    const opened: MetaStore[] = [];
    afterEach(async () => {
      for (const store of opened.splice(0)) await store.close();
    });
    const fresh = async (): Promise<MetaStore> => {
      const store = await open();
      opened.push(store);
      await store.putInodes([dir('/')]);
      return store;
    };

    describe('listChildren', () => {
      it('gives each child field for field as getInode does', async () => {
        const store = await fresh();
        const children = [
          dir('/l'),
          inode('/l/a', { size: 42, mtimeMs: 1234, owner: 'bob', group: 'dev', mode: 0o600 }),
          inode('/l/b', { ufsFingerprint: undefined, persistence: 'NOT_PERSISTED' }),
          dir('/l/c', { childrenLoaded: true, syncedAtMs: 99 }),
          inode('/l/d', { state: 'INCOMPLETE', persistence: 'TO_BE_PERSISTED' }),
        ];
        await store.putInodes(children);
        const listed = (await store.listChildren('/l', { limit: 10 })).inodes;
        expect(listed.map((i) => i.path)).toEqual(['/l/a', '/l/b', '/l/c', '/l/d']);
        for (const child of listed) expect(child).toStrictEqual(await store.getInode(child.path));
        // No ufsFingerprint key at all when there is none, as getInode gives it.
        expect(Object.keys(listed[1]!)).not.toContain('ufsFingerprint');
        const paged = await store.listChildren('/l', { limit: 2, after: 'a' });
        expect([paged.inodes.map((i) => i.path), paged.after]).toEqual([['/l/b', '/l/c'], 'c']);
      });
    });

    describe('transactions', () => {
      it('commit every write of fn, or none when fn rejects', async () => {
        const store = await fresh();
        await store.transaction(async (tx) => {
          await tx.createInode(dir('/a'));
          await tx.createInode(inode('/a/f'));
        });
        await expect(
          store.transaction(async (tx) => {
            await tx.deleteTree('/a');
            await tx.createInode(inode('/b'));
            throw new Error('changed my mind');
          }),
        ).rejects.toThrow('changed my mind');
        expect((await allInodes(store)).map((i) => i.path)).toEqual(['/', '/a', '/a/f']);
      });

      it('are isolated: 16 concurrent read-modify-writes lose no update', async () => {
        const store = await fresh();
        await store.createInode(inode('/counter'));
        await Promise.all(
          Array.from({ length: 16 }, () =>
            store.transaction(async (tx) => {
              const current = (await tx.getInode('/counter'))!;
              await yieldTurn();
              await tx.patchInode('/counter', {}, { size: current.size + 1 });
            }),
          ),
        );
        expect((await store.getInode('/counter'))?.size).toBe(16);
      });

      it('refuse a transaction opened inside another', async () => {
        const store = await fresh();
        await expect(store.transaction(() => store.getInode('/'))).rejects.toThrow(/transaction/);
        expect(await store.getInode('/')).toBeDefined();
      });
    });

    describe('conditional writes', () => {
      it('create-if-absent: of 16 concurrent creates of one path exactly one wins', async () => {
        const store = await fresh();
        const won = await Promise.all(
          Array.from({ length: 16 }, (_, n) => store.createInode(inode('/f', { contentId: `c${n}` }))),
        );
        expect(won.filter(Boolean)).toHaveLength(1);
        expect((await store.getInode('/f'))?.contentId).toBe(`c${won.indexOf(true)}`);
      });

      it('a patch changes the named fields only, and only when the guard holds', async () => {
        const store = await fresh();
        await store.createInode(inode('/f', { persistence: 'TO_BE_PERSISTED', contentId: 'c1' }));
        // A chmod and a persist commit, each patching its own field, both survive.
        await Promise.all([
          store.patchInode('/f', {}, { mode: 0o600 }),
          store.patchInode(
            '/f',
            { contentId: 'c1', persistence: 'TO_BE_PERSISTED' },
            { persistence: 'PERSISTED', ufsFingerprint: 'etag' },
          ),
        ]);
        expect(await store.getInode('/f')).toMatchObject({
          mode: 0o600,
          persistence: 'PERSISTED',
          ufsFingerprint: 'etag',
        });
        expect(await store.patchInode('/f', { contentId: 'other' }, { size: 99 })).toBe(false);
        expect(await store.patchInode('/missing', {}, { size: 99 })).toBe(false);
        expect((await store.getInode('/f'))?.size).toBe(0);
        expect(await store.patchInode('/f', { state: 'COMPLETE' }, { ufsFingerprint: null })).toBe(true);
        expect((await store.getInode('/f'))?.ufsFingerprint).toBeUndefined();
      });

      it('complete-if-content-id: a completion after a delete does not bring the file back', async () => {
        const store = await fresh();
        await store.createInode(inode('/f', { state: 'INCOMPLETE', contentId: 'w1' }));
        expect(await store.deleteTree('/f', { contentId: 'w1' })).toBe(1);
        expect(
          await store.patchInode('/f', { contentId: 'w1', state: 'INCOMPLETE' }, { state: 'COMPLETE' }),
        ).toBe(false);
        expect(await store.getInode('/f')).toBeUndefined();
      });

      it('delete and rename act only on what the caller read', async () => {
        const store = await fresh();
        await store.putInodes([dir('/a', { contentId: 'a1' }), inode('/a/f'), dir('/b'), inode('/b/g')]);
        expect(await store.deleteTree('/a', { contentId: 'a0' })).toBe(0);
        expect(await store.renameTree('/a', '/c', { contentId: 'a0' })).toBe(false);
        expect(await store.renameTree('/a', '/b', { contentId: 'a1' })).toBe(false); // Destination taken.
        expect((await allInodes(store)).map((i) => i.path)).toEqual(['/', '/a', '/a/f', '/b', '/b/g']);
        await store.enqueuePersist({ path: '/a/f', contentId: 'c-/a/f', workerId: 'w', enqueuedMs: 1 });
        await store.putPendingWrite(inode('/a/f', { contentId: 'next', state: 'INCOMPLETE' }));
        expect(await store.renameTree('/a', '/c', { contentId: 'a1' })).toBe(true);
        expect((await allInodes(store)).map((i) => i.path)).toEqual(['/', '/b', '/b/g', '/c', '/c/f']);
        expect((await store.listChildren('/c', { limit: 10 })).inodes.map((i) => i.path)).toEqual(['/c/f']);
        expect((await store.listPersistTasks()).map((t) => t.path)).toEqual(['/c/f']);
        expect(await store.takePendingWrite('/c/f', 'next')).toMatchObject({
          path: '/c/f',
          contentId: 'next',
        });
        expect(await store.deleteTree('/c', { contentId: 'a1' })).toBe(2);
      });

      it('patches the attributes of a whole tree in one statement, and nothing beside it', async () => {
        const store = await fresh();
        await store.putInodes([dir('/d'), inode('/d/f'), dir('/d/e'), inode('/d/e/g'), inode('/d-x')]);
        expect(await store.patchTree('/d', { owner: 'bob', mode: 0o700 })).toBe(4);
        const all = await allInodes(store);
        expect(all.filter((i) => i.owner === 'bob').map((i) => i.path)).toEqual([
          '/d',
          '/d/e',
          '/d/e/g',
          '/d/f',
        ]);
        expect(all.find((i) => i.path === '/d-x')?.owner).toBe('alice');
      });
    });

    describe('batched reads and sync', () => {
      it('reads a path and all its ancestors in one call, root first', async () => {
        const store = await fresh();
        await store.putInodes([dir('/a'), dir('/a/b'), inode('/a/b/c'), dir('/a-b')]);
        expect((await store.getAncestry('/a/b/c')).map((i) => i.path)).toEqual(['/', '/a', '/a/b', '/a/b/c']);
        expect((await store.getAncestry('/a/x/y')).map((i) => i.path)).toEqual(['/', '/a']);
        expect((await store.getAncestry('/')).map((i) => i.path)).toEqual(['/']);
      });

      it('mirrors a page of under store entries without touching what tierfs wrote', async () => {
        const store = await fresh();
        await store.putInodes([
          dir('/d'),
          inode('/d/same', { mode: 0o600, contentId: 'kept', ufsFingerprint: 'v1' }),
          inode('/d/changed', { mode: 0o600, contentId: 'old', ufsFingerprint: 'v1' }),
          inode('/d/async', { persistence: 'TO_BE_PERSISTED', contentId: 'mine', ufsFingerprint: undefined }),
          inode('/d/writing', { state: 'INCOMPLETE', contentId: 'w' }),
        ]);
        const ufs = (name: string, fingerprint: string) =>
          inode(`/d/${name}`, {
            ufsFingerprint: fingerprint,
            contentId: `new-${name}`,
            size: 7,
            syncedAtMs: 50,
          });
        await store.mirrorInodes([
          ufs('same', 'v1'),
          ufs('changed', 'v2'),
          ufs('async', 'v9'),
          ufs('writing', 'v9'),
          ufs('fresh', 'v1'),
        ]);
        expect(await store.getInode('/d/same')).toMatchObject({
          contentId: 'kept',
          mode: 0o600,
          size: 7,
          syncedAtMs: 50,
        });
        expect(await store.getInode('/d/changed')).toMatchObject({ contentId: 'new-changed', mode: 0o644 });
        expect(await store.getInode('/d/async')).toMatchObject({
          contentId: 'mine',
          persistence: 'TO_BE_PERSISTED',
        });
        expect(await store.getInode('/d/writing')).toMatchObject({ contentId: 'w', state: 'INCOMPLETE' });
        expect(await store.getInode('/d/fresh')).toMatchObject({ contentId: 'new-fresh' });
      });

      it('drops vanished children with their subtrees, keeping unpersisted files and mount points', async () => {
        const store = await fresh();
        await store.putInodes([
          dir('/d'),
          inode('/d/gone', { syncedAtMs: 1 }),
          dir('/d/gone-dir', { syncedAtMs: 1 }),
          inode('/d/gone-dir/x', { syncedAtMs: 100 }),
          inode('/d/seen', { syncedAtMs: 100 }),
          inode('/d/async', { syncedAtMs: 1, persistence: 'TO_BE_PERSISTED' }),
          dir('/d/mnt', { syncedAtMs: 1 }),
          inode('/d-x', { syncedAtMs: 1 }),
        ]);
        expect(await store.deleteStaleChildren('/d', 50, ['/d/mnt'])).toBe(3);
        expect((await allInodes(store)).map((i) => i.path)).toEqual([
          '/',
          '/d',
          '/d-x',
          '/d/async',
          '/d/mnt',
          '/d/seen',
        ]);
      });

      it('drops vanished children in a range of names only (after, up to and including)', async () => {
        const store = await fresh();
        await store.putInodes([
          dir('/d'),
          ...['a', 'b', 'c', 'd', 'e'].map((n) => inode(`/d/${n}`, { syncedAtMs: 1 })),
          dir('/d/c0', { syncedAtMs: 1 }),
          inode('/d/c0/x', { syncedAtMs: 100 }),
        ]);
        expect(await store.deleteStaleChildren('/d', 50, [], { after: 'a', upTo: 'c0' })).toBe(4);
        expect((await allInodes(store)).map((i) => i.path)).toEqual(['/', '/d', '/d/a', '/d/d', '/d/e']);
        expect(await store.deleteStaleChildren('/d', 50, [], { upTo: 'a' })).toBe(1);
        expect(await store.deleteStaleChildren('/d', 50, [], { after: 'd' })).toBe(1);
        expect((await allInodes(store)).map((i) => i.path)).toEqual(['/', '/d', '/d/d']);
      });
    });

    describe('persist tasks with leases', () => {
      const claimOf = (owner: string, nowMs: number) => ({
        owner,
        nowMs,
        leaseMs: 100,
        limit: 10,
        workerIds: ['w1'],
      });

      it('a claimed task is nobody else’s until its lease expires, then it is taken over', async () => {
        const store = await fresh();
        await store.enqueuePersist({ path: '/f', contentId: 'c1', workerId: 'w1', enqueuedMs: 1 });
        await store.enqueuePersist({ path: '/g', contentId: 'c2', workerId: 'w-away', enqueuedMs: 2 });
        expect((await store.claimPersists(claimOf('m1', 1000))).map((t) => [t.path, t.owner])).toEqual([
          ['/f', 'm1'],
        ]);
        expect(await store.claimPersists(claimOf('m2', 1099))).toEqual([]);
        const [taken] = await store.claimPersists(claimOf('m2', 1100));
        expect(taken).toMatchObject({
          path: '/f',
          owner: 'm2',
          attempts: 2,
          state: 'RUNNING',
          leaseUntilMs: 1200,
        });
        // The first owner lost it: whatever it does next changes nothing.
        expect(
          await store.updateClaimedPersist('/f', { owner: 'm1', contentId: 'c1' }, { state: 'COMMITTING' }),
        ).toBe(false);
        expect(await store.removePersist('/f', { owner: 'm1' })).toBe(false);
        expect(
          await store.updateClaimedPersist('/f', { owner: 'm2', contentId: 'c1' }, { state: 'COMMITTING' }),
        ).toBe(true);
      });

      it('16 masters claiming at once never share a task', async () => {
        const store = await fresh();
        for (let n = 0; n < 40; n++) {
          await store.enqueuePersist({ path: `/f${n}`, contentId: `c${n}`, workerId: 'w1', enqueuedMs: n });
        }
        const claims = await Promise.all(
          Array.from({ length: 16 }, (_, m) =>
            store.claimPersists({ owner: `m${m}`, nowMs: 1000, leaseMs: 100, limit: 3, workerIds: ['w1'] }),
          ),
        );
        const paths = claims.flat().map((t) => t.path);
        expect(paths).toHaveLength(40);
        expect(new Set(paths).size).toBe(40);
      });

      it('a failed attempt waits for its retry time; a requeued task for its new time', async () => {
        const store = await fresh();
        await store.enqueuePersist({ path: '/f', contentId: 'c1', workerId: 'w1', enqueuedMs: 1 });
        await store.claimPersists(claimOf('m1', 1000));
        await store.updateClaimedPersist(
          '/f',
          { owner: 'm1', contentId: 'c1' },
          { state: 'FAILED', lastError: 'boom', retryAtMs: 5000 },
        );
        expect(await store.getPersistTask('/f')).toMatchObject({
          state: 'FAILED',
          lastError: 'boom',
          retryAtMs: 5000,
        });
        expect(await store.claimPersists(claimOf('m1', 4999))).toEqual([]);
        expect(await store.claimPersists(claimOf('m1', 5000))).toHaveLength(1);
        expect(await store.cancelPersists('/', { recursive: true, nowMs: 5001, requeueAtMs: 9000 })).toBe(1);
        expect(await store.getPersistTask('/f')).toMatchObject({ state: 'PENDING', retryAtMs: 9000 });
        expect((await store.getPersistTask('/f'))?.owner).toBeUndefined();
        expect(await store.claimPersists(claimOf('m1', 8999))).toEqual([]);
      });

      it('cancelling waits for a live commit (retryable CONFLICT) and not for an expired one', async () => {
        const store = await fresh();
        await store.enqueuePersist({ path: '/d/f', contentId: 'c1', workerId: 'w1', enqueuedMs: 1 });
        await store.enqueuePersist({ path: '/d/g', contentId: 'c2', workerId: 'w1', enqueuedMs: 2 });
        await store.claimPersists(claimOf('m1', 1000));
        await store.updateClaimedPersist('/d/f', { owner: 'm1', contentId: 'c1' }, { state: 'COMMITTING' });
        const refused = await store
          .cancelPersists('/d', { recursive: true, nowMs: 1050 })
          .catch((e: unknown) => e);
        expect(isTierfsError(refused, 'CONFLICT') && refused.retryable).toBe(true);
        expect(await store.listPersistTasks()).toHaveLength(2);
        expect(await store.cancelPersists('/d/g', { recursive: false, nowMs: 1050 })).toBe(1);
        expect(await store.cancelPersists('/d', { recursive: true, nowMs: 1100 })).toBe(1);
        expect(await store.listPersistTasks()).toEqual([]);
      });

      it('lists as leftovers the old temporary objects no live attempt is writing', async () => {
        const store = await fresh();
        await store.enqueuePersist({ path: '/f', contentId: 'c1', workerId: 'w1', enqueuedMs: 1 });
        await store.claimPersists(claimOf('m1', 1000));
        await store.updateClaimedPersist(
          '/f',
          { owner: 'm1', contentId: 'c1' },
          { state: 'RUNNING', temporaryPath: 't-live' },
        );
        await store.addTemporary({ mountPath: '/', ufsPath: 't-live', createdMs: 10 });
        await store.addTemporary({ mountPath: '/', ufsPath: 't-dead', createdMs: 10 });
        await store.addTemporary({ mountPath: '/', ufsPath: 't-young', createdMs: 990 });
        const leftovers = (nowMs: number) =>
          store
            .listLeftoverTemporaries({ createdBeforeMs: 500, nowMs, limit: 10 })
            .then((l) => l.map((t) => t.ufsPath));
        expect(await leftovers(1050)).toEqual(['t-dead']);
        expect(await leftovers(1100)).toEqual(['t-dead', 't-live']); // Its attempt's lease expired.
        await store.removeTemporary('/', 't-dead');
        expect(await leftovers(1050)).toEqual([]);
      });

      it('drops writes abandoned before a time, resuming the persist an overwrite parked', async () => {
        const store = await fresh();
        await store.putInodes([
          inode('/old', { state: 'INCOMPLETE', syncedAtMs: 10 }),
          inode('/young', { state: 'INCOMPLETE', syncedAtMs: 900 }),
          inode('/kept', { persistence: 'TO_BE_PERSISTED', contentId: 'v1', syncedAtMs: 10 }),
        ]);
        await store.enqueuePersist({ path: '/kept', contentId: 'v1', workerId: 'w1', enqueuedMs: 1 });
        await store.cancelPersists('/kept', { recursive: false, nowMs: 20, requeueAtMs: PARKED_RETRY_MS });
        await store.putPendingWrite(inode('/kept', { contentId: 'v2', state: 'INCOMPLETE', syncedAtMs: 20 }));
        expect(
          await store.claimPersists({ owner: 'm', nowMs: 1000, leaseMs: 10, limit: 5, workerIds: ['w1'] }),
        ).toEqual([]);
        expect(await store.dropAbandonedWrites(500)).toBe(2);
        expect((await allInodes(store)).map((i) => i.path)).toEqual(['/', '/kept', '/young']);
        expect(await store.takePendingWrite('/kept', 'v2')).toBeUndefined();
        expect(
          (
            await store.claimPersists({ owner: 'm', nowMs: 1000, leaseMs: 10, limit: 5, workerIds: ['w1'] })
          ).map((t) => t.path),
        ).toEqual(['/kept']);
      });

      it('tells which staged contents are still needed: unpersisted files and writes in progress', async () => {
        const store = await fresh();
        await store.putInodes([
          inode('/async', { contentId: 'async', persistence: 'TO_BE_PERSISTED' }),
          inode('/writing', { contentId: 'writing', state: 'INCOMPLETE', persistence: 'TO_BE_PERSISTED' }),
          inode('/done', { contentId: 'done' }),
        ]);
        await store.putPendingWrite(inode('/done', { contentId: 'pending', state: 'INCOMPLETE' }));
        expect(await store.neededStagedContent(['async', 'writing', 'done', 'pending', 'gone'])).toEqual([
          'async',
          'pending',
          'writing',
        ]);
      });
    });

    describe('what several masters share', () => {
      const mount = (path: string) => ({
        path,
        ufsUri: `file:///tmp${path}/`,
        readOnly: false,
        shared: false,
        options: {},
        createdMs: 1,
      });

      it('move the mount generation with every mount added or removed, and only then', async () => {
        const store = await fresh();
        const start = await store.mountGeneration();
        await store.addMount(mount('/a'));
        const added = await store.mountGeneration();
        expect(added).toBeGreaterThan(start);
        await expect(store.addMount(mount('/a'))).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
        expect(await store.mountGeneration()).toBe(added);
        expect(await store.removeMount('/missing')).toBe(false);
        expect(await store.mountGeneration()).toBe(added);
        expect(await store.removeMount('/a')).toBe(true);
        expect(await store.mountGeneration()).toBeGreaterThan(added);
        expect(await store.listMounts()).toEqual([]);
      });

      it("replace a mount's options in place, moving the generation", async () => {
        const store = await fresh();
        await store.addMount({ ...mount('/a'), options: { 'aws.secretKey': 'plain' } });
        const before = await store.mountGeneration();
        expect(await store.updateMountOptions('/missing', { k: 'v' })).toBe(false);
        expect(await store.mountGeneration()).toBe(before);
        expect(await store.updateMountOptions('/a', { 'aws.secretKey': 'sealed' })).toBe(true);
        expect(await store.mountGeneration()).toBeGreaterThan(before);
        expect(await store.listMounts()).toEqual([
          { ...mount('/a'), options: { 'aws.secretKey': 'sealed' } },
        ]);
      });

      it('count concurrent mount changes, none lost', async () => {
        const store = await fresh();
        const start = await store.mountGeneration();
        await Promise.all(Array.from({ length: 16 }, (_, i) => store.addMount(mount(`/m${i}`))));
        expect(await store.mountGeneration()).toBe(start + 16);
        expect((await store.listMounts()).length).toBe(16);
      });

      it('record worker heartbeats: new, renewed, lapsed, restarted, gone', async () => {
        const store = await fresh();
        const beat = (lastHeartbeatMs: number, startedMs = 100) =>
          store.heartbeatWorker(
            { id: 'w1', address: 'http://127.0.0.1:1', startedMs, lastHeartbeatMs, detail: { tiers: [] } },
            1000,
          );
        expect(await beat(1000)).toBe(true); // New.
        expect(await beat(1500)).toBe(false); // Within its lease.
        expect(await beat(2400)).toBe(false);
        expect(await beat(3500)).toBe(true); // Missed its lease (1.1 s since the last one).
        expect(await beat(3600, 200)).toBe(true); // Restarted.
        expect(await store.listWorkers()).toEqual([
          {
            id: 'w1',
            address: 'http://127.0.0.1:1',
            startedMs: 200,
            lastHeartbeatMs: 3600,
            detail: { tiers: [] },
          },
        ]);
        expect(await store.removeWorker('w1')).toBe(true);
        expect(await store.removeWorker('w1')).toBe(false);
        expect(await store.listWorkers()).toEqual([]);
      });

      it('grant a lease to one of 16 racing owners, renew it for the holder, hand it on when it lapses', async () => {
        const store = await fresh();
        const lease = { nowMs: 10_000, leaseMs: 1000 };
        const won = await Promise.all(
          Array.from({ length: 16 }, (_, i) => store.acquireLease('sweep', `m${i}`, lease)),
        );
        expect(won.filter(Boolean)).toHaveLength(1);
        const holder = `m${won.indexOf(true)}`;
        const other = holder === 'm0' ? 'm1' : 'm0';
        expect(await store.acquireLease('sweep', holder, { nowMs: 10_500, leaseMs: 1000 })).toBe(true);
        // Renewed until 11,500: another owner waits past that.
        expect(await store.acquireLease('sweep', other, { nowMs: 11_200, leaseMs: 1000 })).toBe(false);
        expect(await store.acquireLease('other-work', other, { nowMs: 11_200, leaseMs: 1000 })).toBe(true);
        expect(await store.acquireLease('sweep', other, { nowMs: 11_501, leaseMs: 1000 })).toBe(true);
        expect(await store.acquireLease('sweep', holder, { nowMs: 11_600, leaseMs: 1000 })).toBe(false);
        // Only the holder gives a lease up.
        await store.releaseLease('sweep', holder);
        expect(await store.acquireLease('sweep', holder, { nowMs: 11_700, leaseMs: 1000 })).toBe(false);
        await store.releaseLease('sweep', other);
        expect(await store.acquireLease('sweep', holder, { nowMs: 11_700, leaseMs: 1000 })).toBe(true);
      });
    });

    describe('16 concurrent writers, renamers and deleters on overlapping paths', () => {
      it.each([1, 2, 3])('keep every invariant (seed %i)', async (seed) => {
        const store = await fresh();
        const next = random(seed);
        const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
        const dirs = ['/a', '/b', '/a/x', '/b/y'];
        const files = ['f', 'g', 'h'];
        await store.putInodes([...dirs.map((d) => dir(d)), inode('/counter', { size: 0 })]);
        const deleted = new Set<string>();
        let increments = 0;
        let created = 0;

        type Outcome = { incremented?: boolean; deleted?: string[] };
        // Each reads, yields, then writes guarded by what it read, and says what it did.
        const write = (tx: MetaTransaction) => async (): Promise<Outcome | undefined> => {
          const parent = pick(dirs);
          const path = `${parent}/${pick(files)}`;
          const contentId = `w${created++}`;
          const parentInode = await tx.getInode(parent);
          await yieldTurn();
          if (!parentInode?.isDirectory) return;
          if (!(await tx.createInode(inode(path, { state: 'INCOMPLETE', contentId })))) return;
          await yieldTurn();
          await tx.patchInode(path, { contentId, state: 'INCOMPLETE' }, { state: 'COMPLETE', size: 1 });
        };
        const rename = (tx: MetaTransaction) => async (): Promise<Outcome | undefined> => {
          const from = pick([...dirs, ...dirs.flatMap((d) => files.map((f) => `${d}/${f}`))]);
          const toParent = pick(dirs);
          const to = `${toParent}/${pick([...files, 'x', 'y'])}`;
          if (to === from || to.startsWith(`${from}/`)) return;
          const source = await tx.getInode(from);
          const target = await tx.getInode(toParent);
          await yieldTurn();
          if (!source || !target?.isDirectory) return;
          await tx.renameTree(from, to, { contentId: source.contentId });
        };
        const remove = (tx: MetaTransaction) => async (): Promise<Outcome | undefined> => {
          const path = pick([...dirs, ...dirs.flatMap((d) => files.map((f) => `${d}/${f}`))]);
          const target = await tx.getInode(path);
          if (!target) return;
          const below = await tx.listDescendants(path, { limit: 1000 });
          await yieldTurn();
          if ((await tx.deleteTree(path, { contentId: target.contentId })) > 0) {
            return { deleted: [target, ...below].map((gone) => gone.contentId) };
          }
        };
        const recreate = (tx: MetaTransaction) => async (): Promise<Outcome | undefined> => {
          const path = pick(dirs);
          const parent = await tx.getInode(path.slice(0, Math.max(1, path.lastIndexOf('/'))));
          await yieldTurn();
          if (parent?.isDirectory) await tx.createInode(dir(path, { contentId: `d${created++}` }));
          return undefined;
        };
        const count = (tx: MetaTransaction) => async (): Promise<Outcome | undefined> => {
          const counter = (await tx.getInode('/counter'))!;
          await yieldTurn();
          if (await tx.patchInode('/counter', { contentId: counter.contentId }, { size: counter.size + 1 })) {
            return { incremented: true };
          }
        };
        const kinds = [write, write, rename, remove, recreate, count];
        await Promise.all(
          Array.from({ length: 16 }, async () => {
            for (let op = 0; op < 25; op++) {
              const kind = pick(kinds);
              // What a transaction did is counted once it committed: fn may run more than once.
              const outcome: Outcome | undefined = await store.transaction((tx) => kind(tx)());
              if (outcome?.incremented) increments++;
              for (const contentId of outcome?.deleted ?? []) deleted.add(contentId);
            }
          }),
        );

        const all = await allInodes(store);
        await expectNoOrphan(store);
        // No lost update.
        expect(all.find((i) => i.path === '/counter')?.size).toBe(increments);
        expect(increments).toBeGreaterThan(0);
        // No resurrected file.
        expect(all.filter((i) => deleted.has(i.contentId)).map((i) => i.path)).toEqual([]);
        // No two files at one path, and no file in two places.
        expect(new Set(all.map((i) => i.path)).size).toBe(all.length);
        expect(new Set(all.map((i) => i.contentId)).size).toBe(all.length);
        // Listing agrees with the tree.
        for (const d of all.filter((i) => i.isDirectory)) {
          const children = all.filter(
            (i) => i.path !== '/' && i.path.slice(0, Math.max(1, i.path.lastIndexOf('/'))) === d.path,
          );
          expect(await store.countChildren(d.path)).toBe(children.length);
        }
        // The Overview's file count agrees with the tree.
        expect(await store.countFiles()).toBe(all.filter((i) => !i.isDirectory).length);
      });
    });
  });
}
