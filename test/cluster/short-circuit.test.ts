/**
 * Short-circuit reads: a client on the worker's host reads the cached page files itself, with the
 * worker's pins holding them for the read; it falls back to the data port whenever it cannot.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ListedFile, TierfsClient } from '../../src/client/client.js';
import { CAPABILITY_HEADER } from '../../src/cluster/auth.js';
import { type FrameHeader, FrameReader } from '../../src/cluster/batch-read.js';
import { copyPages, MIN_SHORT_CIRCUIT_BYTES } from '../../src/cluster/short-circuit.js';
import type { OpenFileResponse, OpenListResult } from '../../src/cluster/wire.js';
import { readStream } from '../../src/ufs/io.js';
import { clusterArgs, clusterEnv, TIERFS_BIN } from '../support/cli.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { loadedPackagesOf, loadedPackagesPreload } from '../support/loaded-packages.js';

const KB = 1024;
const ram = mkdtempSync('/dev/shm/tierfs-short-circuit-');
let cluster: TestCluster;
let client: TierfsClient;
const data = randomBytes(640 * KB + 123); // 11 pages of 64 KiB, the last one short

beforeAll(async () => {
  cluster = await startCluster({
    'tierfs.worker.page.store.page.size': '64KB',
    'tierfs.worker.tieredstore.level0.dirs.path': ram,
    'tierfs.worker.ramdisk.size': '2MB',
  });
  client = cluster.client();
  await write('/file.bin', data);
});

afterAll(async () => {
  await cluster.stop();
  rmSync(ram, { recursive: true, force: true });
});

/** The page files in the MEM tier, the most recently written first. */
function pageFilesNewestFirst(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.push(path);
    }
  };
  walk(ram);
  return files
    .map((path) => ({ path, at: statSync(path).mtimeMs }))
    .sort((a, b) => b.at - a.at)
    .map((f) => f.path);
}

async function write(
  path: string,
  bytes: Buffer,
  writeType: 'CACHE_THROUGH' | 'MUST_CACHE' | 'THROUGH' = 'CACHE_THROUGH',
) {
  await pipeline(Readable.from([bytes]), await client.createFile(path, { writeType, overwrite: true }));
}

/** Short-circuit leases open at the worker (a CLI process that exits leaves its own to expire). */
async function openLeases(): Promise<number> {
  return (await cluster.worker.view()).shortCircuitLeases;
}

/** Waits until the leases open are back to `count`: the reads since have released theirs. */
async function leasesBackTo(count: number): Promise<void> {
  await eventually(async () => (await openLeases()) <= count, 'the short-circuit leases released');
}

/** The worker's count of data requests of one kind. */
async function requests(kind: 'read' | 'batch' | 'short-circuit'): Promise<number> {
  const text = await (await request(`${cluster.worker.address}/metrics`)).body.text();
  const match = new RegExp(`^tierfs_worker_data_requests_total\\{kind="${kind}"\\} (\\d+)$`, 'm').exec(text);
  return Number(match?.[1] ?? 0);
}

async function counted<T>(
  body: () => Promise<T>,
): Promise<{ result: T; reads: number; batches: number; shortCircuits: number }> {
  const kinds = ['read', 'batch', 'short-circuit'] as const;
  const before = await Promise.all(kinds.map(requests));
  const result = await body();
  const after = await Promise.all(kinds.map(requests));
  const [reads, batches, shortCircuits] = after.map((n, i) => n - before[i]!);
  return { result, reads: reads!, batches: batches!, shortCircuits: shortCircuits! };
}

