/**
 * `tierfs fuse mount [<mount point>] [<tierfs path>] [-o option ...] [--foreground]`,
 * `tierfs fuse unmount <mount point> [--force]`, `tierfs fuse list`.
 *
 * `mount` runs the mount in a detached `tierfs fuse mount --foreground` process writing to
 * `${tierfs.logs.dir}/fuse-<mount point>.log`, waits until the kernel has the mount, and says
 * where it is; the process keeps a record under `${tierfs.work.dir}/run/fuse/` (mount-records.ts).
 * `-D` properties reach it through a 0600 file, as for the other daemons (daemon.ts).
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Command, Option } from 'commander';
import type { Configuration } from '../config/configuration.js';
import { FUSE_MOUNT_POINT, FUSE_MOUNT_TIERFS_PATH, FUSE_UMOUNT_TIMEOUT } from '../config/keys/index.js';
import { type Layout, layoutOf } from '../config/layout.js';
import { makePrivateDir, openPrivateAppend, writePrivateFileExclusive } from '../config/private-files.js';
import { TierfsError } from '../errors.js';
import { FUSE_FS_TYPE, systemMounts } from '../fuse/mount.js';
import {
  allRecords,
  isAlive,
  type MountRecord,
  mountLogFile,
  readRecord,
  removeRecord,
} from '../fuse/mount-records.js';
import { SYSTEM_PROPERTIES_FILE_ENV } from './daemon.js';
import type { CliContext } from './main.js';

const BIN = fileURLToPath(new URL('../../bin/tierfs.js', import.meta.url));
const READY_TIMEOUT_MS = 30_000;

interface MountCommandOptions {
  option?: string[];
  foreground?: boolean;
}

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Runs a program; its exit code and output, never a throw. */
function run(file: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    execFile(file, args, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      done({ code, output: `${stdout}${stderr}`.trim() });
    });
  });
}

async function tierfsMountAt(mountPoint: string) {
  return (await systemMounts()).find((m) => m.mountPoint === mountPoint && m.type === FUSE_FS_TYPE);
}

/** A mount whose process is gone leaves "Transport endpoint is not connected" behind: detach it. */
async function recoverStaleMount(layout: Layout, mountPoint: string): Promise<boolean> {
  const record = readRecord(layout, mountPoint);
  if (record && isAlive(record.pid)) {
    throw new TierfsError(
      'ALREADY_EXISTS',
      `${mountPoint} is already mounted by tierfs (pid ${record.pid}); unmount it first with \`tierfs fuse unmount ${mountPoint}\``,
    );
  }
  if (record) removeRecord(layout, mountPoint, record.pid);
  if (!(await tierfsMountAt(mountPoint))) return false;
  const detached = await run('fusermount', ['-uz', mountPoint]);
  if (detached.code !== 0) {
    throw new TierfsError(
      'UNAVAILABLE',
      `cannot recover the stale mount at ${mountPoint}: ${detached.output}`,
    );
  }
  return true;
}

/** Processes with a file, or their working directory, under `mountPoint` (from /proc). */
function processesUsing(mountPoint: string): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return pids;
  }
  const inside = (target: string) => target === mountPoint || target.startsWith(`${mountPoint}/`);
  for (const pid of entries) {
    try {
      const links = [readlinkSync(`/proc/${pid}/cwd`)];
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        try {
          links.push(readlinkSync(`/proc/${pid}/fd/${fd}`));
        } catch {
          // Closed meanwhile.
        }
      }
      if (links.some(inside)) pids.push(Number(pid));
    } catch {
      // Gone, or not ours to look at.
    }
  }
  return pids;
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((done) => setTimeout(done, 100));
  }
  return true;
}

async function unmount(conf: Configuration, mountPoint: string, force: boolean): Promise<void> {
  const layout = layoutOf(conf);
  const record = readRecord(layout, mountPoint);
  const alive = record !== undefined && isAlive(record.pid);
  const mounted = await tierfsMountAt(mountPoint);
  if (!alive && !mounted) {
    if (record) removeRecord(layout, mountPoint, record.pid);
    throw new TierfsError('NOT_FOUND', `${mountPoint} is not a tierfs mount (see \`tierfs fuse list\`)`);
  }
  const timeoutMs = conf.require(FUSE_UMOUNT_TIMEOUT);
  if (!force) {
    if (mounted) {
      const result = await run('fusermount', ['-u', mountPoint]);
      if (result.code !== 0) {
        if (/busy/i.test(result.output)) {
          const users = processesUsing(mountPoint);
          const who =
            users.length > 0 ? ` by process${users.length > 1 ? 'es' : ''} ${users.join(', ')}` : '';
          throw new TierfsError(
            'CONFLICT',
            `cannot unmount ${mountPoint}: it is busy (files or directories in use${who}); close them, or use --force to detach it now and drop files still being written`,
          );
        }
        throw new TierfsError('UNAVAILABLE', `cannot unmount ${mountPoint}: ${result.output}`);
      }
    }
    if (alive) {
      process.kill(record.pid, 'SIGTERM');
      if (!(await waitForExit(record.pid, timeoutMs))) {
        throw new TierfsError(
          'TIMEOUT',
          `the mount process of ${mountPoint} (pid ${record.pid}) did not exit within ${timeoutMs / 1000}s; see ${record.log}`,
        );
      }
    }
  } else {
    // The process detaches the mount, drops files being written, and exits; a dead one is detached here.
    if (alive) {
      process.kill(record.pid, 'SIGUSR2');
      if (!(await waitForExit(record.pid, timeoutMs))) process.kill(record.pid, 'SIGKILL');
    }
    if (await tierfsMountAt(mountPoint)) {
      const result = await run('fusermount', ['-uz', mountPoint]);
      if (result.code !== 0)
        throw new TierfsError('UNAVAILABLE', `cannot unmount ${mountPoint}: ${result.output}`);
    }
  }
  if (record) removeRecord(layout, mountPoint, record.pid);
}

