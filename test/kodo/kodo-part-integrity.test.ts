/**
 * The Kodo driver's writes against the in-process Kodo gateway behind a corrupting proxy on the up
 * host: a resumable-upload v2 part carries the MD5 of its bytes (`Content-MD5`, hex; read again
 * from the local file it is staged in), which Kodo checks ("Content-MD5: ... 服务端会校验", upload
 * part API of resumable upload v2), and a small file's form upload carries the CRC-32 of its bytes
 * (the `crc32` form field, which Kodo checks: 406 on a mismatch), so a byte changed on the way fails
 * the write and nothing appears.
 */
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Configuration } from '../../src/config/configuration.js';
import type { UnderStore } from '../../src/ufs/contract.js';
import '../../src/ufs/drivers.js';
import { readFile, writeFile } from '../../src/ufs/io.js';
import { FileSystem } from '../../src/ufs/registry.js';
import { BUCKET, bytes, type KodoFixture } from '../gateway/kodo-support.js';
import { type ByteFlipProxy, startByteFlipProxy } from '../support/byte-flip-proxy.js';
import { kodoSettings, startDriverFixture } from './kodo-driver-support.js';

const MiB = 1024 * 1024;
let kodo: KodoFixture;
let proxy: ByteFlipProxy;
const stores: UnderStore[] = [];
let n = 0;

beforeAll(async () => {
  kodo = await startDriverFixture();
  proxy = await startByteFlipProxy(`http://${kodo.host}`, { methods: ['PUT', 'POST'] });
});
afterAll(async () => {
  await proxy.close();
  await kodo.cleanup();
});
afterEach(async () => {
  proxy.reset();
  await Promise.all(stores.splice(0).map((s) => s.close?.()));
});

async function store(): Promise<UnderStore> {
  const conf = kodoSettings(kodo, {
    'tierfs.underfs.kodo.up.host': proxy.endpoint.replace('http://', ''),
    'tierfs.underfs.kodo.resumable.upload.threshold': '1MB',
    'tierfs.underfs.kodo.resumable.upload.part.size': '1MB',
  });
  const s = await FileSystem.get(`kodo://${BUCKET}/d${++n}/`, Configuration.of(conf));
  stores.push(s);
  return s;
}

const isPart = (path: string) => /\/uploads\/[^/]+\/\d+$/.test(path);
const partNumber = (path: string) => Number(/\/(\d+)$/.exec(path)?.[1]);

describe('Kodo writes carry a digest of their bytes that Kodo checks', () => {
  it('parts carry their MD5, a form upload its CRC-32', async () => {
    const s = await store();
    const big = bytes(3 * MiB, 1);
    await writeFile(s, 'big.bin', big);
    const parts = proxy.puts.filter((p) => isPart(p.path));
    expect(parts.map((p) => partNumber(p.path)).sort()).toEqual([1, 2, 3]);
    for (const part of parts) {
      expect(part.headers['content-md5']).toBe(Buffer.from(part.sentMd5, 'base64').toString('hex'));
      expect(part.status).toBe(200);
    }
    const small = bytes(10_000, 2);
    await writeFile(s, 'small.bin', small);
    const form = proxy.puts.filter((p) => p.path === '/');
    expect(form).toHaveLength(1);
    expect(form[0]!.status).toBe(200);
    expect((await readFile(s, 'big.bin')).equals(big)).toBe(true);
    expect((await readFile(s, 'small.bin')).equals(small)).toBe(true);
  });

  it('a part or a form upload changed on the way is refused: the write fails and nothing appears', async () => {
    const s = await store();
    proxy.corrupt = (path) => isPart(path) && partNumber(path) === 2;
    await expect(writeFile(s, 'bad.bin', bytes(3 * MiB, 3))).rejects.toThrow();
    const refused = proxy.puts.filter((p) => isPart(p.path) && partNumber(p.path) === 2);
    expect(refused.length).toBeGreaterThan(0);
    for (const part of refused) expect(part.status).toBe(400);
    expect(await s.exists('bad.bin')).toBe(false);
    proxy.corrupt = (path) => path === '/';
    await expect(writeFile(s, 'tiny-bad.bin', bytes(10_000, 4))).rejects.toThrow(/crc32/i);
    expect(proxy.puts.find((p) => p.path === '/')?.status).toBe(406);
    expect(await s.exists('tiny-bad.bin')).toBe(false);
  });
});

describe('the Kodo gateway checks a part as Kodo does', () => {
  it('a part whose body is not its Content-MD5 is 400 and nothing of it is kept', async () => {
    const key = 'raw/part.bin';
    // The key in URL-safe base64 with padding, as Kodo takes it.
    const encoded = Buffer.from(key).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
    const base = `http://${kodo.host}/buckets/${BUCKET}/objects/${encoded}/uploads`;
    const auth = { authorization: `UpToken ${kodo.uploadToken(`${BUCKET}:${key}`)}` };
    const init = await fetch(base, { method: 'POST', headers: auth });
    expect(init.status).toBe(200);
    const { uploadId } = (await init.json()) as { uploadId: string };
    const body = bytes(100_000, 5);
    const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');
    const wrong = await fetch(`${base}/${uploadId}/1`, {
      method: 'PUT',
      headers: {
        ...auth,
        'content-md5': md5(Buffer.from('other')),
        'content-type': 'application/octet-stream',
      },
      body,
    });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('Content-MD5 does not match');
    const listed = (await (await fetch(`${base}/${uploadId}`, { headers: auth })).json()) as {
      parts: unknown[];
    };
    expect(listed.parts).toEqual([]);
    const right = await fetch(`${base}/${uploadId}/1`, {
      method: 'PUT',
      headers: { ...auth, 'content-md5': md5(body), 'content-type': 'application/octet-stream' },
      body,
    });
    expect(right.status).toBe(200);
    expect(await right.json()).toMatchObject({ md5: md5(body) });
    const after = (await (await fetch(`${base}/${uploadId}`, { headers: auth })).json()) as {
      parts: unknown[];
    };
    expect(after.parts).toHaveLength(1);
  });
});
