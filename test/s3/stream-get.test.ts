/**
 * A long read (a worker's cold read of a big object) is one GET that tierfs signs and reads itself
 * (src/ufs/s3/s3-stream-get.ts): the socket reads land in 1 MiB slabs handed on as they are, not
 * as one 64 KiB Buffer per socket read through the SDK (reads of 8 MiB or more; shorter ones stay with the SDK). Its answers mean what the SDK's mean: the
 * bytes, STALE for another version, NOT_FOUND for a deleted object, retries after a dropped
 * connection or a 503, and a body cut short is an error, never a short read.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isTierfsError } from '../../src/errors.js';
import { readStream, writeFile } from '../../src/ufs/io.js';
import { SLAB_BYTES, STREAM_GET_MIN_BYTES } from '../../src/ufs/s3/s3-stream-get.js';
import { withS3rverBehindProxy } from '../support/s3rver-behind-proxy.js';
import { failure, getterStore, pinned, rangedGetAgents } from './getter-support.js';

const fixture = withS3rverBehindProxy();
const MiB = 1024 * 1024;

const s3rverStore = (endpoint: string, extra: Record<string, string> = {}, root?: string) =>
  getterStore('stream-get', endpoint, extra, root);
const STREAM_GET = /^tierfs\/\S+ stream-get$/;
const agentsOf = (from: number) => rangedGetAgents(fixture, from);

describe('long S3 GETs read into slabs', () => {
  it('serve a long pinned read in one signed GET, its bytes views of 1 MiB slabs', async () => {
    const store = await s3rverStore(fixture.proxy.endpoint);
    try {
      const data = randomBytes(9 * MiB + 123);
      const version = await pinned(store, 'a b+(1).bin', data);
      const from = fixture.proxy.requests.length;
      const chunks: Buffer[] = [];
      for await (const chunk of await store.open('a b+(1).bin', { ...version, offset: 7 }))
        chunks.push(chunk);
      expect(Buffer.concat(chunks).equals(data.subarray(7))).toBe(true);
      expect(agentsOf(from)).toHaveLength(1);
      expect(agentsOf(from).every((agent) => STREAM_GET.test(agent))).toBe(true);
      // Through the SDK every socket read is a Buffer of its own (≤ 64 KiB): 48 or more here.
      const memories = new Set(chunks.map((chunk) => chunk.buffer));
      expect(memories.size).toBeLessThanOrEqual(Math.ceil(data.length / SLAB_BYTES) + 1);
      for (const memory of memories) expect(memory.byteLength).toBe(SLAB_BYTES);
    } finally {
      await store.close();
    }
  });

  it('address the bucket by path on an IP endpoint, as the SDK does, whatever disable.dns.buckets says', async () => {
    const store = await s3rverStore(fixture.proxy.endpoint, {
      'tierfs.underfs.s3.disable.dns.buckets': 'false',
    });
    try {
      const data = randomBytes(8 * MiB);
      const version = await pinned(store, 'by-path.bin', data);
      const from = fixture.proxy.requests.length;
      expect((await readStream(await store.open('by-path.bin', version))).equals(data)).toBe(true);
      expect(agentsOf(from)).toHaveLength(1);
      expect(agentsOf(from).every((agent) => STREAM_GET.test(agent))).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('hold the store back while the reader is behind, and go on when it reads again', async () => {
    // More than the stream buffers: the socket's reads stop, and must start again when read.
    const store = await s3rverStore(fixture.proxy.endpoint, { 'tierfs.underfs.s3.socket.timeout': '3s' });
    try {
      const data = randomBytes(12 * MiB);
      const version = await pinned(store, 'slow-reader.bin', data);
      const chunks: Buffer[] = [];
      let waited = false;
      for await (const chunk of await store.open('slow-reader.bin', version)) {
        chunks.push(chunk);
        if (!waited) {
          waited = true;
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
      expect(Buffer.concat(chunks).equals(data)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('answer STALE for a replaced object, NOT_FOUND for a deleted one', async () => {
    const store = await s3rverStore(fixture.proxy.endpoint);
    try {
      const old = await pinned(store, 'f.bin', randomBytes(9 * MiB));
      await writeFile(store, 'f.bin', randomBytes(9 * MiB), { overwrite: true });
      const from = fixture.proxy.requests.length;
      const stale = await failure(async () => readStream(await store.open('f.bin', old)));
      expect(isTierfsError(stale, 'STALE'), String(stale)).toBe(true);
      await store.delete('f.bin');
      const gone = await failure(async () => readStream(await store.open('f.bin', old)));
      expect(isTierfsError(gone, 'NOT_FOUND'), String(gone)).toBe(true);
      expect(agentsOf(from).length).toBeGreaterThanOrEqual(2);
      expect(agentsOf(from).every((agent) => STREAM_GET.test(agent))).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('are retried as SDK requests are: after a dropped connection and a 503 SlowDown', async () => {
    const store = await s3rverStore(fixture.proxy.endpoint);
    try {
      const data = randomBytes(9 * MiB + 5);
      const version = await pinned(store, 'retried.bin', data);
      for (const fault of ['drop', 'slowdown'] as const) {
        const from = fixture.proxy.requests.length;
        fixture.proxy.rules.push({
          match: (r) => r.method === 'GET' && r.path.endsWith('/retried.bin'),
          fault,
        });
        expect((await readStream(await store.open('retried.bin', version))).equals(data)).toBe(true);
        const sent = fixture.proxy.requests.slice(from);
        expect(sent.map((r) => r.fault ?? 'served')).toEqual([fault, 'served']);
        expect(agentsOf(from).every((agent) => STREAM_GET.test(agent))).toBe(true);
      }
    } finally {
      await store.close();
    }
  });

  it('fail a read whose body the store cuts short, naming the bytes received', async () => {
    // A store that answers the GET with its full length and sends half of it.
    const length = 10 * MiB;
    const server: Server = createServer((socket) => {
      socket.once('data', () => {
        socket.write(`HTTP/1.1 206 Partial Content\r\ncontent-length: ${length}\r\netag: "abc"\r\n\r\n`);
        socket.end(randomBytes(length / 2));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const store = await s3rverStore(`http://127.0.0.1:${port}`, { 'tierfs.underfs.s3.max.error.retry': '0' });
    try {
      const error = await failure(async () =>
        readStream(await store.open('cut.bin', { version: `abc-${length}-1`, size: length })),
      );
      expect(isTierfsError(error, 'UNAVAILABLE'), String(error)).toBe(true);
      expect(String(error)).toContain(`ended after ${length / 2} of ${length} bytes`);
    } finally {
      await store.close();
      server.close();
    }
  });

  it('leave reads shorter than STREAM_GET_MIN_BYTES to the SDK (its connections are kept alive)', async () => {
    const store = await s3rverStore(fixture.proxy.endpoint);
    try {
      const data = randomBytes(STREAM_GET_MIN_BYTES - 1);
      const version = await pinned(store, 'medium.bin', data);
      const from = fixture.proxy.requests.length;
      expect((await readStream(await store.open('medium.bin', version))).equals(data)).toBe(true);
      expect(agentsOf(from)).toHaveLength(1);
      expect(agentsOf(from).some((agent) => STREAM_GET.test(agent))).toBe(false);
    } finally {
      await store.close();
    }
  });
});