/** Starts `tierfs fuse mount --foreground` detached and waits until it has mounted. */
async function mountInBackground(
  conf: Configuration,
  context: CliContext,
  mountPoint: string,
  tierfsPath: string,
  options: readonly string[],
): Promise<MountRecord> {
  const layout = layoutOf(conf);
  makePrivateDir(layout.logsDir);
  const logFile = mountLogFile(layout, mountPoint);
  const log = openPrivateAppend(logFile);
  const defines = context.systemProperties();
  let propertiesFile: string | undefined;
  if (Object.keys(defines).length > 0) {
    makePrivateDir(layout.runDir);
    propertiesFile = join(layout.runDir, `fuse.properties-${randomBytes(6).toString('hex')}.json`);
    writePrivateFileExclusive(propertiesFile, JSON.stringify(defines));
  }
  try {
    const args = [
      BIN,
      'fuse',
      'mount',
      '--foreground',
      mountPoint,
      tierfsPath,
      ...options.flatMap((o) => ['-o', o]),
    ];
    const child = spawn(process.execPath, args, {
      detached: true,
      stdio: ['ignore', log, log],
      env: {
        UV_THREADPOOL_SIZE: '16',
        ...process.env,
        ...(propertiesFile ? { [SYSTEM_PROPERTIES_FILE_ENV]: propertiesFile } : {}),
      },
    });
    closeSync(log);
    let exited: number | undefined;
    child.on('exit', (code) => {
      exited = code ?? 1;
    });
    child.unref();
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (exited !== undefined) {
        const tail = readFileSync(logFile, 'utf8').trimEnd().split('\n');
        const reason = tail.findLast((line) => line.startsWith('tierfs: '))?.slice('tierfs: '.length);
        throw new TierfsError(
          'UNAVAILABLE',
          reason
            ? `cannot mount ${mountPoint}: ${reason} (log: ${logFile})`
            : `the mount process exited during start-up (code ${exited}); see ${logFile}`,
        );
      }
      const record = readRecord(layout, mountPoint);
      if (record && record.pid === child.pid) return record;
      if (Date.now() > deadline) {
        throw new TierfsError(
          'TIMEOUT',
          `${mountPoint} was not mounted within ${READY_TIMEOUT_MS / 1000}s; see ${logFile}`,
        );
      }
      await new Promise((done) => setTimeout(done, 100));
    }
  } finally {
    if (propertiesFile) rmSync(propertiesFile, { force: true });
  }
}

/** Mounts in this process until SIGTERM/SIGINT (clean unmount) or SIGUSR2 (forced). */
async function mountInForeground(
  conf: Configuration,
  layout: Layout,
  mountPoint: string,
  tierfsPath: string,
  options: readonly string[],
): Promise<void> {
  const { startMount } = await import('../fuse/serve.js');
  const { default: pino } = await import('pino');
  const log = pino({ name: 'fuse' }, pino.destination({ dest: 2, sync: false }));
  if (await recoverStaleMount(layout, mountPoint)) {
    log.warn({ mountPoint }, 'detached a stale mount left by a mount process that is gone');
  }
  const running = await startMount(conf, { mountPoint, tierfsPath, options, log });
  // A mount that dies leaves "Transport endpoint is not connected" to every program using it:
  // a stray failure is logged, and the mount goes on.
  process.on('uncaughtException', (error) => log.error({ err: error }, 'uncaught failure'));
  process.on('unhandledRejection', (error) => log.error({ err: error }, 'unhandled rejection'));
  const record: MountRecord = {
    pid: process.pid,
    mountPoint,
    tierfsPath,
    readOnly: running.settings.readOnly,
    log: mountLogFile(layout, mountPoint),
    startedMs: Date.now(),
  };
  const { writeRecord } = await import('../fuse/mount-records.js');
  writeRecord(layout, record);
  log.info({ mountPoint, tierfsPath, settings: running.settings }, 'mounted');
  out(`Mounted tierfs:${tierfsPath} at ${mountPoint}`);
  const how = await new Promise<'stop' | 'force' | 'gone'>((done) => {
    process.once('SIGTERM', () => done('stop'));
    process.once('SIGINT', () => done('stop'));
    process.once('SIGUSR2', () => done('force'));
    running.onUnmountedElsewhere(() => done('gone'));
  });
  log.info({ mountPoint, how }, 'unmounting');
  await running.stop({ abort: how === 'force' });
  removeRecord(layout, mountPoint, process.pid);
  log.info({ mountPoint }, 'unmounted');
  await new Promise<void>((done) => log.flush(() => done()));
  // The FUSE thread of fuse-native may hold the process: nothing is left to do.
  setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref();
}

