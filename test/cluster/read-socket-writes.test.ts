/**
 * A big read through the data port leaves the worker a window of pages per socket write: the
 * chunks the under store delivered (256 KiB reads of a local file, ~64 KiB socket reads from S3)
 * or the cached pages are handed to the socket together (writev), not one write per chunk, which
 * was a syscall and a wake-up of the reader per chunk (96 writes cold here, 24 warm). Counted on the worker's sockets, cold (chunks from the under
 * store) and warm (pages from the cache), with short-circuit reads off so the bytes take the port.
 * A batch whose reads are all answered at once (one cold small read, a warm batch) is one write.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TierfsClient } from '../../src/client/client.js';
import { readStream } from '../../src/ufs/io.js';
import { startCluster, type TestCluster } from '../support/cluster.js';

const MiB = 1024 * 1024;
const SIZE = 24 * MiB; // three windows of 8 pages of 1 MiB
let cluster: TestCluster;
let client: TierfsClient;
const data = randomBytes(SIZE);
const small = randomBytes(4096);

beforeAll(async () => {
  cluster = await startCluster();
  writeFileSync(join(cluster.ufs, 'big.bin'), data);
  writeFileSync(join(cluster.ufs, 'small.bin'), small);
  client = new TierfsClient({
    masterAddress: cluster.master.rpcAddress,
    user: 'admin',
    shortCircuit: false,
  });
});
afterAll(async () => {
  await cluster?.stop();
});

/** Calls of write and writev on the worker's side of its data connections while `run` runs. */
async function socketWritesOf(run: () => Promise<void>): Promise<number> {
  const port = Number(new URL(cluster.worker.address).port);
  const proto = Socket.prototype as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
  const originals = { _write: proto._write, _writev: proto._writev };
  let writes = 0;
  for (const name of ['_write', '_writev'] as const) {
    proto[name] = function (this: Socket, ...args: unknown[]) {
      if (this.localPort === port) writes++;
      return originals[name].apply(this, args);
    };
  }
  try {
    await run();
  } finally {
    Object.assign(proto, originals);
  }
  return writes;
}

it.each(['cold', 'warm'])(
  'a %s 24 MiB read leaves the worker in a few writes per window, not one per chunk',
  async () => {
    const writes = await socketWritesOf(async () => {
      expect((await readStream(await client.openFile('/big.bin'))).equals(data)).toBe(true);
    });
    // 3 windows (8 pages each): the headers and each window's writev, and the odd write libuv's
    // partial writes add. One write per chunk was 96 cold, 24 warm.
    expect(writes).toBeGreaterThan(0);
    expect(writes).toBeLessThanOrEqual(12);
  },
);

it.each(['cold', 'warm'])(
  'a %s small read in a batch is answered in one write: headers and its frame together',
  async () => {
    const writes = await socketWritesOf(async () => {
      expect((await readStream(await client.openFile('/small.bin'))).equals(small)).toBe(true);
    });
    // A streamed answer took two: the headers with the frame, then the end of the chunked body.
    expect(writes).toBe(1);
  },
);
