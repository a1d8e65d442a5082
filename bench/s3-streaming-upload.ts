/**
 * Streaming upload of a 1 GiB generated file to s3rver (its own process, on local disk) through the
 * S3 store, sampling this process's RSS: with streaming upload, memory must stay bounded by the
 * partitions in flight (they are staged in temp files), not by the file size. Prints the peak RSS,
 * the partition size and their ratio; exits 1 when the peak reaches 4 × the partition size.
 *
 *   npx tsx bench/s3-streaming-upload.ts [sizeMiB=1024] [partition=64MB] [threads=20]
 */
import { pipeline } from 'node:stream/promises';
import { parseBytes } from '../src/config/types.js';
import { s3rverStore, startS3rver } from '../test/support/s3rver.js';
import { generated } from './harness/generated.js';

const MiB = 1024 * 1024;
const sizeMiB = Number(process.argv[2] ?? 1024);
const partition = process.argv[3] ?? '64MB';
const threads = process.argv[4] ?? '20';
const partitionBytes = parseBytes(partition);

const server = await startS3rver();
const store = await s3rverStore(server.endpoint, {
  'tierfs.underfs.s3.streaming.upload.enabled': 'true',
  'tierfs.underfs.s3.streaming.upload.partition.size': partition,
  'tierfs.underfs.s3.upload.threads.max': threads,
});
let peak = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 20);
const started = performance.now();
try {
  await pipeline(generated(sizeMiB * MiB), await store.create('bench/1gib.bin'));
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);
  const status = await store.getStatus('bench/1gib.bin');
  if (status.size !== sizeMiB * MiB)
    throw new Error(`uploaded ${status.size} bytes, expected ${sizeMiB * MiB}`);
  const ratio = peak / partitionBytes;
  console.log(
    JSON.stringify({
      target: 's3rver (child process, local disk)',
      size: `${sizeMiB} MiB`,
      partitionSize: `${partitionBytes / MiB} MiB`,
      uploadThreads: Number(threads),
      peakRssMiB: Math.round(peak / MiB),
      ratio: Number(ratio.toFixed(2)),
      seconds: Number(seconds.toFixed(1)),
      throughputMiBps: Number((sizeMiB / seconds).toFixed(1)),
    }),
  );
  process.exitCode = ratio < 4 ? 0 : 1;
} finally {
  clearInterval(sampler);
  await store.delete('bench', { recursive: true }).catch(() => undefined);
  await store.close();
  await server.close();
}
