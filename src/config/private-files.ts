/**
 * Files and directories only the user running tierfs may read: directories 0700, files 0600. The
 * mode is given at creation and set again with chmod, so a umask cannot leave them more open (or
 * oddly closed); `tightenInstall` fixes an install made before, or loosened since.
 */
import { chmodSync, closeSync, fchmodSync, mkdirSync, openSync, statSync, writeFileSync } from 'node:fs';
import type { Layout } from './layout.js';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates a directory (and its missing parents) as 0700; an existing one is left as it is. */
export function makePrivateDir(dir: string): void {
  const first = mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  // The directories mkdir created (from `first` down to `dir`) get exactly 0700 whatever the umask.
  if (first !== undefined) chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Writes a file as 0600 (replacing its content; an existing file's mode is set to 0600 too). */
export function writePrivateFile(file: string, data: string | Uint8Array): void {
  writeFileSync(file, data, { mode: PRIVATE_FILE_MODE });
  chmodSync(file, PRIVATE_FILE_MODE);
}

/** Writes a new file as 0600; fails with EEXIST when it exists. */
export function writePrivateFileExclusive(file: string, data: string | Uint8Array): void {
  writeFileSync(file, data, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
  chmodSync(file, PRIVATE_FILE_MODE);
}

/** Opens a file for appending, creating it as 0600; the caller closes the descriptor. */
export function openPrivateAppend(file: string): number {
  const fd = openSync(file, 'a', PRIVATE_FILE_MODE);
  try {
    fchmodSync(fd, PRIVATE_FILE_MODE);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return fd;
}

/**
 * Removes group and other access from `path` when it exists and has any; true when it changed.
 * Directories become 0700 and files 0600 at most.
 */
export function tighten(path: string): boolean {
  let mode: number;
  let isDirectory: boolean;
  try {
    const stat = statSync(path);
    mode = stat.mode & 0o777;
    isDirectory = stat.isDirectory();
  } catch {
    return false;
  }
  const wanted = isDirectory ? PRIVATE_DIR_MODE : PRIVATE_FILE_MODE;
  if ((mode & ~wanted) === 0) return false;
  chmodSync(path, mode & wanted);
  return true;
}

/**
 * The directories and files of an install that hold its metadata and secrets. The work directory
 * is in the list only when it is not also `tierfs.home` (the installation, with `bin/` and `conf/`
 * other users may need); everything private below it is in its own 0700 directory anyway.
 */
export function privatePaths(layout: Layout): { dirs: string[]; files: string[] } {
  const dirs = [
    ...(layout.workDir === layout.homeDir ? [] : [layout.workDir]),
    layout.metastoreDir,
    layout.runDir,
    layout.logsDir,
    layout.workerDir,
    layout.workerStagingDir,
  ];
  const files = [
    layout.metastoreFile,
    `${layout.metastoreFile}-wal`,
    `${layout.metastoreFile}-shm`,
    layout.clusterTokenFile,
    layout.secretKeyFile,
    layout.workerIdFile,
    ...(['master', 'worker'] as const).flatMap((d) => [layout.pidFile(d), layout.logFile(d)]),
  ];
  return { dirs, files };
}

/** Tightens every private path of an install that is more open than it should be; returns those. */
export function tightenInstall(layout: Layout): string[] {
  const { dirs, files } = privatePaths(layout);
  return [...new Set([...dirs, ...files])].filter((path) => tighten(path));
}
