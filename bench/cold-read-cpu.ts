/**
 * Where a cold read of a big file spends CPU, and whether it keeps the link busy: the same shaped
 * link, S3 gateway and cluster as `npm run bench`, one big object read cold through the client
 * (openFile) and with the AWS SDK (one GetObject), several times each, alternating. For each read:
 * wall time, time to the first byte, the longest gap between two chunks, and the CPU seconds
 * (user + system, from /proc/<pid>/stat) of the worker, the master, the S3 gateway and this process
 * per GiB read; then warm reads through the client and `tierfs fs cat`, with the S3 gateway's CPU
 * meanwhile (a request that crossed the link). CPU per GiB is what a shared machine's load does not change much: compare it
 * before and after a change, with the load average printed beside it.
 *
 *   npm run build --silent && npx tsx bench/cold-read-cpu.ts [--size MiB] [--runs n] [--rtt ms] [--no-netns] [--no-cache] [--profile dir] [--node-options flags]
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { TIERFS_BIN } from '../test/support/cli.js';
import { MOUNT, MOUNT_PREFIX, startBenchCluster } from './harness/cluster.js';
import { drain, expectBytes, objectFile } from './harness/context.js';
import { cpuSecondsOf, numberFlag } from './harness/cpu-seconds.js';
import { writeRandomFile } from './harness/data.js';
import { startS3Server } from './harness/gateway.js';
import { choosePlan, createLink } from './harness/netns.js';
import { sdkClient } from './harness/peers.js';
import { execCounted } from './harness/process.js';
import { startRelayProcess } from './harness/relay-process.js';
import { BIG_KEY } from './harness/scenarios/seq-read.js';

const argv = process.argv.slice(2);
const flag = (name: string, fallback: number) => numberFlag(argv, name, fallback);
const sizeMiB = flag('--size', 512);
const runs = flag('--runs', 3);
const rtt = flag('--rtt', 0);
const size = sizeMiB * 2 ** 20;
const readType = argv.includes('--no-cache') ? 'NO_CACHE' : 'CACHE';

interface Sample {
  seconds: number;
  /** When the read's stream was handed over (openFile / GetObject resolved), ms from the start. */
  opened: number;
  firstByte: number;
  /** The link's receive side (the host's end of the veth): first and last bytes of the read, ms. */
  linkFirst: number;
  linkLast: number;
  /** 100 ms buckets between the link's first and last byte below 90 % of the link's median bucket. */
  slowBuckets: number;
  /** MiB the link and the reader received in each 100 ms from the start. */
  linkCurve: number[];
  readerCurve: number[];
  longestGap: number;
  chunks: number;
  cpu: Record<string, number>;
}

/** Bytes the host's end of the link has received so far (0 without a shaped link). */
function linkBytes(): number {
  try {
    return Number(readFileSync(`/sys/class/net/${plan.hostIf}/statistics/rx_bytes`, 'utf8'));
  } catch {
    return 0;
  }
}

const BUCKET_MS = 100;

