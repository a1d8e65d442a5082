/**
 * Every setting of seed 002 (Amazon S3), each shown to change what goes over the wire: s3rver
 * behind a recording proxy, or the request the client would send, captured after signing.
 * Credentials have their own file (credentials.test.ts), faults too (faults.test.ts).
 */
import { readdir } from 'node:fs/promises';
import { S3Client } from '@aws-sdk/client-s3';
import type { HttpRequest } from '@smithy/types';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Configuration } from '../../src/config/configuration.js';
import { readFile, writeFile } from '../../src/ufs/io.js';
import { setUfsLogSink, type UfsLogRecord } from '../../src/ufs/log.js';
import { EMPTY_BODY } from '../../src/ufs/object/multipart.js';
import { FileSystem, parseUfsUri } from '../../src/ufs/registry.js';
import { randomBuffer } from '../contract/suite.js';
import '../../src/ufs/drivers.js';
import { buildS3ClientConfig, maxConnections, s3Agents } from '../../src/ufs/s3/s3-client-config.js';
import { S3ObjectClient } from '../../src/ufs/s3/s3-object-client.js';
import { createS3UnderStore } from '../../src/ufs/s3/s3-store.js';
import { expectCode } from '../contract/suite.js';
import { type FaultProxy, type SeenRequest, startFaultProxy } from '../support/fault-proxy.js';
import {
  pendingUploads,
  type RunningS3rver,
  rawKeys,
  rootPrefixOf,
  S3RVER_KEY,
  S3RVER_OWNER,
  s3rverConfiguration,
  s3rverStore,
  startS3rver,
  TEST_BUCKET,
  TEST_UPLOADS_DIR,
} from '../support/s3rver.js';

const MiB = 1024 * 1024;
const V2_KEY = ['V2USER', 'v2-secret-key'] as [string, string];

let server: RunningS3rver;
let proxy: FaultProxy;
beforeAll(async () => {
  server = await startS3rver({
    keys: [V2_KEY],
    acl: {
      ownerId: S3RVER_OWNER.id,
      grants: [
        [S3RVER_OWNER.id, 'READ'],
        ['someone-else', 'FULL_CONTROL'],
      ],
    },
  });
  proxy = await startFaultProxy(server.endpoint);
});
afterAll(async () => {
  await proxy?.close();
  await server?.close();
});
beforeEach(() => {
  proxy.rules.length = 0;
  proxy.requests.length = 0;
});

/** The requests a store under test sent, seen by the proxy. */
const sent = (filter: (r: SeenRequest) => boolean) => proxy.requests.filter(filter);
const isPart = (r: SeenRequest) => r.method === 'PUT' && r.query.has('partNumber');

/** The request an S3ObjectClient would send (signed, final), captured instead of sent. */
async function captureRequest(conf: Configuration, bucket = TEST_BUCKET): Promise<HttpRequest> {
  const s3 = new S3Client(buildS3ClientConfig(conf, bucket));
  let captured: HttpRequest | undefined;
  s3.middlewareStack.add(
    () => async (args) => {
      captured = args.request as HttpRequest;
      throw new Error('captured');
    },
    { step: 'finalizeRequest', priority: 'low', name: 'capture' },
  );
  const client = new S3ObjectClient({ client: s3, bucket, serverSideEncryption: true, listObjectsV1: false });
  await client.putObject('dir/file.txt', EMPTY_BODY).catch(() => undefined);
  s3.destroy();
  if (!captured) throw new Error('no request was captured');
  return captured;
}

