/**
 * The kernel's page cache of a real FUSE mount (in this process, over a master and a worker in it
 * too): a warm read is served by it whole, no read reaching the mount, for as long as the file's
 * version stays, whatever its modification time does; and a new version written elsewhere is read
 * once attr_timeout has passed, even at the same size and modification time.
 */
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { type CountedMount, mountCounted, testOperations } from './in-process-mount.js';
import { readThrough, requireFuse, sh } from './support.js';

const BYTES = 8 * 1024 * 1024;
const ATTR_TIMEOUT_MS = 1000;

let cluster: TestCluster | undefined;
let mounted: CountedMount | undefined;
/** Calls that reached the operations, by name, since the last reset. */
let calls = new Map<string, number>();
let mnt = '';
const content = randomBytes(BYTES);

beforeAll(async () => {
  requireFuse();
  cluster = await startCluster();
  writeFileSync(join(cluster.ufs, 'big.bin'), content);
  mounted = await mountCounted(await testOperations(cluster.client(), ATTR_TIMEOUT_MS), {
    prefix: 'tierfs-fuse-pages',
    kernelTimeoutMs: ATTR_TIMEOUT_MS,
  });
  ({ mnt, calls } = mounted);
}, 60_000);

afterAll(async () => {
  await mounted?.stop();
  await cluster?.stop();
}, 60_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe("a FUSE mount's page cache", () => {
  it('serves a warm read whole, no read reaching the mount, while the version stays, though its modification time changed elsewhere', async () => {
    const file = join(mnt, 'big.bin');
    let pass = await readThrough(file);
    expect(pass.sha256).toBe(sha256(content));
    expect(calls.get('read') ?? 0).toBeGreaterThan(0);
    // The kernel sometimes leaves a folio or two of a pass out of its cache (seen on loaded
    // machines with both libfuse's auto_cache and this): read again until it holds the file.
    for (let again = 0; again < 3 && pass.resident < BYTES; again++) pass = await readThrough(file);
    expect(pass.resident).toBe(BYTES);

    // The kernel now and then drops a single folio of a file it held whole (seen on loaded machines
    // with libfuse's auto_cache and with this alike), which the next pass reads again: each warm
    // check gets three tries, each after its own change, and one must reach the mount 0 times. An
    // open that dropped the pages (auto_cache after a time change) has every try read the file.
    const client = cluster!.client();
    const { mtimeMs } = await client.getStatus('/big.bin');
    const warmReads = async (change: (attempt: number) => Promise<void>): Promise<number[]> => {
      const reads: number[] = [];
      for (let attempt = 0; attempt < 3 && reads.at(-1) !== 0; attempt++) {
        await change(attempt);
        await sleep(ATTR_TIMEOUT_MS + 100); // the kernel's and the mount's attributes expire
        calls.clear();
        expect((await readThrough(file)).sha256).toBe(sha256(content));
        expect(calls.get('open')).toBeGreaterThan(0);
        reads.push(calls.get('read') ?? 0);
      }
      return reads;
    };
    expect((await warmReads(async () => undefined)).at(-1)).toBe(0);

    // The same version with another modification time: as a status from a listing (milliseconds)
    // and one from a HEAD (whole seconds) of the same object differ.
    const shifted = (attempt: number) => mtimeMs - 789 - attempt * 1000;
    const reads = await warmReads((attempt) =>
      client.setAttribute('/big.bin', { mtimeMs: shifted(attempt) }),
    );
    expect((await sh(`stat -c %Y ${file}`)).stdout.trim()).toBe(
      String(Math.floor(shifted(reads.length - 1) / 1000)),
    );
    expect(reads.at(-1)).toBe(0);
  }, 60_000);

  it('reads a new version written elsewhere once attr_timeout has passed, even at the same size and modification time', async () => {
    const file = join(mnt, 'same-size.txt');
    writeFileSync(join(cluster!.ufs, 'same-size.txt'), 'old content\n');
    expect((await sh(`cat ${file}`)).stdout).toBe('old content\n'); // into the kernel's pages
    const client = cluster!.client();
    const was = await client.getStatus('/same-size.txt');
    const writer = await client.createFile('/same-size.txt', { overwrite: true });
    await new Promise<void>((done, fail) => writer.end('NEW content\n', () => done()).on('error', fail));
    await client.setAttribute('/same-size.txt', { mtimeMs: was.mtimeMs });
    const now = await client.getStatus('/same-size.txt');
    expect([now.size, now.mtimeMs]).toEqual([was.size, was.mtimeMs]);
    expect(now.contentId).not.toBe(was.contentId);

    await sleep(ATTR_TIMEOUT_MS + 100);
    expect((await sh(`cat ${file}`)).stdout).toBe('NEW content\n');
  }, 60_000);
});
