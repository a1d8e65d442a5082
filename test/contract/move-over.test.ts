/**
 * moveOver of the S3 and OSS stores (writes committed by a server-side copy,
 * tierfs.underfs.object.store.write.commit.copy) through tierfs's own S3 and OSS gateways with the
 * official SDK clients the stores use (@aws-sdk/client-s3, ali-oss). A small object is one
 * CopyObject whose answer gives the status (no HEAD); above the single-copy limit (5 GiB on S3,
 * 1 GiB on OSS, lowered here) the object is copied as a multipart upload of UploadPartCopy parts.
 * The temporary object is deleted afterwards, in a batch off the caller's path.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Configuration } from '../../src/config/configuration.js';
import { TierfsError } from '../../src/errors.js';
import type { OpenOptions, UnderStore } from '../../src/ufs/contract.js';
import { readStream } from '../../src/ufs/io.js';
import { COPY_LIMITS } from '../../src/ufs/object/copy-limits.js';
import { createOssUnderStore } from '../../src/ufs/oss/oss-store.js';
import { parseUfsUri } from '../../src/ufs/registry.js';
import { createS3UnderStore } from '../../src/ufs/s3/s3-store.js';
import { temporaryPathFor } from '../../src/ufs/temporary.js';
import { ACCESS_KEY, SECRET_KEY, startGateway as startS3Gateway } from '../gateway/harness.js';
import { AK, BUCKET, SECRET, startGateway as startOssGateway } from '../gateway/oss-support.js';
import { eventually } from '../support/eventually.js';
import { type FaultProxy, type SeenRequest, startFaultProxy } from '../support/fault-proxy.js';
import { expectCode } from './suite.js';

const MiB = 1024 * 1024;
const defaults = { ...COPY_LIMITS };
const stops: (() => Promise<void>)[] = [];
const stores: Record<'s3' | 'oss', UnderStore> = {} as Record<'s3' | 'oss', UnderStore>;
/** The same stores with a fault proxy between them and their gateway. */
const proxied: Record<'s3' | 'oss', { store: UnderStore; proxy: FaultProxy }> = {} as Record<
  's3' | 'oss',
  { store: UnderStore; proxy: FaultProxy }
>;
/** An S3 store whose gateway refuses to read temporary objects past their first byte while `failParts` is set. */
let failing: UnderStore;
let failParts = false;

beforeAll(async () => {
  const s3 = await startS3Gateway();
  stops.push(() => s3.stop());
  mkdirSync(join(s3.root, 'moves'));
  const s3Store = (endpoint: string) =>
    createS3UnderStore(
      parseUfsUri('s3://moves/root/'),
      Configuration.of({
        'tierfs.underfs.s3.endpoint': endpoint,
        'tierfs.underfs.s3.disable.dns.buckets': 'true',
        'tierfs.underfs.s3.inherit.acl': 'false',
        'tierfs.underfs.object.store.write.commit.copy': 'true',
        'aws.accessKeyId': ACCESS_KEY,
        'aws.secretKey': SECRET_KEY,
      }),
    );
  stores.s3 = await s3Store(s3.endpoint);
  const s3Proxy = await startFaultProxy(s3.endpoint);
  stops.push(() => s3Proxy.close());
  proxied.s3 = { store: await s3Store(s3Proxy.endpoint), proxy: s3Proxy };
  const broken = await startS3Gateway({}, (store) =>
    Object.assign(Object.create(store) as UnderStore, {
      open: (path: string, options?: OpenOptions) =>
        failParts && path.includes('.tierfs-write.') && (options?.offset ?? 0) > 0
          ? Promise.reject(
              new TierfsError('PERMISSION_DENIED', 'reading past the first part is refused here'),
            )
          : store.open(path, options),
    }),
  );
  stops.push(() => broken.stop());
  mkdirSync(join(broken.root, 'broken'));
  failing = await createS3UnderStore(
    parseUfsUri('s3://broken/root/'),
    Configuration.of({
      'tierfs.underfs.s3.endpoint': broken.endpoint,
      'tierfs.underfs.s3.disable.dns.buckets': 'true',
      'tierfs.underfs.s3.inherit.acl': 'false',
      'tierfs.underfs.object.store.write.commit.copy': 'true',
      // cleanup() aborts every pending upload: it finds none when the failed copy aborted its own.
      'tierfs.underfs.s3.intermediate.upload.clean.age': '0ms',
      'aws.accessKeyId': ACCESS_KEY,
      'aws.secretKey': SECRET_KEY,
    }),
  );
  const oss = await startOssGateway();
  stops.push(() => oss.stop());
  const ossStore = (port: number) =>
    createOssUnderStore(
      parseUfsUri(`oss://${BUCKET}/root/`),
      Configuration.of({
        'fs.oss.endpoint': `localhost:${port}`,
        'fs.oss.accessKeyId': AK,
        'fs.oss.accessKeySecret': SECRET,
        'fs.oss.connection.secure.enabled': 'false',
        'tierfs.underfs.oss.path.style.access': 'true',
        'tierfs.underfs.object.store.write.commit.copy': 'true',
        // 11 MiB goes up in parts, as on S3 (8 MB parts by default there).
        'tierfs.underfs.oss.multipart.upload.partition.size': '5MB',
      }),
    );
  stores.oss = await ossStore(oss.port);
  const ossProxy = await startFaultProxy(`http://127.0.0.1:${oss.port}`);
  stops.push(() => ossProxy.close());
  proxied.oss = { store: await ossStore(ossProxy.port), proxy: ossProxy };
});
afterEach(() => {
  Object.assign(COPY_LIMITS, defaults);
});
afterAll(async () => {
  await Promise.all(
    [...Object.values(stores), ...Object.values(proxied).map((p) => p.store), failing].map((store) =>
      store?.close(),
    ),
  );
  for (const stop of stops) await stop();
});

