/**
 * A local cluster run the way users run it: `tierfs format` and `tierfs start local` as real
 * processes in a scratch home with free loopback ports, stopped with `tierfs stop local`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TierfsClient } from '../../src/client/client.js';
import { type CliResult, runTierfs } from './cli.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface DaemonCluster {
  readonly home: string;
  readonly ufs: string;
  readonly masterPort: number;
  readonly webPort: number;
  readonly workerPort: number;
  tierfs(...args: string[]): Promise<CliResult>;
  client(user?: string): TierfsClient;
  pid(daemon: 'master' | 'worker'): number;
  stop(): Promise<void>;
}

/** A scratch home with conf/tierfs-site.properties (ports and `extra` lines), not started yet. */
export async function daemonHome(extra: string[] = []): Promise<DaemonCluster> {
  const home = mkdtempSync(join(tmpdir(), 'tierfs-daemons-'));
  mkdirSync(join(home, 'conf'));
  const [masterPort, webPort, workerPort] = [await freePort(), await freePort(), await freePort()];
  writeFileSync(
    join(home, 'conf', 'tierfs-site.properties'),
    [
      `tierfs.master.rpc.port=${masterPort}`,
      `tierfs.master.web.port=${webPort}`,
      `tierfs.worker.rpc.port=${workerPort}`,
      'tierfs.master.hostname=127.0.0.1',
      'tierfs.worker.hostname=127.0.0.1',
      'tierfs.worker.heartbeat.interval=200ms',
      'tierfs.worker.page.store.sizes=64MB',
      'tierfs.proxy.web.port=0',
      'tierfs.worker.web.port=0',
      ...extra,
      '',
    ].join('\n'),
  );
  const cluster: DaemonCluster = {
    home,
    ufs: join(home, 'underFSStorage'),
    masterPort,
    webPort,
    workerPort,
    tierfs: (...args) => runTierfs(args, { cwd: home }),
    client: (user) => new TierfsClient({ masterAddress: `http://127.0.0.1:${masterPort}`, user }),
    pid: (daemon) => Number(readFileSync(join(home, 'run', `${daemon}.pid`), 'utf8')),
    async stop() {
      await runTierfs(['stop', 'local'], { cwd: home });
      rmSync(home, { recursive: true, force: true });
    },
  };
  return cluster;
}
