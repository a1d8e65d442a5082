/** A master and a worker in this process, on loopback with free ports, over temp directories. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { TierfsClient } from '../../src/client/client.js';
import { Configuration } from '../../src/config/configuration.js';
import { formatCluster } from '../../src/master/format.js';
import { Master, type MasterOptions } from '../../src/master/master.js';
import { Worker } from '../../src/worker/worker.js';

export interface TestCluster {
  readonly home: string;
  readonly ufs: string;
  readonly conf: Configuration;
  master: Master;
  worker: Worker;
  client(user?: string): TierfsClient;
  restartWorker(): Promise<void>;
  stop(): Promise<void>;
}

export async function startCluster(
  values: Record<string, string> = {},
  masterOptions: Pick<MasterOptions, 'onAnswer'> = {},
): Promise<TestCluster> {
  const home = mkdtempSync(join(tmpdir(), 'tierfs-cluster-'));
  const ufs = join(home, 'underFSStorage');
  const conf = Configuration.of({
    'tierfs.work.dir': home,
    'tierfs.master.mount.table.root.ufs': ufs,
    'tierfs.master.rpc.port': '0',
    'tierfs.master.web.port': '0',
    'tierfs.worker.rpc.port': '0',
    'tierfs.worker.hostname': '127.0.0.1',
    'tierfs.master.hostname': '127.0.0.1',
    'tierfs.worker.page.store.sizes': '64MB',
    'tierfs.master.persistence.scheduler.interval': '100ms',
    'tierfs.worker.heartbeat.interval': '200ms',
    ...values,
  });
  const log = pino({ level: 'warn' }, pino.destination(join(home, 'test.log')));
  await formatCluster(conf);
  const master = await Master.start(conf, { log, superUser: 'admin', ...masterOptions });
  const startWorker = () => Worker.start(conf, { log, masterAddress: master.rpcAddress });
  const cluster: TestCluster = {
    home,
    ufs,
    conf,
    master,
    worker: await startWorker(),
    client: (user = 'admin') => new TierfsClient({ masterAddress: master.rpcAddress, user }),
    async restartWorker() {
      await cluster.worker.stop();
      cluster.worker = await startWorker();
    },
    async stop() {
      await cluster.worker.stop();
      await cluster.master.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
  return cluster;
}
