/**
 * The OSS driver's configuration and failure behaviour, with the real ali-oss client against the
 * in-process OSS gateway: hadoop-aliyun's messages for a missing endpoint or AccessKey, the
 * environment fallback, a wrong secret, each fs.oss.* key the driver wires (several observed
 * through a recording proxy set with fs.oss.proxy.*), '/' and `_$folder$` markers, a nested mount
 * with three --option keys, and a 256 MiB in-memory multipart upload.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Configuration } from '../../src/config/configuration.js';
import { isTierfsError, type TierfsError } from '../../src/errors.js';
import { SqliteMetaStore } from '../../src/meta/sqlite-store.js';
import { Namespace } from '../../src/namespace/namespace.js';
import type { UnderStore } from '../../src/ufs/contract.js';
import '../../src/ufs/drivers.js';
import { readFile, writeFile } from '../../src/ufs/io.js';
import { MISSING_CREDENTIALS, MISSING_ENDPOINT } from '../../src/ufs/oss/oss-settings.js';
import { FileSystem } from '../../src/ufs/registry.js';
import { readTextFile, writeAsText } from '../../src/ufs/text.js';
import { AK, BUCKET, client, type RunningGateway, SECRET, startGateway } from '../gateway/oss-support.js';
import { eventually } from '../support/eventually.js';
import { type RecordingProxy, startRecordingProxy } from './recording-proxy.js';

const MiB = 1024 * 1024;
let gw: RunningGateway;
let proxy: RecordingProxy;
const stores: UnderStore[] = [];
let n = 0;

beforeAll(async () => {
  gw = await startGateway();
  proxy = await startRecordingProxy();
});
afterAll(async () => {
  await proxy.close();
  await gw.stop();
});
afterEach(async () => {
  proxy.intercept = () => false;
  proxy.requests.length = 0;
  await Promise.all(stores.splice(0).map((s) => s.close?.()));
});

/** Path-style options for the gateway, plus `extra`. */
function options(extra: Record<string, string> = {}): Record<string, string> {
  return {
    'fs.oss.endpoint': `localhost:${gw.port}`,
    'fs.oss.accessKeyId': AK,
    'fs.oss.accessKeySecret': SECRET,
    'fs.oss.connection.secure.enabled': 'false',
    'tierfs.underfs.oss.path.style.access': 'true',
    ...extra,
  };
}

/** Through the recording proxy. */
function proxied(extra: Record<string, string> = {}): Record<string, string> {
  return options({ 'fs.oss.proxy.host': '127.0.0.1', 'fs.oss.proxy.port': String(proxy.port), ...extra });
}

async function open(values: Record<string, string>, env: Record<string, string> = {}): Promise<UnderStore> {
  const store = await FileSystem.get(`oss://${BUCKET}/store-${++n}/`, Configuration.of(values, { env }));
  stores.push(store);
  return store;
}

