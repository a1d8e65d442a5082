/**
 * The Kodo gateway against the real qiniu Node SDK: uploads (form and resumable v2), management,
 * listing, batch and signed downloads, over a local directory on 127.0.0.1.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import qiniu from 'qiniu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qetag } from '../../src/gateway/kodo/qetag.js';
import {
  ACCESS_KEY,
  answer,
  BUCKET,
  batchResults,
  bytes,
  type KodoFixture,
  numberField,
  startKodoFixture,
  stringField,
} from './kodo-support.js';

const MiB = 1024 * 1024;
let kodo: KodoFixture;

beforeAll(async () => {
  kodo = await startKodoFixture();
});

afterAll(async () => {
  await kodo?.cleanup();
});

function formUploader(): qiniu.form_up.FormUploader {
  return new qiniu.form_up.FormUploader(kodo.config);
}

async function formPut(key: string, data: Buffer, token = kodo.uploadToken(BUCKET)) {
  return answer(formUploader().put(token, key, data, new qiniu.form_up.PutExtra()));
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('uploads', () => {
  it('form upload (put) lands as a plain file at bucket/key, with the qetag as hash', async () => {
    const data = bytes(100_000, 7);
    const result = await formPut('docs/hello.bin', data);
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ hash: qetag(data), key: 'docs/hello.bin' });
    const onDisk = await readFile(join(kodo.root, BUCKET, 'docs', 'hello.bin'));
    expect(sha256(onDisk)).toBe(sha256(data));
  });

  it('form upload (putStream) of a multi-block stream keeps its MIME type', async () => {
    const data = bytes(5 * MiB + 123, 11);
    const extra = new qiniu.form_up.PutExtra();
    extra.mimeType = 'image/png';
    const token = kodo.uploadToken(BUCKET);
    const result = await answer(formUploader().putStream(token, 'stream.png', Readable.from([data]), extra));
    expect(result.status).toBe(200);
    expect(stringField(result.body, 'hash')).toBe(qetag(data));
    expect(stringField(result.body, 'hash').startsWith('l')).toBe(true); // 0x96: more than one block
    const stat = await answer(kodo.bucketManager.stat(BUCKET, 'stream.png'));
    expect(stat.body).toMatchObject({ fsize: data.length, hash: qetag(data), mimeType: 'image/png' });
  });

  it('resumable upload v2: a 9 MiB stream in 4 MiB parts', async () => {
    const data = bytes(9 * MiB, 13);
    const extra = qiniu.resume_up.PutExtra.create(
      'big.bin',
      { 'x:origin': 'test' },
      'application/x-test',
      undefined,
      undefined,
      4 * MiB,
      'v2',
    );
    const uploader = new qiniu.resume_up.ResumeUploader(kodo.config);
    const token = kodo.uploadToken(BUCKET, {
      returnBody: '{"key":"$(key)","hash":"$(etag)","fsize":$(fsize),"origin":"$(x:origin)"}',
    });
    const result = await answer(
      uploader.putStream(token, 'big/nine.bin', Readable.from([data]), data.length, extra),
    );
    expect(result.status).toBe(200);
    expect(result.body).toEqual({
      key: 'big/nine.bin',
      hash: qetag(data),
      fsize: data.length,
      origin: 'test',
    });
    const onDisk = await readFile(join(kodo.root, BUCKET, 'big', 'nine.bin'));
    expect(onDisk.length).toBe(data.length);
    expect(sha256(onDisk)).toBe(sha256(data));
    const stat = await answer(kodo.bucketManager.stat(BUCKET, 'big/nine.bin'));
    expect(stat.body).toMatchObject({
      fsize: data.length,
      hash: qetag(data),
      mimeType: 'application/x-test',
    });
  });

  it('insertOnly over an existing key is 614 and keeps the old content', async () => {
    await formPut('once.txt', Buffer.from('first'));
    const token = kodo.uploadToken(`${BUCKET}:once.txt`, { insertOnly: 1 });
    const result = await formPut('once.txt', Buffer.from('second'), token);
    expect(result.status).toBe(614);
    expect(result.body).toEqual({ error: 'file exists' });
    expect((await readFile(join(kodo.root, BUCKET, 'once.txt'))).toString()).toBe('first');
  });

  it('a token signed with a wrong secret key, or expired, is 401', async () => {
    const wrong = new qiniu.auth.digest.Mac(ACCESS_KEY, 'not-the-secret');
    const bad = await formPut('nope.txt', Buffer.from('x'), kodo.uploadToken(BUCKET, {}, wrong));
    expect(bad.status).toBe(401);
    // A negative lifetime gives a deadline in the past.
    const late = await formPut('nope.txt', Buffer.from('x'), kodo.uploadToken(BUCKET, { expires: -10 }));
    expect(late.status).toBe(401);
    expect(late.body).toEqual({ error: 'token out of date' });
    const unknownBucket = await formPut('nope.txt', Buffer.from('x'), kodo.uploadToken('no-such-bucket'));
    expect(unknownBucket.status).toBe(631);
  });
});

describe('management', () => {
  beforeAll(async () => {
    for (const key of [
      'list/a.txt',
      'list/b/1.txt',
      'list/b/2.txt',
      'list/c.txt',
      'list/d/x/y.txt',
      'list.txt',
    ]) {
      expect((await formPut(key, Buffer.from(key))).status).toBe(200);
    }
  });

  it('stat reports size, hash, MIME type and putTime in 100 ns units; a missing key is 612', async () => {
    const before = Date.now();
    await formPut('stat-me.txt', Buffer.from('stat me'));
    const stat = await answer(kodo.bucketManager.stat(BUCKET, 'stat-me.txt'));
    expect(stat.status).toBe(200);
    expect(stat.body).toMatchObject({ fsize: 7, hash: qetag(Buffer.from('stat me')), type: 0 });
    const putTime = numberField(stat.body, 'putTime');
    expect(putTime).toBeGreaterThanOrEqual((before - 1000) * 10_000);
    expect(putTime).toBeLessThanOrEqual((Date.now() + 1000) * 10_000);
    const missing = await answer(kodo.bucketManager.stat(BUCKET, 'no/such/key'));
    expect(missing.status).toBe(612);
    expect(missing.body).toEqual({ error: 'no such file or directory' });
    const noBucket = await answer(kodo.bucketManager.stat('nobucket', 'x'));
    expect(noBucket.status).toBe(631);
  });

  it('lists with prefix, limit and marker pagination in key order', async () => {
    const keys: string[] = [];
    let marker = '';
    let pages = 0;
    do {
      const page = await answer(kodo.bucketManager.listPrefix(BUCKET, { prefix: 'list', limit: 2, marker }));
      expect(page.status).toBe(200);
      const items = page.body.items as { key: string; fsize: number; hash: string }[];
      expect(items.length).toBeLessThanOrEqual(2);
      for (const item of items) {
        expect(item.hash).toBe(qetag(Buffer.from(item.key)));
        keys.push(item.key);
      }
      marker = stringField(page.body, 'marker');
      pages++;
    } while (marker !== '' && pages < 10);
    expect(keys).toEqual([
      'list.txt',
      'list/a.txt',
      'list/b/1.txt',
      'list/b/2.txt',
      'list/c.txt',
      'list/d/x/y.txt',
    ]);
    expect(pages).toBe(3);
  });

  it('lists with a delimiter: common prefixes, paginated too', async () => {
    const all = await answer(kodo.bucketManager.listPrefix(BUCKET, { prefix: 'list/', delimiter: '/' }));
    expect((all.body.items as { key: string }[]).map((i) => i.key)).toEqual(['list/a.txt', 'list/c.txt']);
    expect(all.body.commonPrefixes).toEqual(['list/b/', 'list/d/']);
    expect(all.body.marker).toBe('');
    const seen: string[] = [];
    let marker = '';
    do {
      const page = await answer(
        kodo.bucketManager.listPrefix(BUCKET, { prefix: 'list/', delimiter: '/', limit: 1, marker }),
      );
      seen.push(
        ...(page.body.items as { key: string }[]).map((i) => i.key),
        ...((page.body.commonPrefixes as string[]) ?? []),
      );
      marker = stringField(page.body, 'marker');
    } while (marker !== '');
    expect(seen).toEqual(['list/a.txt', 'list/b/', 'list/c.txt', 'list/d/']);
    const badMarker = await answer(kodo.bucketManager.listPrefix(BUCKET, { marker: 'not-a-marker' }));
    expect(badMarker.status).toBe(640);
  });

  it('deletes, moves and copies, with 614 unless forced', async () => {
    await formPut('ops/src.txt', Buffer.from('source'));
    await formPut('ops/taken.txt', Buffer.from('taken'));
    const bm = kodo.bucketManager;
    expect((await answer(bm.copy(BUCKET, 'ops/src.txt', BUCKET, 'ops/copy.txt', null))).status).toBe(200);
    expect((await answer(bm.copy(BUCKET, 'ops/src.txt', BUCKET, 'ops/taken.txt', null))).status).toBe(614);
    expect(
      (await answer(bm.copy(BUCKET, 'ops/src.txt', BUCKET, 'ops/taken.txt', { force: true }))).status,
    ).toBe(200);
    expect((await readFile(join(kodo.root, BUCKET, 'ops', 'taken.txt'))).toString()).toBe('source');
    expect((await answer(bm.move(BUCKET, 'ops/copy.txt', BUCKET, 'ops/taken.txt', null))).status).toBe(614);
    expect((await answer(bm.move(BUCKET, 'ops/copy.txt', BUCKET, 'moved/deep/copy.txt', null))).status).toBe(
      200,
    );
    const moved = await answer(bm.stat(BUCKET, 'moved/deep/copy.txt'));
    expect(moved.body).toMatchObject({ fsize: 6, hash: qetag(Buffer.from('source')) });
    expect((await answer(bm.stat(BUCKET, 'ops/copy.txt'))).status).toBe(612);
    expect((await answer(bm.delete(BUCKET, 'moved/deep/copy.txt'))).status).toBe(200);
    expect((await answer(bm.delete(BUCKET, 'moved/deep/copy.txt'))).status).toBe(612);
    expect((await answer(bm.stat(BUCKET, 'moved/deep/copy.txt'))).status).toBe(612);
  });

  it('batch with a partial failure answers 298 and one code per operation', async () => {
    await formPut('batch/one.txt', Buffer.from('one'));
    const ops = [
      qiniu.rs.statOp(BUCKET, 'batch/one.txt'),
      qiniu.rs.statOp(BUCKET, 'batch/missing.txt'),
      qiniu.rs.copyOp(BUCKET, 'batch/one.txt', BUCKET, 'batch/two.txt'),
      qiniu.rs.deleteOp(BUCKET, 'batch/one.txt'),
    ];
    const result = await answer(kodo.bucketManager.batch(ops));
    expect(result.status).toBe(298);
    const results = batchResults(result.data);
    expect(results.map((r) => r.code)).toEqual([200, 612, 200, 200]);
    expect(results[0]!.data).toMatchObject({ fsize: 3, hash: qetag(Buffer.from('one')) });
    expect(results[1]!.data).toEqual({ error: 'no such file or directory' });
    const allGood = await answer(kodo.bucketManager.batch([qiniu.rs.statOp(BUCKET, 'batch/two.txt')]));
    expect(allGood.status).toBe(200);
  });

  it('refuses management calls signed with a wrong secret key (401)', async () => {
    const wrong = new qiniu.rs.BucketManager(new qiniu.auth.digest.Mac(ACCESS_KEY, 'wrong'), kodo.config);
    const result = await answer(wrong.stat(BUCKET, 'stat-me.txt'));
    expect(result.status).toBe(401);
    expect(result.body).toEqual({ error: 'bad token' });
  });

  it('serves files written to the directory by others, deriving their hash', async () => {
    const data = bytes(4 * MiB + 1, 17);
    await writeFile(join(kodo.root, BUCKET, 'foreign.bin'), data);
    const stat = await answer(kodo.bucketManager.stat(BUCKET, 'foreign.bin'));
    expect(stat.body).toMatchObject({ fsize: data.length, hash: qetag(data) });
    // Replaced behind the gateway's back: the stale record is not used.
    await writeFile(join(kodo.root, BUCKET, 'foreign.bin'), Buffer.from('replaced'));
    const again = await answer(kodo.bucketManager.stat(BUCKET, 'foreign.bin'));
    expect(again.body).toMatchObject({ fsize: 8, hash: qetag(Buffer.from('replaced')) });
  });
});

describe('directory markers', () => {
  const empty = Buffer.alloc(0);
  const bm = () => kodo.bucketManager;
  const list = async (options: { prefix: string; delimiter?: string; limit?: number; marker?: string }) => {
    const page = await answer(bm().listPrefix(BUCKET, options));
    expect(page.status).toBe(200);
    return {
      items: page.body.items as { key: string; fsize: number; hash: string }[],
      keys: (page.body.items as { key: string }[]).map((i) => i.key),
      commonPrefixes: page.body.commonPrefixes as string[] | undefined,
      marker: stringField(page.body, 'marker'),
    };
  };

  it('a 0-byte upload of dir/ is an object of size 0: stat, list, download, copy, move, delete', async () => {
    expect((await formPut('folders/empty/', empty)).body).toEqual({
      hash: qetag(empty),
      key: 'folders/empty/',
    });
    await formPut('folders/full/file.txt', Buffer.from('below a marker'));
    await formPut('folders/full/', empty);
    await formPut('folders/plain/file.txt', Buffer.from('below no marker'));

    const stat = await answer(bm().stat(BUCKET, 'folders/empty/'));
    expect(stat.status).toBe(200);
    expect(stat.body).toMatchObject({ fsize: 0, hash: qetag(empty), type: 0 });
    // A directory implied by the keys below it is no object, as on Kodo.
    expect((await answer(bm().stat(BUCKET, 'folders/plain/'))).status).toBe(612);

    const flat = await list({ prefix: 'folders/' });
    expect(flat.keys).toEqual([
      'folders/empty/',
      'folders/full/',
      'folders/full/file.txt',
      'folders/plain/file.txt',
    ]);
    expect(flat.items[0]).toMatchObject({ fsize: 0, hash: qetag(empty) });
    // With a delimiter a marker below the prefix is a common prefix; the prefix's own is an item.
    const top = await list({ prefix: 'folders/', delimiter: '/' });
    expect(top.keys).toEqual([]);
    expect(top.commonPrefixes).toEqual(['folders/empty/', 'folders/full/', 'folders/plain/']);
    expect((await list({ prefix: 'folders/empty/', delimiter: '/' })).keys).toEqual(['folders/empty/']);
    expect((await list({ prefix: 'folders/full/', delimiter: '/' })).keys).toEqual([
      'folders/full/',
      'folders/full/file.txt',
    ]);
    const paged: string[] = [];
    let marker = '';
    do {
      const page = await list({ prefix: 'folders/', limit: 1, marker });
      paged.push(...page.keys);
      marker = page.marker;
    } while (marker !== '' && paged.length < 10);
    expect(paged).toEqual(flat.keys);

    const url = bm().privateDownloadUrl(
      `http://${kodo.host}/${BUCKET}`,
      'folders/empty/',
      Math.floor(Date.now() / 1000) + 3600,
    );
    const download = await fetch(url);
    expect(download.status).toBe(200);
    expect((await download.arrayBuffer()).byteLength).toBe(0);

    expect((await answer(bm().copy(BUCKET, 'folders/empty/', BUCKET, 'folders/copied/', null))).status).toBe(
      200,
    );
    expect((await answer(bm().copy(BUCKET, 'folders/empty/', BUCKET, 'folders/copied/', null))).status).toBe(
      614,
    );
    expect((await answer(bm().move(BUCKET, 'folders/copied/', BUCKET, 'folders/moved/', null))).status).toBe(
      200,
    );
    expect((await answer(bm().stat(BUCKET, 'folders/copied/'))).status).toBe(612);
    expect((await answer(bm().stat(BUCKET, 'folders/moved/'))).body).toMatchObject({ fsize: 0 });

    // The last file of a marked directory goes, the directory stays; an unmarked one goes with it.
    expect((await answer(bm().delete(BUCKET, 'folders/full/file.txt'))).status).toBe(200);
    expect((await answer(bm().delete(BUCKET, 'folders/plain/file.txt'))).status).toBe(200);
    expect((await list({ prefix: 'folders/' })).keys).toEqual([
      'folders/empty/',
      'folders/full/',
      'folders/moved/',
    ]);
    expect((await list({ prefix: 'folders/', delimiter: '/' })).commonPrefixes).toEqual([
      'folders/empty/',
      'folders/full/',
      'folders/moved/',
    ]);

    expect((await answer(bm().delete(BUCKET, 'folders/empty/'))).status).toBe(200);
    expect((await answer(bm().delete(BUCKET, 'folders/empty/'))).status).toBe(612);
    const batch = await answer(
      bm().batch([qiniu.rs.deleteOp(BUCKET, 'folders/full/'), qiniu.rs.deleteOp(BUCKET, 'folders/moved/')]),
    );
    expect(batch.status).toBe(200);
    expect((await list({ prefix: 'folders/' })).keys).toEqual([]);
    expect((await list({ prefix: 'folders/', delimiter: '/' })).commonPrefixes).toEqual([]);
  });

  it('deleting a marker with keys below leaves them, implied; a dir/ upload keeps its body', async () => {
    await formPut('kept/dir/', empty);
    await formPut('kept/dir/a.txt', Buffer.from('a'));
    expect((await answer(bm().delete(BUCKET, 'kept/dir/'))).status).toBe(200);
    expect((await answer(bm().stat(BUCKET, 'kept/dir/'))).status).toBe(612);
    expect((await list({ prefix: 'kept/' })).keys).toEqual(['kept/dir/a.txt']);
    const full = Buffer.from('data');
    expect((await formPut('kept/full/', full)).status).toBe(200);
    expect((await answer(bm().stat(BUCKET, 'kept/full/'))).body).toMatchObject({
      fsize: 4,
      hash: qetag(full),
    });
    expect((await list({ prefix: 'kept/full' })).keys).toEqual(['kept/full/']);
  });

  it('a key that is also a prefix (a beside a/b), either order, stats, lists, moves and deletes', async () => {
    const a = Buffer.from('object a');
    expect((await formPut('both/a', a)).status).toBe(200);
    expect((await formPut('both/a/b', Buffer.from('below'))).status).toBe(200);
    expect((await formPut('both/q/r', Buffer.from('below'))).status).toBe(200);
    expect((await formPut('both/q', Buffer.from('object q'))).status).toBe(200);
    expect((await answer(bm().stat(BUCKET, 'both/a'))).body).toMatchObject({ fsize: 8, hash: qetag(a) });
    expect((await list({ prefix: 'both/' })).keys).toEqual(['both/a', 'both/a/b', 'both/q', 'both/q/r']);
    const byDelimiter = await list({ prefix: 'both/', delimiter: '/' });
    expect([byDelimiter.keys, byDelimiter.commonPrefixes]).toEqual([
      ['both/a', 'both/q'],
      ['both/a/', 'both/q/'],
    ]);
    expect((await answer(bm().move(BUCKET, 'both/q', BUCKET, 'both/a/c', null))).status).toBe(200);
    expect((await answer(bm().delete(BUCKET, 'both/a/b'))).status).toBe(200);
    expect((await list({ prefix: 'both/' })).keys).toEqual(['both/a', 'both/a/c', 'both/q/r']);
    expect((await answer(bm().stat(BUCKET, 'both/a/c'))).body).toMatchObject({ fsize: 8 });
  });
});

describe('downloads', () => {
  const data = bytes(300_000, 23);
  const deadline = () => Math.floor(Date.now() / 1000) + 3600;

  beforeAll(async () => {
    expect((await formPut('dl/file name.bin', data)).status).toBe(200);
  });

  it('serves a privateDownloadUrl, whole and by Range (206)', async () => {
    const url = kodo.bucketManager.privateDownloadUrl(
      `http://${kodo.host}/${BUCKET}`,
      'dl/file name.bin',
      deadline(),
    );
    const whole = await fetch(url);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('etag')).toBe(`"${qetag(data)}"`);
    expect(sha256(Buffer.from(await whole.arrayBuffer()))).toBe(sha256(data));
    const part = await fetch(url, { headers: { Range: 'bytes=1000-1999' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 1000-1999/${data.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(data.subarray(1000, 2000))).toBe(true);
    const tail = await fetch(url, { headers: { Range: 'bytes=-10' } });
    expect(Buffer.from(await tail.arrayBuffer()).equals(data.subarray(data.length - 10))).toBe(true);
  });

  it('answers 401 to an expired or wrongly signed URL, 404 to a missing key', async () => {
    const expired = kodo.bucketManager.privateDownloadUrl(
      `http://${kodo.host}/${BUCKET}`,
      'dl/file name.bin',
      Math.floor(Date.now() / 1000) - 5,
    );
    const late = await fetch(expired);
    expect(late.status).toBe(401);
    await late.body?.cancel();
    const wrong = new qiniu.rs.BucketManager(new qiniu.auth.digest.Mac(ACCESS_KEY, 'wrong'), kodo.config);
    const forged = await fetch(
      wrong.privateDownloadUrl(`http://${kodo.host}/${BUCKET}`, 'dl/file name.bin', deadline()),
    );
    expect(forged.status).toBe(401);
    await forged.body?.cancel();
    const unsigned = await fetch(`http://${kodo.host}/${BUCKET}/dl/file%20name.bin`);
    expect(unsigned.status).toBe(401);
    await unsigned.body?.cancel();
    const missing = await fetch(
      kodo.bucketManager.privateDownloadUrl(`http://${kodo.host}/${BUCKET}`, 'dl/none', deadline()),
    );
    expect(missing.status).toBe(404);
    await missing.body?.cancel();
  });
});

describe('top-level directories that are not buckets', () => {
  it('a directory whose name is not a bucket name is a 400 naming it for uploads and listing, not 631', async () => {
    await mkdir(join(kodo.root, 'my.photos'));
    const token = kodo.uploadToken('my.photos');
    const put = await formPut('k.txt', Buffer.from('x'), token);
    expect(put.status).toBe(400);
    expect(String(put.body.error)).toContain("'my.photos' is a directory of the gateway's root");
    expect(String(put.body.error)).toContain("letters, digits, '-' and '_'");
    const listed = await answer(kodo.bucketManager.listPrefix('my.photos', { prefix: '' }));
    expect(listed.status).toBe(400);
    expect(String(listed.body.error)).toContain('rename the directory');
    await expect(readFile(join(kodo.root, 'my.photos', 'k.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
    // Neither a bucket nor a directory: still 631.
    expect((await answer(kodo.bucketManager.listPrefix('no.such', { prefix: '' }))).status).toBe(631);
  });
});
