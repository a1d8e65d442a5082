/**
 * The OSS driver's writes against the in-process OSS gateway behind a corrupting proxy: every part
 * and a small file's PUT carry the Content-MD5 of their bytes (the bytes in memory, or their range
 * of a local file: persistence, spilled partitions), which OSS checks ("If the Content-MD5 you
 * specify does not match the MD5 of the received body, OSS returns InvalidDigest", PutObject and
 * UploadPart docs), so a byte changed on the way fails the write, leaving no object and no open
 * upload; and OSS's x-oss-hash-crc64ecma answer (the CRC-64 of what it stored) is compared with
 * the CRC-64 of the bytes sent, as Alibaba's SDKs do.
 */
import { mkdtemp, rm, writeFile as writeLocal } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Configuration } from '../../src/config/configuration.js';
import type { UnderStore } from '../../src/ufs/contract.js';
import '../../src/ufs/drivers.js';
import { readFile, writeFile } from '../../src/ufs/io.js';
import { Crc64Ecma } from '../../src/ufs/object/body-digest.js';
import type { ObjectUnderStore } from '../../src/ufs/object/object-store.js';
import { FileSystem } from '../../src/ufs/registry.js';
import { AK, BUCKET, client, type RunningGateway, SECRET, startGateway } from '../gateway/oss-support.js';
import { type ByteFlipProxy, startByteFlipProxy } from '../support/byte-flip-proxy.js';

const MiB = 1024 * 1024;
let gw: RunningGateway;
let proxy: ByteFlipProxy;
let dir = '';
const stores: UnderStore[] = [];
let n = 0;

beforeAll(async () => {
  gw = await startGateway();
  proxy = await startByteFlipProxy(gw.endpoint);
  dir = await mkdtemp(join(tmpdir(), 'tierfs-oss-integrity-'));
});
afterAll(async () => {
  await proxy.close();
  await gw.stop();
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  proxy.reset();
  await Promise.all(stores.splice(0).map((s) => s.close?.()));
});

async function store(): Promise<ObjectUnderStore> {
  const values = {
    'fs.oss.endpoint': proxy.endpoint.replace('http://', ''),
    'fs.oss.accessKeyId': AK,
    'fs.oss.accessKeySecret': SECRET,
    'fs.oss.connection.secure.enabled': 'false',
    'tierfs.underfs.oss.path.style.access': 'true',
    'fs.oss.multipart.upload.size': '1MB',
    'tierfs.underfs.oss.retry.max': '0',
  };
  const s = (await FileSystem.get(`oss://${BUCKET}/d${++n}/`, Configuration.of(values))) as ObjectUnderStore;
  stores.push(s);
  return s;
}

function bytesOf(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

async function localFile(name: string, data: Buffer): Promise<string> {
  const path = join(dir, name);
  await writeLocal(path, data);
  return path;
}

const parts = () => proxy.puts.filter((p) => p.path.includes('partNumber='));

async function openUploads(): Promise<number> {
  return (await client(gw, 'path-style').listUploads({})).uploads?.length ?? 0;
}

describe('OSS writes carry the Content-MD5 of their bytes', () => {
  it('in-memory parts and a small PUT, and parts and a PUT read from a local file', async () => {
    const s = await store();
    const big = bytesOf(3 * MiB, 1);
    await writeFile(s, 'big.bin', big);
    const small = bytesOf(10_000, 2);
    await writeFile(s, 'small.bin', small);
    const fromFile = bytesOf(3 * MiB, 3);
    await s.upload('file.bin', await localFile('file', fromFile), fromFile.length);
    const tiny = bytesOf(1000, 4);
    await s.upload('tiny.bin', await localFile('tiny', tiny), tiny.length);
    expect(parts()).toHaveLength(6);
    const sent = proxy.puts.filter((p) => p.path.includes('partNumber=') || /(small|tiny)\.bin/.test(p.path));
    expect(sent).toHaveLength(8);
    for (const put of sent) {
      expect(put.headers['content-md5']).toBe(put.sentMd5);
      expect(put.status).toBe(200);
    }
    expect((await readFile(s, 'big.bin')).equals(big)).toBe(true);
    expect((await readFile(s, 'file.bin')).equals(fromFile)).toBe(true);
  });

  it('a part changed on the way is refused by OSS: the write fails, no object, no open upload', async () => {
    const s = await store();
    proxy.corrupt = (path) => path.includes('partNumber=2');
    await expect(writeFile(s, 'bad.bin', bytesOf(3 * MiB, 5))).rejects.toThrow(/Content-MD5|digest/i);
    expect(parts().find((p) => p.path.includes('partNumber=2'))?.status).toBe(400);
    expect(await s.exists('bad.bin')).toBe(false);
    expect(await openUploads()).toBe(0);
    proxy.corrupt = (path) => path.includes('partNumber=3');
    const data = bytesOf(3 * MiB, 6);
    await expect(s.upload('bad-file.bin', await localFile('bad', data), data.length)).rejects.toThrow(
      /Content-MD5|digest/i,
    );
    expect(await s.exists('bad-file.bin')).toBe(false);
    expect(await openUploads()).toBe(0);
    proxy.corrupt = (path) => path.includes('tiny-bad.bin');
    const tiny = bytesOf(1000, 7);
    await expect(s.upload('tiny-bad.bin', await localFile('tiny-bad', tiny), tiny.length)).rejects.toThrow(
      /Content-MD5|digest/i,
    );
    expect(await s.exists('tiny-bad.bin')).toBe(false);
  });

  it('OSS answers the CRC-64 of what it stored; another than that of the bytes sent fails the write', async () => {
    const s = await store();
    const small = bytesOf(10_000, 8);
    await writeFile(s, 'crc.bin', small);
    const answered = proxy.puts.find((p) => p.path.includes('crc.bin'));
    expect(answered?.status).toBe(200);
    proxy.reset();
    // The CRC-64 the gateway answers is that of the bytes (CRC-64/XZ of "123456789" is 0x995DC9BBDF1939FA).
    expect(new Crc64Ecma().update(Buffer.from('123456789')).decimal()).toBe(
      BigInt('0x995DC9BBDF1939FA').toString(),
    );
    let seen: string | undefined;
    proxy.rewriteAnswer = (path, headers) => {
      seen = headers['x-oss-hash-crc64ecma'] as string | undefined;
      if (path.includes('crc-bad')) headers['x-oss-hash-crc64ecma'] = '12345';
    };
    await writeFile(s, 'crc-ok.bin', small);
    expect(seen).toBe(new Crc64Ecma().update(small).decimal());
    await expect(writeFile(s, 'crc-bad.bin', small)).rejects.toThrow(/CRC-64 is 12345/);
  });
});
