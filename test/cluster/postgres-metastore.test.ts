/**
 * A master over PostgreSQL (`tierfs.master.metastore=POSTGRESQL`): format empties the database,
 * and every write type, listing, rename, delete and ASYNC_THROUGH persistence work through it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WriteType } from '../../src/cluster/wire.js';
import { readStream } from '../../src/ufs/io.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

let server: TestPostgres;
let cluster: TestCluster;
let url: string;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  server = await startPostgres();
  url = await server.database();
  cluster = await startCluster({
    'tierfs.master.metastore': 'POSTGRESQL',
    'tierfs.master.metastore.postgresql.url': url,
  });
});
afterAll(async () => {
  await cluster?.stop();
  await server?.stop();
});

describe('a master over PostgreSQL', () => {
  it('writes, lists, renames, deletes and persists', async () => {
    const client = cluster.client();
    const data = randomBytes(2 * 1024 * 1024 + 5);
    for (const writeType of ['CACHE_THROUGH', 'THROUGH', 'ASYNC_THROUGH'] as WriteType[]) {
      await pipeline(Readable.from([data]), await client.createFile(`/pg/${writeType}.bin`, { writeType }));
    }
    await eventually(
      async () => (await client.getStatus('/pg/ASYNC_THROUGH.bin')).persistence === 'PERSISTED',
      'persistence',
    );
    for (const writeType of ['CACHE_THROUGH', 'THROUGH', 'ASYNC_THROUGH']) {
      expect(sha(readFileSync(join(cluster.ufs, 'pg', `${writeType}.bin`)))).toBe(sha(data));
      expect(sha(await readStream(await client.openFile(`/pg/${writeType}.bin`)))).toBe(sha(data));
    }
    await client.rename('/pg/THROUGH.bin', '/pg/moved.bin');
    await client.delete('/pg/CACHE_THROUGH.bin');
    const names = (await client.listStatus('/pg')).entries.map((e) => e.name);
    expect(names).toEqual(['ASYNC_THROUGH.bin', 'moved.bin']);
    // The namespace really is in PostgreSQL (main accepted POSTGRESQL and silently used SQLite).
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      const { rows } = await db.query(
        "SELECT name, persistence FROM inodes WHERE parent = '/pg' ORDER BY name",
      );
      expect(rows).toEqual([
        { name: 'ASYNC_THROUGH.bin', persistence: 'PERSISTED' },
        { name: 'moved.bin', persistence: 'PERSISTED' },
      ]);
    } finally {
      await db.end();
    }
  });
});
