/**
 * Failures between the S3 store and s3rver, injected by a proxy: retries with backoff recover from
 * 500s, SlowDown, dropped connections and stalls; exhausted retries surface the right code; a
 * failed or aborted upload never leaves a visible object, a multipart upload or a temp file behind.
 */
import { readdir } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { beforeEach, describe, expect, it } from 'vitest';
import { abortWrite, readFile, writeFile } from '../../src/ufs/io.js';
import { expectCode, randomBuffer } from '../contract/suite.js';
import type { SeenRequest } from '../support/fault-proxy.js';
import { pendingUploads, s3rverStore, TEST_UPLOADS_DIR } from '../support/s3rver.js';
import { withS3rverBehindProxy } from '../support/s3rver-behind-proxy.js';

const MiB = 1024 * 1024;
const STREAMING = {
  'tierfs.underfs.s3.streaming.upload.enabled': 'true',
  'tierfs.underfs.s3.streaming.upload.partition.size': '5MB',
};

/** Whole file in a temp file, sent on close (multipart upload is the default). */
const BUFFERED = { 'tierfs.underfs.s3.multipart.upload.enabled': 'false' };

const fixture = withS3rverBehindProxy();
beforeEach(() => {
  fixture.proxy.rules.length = 0;
  fixture.proxy.requests.length = 0;
});

const isPut = (r: SeenRequest) => r.method === 'PUT' && !r.query.has('partNumber');
const isPart = (r: SeenRequest) => r.method === 'PUT' && r.query.has('partNumber');
const isGet = (r: SeenRequest) =>
  r.method === 'GET' && !r.path.includes('list-type') && !r.query.has('prefix');

async function tempFilesLeft(): Promise<string[]> {
  const names = await readdir(TEST_UPLOADS_DIR).catch(() => []);
  return names.filter((name) => name.startsWith('tierfs-upload-'));
}

function chunks(data: Buffer, size = 256 * 1024): Readable {
  return Readable.from(
    Array.from({ length: Math.ceil(data.length / size) }, (_, i) => data.subarray(i * size, (i + 1) * size)),
  );
}

describe('retries with backoff', () => {
  it('a 500 on a PUT, a 503 SlowDown on a GET and a dropped listing are retried transparently', async () => {
    const store = await s3rverStore(fixture.proxy.endpoint);
    try {
      fixture.proxy.rules.push({ match: isPut, fault: 'error500' });
      await writeFile(store, 'a.txt', 'hello');
      fixture.proxy.rules.push({ match: isGet, fault: 'slowdown', times: 2 });
      expect((await readFile(store, 'a.txt')).toString()).toBe('hello');
      fixture.proxy.rules.push({ match: (r) => r.query.has('list-type'), fault: 'drop' });
      expect((await store.list('')).entries.map((e) => e.path)).toEqual(['a.txt']);
      expect(fixture.proxy.requests.filter((r) => r.fault).map((r) => r.fault)).toEqual([
        'error500',
        'slowdown',
        'slowdown',
        'drop',
      ]);
    } finally {
      await store.close();
    }
  });

  it('exhausted retries surface RATE_LIMITED or UNAVAILABLE (tierfs.underfs.s3.max.error.retry)', async () => {
    const store = await s3rverStore(fixture.proxy.endpoint, { 'tierfs.underfs.s3.max.error.retry': '1' });
    try {
      await writeFile(store, 'b.txt', 'b');
      fixture.proxy.rules.push({ match: isGet, fault: 'slowdown', times: 2 });
      const error = await expectCode(readFile(store, 'b.txt'), 'RATE_LIMITED');
      expect(error.retryable).toBe(true);
      expect(fixture.proxy.requests.filter(isGet)).toHaveLength(2);
      fixture.proxy.rules.push({ match: (r) => r.method === 'HEAD', fault: 'error500', times: 2 });
      await expectCode(store.getStatus('b.txt'), 'UNAVAILABLE');
    } finally {
      await store.close();
    }
  });

  it('a stalled request times out (tierfs.underfs.s3.request.timeout) and the retry succeeds', async () => {
    const store = await s3rverStore(fixture.proxy.endpoint, { 'tierfs.underfs.s3.request.timeout': '300ms' });
    try {
      await writeFile(store, 'c.txt', 'c');
      fixture.proxy.rules.push({ match: (r) => r.method === 'HEAD', fault: 'stall' });
      const started = Date.now();
      expect((await store.getStatus('c.txt')).size).toBe(1);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    } finally {
      await store.close();
    }
    const strict = await s3rverStore(fixture.proxy.endpoint, {
      'tierfs.underfs.s3.request.timeout': '200ms',
      'tierfs.underfs.s3.max.error.retry': '0',
    });
    try {
      fixture.proxy.rules.push({ match: (r) => r.method === 'HEAD', fault: 'stall' });
      await expectCode(strict.getStatus('c.txt'), 'TIMEOUT');
    } finally {
      await strict.close();
    }
  });
});

