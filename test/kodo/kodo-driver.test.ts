/**
 * The Kodo under store against the in-process Kodo gateway, asserting on what the gateway received:
 * large files as resumable v2 parts with the right qetag, small ones as one form upload, reads as
 * signed ranged GETs whose Host is the download host; required settings, the alluxio.* spellings,
 * and a wrong secret key as PERMISSION_DENIED.
 */
import type { IncomingMessage } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Configuration } from '../../src/config/configuration.js';
import { isTierfsError, type TierfsError } from '../../src/errors.js';
import { qetag } from '../../src/gateway/kodo/qetag.js';
import '../../src/ufs/drivers.js';
import { readFile, writeFile } from '../../src/ufs/io.js';
import { FileSystem } from '../../src/ufs/registry.js';
import { answer, BUCKET, bytes, type KodoFixture } from '../gateway/kodo-support.js';
import { DOWNLOAD_HOST, kodoSettings, kodoStore, startDriverFixture } from './kodo-driver-support.js';

const MiB = 1024 * 1024;
let kodo: KodoFixture;

interface Received {
  readonly method: string;
  readonly url: string;
  readonly host: string;
  readonly range?: string;
}
let received: Received[] = [];
const record = (req: IncomingMessage) =>
  received.push({
    method: req.method ?? '',
    url: req.url ?? '',
    host: req.headers.host ?? '',
    range: req.headers.range,
  });

beforeAll(async () => {
  kodo = await startDriverFixture();
  kodo.gateway.server.on('request', record);
});
afterAll(() => kodo?.cleanup());
afterEach(() => {
  received = [];
});

async function failure(action: Promise<unknown>): Promise<TierfsError> {
  try {
    await action;
  } catch (error) {
    if (isTierfsError(error)) return error;
    throw error;
  }
  throw new Error('expected a TierfsError, but it resolved');
}