describe('mounting: bucket root or a directory, s3:// and s3a://', () => {
  it('FileSystem.get of s3://bucket/dir and s3a://bucket/ address the same objects', async () => {
    const conf = s3rverConfiguration(server.endpoint);
    const dir = await FileSystem.get(`s3://${TEST_BUCKET}/mounted-dir`, conf);
    const bucketRoot = await FileSystem.get(`s3a://${TEST_BUCKET}/`, conf);
    try {
      expect(dir.uri).toBe(`s3://${TEST_BUCKET}/mounted-dir/`);
      expect(bucketRoot.uri).toBe(`s3a://${TEST_BUCKET}/`);
      await writeFile(dir, 'file.txt', 'via dir');
      expect((await readFile(bucketRoot, 'mounted-dir/file.txt')).toString()).toBe('via dir');
      expect(await rawKeys(server, 'mounted-dir/')).toEqual(['file.txt']);
    } finally {
      await dir.close();
      await bucketRoot.close();
    }
  });
});

describe('endpoint, path style, region, proxy, encryption, signatures', () => {
  it('tierfs.underfs.s3.endpoint: a bare host:port means http, and requests go there', async () => {
    const conf = s3rverConfiguration(`127.0.0.1:${proxy.port}`);
    const store = await createS3UnderStore(parseUfsUri(`s3://${TEST_BUCKET}/endpoint/`), conf);
    try {
      await writeFile(store, 'x.txt', 'x');
      expect(sent((r) => r.method === 'PUT' && !r.forwarded)).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it('tierfs.underfs.s3.disable.dns.buckets: path style when true, bucket host names when false', async () => {
    const base = {
      'tierfs.underfs.s3.endpoint': 'http://s3.example.test:9000',
      'aws.accessKeyId': 'a',
      'aws.secretKey': 'b',
    };
    const pathStyle = await captureRequest(
      Configuration.of({ ...base, 'tierfs.underfs.s3.disable.dns.buckets': 'true' }),
    );
    expect(pathStyle.hostname).toBe('s3.example.test');
    expect(pathStyle.path).toBe(`/${TEST_BUCKET}/dir/file.txt`);
    const dns = await captureRequest(
      Configuration.of({ ...base, 'tierfs.underfs.s3.disable.dns.buckets': 'false' }),
    );
    expect(dns.hostname).toBe(`${TEST_BUCKET}.s3.example.test`);
    expect(dns.path).toBe('/dir/file.txt');
  });

  it('tierfs.underfs.s3.region and endpoint.region: the signing region of SigV4', async () => {
    const base = {
      'tierfs.underfs.s3.endpoint': 'http://s3.example.test',
      'aws.accessKeyId': 'AKID',
      'aws.secretKey': 's',
    };
    const region = await captureRequest(
      Configuration.of({ ...base, 'tierfs.underfs.s3.region': 'eu-west-3' }),
    );
    expect(region.headers.authorization).toContain('/eu-west-3/s3/aws4_request');
    const endpointRegion = await captureRequest(
      Configuration.of({
        ...base,
        'tierfs.underfs.s3.region': 'eu-west-3',
        'tierfs.underfs.s3.endpoint.region': 'cn-north-1',
      }),
    );
    expect(endpointRegion.headers.authorization).toContain('/cn-north-1/s3/aws4_request');
  });

  it('tierfs.underfs.s3.server.side.encryption.enabled: HTTPS and x-amz-server-side-encryption: AES256', async () => {
    const request = await captureRequest(
      s3rverConfiguration(server.endpoint, { 'tierfs.underfs.s3.server.side.encryption.enabled': 'true' }),
    );
    expect(request.protocol).toBe('https:');
    expect(request.headers['x-amz-server-side-encryption']).toBe('AES256');
    const plain = await captureRequest(s3rverConfiguration(server.endpoint));
    expect(plain.protocol).toBe('http:');
  });

  it('tierfs.underfs.s3.proxy.host/port: every request goes through the proxy', async () => {
    const store = await s3rverStore(server.endpoint, {
      'tierfs.underfs.s3.proxy.host': '127.0.0.1',
      'tierfs.underfs.s3.proxy.port': String(proxy.port),
    });
    try {
      await writeFile(store, 'p.txt', 'proxied');
      expect((await readFile(store, 'p.txt')).toString()).toBe('proxied');
      const forwarded = sent((r) => r.forwarded);
      expect(forwarded.length).toBeGreaterThanOrEqual(3);
      expect(forwarded.length).toBe(proxy.requests.length);
      expect(forwarded.some((r) => r.method === 'PUT')).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('tierfs.underfs.s3.signer.algorithm=S3SignerType: v2 signatures, which s3rver verifies', async () => {
    // No '+' or '=' in the name: s3rver decodes x-amz-copy-source with decodeURI, which keeps %2B.
    const v2 = { 'tierfs.underfs.s3.signer.algorithm': 'S3SignerType', 'aws.accessKeyId': V2_KEY[0] };
    const store = await s3rverStore(proxy.endpoint, { ...v2, 'aws.secretKey': V2_KEY[1] });
    try {
      await writeFile(store, 'dir/v2 file é.txt', 'signed with v2');
      expect((await readFile(store, 'dir/v2 file é.txt')).toString()).toBe('signed with v2');
      expect((await store.list('dir')).entries).toHaveLength(1);
      await store.rename('dir', 'moved');
      await store.delete('moved', { recursive: true });
      expect(
        proxy.requests.every((r) => String(r.headers.authorization).startsWith(`AWS ${V2_KEY[0]}:`)),
      ).toBe(true);
    } finally {
      await store.close();
    }
    const wrong = await s3rverStore(proxy.endpoint, { ...v2, 'aws.secretKey': 'not-the-secret' });
    try {
      await expectCode(writeFile(wrong, 'x.txt', 'x'), 'PERMISSION_DENIED');
    } finally {
      await wrong.close();
    }
  });
});

describe('uploads', () => {
  it('tierfs.underfs.s3.streaming.upload.enabled and partition.size: parts while writing, one PUT when small', async () => {
    const store = await s3rverStore(proxy.endpoint, {
      'tierfs.underfs.s3.streaming.upload.enabled': 'true',
      'tierfs.underfs.s3.streaming.upload.partition.size': '5MB',
    });
    try {
      const data = randomBuffer(12 * MiB, 'streaming');
      const out = await store.create('big.bin');
      for (let at = 0; at < 6 * MiB; at += MiB) {
        if (!out.write(data.subarray(at, at + MiB)))
          await new Promise((resolve) => out.once('drain', resolve));
      }
      // A partition is full: its part is on its way before the file is complete.
      await expect.poll(() => sent(isPart).length).toBe(1);
      await new Promise<void>((resolve, reject) =>
        out.end(data.subarray(6 * MiB), () => resolve()).on('error', reject),
      );
      // Parts 2 and 3 go at once (each hashed from its partition file first): in either order.
      expect(
        sent(isPart)
          .map((r) => r.query.get('partNumber'))
          .sort(),
      ).toEqual(['1', '2', '3']);
      expect((await readFile(store, 'big.bin')).equals(data)).toBe(true);
      proxy.requests.length = 0;
      await writeFile(store, 'small.bin', randomBuffer(MiB, 'small'));
      expect(sent((r) => r.method === 'POST' && r.query.has('uploads'))).toHaveLength(0);
      expect(sent((r) => r.method === 'PUT')).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it('tierfs.underfs.s3.upload.threads.max: at most that many parts upload at once', async () => {
    const store = await s3rverStore(proxy.endpoint, {
      'tierfs.underfs.s3.streaming.upload.enabled': 'true',
      'tierfs.underfs.s3.streaming.upload.partition.size': '5MB',
      'tierfs.underfs.s3.upload.threads.max': '2',
    });
    try {
      // Backpressure: never more than threads + 1 partitions staged at once.
      let staged = 0;
      const sampler = setInterval(() => {
        void readdir(TEST_UPLOADS_DIR)
          .catch(() => [])
          .then((names) => {
            staged = Math.max(staged, names.length);
          });
      }, 2);
      try {
        await writeFile(store, 'wide.bin', randomBuffer(26 * MiB, 'threads'));
      } finally {
        clearInterval(sampler);
      }
      expect(sent(isPart)).toHaveLength(6);
      expect(proxy.peak(isPart)).toBeLessThanOrEqual(2);
      expect(staged).toBeGreaterThan(0);
      expect(staged).toBeLessThanOrEqual(3);
    } finally {
      await store.close();
    }
  });

  it('tierfs.underfs.s3.intermediate.upload.clean.age: cleanup aborts older uploads, never on read-only stores', async () => {
    const fresh = await s3rverStore(proxy.endpoint);
    const old = await s3rverStore(proxy.endpoint, {
      'tierfs.underfs.s3.intermediate.upload.clean.age': '1ms',
    });
    const readOnly = await createS3UnderStore(
      parseUfsUri(old.uri),
      s3rverConfiguration(proxy.endpoint, { 'tierfs.underfs.s3.intermediate.upload.clean.age': '1ms' }),
      { readOnly: true },
    );
    try {
      const s3 = new S3Client(buildS3ClientConfig(s3rverConfiguration(server.endpoint), TEST_BUCKET));
      const raw = new S3ObjectClient({
        client: s3,
        bucket: TEST_BUCKET,
        serverSideEncryption: false,
        listObjectsV1: false,
      });
      await raw.initiateMultipartUpload(`${rootPrefixOf(old)}left-behind.bin`);
      await raw.close();
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await fresh.cleanup()).toBe(0); // 3 days is the default age
      expect(await readOnly.cleanup()).toBe(0); // read-only mounts are never cleaned
      expect(await pendingUploads(server)).toHaveLength(1);

      // The master's sweeper calls this every tierfs.underfs.cleanup.interval (persist-sweeper.ts).
      expect(await old.cleanup()).toBe(1);
      expect(await pendingUploads(server)).toEqual([]);
    } finally {
      await Promise.all([fresh.close(), old.close(), readOnly.close()]);
    }
  });
});

describe('directories, listing, rename and delete', () => {
  it('tierfs.underfs.s3.directory.suffix: markers with another suffix', async () => {
    const store = await s3rverStore(proxy.endpoint, { 'tierfs.underfs.s3.directory.suffix': '_$folder$' });
    try {
      await store.mkdirs('a/b');
      await writeFile(store, 'a/file.txt', 'f');
      expect(await rawKeys(server, rootPrefixOf(store))).toEqual([
        'a/b_$folder$',
        'a/file.txt',
        'a_$folder$',
      ]);
      expect((await store.getStatus('a/b')).isDirectory).toBe(true);
      const listed = (await store.list('', { recursive: true })).entries.map((e) => [e.path, e.isDirectory]);
      expect(listed.sort()).toEqual([
        ['a', true],
        ['a/b', true],
        ['a/file.txt', false],
      ]);
      await store.delete('a', { recursive: true });
      expect(await rawKeys(server, rootPrefixOf(store))).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('breadcrumbs: a listing writes markers for directories without one, unless disabled or read-only', async () => {
    for (const [options, readOnly, expected] of [
      [{}, false, ['x/', 'x/y/', 'x/y/z.txt']],
      [{ 'tierfs.underfs.object.store.breadcrumbs.enabled': 'false' }, false, ['x/y/z.txt']],
      [{}, true, ['x/y/z.txt']],
    ] as const) {
      const writer = await s3rverStore(proxy.endpoint);
      await writeFile(writer, 'x/y/z.txt', 'z');
      const store = await createS3UnderStore(
        parseUfsUri(writer.uri),
        s3rverConfiguration(proxy.endpoint, options),
        {
          readOnly,
        },
      );
      try {
        proxy.requests.length = 0;
        await store.list('x', { recursive: true });
      } finally {
        // The breadcrumbs are written behind the listing's answer; close() waits for them.
        await Promise.all([store.close(), writer.close()]);
      }
      expect(await rawKeys(server, rootPrefixOf(store))).toEqual(expected);
      if (readOnly) expect(sent((r) => r.method === 'PUT')).toEqual([]);
    }
  });

  it('tierfs.underfs.object.store.skip.parent.directory.creation=false writes parent markers', async () => {
    const skip = await s3rverStore(proxy.endpoint);
    const create = await s3rverStore(proxy.endpoint, {
      'tierfs.underfs.object.store.skip.parent.directory.creation': 'false',
    });
    try {
      await writeFile(skip, 'p/q/f.txt', 'f');
      await writeFile(create, 'p/q/f.txt', 'f');
      expect(await rawKeys(server, rootPrefixOf(skip))).toEqual(['p/q/f.txt']);
      expect(await rawKeys(server, rootPrefixOf(create))).toEqual(['p/', 'p/q/', 'p/q/f.txt']);
    } finally {
      await Promise.all([skip.close(), create.close()]);
    }
  });

  it('tierfs.underfs.listing.length: keys per listing request; list.objects.v1 switches the API', async () => {
    for (const v1 of [false, true]) {
      const store = await s3rverStore(proxy.endpoint, {
        'tierfs.underfs.listing.length': '2',
        'tierfs.underfs.s3.list.objects.v1': String(v1),
      });
      try {
        for (let i = 0; i < 7; i++) await writeFile(store, `d/f${i}.txt`, 'x');
        proxy.requests.length = 0;
        // Each request's keys come back as a page of their own (a short page with a token).
        const names: string[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const page = await store.list('d', { continuationToken: token });
          names.push(...page.entries.map((e) => e.path));
          token = page.continuationToken;
          pages++;
        } while (token !== undefined);
        expect(names).toHaveLength(7);
        expect(pages).toBe(4);
        const lists = sent((r) => r.method === 'GET' && r.query.get('delimiter') === '/');
        expect(lists.length).toBe(4);
        expect(lists.every((r) => r.query.get('max-keys') === '2')).toBe(true);
        expect(lists.every((r) => r.query.has('list-type') === !v1)).toBe(true);
      } finally {
        await store.close();
      }
    }
  });

  it('tierfs.underfs.s3.bulk.delete.enabled: DeleteObjects batches, or one DELETE per key', async () => {
    for (const bulk of [true, false]) {
      const store = await s3rverStore(proxy.endpoint, {
        'tierfs.underfs.s3.bulk.delete.enabled': String(bulk),
      });
      try {
        for (let i = 0; i < 5; i++) await writeFile(store, `del/f${i}.txt`, 'x');
        proxy.requests.length = 0;
        await store.delete('del', { recursive: true });
        expect(await store.exists('del')).toBe(false);
        // s3rver sometimes answers a delete with a 500 when deletes race to remove its
        // directories; the retry succeeds, so count keys rather than requests.
        expect(proxy.count('POST', 'delete') > 0).toBe(bulk);
        const deleted = new Set(sent((r) => r.method === 'DELETE').map((r) => r.path));
        expect(deleted.size).toBe(bulk ? 0 : 5);
      } finally {
        await store.close();
      }
    }
  });

  it('tierfs.underfs.object.store.service.threads and admin.threads.max bound a directory rename', async () => {
    const store = await s3rverStore(proxy.endpoint, {
      'tierfs.underfs.object.store.service.threads': '8',
      'tierfs.underfs.s3.admin.threads.max': '3',
    });
    try {
      await Promise.all(Array.from({ length: 12 }, (_, i) => writeFile(store, `src/f${i}.txt`, `${i}`)));
      proxy.requests.length = 0;
      await store.rename('src', 'dst');
      const isCopy = (r: SeenRequest) => r.method === 'PUT' && r.headers['x-amz-copy-source'] !== undefined;
      expect(sent(isCopy)).toHaveLength(12);
      expect(proxy.peak(isCopy)).toBeLessThanOrEqual(3);
      expect((await readFile(store, 'dst/f7.txt')).toString()).toBe('7');
    } finally {
      await store.close();
    }
  });

  it('tierfs.underfs.s3.threads.max: the connection pool, raised to admin + upload threads', () => {
    expect(maxConnections(Configuration.of({}))).toBe(40);
    expect(
      maxConnections(
        Configuration.of({
          'tierfs.underfs.s3.admin.threads.max': '80',
          'tierfs.underfs.s3.threads.max': '160',
        }),
      ),
    ).toBe(160);
    expect(
      maxConnections(
        Configuration.of({
          'tierfs.underfs.s3.admin.threads.max': '80',
          'tierfs.underfs.s3.threads.max': '10',
        }),
      ),
    ).toBe(100);
    const agents = s3Agents(Configuration.of({ 'tierfs.underfs.s3.threads.max': '77' }));
    expect([agents.httpAgent.maxSockets, agents.httpsAgent.maxSockets]).toEqual([77, 77]);
  });

  it('tierfs.underfs.s3.socket.timeout: a connection that goes quiet fails with TIMEOUT', async () => {
    const store = await s3rverStore(proxy.endpoint, {
      'tierfs.underfs.s3.socket.timeout': '300ms',
      'tierfs.underfs.s3.max.error.retry': '0',
    });
    try {
      await writeFile(store, 'quiet.txt', 'q');
      proxy.rules.push({ match: (r) => r.method === 'HEAD', fault: 'stall' });
      await expectCode(store.getStatus('quiet.txt'), 'TIMEOUT');
    } finally {
      await store.close();
    }
  });
});

describe('reads', () => {
  it('tierfs.underfs.object.store.multi.range.chunk.size: long reads are a series of ranged GETs', async () => {
    const store = await s3rverStore(proxy.endpoint, {
      'tierfs.underfs.object.store.multi.range.chunk.size': '1MB',
    });
    try {
      const data = randomBuffer(3 * MiB + 100, 'chunked-read');
      await writeFile(store, 'long.bin', data);
      proxy.requests.length = 0;
      expect((await readFile(store, 'long.bin', { offset: 10 })).equals(data.subarray(10))).toBe(true);
      const ranges = sent((r) => r.method === 'GET').map((r) => r.headers.range);
      expect(ranges).toEqual([
        `bytes=10-${MiB + 9}`,
        `bytes=${MiB + 10}-${2 * MiB + 9}`,
        `bytes=${2 * MiB + 10}-${3 * MiB + 9}`,
        `bytes=${3 * MiB + 10}-${3 * MiB + 99}`,
      ]);
    } finally {
      await store.close();
    }
  });
  it('multi.range.chunk.size unset: a long read is one GET, whatever the block size', async () => {
    // The block size was the chunk size's default: 4 GETs for this read, each on a connection whose
    // congestion window starts over.
    const store = await s3rverStore(proxy.endpoint, { 'tierfs.user.block.size.bytes.default': '1MB' });
    try {
      const data = randomBuffer(3 * MiB + 100, 'one-get-read');
      await writeFile(store, 'long.bin', data);
      proxy.requests.length = 0;
      expect((await readFile(store, 'long.bin', { offset: 10 })).equals(data.subarray(10))).toBe(true);
      expect(sent((r) => r.method === 'GET').map((r) => r.headers.range)).toEqual([
        `bytes=10-${3 * MiB + 99}`,
      ]);
    } finally {
      await store.close();
    }
  });
});

describe('identity and access control', () => {
  it('inherit.acl: owner from ListBuckets, mode from the grants to the owner (READ gives 0500)', async () => {
    const store = await s3rverStore(proxy.endpoint, { 'tierfs.underfs.s3.inherit.acl': 'true' });
    try {
      await writeFile(store, 'f.txt', 'f');
      const status = await store.getStatus('f.txt');
      expect([status.owner, status.group, status.mode]).toEqual(['S3rver', 'S3rver', 0o500]);
      expect((await store.getStatus('')).mode).toBe(0o500);
    } finally {
      await store.close();
    }
  });

  it('owner.id.to.username.mapping names the owner; inherit.acl=false uses default.mode and reads no ACL', async () => {
    const mapped = await s3rverStore(proxy.endpoint, {
      'tierfs.underfs.s3.inherit.acl': 'true',
      'tierfs.underfs.s3.owner.id.to.username.mapping': `other=x;${S3RVER_OWNER.id}=john`,
    });
    const plain = await s3rverStore(proxy.endpoint, {
      'tierfs.underfs.s3.inherit.acl': 'false',
      'tierfs.underfs.s3.default.mode': '0755',
    });
    try {
      expect((await mapped.getStatus('')).owner).toBe('john');
      proxy.requests.length = 0;
      const status = await plain.getStatus('');
      expect([status.owner, status.mode]).toEqual(['', 0o755]);
      expect(sent((r) => r.query.has('acl'))).toEqual([]);
    } finally {
      await Promise.all([mapped.close(), plain.close()]);
    }
  });

  it('an ACL that cannot be read keeps default.mode and logs one warning', async () => {
    const noAcl = await startS3rver();
    const records: UfsLogRecord[] = [];
    const previous = setUfsLogSink((record) => records.push(record));
    const store = await s3rverStore(noAcl.endpoint, { 'tierfs.underfs.s3.inherit.acl': 'true' });
    try {
      await writeFile(store, 'f.txt', 'f');
      expect((await store.getStatus('f.txt')).mode).toBe(0o700);
      await store.list('');
      expect(records.filter((r) => r.level === 'warn')).toHaveLength(1);
      expect(records[0]?.msg).toContain('ACL');
    } finally {
      setUfsLogSink(previous);
      await store.close();
      await noAcl.close();
    }
  });

  it('a 403 is PERMISSION_DENIED naming the bucket and key and pointing at credentials', async () => {
    const store = await s3rverStore(proxy.endpoint, { 'aws.accessKeyId': 'NOBODY', 'aws.secretKey': 'x' });
    try {
      const error = await expectCode(store.getStatus('secret/file.txt'), 'PERMISSION_DENIED');
      expect(error.message).toContain(`s3://${TEST_BUCKET}/${rootPrefixOf(store)}secret/file.txt`);
      expect(error.message).toContain('credentials');
      expect(error.message).toContain(`bucket '${TEST_BUCKET}'`);
    } finally {
      await store.close();
    }
  });
});

describe('troubleshooting', () => {
  it('tierfs.underfs.s3.debug.logging.enabled logs every request without credentials', async () => {
    const records: UfsLogRecord[] = [];
    const previous = setUfsLogSink((record) => records.push(record));
    const secret = 'debug-logging-secret';
    const store = await s3rverStore(proxy.endpoint, {
      'tierfs.underfs.s3.debug.logging.enabled': 'true',
      'aws.accessKeyId': S3RVER_KEY,
      'aws.secretKey': secret,
    });
    try {
      await writeFile(store, 'log.txt', 'logged');
      await readFile(store, 'log.txt');
      const debug = records.filter((r) => r.level === 'debug');
      expect(debug.length).toBeGreaterThanOrEqual(proxy.requests.length - 1);
      const put = debug.find((r) => r.operation === 'putObject');
      expect(put).toMatchObject({ bucket: TEST_BUCKET, status: 'ok', bytes: 6 });
      expect(put?.key).toBe(`${rootPrefixOf(store)}log.txt`);
      expect(typeof put?.latencyMs).toBe('number');
      expect(JSON.stringify(records)).not.toContain(secret);
    } finally {
      setUfsLogSink(previous);
      await store.close();
    }
    const quiet: UfsLogRecord[] = [];
    setUfsLogSink((record) => quiet.push(record));
    const silent = await s3rverStore(proxy.endpoint);
    try {
      await writeFile(silent, 'quiet.txt', 'q');
      expect(quiet).toEqual([]);
    } finally {
      setUfsLogSink(previous);
      await silent.close();
    }
  });
});
