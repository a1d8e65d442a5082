/**
 * A small read that is one GET (a cold read of a small object, pinned to its version) is signed
 * and sent by tierfs itself (src/ufs/s3/s3-small-get.ts), not through the AWS SDK (the signature
 * is checked against the SDK's signer in src/ufs/s3/sigv4-get.test.ts). Its answers mean what the
 * SDK's mean: the bytes, STALE for another version, NOT_FOUND for a deleted object, retries after
 * a dropped connection or a 503. A long read (s3-stream-get.ts), and a mount with the v2 signer (the SDK), are not its.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isTierfsError } from '../../src/errors.js';
import { readStream, writeFile } from '../../src/ufs/io.js';
import { takeWholeBytes } from '../../src/ufs/whole-body.js';
import { withS3rverBehindProxy } from '../support/s3rver-behind-proxy.js';
import { failure, getterStore, pinned, rangedGetAgents } from './getter-support.js';

const fixture = withS3rverBehindProxy();

const s3rverStore = (endpoint: string, extra: Record<string, string> = {}, root?: string) =>
  getterStore('small-get', endpoint, extra, root);
const SMALL_GET = /^tierfs\/\S+ small-get$/;
const agentsOf = (from: number) => rangedGetAgents(fixture, from);

describe('small S3 GETs without the SDK', () => {
  it('serve a pinned small read, a range of it, and a name that needs encoding, in one signed GET each', async () => {
    const store = await s3rverStore(fixture.proxy.endpoint);
    try {
      const data = randomBytes(4096);
      const name = "dir/a b+c(1)!'*é.bin";
      const version = await pinned(store, name, data);
      const from = fixture.proxy.requests.length;
      expect((await readStream(await store.open(name, version))).equals(data)).toBe(true);
      expect(
        (await readStream(await store.open(name, { ...version, offset: 100, length: 50 }))).equals(
          data.subarray(100, 150),
        ),
      ).toBe(true);
      const sent = fixture.proxy.requests.slice(from);
      expect(sent.map((r) => `${r.method} ${r.headers.range}`)).toEqual([
        'GET bytes=0-4095',
        'GET bytes=100-149',
      ]);
      expect(agentsOf(from).every((agent) => SMALL_GET.test(agent))).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('address the bucket by path on an IP endpoint, as the SDK does, whatever disable.dns.buckets says', async () => {
    const store = await s3rverStore(fixture.proxy.endpoint, {
      'tierfs.underfs.s3.disable.dns.buckets': 'false',
    });
    try {
      const data = randomBytes(4096);
      const version = await pinned(store, 'by-path.bin', data);
      const from = fixture.proxy.requests.length;
      expect((await readStream(await store.open('by-path.bin', version))).equals(data)).toBe(true);
      expect(agentsOf(from)).toHaveLength(1);
      expect(agentsOf(from).every((agent) => SMALL_GET.test(agent))).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('hand over a body that has already ended: a reader that stops at its last byte aborts nothing', async () => {
    const store = await s3rverStore(fixture.proxy.endpoint);
    try {
      const data = randomBytes(4096);
      const version = await pinned(store, 'ended.bin', data);
      const stream = await store.open('ended.bin', version);
      const chunks = stream[Symbol.asyncIterator]();
      const first = await chunks.next();
      expect(Buffer.from(first.value as Buffer).equals(data)).toBe(true);
      await new Promise((resolve) => setImmediate(resolve));
      await chunks.return?.(undefined); // what the worker's range reader does once it has its bytes
      expect(stream.errored).toBeNull();
    } finally {
      await store.close();
    }
  });

  it('answer STALE for a replaced object, NOT_FOUND for a deleted one', async () => {
    const store = await s3rverStore(fixture.proxy.endpoint);
    try {
      const old = await pinned(store, 'f.bin', randomBytes(1000));
      await writeFile(store, 'f.bin', randomBytes(1000), { overwrite: true });
      const from = fixture.proxy.requests.length;
      const stale = await failure(async () => readStream(await store.open('f.bin', old)));
      expect(isTierfsError(stale, 'STALE'), String(stale)).toBe(true);
      await store.delete('f.bin');
      const gone = await failure(async () => readStream(await store.open('f.bin', old)));
      expect(isTierfsError(gone, 'NOT_FOUND'), String(gone)).toBe(true);
      expect(agentsOf(from).length).toBeGreaterThanOrEqual(2);
      expect(agentsOf(from).every((agent) => SMALL_GET.test(agent))).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('are retried as SDK requests are: after a dropped connection and a 503 SlowDown', async () => {
    const store = await s3rverStore(fixture.proxy.endpoint);
    try {
      const data = randomBytes(2000);
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
        expect(agentsOf(from).every((agent) => SMALL_GET.test(agent))).toBe(true);
      }
    } finally {
      await store.close();
    }
  });

  it('are aborted by the request timeout when the store stalls, and the retry is served', async () => {
    // Only the request timeout ends the stalled GET: the socket's own timeout is far off.
    const store = await s3rverStore(fixture.proxy.endpoint, {
      'tierfs.underfs.s3.request.timeout': '300ms',
      'tierfs.underfs.s3.socket.timeout': '10min',
    });
    try {
      const data = randomBytes(3000);
      const version = await pinned(store, 'stalled.bin', data);
      const from = fixture.proxy.requests.length;
      fixture.proxy.rules.push({
        match: (r) => r.method === 'GET' && r.path.endsWith('/stalled.bin'),
        fault: 'stall',
      });
      expect((await readStream(await store.open('stalled.bin', version))).equals(data)).toBe(true);
      const sent = fixture.proxy.requests.slice(from);
      expect(sent.map((r) => r.fault ?? 'served')).toEqual(['stall', 'served']);
      expect(agentsOf(from).every((agent) => SMALL_GET.test(agent))).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('hand over their bytes whole: a reader takes them without reading the stream', async () => {
    const store = await s3rverStore(fixture.proxy.endpoint);
    try {
      const data = randomBytes(4096);
      const version = await pinned(store, 'whole.bin', data);
      const body = await store.open('whole.bin', { ...version, offset: 96, length: 4000 });
      const closed = new Promise((resolve) => body.once('close', resolve));
      expect(takeWholeBytes(body)?.equals(data.subarray(96))).toBe(true);
      await closed; // the layers that wait for the body's end hear of it
      expect(body.errored).toBeNull();
    } finally {
      await store.close();
    }
  });

  it('leave long reads (s3-stream-get.ts), and mounts with the v2 signer (the SDK), to others', async () => {
    const root = `small-get-${process.pid}-v2`;
    const store = await s3rverStore(fixture.proxy.endpoint, {}, root);
    const v2 = await s3rverStore(
      fixture.proxy.endpoint,
      { 'tierfs.underfs.s3.signer.algorithm': 'S3SignerType' },
      root,
    );
    try {
      const big = randomBytes(300 * 1024);
      const bigVersion = await pinned(store, 'big.bin', big);
      const small = await pinned(store, 'small.bin', randomBytes(10));
      const from = fixture.proxy.requests.length;
      expect((await readStream(await store.open('big.bin', bigVersion))).equals(big)).toBe(true);
      await readStream(await v2.open('small.bin', small)).catch(() => undefined); // s3rver may refuse v2
      const agents = agentsOf(from);
      expect(agents).toHaveLength(2);
      expect(agents.some((agent) => SMALL_GET.test(agent))).toBe(false);
    } finally {
      await v2.close();
      await store.close();
    }
  });
});
