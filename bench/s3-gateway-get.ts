/**
 * GET of a 1 GiB object through the S3 gateway (streamed and discarded) against `cat` of the same
 * file to /dev/null, in the same run. The gateway runs as a real `tierfs gateway` child process
 * (build first: `npm run build`), so client and server do not share an event loop.
 *
 *   npx tsx bench/s3-gateway-get.ts [sizeMiB]
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ACCESS_KEY, endpointOf, gatewayArgs, REGION, SECRET_KEY } from './harness/gateway.js';

const sizeMiB = Number(process.argv[2] ?? 1024);
const MiB = 1024 * 1024;
const RUNS = 3;

async function writeObject(path: string): Promise<void> {
  const out = createWriteStream(path);
  const block = randomBytes(4 * MiB);
  for (let written = 0; written < sizeMiB * MiB; written += block.length) {
    if (!out.write(block)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function timeCat(path: string): Promise<number> {
  const devnull = await open('/dev/null', 'w');
  const started = performance.now();
  const cat = spawn('cat', [path], { stdio: ['ignore', devnull.fd, 'inherit'] });
  const [code] = await once(cat, 'exit');
  const ms = performance.now() - started;
  await devnull.close();
  if (code !== 0) throw new Error(`cat exited with ${code}`);
  return ms;
}

async function timeGet(url: string): Promise<number> {
  const started = performance.now();
  const bytes = await new Promise<number>((resolve, reject) => {
    get(url, (res) => {
      if (res.statusCode !== 200) reject(new Error(`GET ${url}: ${res.statusCode}`));
      let n = 0;
      res.on('data', (chunk: Buffer) => {
        n += chunk.length;
      });
      res.on('end', () => resolve(n));
      res.on('error', reject);
    }).on('error', reject);
  });
  if (bytes !== sizeMiB * MiB) throw new Error(`GET returned ${bytes} bytes, expected ${sizeMiB * MiB}`);
  return performance.now() - started;
}

const mbps = (ms: number) => (sizeMiB * MiB) / 1e6 / (ms / 1000);

const base = await mkdtemp(join(tmpdir(), 'tierfs-bench-'));
const root = join(base, 'root');
await mkdir(join(root, 'bench'), { recursive: true });
const file = join(root, 'bench', 'object.bin');
const gateway = spawn(
  process.execPath,
  gatewayArgs({ root, state: join(base, 'state'), host: '127.0.0.1', port: 0 }),
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
try {
  process.stdout.write(`writing a ${sizeMiB} MiB object ...\n`);
  await writeObject(file);
  const endpoint = await endpointOf(gateway);
  // Signed as a presigned URL (the gateway serves no unsigned reads by default); one URL for every run.
  const s3 = new S3Client({
    endpoint,
    region: REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
  });
  const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'bench', Key: 'object.bin' }), {
    expiresIn: 3600,
  });
  await timeCat(file); // warm the page cache for both
  const cat: number[] = [];
  const gw: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    cat.push(await timeCat(file));
    gw.push(await timeGet(url));
  }
  const bestCat = Math.min(...cat);
  const bestGw = Math.min(...gw);
  process.stdout.write(`cat to /dev/null:      ${mbps(bestCat).toFixed(0)} MB/s (best of ${RUNS})\n`);
  process.stdout.write(`GET through gateway:   ${mbps(bestGw).toFixed(0)} MB/s (best of ${RUNS})\n`);
  process.stdout.write(`gateway / cat:         ${(bestCat / bestGw).toFixed(2)}\n`);
} finally {
  gateway.kill('SIGTERM');
  await once(gateway, 'exit').catch(() => undefined);
  await rm(base, { recursive: true, force: true });
}
