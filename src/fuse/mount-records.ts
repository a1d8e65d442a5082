/**
 * The FUSE mounts this installation runs: one record per mount point under
 * `${tierfs.work.dir}/run/fuse/` (0600, like the daemons' pid files), written by the mount process
 * once the kernel has the mount and removed when it ends. A record whose process is gone is stale.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Layout } from '../config/layout.js';
import { makePrivateDir, writePrivateFile } from '../config/private-files.js';

export interface MountRecord {
  readonly pid: number;
  readonly mountPoint: string;
  readonly tierfsPath: string;
  readonly readOnly: boolean;
  readonly log: string;
  readonly startedMs: number;
}

export function recordsDir(layout: Layout): string {
  return join(layout.runDir, 'fuse');
}

function recordFile(layout: Layout, mountPoint: string): string {
  const id = createHash('sha256').update(resolve(mountPoint)).digest('hex').slice(0, 16);
  return join(recordsDir(layout), `${id}.json`);
}

/** The log file of the mount at `mountPoint`: `fuse-mnt-data.log` for /mnt/data. */
export function mountLogFile(layout: Layout, mountPoint: string): string {
  const name =
    resolve(mountPoint)
      .replace(/^\/+/, '')
      .replace(/[^A-Za-z0-9._-]+/g, '-') || 'root';
  return join(layout.logsDir, `fuse-${name}.log`);
}

export function writeRecord(layout: Layout, record: MountRecord): void {
  makePrivateDir(recordsDir(layout));
  writePrivateFile(recordFile(layout, record.mountPoint), `${JSON.stringify(record)}\n`);
}

export function removeRecord(layout: Layout, mountPoint: string, pid: number): void {
  // Only our own: a newer mount of the same point may have replaced it.
  if (readRecord(layout, mountPoint)?.pid === pid) rmSync(recordFile(layout, mountPoint), { force: true });
}

export function readRecord(layout: Layout, mountPoint: string): MountRecord | undefined {
  return parse(recordFile(layout, mountPoint));
}

export function allRecords(layout: Layout): MountRecord[] {
  let names: string[];
  try {
    names = readdirSync(recordsDir(layout));
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith('.json'))
    .map((n) => parse(join(recordsDir(layout), n)))
    .filter((r): r is MountRecord => r !== undefined);
}

function parse(file: string): MountRecord | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as MountRecord;
  } catch {
    return undefined;
  }
}

/** Whether the process of a record is alive (and not a zombie). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}
