/**
 * Two masters on one PostgreSQL, three workers, all real daemons started with the CLI on loopback
 * (docs/cluster.md's one-host layout). Clients write with every write type and read through both
 * masters; the master serving them is killed with SIGKILL while they write: work goes on through
 * the other within 10 s, no acknowledged write is lost, and ASYNC_THROUGH files persist (their
 * tasks taken over when the dead master's leases run out). Then a worker is killed with SIGKILL:
 * every persisted file still reads, through another worker, from the under store. First, the
 * master serving the clients is stopped with SIGSTOP (hung, not dead: it still accepts
 * connections): work goes on through the other within 10 s, not after the 60 s call timeout.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TierfsClient } from '../../src/client/client.js';
import type { WriteType } from '../../src/cluster/wire.js';
import { Configuration } from '../../src/config/configuration.js';
import { readStream } from '../../src/ufs/io.js';
import { FileSystem } from '../../src/ufs/registry.js';
import '../../src/client/tierfs-store.js';
import { runTierfs } from '../support/cli.js';
import { freePort } from '../support/daemons.js';
import { eventually } from '../support/eventually.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

const WRITE_TYPES: WriteType[] = ['MUST_CACHE', 'CACHE_THROUGH', 'THROUGH', 'ASYNC_THROUGH'];
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

interface Home {
  readonly dir: string;
  readonly rpcPort: number;
  tierfs(...args: string[]): ReturnType<typeof runTierfs>;
  pid(daemon: 'master' | 'worker'): number;
}

let server: TestPostgres;
let base: string;
let ufs: string;
let masters: Home[];
let workers: Home[];
let addresses: string;

async function home(name: string, lines: string[]): Promise<Home> {
  const dir = join(base, name);
  mkdirSync(join(dir, 'conf'), { recursive: true });
  const [rpcPort, webPort, workerPort] = [await freePort(), await freePort(), await freePort()];
  writeFileSync(
    join(dir, 'conf', 'tierfs-site.properties'),
    [
      `tierfs.master.rpc.port=${rpcPort}`,
      `tierfs.master.web.port=${webPort}`,
      `tierfs.worker.rpc.port=${workerPort}`,
      ...lines,
      '',
    ].join('\n'),
  );
  return {
    dir,
    rpcPort,
    tierfs: (...args) => runTierfs(args, { cwd: dir }),
    pid: (daemon) => Number(readFileSync(join(dir, 'run', `${daemon}.pid`), 'utf8')),
  };
}

/** What `format` made on the first master, copied as docs/cluster.md says: private files, mode 0600. */
function copySecrets(from: Home, to: Home): void {
  const source = join(from.dir, 'metastore');
  const target = join(to.dir, 'metastore');
  mkdirSync(target, { recursive: true, mode: 0o700 });
  for (const file of ['cluster-token', 'secret-key']) {
    copyFileSync(join(source, file), join(target, file));
    chmodSync(join(target, file), 0o600);
  }
}

async function started(home: Home, daemon: 'master' | 'worker'): Promise<void> {
  const result = await home.tierfs('start', daemon);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
}

beforeAll(async () => {
  server = await startPostgres();
  const url = await server.database();
  base = mkdtempSync(join(tmpdir(), 'tierfs-ha-'));
  ufs = join(base, 'ufs');
  const ports = [await freePort(), await freePort()];
  addresses = ports.map((p) => `127.0.0.1:${p}`).join(',');
  const common = [
    'tierfs.master.metastore=POSTGRESQL',
    `tierfs.master.metastore.postgresql.url=${url}`,
    `tierfs.master.mount.table.root.ufs=${ufs}`,
    `tierfs.master.rpc.addresses=${addresses}`,
    'tierfs.master.hostname=127.0.0.1',
    'tierfs.worker.hostname=127.0.0.1',
    'tierfs.worker.heartbeat.interval=200ms',
    'tierfs.master.worker.timeout=2sec',
    // Workers find a hung master well within their 2 s timeout (the test's clients keep the defaults).
    'tierfs.user.rpc.health.check.after=500ms',
    'tierfs.user.rpc.health.check.timeout=500ms',
    'tierfs.master.persistence.lease.duration=2sec',
    'tierfs.master.persistence.scheduler.interval=200ms',
    'tierfs.worker.page.store.sizes=64MB',
    'tierfs.proxy.web.port=0',
    'tierfs.worker.web.port=0',
  ];
  masters = [];
  for (const [i, port] of ports.entries()) {
    const m = await home(`master${i + 1}`, common);
    // The master's own port is the one the cluster's address list names.
    writeFileSync(
      join(m.dir, 'conf', 'tierfs-site.properties'),
      readFileSync(join(m.dir, 'conf', 'tierfs-site.properties'), 'utf8').replace(
        /^tierfs\.master\.rpc\.port=\d+$/m,
        `tierfs.master.rpc.port=${port}`,
      ),
    );
    masters.push({ ...m, rpcPort: port });
  }
  workers = [await home('worker1', common), await home('worker2', common), await home('worker3', common)];
  const formatted = await masters[0]!.tierfs('format');
  expect(formatted.code).toBe(0);
  for (const other of [masters[1]!, ...workers]) copySecrets(masters[0]!, other);
  await Promise.all(masters.map((m) => started(m, 'master')));
  await Promise.all(workers.map((w) => started(w, 'worker')));
}, 120_000);

