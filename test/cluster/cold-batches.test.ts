/**
 * Cold small reads by many lanes go to the worker in batches, not a request per file: the store
 * answers the reads one by one, each answer frees a lane, and the lane's next read waits briefly
 * (client/read-batcher.ts COLD_BATCH_WINDOW_MS) for others to join it while reads are still out.
 * The worker here is a real HTTP server speaking the batch protocol (cluster/batch-read.ts) whose
 * "store" answers one read per millisecond, as a busy store does; a read answered with bytes in a
 * short-circuit batch is a cold one. Request counts, not times, are asserted.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReadBatcher } from '../../src/client/read-batcher.js';
import {
  BATCH_READ_PATH,
  type BatchReadRequest,
  encodeFrame,
  FRAMES_CONTENT_TYPE,
} from '../../src/cluster/batch-read.js';
import type { WorkerAddress } from '../../src/cluster/data-client.js';

const FILES = 64;
const LANES = 8;
const bytesOf = (n: number) => Buffer.alloc(16, n);

let server: Server;
let worker: WorkerAddress;
/** Reads per batch request, in the order they came. */
const batches: number[] = [];
/** The store: one read answered per millisecond, in the order asked. */
const store: (() => void)[] = [];
let ticking: NodeJS.Timeout | undefined;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== BATCH_READ_PATH) {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const { reads } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as BatchReadRequest;
      batches.push(reads.length);
      res.writeHead(200, { 'content-type': FRAMES_CONTENT_TYPE });
      let left = reads.length;
      reads.forEach((read, i) => {
        store.push(() => {
          for (const part of encodeFrame({ i, length: 16 }, bytesOf(Number(read.contentId)))) res.write(part);
          if (--left === 0) res.end();
        });
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  worker = { address: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  ticking = setInterval(() => store.shift()?.(), 1);
});

afterAll(async () => {
  clearInterval(ticking);
  server.close();
  await once(server, 'close');
});

/** Reads FILES files by LANES lanes, each lane asking for the next file once it has its last. */
async function readAll(batcher: ReadBatcher): Promise<Buffer[]> {
  const got: Buffer[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: LANES }, async () => {
      while (next < FILES) {
        const n = next++;
        got[n] = await batcher.read(worker, {
          capability: 'c',
          contentId: String(n),
          offset: 0,
          length: 16,
          readType: 'CACHE',
        });
      }
    }),
  );
  return got;
}

describe('cold small reads by many lanes', () => {
  it('go to the worker a few per request, each answered with its own bytes', async () => {
    batches.length = 0;
    // A window longer than the store's spacing even when this machine's timers run late.
    const got = await readAll(new ReadBatcher(() => true, undefined, 50));
    for (const [n, bytes] of got.entries()) expect(bytes.equals(bytesOf(n)), `file ${n}`).toBe(true);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(FILES);
    // A request per file once the first batch is answered would be FILES - LANES + 1 requests.
    expect(batches.length).toBeLessThanOrEqual(FILES / 2);
  });

  it('a lone reader of cold files still gets each one, a request each', async () => {
    batches.length = 0;
    const batcher = new ReadBatcher(() => true);
    await readAll(batcher); // the worker's answers are cold from now on
    batches.length = 0;
    for (let n = 0; n < 20; n++) {
      const bytes = await batcher.read(worker, {
        capability: 'c',
        contentId: String(n),
        offset: 0,
        length: 16,
        readType: 'CACHE',
      });
      expect(bytes.equals(bytesOf(n))).toBe(true);
    }
    expect(batches).toEqual(new Array(20).fill(1));
  });
});
