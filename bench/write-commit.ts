/**
 * The commit of a CACHE_THROUGH/THROUGH write to S3, the two ways, in one run against an S3 server
 * over local disk (tierfs's own S3 gateway, the server `npm run bench` uses, or s3rver in its own
 * process), interleaved: `complete` is what workers and the master do now (parts
 * uploaded to the file's own key, the upload left open, then CompleteMultipartUpload); `copy` is
 * what they did before (parts to a temporary key, completed there, then a CopyObject over the file).
 * Prints the median time of the upload, of the commit and of both per way, and the ratio
 * copy / complete of the totals (above 1: completing is faster).
 *
 *   npx tsx bench/write-commit.ts [sizeMiB=512] [runs=3] [gateway|s3rver]
 *
 * s3rver completes an upload by concatenating its parts into a new file and copies by a file copy
 * (cheap in its page cache): there completing costs as much as copying. On S3 (and the tierfs
 * gateway) completing is cheap and a copy moves every byte again.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { UnderStore } from '../src/ufs/contract.js';
import { FileSystem } from '../src/ufs/registry.js';
import '../src/ufs/drivers.js';
import { ACCESS_KEY, SECRET_KEY, startGateway } from '../test/gateway/harness.js';
import { s3rverStore, startS3rver } from '../test/support/s3rver.js';
import { generated } from './harness/generated.js';

const MiB = 1024 * 1024;
const sizeMiB = Number(process.argv[2] ?? 512);
const runs = Number(process.argv[3] ?? 3);
const serverKind = process.argv[4] ?? 'gateway';

const seconds = (since: number) => (performance.now() - since) / 1000;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** One write of the file the given way; resolves to [upload seconds, commit seconds]. */
async function writeOnce(store: UnderStore, way: 'complete' | 'copy'): Promise<[number, number]> {
  const temporary = `bench/.tierfs-write.${randomUUID()}`;
  const started = performance.now();
  const out = await store.create(temporary, {
    overwrite: true,
    parentExists: true,
    noStatus: true,
    ...(way === 'complete' ? { commitTo: 'bench/file.bin' } : {}),
  });
  await pipeline(generated(sizeMiB * MiB), out);
  const uploaded = seconds(started);
  const committing = performance.now();
  const size = sizeMiB * MiB;
  const status =
    way === 'complete'
      ? await store.completeUpload!('bench/file.bin', out.pendingUpload!, { size })
      : await store.moveOver!(temporary, 'bench/file.bin', { size });
  if (status.size !== size) throw new Error(`${way}: ${status.size} bytes at the key, expected ${size}`);
  return [uploaded, seconds(committing)];
}

async function startServer(): Promise<{ store: UnderStore; close: () => Promise<void> }> {
  if (serverKind === 's3rver') {
    const server = await startS3rver();
    const store = await s3rverStore(server.endpoint);
    return { store, close: () => server.close() };
  }
  const gateway = await startGateway();
  mkdirSync(join(gateway.root, 'bench'));
  const store = await FileSystem.get('s3://bench/data/', {
    'tierfs.underfs.s3.endpoint': gateway.endpoint,
    'tierfs.underfs.s3.disable.dns.buckets': 'true',
    'tierfs.underfs.s3.inherit.acl': 'false',
    'aws.accessKeyId': ACCESS_KEY,
    'aws.secretKey': SECRET_KEY,
  });
  return { store, close: () => gateway.stop() };
}

const { store, close } = await startServer();
const load = loadavg().map((l) => l.toFixed(2));
const times: Record<'complete' | 'copy', [number, number][]> = { complete: [], copy: [] };
try {
  for (let run = 0; run < runs; run++) {
    for (const way of run % 2 === 0 ? (['complete', 'copy'] as const) : (['copy', 'complete'] as const)) {
      times[way].push(await writeOnce(store, way));
    }
  }
  const summary = (way: 'complete' | 'copy') => ({
    uploadS: Number(median(times[way].map(([u]) => u)).toFixed(2)),
    commitS: Number(median(times[way].map(([, c]) => c)).toFixed(2)),
    totalS: Number(median(times[way].map(([u, c]) => u + c)).toFixed(2)),
  });
  const complete = summary('complete');
  const copy = summary('copy');
  console.log(
    JSON.stringify({
      target:
        serverKind === 's3rver' ? 's3rver (child process, local disk)' : 'tierfs S3 gateway (local disk)',
      size: `${sizeMiB} MiB`,
      runs,
      loadAverageBefore: load,
      loadAverageAfter: loadavg().map((l) => l.toFixed(2)),
      complete,
      copy,
      ratioCopyOverComplete: Number((copy.totalS / complete.totalS).toFixed(2)),
    }),
  );
} finally {
  await store.delete('bench', { recursive: true }).catch(() => undefined);
  await store.close();
  await close();
}
