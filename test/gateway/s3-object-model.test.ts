/**
 * The S3 gateway's object model over a directory tree, as S3 has it: a key ending in `/` may have
 * a body, and a key may be an object and a prefix at once (`a` and `a/b`), in either order of
 * writing, with listings, paging, copies, conditions and deletes all agreeing.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CreateOptions } from '../../src/ufs/contract.js';
import { withS3Gateway } from './fixture.js';
import { s3Failure as failure } from './harness.js';

const BUCKET = 'model';
/**
 * Armed by one test: the next write opened at a path ending in `suffix` runs `after` once the
 * store has opened it (its target chosen), before a byte is written. Unarmed, the store is as is.
 */
let pendingCreate: { suffix: string; after: () => Promise<void> } | undefined;
const gw = withS3Gateway({
  buckets: [BUCKET],
  wrapStore: (store) =>
    new Proxy(store, {
      get(target, property, receiver) {
        if (property !== 'create') return Reflect.get(target, property, receiver);
        return async (path: string, options?: CreateOptions) => {
          const out = await target.create(path, options);
          const armed = pendingCreate;
          if (armed && path.endsWith(armed.suffix)) {
            pendingCreate = undefined;
            await armed.after();
          }
          return out;
        };
      },
    }),
});
let s3: S3Client;
beforeAll(() => {
  s3 = gw.clientFor();
});

const md5 = (text: string) => createHash('md5').update(text).digest('hex');
const put = (Key: string, Body: string, extra: Record<string, string> = {}) =>
  s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body, ...extra }));
const text = async (Key: string) =>
  (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key }))).Body!.transformToString();
const del = (Key: string) => s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key }));
async function keys(Prefix: string, Delimiter?: string): Promise<{ keys: string[]; prefixes: string[] }> {
  const res = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix, Delimiter }));
  return {
    keys: (res.Contents ?? []).map((o) => `${o.Key}:${o.Size}`),
    prefixes: (res.CommonPrefixes ?? []).map((p) => p.Prefix!),
  };
}

describe('a key ending in / with a body', () => {
  it('is stored, read, listed with its size and deleted without touching the keys below it', async () => {
    const put1 = await put('folder/', 'folder body');
    expect(put1.ETag).toBe(`"${md5('folder body')}"`);
    expect(await text('folder/')).toBe('folder body');
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'folder/' }));
    expect([head.ContentLength, head.ETag]).toEqual([11, `"${md5('folder body')}"`]);
    await put('folder/inner', 'in');
    expect(await keys('folder')).toEqual({ keys: ['folder/:11', 'folder/inner:2'], prefixes: [] });

    await put('folder/', '');
    expect(await text('folder/')).toBe('');
    expect(await keys('folder/')).toEqual({ keys: ['folder/:0', 'folder/inner:2'], prefixes: [] });

    await put('folder/', 'again');
    await del('folder/');
    expect(await failure(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'folder/' })))).toEqual({
      code: 'NoSuchKey',
      status: 404,
    });
    expect(await text('folder/inner')).toBe('in');
    expect(await keys('folder')).toEqual({ keys: ['folder/inner:2'], prefixes: [] });
  });
});

describe('a key that is an object and a prefix', () => {
  it('holds `a` written before `a/b`, listing both in key order, flat and by delimiter', async () => {
    const first = await put('ab/a', 'object a');
    await put('ab/a-x', 'x');
    await put('ab/a/b', 'object a/b');
    expect(await text('ab/a')).toBe('object a');
    expect(await text('ab/a/b')).toBe('object a/b');
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'ab/a' }));
    expect(head.ETag).toBe(first.ETag);
    expect(await keys('ab/')).toEqual({ keys: ['ab/a:8', 'ab/a-x:1', 'ab/a/b:10'], prefixes: [] });
    expect(await keys('ab/', '/')).toEqual({ keys: ['ab/a:8', 'ab/a-x:1'], prefixes: ['ab/a/'] });
    expect(await keys('ab/a/', '/')).toEqual({ keys: ['ab/a/b:10'], prefixes: [] });

    // v1 paging steps over the object and into the prefix, one key a page.
    const seen: string[] = [];
    let Marker: string | undefined;
    for (;;) {
      const page = await s3.send(
        new ListObjectsCommand({ Bucket: BUCKET, Prefix: 'ab/', MaxKeys: 1, Marker }),
      );
      seen.push(...(page.Contents ?? []).map((o) => o.Key!));
      if (!page.IsTruncated) break;
      Marker = page.NextMarker ?? page.Contents?.at(-1)?.Key;
    }
    expect(seen).toEqual(['ab/a', 'ab/a-x', 'ab/a/b']);
  });

  it('holds `p` written after `p/q`, and replaces it in place', async () => {
    await put('pq/p/q', 'below');
    await put('pq/p', 'first');
    await put('pq/p', 'second');
    expect(await text('pq/p')).toBe('second');
    expect(await keys('pq/')).toEqual({ keys: ['pq/p:6', 'pq/p/q:5'], prefixes: [] });
    expect(await failure(put('pq/p', 'third', { IfNoneMatch: '*' } as Record<string, string>))).toEqual({
      code: 'PreconditionFailed',
      status: 412,
    });
  });

  it('deleting the prefix keys leaves the object, stored as a plain file again', async () => {
    await put('back/a', 'stays');
    await put('back/a/b', 'goes');
    await del('back/a/b');
    expect(await keys('back/')).toEqual({ keys: ['back/a:5'], prefixes: [] });
    expect(await text('back/a')).toBe('stays');
    expect((await stat(join(gw.root, BUCKET, 'back/a'))).isFile()).toBe(true);
    expect(await keys('back/', '/')).toEqual({ keys: ['back/a:5'], prefixes: [] });
  });

  it('deleting the object leaves the keys below it', async () => {
    await put('keep/a', 'goes');
    await put('keep/a/b', 'stays');
    await del('keep/a');
    expect(await keys('keep/')).toEqual({ keys: ['keep/a/b:5'], prefixes: [] });
    expect(await failure(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'keep/a' })))).toEqual({
      code: 'NoSuchKey',
      status: 404,
    });
  });

  it('a copy reads from and writes to such keys', async () => {
    await put('copy/a', 'source');
    await put('copy/a/b', 'x');
    await s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'copy/x', CopySource: `${BUCKET}/copy/a` }));
    await put('copy/x/y', 'y');
    await s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'copy/x/y', CopySource: `${BUCKET}/copy/a` }));
    expect(await text('copy/x')).toBe('source');
    expect(await text('copy/x/y')).toBe('source');
  });

  it('a file written by others beside the gateway becomes a prefix too and stays listed', async () => {
    await mkdir(join(gw.root, BUCKET, 'foreign'), { recursive: true });
    await writeFile(join(gw.root, BUCKET, 'foreign/a'), 'by others');
    await put('foreign/a/b', 'below');
    expect(await keys('foreign/')).toEqual({ keys: ['foreign/a:9', 'foreign/a/b:5'], prefixes: [] });
    expect(await text('foreign/a')).toBe('by others');
  });

  it('a marker, an object and keys below share one name', async () => {
    await put('all/d', 'object');
    await put('all/d/', 'marker');
    await put('all/d/e', 'below');
    expect(await keys('all/')).toEqual({ keys: ['all/d:6', 'all/d/:6', 'all/d/e:5'], prefixes: [] });
    await del('all/d/e');
    await del('all/d/');
    expect(await keys('all/')).toEqual({ keys: ['all/d:6'], prefixes: [] });
    expect(await text('all/d')).toBe('object');
  });
});

