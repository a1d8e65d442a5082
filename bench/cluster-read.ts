/**
 * Reads of a 1 GiB file through a local tierfs cluster (master and worker as separate processes,
 * started with `tierfs start local`), against the baselines the issue names, in the same run:
 *   warm  - the file already in the worker's page cache, vs `cat file > /dev/null` from disk
 *   cold  - the file only in the under store, vs a direct read of it from the same under store
 *           (LocalUnderStore.open), which is what a program without tierfs would do
 *
 *   npm run build && npx tsx bench/cluster-read.ts [sizeMiB]
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { LocalUnderStore } from '../src/ufs/local/local-store.js';
import { daemonHome } from '../test/support/daemons.js';

const MiB = 1024 * 1024;
const size = Number(process.argv[2] ?? 1024) * MiB;

async function drain(stream: AsyncIterable<unknown>): Promise<number> {
  let bytes = 0;
  for await (const chunk of stream) bytes += (chunk as Buffer).length;
  return bytes;
}

async function timed(label: string, run: () => Promise<number>): Promise<number> {
  const start = performance.now();
  const bytes = await run();
  const seconds = (performance.now() - start) / 1000;
  if (bytes !== size) throw new Error(`${label}: read ${bytes} bytes, expected ${size}`);
  const rate = bytes / MiB / seconds;
  console.log(`${label.padEnd(44)} ${rate.toFixed(0).padStart(6)} MiB/s  (${seconds.toFixed(2)} s)`);
  return rate;
}

const cluster = await daemonHome([`tierfs.worker.page.store.sizes=${Math.ceil((size * 1.3) / MiB)}MB`]);
try {
  await cluster.tierfs('format');
  const started = await cluster.tierfs('start', 'local');
  if (started.code !== 0) throw new Error(started.stderr);
  const file = join(cluster.ufs, 'big.bin');
  const out = createWriteStream(file);
  const block = randomBytes(8 * MiB);
  for (let written = 0; written < size; written += block.length) {
    if (!out.write(block.subarray(0, Math.min(block.length, size - written))))
      await new Promise<void>((r) => out.once('drain', () => r()));
  }
  out.end();
  await finished(out);
  spawnSync('cat', [file], { stdio: ['ignore', 'ignore', 'inherit'] }); // Warm the OS page cache for both sides.

  const client = cluster.client('admin');
  const direct = new LocalUnderStore({ root: cluster.ufs });
  console.log(
    `file: ${size / MiB} MiB; machine: ${process.platform} ${process.arch}, node ${process.version}`,
  );
  const directRate = await timed('direct read from the under store (baseline)', async () =>
    drain(await direct.open('big.bin')),
  );
  const coldRate = await timed('tierfs cold read (fills the cache)', async () =>
    drain(await client.openFile('/big.bin')),
  );
  const catRate = await timed('cat file > /dev/null (baseline)', async () => {
    const start = spawnSync('sh', ['-c', `cat '${file}' > /dev/null`]);
    if (start.status !== 0) throw new Error('cat failed');
    return size;
  });
  const warmRate = await timed('tierfs warm read (from the page cache)', async () =>
    drain(await client.openFile('/big.bin')),
  );
  console.log('');
  console.log(`warm read / cat:           ${(warmRate / catRate).toFixed(2)}x`);
  console.log(`cold read / direct read:   ${(coldRate / directRate).toFixed(2)}x`);
} finally {
  await cluster.stop();
}
