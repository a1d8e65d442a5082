/**
 * A warm pass through a real FUSE mount (in this process, over a master and a worker in it too)
 * of a file on an S3 store (s3rver, behind a proxy on loopback that records every request): it
 * sends the store nothing, and the folios the kernel's page cache lost since the last pass (here
 * dropped with posix_fadvise(DONTNEED), as the machine's memory management drops single folios
 * of clean page caches) are read from the worker's page files on this host, pinned once for the
 * handle: no read of the worker per hole.
 */
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TierfsClient } from '../../src/client/client.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import {
  type RunningS3rver,
  s3rverRootMount,
  s3rverSdk,
  startS3rver,
  TEST_BUCKET,
} from '../support/s3rver.js';
import { type CountedMount, mountCounted, testOperations } from './in-process-mount.js';
import { readThrough, requireFuse, sh } from './support.js';

const BYTES = 8 * 1024 * 1024;
const ATTR_TIMEOUT_MS = 1000;
/**
 * Holes dropped from the kernel's page cache before the second pass: 128 KiB each, 1 MiB apart,
 * each across the border of two of the worker's 1 MiB pages.
 */
const HOLES = 6;
const HOLE = 128 * 1024;

let server: RunningS3rver | undefined;
let proxy: FaultProxy | undefined;
let cluster: TestCluster | undefined;
let mounted: CountedMount | undefined;
/** Calls of the client's reads by the mount, by name, since the last clear. */
const clientCalls = new Map<string, number>();
const content = randomBytes(BYTES);

/** The cluster's client, its reads counted (readListed, openFile: a request to the worker each). */
function countedClient(client: TierfsClient): TierfsClient {
  return new Proxy(client, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (name === 'readListed' || name === 'openFile' || name === 'pinFile') {
          clientCalls.set(name, (clientCalls.get(name) ?? 0) + 1);
        }
        return value.apply(target, args);
      };
    },
  });
}

beforeAll(async () => {
  requireFuse();
  server = await startS3rver();
  proxy = await startFaultProxy(server.endpoint);
  const s3 = s3rverSdk(server.endpoint);
  try {
    await s3.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: 'warm/big.bin', Body: content }));
  } finally {
    s3.destroy();
  }
  cluster = await startCluster({
    ...s3rverRootMount(proxy.endpoint, `warm`),
  });
  mounted = await mountCounted(await testOperations(countedClient(cluster.client()), ATTR_TIMEOUT_MS), {
    prefix: 'tierfs-fuse-warm',
    kernelTimeoutMs: ATTR_TIMEOUT_MS,
    // A read counts the bytes it asks for: how many reads the kernel splits a hole into is its own.
    weigh: (name, args) => (name === 'read' ? (args[1] as Buffer).length : 1),
  });
}, 60_000);

afterAll(async () => {
  await mounted?.stop();
  await cluster?.stop();
  await proxy?.close();
  await server?.close();
}, 60_000);

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('a warm pass through a FUSE mount', () => {
  it('sends the store nothing and reads the holes of the page cache from the pinned page files, not from the worker per hole', async () => {
    const file = join(mounted!.mnt, 'big.bin');
    // The cold pass: the store's object into the worker's cache and the kernel's pages.
    let pass = await readThrough(file);
    expect(pass.sha256).toBe(sha256(content));
    for (let again = 0; again < 3 && pass.resident < BYTES; again++) pass = await readThrough(file);
    expect(pass.resident).toBe(BYTES);

    // Holes, as the machine's memory management leaves them; then the attributes expire too.
    const punch = Array.from(
      { length: HOLES },
      (_, i) => `os.posix_fadvise(fd, ${(i + 1) * 1024 * 1024 - HOLE / 2}, ${HOLE}, os.POSIX_FADV_DONTNEED)`,
    );
    const dropped = await sh(
      `python3 -c 'import os; fd = os.open("${file}", os.O_RDONLY); ${punch.join('; ')}' && fincore -b -n -o RES ${file}`,
    );
    expect(dropped.code, dropped.stderr).toBe(0);
    expect(Number(dropped.stdout.trim())).toBe(BYTES - HOLES * HOLE);
    await new Promise((resolve) => setTimeout(resolve, ATTR_TIMEOUT_MS + 100));

    const storeBefore = proxy!.requests.length;
    mounted!.calls.clear();
    clientCalls.clear();
    pass = await readThrough(file);
    expect(pass.sha256).toBe(sha256(content));
    expect(pass.resident).toBe(BYTES);
    // The kernel asked for the holes and not the file again: at least their bytes, at most twice
    // (its reads are page-aligned and may reach past a hole's edge; in how many reads is its choice).
    const asked = mounted!.calls.get('read') ?? 0;
    expect(asked).toBeGreaterThanOrEqual(HOLES * HOLE);
    expect(asked).toBeLessThanOrEqual(2 * HOLES * HOLE);
    // Nothing reached the store: the metadata is the master's, the bytes the worker's.
    expect(proxy!.requests.slice(storeBefore).map((r) => `${r.method} ${r.path}`)).toEqual([]);
    // One pin of the file for the handle, no ranged read of the worker per hole (before: one each).
    expect(Object.fromEntries(clientCalls)).toEqual({ pinFile: 1 });
  }, 60_000);
});