describe('concurrent writers of an object and the keys below it', () => {
  it('every write lands or is refused as retryable (503), the object holds one acknowledged body, no hidden move is left', async () => {
    const bodies = Array.from({ length: 8 }, (_, i) => `body-${i}`);
    const results = await Promise.allSettled([
      ...bodies.map((body) => put('race/a', body)),
      ...bodies.map((_, i) => put(`race/a/b${i}`, 'x')),
    ]);
    for (const result of results) {
      if (result.status === 'rejected')
        expect(await failure(Promise.reject(result.reason))).toMatchObject({ status: 503 });
    }
    // What was refused succeeds when sent again, as an SDK retrying a 503 sends it.
    for (const [i, result] of results.entries()) {
      if (result.status === 'fulfilled') continue;
      if (i < bodies.length) await put('race/a', bodies[i]!);
      else await put(`race/a/b${i - bodies.length}`, 'x');
    }
    expect(bodies).toContain(await text('race/a'));
    const listed = await keys('race/');
    expect(listed.keys).toHaveLength(1 + bodies.length);

    await Promise.all([...bodies.map((_, i) => del(`race/a/b${i}`)), put('race/a', 'final')]);
    expect(await text('race/a')).toBe('final');
    expect(await keys('race/')).toEqual({ keys: ['race/a:5'], prefixes: [] });
    const names = await readdir(join(gw.root, BUCKET, 'race'), { recursive: true });
    expect(names.filter((n) => String(n).includes('.tierfs-moving.'))).toEqual([]);
  });
});

describe('a write whose key becomes a prefix while it is written', () => {
  it('is refused as retryable (503, not 500), leaves nothing, and lands when sent again', async () => {
    // One attempt: the SDK would retry a 500 as it retries a 503, and hide which it was.
    const once = gw.newClient(undefined, { maxAttempts: 1 });
    await put('turn/a', 'v1');
    let below: unknown;
    pendingCreate = {
      suffix: `${BUCKET}/turn/a`,
      // The write of turn/a has chosen the file turn/a; turn/a/b now moves that file into a directory.
      after: async () => {
        below = await put('turn/a/b', 'x');
      },
    };
    const refused = await failure(
      once.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'turn/a', Body: 'v2' })),
    );
    expect(below).toBeDefined();
    expect(refused).toEqual({ code: 'ServiceUnavailable', status: 503 });
    expect(await text('turn/a')).toBe('v1');
    const names = await readdir(join(gw.root, BUCKET, 'turn'), { recursive: true });
    expect(names.map(String).sort()).toEqual(['a', 'a/.tierfs-object', 'a/b']);
    await once.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'turn/a', Body: 'v2' }));
    expect(await text('turn/a')).toBe('v2');
    expect(await keys('turn/')).toEqual({ keys: ['turn/a:2', 'turn/a/b:1'], prefixes: [] });
  });
});

describe('the gateway own names', () => {
  it('a key with a segment the gateway keeps for itself is refused', async () => {
    for (const Key of ['r/.tierfs-object', 'r/.tierfs-marker-body/x', '.tierfs-moving.r']) {
      expect(await failure(put(Key, 'x'))).toEqual({ code: 'InvalidArgument', status: 400 });
    }
  });
});