async function put(store: UnderStore, path: string, data: Buffer): Promise<void> {
  await pipeline(Readable.from([data]), await store.create(path, { overwrite: true }));
}

describe.each(['s3', 'oss'] as const)('moveOver on %s through the tierfs gateway', (kind) => {
  /** Runs `fn` while every copy request through `kind`'s proxy gets `fault`. */
  async function whileCopiesGet<T>(fault: 'loseAnswer' | 'drop', fn: () => Promise<T>): Promise<T> {
    const { proxy } = proxied[kind];
    const rule = {
      match: (r: SeenRequest) =>
        r.method === 'PUT' &&
        (r.headers['x-amz-copy-source'] ?? r.headers['x-oss-copy-source']) !== undefined,
      fault,
      times: 10,
    };
    proxy.rules.push(rule);
    try {
      return await fn();
    } finally {
      proxy.rules.splice(proxy.rules.indexOf(rule), 1);
    }
  }

  it('a copy whose answer is lost is known by the destination: the move counts as done', async () => {
    const { store, proxy } = proxied[kind];
    await put(store, 'copy-lost/file.bin', randomBytes(1000));
    const data = randomBytes(64 * 1024);
    const temporary = temporaryPathFor('copy-lost/file.bin', 'write');
    await put(store, temporary, data);
    const before = proxy.requests.length;
    const done = await whileCopiesGet('loseAnswer', () =>
      store.moveOver!(temporary, 'copy-lost/file.bin', { size: data.length }),
    );
    expect(proxy.requests.slice(before).some((r) => r.fault === 'loseAnswer')).toBe(true);
    expect(done.size).toBe(data.length);
    expect((await readStream(await store.open('copy-lost/file.bin'))).equals(data)).toBe(true);
  });

  it('a copy that fails without copying still fails, and the file stays as it was', async () => {
    const { store } = proxied[kind];
    const old = randomBytes(1000);
    await put(store, 'copy-unmade/file.bin', old);
    const temporary = temporaryPathFor('copy-unmade/file.bin', 'write');
    await put(store, temporary, randomBytes(64 * 1024));
    await whileCopiesGet('drop', () =>
      expect(store.moveOver!(temporary, 'copy-unmade/file.bin', { size: 64 * 1024 })).rejects.toThrow(),
    );
    expect((await readStream(await store.open('copy-unmade/file.bin'))).equals(old)).toBe(true);
  });

  it('replaces the file with one copy whose answer is the status getStatus reports', async () => {
    const store = stores[kind];
    const data = randomBytes(300 * 1024);
    await put(store, 'small/file.bin', randomBytes(1000));
    const temporary = temporaryPathFor('small/file.bin', 'write');
    await put(store, temporary, data);
    const moved = await store.moveOver!(temporary, 'small/file.bin', { size: data.length });
    expect((await readStream(await store.open('small/file.bin'))).equals(data)).toBe(true);
    expect(moved.size).toBe(data.length);
    expect(moved.fingerprint).toBe((await store.getStatus('small/file.bin')).fingerprint);
    // The temporary object goes in the next batch of deletes (within the default second).
    await eventually(async () => !(await store.exists(temporary)), 'the temporary object to be deleted');
  });

  it('copies an object above the single-copy limit in UploadPartCopy parts', async () => {
    const store = stores[kind];
    COPY_LIMITS[kind] = 1 * MiB;
    COPY_LIMITS.partSize = 5 * MiB;
    const data = randomBytes(11 * MiB);
    await put(store, 'big/file.bin', randomBytes(1000));
    const temporary = temporaryPathFor('big/file.bin', 'write');
    await put(store, temporary, data);
    const moved = await store.moveOver!(temporary, 'big/file.bin', { size: data.length });
    // A multipart ETag names its part count: 5 + 5 + 1 MiB.
    expect(moved.etag).toMatch(/-3$/);
    expect(moved.size).toBe(data.length);
    expect(moved.fingerprint).toBe((await store.getStatus('big/file.bin')).fingerprint);
    expect((await readStream(await store.open('big/file.bin'))).equals(data)).toBe(true);
    await eventually(async () => !(await store.exists(temporary)), 'the temporary object to be deleted');
  });

  it('learns the size with a HEAD when the caller does not know it, and copies in parts above the limit', async () => {
    const store = stores[kind];
    COPY_LIMITS[kind] = 1 * MiB;
    COPY_LIMITS.partSize = 5 * MiB;
    const data = randomBytes(6 * MiB);
    const temporary = temporaryPathFor('unsized/file.bin', 'write');
    await put(store, temporary, data);
    const moved = await store.moveOver!(temporary, 'unsized/file.bin');
    expect(moved.etag).toMatch(/-2$/);
    expect((await readStream(await store.open('unsized/file.bin'))).equals(data)).toBe(true);
  });

  it('renames a file above the single-copy limit (a persist moving its object) in UploadPartCopy parts', async () => {
    const store = stores[kind];
    COPY_LIMITS[kind] = 1 * MiB;
    COPY_LIMITS.partSize = 5 * MiB;
    const data = randomBytes(6 * MiB);
    const temporary = temporaryPathFor('renamed/file.bin');
    await put(store, temporary, data);
    await store.rename(temporary, 'renamed/file.bin');
    expect((await store.getStatus('renamed/file.bin')).etag).toMatch(/-2$/);
    expect((await readStream(await store.open('renamed/file.bin'))).equals(data)).toBe(true);
    expect(await store.exists(temporary)).toBe(false);
  });

  it('fails NOT_FOUND for a missing source and leaves the file as it was', async () => {
    const store = stores[kind];
    COPY_LIMITS[kind] = 1 * MiB;
    const before = randomBytes(2000);
    await put(store, 'missing/file.bin', before);
    await expect(store.moveOver!('missing/.tierfs-write.nothing', 'missing/file.bin')).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect((await readStream(await store.open('missing/file.bin'))).equals(before)).toBe(true);
  });
});

