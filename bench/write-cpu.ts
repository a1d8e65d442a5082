/**
 * Where a big write spends CPU, per process: the same shaped link, S3 gateway and cluster as
 * `npm run bench`, one file written through the client (createFile, CACHE_THROUGH and THROUGH) and
 * with `aws s3 cp`, several times each, alternating. For each write: wall time and the CPU seconds
 * (user + system, from /proc/<pid>/stat) per GiB of the writer (this process for tierfs, the `aws`
 * child for the CLI), the worker, the master and the S3 gateway — on 2 shared cores the store is
 * CPU-bound, so every CPU second a tool makes it spend is wall time. CPU per GiB moves little with
 * the machine's load: compare it before and after a change, with the load average beside it.
 *
 *   npm run build --silent && npx tsx bench/write-cpu.ts [--size MiB] [--runs n] [--rtt ms] [--only CACHE_THROUGH,THROUGH,aws] [--profile dir] [--site key=value] [--no-netns]
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { WriteType } from '../src/cluster/wire.js';
import { MOUNT, MOUNT_PREFIX, startBenchCluster } from './harness/cluster.js';
import { objectFile } from './harness/context.js';
import { cpuSecondsOf, numberFlag } from './harness/cpu-seconds.js';
import { writeRandomFile } from './harness/data.js';
import { startS3Server } from './harness/gateway.js';
import { choosePlan, createLink } from './harness/netns.js';
import { awsArgs, awsConfigFile, awsEnv } from './harness/peers.js';
import { startRelayProcess } from './harness/relay-process.js';

const argv = process.argv.slice(2);
const flag = (name: string, fallback: number) => numberFlag(argv, name, fallback);
const sizeMiB = flag('--size', 1024);
const runs = flag('--runs', 2);
const rtt = flag('--rtt', 0);
const size = sizeMiB * 2 ** 20;

const base = await mkdtemp(join(tmpdir(), 'tierfs-write-cpu-'));
const plan = choosePlan(process.env.TIERFS_BENCH_SLOT, '1gbit');
const link = createLink(plan, { disabled: argv.includes('--no-netns') });
const s3Root = join(base, 's3');
await mkdir(join(s3Root, 'bench', MOUNT_PREFIX, 'up'), { recursive: true });
// --profile <dir>: the S3 gateway and the daemons write CPU profiles there when they stop.
const profileDir = argv.includes('--profile') ? argv[argv.indexOf('--profile') + 1] : undefined;
const profiling: Record<string, string> = profileDir
  ? {
      NODE_OPTIONS: `--require ${join(import.meta.dirname, 'harness', 'cpu-profiler.cjs')}`,
      TIERFS_BENCH_PROFILE_DIR: profileDir,
    }
  : {};
Object.assign(process.env, profiling);
const server = await startS3Server(link, s3Root, join(base, 'gateway-state'));
delete process.env.NODE_OPTIONS;
const relay = rtt > 0 ? await startRelayProcess(link, 9810, server.target.endpoint, rtt / 2) : undefined;
const target = relay ? { ...server.target, endpoint: relay.endpoint } : server.target;
const local = join(base, 'big.bin');
await writeRandomFile(local, size);
const toolHome = join(base, 'home');
await mkdir(toolHome, { recursive: true });
await writeFile(join(toolHome, 'aws-config'), awsConfigFile());
// --site key=value (repeatable): more lines for the cluster's site file, e.g. to try a setting.
const site = argv.flatMap((arg, i) => (arg === '--site' ? [argv[i + 1]!] : []));
const cluster = await startBenchCluster(target, {
  cacheBytes: 2 * size + 256 * 2 ** 20,
  env: profiling,
  site,
});

async function landed(name: string): Promise<void> {
  const got = (await stat(objectFile({ s3Root, target }, `up/${name}`))).size;
  if (got !== size) throw new Error(`${name}: ${got} bytes landed, expected ${size}`);
}

function runAws(name: string): Promise<void> {
  const cmd = [
    'aws',
    ...awsArgs(
      target,
      's3',
      'cp',
      '--only-show-errors',
      local,
      `s3://${target.bucket}/${MOUNT_PREFIX}/up/${name}`,
    ),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd[0]!, cmd.slice(1), { env: awsEnv(target, toolHome), stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`aws exited with ${code}`))));
  });
}

try {
  const pids = {
    worker: cluster.daemons.pid('worker'),
    master: cluster.daemons.pid('master'),
    gateway: server.pid,
  };
  console.log(`${link.description}; ${sizeMiB} MiB, ${rtt} ms RTT, node ${process.version}`);
  const tools: [string, (name: string) => Promise<void>][] = [
    ...(['CACHE_THROUGH', 'THROUGH'] as WriteType[]).map(
      (writeType) =>
        [
          writeType,
          async (name: string) => {
            const out = await cluster.client.createFile(`${MOUNT}/up/${name}`, {
              writeType,
              recursive: true,
            });
            await pipeline(createReadStream(local, { highWaterMark: 1 << 20 }), out);
          },
        ] as [string, (name: string) => Promise<void>],
    ),
    ['aws s3 cp', runAws] as [string, (name: string) => Promise<void>],
  ];
  // --only <label>[,<label>]: these tools only (CACHE_THROUGH, THROUGH, aws).
  const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1]!.split(',') : undefined;
  const chosen = tools.filter(([label]) => !only || only.some((o) => label.startsWith(o)));
  for (let run = 0; run < runs; run++) {
    for (const [label, write] of chosen) {
      const name = `${label.replace(/\W/g, '-')}-${run}.bin`;
      const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSecondsOf(pid)]));
      const writer = cpuSecondsOf('self', true);
      const load = loadavg()[0]!;
      const start = performance.now();
      await write(name);
      const seconds = (performance.now() - start) / 1000;
      await landed(name);
      const cpu: Record<string, number> = { writer: cpuSecondsOf('self', true) - writer };
      for (const [k, pid] of Object.entries(pids)) cpu[k] = cpuSecondsOf(pid) - before[k]!;
      const perGiB = (v: number) => (v / (size / 2 ** 30)).toFixed(2);
      const total = Object.values(cpu).reduce((a, b) => a + b, 0);
      console.log(
        `${label.padEnd(13)} ${seconds.toFixed(2)} s; CPU s/GiB: ${Object.entries(cpu)
          .map(([k, v]) => `${k} ${perGiB(v)}`)
          .join(', ')}, all ${perGiB(total)}; load ${load.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}`,
      );
      await rm(objectFile({ s3Root, target }, `up/${name}`), { force: true });
    }
  }
} finally {
  await cluster.stop();
  await relay?.stop();
  await server.stop();
  link.teardown();
  await rm(base, { recursive: true, force: true });
}