export function registerFuseCommands(program: Command, context: CliContext): void {
  const fuse = program
    .command('fuse')
    .description('Mount the tierfs namespace as a POSIX file system (FUSE), unmount it, list mounts');

  fuse
    .command('mount')
    .description(
      'Mount a tierfs path (default /) at a local directory, in the background unless --foreground',
    )
    .argument('[mountPoint]', 'local directory to mount on (default: tierfs.fuse.mount.point)')
    .argument('[tierfsPath]', 'tierfs path to show there (default: tierfs.fuse.mount.tierfs.path, /)')
    .addOption(
      new Option(
        '-o, --option <option>',
        'mount option: ro, allow_other, attr_timeout=<s>, or key=value (repeatable)',
      )
        .argParser(collect)
        .default([]),
    )
    .option('--foreground', 'stay in the foreground, logging to stderr, until interrupted')
    .action(
      async (
        mountPointArg: string | undefined,
        tierfsPathArg: string | undefined,
        options: MountCommandOptions,
      ) => {
        const conf = context.configuration();
        const layout = layoutOf(conf);
        const mountPoint = resolve(mountPointArg ?? conf.require(FUSE_MOUNT_POINT));
        const tierfsPath = tierfsPathArg ?? conf.require(FUSE_MOUNT_TIERFS_PATH);
        if (!tierfsPath.startsWith('/')) {
          throw new TierfsError(
            'INVALID_ARGUMENT',
            `the tierfs path must be absolute, such as / or /data; got '${tierfsPath}'`,
          );
        }
        const mountOptions = options.option ?? [];
        // Bad options fail here, before anything starts.
        const { mountConfiguration, mountSettings } = await import('../fuse/mount-settings.js');
        mountSettings(mountConfiguration(conf, mountOptions, `fuse mount ${mountPoint}`));
        if (options.foreground) {
          await mountInForeground(conf, layout, mountPoint, tierfsPath, mountOptions);
          return;
        }
        const record = readRecord(layout, mountPoint);
        if (record && isAlive(record.pid)) {
          throw new TierfsError(
            'ALREADY_EXISTS',
            `${mountPoint} is already mounted by tierfs (pid ${record.pid}); unmount it first with \`tierfs fuse unmount ${mountPoint}\``,
          );
        }
        const started = await mountInBackground(conf, context, mountPoint, tierfsPath, mountOptions);
        out(`Mounted tierfs:${tierfsPath} at ${mountPoint} (pid ${started.pid}), logging to ${started.log}`);
      },
    );

  fuse
    .command('unmount')
    .alias('umount')
    .description('Unmount a tierfs FUSE mount; refused while files are open unless --force')
    .argument('<mountPoint>', 'the local directory it is mounted on')
    .option('-f, --force', 'detach it even while files are open; files still being written are dropped')
    .action(async (mountPointArg: string, options: { force?: boolean }) => {
      const mountPoint = resolve(mountPointArg);
      await unmount(context.configuration(), mountPoint, options.force ?? false);
      out(`Unmounted ${mountPoint}`);
    });

  fuse
    .command('list')
    .description('List the tierfs FUSE mounts of this machine')
    .action(async () => {
      const layout = layoutOf(context.configuration());
      const mounted = (await systemMounts()).filter((m) => m.type === FUSE_FS_TYPE);
      const records = allRecords(layout);
      const rows: string[][] = [];
      for (const record of records) {
        const live = isAlive(record.pid) && mounted.some((m) => m.mountPoint === record.mountPoint);
        rows.push([
          record.mountPoint,
          record.tierfsPath,
          String(record.pid),
          record.readOnly ? 'ro' : 'rw',
          live ? 'mounted' : 'stale',
          record.log,
        ]);
      }
      for (const m of mounted) {
        if (!records.some((r) => r.mountPoint === m.mountPoint)) {
          rows.push([m.mountPoint, '?', '-', m.options.split(',')[0] ?? '', 'not this installation', '-']);
        }
      }
      if (rows.length === 0) {
        out(`No tierfs FUSE mounts (user ${userInfo().username})`);
        return;
      }
      const header = ['MOUNT POINT', 'TIERFS PATH', 'PID', 'MODE', 'STATE', 'LOG'];
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      for (const row of [header, ...rows])
        out(
          row
            .map((c, i) => c.padEnd(widths[i]!))
            .join('  ')
            .trimEnd(),
        );
    });
}
