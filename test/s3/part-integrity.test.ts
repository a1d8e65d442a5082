/**
 * In-memory multipart uploads against tierfs's S3 gateway behind a recording proxy: every part
 * (and a small file's PUT) is signed with the SHA-256 of its bytes; a byte changed on the way is
 * refused by the store, and the write then fails leaving no object and no open upload; and the
 * part buffers of a write are reused, not allocated once per part. Uploads of a local file
 * (persistence) sign each part read from the file the same way.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Configuration } from '../../src/config/configuration.js';
import { readFile } from '../../src/ufs/io.js';
import { memoryPartitionBytes, partitionBuffers } from '../../src/ufs/object/partition.js';
import { parseUfsUri } from '../../src/ufs/registry.js';
import { createS3UnderStore } from '../../src/ufs/s3/s3-store.js';
import { withS3Gateway } from '../gateway/fixture.js';
import { ACCESS_KEY, SECRET_KEY } from '../gateway/harness.js';
import { type ByteFlipProxy, startByteFlipProxy } from '../support/byte-flip-proxy.js';

const MiB = 1024 * 1024;
const PART = 5 * MiB;
const gw = withS3Gateway({ buckets: ['parts'] });

/** A reverse proxy to the gateway that records PUTs and flips one byte of the body of chosen ones. */
let proxy: ByteFlipProxy;
let endpoint = '';

beforeAll(async () => {
  proxy = await startByteFlipProxy(gw.endpoint);
  endpoint = proxy.endpoint;
});
afterAll(async () => {
  await proxy.close();
});
beforeEach(() => proxy.reset());

let stores = 0;
function store() {
  const conf = Configuration.of({
    'tierfs.underfs.s3.endpoint': endpoint,
    'tierfs.underfs.s3.disable.dns.buckets': 'true',
    'tierfs.underfs.s3.inherit.acl': 'false',
    'aws.accessKeyId': ACCESS_KEY,
    'aws.secretKey': SECRET_KEY,
    'tierfs.underfs.s3.multipart.upload.partition.size': '5MB',
    'tierfs.underfs.s3.multipart.upload.threads': '2',
    'tierfs.underfs.s3.max.error.retry': '0',
  });
  return createS3UnderStore(parseUfsUri(`s3://parts/d${++stores}/`), conf);
}

function bytesOf(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

async function write(s: Awaited<ReturnType<typeof store>>, path: string, data: Buffer): Promise<void> {
  const out = await s.create(path, { overwrite: true });
  // In 1 MiB chunks, as a client's stream arrives.
  const chunks = Array.from({ length: Math.ceil(data.length / MiB) }, (_, i) =>
    data.subarray(i * MiB, (i + 1) * MiB),
  );
  await pipeline(async function* () {
    yield* chunks;
  }, out as Writable);
}

async function openUploads(): Promise<number> {
  const answer = await gw.clientFor().send(new ListMultipartUploadsCommand({ Bucket: 'parts' }));
  return answer.Uploads?.length ?? 0;
}

describe('in-memory multipart upload: integrity and part buffers', () => {
  it('each part and a small PUT are signed with the SHA-256 of their bytes', async () => {
    const s = await store();
    try {
      const big = bytesOf(12 * MiB, 1);
      await write(s, 'big.bin', big);
      const small = bytesOf(100_000, 2);
      await write(s, 'small.bin', small);
      const parts = proxy.puts.filter((p) => p.path.includes('partNumber='));
      expect(parts.map((p) => new URL(p.path, endpoint).searchParams.get('partNumber')).sort()).toEqual([
        '1',
        '2',
        '3',
      ]);
      const smallPut = proxy.puts.filter((p) => p.path.includes('small.bin'));
      expect(smallPut).toHaveLength(1);
      for (const put of [...parts, ...smallPut]) {
        expect(put.headers['x-amz-content-sha256']).toBe(put.sentSha256);
        expect(put.headers.authorization).toMatch(/SignedHeaders=[^,]*x-amz-content-sha256/);
        expect(put.status).toBe(200);
      }
      expect(Buffer.compare(await readFile(s, 'big.bin'), big)).toBe(0);
      expect(Buffer.compare(await readFile(s, 'small.bin'), small)).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('a part changed on the way is refused by the store: the write fails, no object, no open upload', async () => {
    const s = await store();
    try {
      proxy.corrupt = (path) => path.includes('partNumber=2');
      await expect(write(s, 'bad.bin', bytesOf(12 * MiB, 3))).rejects.toThrow(/x-amz-content-sha256/i);
      const bad = proxy.puts.find((p) => p.path.includes('partNumber=2'));
      expect(bad?.status).toBe(400);
      expect(await s.exists('bad.bin')).toBe(false);
      expect(await openUploads()).toBe(0);
      // A small file's single PUT likewise.
      proxy.corrupt = (path) => path.includes('tiny.bin');
      await expect(write(s, 'tiny.bin', bytesOf(1000, 4))).rejects.toThrow(/x-amz-content-sha256/i);
      expect(await s.exists('tiny.bin')).toBe(false);
    } finally {
      await s.close();
    }
  });

  it("a write's part buffers are reused: at most threads + 1 allocated for 8 parts", async () => {
    const s = await store();
    const before = partitionBuffers().allocated;
    try {
      await write(s, 'eight.bin', bytesOf(8 * PART, 5));
      expect(proxy.puts.filter((p) => p.path.includes('partNumber='))).toHaveLength(8);
      expect(partitionBuffers().allocated - before).toBeLessThanOrEqual(3);
      expect(memoryPartitionBytes()).toBe(0);
      expect(partitionBuffers().pooled).toBeGreaterThan(0);
    } finally {
      await s.close();
    }
  });
});

describe('uploads of a local file (persistence, spilled partitions): parts read from the file', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tierfs-part-integrity-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function localFile(name: string, data: Buffer): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, data);
    return path;
  }

  it('each part and a small PUT are signed with the SHA-256 of their bytes, not UNSIGNED-PAYLOAD', async () => {
    const s = await store();
    try {
      const big = bytesOf(12 * MiB, 6);
      await s.upload('big.bin', await localFile('big', big), big.length);
      const small = bytesOf(100_000, 7);
      await s.upload('small.bin', await localFile('small', small), small.length);
      const sent = proxy.puts.filter((p) => p.path.includes('partNumber=') || p.path.includes('small.bin'));
      expect(sent).toHaveLength(4);
      for (const put of sent) {
        expect(put.headers['x-amz-content-sha256']).toBe(put.sentSha256);
        expect(put.status).toBe(200);
      }
      expect(Buffer.compare(await readFile(s, 'big.bin'), big)).toBe(0);
      expect(Buffer.compare(await readFile(s, 'small.bin'), small)).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('a part changed on the way is refused by the store: nothing at the key, no open upload', async () => {
    const s = await store();
    try {
      proxy.corrupt = (path) => path.includes('partNumber=3');
      const data = bytesOf(12 * MiB, 8);
      await expect(s.upload('bad.bin', await localFile('bad', data), data.length)).rejects.toThrow(
        /x-amz-content-sha256/i,
      );
      expect(await s.exists('bad.bin')).toBe(false);
      expect(await openUploads()).toBe(0);
      proxy.corrupt = (path) => path.includes('tiny.bin');
      const tiny = bytesOf(1000, 9);
      await expect(s.upload('tiny.bin', await localFile('tiny', tiny), tiny.length)).rejects.toThrow(
        /x-amz-content-sha256/i,
      );
      expect(await s.exists('tiny.bin')).toBe(false);
    } finally {
      await s.close();
    }
  });
});
