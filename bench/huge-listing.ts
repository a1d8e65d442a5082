/**
 * `tierfs fs ls` of a never-listed local directory of many empty files (a million by default),
 * through a local cluster (`tierfs start local`: master and worker as separate processes), against
 * `ls -f` of the same directory (unsorted, the fastest a program can list it) in the same run:
 *   time to the first entry (target: under 2 s), total time, entries listed, and the peak RSS of
 *   the master and the worker during the listing (target: under 300 MB each) next to their RSS
 *   before it.
 *
 *   npm run build && npx tsx bench/huge-listing.ts [--objects 1000000] [--node-options '...'] [--dir <path>]
 *
 * `--dir` lists an existing directory of files (its parent becomes the root mount; nothing is written
 * or removed there) instead of writing `--objects` files first: a million files take minutes to write.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runTierfs, TIERFS_BIN } from '../test/support/cli.js';
import { daemonHome } from '../test/support/daemons.js';
import { parseVmHwm } from './harness/cluster.js';

const { values } = parseArgs({
  options: {
    objects: { type: 'string', default: '1000000' },
    /** NODE_OPTIONS for the daemons, e.g. '--max-old-space-size=192' to see what a heap cap does. */
    'node-options': { type: 'string' },
    /** An existing directory of files to list instead of writing new ones. */
    dir: { type: 'string' },
  },
});
const OBJECTS = Number(values.objects);
const FIRST_ENTRY_TARGET_S = 2;
const RSS_TARGET_MB = 300;
const MB = 1024 * 1024;

interface Listing {
  firstS: number;
  totalS: number;
  lines: number;
}

/** Runs a command, counting its output lines and timing its first byte and its end. */
function timedListing(command: string, args: string[], options: { cwd?: string } = {}): Promise<Listing> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let firstS = Number.NaN;
    let lines = 0;
    let stderr = '';
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => {
      if (Number.isNaN(firstS)) firstS = (performance.now() - started) / 1000;
      for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr}`));
      else resolve({ firstS, totalS: (performance.now() - started) / 1000, lines });
    });
  });
}

const rss = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { current: Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)![1]) * 1024, peak: parseVmHwm(status) };
};

const base = join(tmpdir(), `tierfs-huge-listing-${process.pid}`);
const ufs = values.dir ? dirname(resolve(values.dir)) : join(base, 'ufs');
const dir = values.dir ? resolve(values.dir) : join(ufs, 'huge');
let started = performance.now();
if (!values.dir) {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < OBJECTS; i++)
    closeSync(openSync(join(dir, `object-${String(i).padStart(7, '0')}`), 'w'));
  console.log(`${OBJECTS} empty files written in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
const expected = values.dir ? readdirSync(dir).length : OBJECTS;

const cluster = await daemonHome([`tierfs.master.mount.table.root.ufs=${ufs}`]);
try {
  if ((await cluster.tierfs('format')).code !== 0) throw new Error('format failed');
  const nodeOptions = values['node-options'];
  const start = await runTierfs(['start', 'local'], {
    cwd: cluster.home,
    ...(nodeOptions ? { env: { NODE_OPTIONS: nodeOptions } } : {}),
  });
  if (start.code !== 0) throw new Error(`start local failed: ${start.stderr}`);
  const pids = { master: cluster.pid('master'), worker: cluster.pid('worker') };
  await cluster.client('admin').getStatus('/'); // The master is up; the directory is still never listed.

  const baseline = await timedListing('ls', ['-f', dir]);
  const before = { master: rss(pids.master), worker: rss(pids.worker) };
  for (const pid of Object.values(pids)) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5'); // Resets VmHWM (Linux >= 4.0).
    } catch {
      console.log('(cannot reset the peak RSS here: peaks cover the daemons since they started)');
    }
  }
  started = performance.now();
  const tierfs = await timedListing(process.execPath, [TIERFS_BIN, 'fs', 'ls', `/${basename(dir)}`], {
    cwd: cluster.home,
  });
  const after = { master: rss(pids.master), worker: rss(pids.worker) };

  const mb = (bytes: number) => `${(bytes / MB).toFixed(0)} MB`;
  const ok = (met: boolean) => (met ? 'met' : 'MISSED');
  console.log(
    `\n${'listing'.padEnd(22)}${'first entry'.padStart(14)}${'total'.padStart(12)}${'entries'.padStart(10)}`,
  );
  for (const [label, l] of [
    ['ls -f (baseline)', baseline],
    ['tierfs fs ls', tierfs],
  ] as const) {
    console.log(
      `${label.padEnd(22)}${`${l.firstS.toFixed(3)} s`.padStart(14)}${`${l.totalS.toFixed(2)} s`.padStart(12)}${String(l.lines).padStart(10)}`,
    );
  }
  console.log(
    `\ntierfs / ls -f: first entry ${(tierfs.firstS / baseline.firstS).toFixed(1)}x, total ${(tierfs.totalS / baseline.totalS).toFixed(1)}x (lower is better)`,
  );
  console.log(
    `first entry ${tierfs.firstS.toFixed(2)} s (target < ${FIRST_ENTRY_TARGET_S} s): ${ok(tierfs.firstS < FIRST_ENTRY_TARGET_S)}`,
  );
  for (const daemon of ['master', 'worker'] as const) {
    const peak = after[daemon].peak;
    console.log(
      `${daemon} RSS: ${mb(before[daemon].current)} before, peak ${mb(peak)} during the listing (target < ${RSS_TARGET_MB} MB): ${ok(peak < RSS_TARGET_MB * MB)}`,
    );
  }
  if (tierfs.lines !== expected)
    console.log(`WARNING: tierfs listed ${tierfs.lines} entries, expected ${expected}`);
} finally {
  await cluster.stop();
  rmSync(base, { recursive: true, force: true });
}
