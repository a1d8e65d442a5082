/**
 * `tierfs format`: wipes the metadata store, the worker caches and the staging area, and creates a
 * fresh cluster token and secret key (the key of the mount secrets encrypted in the metadata
 * store). The root under store's data is never touched (only created when it is a local directory
 * that does not exist yet). The metadata store's directory is 0700 and its files 0600.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Configuration } from '../config/configuration.js';
import { MASTER_MOUNT_TABLE_ROOT_UFS } from '../config/keys/core.js';
import { layoutOf } from '../config/layout.js';
import { makePrivateDir, tightenInstall, writePrivateFile } from '../config/private-files.js';
import { SecretBox } from '../config/secret-box.js';
import { parseUfsUri } from '../ufs/registry.js';

export interface FormatResult {
  /** False when `onlyIfUnformatted` found an existing format and did nothing. */
  readonly formatted: boolean;
  readonly wiped: readonly string[];
}

export function isFormatted(conf: Configuration): boolean {
  return existsSync(layoutOf(conf).clusterTokenFile);
}

export async function formatCluster(conf: Configuration, options: { onlyIfUnformatted?: boolean } = {}) {
  if (options.onlyIfUnformatted && isFormatted(conf)) return { formatted: false, wiped: [] } as FormatResult;
  const layout = layoutOf(conf);
  const wiped = [
    layout.metastoreDir,
    ...layout.cacheDirs,
    layout.workerStagingDir,
    join(layout.workDir, 'worker'),
  ];
  for (const dir of wiped) await rm(dir, { recursive: true, force: true });
  makePrivateDir(layout.workDir);
  makePrivateDir(layout.metastoreDir);
  // Loaded here so that commands other than format do not load the SQLite binding.
  const { SqliteMetaStore } = await import('../meta/sqlite-store.js');
  const meta = new SqliteMetaStore(layout.metastoreFile);
  await meta.setValue('formattedMs', String(Date.now()));
  await meta.close();
  SecretBox.create(layout.secretKeyFile);
  writePrivateFile(layout.clusterTokenFile, `${randomBytes(24).toString('base64url')}\n`);
  const root = conf.require(MASTER_MOUNT_TABLE_ROOT_UFS);
  const rootUri = parseUfsUri(/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(root) ? root : conf.resolvePath(root));
  if (rootUri.scheme === 'file') await mkdir(rootUri.path, { recursive: true });
  // Logs, pid files and a dedicated work directory of an earlier install become private too.
  tightenInstall(layout);
  return { formatted: true, wiped } as FormatResult;
}
