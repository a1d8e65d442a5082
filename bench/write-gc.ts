/**
 * Garbage collections of the worker's upload path alone: `--size` MiB written in fresh 64 KiB
 * chunks (as an HTTP request body arrives) through an in-memory multipart ObjectWriter (8 MiB
 * parts, 4 in flight) into a client that hashes each part (the SDK's SHA-256 signature) and drops
 * it. Prints the CPU seconds and the collections by kind (perf_hooks 'gc' entries: 1 minor,
 * 4 major, 8 incremental marking): counts that a loaded machine does not change, unlike times.
 *
 *   npx tsx bench/write-gc.ts [--size MiB]
 */
import { createHash } from 'node:crypto';
import { type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import type { ObjectBody, ObjectClient } from '../src/ufs/object/object-client.js';
import { createObjectWriter } from '../src/ufs/object/object-writer.js';

const argv = process.argv.slice(2);
const sizeMiB = argv.includes('--size') ? Number(argv[argv.indexOf('--size') + 1]) : 512;
const kinds: Record<string, number> = {};
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = String((entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind);
    kinds[kind] = (kinds[kind] ?? 0) + 1;
    gcMs += entry.duration;
  }
}).observe({ entryTypes: ['gc'] });

const client = {
  bucket: 'bench',
  initiateMultipartUpload: async () => 'upload',
  uploadPart: async (_key: string, _upload: string, n: number, body: ObjectBody) => {
    createHash('sha256').update(body.bytes!).digest();
    await new Promise((resolve) => setTimeout(resolve, 5));
    return `etag-${n}`;
  },
  completeMultipartUpload: async () => 'done',
  abortMultipartUpload: async () => undefined,
  putObject: async () => 'put',
} as unknown as ObjectClient;
const out = await createObjectWriter(
  {
    client,
    key: 'k',
    uri: 'bench://k',
    partitionSize: 8 * 2 ** 20,
    uploadThreads: 4,
    tmpDirs: ['/tmp'],
    afterCommit: async () => undefined,
  },
  'multipart',
);
const template = Buffer.alloc(64 * 1024, 7);
const cpu = process.cpuUsage();
for (let i = 0; i < (sizeMiB * 2 ** 20) / template.length; i++) {
  if (!out.write(Buffer.from(template))) await new Promise((resolve) => out.once('drain', resolve));
}
await new Promise<void>((resolve, reject) => out.end((error?: Error) => (error ? reject(error) : resolve())));
const used = process.cpuUsage(cpu);
await new Promise((resolve) => setTimeout(resolve, 100));
console.log(
  `${sizeMiB} MiB: CPU ${((used.user + used.system) / 1e6).toFixed(2)} s; GCs by kind ${JSON.stringify(kinds)}, ${gcMs.toFixed(0)} ms`,
);