async function measure(pids: Record<string, number>, read: () => Promise<Readable>): Promise<Sample> {
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSecondsOf(pid)]));
  const self = process.cpuUsage();
  // The link's counter every 5 ms: when the store's bytes cross it, beside when the reader gets them.
  const linkStart = linkBytes();
  const link: [number, number][] = [];
  const readerBytes: [number, number][] = [];
  const start = performance.now();
  const sampler = setInterval(() => link.push([performance.now() - start, linkBytes() - linkStart]), 5);
  const stream = await read();
  const opened = performance.now() - start;
  let firstByte = -1;
  let last = 0;
  let longestGap = 0;
  let bytes = 0;
  let chunks = 0;
  for await (const chunk of stream) {
    const now = performance.now();
    if (firstByte < 0) firstByte = now - start;
    else longestGap = Math.max(longestGap, now - last);
    last = now;
    bytes += (chunk as Buffer).length;
    readerBytes.push([now - start, bytes]);
    chunks++;
  }
  const seconds = (performance.now() - start) / 1000;
  clearInterval(sampler);
  link.push([performance.now() - start, linkBytes() - linkStart]);
  if (bytes !== size) throw new Error(`read ${bytes} bytes, expected ${size}`);
  const used = process.cpuUsage(self);
  const cpu: Record<string, number> = {};
  for (const [k, pid] of Object.entries(pids)) cpu[k] = cpuSecondsOf(pid) - before[k]!;
  cpu.reader = (used.user + used.system) / 1e6;
  const total = link.at(-1)![1];
  // First byte: 64 KiB past the start (request and handshake packets are not the read); last: 99.99 %.
  const linkFirst = link.find(([, b]) => b > 64 * 1024)?.[0] ?? -1;
  const linkLast = link.find(([, b]) => b >= total * 0.9999)?.[0] ?? -1;
  const linkCurve = curve(link, seconds * 1000);
  const readerCurve = curve(readerBytes, seconds * 1000);
  const from = Math.ceil(linkFirst / BUCKET_MS);
  const to = Math.floor(linkLast / BUCKET_MS);
  const middle = linkCurve.slice(from, to).sort((a, b) => a - b);
  const median = middle[Math.floor(middle.length / 2)] ?? 0;
  const slowBuckets = linkCurve.slice(from, to).filter((v) => v < 0.9 * median).length;
  return {
    seconds,
    opened,
    firstByte,
    linkFirst,
    linkLast,
    slowBuckets,
    linkCurve,
    readerCurve,
    longestGap,
    chunks,
    cpu,
  };
}

/** MiB received in each BUCKET_MS from the start, from cumulative [ms, bytes] samples. */
function curve(samples: [number, number][], ms: number): number[] {
  const out: number[] = [];
  let i = 0;
  let previous = 0;
  for (let t = BUCKET_MS; t < ms + BUCKET_MS; t += BUCKET_MS) {
    let upTo = previous;
    while (i < samples.length && samples[i]![0] <= t) upTo = samples[i++]![1];
    out.push((upTo - previous) / 2 ** 20);
    previous = upTo;
  }
  return out;
}

function line(label: string, s: Sample): string {
  const perGiB = (v: number) => (v / (size / 2 ** 30)).toFixed(2);
  const cpu = Object.entries(s.cpu)
    .map(([k, v]) => `${k} ${perGiB(v)}`)
    .join(', ');
  const ms = (v: number) => `${v.toFixed(0)} ms`;
  const head = (c: number[]) =>
    c
      .slice(0, 8)
      .map((v) => v.toFixed(1))
      .join(' ');
  const tail = (c: number[]) =>
    c
      .slice(-5)
      .map((v) => v.toFixed(1))
      .join(' ');
  const timeline = `\n  timeline: opened ${ms(s.opened)}, link first byte ${ms(s.linkFirst)}, reader first byte ${ms(s.firstByte)}, link last byte ${ms(s.linkLast)}, reader last byte ${ms(s.seconds * 1000)}; ${s.slowBuckets} slow 100 ms buckets between\n  MiB per 100 ms, first 0.8 s: link ${head(s.linkCurve)} | reader ${head(s.readerCurve)}\n  last 0.5 s: link ${tail(s.linkCurve)} | reader ${tail(s.readerCurve)}`;
  return `${label.padEnd(10)} ${s.seconds.toFixed(2)} s (${(sizeMiB / s.seconds).toFixed(0)} MiB/s), first byte ${s.firstByte.toFixed(0)} ms, longest gap ${s.longestGap.toFixed(0)} ms, ${(size / s.chunks / 1024).toFixed(0)} KiB/chunk; CPU s/GiB: ${cpu}; load ${loadavg()[0]!.toFixed(1)}${timeline}`;
}

