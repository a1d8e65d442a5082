/**
 * A gateway's own state (object records, staged multipart uploads, whatever else its protocol
 * keeps) in one SQLite file under its state directory: better-sqlite3 in WAL mode, each SQL text
 * prepared once. Every component creates its own tables, so several share one file and one
 * connection, and a change that touches two of them can run in one transaction.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export class StateDatabase {
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  /** Opens (creating) `<dir>/<fileName>`; a `dir` of `':memory:'` keeps the state in memory. */
  constructor(dir: string, fileName: string) {
    if (dir === ':memory:') {
      this.db = new Database(':memory:');
    } else {
      mkdirSync(dir, { recursive: true });
      this.db = new Database(join(dir, fileName));
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('busy_timeout = 5000');
    }
  }

  /** Runs DDL (or any SQL without results), e.g. a component's `CREATE TABLE IF NOT EXISTS`. */
  exec(sql: string): void {
    this.db.exec(sql);
  }

  /** A prepared statement, prepared once per SQL text. */
  sql<Params extends unknown[] = unknown[], Row = unknown>(text: string): Database.Statement<Params, Row> {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement as unknown as Database.Statement<Params, Row>;
  }

  /** Runs `body` in one transaction (nested calls join the outer one). */
  transaction<T>(body: () => T): T {
    return this.db.transaction(body)();
  }

  close(): void {
    this.db.close();
  }
}
