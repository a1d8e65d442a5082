/** The MetaStore behaviour suite on the embedded SQLite store (a database file, WAL, as in production). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { SqliteMetaStore } from '../../src/meta/sqlite-store.js';
import { describeMetaStore } from './suite.js';

const base = mkdtempSync(join(tmpdir(), 'tierfs-meta-suite-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let n = 0;

describeMetaStore('SQLite', async () => new SqliteMetaStore(join(base, `store-${n++}`, 'tierfs.db')));
