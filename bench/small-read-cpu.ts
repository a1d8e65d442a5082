/**
 * CPU per process for reading many small objects, cold and warm: what `npm run bench`'s
 * small-read scenario times, measured as CPU time (utime + stime from /proc) of the master, the
 * worker, the S3 gateway and this client process, which moves far less with the load of a shared
 * machine than wall time does. No shaped link: plain loopback, no root needed. The baseline in the
 * same run is the AWS SDK GETting the same objects (16 in flight) in this process: its CPU is what
 * a peer spends per small object. "tierfs warm, no short-circuit" is the same warm read by a client
 * with short-circuit reads off (every small read served by the worker through its data port, 16 per
 * batch request): what the short-circuit batches and their reads ahead save.
 *
 *   npm run build && npx tsx bench/small-read-cpu.ts [--count 4000] [--runs 3]
 */
import { writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { type ListedFile, TierfsClient } from '../src/client/client.js';
import { forEachLimited } from '../src/ufs/object/concurrency.js';
import { MOUNT, MOUNT_PREFIX, startBenchCluster } from './harness/cluster.js';
import { cpuSecondsOf } from './harness/cpu-seconds.js';
import { startS3Server } from './harness/gateway.js';
import type { Link } from './harness/netns.js';
import { sdkClient } from './harness/peers.js';

const option = (name: string, fallback: number) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const COUNT = option('--count', 4000);
const RUNS = option('--runs', 3);
// --warm-only: after one cold pass, only warm passes (RUNS of them), no peer: what a profile of the
// warm path wants. --profile <dir>: master and worker write CPU profiles there when they stop
// (harness/cpu-profiler.cjs), and this process writes client.cpuprofile of its warm passes.
const WARM_ONLY = process.argv.includes('--warm-only');
const PROFILE_DIR = process.argv.includes('--profile')
  ? process.argv[process.argv.indexOf('--profile') + 1]
  : undefined;
const SIZE = 4096;
const LANES = 16;

/** CPU milliseconds (user + system) a process has used so far. */
function cpuMs(pid: number): number {
  return cpuSecondsOf(pid) * 1000;
}

async function drain(body: Readable): Promise<number> {
  let n = 0;
  for await (const chunk of body) n += (chunk as Buffer).length;
  return n;
}

const base = await mkdtemp(join(tmpdir(), 'tierfs-small-cpu-'));
const root = join(base, 'root');
const dir = join(root, 'bench', MOUNT_PREFIX, 'small');
await mkdir(dir, { recursive: true });
for (let i = 0; i < COUNT; i++) {
  await writeFile(join(dir, `f-${String(i).padStart(6, '0')}.bin`), Buffer.alloc(SIZE, i & 0xff));
}
const loopback = { wrap: (argv: readonly string[]) => [...argv], serverAddr: '127.0.0.1' } as unknown as Link;
const server = await startS3Server(loopback, root, join(base, 'state'), 20_000 + (process.pid % 1000));
const cluster = await startBenchCluster(server.target, {
  cacheBytes: 256 * 2 ** 20,
  ...(PROFILE_DIR
    ? {
        env: {
          NODE_OPTIONS: `--require ${join(import.meta.dirname, 'harness', 'cpu-profiler.cjs')}`,
          TIERFS_BENCH_PROFILE_DIR: PROFILE_DIR,
        },
      }
    : {}),
});
const pids = {
  master: cluster.daemons.pid('master'),
  worker: cluster.daemons.pid('worker'),
  gateway: server.pid,
};

const noShortCircuit = new TierfsClient({ masterAddress: cluster.client.masterAddress, shortCircuit: false });

async function tierfsRead(client = cluster.client): Promise<void> {
  const files: ListedFile[] = [];
  for await (const entry of client.listForRead(`${MOUNT}/small`))
    if (!entry.status.isDirectory) files.push(entry);
  let bytes = 0;
  await forEachLimited(files, LANES, async (file) => {
    const n = await drain(await client.readListed(file)); // not `bytes += await`: lanes overlap
    bytes += n;
  });
  if (bytes !== COUNT * SIZE)
    throw new Error(`read ${bytes} bytes of ${files.length} files listed, expected ${COUNT * SIZE}`);
}

const sdk = sdkClient(server.target, LANES);
async function sdkRead(): Promise<void> {
  const prefix = `${MOUNT_PREFIX}/small/`;
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await sdk.send(
      new ListObjectsV2Command({ Bucket: server.target.bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) keys.push(o.Key!);
    token = page.NextContinuationToken;
  } while (token);
  let bytes = 0;
  await forEachLimited(keys, LANES, async (key) => {
    const out = await sdk.send(new GetObjectCommand({ Bucket: server.target.bucket, Key: key }));
    const n = await drain(out.Body as Readable);
    bytes += n;
  });
  if (bytes !== COUNT * SIZE) throw new Error(`the SDK read ${bytes} bytes, expected ${COUNT * SIZE}`);
}

interface Sample {
  wallMs: number;
  cpuMs: Record<string, number>;
}

async function measure(run: () => Promise<void>): Promise<Sample> {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMs(pid)]));
  const self = process.cpuUsage();
  const started = performance.now();
  await run();
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(self);
  const cpu: Record<string, number> = { client: (used.user + used.system) / 1000 };
  for (const [name, pid] of Object.entries(pids)) cpu[name] = cpuMs(pid) - before[name]!;
  return { wallMs, cpuMs: cpu };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const samples: Record<string, Sample[]> = {
  'tierfs cold': [],
  'tierfs warm': [],
  'tierfs warm, no short-circuit': [],
  'AWS SDK': [],
};
try {
  if (WARM_ONLY) {
    await cluster.makeCold();
    samples['tierfs cold']!.push(await measure(() => tierfsRead()));
    await tierfsRead(); // JIT warm-up of the warm path
    const session = PROFILE_DIR ? new Session() : undefined;
    const post = (method: string, params?: object) =>
      new Promise<unknown>((resolve, reject) =>
        session!.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result))),
      );
    if (session) {
      session.connect();
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 500 });
      await post('Profiler.start');
    }
    const warmFrom = process.hrtime.bigint() / 1000n; // the profiles' clock (µs, monotonic)
    for (let i = 0; i < RUNS; i++) samples['tierfs warm']!.push(await measure(() => tierfsRead()));
    if (PROFILE_DIR)
      writeFileSync(
        join(PROFILE_DIR, 'warm-window.json'),
        JSON.stringify({ fromUs: Number(warmFrom), toUs: Number(process.hrtime.bigint() / 1000n), pids }),
      );
    if (session) {
      const { profile } = (await post('Profiler.stop')) as { profile: object };
      writeFileSync(join(PROFILE_DIR!, 'client.cpuprofile'), JSON.stringify(profile));
    }
  }
  for (let i = 0; i < (WARM_ONLY ? 0 : RUNS); i++) {
    await cluster.makeCold();
    samples['tierfs cold']!.push(await measure(() => tierfsRead()));
    samples['tierfs warm']!.push(await measure(() => tierfsRead()));
    samples['tierfs warm, no short-circuit']!.push(await measure(() => tierfsRead(noShortCircuit)));
    samples['AWS SDK']!.push(await measure(sdkRead));
  }
} finally {
  await cluster.stop();
  await server.stop();
  await rm(base, { recursive: true, force: true });
}

