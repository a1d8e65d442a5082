/** How `tierfs fs` prints statuses and mounts: Alluxio's `ls` columns, `stat` fields, the mount table. */

import type { LsEntry } from '../client/ls-entries.js';
import type { FileStatus, MountInfo } from '../cluster/wire.js';
import { formatBytes } from '../config/types.js';
import { modeString } from '../namespace/permissions.js';
import { parseUfsUri } from '../ufs/registry.js';

const pad2 = (n: number) => String(n).padStart(2, '0');

/** `MM-dd-yyyy HH:mm:ss:SSS` in local time, as Alluxio's shell prints modification times. */
export function formatMtime(ms: number): string {
  const d = new Date(ms);
  const date = `${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}-${d.getFullYear()}`;
  const time = `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
  return `${date} ${time}:${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** `drwxr-xr-x` / `-rw-r--r--`. */
export function typedModeString(status: Pick<FileStatus, 'isDirectory' | 'mode'>): string {
  return `${status.isDirectory ? 'd' : '-'}${modeString(status.mode)}`;
}

export function formatSize(bytes: number, human: boolean): string {
  return human ? formatBytes(bytes) : String(bytes);
}

/**
 * How much of a file the workers' caches hold, as Alluxio's `ls` in-memory column: `100%`, `37%`
 * (rounded down, so 100% means every byte); blank for a directory or when not asked for.
 */
export function inCacheColumn(status: Pick<LsEntry, 'isDirectory' | 'cachedBytes' | 'size'>): string {
  if (status.isDirectory || status.cachedBytes === undefined) return '';
  if (status.size === 0) return '100%';
  return `${Math.floor((Math.min(status.cachedBytes, status.size) / status.size) * 100)}%`;
}

/**
 * Columns that repeat from line to line (modes, owners, groups, persistence states), padded once:
 * a listing of 10,000 entries formats a handful of distinct ones. Bounded, for a listing of many
 * owners.
 */
const COLUMN_CACHE_MAX = 4096;
const modeColumns = new Map<number, string>();
const nameColumns = new Map<string, string>();

function modeColumn(isDirectory: boolean, mode: number): string {
  const key = isDirectory ? -1 - mode : mode;
  let column = modeColumns.get(key);
  if (column === undefined) {
    column = typedModeString({ isDirectory, mode }).padEnd(11);
    if (modeColumns.size < COLUMN_CACHE_MAX) modeColumns.set(key, column);
  }
  return column;
}

/** An owner, group or persistence state, padded to its column of 15. */
function nameColumn(name: string): string {
  let column = nameColumns.get(name);
  if (column === undefined) {
    column = name.padEnd(15);
    if (nameColumns.size < COLUMN_CACHE_MAX) nameColumns.set(name, column);
  }
  return column;
}

/** The mtime column: the date and time to the second are formatted once per second listed. */
let lastSecond = Number.NaN;
let lastSecondText = '';

function mtimeColumn(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    const whole = formatMtime(second * 1000);
    lastSecondText = whole.slice(0, whole.lastIndexOf(':') + 1);
    lastSecond = second;
  }
  const millis = ms - second * 1000;
  return `${lastSecondText}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}`.padEnd(23);
}

/**
 * One `ls` line: mode, owner, group, size, persistence, mtime, in-cache percentage, path; a mount
 * point's path is followed by ` -> ` and the under store mounted there.
 */
export function lsLine(status: LsEntry, human: boolean): string {
  const mount = status.mountPoint && status.path !== '/' ? ` -> ${status.ufsUri}` : '';
  return (
    `${modeColumn(status.isDirectory, status.mode)} ${nameColumn(status.owner)} ${nameColumn(status.group)} ` +
    `${formatSize(status.size, human).padStart(12)} ${nameColumn(status.persistence)} ` +
    `${mtimeColumn(status.mtimeMs)} ${inCacheColumn(status).padStart(4)} ${status.path}${mount}`
  );
}

/** Every field of a status, one `name: value` line each; the content identity only when verbose. */
export function statLines(status: FileStatus, verbose: boolean): string[] {
  const fields: [string, string][] = [
    ['path', status.path],
    ['type', status.isDirectory ? 'directory' : 'file'],
    ['size', `${status.size} (${formatBytes(status.size)})`],
    ['mode', `${typedModeString(status)} (${status.mode.toString(8).padStart(4, '0')})`],
    ['owner', status.owner],
    ['group', status.group],
    ['persistence', status.persistence],
    ['state', status.state],
    ['modified', formatMtime(status.mtimeMs)],
    ['mount point', status.mountPoint ? 'yes' : 'no'],
    ['mount', status.mountPath],
    ['ufsUri', status.ufsUri],
  ];
  if (verbose) {
    fields.push(
      ['ufsFingerprint', status.ufsFingerprint ?? '(none)'],
      ['contentId', status.contentId],
      ['synced', formatMtime(status.syncedAtMs)],
    );
  }
  const width = Math.max(...fields.map(([name]) => name.length)) + 1;
  return [
    `${status.path} is a ${status.isDirectory ? 'directory' : 'file'} path.`,
    ...fields.map(([name, value]) => `${`${name}:`.padEnd(width)} ${value}`),
  ];
}

/** `<ufsUri> on <path> (<scheme>, readonly=…, shared=…, options={k=v, …})`; secrets come masked. */
export function mountLine(mount: MountInfo): string {
  const options = Object.entries(mount.options)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
  const scheme = parseUfsUri(mount.ufsUri).scheme;
  return `${mount.ufsUri} on ${mount.path} (${scheme}, readonly=${mount.readOnly}, shared=${mount.shared}, options={${options}})`;
}
