/**
 * `tierfs format [-s]`, `tierfs start local|master|worker [-f]`, `tierfs stop local|master|worker`.
 *
 * `start` runs each daemon as a detached `tierfs process <name>` child writing to
 * `${tierfs.logs.dir}/<name>.log`, waits until it answers, and prints where to find it; the
 * daemon keeps its own pid file under `${tierfs.work.dir}/run/`.
 *
 * `-Dkey=value` properties of `start` reach the daemon through a 0600 file under the run directory
 * named by TIERFS_SYSTEM_PROPERTIES_FILE, which the daemon reads and deletes as it starts: a
 * daemon's command line is readable by every user (`ps`), and a -D property may be a secret.
 * Directories the daemons write to are 0700 and their files 0600 (private-files.ts).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, readFileSync, rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { clusterHeaders } from '../cluster/auth.js';
import { masterAddressesOf } from '../cluster/masters.js';
import { callJson } from '../cluster/rpc.js';
import type { Configuration } from '../config/configuration.js';
import {
  MASTER_HOSTNAME,
  MASTER_NODE_OPTIONS,
  MASTER_RPC_PORT,
  MASTER_WEB_PORT,
  PROXY_S3_ENABLED,
  PROXY_WEB_PORT,
  SECURITY_LOGIN_USERNAME,
  WORKER_HOSTNAME,
  WORKER_NODE_OPTIONS,
  WORKER_RPC_PORT,
  WORKER_WEB_PORT,
} from '../config/keys/core.js';
import { type Layout, layoutOf } from '../config/layout.js';
import {
  makePrivateDir,
  openPrivateAppend,
  tighten,
  tightenInstall,
  writePrivateFile,
  writePrivateFileExclusive,
} from '../config/private-files.js';
import { TierfsError } from '../errors.js';
import { formatCluster, isFormatted } from '../master/format.js';
import type { MetaStore } from '../meta/store.js';
import { SYSTEM_PROPERTIES_FILE_ENV } from './handover.js';
import { explainListenError } from './listen-error.js';
import type { CliContext } from './main.js';
import type { RunningNamespaceGateway } from './namespace-gateway.js';
import { startFailureReason } from './start-failure.js';

type Daemon = 'master' | 'worker';
const TARGETS = ['local', 'master', 'worker'] as const;
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
const BIN = fileURLToPath(new URL('../../bin/tierfs.js', import.meta.url));

/** Writes `-D` properties for a daemon to a new 0600 file in the (0700) run directory. */
function handOverSystemProperties(
  layout: Layout,
  daemon: Daemon,
  properties: Readonly<Record<string, string>>,
) {
  makePrivateDir(layout.runDir);
  const file = join(layout.runDir, `${daemon}.properties-${randomBytes(6).toString('hex')}.json`);
  writePrivateFileExclusive(file, JSON.stringify(properties));
  return file;
}

function daemonsOf(target: string): Daemon[] {
  if (!(TARGETS as readonly string[]).includes(target)) {
    throw new TierfsError(
      'INVALID_ARGUMENT',
      `unknown target '${target}': expected one of ${TARGETS.join(', ')}`,
    );
  }
  return target === 'local' ? ['master', 'worker'] : [target as Daemon];
}

/** The pid in a daemon's pid file when that process is alive. */
export function runningPid(layout: Layout, daemon: Daemon): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(layout.pidFile(daemon), 'utf8').trim());
  } catch {
    return undefined;
  }
  try {
    process.kill(pid, 0);
  } catch {
    return undefined; // Stale pid file of a process that is gone.
  }
  // On Linux, also rule out a zombie (killed, not yet reaped) and a reused pid.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return undefined;
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('tierfs')) return undefined;
  } catch {
    // No /proc here: trust kill(0).
  }
  return pid;
}

function masterAddress(conf: Configuration): string {
  return `http://${conf.require(MASTER_HOSTNAME)}:${conf.require(MASTER_RPC_PORT)}`;
}

function healthUrl(conf: Configuration, daemon: Daemon): string {
  return daemon === 'master'
    ? `${masterAddress(conf)}/api/v1/health`
    : `http://${conf.get(WORKER_HOSTNAME) ?? '127.0.0.1'}:${conf.require(WORKER_RPC_PORT)}/api/v1/health`;
}

