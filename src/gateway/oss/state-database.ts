/**
 * The gateway's own state (object metadata, multipart uploads) in one SQLite file under the state
 * directory. Protocol-neutral: shared by every gateway dialect.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export type StateDatabase = Database.Database;

export function openStateDatabase(stateDir: string): StateDatabase {
  mkdirSync(stateDir, { recursive: true });
  const db = new Database(join(stateDir, 'state.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  return db;
}