const base = await mkdtemp(join(tmpdir(), 'tierfs-cold-cpu-'));
const plan = choosePlan(process.env.TIERFS_BENCH_SLOT, '1gbit');
const link = createLink(plan, {
  disabled: argv.includes('--no-netns'),
});
const s3Root = join(base, 's3');
await mkdir(join(s3Root, 'bench'), { recursive: true });
const server = await startS3Server(link, s3Root, join(base, 'gateway-state'));
const relay = rtt > 0 ? await startRelayProcess(link, 9810, server.target.endpoint, rtt / 2) : undefined;
const target = relay ? { ...server.target, endpoint: relay.endpoint } : server.target;
// Written before the cluster starts, as `npm run bench` does: the first read comes right after the mount.
await writeRandomFile(objectFile({ s3Root, target }, BIG_KEY), size);
// --profile <dir>: the daemons write CPU profiles there when they stop (see harness/cpu-profiler.cjs).
const profileDir = argv.includes('--profile') ? argv[argv.indexOf('--profile') + 1] : undefined;
// --node-options '<flags>': given to the daemons (NODE_OPTIONS), e.g. to try V8 heap settings.
const nodeOptions = [
  ...(argv.includes('--node-options') ? [argv[argv.indexOf('--node-options') + 1]!] : []),
  ...(profileDir ? [`--require ${join(import.meta.dirname, 'harness', 'cpu-profiler.cjs')}`] : []),
].join(' ');
const cluster = await startBenchCluster(target, {
  cacheBytes: 2 * size + 256 * 2 ** 20,
  env: {
    ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
    ...(profileDir ? { TIERFS_BENCH_PROFILE_DIR: profileDir } : {}),
  },
});
try {
  const pids = {
    worker: cluster.daemons.pid('worker'),
    master: cluster.daemons.pid('master'),
    gateway: server.pid,
  };
  const sdk = sdkClient(target, 16);
  console.log(`${link.description}; ${sizeMiB} MiB, ${rtt} ms RTT, node ${process.version}`);
  // --settle <ms>: wait this long after the cluster started before the first read.
  await new Promise((resolve) => setTimeout(resolve, flag('--settle', 0)));
  for (let run = 0; run < runs; run++) {
    await cluster.makeCold();
    console.log(
      line('tierfs', await measure(pids, () => cluster.client.openFile(`${MOUNT}/${BIG_KEY}`, { readType }))),
    );
    const key = `${MOUNT_PREFIX}/${BIG_KEY}`;
    console.log(
      line(
        'SDK',
        await measure(
          pids,
          async () =>
            (await sdk.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }))).Body as Readable,
        ),
      ),
    );
  }
  // Then warm reads (every page cached): whatever CPU the S3 gateway spends meanwhile is a request
  // that crossed the link, which a warm read should never send.
  const gatewayCpu = () => cpuSecondsOf(server.pid);
  for (let run = 0; run < runs; run++) {
    for (const [label, read] of [
      [
        'client',
        async () =>
          expectBytes('client', await drain(await cluster.client.openFile(`${MOUNT}/${BIG_KEY}`)), size),
      ],
      [
        'fs cat',
        async () => {
          const cmd = [process.execPath, TIERFS_BIN, 'fs', 'cat', `${MOUNT}/${BIG_KEY}`];
          const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' };
          expectBytes(
            'fs cat',
            (await execCounted(cmd, { cwd: cluster.daemons.home, env })).stdoutBytes,
            size,
          );
        },
      ],
    ] as const) {
      const cpu = gatewayCpu();
      const started = performance.now();
      await read();
      console.log(
        `warm ${label.padEnd(6)} ${((performance.now() - started) / 1000).toFixed(3)} s; S3 gateway CPU meanwhile ${(gatewayCpu() - cpu).toFixed(2)} s; load ${loadavg()[0]!.toFixed(1)}`,
      );
    }
  }
  sdk.destroy();
} finally {
  await cluster.stop();
  await relay?.stop();
  await server.stop();
  link.teardown();
  await rm(base, { recursive: true, force: true });
}