describe('short-circuit reads', () => {
  it('read a warm file, and ranges across pages, from the page files with no data-port read', async () => {
    const whole = await counted(async () => readStream(await client.openFile('/file.bin')));
    expect(whole.result.equals(data)).toBe(true);
    expect(whole).toMatchObject({ reads: 0, batches: 0, shortCircuits: 1 });

    for (const [offset, length] of [
      [64 * KB - 10, MIN_SHORT_CIRCUIT_BYTES + 20],
      [3 * 64 * KB + 5, 5 * 64 * KB],
      [data.length - MIN_SHORT_CIRCUIT_BYTES, MIN_SHORT_CIRCUIT_BYTES],
    ] as const) {
      const part = await counted(async () =>
        readStream(await client.openFile('/file.bin', { offset, length })),
      );
      expect(part.result.equals(data.subarray(offset, offset + length)), `${offset}+${length}`).toBe(true);
      expect(part).toMatchObject({ reads: 0, batches: 0, shortCircuits: 1 });
    }
  });

  it('reads a short range in one batched request answered by its page file, not an open and a close', async () => {
    const leases = await openLeases();
    const part = await counted(async () =>
      readStream(await client.openFile('/file.bin', { offset: 100, length: 10 })),
    );
    expect(part.result.equals(data.subarray(100, 110))).toBe(true);
    expect(part).toMatchObject({ reads: 0, batches: 1, shortCircuits: 1 });
    await leasesBackTo(leases);
  });

  it('goes through the data port when disabled', async () => {
    const off = cluster.client();
    const plain = new (off.constructor as typeof TierfsClient)({
      masterAddress: off.masterAddress,
      user: 'admin',
      shortCircuit: false,
    });
    const read = await counted(async () => readStream(await plain.openFile('/file.bin')));
    expect(read.result.equals(data)).toBe(true);
    expect(read).toMatchObject({ reads: 1, shortCircuits: 0 });
  });

  it('`tierfs fs cat` of a warm file reads the page files, not the data port, and loads no undici', async () => {
    const preload = loadedPackagesPreload(cluster.home);
    const run = (shortCircuit: boolean) =>
      counted(async () => {
        const { stdout, stderr } = await promisify(execFile)(
          process.execPath,
          [
            '--require',
            preload,
            TIERFS_BIN,
            ...clusterArgs(cluster),
            `-Dtierfs.user.short.circuit.enabled=${shortCircuit}`,
            'fs',
            'cat',
            '/file.bin',
          ],
          { encoding: 'buffer', env: clusterEnv(cluster) },
        );
        return { stdout, loaded: loadedPackagesOf(stderr.toString()) };
      });
    const direct = await run(true);
    expect(direct.result.stdout.equals(data)).toBe(true);
    expect(direct).toMatchObject({ reads: 0, shortCircuits: 1 });
    // Opening and closing the lease are two small calls on node:http: no HTTP client library to
    // load, which was a good part of the command's start-up.
    expect(direct.result.loaded).not.toContain('undici');
    expect(direct.result.loaded).not.toContain('commander'); // a plain cat starts before the CLI's parser
    // The preload does see what a command loads: `fs stat` parses its line with commander.
    const stat = await promisify(execFile)(
      process.execPath,
      ['--require', preload, TIERFS_BIN, ...clusterArgs(cluster), 'fs', 'stat', '/file.bin'],
      { env: clusterEnv(cluster) },
    );
    expect(loadedPackagesOf(stat.stderr)).toContain('commander');
    // The property reaches the command: turned off, the same cat goes through the data port.
    const plain = await run(false);
    expect(plain.result.stdout.equals(data)).toBe(true);
    expect(plain).toMatchObject({ reads: 1, shortCircuits: 0 });
    // The data port's GET is on node:http too (test/cluster/cold-cat-modules.test.ts).
    expect(plain.result.loaded).not.toContain('undici');
  });

  it('copyPages hands every page over from one reused buffer, whole file and ranges', async () => {
    for (const [offset, length] of [
      [0, data.length],
      [64 * KB - 10, MIN_SHORT_CIRCUIT_BYTES + 20],
      [3 * 64 * KB + 5, 5 * 64 * KB],
    ] as const) {
      const copied = await counted(async () => {
        const stream = await client.openFile('/file.bin', { offset, length });
        const chunks: Buffer[] = [];
        const memory = new Set<ArrayBufferLike>();
        const rest = await copyPages(stream, (chunk) => {
          chunks.push(Buffer.from(chunk)); // borrowed: copied before the next page overwrites it
          memory.add(chunk.buffer);
        });
        stream.destroy();
        return { bytes: Buffer.concat(chunks), chunks: chunks.length, memory: memory.size, rest };
      });
      const want = data.subarray(offset, offset + length);
      expect(copied.result.bytes.equals(want), `${offset}+${length}`).toBe(true);
      expect(copied.result.rest).toBeUndefined();
      // The first page has its own buffer; every later one is read into the same one.
      expect(copied.result.memory).toBe(Math.min(2, copied.result.chunks));
      expect(copied).toMatchObject({ reads: 0, batches: 0, shortCircuits: 1 });
    }
    // A stream already being read is not copied twice.
    const stream = await client.openFile('/file.bin');
    const first = await stream[Symbol.asyncIterator]().next();
    expect(first.done).toBe(false);
    expect(copyPages(stream, () => undefined)).toBeUndefined();
    stream.destroy();
  });

  it('copyPages goes on from the data port when a page file vanishes mid-copy', async () => {
    const bytes = randomBytes(640 * KB);
    await write('/vanish.bin', bytes);
    await readStream(await client.openFile('/vanish.bin')); // warm
    const copied = await counted(async () => {
      const stream = await client.openFile('/vanish.bin');
      const chunks: Buffer[] = [];
      const rest = await copyPages(stream, (chunk) => {
        chunks.push(Buffer.from(chunk));
        // After the first page: remove the page files of this file that are newest (its own).
        if (chunks.length === 1) for (const file of pageFilesNewestFirst().slice(0, 9)) unlinkSync(file);
      });
      stream.destroy();
      expect(rest).toBeDefined();
      chunks.push(await readStream(rest!));
      return Buffer.concat(chunks);
    });
    expect(copied.result.equals(bytes)).toBe(true);
    expect(copied).toMatchObject({ reads: 1, shortCircuits: 1 });
  });

  it('`tierfs fs tail` of a range and `fs cat | head -c 10` from the page files', async () => {
    const tierfs = [process.execPath, TIERFS_BIN, ...clusterArgs(cluster)]
      .map((a) => JSON.stringify(a))
      .join(' ');
    const sh = (script: string) =>
      promisify(execFile)('bash', ['-c', script], { encoding: 'buffer', env: clusterEnv(cluster) });
    const tail = await counted(() => sh(`${tierfs} fs tail -c ${300 * KB + 7} /file.bin`));
    expect(tail.result.stdout.equals(data.subarray(data.length - 300 * KB - 7))).toBe(true);
    expect(tail).toMatchObject({ reads: 0, shortCircuits: 1 });
    const sha = createHash('sha256').update(data).digest('hex');
    const cat = await sh(`${tierfs} fs cat /file.bin | sha256sum`);
    expect(cat.stdout.toString().split(' ')[0]).toBe(sha);
    // A reader that goes away: quiet, with the status of a command killed by SIGPIPE, as `cat`.
    const head = await sh(`${tierfs} fs cat /file.bin | head -c 10; echo " \${PIPESTATUS[0]}"`);
    expect(head.stdout.equals(Buffer.concat([data.subarray(0, 10), Buffer.from(' 141\n')]))).toBe(true);
    expect(head.stderr.toString()).toBe('');
  });

  it('falls back to the data port for a process that may not read the page files (another user)', async () => {
    const sha = createHash('sha256').update(data).digest('hex');
    const read = await counted(async () => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          new URL('../support/read-as-user.mjs', import.meta.url).pathname,
          cluster.master.rpcAddress,
          '/file.bin',
        ],
        { uid: 65534, gid: 65534 },
      );
      return stdout;
    });
    expect(read.result).toBe(sha);
    expect(read).toMatchObject({ reads: 1, shortCircuits: 1 });
  });

  it('keeps the pages of a read pinned: filling the MEM tier meanwhile evicts other pages', async () => {
    const reads = await requests('read');
    const stream = await client.openFile('/file.bin');
    const iterator = stream[Symbol.asyncIterator]();
    const first = (await iterator.next()).value as Buffer;
    // 4 MiB more into a 2 MiB MEM tier: without the pins, the pages of /file.bin would go to DISK.
    for (let i = 0; i < 4; i++) await write(`/filler-${i}.bin`, randomBytes(1024 * KB), 'MUST_CACHE');
    const rest: Buffer[] = [first];
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) rest.push(next.value);
    expect(Buffer.concat(rest).equals(data)).toBe(true);
    expect((await requests('read')) - reads).toBe(0);
    // Closed: the pins are gone, and the pages of the file can move again.
    for (let i = 0; i < 4; i++) await write(`/filler-${i}.bin`, randomBytes(1024 * KB), 'MUST_CACHE');
    expect((await readStream(await client.openFile('/file.bin'))).equals(data)).toBe(true);
  });

  it('refuses a short-circuit open without a valid read capability', async () => {
    const { status, capability } = (await (
      await request(`${cluster.master.rpcAddress}/api/v1/paths/open`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-tierfs-user': 'admin' },
        body: JSON.stringify({ path: '/file.bin' }),
      })
    ).body.json()) as OpenFileResponse;
    const url = `${cluster.worker.address}/data/short-circuit?contentId=${status.contentId}&offset=0&length=10`;
    const post = (headers: Record<string, string>) =>
      request(url, { method: 'POST', headers }).then(async (r) => ({
        code: r.statusCode,
        body: await r.body.json(),
      }));
    expect((await post({})).code).toBe(401);
    const [prefix, payload] = capability.split('.');
    expect((await post({ [CAPABILITY_HEADER]: `${prefix}.${payload}.${'A'.repeat(43)}` })).code).toBe(401);
    const other = url.replace(status.contentId, 'another-content');
    expect(
      (await request(other, { method: 'POST', headers: { [CAPABILITY_HEADER]: capability } })).statusCode,
    ).toBe(403);
    const ok = await post({ [CAPABILITY_HEADER]: capability });
    expect(ok.code).toBe(200);
    expect(ok.body).toMatchObject({ available: true, files: [{ pageIndex: 0 }] });
    const lease = (ok.body as { lease: string }).lease;
    const close = `${cluster.worker.address}/data/short-circuit/close?contentId=${status.contentId}&lease=${lease}`;
    const closed = await request(close, { method: 'POST', headers: { [CAPABILITY_HEADER]: capability } });
    expect(await closed.body.json()).toEqual({ released: true });
  });
});