function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function startDaemon(
  conf: Configuration,
  layout: Layout,
  daemon: Daemon,
  defines: Readonly<Record<string, string>>,
): Promise<void> {
  const pid = runningPid(layout, daemon);
  if (pid !== undefined) {
    throw new TierfsError(
      'ALREADY_EXISTS',
      `the ${daemon} is already running (pid ${pid}); stop it first with \`tierfs stop ${daemon}\``,
    );
  }
  makePrivateDir(layout.logsDir);
  const log = openPrivateAppend(layout.logFile(daemon));
  const propertiesFile =
    Object.keys(defines).length > 0 ? handOverSystemProperties(layout, daemon, defines) : undefined;
  try {
    await spawnAndWait(conf, layout, daemon, log, propertiesFile);
  } finally {
    // The daemon deleted it when it read it; not when it died first.
    if (propertiesFile) rmSync(propertiesFile, { force: true });
  }
}

/**
 * Starts `tierfs <args>` as a detached process whose output goes to `log` (closed here), with the
 * `-D` properties in `propertiesFile` (see the module comment); `exitCode()` is its exit code once
 * it has exited, undefined while it runs.
 */
export function spawnDetached(
  args: readonly string[],
  log: number,
  propertiesFile: string | undefined,
  nodeOptions = '',
): { readonly pid: number | undefined; exitCode(): number | undefined } {
  const inherited = process.env.NODE_OPTIONS ?? '';
  const child = spawn(process.execPath, [BIN, ...args], {
    detached: true,
    stdio: ['ignore', log, log],
    env: {
      // Page and UFS file I/O run on libuv's threadpool: the default 4 threads are the limit otherwise.
      UV_THREADPOOL_SIZE: '16',
      ...process.env,
      ...(propertiesFile ? { [SYSTEM_PROPERTIES_FILE_ENV]: propertiesFile } : {}),
      // The daemon's own options come last: for a repeated flag, Node.js takes the last one.
      ...(nodeOptions.trim() ? { NODE_OPTIONS: `${inherited} ${nodeOptions.trim()}`.trim() } : {}),
    },
  });
  closeSync(log);
  let exited: number | undefined;
  child.on('exit', (code) => {
    exited = code ?? 1;
  });
  child.unref();
  return { pid: child.pid, exitCode: () => exited };
}

