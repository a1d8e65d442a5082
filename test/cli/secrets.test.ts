/**
 * Secrets of a real install (`tierfs format`, `tierfs start`, `tierfs fs mount` as processes):
 * private modes of the metastore and the files daemons write, mount secrets encrypted in the
 * SQLite file, `-D` values and mount options kept off every command line `ps` shows.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clusterHeaders } from '../../src/cluster/auth.js';
import { SqliteMetaStore } from '../../src/meta/sqlite-store.js';
import { TIERFS_BIN } from '../support/cli.js';
import { type DaemonCluster, daemonHome } from '../support/daemons.js';
import { eventually } from '../support/eventually.js';

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

/** Every command line on this machine, as `ps -eo args` shows them. */
function allCommandLines(): string[] {
  const lines: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      lines.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '));
    } catch {
      // Gone in between.
    }
  }
  return lines;
}

const commandLine = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');

/** The raw bytes of the SQLite database and its write-ahead log, as anyone reading the files gets. */
function databaseBytes(home: string): string {
  const db = join(home, 'metastore', 'tierfs.db');
  return [db, `${db}-wal`]
    .filter((file) => existsSync(file))
    .map((file) => readFileSync(file).toString('latin1'))
    .join('\n');
}

async function internalMounts(
  cluster: DaemonCluster,
): Promise<{ path: string; options: Record<string, string> }[]> {
  const token = readFileSync(join(cluster.home, 'metastore', 'cluster-token'), 'utf8').trim();
  const response = await fetch(`http://127.0.0.1:${cluster.masterPort}/api/v1/internal/mounts`, {
    headers: clusterHeaders(token),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { path: string; options: Record<string, string> }[];
}

const secret = (name: string) => `${name}-${randomBytes(8).toString('hex')}`;

let umask: number;
beforeAll(() => {
  // The most open umask: every mode below must come from tierfs, not from the environment.
  umask = process.umask(0);
});
afterAll(() => {
  process.umask(umask);
});

describe('modes of an install', () => {
  let cluster: DaemonCluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  it('format makes the work and metastore directories 0700 and the db, token and key 0600', async () => {
    cluster = await daemonHome(['tierfs.work.dir=${tierfs.home}/work']);
    const work = join(cluster.home, 'work');
    const formatted = await cluster.tierfs('format');
    expect(formatted.stderr).toBe('');
    expect(formatted.code).toBe(0);
    expect(mode(work)).toBe('700');
    expect(mode(join(work, 'metastore'))).toBe('700');
    expect(mode(join(work, 'metastore', 'tierfs.db'))).toBe('600');
    expect(mode(join(work, 'metastore', 'cluster-token'))).toBe('600');
    expect(mode(join(work, 'metastore', 'secret-key'))).toBe('600');
    expect(readFileSync(join(work, 'metastore', 'secret-key'))).toHaveLength(32);
  });

  it('start tightens a loosened install with one log line, and the files daemons write are 0600', async () => {
    cluster = await daemonHome();
    const { home } = cluster;
    expect((await cluster.tierfs('format')).code).toBe(0);
    const metastore = join(home, 'metastore');
    chmodSync(metastore, 0o755);
    for (const file of ['tierfs.db', 'cluster-token', 'secret-key']) {
      if (existsSync(join(metastore, file))) chmodSync(join(metastore, file), 0o644);
    }
    const started = await cluster.tierfs('start', 'local');
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    expect(mode(metastore)).toBe('700');
    for (const file of ['tierfs.db', 'tierfs.db-wal', 'tierfs.db-shm', 'cluster-token', 'secret-key']) {
      expect([file, mode(join(metastore, file))]).toEqual([file, '600']);
    }
    for (const dir of ['run', 'logs', 'worker', 'worker/staging']) {
      expect([dir, mode(join(home, dir))]).toEqual([dir, '700']);
    }
    for (const file of [
      'run/master.pid',
      'run/worker.pid',
      'logs/master.log',
      'logs/worker.log',
      'worker/id',
    ]) {
      expect([file, mode(join(home, file))]).toEqual([file, '600']);
    }
    const tightened = readFileSync(join(home, 'logs', 'master.log'), 'utf8')
      .split('\n')
      .filter((line) => line.includes('removed group and other access'));
    expect(tightened).toHaveLength(1);
    expect(JSON.parse(tightened[0]!).paths).toEqual(
      expect.arrayContaining([metastore, join(metastore, 'tierfs.db'), join(metastore, 'secret-key')]),
    );
  });
});

describe('secrets of a running cluster', () => {
  let cluster: DaemonCluster;
  const dSecret = secret('d-secret');
  beforeAll(async () => {
    cluster = await daemonHome();
    expect((await cluster.tierfs('format')).code).toBe(0);
    const started = await cluster.tierfs(
      `-Daws.secretKey=${dSecret}`,
      '-Dtierfs.user.file.metadata.sync.interval=7s',
      'start',
      'local',
    );
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('keeps -D values off the daemons’ command lines, and the daemons still see them as -D', async () => {
    for (const daemon of ['master', 'worker'] as const) {
      const line = commandLine(cluster.pid(daemon));
      expect(line).toContain(`process ${daemon}`);
      expect(line).not.toContain('-D');
    }
    expect(allCommandLines().filter((line) => line.includes(dSecret))).toEqual([]);
    const response = await fetch(`http://127.0.0.1:${cluster.webPort}/api/v1/configuration`);
    const entries = (await response.json()) as { key: string; value?: string; source?: string }[];
    expect(entries.find((e) => e.key === 'aws.secretKey')).toMatchObject({
      value: '******',
      source: 'SYSTEM_PROPERTY -Daws.secretKey',
    });
    expect(entries.find((e) => e.key === 'tierfs.user.file.metadata.sync.interval')).toMatchObject({
      value: '7s',
      source: 'SYSTEM_PROPERTY -Dtierfs.user.file.metadata.sync.interval',
    });
    // The hand-over file is gone, and the value is in no file a daemon wrote.
    expect(readdirSync(join(cluster.home, 'run')).sort()).toEqual(['master.pid', 'worker.pid']);
    for (const log of ['master.log', 'worker.log']) {
      expect(readFileSync(join(cluster.home, 'logs', log), 'utf8')).not.toContain(dSecret);
    }
  });

  it('fs mount --option-file and key=@FILE: no secret on its command line or in the SQLite file; the mount works', async () => {
    const fileSecret = secret('file-secret');
    const atSecret = secret('at-secret');
    const data = join(cluster.home, 'mounted');
    mkdirSync(data);
    writeFileSync(join(data, 'hello.txt'), 'hello through a mount with secrets');
    const optionFile = join(cluster.home, 'mount.properties');
    writeFileSync(optionFile, `# credentials\naws.accessKeyId = AKID\naws.secretKey=${fileSecret}\n`, {
      mode: 0o600,
    });
    const secretFile = join(cluster.home, 'oss-secret');
    writeFileSync(secretFile, `${atSecret}\n`, { mode: 0o600 });

    const child = spawn(
      process.execPath,
      [
        TIERFS_BIN,
        'fs',
        'mount',
        '--option-file',
        optionFile,
        '--option',
        `fs.oss.accessKeySecret=@${secretFile}`,
        '/secret',
        data,
      ],
      { cwd: cluster.home, env: { PATH: process.env.PATH ?? '', HOME: cluster.home } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    // Right after the fork /proc shows the parent's command line until the child has exec'd: wait
    // for the child's own, which is what `ps` shows while it runs.
    let line = '';
    await eventually(() => {
      line = commandLine(child.pid!);
      return line.includes('--option-file');
    }, "the mount command's own command line");
    expect(line).not.toContain(fileSecret);
    expect(line).not.toContain(atSecret);
    const [code] = await once(child, 'exit');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toBe(`Mounted ${data} at /secret\n`);

    const bytes = databaseBytes(cluster.home);
    expect(bytes).toContain('/secret'); // The mount is in there...
    expect(bytes).not.toContain(fileSecret); // ...its secrets are not.
    expect(bytes).not.toContain(atSecret);

    const mount = (await internalMounts(cluster)).find((m) => m.path === '/secret');
    expect(mount?.options).toEqual({
      'aws.accessKeyId': 'AKID',
      'aws.secretKey': fileSecret,
      'fs.oss.accessKeySecret': atSecret,
    });
    const listing = await cluster.tierfs('fs', 'mount');
    expect(listing.stdout).toContain(
      `on /secret (file, readonly=false, shared=false, options={aws.accessKeyId=AKID, aws.secretKey=******, fs.oss.accessKeySecret=******})`,
    );
    const cat = await cluster.tierfs('fs', 'cat', '/secret/hello.txt');
    expect(cat.stderr).toBe('');
    expect(cat.stdout).toBe('hello through a mount with secrets');
    // After a restart, the master decrypts them again.
    expect((await cluster.tierfs('stop', 'local')).code).toBe(0);
    expect(databaseBytes(cluster.home)).not.toContain(fileSecret);
    expect((await cluster.tierfs('start', 'local')).code).toBe(0);
    expect((await internalMounts(cluster)).find((m) => m.path === '/secret')?.options).toMatchObject({
      'aws.secretKey': fileSecret,
    });
    expect((await cluster.tierfs('fs', 'cat', '/secret/hello.txt')).stdout).toBe(
      'hello through a mount with secrets',
    );
  });

  it('fs mount names a missing file or a malformed line, never the line itself', async () => {
    const missing = join(cluster.home, 'no-such.properties');
    const noFile = await cluster.tierfs('fs', 'mount', '--option-file', missing, '/bad', cluster.home);
    expect(noFile.code).toBe(1);
    expect(noFile.stderr).toBe(`tierfs: --option-file: cannot read ${missing}: no such file\n`);

    const malformed = join(cluster.home, 'malformed.properties');
    const leaked = secret('leaked');
    writeFileSync(malformed, `aws.accessKeyId=AKID\n\n${leaked}\n`);
    const bad = await cluster.tierfs('fs', 'mount', '--option-file', malformed, '/bad', cluster.home);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      `tierfs: --option-file ${malformed}: line 3 is not key=value; write one property a line as key=value (e.g. aws.secretKey=...), comments start with #\n`,
    );

    const noAt = await cluster.tierfs(
      'fs',
      'mount',
      '--option',
      `aws.secretKey=@${missing}`,
      '/bad',
      cluster.home,
    );
    expect(noAt.code).toBe(1);
    expect(noAt.stderr).toBe(
      `tierfs: --option aws.secretKey=@${missing}: cannot read ${missing}: no such file\n`,
    );
    expect((await internalMounts(cluster)).map((m) => m.path)).not.toContain('/bad');
  });
});

describe('an install formatted before mount secrets were encrypted', () => {
  let cluster: DaemonCluster;
  afterAll(async () => {
    await cluster?.stop();
  });

  it('gets its key on first start and its plain stored secrets encrypted, with one log line', async () => {
    cluster = await daemonHome();
    const { home } = cluster;
    expect((await cluster.tierfs('format')).code).toBe(0);
    const data = join(home, 'old-mount');
    mkdirSync(data);
    writeFileSync(join(data, 'old.txt'), 'mounted before');
    // The store as an older tierfs left it: no key file, the secret in the mount's options as text.
    const plain = secret('plain-secret');
    const keyFile = join(home, 'metastore', 'secret-key');
    rmSync(keyFile, { force: true });
    const meta = new SqliteMetaStore(join(home, 'metastore', 'tierfs.db'));
    await meta.addMount({
      path: '/old',
      ufsUri: `file://${data}/`,
      readOnly: false,
      shared: false,
      options: { 'aws.accessKeyId': 'AKID', 'aws.secretKey': plain },
      createdMs: Date.now(),
    });
    await meta.close();
    expect(databaseBytes(home)).toContain(plain);

    const started = await cluster.tierfs('start', 'local');
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    expect(readFileSync(keyFile)).toHaveLength(32);
    expect(mode(keyFile)).toBe('600');
    const migrated = readFileSync(join(home, 'logs', 'master.log'), 'utf8')
      .split('\n')
      .filter((line) => line.includes('encrypted the secret options'));
    expect(migrated).toHaveLength(1);
    expect(JSON.parse(migrated[0]!)).toMatchObject({ mounts: ['/old'], keyCreated: true });
    expect(migrated[0]).not.toContain(plain);

    expect((await internalMounts(cluster)).find((m) => m.path === '/old')?.options).toEqual({
      'aws.accessKeyId': 'AKID',
      'aws.secretKey': plain,
    });
    expect((await cluster.tierfs('fs', 'cat', '/old/old.txt')).stdout).toBe('mounted before');
    expect((await cluster.tierfs('stop', 'local')).code).toBe(0);
    expect(databaseBytes(home)).not.toContain(plain);
  });
});
