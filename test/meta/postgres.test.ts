/** The MetaStore behaviour suite on PostgreSQL: a throwaway server, a fresh database per test. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresMetaStore } from '../../src/meta/postgres-store.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { describeMetaStore, inode } from './suite.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.stop());

describeMetaStore('PostgreSQL', async () =>
  PostgresMetaStore.open({ url: await server.database(), poolSize: 20 }),
);

describe('a master that hangs inside a transaction', () => {
  it('does not hold its row locks for ever: the server ends its session, the other master goes on', async () => {
    const url = await server.database();
    const hung = await PostgresMetaStore.open({ url, poolSize: 2, idleInTransactionTimeoutMs: 1000 });
    const other = await PostgresMetaStore.open({ url, poolSize: 2, idleInTransactionTimeoutMs: 1000 });
    try {
      await hung.putInodes([inode('/shared.txt', { mode: 0o600 })]);
      let resume!: () => void;
      const stalled = new Promise<void>((resolve) => {
        resume = resolve;
      });
      let locked!: () => void;
      const holding = new Promise<void>((resolve) => {
        locked = resolve;
      });
      // The hung master: takes the row's lock, then stops sending statements (as a SIGSTOP would).
      const hungTransaction = hung.transaction(async (tx) => {
        await tx.patchInode('/shared.txt', {}, { mode: 0o640 });
        locked();
        await stalled;
      });
      hungTransaction.catch(() => undefined);
      await holding;
      // The other master writes the same row: it waits for the lock until the server ends the hung session.
      await other.transaction((tx) => tx.patchInode('/shared.txt', {}, { mode: 0o644 }));
      expect((await other.getInode('/shared.txt'))?.mode).toBe(0o644);
      resume();
      await expect(hungTransaction).rejects.toThrow();
      // The hung master's pool gave up the broken connection: its next transaction works.
      await hung.transaction((tx) => tx.patchInode('/shared.txt', {}, { owner: 'after' }));
      expect(await other.getInode('/shared.txt')).toMatchObject({ mode: 0o644, owner: 'after' });
    } finally {
      await hung.close();
      await other.close();
    }
  });
});
