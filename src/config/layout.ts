/**
 * Where a tierfs installation keeps its files, derived from the configuration: the metadata store,
 * the cluster token, pid files, logs, the worker's staging area. One place, so `format`, `start`,
 * `stop` and the daemons agree.
 */
import { join } from 'node:path';
import type { Configuration } from './configuration.js';

export interface Layout {
  readonly workDir: string;
  readonly logsDir: string;
  readonly metastoreDir: string;
  /** The embedded SQLite metadata store. */
  readonly metastoreFile: string;
  /** Shared secret of the cluster, created by `tierfs format` (mode 0600). */
  readonly clusterTokenFile: string;
  readonly runDir: string;
  /** Durable copies of ASYNC_THROUGH files until they are persisted. */
  readonly workerStagingDir: string;
  readonly cacheDirs: readonly string[];
  pidFile(daemon: 'master' | 'worker'): string;
  logFile(daemon: 'master' | 'worker'): string;
}

export function layoutOf(conf: Configuration): Layout {
  const path = (key: string) => conf.resolvePath(conf.getRaw(key)!);
  const workDir = path('tierfs.work.dir');
  const metastoreDir = path('tierfs.master.metastore.dir');
  const runDir = join(workDir, 'run');
  const logsDir = path('tierfs.logs.dir');
  return {
    workDir,
    logsDir,
    metastoreDir,
    metastoreFile: join(metastoreDir, 'tierfs.db'),
    clusterTokenFile: join(metastoreDir, 'cluster-token'),
    runDir,
    workerStagingDir: join(workDir, 'worker', 'staging'),
    cacheDirs: conf
      .getRaw('tierfs.worker.page.store.dirs')!
      .split(',')
      .map((d) => d.trim())
      .filter((d) => d !== '')
      .map((d) => conf.resolvePath(d)),
    pidFile: (daemon) => join(runDir, `${daemon}.pid`),
    logFile: (daemon) => join(logsDir, `${daemon}.log`),
  };
}
