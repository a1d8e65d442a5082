/** The MetaStore behaviour suite on PostgreSQL: a throwaway server, a fresh database per test. */
import { afterAll, beforeAll } from 'vitest';
import { PostgresMetaStore } from '../../src/meta/postgres-store.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { describeMetaStore } from './suite.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.stop());

describeMetaStore('PostgreSQL', async () =>
  PostgresMetaStore.open({ url: await server.database(), poolSize: 20 }),
);