describe('failed and aborted uploads leave nothing behind', () => {
  it('streaming: a part that keeps failing aborts the multipart upload; nothing is visible', async () => {
    const store = await s3rverStore(fixture.proxy.endpoint, {
      ...STREAMING,
      'tierfs.underfs.s3.max.error.retry': '2',
    });
    try {
      fixture.proxy.rules.push({
        match: (r) => isPart(r) && r.query.get('partNumber') === '2',
        fault: 'drop',
        times: 3,
      });
      const out = await store.create('big.bin');
      await expect(pipeline(chunks(randomBuffer(12 * MiB, 'fail-part')), out)).rejects.toMatchObject({
        code: 'UNAVAILABLE',
      });
      await abortWrite(out);
      expect(await store.exists('big.bin')).toBe(false);
      expect(fixture.proxy.count('DELETE', 'uploadId')).toBe(1);
      expect(await pendingUploads(fixture.server)).toEqual([]);
      expect(await tempFilesLeft()).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('streaming: a stalled part hits the part timeout (object.store.streaming.upload.part.timeout)', async () => {
    const store = await s3rverStore(fixture.proxy.endpoint, {
      ...STREAMING,
      'tierfs.underfs.object.store.streaming.upload.part.timeout': '500ms',
    });
    try {
      fixture.proxy.rules.push({ match: isPart, fault: 'stall', times: 10 });
      const out = await store.create('slow.bin');
      await expect(pipeline(chunks(randomBuffer(6 * MiB, 'stall-part')), out)).rejects.toMatchObject({
        code: 'TIMEOUT',
      });
      await abortWrite(out);
      expect(await store.exists('slow.bin')).toBe(false);
      expect(await pendingUploads(fixture.server)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('streaming: destroy() in the middle aborts parts in flight and the upload', async () => {
    const store = await s3rverStore(fixture.proxy.endpoint, STREAMING);
    try {
      const out = await store.create('aborted.bin');
      const data = randomBuffer(11 * MiB, 'abort-mid');
      for (let at = 0; at < data.length; at += MiB) {
        if (!out.write(data.subarray(at, at + MiB)))
          await new Promise((resolve) => out.once('drain', resolve));
      }
      expect(fixture.proxy.count('POST', 'uploads')).toBe(1);
      await abortWrite(out);
      expect(await store.exists('aborted.bin')).toBe(false);
      expect(await pendingUploads(fixture.server)).toEqual([]);
      expect(await tempFilesLeft()).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('streaming: destroy() while the first partition is being opened leaves no temp file (nor its descriptor)', async () => {
    const store = await s3rverStore(fixture.proxy.endpoint, STREAMING);
    try {
      const out = await store.create('early.bin');
      out.write(randomBuffer(MiB, 'destroy-early')); // its partition's temp file is opened now
      await abortWrite(out);
      // A write still opening its partition when 'close' came left the file, and its FileHandle
      // to garbage collection: wait for it to be made before looking.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await tempFilesLeft()).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('buffered: a PUT that keeps failing leaves no object and no temp file', async () => {
    const store = await s3rverStore(fixture.proxy.endpoint, {
      ...BUFFERED,
      'tierfs.underfs.s3.max.error.retry': '1',
    });
    try {
      fixture.proxy.rules.push({ match: isPut, fault: 'error500', times: 2 });
      await expectCode(writeFile(store, 'never.txt', 'x'), 'UNAVAILABLE');
      expect(await store.exists('never.txt')).toBe(false);
      expect(await tempFilesLeft()).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('buffered: a file larger than a partition goes up in parallel parts, retried part by part', async () => {
    const store = await s3rverStore(fixture.proxy.endpoint, {
      ...BUFFERED,
      'tierfs.underfs.s3.streaming.upload.partition.size': '5MB',
    });
    try {
      fixture.proxy.rules.push({ match: isPart, fault: 'drop' });
      const data = randomBuffer(11 * MiB, 'buffered-parts');
      await pipeline(chunks(data), await store.create('parts.bin'));
      expect(fixture.proxy.requests.filter(isPart).length).toBe(4);
      expect((await readFile(store, 'parts.bin')).equals(data)).toBe(true);
    } finally {
      await store.close();
    }
  });
});
