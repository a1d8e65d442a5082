/**
 * Where a tierfs installation keeps its files, derived from the configuration: the metadata store,
 * the cluster token, pid files, logs, the worker's staging area. One place, so `format`, `start`,
 * `stop` and the daemons agree. Which of them are private (0700/0600) is in private-files.ts.
 */
import { join } from 'node:path';
import type { Configuration } from './configuration.js';

export interface Layout {
  /** `tierfs.home`: the installation (bin/, conf/); the work directory by default. */
  readonly homeDir: string;
  readonly workDir: string;
  readonly logsDir: string;
  readonly metastoreDir: string;
  /** The embedded SQLite metadata store. */
  readonly metastoreFile: string;
  /** Shared secret of the cluster, created by `tierfs format` (mode 0600). */
  readonly clusterTokenFile: string;
  /** Key of the mount secrets encrypted in the metadata store, created by `tierfs format` (mode 0600). */
  readonly secretKeyFile: string;
  readonly runDir: string;
  /** Durable copies of ASYNC_THROUGH files until they are persisted. */
  readonly workerStagingDir: string;
  /** The worker's own directory: its id file and the staging area. */
  readonly workerDir: string;
  /** The worker's id, kept across restarts. */
  readonly workerIdFile: string;
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
  const workerDir = join(workDir, 'worker');
  return {
    homeDir: path('tierfs.home'),
    workDir,
    logsDir,
    metastoreDir,
    metastoreFile: join(metastoreDir, 'tierfs.db'),
    clusterTokenFile: join(metastoreDir, 'cluster-token'),
    secretKeyFile: join(metastoreDir, 'secret-key'),
    runDir,
    workerStagingDir: join(workerDir, 'staging'),
    workerDir,
    workerIdFile: join(workerDir, 'id'),
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
