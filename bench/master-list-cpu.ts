/**
 * The master's CPU per cold listing: the bench's S3 gateway over a local directory of `--count`
 * empty objects (10,000 by default), the cluster of `npm run bench`, and `--runs` cold
 * `client.list`s of the directory. For each: wall time, the CPU seconds (user + system, from
 * /proc/<pid>/stat) of the master, the worker and the S3 gateway, and the client's pages' arrival
 * times; then the AWS SDK's ListObjectsV2 loop on the same gateway for the store's own page times.
 * CPU per listing is what a shared machine's load does not change much: compare builds A B A B.
 *
 * `--rtt ms` puts the bench's delay relay (harness/relay-process.ts) between every tool and the
 * gateway, on loopback (no network namespace): each direction's bytes held for half of it.
 * `--no-marker` deletes the directory's marker (`list/`) before each cold listing, as on a bucket
 * whose prefixes have none: the listing then writes one (a breadcrumb).
 *
 *   npm run build --silent && npx tsx bench/master-list-cpu.ts [--count n] [--runs n] [--rtt ms] [--no-marker] [--profile dir]
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { MOUNT, MOUNT_PREFIX, startBenchCluster } from './harness/cluster.js';
import { cpuSecondsOf, numberFlag } from './harness/cpu-seconds.js';
import { startS3Server } from './harness/gateway.js';
import { choosePlan, createLink } from './harness/netns.js';
import { sdkClient } from './harness/peers.js';
import { startRelayProcess } from './harness/relay-process.js';

const argv = process.argv.slice(2);
const flag = (name: string, fallback: number) => numberFlag(argv, name, fallback);
const count = flag('--count', 10_000);
const runs = flag('--runs', 4);
const rtt = flag('--rtt', 0);
const noMarker = argv.includes('--no-marker');

const base = await mkdtemp(join(tmpdir(), 'tierfs-master-list-'));
const plan = choosePlan(process.env.TIERFS_BENCH_SLOT, '1gbit');
const link = createLink(plan, { disabled: true });
const s3Root = join(base, 's3');
const dir = join(s3Root, 'bench', MOUNT_PREFIX, 'list');
await mkdir(dir, { recursive: true });
for (let i = 0; i < count; i++) await writeFile(join(dir, `o-${String(i).padStart(6, '0')}.bin`), '');
const gateway = await startS3Server(link, s3Root, join(base, 'gateway-state'));
// On loopback, so a port of its own per run: several engineers' benches share the host.
const relay =
  rtt > 0
    ? await startRelayProcess(link, 20_000 + (process.pid % 20_000), gateway.target.endpoint, rtt / 2)
    : undefined;
const server = relay ? { ...gateway, target: { ...gateway.target, endpoint: relay.endpoint } } : gateway;
console.log(
  `${count} objects, ${rtt > 0 ? `${rtt} ms RTT (relay)` : 'no delay'}${noMarker ? ', no marker' : ''}`,
);
const profileDir = argv.includes('--profile') ? argv[argv.indexOf('--profile') + 1] : undefined;
const cluster = await startBenchCluster(server.target, {
  cacheBytes: 2 ** 28,
  env: profileDir
    ? {
        NODE_OPTIONS: `--require ${join(import.meta.dirname, 'harness', 'cpu-profiler.cjs')}`,
        TIERFS_BENCH_PROFILE_DIR: profileDir,
      }
    : undefined,
});
try {
  const pids = {
    master: cluster.daemons.pid('master'),
    worker: cluster.daemons.pid('worker'),
    gateway: server.pid,
  };
  const ms = (v: number) => v.toFixed(0);
  const sdk = sdkClient(server.target, 1);
  for (let run = 0; run < runs; run++) {
    await cluster.makeCold();
    if (noMarker) {
      await sdk.send(new DeleteObjectCommand({ Bucket: server.target.bucket, Key: `${MOUNT_PREFIX}/list/` }));
    }
    const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSecondsOf(pid)]));
    const start = performance.now();
    const pages: number[] = [];
    let n = 0;
    let lastPage = -1;
    for await (const _ of cluster.client.list(`${MOUNT}/list`)) {
      n++;
      // The client yields a page's entries together: a gap of over 1 ms marks a new page.
      const now = performance.now() - start;
      if (now - lastPage > 1) pages.push(now);
      lastPage = now;
    }
    const seconds = (performance.now() - start) / 1000;
    if (n !== count) throw new Error(`listed ${n} entries, expected ${count}`);
    const cpu = Object.entries(pids)
      .map(([k, pid]) => `${k} ${(cpuSecondsOf(pid) - before[k]!).toFixed(2)} s`)
      .join(', ');
    console.log(
      `cold client.list ${seconds.toFixed(2)} s; CPU: ${cpu}; load ${loadavg()[0]!.toFixed(1)}\n  entries at ms: ${pages.map(ms).join(' ')}`,
    );
  }
  for (let run = 0; run < 2; run++) {
    const gateway = cpuSecondsOf(server.pid);
    const start = performance.now();
    const pages: number[] = [];
    let token: string | undefined;
    let n = 0;
    do {
      const page = await sdk.send(
        new ListObjectsV2Command({
          Bucket: server.target.bucket,
          Prefix: `${MOUNT_PREFIX}/list/`,
          Delimiter: '/',
          ContinuationToken: token,
        }),
      );
      n += page.Contents?.length ?? 0;
      pages.push(performance.now() - start);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    console.log(
      `SDK ListObjectsV2 ${((performance.now() - start) / 1000).toFixed(2)} s (${n} keys); gateway CPU ${(cpuSecondsOf(server.pid) - gateway).toFixed(2)} s; load ${loadavg()[0]!.toFixed(1)}\n  pages at ms: ${pages.map(ms).join(' ')}`,
    );
  }
  sdk.destroy();
} finally {
  await cluster.stop();
  await relay?.stop();
  await gateway.stop();
  link.teardown();
  await rm(base, { recursive: true, force: true });
}