describe('uploads', () => {
  it('a 24 MiB file goes up as six 4 MiB resumable v2 parts and gets the right qetag', async () => {
    const store = await kodoStore(kodo, 'up/');
    try {
      const data = bytes(24 * MiB, 5);
      await writeFile(store, 'big.bin', data);
      const parts = received.filter((r) => r.method === 'PUT' && /\/uploads\/[^/]+\/\d+$/.test(r.url));
      expect(parts).toHaveLength(6);
      expect(parts.map((r) => Number(r.url.split('/').pop())).sort((a, b) => a - b)).toEqual([
        1, 2, 3, 4, 5, 6,
      ]);
      expect(received.filter((r) => r.method === 'POST' && /\/uploads$/.test(r.url))).toHaveLength(1);
      expect(received.filter((r) => r.method === 'POST' && /\/uploads\/[^/]+$/.test(r.url))).toHaveLength(1);
      expect(received.some((r) => r.method === 'POST' && r.url === '/')).toBe(false);
      const status = await store.getStatus('big.bin');
      expect(status.size).toBe(data.length);
      expect(status.etag).toBe(qetag(data));
      expect((await readFile(store, 'big.bin')).equals(data)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('the threshold, part size and concurrency keys shape the upload', async () => {
    const store = await kodoStore(kodo, 'up-settings/', {
      'tierfs.underfs.kodo.resumable.upload.threshold': '6MB',
      'tierfs.underfs.kodo.resumable.upload.part.size': '2MB',
      'tierfs.underfs.kodo.resumable.upload.concurrency': '2',
    });
    try {
      const small = bytes(5 * MiB, 6);
      await writeFile(store, 'under-threshold.bin', small);
      expect(received.filter((r) => r.method === 'POST' && r.url === '/')).toHaveLength(1);
      expect(received.some((r) => r.url.includes('/uploads'))).toBe(false);
      received = [];
      const large = bytes(7 * MiB, 7);
      await writeFile(store, 'over-threshold.bin', large);
      expect(received.filter((r) => r.method === 'PUT' && /\/uploads\/[^/]+\/\d+$/.test(r.url))).toHaveLength(
        4,
      );
      expect((await store.getStatus('over-threshold.bin')).etag).toBe(qetag(large));
      expect((await store.getStatus('under-threshold.bin')).etag).toBe(qetag(small));
    } finally {
      await store.close();
    }
  });
});

describe('reads', () => {
  it('a ranged read is a signed GET to the endpoint with Host: <downloadhost> and a Range', async () => {
    const store = await kodoStore(kodo, 'read/');
    try {
      const data = bytes(100_000, 9);
      await writeFile(store, 'dir/a b+c.bin', data);
      received = [];
      const part = await readFile(store, 'dir/a b+c.bin', { offset: 1000, length: 5000 });
      expect(part.equals(data.subarray(1000, 6000))).toBe(true);
      // The other GET is the SDK's stat on rs (127.0.0.1:port).
      const downloads = received.filter((r) => r.method === 'GET' && !r.url.startsWith('/stat/'));
      expect(downloads).toHaveLength(1);
      const [get] = downloads;
      expect(get?.host).toBe(DOWNLOAD_HOST);
      expect(get?.range).toBe('bytes=1000-5999');
      expect(get?.url).toMatch(/^\/read\/dir\/a%20b%2Bc\.bin\?e=\d+&token=AKtierfsTest(:|%3A)/);
    } finally {
      await store.close();
    }
  });
});

describe('rename', () => {
  it('a file is renamed with one server-side move; a directory by copies then a batch delete', async () => {
    const store = await kodoStore(kodo, 'rename/');
    try {
      await writeFile(store, 'a.txt', Buffer.from('a'));
      await writeFile(store, 'd/x.txt', Buffer.from('x'));
      await writeFile(store, 'd/y.txt', Buffer.from('y'));
      received = [];
      await store.rename('a.txt', 'b.txt');
      expect(received.filter((r) => r.url.startsWith('/move/'))).toHaveLength(1);
      expect(received.some((r) => r.url.startsWith('/copy/') || r.url.startsWith('/delete/'))).toBe(false);
      expect((await readFile(store, 'b.txt')).toString()).toBe('a');
      expect(await store.exists('a.txt')).toBe(false);
      received = [];
      await store.rename('d', 'e');
      expect(received.filter((r) => r.url.startsWith('/copy/')).length).toBeGreaterThanOrEqual(2);
      expect(received.filter((r) => r.url === '/batch')).not.toHaveLength(0);
      expect((await readFile(store, 'e/y.txt')).toString()).toBe('y');
      expect(await store.exists('d')).toBe(false);
    } finally {
      await store.close();
    }
  });
});

describe('directory markers', () => {
  it("writes 'dir/' markers by default, which the gateway keeps and lists while the directory is empty", async () => {
    const store = await kodoStore(kodo, 'markers/');
    try {
      await store.mkdirs('made/here', { createParent: true });
      const stat = await answer(kodo.bucketManager.stat(BUCKET, 'markers/made/here/'));
      expect(stat.status).toBe(200);
      expect(stat.body).toMatchObject({ fsize: 0 });
      expect((await store.list('made')).entries.map((e) => [e.name, e.isDirectory])).toEqual([
        ['here', true],
      ]);
      await writeFile(store, 'made/here/f.txt', Buffer.from('f'));
      await store.delete('made/here/f.txt');
      expect((await store.getStatus('made/here')).isDirectory).toBe(true);
      expect((await store.list('made/here')).entries).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("writes 'dir_$folder$' markers with tierfs.underfs.kodo.directory.suffix=_$folder$", async () => {
    const store = await kodoStore(kodo, 'folder-markers/', {
      'tierfs.underfs.kodo.directory.suffix': '_$folder$',
    });
    try {
      await store.mkdirs('alluxio', { createParent: true });
      expect((await answer(kodo.bucketManager.stat(BUCKET, 'folder-markers/alluxio_$folder$'))).status).toBe(
        200,
      );
      expect((await store.getStatus('alluxio')).isDirectory).toBe(true);
    } finally {
      await store.close();
    }
  });
});

describe('settings', () => {
  const required = [
    'fs.kodo.accesskey',
    'fs.kodo.secretkey',
    'tierfs.underfs.kodo.downloadhost',
    'tierfs.underfs.kodo.endpoint',
  ];

  it('FileSystem.get names each missing required key in a CONFIG_INVALID error', async () => {
    const all = kodoSettings(kodo);
    for (const key of required) {
      const { [key]: _, ...rest } = all;
      const error = await failure(FileSystem.get('kodo://photos/dir', Configuration.of(rest)));
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toContain(key);
      for (const other of required.filter((k) => k !== key))
        expect(error.message).not.toContain(`${other} (`);
    }
    const none = await failure(FileSystem.get('kodo://photos/dir', Configuration.of({})));
    expect(none.code).toBe('CONFIG_INVALID');
    for (const key of required) expect(none.message).toContain(key);
    expect(none.message).toContain('alluxio.underfs.kodo.downloadhost');
  });

  it("accepts the seed's spellings (fs.kodo.accessKey, alluxio.underfs.kodo.*)", async () => {
    const store = await FileSystem.get('kodo://photos/alluxio-keys', {
      ...kodoSettings(kodo),
      'fs.kodo.accesskey': '',
      'fs.kodo.accessKey': 'AKtierfsTest',
      'tierfs.underfs.kodo.downloadhost': '',
      'alluxio.underfs.kodo.downloadhost': DOWNLOAD_HOST,
      'tierfs.underfs.kodo.endpoint': '',
      'alluxio.underfs.kodo.endpoint': kodo.host,
    });
    try {
      await writeFile(store, 'x.txt', Buffer.from('hello'));
      expect((await readFile(store, 'x.txt')).toString()).toBe('hello');
    } finally {
      await store.close();
    }
  });

  it('a wrong secret key is PERMISSION_DENIED naming bucket and key and the properties to check', async () => {
    const store = await kodoStore(kodo, 'denied/', { 'fs.kodo.secretkey': 'not-the-secret' });
    try {
      const stat = await failure(store.getStatus('some/file.txt'));
      expect(stat.code).toBe('PERMISSION_DENIED');
      expect(stat.message).toContain('kodo://photos/denied/some/file.txt');
      expect(stat.message).toContain('fs.kodo.accesskey');
      expect(stat.message).toContain('fs.kodo.secretkey');
      const write = await failure(writeFile(store, 'new.txt', Buffer.from('x')));
      expect(write.code).toBe('PERMISSION_DENIED');
      expect(write.message).toContain('kodo://photos/denied/new.txt');
    } finally {
      await store.close();
    }
  });

  it('a wrong secret key on a read (signed download URL) is PERMISSION_DENIED too', async () => {
    const good = await kodoStore(kodo, 'denied-read/');
    const bad = await kodoStore(kodo, 'denied-read/', { 'fs.kodo.secretkey': 'not-the-secret' });
    try {
      await writeFile(good, 'f.txt', Buffer.from('secret data'));
      const error = await failure(bad.open('f.txt'));
      expect(error.code).toBe('PERMISSION_DENIED');
      expect(error.message).toContain('kodo://photos/denied-read/f.txt');
    } finally {
      await good.close();
      await bad.close();
    }
  });
});