/** `run` over `items`, `lanes` at a time, in order (as the bench's readers do). */
async function inLanes<T>(
  items: readonly T[],
  lanes: number,
  run: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < items.length) await run(items[next++]!);
    }),
  );
}

async function listed(path: string, reader = client): Promise<ListedFile[]> {
  const files: ListedFile[] = [];
  for await (const entry of reader.listForRead(path)) files.push(entry);
  return files;
}

describe('a directory of small cached files, read short-circuit in batches', () => {
  const files = 48;
  const contentOf = (i: number, version = 1) =>
    Buffer.concat([Buffer.from(`small ${i} v${version} `), randomBytes(3000 + i)]);
  const contents = new Map<string, Buffer>();

  beforeAll(async () => {
    await client.mkdir('/small');
    for (let i = 0; i < files; i++) {
      const path = `/small/f${String(i).padStart(2, '0')}.bin`;
      contents.set(path, contentOf(i));
      await write(path, contents.get(path)!);
    }
  });

  it('4 lanes read the listing in one batch request, answered by page files, whose lease is released after', async () => {
    const leases = await openLeases();
    const all = await listed('/small');
    expect(all).toHaveLength(files);
    const read = await counted(async () => {
      const bodies = new Map<string, Buffer>();
      await inLanes(all, 4, async (file) => {
        bodies.set(file.status.path, await readStream(await client.readListed(file)));
      });
      return bodies;
    });
    for (const [path, bytes] of contents) expect(read.result.get(path)?.equals(bytes), path).toBe(true);
    // The 4 reads of the first turn, and the 44 files listed after them read ahead with them.
    expect(read).toMatchObject({ reads: 0, batches: 1, shortCircuits: 1 });
    await leasesBackTo(leases);
  });

  it('a file read ahead and overwritten since is read as listed while the lease lasts (no request), the new one when listed again', async () => {
    const all = await listed('/small');
    await readStream(await client.readListed(all[0]!)); // reads the others ahead
    const changed = all[7]!;
    const path = changed.status.path;
    await write(path, contentOf(7, 2));
    // Within the lease the file is served from what was read ahead under it, the version listed:
    // no request to the worker at all (a lease check that ended it early would send a batch).
    const asListed = await counted(async () => readStream(await client.readListed(changed)));
    expect(asListed.result.equals(contents.get(path)!)).toBe(true);
    expect(asListed).toMatchObject({ reads: 0, batches: 0, shortCircuits: 0 });
    const again = (await listed('/small')).find((f) => f.status.path === path)!;
    expect(again.status.contentId).not.toBe(changed.status.contentId);
    const now = await readStream(await client.readListed(again));
    expect(now.subarray(0, 11).toString()).toBe('small 7 v2 ');
    contents.set(path, now);
  });

  it('a process that may not read the page files (another user) reads small files through the data port', async () => {
    const paths = ['/small/f03.bin', '/small/f04.bin'];
    const leases = await openLeases();
    const read = await counted(async () => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          new URL('../support/read-as-user.mjs', import.meta.url).pathname,
          cluster.master.rpcAddress,
          ...paths,
        ],
        { uid: 65534, gid: 65534 },
      );
      return stdout;
    });
    expect(read.result).toBe(
      paths.map((path) => createHash('sha256').update(contents.get(path)!).digest('hex')).join('\n'),
    );
    // The first: a short-circuit batch (pinned, unreadable here), then the same read through the
    // data port; the second straight through the data port (no more short-circuit to this worker).
    expect(read).toMatchObject({ reads: 0, batches: 3, shortCircuits: 1 });
    await leasesBackTo(leases);
  });

  it('the batch endpoint pins only what a valid capability allows, and fetches nothing for reads ahead', async () => {
    await write('/small-uncached.bin', contentOf(99), 'THROUGH');
    const page = (await (
      await request(`${cluster.master.rpcAddress}/api/v1/paths/open-list`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-tierfs-user': 'admin' },
        body: JSON.stringify({ path: '/small' }),
      })
    ).body.json()) as OpenListResult;
    const uncached = (await (
      await request(`${cluster.master.rpcAddress}/api/v1/paths/open`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-tierfs-user': 'admin' },
        body: JSON.stringify({ path: '/small-uncached.bin' }),
      })
    ).body.json()) as OpenFileResponse;
    const item = (capability: string, status: { contentId: string; size: number }) => ({
      capability,
      contentId: status.contentId,
      offset: 0,
      length: status.size,
    });
    const [prefix, payload] = page.capabilities[1]!.split('.');
    const reads = [
      item(page.capabilities[0]!, page.entries[0]!),
      item(`${prefix}.${payload}.${'A'.repeat(43)}`, page.entries[1]!),
      { ...item(uncached.capability, uncached.status), ifCached: true },
    ];
    const ufsReads = (await cluster.worker.view()).ufsBytesRead;
    const leases = await openLeases();
    const response = await request(`${cluster.worker.address}/data/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reads, shortCircuit: true }),
    });
    const frames: FrameHeader[] = [];
    const reader = new FrameReader((header) => frames.push(header));
    for await (const chunk of response.body) reader.push(chunk as Buffer);
    frames.sort((a, b) => a.i - b.i);
    expect(frames[0]).toMatchObject({
      i: 0,
      pinned: { files: [{ pageIndex: 0, size: page.entries[0]!.size }] },
    });
    expect(frames[1]).toMatchObject({ i: 1, error: { code: 'UNAUTHENTICATED' } });
    expect(frames[2]).toEqual({ i: 2, uncached: true });
    expect((await cluster.worker.view()).ufsBytesRead).toBe(ufsReads);
    expect(await openLeases()).toBe(leases + 1);
    const lease = (frames[0] as unknown as { pinned: { lease: string } }).pinned.lease;
    const release = (leases: string[]) =>
      request(`${cluster.worker.address}/data/short-circuit/release`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ leases }),
      }).then((r) => r.body.json());
    expect(await release([lease])).toEqual({ released: 1 });
    expect(await release([lease])).toEqual({ released: 0 });
    expect(await openLeases()).toBe(leases);
  });
});

describe('reads ahead of a long listing page', () => {
  const files = 600; // a first listing page of 256 files, then one of 344
  const contentOf = (i: number) => Buffer.from(`many ${i} ${'x'.repeat(i % 97)}`);

  beforeAll(async () => {
    await client.mkdir('/many');
    const paths = Array.from({ length: files }, (_, i) => i);
    await inLanes(paths, 16, (i) => write(`/many/f${String(i).padStart(3, '0')}.bin`, contentOf(i)));
  });

  it('go on in batches of their own while the reader reads: the whole page is read ahead after its first file', async () => {
    const all = await listed('/many');
    expect(all).toHaveLength(files);
    const first = 256; // the first file of the second page
    const before = await requests('batch');
    expect((await readStream(await client.readListed(all[first]!))).equals(contentOf(first))).toBe(true);
    // Its batch carried 255 reads ahead; the 88 files left of the page follow in a batch of their
    // own, sent as soon as that one was answered, not when the reader gets to them.
    await eventually(async () => (await requests('batch')) - before === 2, 'the next reads ahead sent');
    const rest = await counted(async () => {
      for (let i = first + 1; i < files; i++) {
        const bytes = await readStream(await client.readListed(all[i]!));
        expect(bytes.equals(contentOf(i)), all[i]!.status.path).toBe(true);
      }
    });
    expect(rest).toMatchObject({ reads: 0, batches: 0, shortCircuits: 0 });
  });
});

describe('reads ahead past their lease', () => {
  let short: TestCluster;
  afterAll(async () => short?.stop());

  it('a file read ahead and overwritten since is not served from what was read ahead once the lease has ended', async () => {
    short = await startCluster({ 'tierfs.security.authorization.capability.lifetime': '1s' });
    const reader = short.client();
    const put = async (path: string, bytes: Buffer) =>
      pipeline(Readable.from([bytes]), await reader.createFile(path, { overwrite: true, recursive: true }));
    for (let i = 0; i < 4; i++) await put(`/d/f${i}.bin`, Buffer.from(`old ${i}`));
    const all = await listed('/d', reader);
    expect((await readStream(await reader.readListed(all[0]!))).toString()).toBe('old 0');
    await put('/d/f2.bin', Buffer.from('new 2'));
    await new Promise((resolve) => setTimeout(resolve, 1200));
    // The capability, and so the lease, have ended: the file is opened again, as it is now.
    expect((await readStream(await reader.readListed(all[2]!))).toString()).toBe('new 2');
  });
});
