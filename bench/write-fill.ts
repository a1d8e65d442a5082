/**
 * What caching a big write's pages costs the worker while the write runs: the pages of a 1 GiB
 * write arriving at the link's pace (default 85 MiB/s, a page every ~12 ms) handed to a page store
 * laid out as the worker's default one (a 1 GiB MEM tier on a RAM disk in front of a DISK tier),
 * without waiting, as a CACHE_THROUGH write does (src/worker/page-fill.ts). It reports, for the
 * time the write runs: pages moved MEM → DISK, bytes written to DISK, the process's CPU time and
 * the worst event-loop delay (what the upload, on the same loop and cores, loses); then what the
 * store does once the write is over. Not part of `npm test`:
 *
 *   npx tsx bench/write-fill.ts [page-store module] [MiB/s]
 *
 * The module (default ../src/cache/page-store.js) lets two versions of the page store be compared
 * on the same machine in the same minute (e.g. one from `git archive <commit> src`).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import type { PageStore as PageStoreType } from '../src/cache/page-store.js';

const MiB = 1024 * 1024;
const PAGES = 1024;
const MEM_QUOTA = 1024 * MiB;

async function main(): Promise<void> {
  const modulePath = process.argv[2];
  const rate = Number(process.argv[3] ?? 85);
  const { PageStore } = (await import(
    modulePath ? pathToFileURL(resolve(modulePath)).href : '../src/cache/page-store.js'
  )) as { PageStore: typeof PageStoreType };
  const dir = await mkdtemp(join(tmpdir(), 'tierfs-write-fill-'));
  const ram = `/dev/shm/tierfs-write-fill-${process.pid}`;
  const store = await PageStore.open({
    pageSize: MiB,
    mem: { quota: MEM_QUOTA, path: ram },
    disk: { dirs: [{ path: join(dir, 'disk'), quota: 3 * MEM_QUOTA }] },
  });
  // Distinct chunks, as a write's are (a page adopted by the store must not be written to again).
  const source = randomBytes(64 * MiB);
  const delay = monitorEventLoopDelay({ resolution: 5 });
  try {
    const interval = 1000 / rate;
    const cpu = process.cpuUsage();
    const started = performance.now();
    delay.enable();
    const puts: Promise<boolean>[] = [];
    for (let i = 0; i < PAGES; i++) {
      const due = started + i * interval;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const at = (i % 64) * MiB;
      puts.push(store.put('write-fill', i, [Buffer.from(source.subarray(at, at + MiB))], { adopt: true }));
    }
    await Promise.all(puts);
    delay.disable();
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const during = store.stats();
    const usage = store.usage();
    console.log(`${modulePath ?? 'src/cache/page-store.js'}: ${PAGES} pages of 1 MiB at ${rate} MiB/s`);
    console.log(`  write took            ${seconds.toFixed(2)} s (pace ${(PAGES / rate).toFixed(2)} s)`);
    console.log(`  CPU during the write  ${((used.user + used.system) / 1e6).toFixed(2)} s`);
    console.log(
      `  worst loop delay      ${(delay.max / 1e6).toFixed(1)} ms (p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms)`,
    );
    console.log(`  demoted during it     ${during.demotions} pages`);
    console.log(`  DISK bytes during it  ${((during.tiers.DISK?.bytesWritten ?? 0) / MiB).toFixed(0)} MiB`);
    console.log(
      `  after it: MEM ${(usage.MEM!.used / MiB).toFixed(0)} MiB, DISK ${(usage.DISK!.used / MiB).toFixed(0)} MiB`,
    );
    await sleep(2000); // idle: a background demotion runs now
    await store.flush();
    const later = store.usage();
    console.log(
      `  2 s later: demoted ${store.stats().demotions} pages; MEM ${(later.MEM!.used / MiB).toFixed(0)} MiB, DISK ${(later.DISK!.used / MiB).toFixed(0)} MiB`,
    );
  } finally {
    await store.close({ removeMemDir: true });
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
