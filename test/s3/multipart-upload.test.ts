/**
 * S3 in-memory multipart upload (tierfs.underfs.s3.multipart.upload.*) with the AWS SDK against
 * s3rver through a recording proxy: parts go up while the writer still sends (and while it
 * pauses mid-part), memory stays within (threads + 1) parts, a small file is one PUT, the status
 * the write returns carries CompleteMultipartUpload's ETag, and a write destroyed mid-way leaves
 * no object and no pending upload.
 */
import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { beforeEach, describe, expect, it } from 'vitest';
import { readFile } from '../../src/ufs/io.js';
import { memoryPartitionBytes } from '../../src/ufs/object/partition.js';
import { eventually } from '../support/eventually.js';
import type { SeenRequest } from '../support/fault-proxy.js';
import { pendingUploads, s3rverSdk, s3rverStore, TEST_BUCKET } from '../support/s3rver.js';
import { withS3rverBehindProxy } from '../support/s3rver-behind-proxy.js';

const MiB = 1024 * 1024;
const PART = 5 * MiB;
const THREADS = 4;
const MULTIPART = {
  'tierfs.underfs.s3.multipart.upload.enabled': 'true',
  'tierfs.underfs.s3.multipart.upload.partition.size': '5MB',
  'tierfs.underfs.s3.multipart.upload.threads': String(THREADS),
};

const fixture = withS3rverBehindProxy();
beforeEach(() => {
  fixture.proxy.requests.length = 0;
});

const isPart = (r: SeenRequest) => r.method === 'PUT' && r.query.has('partNumber');
const partsAnswered = () => fixture.proxy.requests.filter((r) => isPart(r) && r.ended !== undefined).length;

function write(out: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => out.write(chunk, (error) => (error ? reject(error) : resolve())));
}

/** ListMultipartUploads of the test bucket, asked with the AWS SDK straight from s3rver. */
async function listUploads(): Promise<string[]> {
  const s3 = s3rverSdk(fixture.server.endpoint);
  try {
    const answer = await s3.send(new ListMultipartUploadsCommand({ Bucket: TEST_BUCKET }));
    return (answer.Uploads ?? []).map((u) => `${u.Key} ${u.UploadId}`);
  } finally {
    s3.destroy();
  }
}

/** Most part requests in flight at one moment before `until`. */
function maxPartsInFlightBefore(until: number): number {
  const parts = fixture.proxy.requests.filter(isPart);
  let max = 0;
  for (const p of parts) {
    if (p.started >= until) continue;
    const overlapping = parts.filter((q) => q.started <= p.started && (q.ended ?? Infinity) > p.started);
    max = Math.max(max, overlapping.length);
  }
  return max;
}

describe('S3 in-memory multipart upload', () => {
  it('40 MiB: parts upload in parallel while the client sends, memory bounded, status from Complete', async () => {
    const store = await s3rverStore(fixture.proxy.endpoint, MULTIPART);
    try {
      const data = randomBytes(40 * MiB);
      const out = await store.create('big.bin');
      let peak = 0;
      for (let at = 0; at < data.length; at += MiB) {
        await write(out, data.subarray(at, at + MiB));
        peak = Math.max(peak, memoryPartitionBytes());
      }
      const clientDone = performance.now();
      await new Promise<void>((resolve, reject) =>
        out.end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
      expect(peak).toBeGreaterThan(0);
      expect(peak).toBeLessThanOrEqual((THREADS + 1) * PART);
      expect(maxPartsInFlightBefore(clientDone)).toBeGreaterThanOrEqual(2);
      expect(fixture.proxy.requests.filter(isPart).length).toBe(8);
      expect(memoryPartitionBytes()).toBe(0);
      const complete = fixture.proxy.requests.filter((r) => r.method === 'POST' && r.query.has('uploadId'));
      expect(complete).toHaveLength(1);
      // The status the write returns names the object CompleteMultipartUpload made.
      expect(out.written?.etag).toBeTruthy();
      expect(out.written?.size).toBe(data.length);
      expect((await store.getStatus('big.bin')).etag).toBe(out.written?.etag);
      expect((await readFile(store, 'big.bin')).equals(data)).toBe(true);
    } finally {
      await store.close();
    }
  }, 180_000);

  it('a part uploads while the writer pauses mid-part', async () => {
    const store = await s3rverStore(fixture.proxy.endpoint, MULTIPART);
    try {
      const out = await store.create('paused.bin');
      await write(out, randomBytes(PART + 10));
      await eventually(() => partsAnswered() === 1, 'part 1 to upload while the writer pauses', 10_000);
      const closed = new Promise((resolve) => out.once('close', resolve));
      out.destroy();
      await closed;
    } finally {
      await store.close();
    }
  }, 60_000);

  it('a write destroyed mid-way leaves no object and no pending multipart upload', async () => {
    const store = await s3rverStore(fixture.proxy.endpoint, MULTIPART);
    try {
      const out = await store.create('killed.bin');
      await write(out, randomBytes(2 * PART + MiB));
      await eventually(() => partsAnswered() >= 1, 'a part to upload before the kill', 10_000);
      expect(await pendingUploads(fixture.server)).not.toEqual([]);
      expect(await listUploads()).toHaveLength(1);
      const closed = new Promise((resolve) => out.once('close', resolve));
      out.once('error', () => undefined);
      out.destroy(new Error('client went away'));
      await closed;
      expect(await pendingUploads(fixture.server)).toEqual([]);
      expect(await listUploads()).toEqual([]);
      expect(await store.exists('killed.bin')).toBe(false);
      expect(memoryPartitionBytes()).toBe(0);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('a file smaller than one part is one PUT', async () => {
    const store = await s3rverStore(fixture.proxy.endpoint, MULTIPART);
    try {
      const out = await store.create('small.bin');
      await write(out, randomBytes(100 * 1024));
      await new Promise<void>((resolve, reject) =>
        out.end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
      const writes = fixture.proxy.requests.filter((r) => r.method === 'PUT' || r.method === 'POST');
      expect(writes.map((r) => r.method)).toEqual(['PUT']);
      expect(writes.filter((r) => r.query.has('partNumber') || r.query.has('uploads'))).toEqual([]);
      expect(out.written?.size).toBe(100 * 1024);
    } finally {
      await store.close();
    }
  }, 60_000);
});
