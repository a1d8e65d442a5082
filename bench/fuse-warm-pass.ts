/**
 * What each pass through `tierfs fuse mount` sends to the store and to the mount, pass by pass:
 *   node --import tsx bench/fuse-warm-pass.ts [--size <MiB>] [--rtt <ms>] [--passes <n>] [--walk <files>] [--holes <n>]
 * The bench's setup without the peers and the network namespace: the S3 gateway over a scratch
 * directory, behind the delay relay (its own process, --rtt) and a proxy in this process that
 * records every request; real daemons (`tierfs start local`); a real `tierfs fuse mount -o debug`
 * of /s3. Pass 0 is cold. Each pass `dd`s the big object (then, with --walk, `find | xargs cat`s that
 * many 4 KiB files) and prints its wall time, the mount process's CPU, the pages of the big object
 * the kernel's page cache lacked before it (fincore), the operations that reached the mount (its
 * debug log) and the store's requests during it. --holes drops that many 128 KiB ranges of the
 * big object from the page cache before each warm pass (posix_fadvise DONTNEED), as the machine's
 * memory management drops folios of clean page caches between passes (docs/benchmarks.md, warmpass).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/support/daemons.js';
import type { SeenRequest } from '../test/support/fault-proxy.js';
import { startFaultProxy } from '../test/support/fault-proxy.js';
import { MOUNT, MOUNT_PREFIX, startBenchCluster } from './harness/cluster.js';
import { cpuSecondsOf, numberFlag } from './harness/cpu-seconds.js';
import { writeRandomFile } from './harness/data.js';
import { ACCESS_KEY, BUCKET, endpointOf, gatewayArgs, REGION, SECRET_KEY } from './harness/gateway.js';
import type { Link } from './harness/netns.js';
import { execCounted } from './harness/process.js';
import { startRelayProcess } from './harness/relay-process.js';

const flag = (name: string, fallback: number) => numberFlag(process.argv, name, fallback);
const sizeMiB = flag('--size', 256);
const rtt = flag('--rtt', 20);
const passes = flag('--passes', 3);
const walkFiles = flag('--walk', 0);
const holes = flag('--holes', 0);

const work = await mkdtemp(join(tmpdir(), 'tierfs-warm-pass-'));
const s3Root = join(work, 's3');
await writeRandomFile(join(s3Root, BUCKET, MOUNT_PREFIX, 'big.bin'), sizeMiB * 2 ** 20);
if (walkFiles > 0) {
  const dir = join(s3Root, BUCKET, MOUNT_PREFIX, 'small');
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < walkFiles; i++) {
    await writeFile(join(dir, `f${String(i).padStart(5, '0')}`), randomBytes(4096));
  }
}

const children: ChildProcess[] = [];
const gatewayPort = await freePort();
const gateway = spawn(
  process.execPath,
  gatewayArgs({ root: s3Root, state: join(work, 'gateway-state'), host: '127.0.0.1', port: gatewayPort }),
  { stdio: ['ignore', 'pipe', 'pipe'] },
);
children.push(gateway);
let endpoint = await endpointOf(gateway);
gateway.stdout!.resume();
gateway.stderr!.resume();
const loopback = { wrap: (argv: string[]) => argv, serverAddr: '127.0.0.1' } as unknown as Link;
const relay = rtt > 0 ? await startRelayProcess(loopback, await freePort(), endpoint, rtt / 2) : undefined;
if (relay) endpoint = relay.endpoint;
const proxy = await startFaultProxy(endpoint);
const target = {
  endpoint: proxy.endpoint,
  bucket: BUCKET,
  accessKey: ACCESS_KEY,
  secretKey: SECRET_KEY,
  region: REGION,
};
const cluster = await startBenchCluster(target, { cacheBytes: 2.5 * sizeMiB * 2 ** 20 + 512 * 2 ** 20 });
const home = cluster.daemons.home;
const mnt = join(work, 'mnt');
await mkdir(mnt);
const mounted = await cluster.daemons.tierfs('fuse', 'mount', mnt, MOUNT, '-o', 'debug');
if (mounted.code !== 0) throw new Error(`tierfs fuse mount failed: ${mounted.stderr}`);
const logFile = join(home, 'logs', readdirSync(join(home, 'logs')).find((name) => name.startsWith('fuse'))!);
// `tierfs fuse list`: mount point, tierfs path, pid, ...
const listed = (await cluster.daemons.tierfs('fuse', 'list')).stdout
  .split('\n')
  .find((line) => line.includes(mnt));
const mountPid = Number(listed?.trim().split(/\s+/)[2]);
if (!Number.isInteger(mountPid)) throw new Error(`no pid of the mount in \`tierfs fuse list\`: ${listed}`);

let logAt = 0;
/** Operations the mount logged since the last call, by name (failed ones as name:errno). */
function operationsSince(): Record<string, number> {
  const text = readFileSync(logFile, 'utf8');
  const fresh = text.slice(logAt);
  logAt = text.length;
  const counts: Record<string, number> = {};
  for (const line of fresh.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { op?: string; errno?: string };
    if (!entry.op) continue;
    const key = entry.errno ? `${entry.op}:${entry.errno}` : entry.op;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

async function missingPages(file: string): Promise<number> {
  const r = await execCounted(['fincore', '-b', '-n', '-o', 'RES,SIZE', file], { keep: true });
  const [resident, size] = r.stdout.trim().split(/\s+/).map(Number);
  return Math.ceil((size! - resident!) / 4096);
}

async function dropHoles(file: string, count: number): Promise<void> {
  const step = Math.floor((sizeMiB * 2 ** 20) / count / 131072) * 131072;
  const script = [
    'import os, sys',
    'fd = os.open(sys.argv[1], os.O_RDONLY)',
    `for i in range(${count}): os.posix_fadvise(fd, i * ${step} + 3 * 131072, 131072, os.POSIX_FADV_DONTNEED)`,
  ].join('\n');
  await execCounted(['python3', '-c', script, file]);
}

/** The store's requests by kind: `2× GET /bench/data/small/<file>`. */
function storeRequests(requests: readonly SeenRequest[]): string {
  const kinds = new Map<string, number>();
  for (const r of requests) {
    const key = r.query.has('list-type')
      ? `${r.method} LIST`
      : `${r.method} ${r.path.split('?')[0]!.replace(/\/f\d+$/, '/<file>')}`;
    kinds.set(key, (kinds.get(key) ?? 0) + 1);
  }
  return [...kinds].map(([kind, n]) => `${n}× ${kind}`).join(', ') || 'none';
}

/** Runs `command`, printing what it cost: wall time, the mount's CPU, its operations, the store's requests. */
async function pass(label: string, command: string, before = ''): Promise<void> {
  const from = proxy.requests.length;
  operationsSince();
  const cpu = cpuSecondsOf(mountPid);
  const started = performance.now();
  await execCounted(['sh', '-c', command], { keep: true });
  const ms = performance.now() - started;
  console.log(
    `${label}: ${ms.toFixed(0)} ms, mount CPU ${(cpuSecondsOf(mountPid) - cpu).toFixed(2)} s${before}, ` +
      `mount ${JSON.stringify(operationsSince())}, store ${storeRequests(proxy.requests.slice(from))}`,
  );
}

try {
  const big = join(mnt, 'big.bin');
  for (let n = 0; n < passes; n++) {
    if (n > 0 && holes > 0) await dropHoles(big, holes);
    const missing = n === 0 ? sizeMiB * 256 : await missingPages(big);
    await pass(`dd pass ${n}`, `dd if=${big} of=/dev/null bs=1M 2>&1`, `, ${missing} pages missing before`);
    if (walkFiles > 0) {
      await pass(
        `walk pass ${n}`,
        `cd ${mnt}/small && find . -type f -print0 | xargs -0 -P 16 -n 100 cat | wc -c`,
      );
    }
  }
} finally {
  await cluster.daemons.tierfs('fuse', 'unmount', '--force', mnt).catch(() => undefined);
  await cluster.stop().catch(() => undefined);
  await proxy.close();
  await relay?.stop();
  for (const child of children) child.kill('SIGTERM');
  await rm(work, { recursive: true, force: true });
}
