/**
 * A throwaway PostgreSQL server for tests: initdb into a temporary directory, pg_ctl on a free
 * loopback port (and a Unix socket in that directory), trust authentication for loopback only,
 * fsync off. Run as the unprivileged `postgres` user when the tests run as root (PostgreSQL
 * refuses root). Debian's `postgresql` package provides the binaries (.ci/run installs it).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './daemons.js';

export interface TestPostgres {
  /** A fresh, empty database on the server; its URL. */
  database(): Promise<string>;
  stop(): Promise<void>;
}

const BIN_DIRS = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'];

function binary(name: string): string {
  for (const dir of BIN_DIRS) if (existsSync(join(dir, name))) return join(dir, name);
  return name; // On the PATH.
}

/** Whether PostgreSQL's server binaries are installed here. */
export function postgresAvailable(): boolean {
  try {
    execFileSync(binary('pg_ctl'), ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function startPostgres(): Promise<TestPostgres> {
  const base = mkdtempSync(join(tmpdir(), 'tierfs-pg-'));
  const data = join(base, 'data');
  const asRoot = process.getuid?.() === 0;
  const run = (command: string, args: string[]) => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
    execFileSync(file, argv, { stdio: ['ignore', 'ignore', 'pipe'], cwd: base });
  };
  if (asRoot) {
    const { uid, gid } = postgresIds();
    chownSync(base, uid, gid);
  }
  chmodSync(base, 0o700);
  run(binary('initdb'), ['-D', data, '-A', 'trust', '-U', 'tierfs', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  run(binary('pg_ctl'), [
    '-D',
    data,
    '-l',
    join(base, 'server.log'),
    '-w',
    '-o',
    `-p ${port} -k ${base} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
    'start',
  ]);
  let databases = 0;
  const admin = new pg.Client({ connectionString: `postgres://tierfs@127.0.0.1:${port}/postgres` });
  await admin.connect();
  return {
    async database() {
      const name = `t${databases++}`;
      await admin.query(`CREATE DATABASE ${name}`);
      return `postgres://tierfs@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      await admin.end().catch(() => undefined);
      try {
        run(binary('pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(base, { recursive: true, force: true });
      }
    },
  };
}

function postgresIds(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}