describe('moveOver on s3 when a part copy fails', () => {
  it('aborts the multipart copy: the file stays as it was and no upload is left pending', async () => {
    COPY_LIMITS.s3 = 1 * MiB;
    COPY_LIMITS.partSize = 5 * MiB;
    const before = randomBytes(1000);
    await put(failing, 'file.bin', before);
    const temporary = temporaryPathFor('file.bin', 'write');
    await put(failing, temporary, randomBytes(11 * MiB));
    failParts = true;
    try {
      await expect(failing.moveOver!(temporary, 'file.bin', { size: 11 * MiB })).rejects.toMatchObject({
        code: 'PERMISSION_DENIED',
      });
    } finally {
      failParts = false;
    }
    expect((await readStream(await failing.open('file.bin'))).equals(before)).toBe(true);
    expect(failing.cleanup && (await failing.cleanup())).toBe(0);
  });
});

describe.each(['s3', 'oss'] as const)('a write left open for its committer (commitTo) on %s', (kind) => {
  /** A write of `data` to a temporary path beside `path`, committed later over `path`. */
  async function openWrite(store: UnderStore, path: string, data: Buffer) {
    const temporary = temporaryPathFor(path, 'write');
    const out = await store.create(temporary, {
      overwrite: true,
      parentExists: true,
      noStatus: true,
      commitTo: path,
    });
    await pipeline(Readable.from([data]), out);
    return { temporary, out };
  }

  it('a write in parts is an upload open at the file: nothing visible until completeUpload replaces it whole', async () => {
    const store = stores[kind];
    const old = randomBytes(1000);
    await put(store, 'open/file.bin', old);
    const data = randomBytes(11 * MiB);
    const { temporary, out } = await openWrite(store, 'open/file.bin', data);
    expect(out.pendingUpload).toBeDefined();
    expect(out.written).toBeUndefined();
    expect(await store.exists(temporary)).toBe(false);
    expect((await readStream(await store.open('open/file.bin'))).equals(old)).toBe(true);
    const done = await store.completeUpload!('open/file.bin', out.pendingUpload!, { size: data.length });
    expect(done.size).toBe(data.length);
    expect(done.fingerprint).toBe((await store.getStatus('open/file.bin')).fingerprint);
    expect((await readStream(await store.open('open/file.bin'))).equals(data)).toBe(true);
  });

  it('abortUpload drops it: the file stays as it was, and a completion after it is NOT_FOUND', async () => {
    const store = stores[kind];
    const old = randomBytes(1000);
    await put(store, 'aborted/file.bin', old);
    const { out } = await openWrite(store, 'aborted/file.bin', randomBytes(11 * MiB));
    await store.abortUpload!('aborted/file.bin', out.pendingUpload!);
    await store.abortUpload!('aborted/file.bin', out.pendingUpload!); // gone already: no error
    await expectCode(store.completeUpload!('aborted/file.bin', out.pendingUpload!), ['NOT_FOUND']);
    expect((await readStream(await store.open('aborted/file.bin'))).equals(old)).toBe(true);
  });

  it('a small write is one object at the temporary path, with no upload to complete', async () => {
    const store = stores[kind];
    const data = randomBytes(1000);
    const { temporary, out } = await openWrite(store, 'small-open/file.bin', data);
    expect(out.pendingUpload).toBeUndefined();
    expect((await readStream(await store.open(temporary))).equals(data)).toBe(true);
    expect(await store.exists('small-open/file.bin')).toBe(false);
  });

  it('a completion whose answer is lost is known by the object it made: the write counts as done', async () => {
    const { store, proxy } = proxied[kind];
    await put(store, 'lost/file.bin', randomBytes(1000));
    const data = randomBytes(11 * MiB);
    const { out } = await openWrite(store, 'lost/file.bin', data);
    // Every attempt reaches the gateway, which completes (or finds completed) the upload; every answer is lost.
    const rule = {
      match: (r: { method: string; query: URLSearchParams }) =>
        r.method === 'POST' && r.query.has('uploadId'),
      fault: 'loseAnswer' as const,
      times: 10,
    };
    proxy.rules.push(rule);
    try {
      const done = await store.completeUpload!('lost/file.bin', out.pendingUpload!, { size: data.length });
      expect(done.size).toBe(data.length);
      expect(done.fingerprint).toBe((await store.getStatus('lost/file.bin')).fingerprint);
    } finally {
      proxy.rules.splice(proxy.rules.indexOf(rule), 1);
    }
    expect(proxy.requests.some((r) => r.fault === 'loseAnswer')).toBe(true);
    expect((await readStream(await store.open('lost/file.bin'))).equals(data)).toBe(true);
  });

  it('a completion that fails without completing still fails, and the file stays as it was', async () => {
    const { store, proxy } = proxied[kind];
    const old = randomBytes(1000);
    await put(store, 'unmade/file.bin', old);
    const { out } = await openWrite(store, 'unmade/file.bin', randomBytes(11 * MiB));
    const rule = {
      match: (r: { method: string; query: URLSearchParams }) =>
        r.method === 'POST' && r.query.has('uploadId'),
      fault: 'drop' as const,
      times: 10,
    };
    proxy.rules.push(rule);
    try {
      await expect(store.completeUpload!('unmade/file.bin', out.pendingUpload!)).rejects.toThrow();
    } finally {
      proxy.rules.splice(proxy.rules.indexOf(rule), 1);
    }
    expect((await readStream(await store.open('unmade/file.bin'))).equals(old)).toBe(true);
    await store.abortUpload!('unmade/file.bin', out.pendingUpload!);
  });

  it('refuses a token that is no pending upload, saying what it expected', async () => {
    await expect(stores[kind].completeUpload!('x/file.bin', 'not-a-token')).rejects.toThrow(
      /not a pending upload: expected the pendingUpload of a write created with commitTo/,
    );
  });
});