async function spawnAndWait(
  conf: Configuration,
  layout: Layout,
  daemon: Daemon,
  log: number,
  propertiesFile: string | undefined,
): Promise<void> {
  const nodeOptions = conf.get(daemon === 'master' ? MASTER_NODE_OPTIONS : WORKER_NODE_OPTIONS) ?? '';
  const child = spawnDetached(['process', daemon], log, propertiesFile, nodeOptions);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const exited = child.exitCode();
    if (exited !== undefined) {
      // The daemon's own one-line reason (`tierfs: ...` on its stderr, which is the log) when it
      // gave one; the end of its log otherwise.
      const tail = logTail(layout.logFile(daemon));
      const reason = startFailureReason(logTail(layout.logFile(daemon), 200));
      throw new TierfsError(
        'UNAVAILABLE',
        reason
          ? `the ${daemon} did not start: ${reason} (log: ${layout.logFile(daemon)})`
          : `the ${daemon} exited during start-up (code ${exited}); last lines of ${layout.logFile(daemon)}:\n${tail}`,
      );
    }
    // Up once it answers and has written its pid file, which it does last, after every port. The
    // master authenticates every call: this one presents the cluster secret `format` wrote here.
    const ready =
      runningPid(layout, daemon) !== undefined &&
      (await callJson('GET', healthUrl(conf, daemon), {
        timeoutMs: 1000,
        headers: clusterHeaders(readFileSync(layout.clusterTokenFile, 'utf8').trim()),
      }).then(
        () => true,
        () => false,
      ));
    if (ready) return;
    if (Date.now() > deadline) {
      throw new TierfsError(
        'TIMEOUT',
        `the ${daemon} did not answer within ${READY_TIMEOUT_MS / 1000}s; see ${layout.logFile(daemon)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

async function stopDaemon(layout: Layout, daemon: Daemon): Promise<boolean> {
  const pid = runningPid(layout, daemon);
  if (pid === undefined) return false;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (runningPid(layout, daemon) === pid && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (runningPid(layout, daemon) === pid) process.kill(pid, 'SIGKILL');
  rmSync(layout.pidFile(daemon), { force: true });
  return true;
}

/** The ports a daemon listens on, for naming the property when one is taken. */
const DAEMON_PORTS = [MASTER_RPC_PORT, MASTER_WEB_PORT, WORKER_RPC_PORT, WORKER_WEB_PORT, PROXY_WEB_PORT];
const PORT_HINTS = {
  [PROXY_WEB_PORT.key]: `, or ${PROXY_S3_ENABLED.key}=false to run without the S3 API over the namespace`,
};

/** Runs a daemon in this process until SIGTERM or SIGINT. */
async function runDaemon(conf: Configuration, layout: Layout, daemon: Daemon): Promise<void> {
  // The servers are loaded here, not at the top, and only the ones this daemon runs: every other
  // command, and the other daemon, start faster without them.
  // An install made before these were private, or loosened since, is tightened first.
  const tightened = tightenInstall(layout);
  makePrivateDir(layout.logsDir);
  closeSync(openPrivateAppend(layout.logFile(daemon)));
  const { default: pino } = await import('pino');
  const log = pino({ name: daemon }, pino.destination({ dest: layout.logFile(daemon), sync: true }));
  if (tightened.length > 0) {
    log.info({ paths: tightened }, 'removed group and other access (directories 0700, files 0600)');
  }
  const superUser = conf.get(SECURITY_LOGIN_USERNAME) ?? userInfo().username;
  let running: { stop(): Promise<void> } | undefined;
  let gateway: RunningNamespaceGateway | undefined;
  try {
    if (daemon === 'master') {
      const { Master, openFormattedMetaStore } = await import('../master/master.js');
      const { startNamespaceGateway } = await import('./namespace-gateway.js');
      // Exclusive as the master's own: a second master on one SQLite file fails here, clearly.
      await sealStoredSecrets(conf, (c) => openFormattedMetaStore(c, { exclusive: true }), log);
      running = await Master.start(conf, { log, superUser });
      gateway = await startNamespaceGateway(conf, superUser, (line) => log.info(line));
    } else {
      const { Worker } = await import('../worker/worker.js');
      const { startWorkerSite } = await import('../web/worker-site.js');
      makePrivateDir(layout.workerStagingDir);
      const worker = await Worker.start(conf, { log, masterAddress: masterAddressesOf(conf) });
      running = worker;
      tighten(layout.workerIdFile); // Written by a worker starting for the first time.
      // The worker's web page (tierfs.worker.web.port): stopped before the worker.
      const site = await startWorkerSite(conf, worker, { log });
      running = {
        async stop() {
          await site.close();
          await worker.stop();
        },
      };
    }
    if (gateway) log.info({ address: gateway.address }, 'S3 API over the namespace');
    makePrivateDir(layout.runDir);
    writePrivateFile(layout.pidFile(daemon), `${process.pid}\n`);
  } catch (error) {
    // A half-started daemon (say, the namespace gateway's port is taken) must not linger with its
    // other ports open and no pid file: stop what started, then fail.
    log.error({ err: error }, 'start-up failed');
    await running?.stop();
    throw explainListenError(error, conf, DAEMON_PORTS, PORT_HINTS);
  }
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  log.info('stopping');
  await gateway?.close();
  await running?.stop();
  rmSync(layout.pidFile(daemon), { force: true });
}

/**
 * Before the master starts: the secret key of an install formatted without one is created and the
 * plain secrets in its mount table are encrypted, in one log line.
 */
async function sealStoredSecrets(
  conf: Configuration,
  open: (conf: Configuration) => Promise<{ meta: MetaStore }>,
  log: Logger,
): Promise<void> {
  const { MountTable } = await import('../namespace/mount-table.js');
  const { meta } = await open(conf);
  try {
    const sealing = await MountTable.sealStoredSecrets(conf, meta);
    if (sealing.keyCreated || sealing.mounts.length > 0) {
      log.info(
        { keyFile: sealing.keyFile, keyCreated: sealing.keyCreated, mounts: sealing.mounts },
        `encrypted the secret options of ${sealing.mounts.length} mount(s) in the metadata store` +
          (sealing.keyCreated ? ' with a new secret key' : ''),
      );
    }
  } finally {
    await meta.close();
  }
}

export function registerDaemonCommands(program: Command, context: CliContext): void {
  program
    .command('format')
    .description('Format tierfs: wipe the metadata store and the worker caches (under store data is kept)')
    .option('-s', 'format only if tierfs has never been formatted')
    .action(async (options: { s?: boolean }) => {
      const conf = context.configuration();
      const layout = layoutOf(conf);
      const running = (['master', 'worker'] as const).filter((d) => runningPid(layout, d) !== undefined);
      if (running.length > 0) {
        throw new TierfsError(
          'CONFLICT',
          `cannot format while the ${running.join(' and ')} ${running.length > 1 ? 'are' : 'is'} running; run \`tierfs stop local\` first`,
        );
      }
      const result = await formatCluster(conf, { onlyIfUnformatted: options.s });
      process.stdout.write(
        result.formatted
          ? `Formatted tierfs in ${layout.workDir}\n`
          : `tierfs is already formatted (${layout.workDir}); nothing done\n`,
      );
    });

  program
    .command('start')
    .description('Start the local cluster (master and worker), the master or the worker, in the background')
    .argument('<target>', TARGETS.join(' | '))
    .option('-f', 'format before starting')
    .action(async (target: string, options: { f?: boolean }) => {
      const daemons = daemonsOf(target);
      const conf = context.configuration();
      const layout = layoutOf(conf);
      if (options.f) {
        for (const d of ['worker', 'master'] as const) await stopDaemon(layout, d);
        await formatCluster(conf);
      } else if (!isFormatted(conf)) {
        throw new TierfsError(
          'CONFIG_INVALID',
          `tierfs is not formatted (${layout.workDir}): run \`tierfs format\` first`,
        );
      }
      const started: Daemon[] = [];
      for (const daemon of daemons) {
        try {
          await startDaemon(conf, layout, daemon, context.systemProperties());
        } catch (error) {
          // All or nothing: a master left up after the worker failed would make the next
          // `start local` (once the cause is fixed) refuse with "already running".
          for (const up of started.reverse()) {
            await stopDaemon(layout, up);
            process.stdout.write(`Stopped the ${up} again: the ${daemon} did not start\n`);
          }
          throw error;
        }
        started.push(daemon);
        process.stdout.write(
          `Started the ${daemon} (pid ${runningPid(layout, daemon)}), logging to ${layout.logFile(daemon)}\n`,
        );
      }
      if (daemons.includes('master')) {
        const web = `http://${conf.require(MASTER_HOSTNAME)}:${conf.require(MASTER_WEB_PORT)}`;
        process.stdout.write(`Master web UI: ${web}\n`);
      }
      const workerWebPort = conf.require(WORKER_WEB_PORT);
      if (daemons.includes('worker') && workerWebPort !== 0) {
        const host = conf.get(WORKER_HOSTNAME) ?? '127.0.0.1';
        process.stdout.write(`Worker web page: http://${host}:${workerWebPort}\n`);
      }
    });

  program
    .command('stop')
    .description('Stop the local cluster, the master or the worker')
    .argument('<target>', TARGETS.join(' | '))
    .action(async (target: string) => {
      const layout = layoutOf(context.configuration());
      for (const daemon of [...daemonsOf(target)].reverse()) {
        const stopped = await stopDaemon(layout, daemon);
        process.stdout.write(stopped ? `Stopped the ${daemon}\n` : `The ${daemon} is not running\n`);
      }
    });

  program
    .command('process', { hidden: true })
    .description('Run a daemon in the foreground (used by `tierfs start`)')
    .argument('<daemon>', 'master | worker')
    .action(async (daemon: string) => {
      if (daemon !== 'master' && daemon !== 'worker') {
        throw new TierfsError('INVALID_ARGUMENT', `unknown daemon '${daemon}': expected master or worker`);
      }
      const conf = context.configuration();
      await runDaemon(conf, layoutOf(conf), daemon);
    });
}