afterAll(async () => {
  await Promise.all([
    ...(masters ?? []).map((m) => m.tierfs('stop', 'master')),
    ...(workers ?? []).map((w) => w.tierfs('stop', 'worker')),
  ]);
  await server?.stop();
  if (base) rmSync(base, { recursive: true, force: true });
});

const clientOf = (masterAddress: string) => new TierfsClient({ masterAddress });

async function write(client: TierfsClient, path: string, data: Buffer, writeType: WriteType): Promise<void> {
  await pipeline(Readable.from([data]), await client.createFile(path, { writeType, recursive: true }));
}

async function read(client: TierfsClient, path: string): Promise<string> {
  return sha(await readStream(await client.openFile(path)));
}

describe('two masters on one PostgreSQL', () => {
  it('go on through the other master within 10 s when the serving one hangs (SIGSTOP)', async () => {
    const client = clientOf(addresses);
    await eventually(
      async () => (await client.workers()).filter((w) => w.state === 'LIVE').length === 3,
      'three live workers',
    );
    const failures: string[] = [];
    const acknowledged: { path: string; data: string; startedMs: number; doneMs: number }[] = [];
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        const writeType = WRITE_TYPES[i % WRITE_TYPES.length]!;
        const path = `/hung/${i}-${writeType}.bin`;
        const data = randomBytes(20_000 + i);
        const startedMs = Date.now();
        try {
          await write(client, path, data, writeType);
          acknowledged.push({ path, data: sha(data), startedMs, doneMs: Date.now() });
        } catch (error) {
          failures.push(`${path}: ${(error as Error).message}`);
        }
      }
    })();
    const stopped = masters[0]!.pid('master');
    try {
      await eventually(() => acknowledged.length >= 4, 'writes before the master hangs');
      const hungMs = Date.now();
      process.kill(stopped, 'SIGSTOP');
      await eventually(
        () => acknowledged.filter((w) => w.startedMs > hungMs).length >= 4,
        'writes after the master hung',
        30_000,
      );
      stop = true;
      await writer;
      // Every write in flight when it hung was safe to send again: none failed.
      expect(failures).toEqual([]);
      const firstAfter = acknowledged.find((w) => w.startedMs > hungMs)!;
      expect(firstAfter.doneMs - hungMs).toBeLessThan(10_000);
      const other = clientOf(`127.0.0.1:${masters[1]!.rpcPort}`);
      for (const w of acknowledged) expect([w.path, await read(other, w.path)]).toEqual([w.path, w.data]);
    } finally {
      stop = true;
      process.kill(stopped, 'SIGCONT');
      await writer;
    }
  }, 90_000);

  it('serve every write type through either master and survive kill -9 of a master and of a worker', async () => {
    const both = clientOf(addresses);
    const [one, two] = masters.map((m) => clientOf(`127.0.0.1:${m.rpcPort}`)) as [TierfsClient, TierfsClient];

    // Workers heartbeat to one master; both know all three.
    for (const client of [one, two]) {
      await eventually(
        async () => (await client.workers()).filter((w) => w.state === 'LIVE').length === 3,
        'three live workers seen by each master',
      );
    }
    // A mount made through one master is served by the other.
    const extra = join(base, 'extra');
    mkdirSync(extra);
    writeFileSync(join(extra, 'seen.txt'), 'mounted through master 1');
    await one.mount('/extra', `file://${extra}`);
    expect((await two.listStatus('/extra')).entries.map((e) => e.name)).toEqual(['seen.txt']);
    expect((await readStream(await two.openFile('/extra/seen.txt'))).toString()).toBe(
      'mounted through master 1',
    );

    // Every write type, read back through each master.
    const written = new Map<string, { sha: string; writeType: WriteType }>();
    for (const writeType of WRITE_TYPES) {
      const data = randomBytes(300_000);
      await write(both, `/before/${writeType}.bin`, data, writeType);
      written.set(`/before/${writeType}.bin`, { sha: sha(data), writeType });
    }
    for (const [path, file] of written) {
      expect([path, await read(one, path)]).toEqual([path, file.sha]);
      expect([path, await read(two, path)]).toEqual([path, file.sha]);
    }

    // Writes go on while the master serving them is killed.
    expect(both.masterAddress.split(',')[0]).toBe(`http://127.0.0.1:${masters[0]!.rpcPort}`);
    const failures: string[] = [];
    const acknowledged: { path: string; startedMs: number; doneMs: number }[] = [];
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        const writeType = WRITE_TYPES[i % WRITE_TYPES.length]!;
        const path = `/during/${i}-${writeType}.bin`;
        const data = randomBytes(50_000 + i);
        const startedMs = Date.now();
        try {
          await write(both, path, data, writeType);
          written.set(path, { sha: sha(data), writeType });
          acknowledged.push({ path, startedMs, doneMs: Date.now() });
        } catch (error) {
          failures.push(`${path}: ${(error as Error).message}`);
        }
      }
    })();
    await eventually(() => acknowledged.length >= 8, 'writes before the kill');
    const killedMs = Date.now();
    process.kill(masters[0]!.pid('master'), 'SIGKILL');
    await eventually(
      () => acknowledged.filter((w) => w.startedMs > killedMs).length >= 8,
      'writes after the kill',
      30_000,
    );
    stop = true;
    await writer;
    const firstAfter = acknowledged.find((w) => w.startedMs > killedMs)!;
    expect(firstAfter.doneMs - killedMs).toBeLessThan(10_000);
    expect(failures).toEqual([]);

    // No acknowledged write is lost: all read back through the surviving master.
    for (const [path, file] of written) expect([path, await read(both, path)]).toEqual([path, file.sha]);
    // The CLI, configured with both masters, works through the second.
    const cat = await masters[0]!.tierfs('fs', 'cat', '/extra/seen.txt');
    expect(cat.stderr).toBe('');
    expect(cat.stdout).toBe('mounted through master 1');
    // So does the namespace as an under store, named with both masters (Alluxio's `;` spelling).
    const namespace = await FileSystem.get(`tierfs://${addresses.replace(',', ';')}/`, Configuration.of({}));
    expect(sha(await readStream(await namespace.open('before/CACHE_THROUGH.bin')))).toBe(
      written.get('/before/CACHE_THROUGH.bin')!.sha,
    );
    await namespace.close();
    // ASYNC_THROUGH files persist, those the dead master had claimed too.
    const persisted = [...written].filter(([, f]) => f.writeType !== 'MUST_CACHE');
    await eventually(
      async () => {
        for (const [path] of persisted) {
          if ((await two.getStatus(path)).persistence !== 'PERSISTED') return false;
        }
        return true;
      },
      'every ASYNC_THROUGH file persisted',
      30_000,
    );
    for (const [path, file] of persisted) {
      expect([path, sha(readFileSync(join(ufs, path)))]).toEqual([path, file.sha]);
    }

    // A worker killed: every persisted file still reads, through another worker.
    const victim = workers[0]!;
    const victimPid = victim.pid('worker');
    process.kill(victimPid, 'SIGKILL');
    await eventually(
      async () => (await two.workers()).filter((w) => w.state === 'LIVE').length === 2,
      'the killed worker marked LOST',
    );
    for (const [path, file] of persisted) expect([path, await read(both, path)]).toEqual([path, file.sha]);
  }, 120_000);
});
