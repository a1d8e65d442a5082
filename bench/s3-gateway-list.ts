/**
 * CPU of the S3 gateway per listing of a 10,000-object directory: a real `tierfs gateway --protocol
 * s3 --root <dir>` child process, listed by the AWS SDK's ListObjectsV2 loop (1,000 keys a page),
 * and by `max-keys=1` requests. The gateway's CPU (utime + stime from /proc/<pid>/stat) is read
 * before and after each listing: load-insensitive, unlike wall time on a shared machine. Given
 * several tierfs builds (`bin/tierfs.js` of each), they are measured in turns (A B A B) over the
 * same directory, each against the first.
 *
 *   npx tsx bench/s3-gateway-list.ts [--objects 10000] [--rounds 3] [bin/tierfs.js ...]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { cpuSecondsOf } from './harness/cpu-seconds.js';
import { ACCESS_KEY, endpointOf, gatewayArgs, REGION, SECRET_KEY } from './harness/gateway.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const [value] = args.splice(at, 2).slice(1);
  return Number(value);
};
const objects = option('--objects', 10_000);
const rounds = option('--rounds', 3);
const builds = args.length > 0 ? args : [join(import.meta.dirname, '../bin/tierfs.js')];
async function startGateway(bin: string, root: string, state: string) {
  const child = spawn(process.execPath, gatewayArgs({ bin, root, state, host: '127.0.0.1', port: 0 }), {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const client = new S3Client({
    endpoint: await endpointOf(child),
    region: REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
  });
  return { child, client };
}

/** Keys listed and requests sent by one full ListObjectsV2 loop. */
async function listAll(client: S3Client): Promise<{ keys: number; requests: number }> {
  let keys = 0;
  let requests = 0;
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: 'bench', ContinuationToken: token }));
    requests++;
    keys += page.KeyCount ?? 0;
    token = page.NextContinuationToken;
  } while (token);
  return { keys, requests };
}

const base = await mkdtemp(join(tmpdir(), 'tierfs-bench-list-'));
const root = join(base, 'root');
await mkdir(join(root, 'bench'), { recursive: true });
for (let i = 0; i < objects; i += 500) {
  await Promise.all(
    Array.from({ length: Math.min(500, objects - i) }, (_, j) =>
      writeFile(join(root, 'bench', `object-${String(i + j).padStart(6, '0')}`), 'x'),
    ),
  );
}
const results = builds.map(() => ({ listing: [] as number[], one: [] as number[] }));
try {
  for (let round = 0; round < rounds; round++) {
    for (const [b, bin] of builds.entries()) {
      const { child, client } = await startGateway(bin, root, join(base, `state-${b}`));
      try {
        await listAll(client); // warm-up: code loaded, directory in the kernel's cache
        const before = cpuSecondsOf(child.pid!);
        const { keys, requests } = await listAll(client);
        const listed = cpuSecondsOf(child.pid!);
        if (keys !== objects) throw new Error(`${bin}: listed ${keys} keys, expected ${objects}`);
        for (let i = 0; i < 20; i++) {
          await client.send(
            new ListObjectsV2Command({ Bucket: 'bench', MaxKeys: 1, StartAfter: `object-${i}` }),
          );
        }
        const after = cpuSecondsOf(child.pid!);
        results[b]!.listing.push(listed - before);
        results[b]!.one.push((after - listed) / 20);
        process.stdout.write(
          `round ${round + 1} ${bin}: ${requests} requests, gateway CPU ${(listed - before).toFixed(2)} s per listing, ${((1000 * (after - listed)) / 20).toFixed(1)} ms per max-keys=1\n`,
        );
      } finally {
        client.destroy();
        child.kill('SIGTERM');
        await once(child, 'exit').catch(() => undefined);
      }
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
  const first = median(results[0]!.listing);
  for (const [b, bin] of builds.entries()) {
    const listing = median(results[b]!.listing);
    process.stdout.write(
      `${bin}: median gateway CPU ${listing.toFixed(2)} s per ${objects}-key listing (${(first / listing).toFixed(2)}× the first), ${(1000 * median(results[b]!.one)).toFixed(1)} ms per max-keys=1 request\n`,
    );
  }
} finally {
  await rm(base, { recursive: true, force: true });
}