if (WARM_ONLY) {
  const warm = samples['tierfs warm']!;
  console.log(`warm passes, wall ms: ${warm.map((s) => s.wallMs.toFixed(0)).join(' ')}`);
  console.log(
    `warm passes, CPU ms client+master+worker: ${warm.map((s) => (s.cpuMs.client! + s.cpuMs.master! + s.cpuMs.worker!).toFixed(0)).join(' ')}`,
  );
}
const sdkCpu = WARM_ONLY ? Number.NaN : median(samples['AWS SDK']!.map((s) => s.cpuMs.client!));
console.log(`${COUNT} objects of ${SIZE} B, ${LANES} in flight, ${RUNS} runs; medians (CPU ms)`);
console.log('| what | wall | client | master | worker | gateway | tierfs CPU vs the SDK client |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const [what, runs] of Object.entries(samples)) {
  if (runs.length === 0) continue;
  const m = (name: string) => median(runs.map((s) => s.cpuMs[name] ?? 0));
  const tierfs = what === 'AWS SDK' ? undefined : m('client') + m('master') + m('worker');
  console.log(
    `| ${what} | ${median(runs.map((s) => s.wallMs)).toFixed(0)} | ${m('client').toFixed(0)} | ` +
      `${what === 'AWS SDK' ? '-' : m('master').toFixed(0)} | ${what === 'AWS SDK' ? '-' : m('worker').toFixed(0)} | ` +
      `${m('gateway').toFixed(0)} | ${tierfs === undefined ? '1.00×' : `${(sdkCpu / tierfs).toFixed(2)}×`} |`,
  );
}