async function failure(promise: Promise<unknown>): Promise<TierfsError> {
  try {
    await promise;
  } catch (error) {
    if (isTierfsError(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('credentials and endpoint', () => {
  it('a missing endpoint fails at FileSystem.get with the hadoop-aliyun message', async () => {
    const error = await failure(open({ 'fs.oss.accessKeyId': AK, 'fs.oss.accessKeySecret': SECRET }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toBe(
      "Aliyun OSS endpoint should not be null or empty. Please set proper endpoint with 'fs.oss.endpoint'.",
    );
    expect(MISSING_ENDPOINT).toBe(error.message);
  });

  it('missing keys fail at FileSystem.get with the hadoop-aliyun message', async () => {
    const cases: Record<string, string>[] = [
      {},
      { 'fs.oss.accessKeyId': AK },
      { 'fs.oss.accessKeySecret': SECRET },
    ];
    for (const values of cases) {
      const error = await failure(open({ 'fs.oss.endpoint': gw.endpoint, ...values }));
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toBe('AccessKeyId and AccessKeySecret should not be null or empty.');
    }
    expect(MISSING_CREDENTIALS).toBe('AccessKeyId and AccessKeySecret should not be null or empty.');
  });

  it('falls back to ALIYUN_OSS_ACCESS_KEY_ID / ALIYUN_OSS_ACCESS_KEY_SECRET', async () => {
    const { 'fs.oss.accessKeyId': _id, 'fs.oss.accessKeySecret': _secret, ...rest } = options();
    const store = await open(rest, { ALIYUN_OSS_ACCESS_KEY_ID: AK, ALIYUN_OSS_ACCESS_KEY_SECRET: SECRET });
    await writeFile(store, 'env.txt', Buffer.from('from env'));
    expect((await readFile(store, 'env.txt')).toString()).toBe('from env');
  });

  it('a wrong secret is PERMISSION_DENIED naming the bucket, the key and what to check', async () => {
    const store = await open(options({ 'fs.oss.accessKeySecret': 'wrong-secret' }));
    const error = await failure(writeFile(store, 'denied.txt', Buffer.from('x')));
    expect(error.code).toBe('PERMISSION_DENIED');
    expect(error.message).toMatch(/OSS denied \w+ on oss:\/\/test-bucket\/store-\d+\/denied\.txt/);
    expect(error.message).toContain('SignatureDoesNotMatch');
    expect(error.message).toContain('fs.oss.accessKeySecret');
    expect(error.message).not.toContain('wrong-secret');
  });

  it('a missing bucket is NOT_FOUND naming the bucket', async () => {
    const store = await FileSystem.get('oss://no-such-bucket/dir/', Configuration.of(options()));
    stores.push(store);
    const error = await failure(readFile(store, 'x.txt'));
    expect(error.code).toBe('NOT_FOUND');
  });

  it('fs.oss.endpoint with a scheme, or an IP with the Host rewrite, without path style', async () => {
    const store = await open(
      options({ 'fs.oss.endpoint': gw.endpoint, 'tierfs.underfs.oss.path.style.access': 'false' }),
    );
    await writeFile(store, 'ip.txt', Buffer.from('ip'));
    expect((await readFile(store, 'ip.txt')).toString()).toBe('ip');
  });

  it('fs.oss.connection.secure.enabled (default true) makes a bare endpoint https', async () => {
    const values = options();
    delete values['fs.oss.connection.secure.enabled'];
    const store = await open({ ...values, 'fs.oss.attempts.maximum': '0' });
    const error = await failure(store.getStatus('x'));
    expect(error.retryable).toBe(true);
    expect(error.code).toMatch(/UNAVAILABLE|TIMEOUT/);
  });
});

describe('fs.oss.* keys', () => {
  it('fs.oss.proxy.host / fs.oss.proxy.port send every request through the proxy', async () => {
    const store = await open(proxied());
    await writeFile(store, 'p.txt', Buffer.from('via proxy'));
    expect(proxy.requests.some((r) => r.startsWith(`PUT http://localhost:${gw.port}/${BUCKET}/`))).toBe(true);
  });

  it('fs.oss.list.version 1 lists with ListObjects, 2 (default) with ListObjectsV2', async () => {
    const v1 = await open(proxied({ 'fs.oss.list.version': '1' }));
    await writeFile(v1, 'a/b.txt', Buffer.from('b'));
    await v1.list('a');
    const lists = proxy.requests.filter((r) => r.startsWith('GET') && r.includes('prefix='));
    expect(lists.length).toBeGreaterThan(0);
    expect(lists.every((r) => !r.includes('list-type=2'))).toBe(true);
    proxy.requests.length = 0;
    const v2 = await open(proxied());
    await v2.list('');
    expect(proxy.requests.some((r) => r.includes('list-type=2'))).toBe(true);
  });

  it('fs.oss.paging.maximum sets max-keys of listing pages; tierfs.underfs.listing.length wins', async () => {
    const store = await open(proxied({ 'fs.oss.paging.maximum': '7' }));
    for (const name of ['1', '2', '3']) await writeFile(store, `d/${name}`, Buffer.from(name));
    await store.list('d');
    expect(proxy.requests.some((r) => r.includes('max-keys=7'))).toBe(true);
    proxy.requests.length = 0;
    const both = await open(proxied({ 'fs.oss.paging.maximum': '7', 'tierfs.underfs.listing.length': '9' }));
    await both.list('');
    expect(proxy.requests.some((r) => r.includes('max-keys=9'))).toBe(true);
    expect(proxy.requests.some((r) => r.includes('max-keys=7'))).toBe(false);
  });

  it('fs.oss.attempts.maximum retries a 503; tierfs.underfs.oss.retry.max wins when set', async () => {
    let failures = 0;
    proxy.intercept = (req, res) => {
      if (req.method !== 'PUT' || failures >= 2) return false;
      failures++;
      req.resume();
      res.writeHead(503, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0"?><Error><Code>ServiceUnavailable</Code><Message>busy</Message></Error>');
      return true;
    };
    const store = await open(proxied({ 'fs.oss.attempts.maximum': '2' }));
    await writeFile(store, 'retried.txt', Buffer.from('ok'));
    expect(failures).toBe(2);
    failures = 0;
    const strict = await open(
      proxied({ 'fs.oss.attempts.maximum': '5', 'tierfs.underfs.oss.retry.max': '1' }),
    );
    const error = await failure(writeFile(strict, 'not-retried.txt', Buffer.from('no')));
    expect(error.code).toBe('UNAVAILABLE');
    expect(failures).toBe(2);
  });

  it('fs.oss.connection.timeout is the socket timeout: a stalled response fails as TIMEOUT', async () => {
    proxy.intercept = (req) => req.method === 'HEAD';
    const store = await open(proxied({ 'fs.oss.connection.timeout': '300', 'fs.oss.attempts.maximum': '0' }));
    const started = Date.now();
    const error = await failure(store.getStatus('stalled.txt'));
    expect(error.code).toBe('TIMEOUT');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('fs.oss.multipart.upload.size sets the part size; the tierfs partition size wins when set', async () => {
    const store = await open(proxied({ 'fs.oss.multipart.upload.size': '1MB' }));
    await writeFile(store, 'three.bin', randomBytes(3 * MiB));
    expect(proxy.requests.filter((r) => r.includes('partNumber=')).length).toBe(3);
    proxy.requests.length = 0;
    const both = await open(
      proxied({
        'fs.oss.multipart.upload.size': '1MB',
        'tierfs.underfs.oss.multipart.upload.partition.size': '2MB',
      }),
    );
    await writeFile(both, 'two.bin', randomBytes(3 * MiB));
    expect(proxy.requests.filter((r) => r.includes('partNumber=')).length).toBe(2);
  });

  it('fs.oss.upload.active.blocks caps the parts of one file uploading at once', async () => {
    const fresh = await startRecordingProxy();
    try {
      const capped = await open(
        options({
          'fs.oss.proxy.host': '127.0.0.1',
          'fs.oss.proxy.port': String(fresh.port),
          'tierfs.underfs.oss.multipart.upload.enabled': 'true',
          'tierfs.underfs.oss.multipart.upload.threads': '8',
          'fs.oss.upload.active.blocks': '1',
          'fs.oss.multipart.upload.size': '256KB',
        }),
      );
      await writeFile(capped, 'capped.bin', randomBytes(2 * MiB));
      expect(fresh.requests.filter((r) => r.includes('partNumber=')).length).toBe(8);
      expect(fresh.maxPartsInFlight()).toBe(1);
    } finally {
      await fresh.close();
    }
  });

  it('fs.oss.buffer.dir holds the temp file of a buffered upload', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tierfs-oss-buffer-'));
    try {
      const store = await open(options({ 'fs.oss.buffer.dir': dir }));
      const out = await store.create('buffered.txt');
      out.write(Buffer.from('staged'));
      await eventually(async () => (await readdir(dir)).length === 1, 'the temp file in fs.oss.buffer.dir');
      await new Promise<void>((resolve, reject) =>
        out.end((e?: Error | null) => (e ? reject(e) : resolve())),
      );
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('requests per operation', () => {
  it('a write into a known directory is a PUT and a HEAD; a read pinned to its version one GET', async () => {
    const store = await open(proxied());
    await store.mkdirs('d');
    proxy.requests.length = 0;
    const data = randomBytes(4096);
    const out = await store.create('d/small.bin', { overwrite: true, parentExists: true });
    await pipeline(Readable.from([data]), out);
    const key = `/${BUCKET}/store-${n}/d/small.bin`;
    expect(proxy.requests.map((r) => r.replace(/^(\w+) http:\/\/[^/]+/, '$1 '))).toEqual([
      `PUT ${key}`,
      `HEAD ${key}`,
    ]);
    proxy.requests.length = 0;
    const { fingerprint: version, size } = out.written!;
    expect(await readFile(store, 'd/small.bin', { version, size })).toEqual(data);
    expect(proxy.requests.map((r) => r.replace(/^(\w+) http:\/\/[^/]+/, '$1 '))).toEqual([`GET ${key}`]);
  });
});

describe('Flink-style use', () => {
  it('readTextFile and writeAsText on oss:// URIs with the three fs.oss.* keys', async () => {
    const conf = {
      'fs.oss.endpoint': gw.endpoint,
      'fs.oss.accessKeyId': AK,
      'fs.oss.accessKeySecret': SECRET,
    };
    const rows = ['1|AAAAAAAABAAAAAAA|1998-01-01', '2|AAAAAAAACAAAAAAA|1998-01-01'];
    await writeAsText(`oss://${BUCKET}/50/call_center/data-m-00049`, rows, conf);
    const read: string[] = [];
    for await (const line of readTextFile(`oss://${BUCKET}/50/call_center/data-m-00049`, conf))
      read.push(line);
    expect(read).toEqual(rows);
    const error = await failure(
      (async () => {
        for await (const _ of readTextFile(`oss://${BUCKET}/50/call_center/data-m-00049`, {})) break;
      })(),
    );
    expect(error.message).toBe(MISSING_ENDPOINT);
  });
});

describe('directory markers', () => {
  it("writes 'dir/' markers by default, as hadoop-aliyun and the S3 driver do; the gateway keeps them", async () => {
    const store = await open(options());
    await store.mkdirs('made/here', { createParent: true });
    const oss = client(gw, 'path-style');
    expect((await oss.head(`store-${n}/made/here/`)).status).toBe(200);
    const listed = await oss.list({ prefix: `store-${n}/made/` }, {});
    expect(listed.objects.map((o) => [o.name, o.size])).toEqual([
      [`store-${n}/made/`, 0],
      [`store-${n}/made/here/`, 0],
    ]);
    await writeFile(store, 'made/here/f.txt', Buffer.from('f'));
    await store.delete('made/here/f.txt');
    expect((await store.getStatus('made/here')).isDirectory).toBe(true);
    expect((await store.list('made/here')).entries).toEqual([]);
  });

  it("writes 'dir_$folder$' markers with tierfs.underfs.oss.directory.suffix=_$folder$", async () => {
    const store = await open(options({ 'tierfs.underfs.oss.directory.suffix': '_$folder$' }));
    await store.mkdirs('alluxio', { createParent: true });
    const oss = client(gw, 'path-style');
    expect((await oss.head(`store-${n}/alluxio_$folder$`)).status).toBe(200);
    expect((await store.getStatus('alluxio')).isDirectory).toBe(true);
  });
});

describe('nested mount', () => {
  it('mounts oss://bucket/dir with the three fs.oss.* options and reads and writes through it', async () => {
    const base = await mkdtemp(join(tmpdir(), 'tierfs-oss-ns-'));
    const meta = new SqliteMetaStore(':memory:');
    const root = { user: 'root', groups: ['root'] };
    const ns = await Namespace.open(
      Configuration.of({ 'tierfs.master.mount.table.root.ufs': base }),
      meta,
      'root',
    );
    try {
      await client(gw, 'path-style').put('mounted/dir/hello.txt', Buffer.from('hello from oss'));
      const point = await ns.mount('/oss', `oss://${BUCKET}/mounted/dir/`, root, {
        options: {
          'fs.oss.accessKeyId': AK,
          'fs.oss.accessKeySecret': SECRET,
          'fs.oss.endpoint': gw.endpoint,
        },
      });
      expect(point).toMatchObject({ isDirectory: true, mountPoint: true });
      const listed = await ns.listStatus('/oss', root);
      expect(JSON.stringify(listed)).toContain('hello.txt');
    } finally {
      await ns.close();
      await meta.close();
      await rm(base, { recursive: true, force: true });
    }
  });
});

describe('multipart upload', () => {
  it('256 MiB with threads=4 arrive as 256 MiB / partition size parts, MD5 intact, memory bounded', async () => {
    const partition = 32 * MiB;
    const total = 256 * MiB;
    const fresh = await startRecordingProxy();
    try {
      const store = await open(
        options({
          'fs.oss.proxy.host': '127.0.0.1',
          'fs.oss.proxy.port': String(fresh.port),
          'tierfs.underfs.oss.multipart.upload.enabled': 'true',
          'tierfs.underfs.oss.multipart.upload.threads': '4',
          'tierfs.underfs.oss.multipart.upload.partition.size': '32MB',
        }),
      );
      const md5 = createHash('md5');
      const chunk = randomBytes(MiB);
      let sent = 0;
      let peakRss = 0;
      const source = Readable.from(
        (function* () {
          while (sent < total) {
            // Each MiB differs (its first bytes carry its index), so misplaced parts change the MD5.
            const piece = Buffer.from(chunk);
            piece.writeUInt32BE(sent / MiB, 0);
            md5.update(piece);
            sent += piece.length;
            peakRss = Math.max(peakRss, process.memoryUsage().rss);
            yield piece;
          }
        })(),
      );
      await pipeline(source, await store.create('big.bin'));
      const parts = fresh.requests.filter((r) => r.startsWith('PUT') && r.includes('partNumber='));
      expect(parts.length).toBe(total / partition);
      expect(fresh.maxPartsInFlight()).toBeLessThanOrEqual(4);
      expect(fresh.maxPartsInFlight()).toBeGreaterThan(1);
      const stored = createHash('md5');
      await pipeline(createReadStream(join(gw.root, BUCKET, `store-${n}`, 'big.bin')), stored);
      expect(stored.digest('hex')).toBe(md5.digest('hex'));
      console.log(
        `256 MiB multipart: ${parts.length} UploadPart requests of ${partition / MiB} MiB, ` +
          `max ${fresh.maxPartsInFlight()} in flight, peak RSS while writing ${Math.round(peakRss / MiB)} MiB`,
      );
      expect((await store.getStatus('big.bin')).size).toBe(total);
    } finally {
      await fresh.close();
    }
  }, 180_000);
});

describe('in-memory multipart upload while the writer pauses', () => {
  it('a full part uploads while the writer waits mid-part; destroy then leaves no object', async () => {
    const store = await open(
      proxied({
        'tierfs.underfs.oss.multipart.upload.enabled': 'true',
        'tierfs.underfs.oss.multipart.upload.threads': '2',
        'tierfs.underfs.oss.multipart.upload.partition.size': '1MB',
      }),
    );
    const before = proxy.partsAnswered();
    const out = await store.create('paused.bin');
    // One full part and a few bytes of the next, then the writer pauses (no end()).
    await new Promise<void>((resolve, reject) =>
      out.write(randomBytes(MiB + 10), (error) => (error ? reject(error) : resolve())),
    );
    await eventually(
      () => proxy.partsAnswered() - before === 1,
      'part 1 to upload while the writer pauses',
      10_000,
    );
    out.destroy();
    await new Promise((resolve) => out.once('close', resolve));
    expect(await store.exists('paused.bin')).toBe(false);
  }, 60_000);
});
