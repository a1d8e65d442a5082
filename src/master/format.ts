/**
 * `tierfs format`: wipes the metadata store, the worker caches and the staging area, and creates a
 * fresh cluster token and secret key (the key of the mount secrets encrypted in the metadata
 * store). The root under store's data is never touched (only created when it is a local directory
 * that does not exist yet). The metadata store's directory is 0700 and its files 0600.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Configuration } from '../config/configuration.js';
import {
  MASTER_METASTORE,
  MASTER_METASTORE_POSTGRESQL_URL,
  MASTER_MOUNT_TABLE_ROOT_UFS,
  WORKER_TIEREDSTORE_LEVEL0_DIRS_PATH,
} from '../config/keys/core.js';
import { layoutOf } from '../config/layout.js';
import { makePrivateDir, tightenInstall, writePrivateFile } from '../config/private-files.js';
import { SecretBox } from '../config/secret-box.js';
import { TierfsError } from '../errors.js';
import { parseUfsUri } from '../ufs/registry.js';
import { checkClusterSecret } from './cluster-secret.js';

export interface FormatResult {
  /** False when `onlyIfUnformatted` found an existing format and did nothing. */
  readonly formatted: boolean;
  readonly wiped: readonly string[];
}

/** Empties the shared PostgreSQL metadata store (the other masters of the cluster must be stopped). */
async function formatPostgres(conf: Configuration, token: string): Promise<void> {
  const url = conf.get(MASTER_METASTORE_POSTGRESQL_URL);
  if (!url) {
    throw new TierfsError(
      'CONFIG_INVALID',
      `${MASTER_METASTORE.key}=POSTGRESQL needs ${MASTER_METASTORE_POSTGRESQL_URL.key}`,
    );
  }
  const { PostgresMetaStore } = await import('../meta/postgres-store.js');
  const meta = await PostgresMetaStore.open({ url, poolSize: 1 });
  try {
    await meta.wipe();
    await meta.setValue('formattedMs', String(Date.now()));
    await checkClusterSecret(meta, token, layoutOf(conf).clusterTokenFile);
  } finally {
    await meta.close();
  }
}

export function isFormatted(conf: Configuration): boolean {
  return existsSync(layoutOf(conf).clusterTokenFile);
}

export async function formatCluster(conf: Configuration, options: { onlyIfUnformatted?: boolean } = {}) {
  if (options.onlyIfUnformatted && isFormatted(conf)) return { formatted: false, wiped: [] } as FormatResult;
  const layout = layoutOf(conf);
  makePrivateDir(layout.workDir);
  // The new metadata store is made beside the old one and swapped in only once it is complete:
  // a format that fails on the way (the SQLite binding, a root directory it cannot make) leaves
  // the old store as it was.
  const staging = `${layout.metastoreDir}.formatting-${process.pid}`;
  const staged = (file: string) => join(staging, relative(layout.metastoreDir, file));
  await rm(staging, { recursive: true, force: true });
  try {
    makePrivateDir(staging);
    // Loaded here so that commands other than format do not load the SQLite binding.
    const { SqliteMetaStore } = await import('../meta/sqlite-store.js');
    const token = randomBytes(24).toString('base64url');
    const meta = new SqliteMetaStore(staged(layout.metastoreFile));
    await meta.setValue('formattedMs', String(Date.now()));
    await checkClusterSecret(meta, token, layout.clusterTokenFile);
    await meta.close();
    if (conf.require(MASTER_METASTORE) === 'POSTGRESQL') await formatPostgres(conf, token);
    SecretBox.create(staged(layout.secretKeyFile));
    writePrivateFile(staged(layout.clusterTokenFile), `${token}\n`);
    const root = conf.require(MASTER_MOUNT_TABLE_ROOT_UFS);
    const rootUri = parseUfsUri(/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(root) ? root : conf.resolvePath(root));
    if (rootUri.scheme === 'file') {
      await mkdir(rootUri.path, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
        throw new TierfsError(
          'CONFIG_INVALID',
          `cannot create the root under store directory ${rootUri.path} (${MASTER_MOUNT_TABLE_ROOT_UFS.key}): ${error.code ?? error.message}`,
          { cause: error },
        );
      });
    }
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  const retired = `${layout.metastoreDir}.retired-${process.pid}`;
  if (existsSync(layout.metastoreDir)) await rename(layout.metastoreDir, retired);
  await rename(staging, layout.metastoreDir);
  // The worker's MEM tier on the RAM disk is named after its id, which the format forgets.
  const id = (await readFile(join(layout.workDir, 'worker', 'id'), 'utf8').catch(() => '')).trim();
  const workerId = /^[\w-]+$/.test(id) ? id : '';
  const ramDisks = conf.require(WORKER_TIEREDSTORE_LEVEL0_DIRS_PATH).map((dir) => conf.resolvePath(dir));
  const wiped = [
    layout.metastoreDir,
    ...layout.cacheDirs,
    ...(workerId === '' ? [] : ramDisks.map((dir) => join(dir, workerId))),
    layout.workerStagingDir,
    join(layout.workDir, 'worker'),
  ];
  for (const dir of [retired, ...wiped.slice(1)]) await rm(dir, { recursive: true, force: true });
  // Logs, pid files and a dedicated work directory of an earlier install become private too.
  tightenInstall(layout);
  return { formatted: true, wiped } as FormatResult;
}
