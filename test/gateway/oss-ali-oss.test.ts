/**
 * The real ali-oss client against the OSS gateway over a local directory, in three client setups:
 * path style (sldEnable), IP endpoint with the Host rewrite to <bucket>.oss-cn-hangzhou.aliyuncs.com,
 * and V4 signatures.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { get as httpGet, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AK,
  aliOss,
  BUCKET,
  type ClientMode,
  client,
  type RunningGateway,
  SECRET,
  startGateway,
} from './oss-support.js';

let gw: RunningGateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(async () => gw.stop());

const md5hex = (data: Buffer) => createHash('md5').update(data).digest('hex').toUpperCase();

describe.each(['path-style', 'ip-host-rewrite', 'v4'] as const)('ali-oss %s', (mode: ClientMode) => {
  const p = `${mode}/`;
  const oss = () => client(gw, mode);

  it('PutObject, GetObject, HeadObject, GetObjectMeta with metadata and MD5 ETag', async () => {
    const data = Buffer.from('hello, tierfs');
    const put = await oss().put(`${p}greeting.txt`, data, { meta: { author: 'me' } });
    expect(put.res.status).toBe(200);
    expect(put.res.headers).toMatchObject({ etag: `"${md5hex(data)}"` });
    expect((put.res.headers as Record<string, string>)['x-oss-request-id']).toMatch(/^[0-9A-F]{24}$/);
    const got = await oss().get(`${p}greeting.txt`);
    expect(got.content.toString()).toBe('hello, tierfs');
    expect(got.res.headers).toMatchObject({ 'content-type': 'text/plain', 'x-oss-meta-author': 'me' });
    const head = await oss().head(`${p}greeting.txt`);
    expect(head.status).toBe(200);
    expect(head.meta).toMatchObject({ author: 'me' });
    expect(head.res.headers).toMatchObject({
      'content-length': String(data.length),
      'x-oss-object-type': 'Normal',
      'content-md5': createHash('md5').update(data).digest('base64'),
    });
    const meta = await oss().getObjectMeta(`${p}greeting.txt`);
    expect(meta.res.headers).toMatchObject({
      etag: `"${md5hex(data)}"`,
      'content-length': String(data.length),
    });
  });

  it('a ranged GetObject with If-Match of a replaced object (same size) is 412 PreconditionFailed', async () => {
    const key = `${p}swap.bin`;
    const old = Buffer.from('abcdefgh');
    const replacement = Buffer.from('ABCDEFGH');
    await oss().put(key, old);
    const range = { Range: 'bytes=2-4' };
    const pinned = await oss().get(key, { headers: { ...range, 'If-Match': `"${md5hex(old)}"` } });
    expect(pinned.res.status).toBe(206);
    expect(pinned.content.toString()).toBe('cde');
    await oss().put(key, replacement);
    await expect(
      oss().get(key, { headers: { ...range, 'If-Match': `"${md5hex(old)}"` } }),
    ).rejects.toMatchObject({ status: 412, code: 'PreconditionFailed' });
    const current = await oss().get(key, { headers: { ...range, 'If-Match': `"${md5hex(replacement)}"` } });
    expect(current.res.status).toBe(206);
    expect(current.content.toString()).toBe('CDE');
  });

  it('ranges (206, and the whole object with 200 for an invalid range) and conditionals (304/412)', async () => {
    const key = `${p}digits.bin`;
    await oss().put(key, Buffer.from('0123456789'));
    const part = await oss().get(key, { headers: { Range: 'bytes=2-5' } });
    expect(part.res.status).toBe(206);
    expect(part.content.toString()).toBe('2345');
    expect(part.res.headers).toMatchObject({ 'content-range': 'bytes 2-5/10' });
    const invalid = await oss().get(key, { headers: { Range: 'bytes=20-30' } });
    expect(invalid.res.status).toBe(200);
    expect(invalid.content.toString()).toBe('0123456789');
    const etag = `"${md5hex(Buffer.from('0123456789'))}"`;
    const notModified = await oss().get(key, { headers: { 'If-None-Match': etag } });
    expect(notModified.res.status).toBe(304);
    const since = await oss().get(key, {
      headers: { 'If-Modified-Since': new Date(Date.now() + 60_000).toUTCString() },
    });
    expect(since.res.status).toBe(304);
    await expect(oss().get(key, { headers: { 'If-Match': '"0000"' } })).rejects.toMatchObject({
      status: 412,
      code: 'PreconditionFailed',
    });
    await expect(
      oss().get(key, { headers: { 'If-Unmodified-Since': new Date(Date.now() - 3_600_000).toUTCString() } }),
    ).rejects.toMatchObject({ status: 412 });
  });

  it('missing keys: NoSuchKey with Key on GET, empty 404 on HEAD, 204 on DELETE', async () => {
    await expect(oss().get(`${p}missing`)).rejects.toMatchObject({ status: 404, code: 'NoSuchKey' });
    await expect(oss().head(`${p}missing`)).rejects.toMatchObject({ status: 404, name: 'NoSuchKeyError' });
    const del = await oss().delete(`${p}missing`);
    expect(del.res.status).toBe(204);
  });

  it('forbid-overwrite gives 409 FileAlreadyExists; Content-MD5 mismatch gives 400 InvalidDigest', async () => {
    await oss().put(`${p}once`, Buffer.from('first'));
    await expect(
      oss().put(`${p}once`, Buffer.from('second'), { headers: { 'x-oss-forbid-overwrite': 'true' } }),
    ).rejects.toMatchObject({ status: 409, code: 'FileAlreadyExists' });
    await expect(
      oss().put(`${p}digest`, Buffer.from('body'), {
        headers: { 'Content-MD5': createHash('md5').update('x').digest('base64') },
      }),
    ).rejects.toMatchObject({ status: 400, code: 'InvalidDigest' });
    await expect(oss().get(`${p}digest`)).rejects.toMatchObject({ code: 'NoSuchKey' });
    expect((await oss().get(`${p}once`)).content.toString()).toBe('first');
  });

  it('CopyObject with COPY and REPLACE directives and copy-source conditionals', async () => {
    await oss().put(`${p}src.txt`, Buffer.from('copy me'), { meta: { color: 'blue' } });
    const copied = await oss().copy(`${p}dst.txt`, `${p}src.txt`);
    expect(copied.res.status).toBe(200);
    expect(copied.data.etag).toBe(`"${md5hex(Buffer.from('copy me'))}"`);
    expect((await oss().head(`${p}dst.txt`)).meta).toMatchObject({ color: 'blue' });
    await oss().copy(`${p}dst2.txt`, `${p}src.txt`, {
      meta: { color: 'red' },
      headers: { 'x-oss-metadata-directive': 'REPLACE' },
    });
    expect((await oss().head(`${p}dst2.txt`)).meta).toMatchObject({ color: 'red' });
    await expect(
      oss().copy(`${p}dst3.txt`, `${p}src.txt`, { headers: { 'x-oss-copy-source-if-match': '"00"' } }),
    ).rejects.toMatchObject({ status: 412 });
    await expect(oss().copy(`${p}dst4.txt`, `${p}nothing.txt`)).rejects.toMatchObject({ code: 'NoSuchKey' });
  });

  it('ListObjects v1 and v2: prefix, delimiter, markers, tokens, max-keys, url encoding, owner', async () => {
    const keys = [
      'list/a.txt',
      'list/b/1.txt',
      'list/b/2.txt',
      'list/c d.txt',
      'list/b-x.txt',
      'list/z/deep/f',
    ];
    for (const k of keys) await oss().put(`${p}${k}`, Buffer.from(k));
    const flat = await oss().list({ prefix: `${p}list/`, 'max-keys': 100 }, {});
    expect(flat.objects.map((o) => o.name)).toEqual([...keys].sort().map((k) => `${p}${k}`));
    expect(flat.objects[0]!.owner).toBeDefined();
    const dirs = await oss().list({ prefix: `${p}list/`, delimiter: '/', 'max-keys': 100 }, {});
    expect(dirs.objects.map((o) => o.name)).toEqual([
      `${p}list/a.txt`,
      `${p}list/b-x.txt`,
      `${p}list/c d.txt`,
    ]);
    expect(dirs.prefixes).toEqual([`${p}list/b/`, `${p}list/z/`]);
    const seen: string[] = [];
    let marker: string | undefined;
    do {
      const page = await oss().list(
        { prefix: `${p}list/`, delimiter: '/', 'max-keys': 2, ...(marker ? { marker } : {}) },
        {},
      );
      seen.push(...page.objects.map((o) => o.name), ...(page.prefixes ?? []));
      marker = page.isTruncated ? (page.nextMarker ?? undefined) : undefined;
    } while (marker);
    expect(seen.sort()).toEqual([...dirs.objects.map((o) => o.name), ...(dirs.prefixes ?? [])].sort());
    const v2Seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await oss().listV2(
        { prefix: `${p}list/`, 'max-keys': '2', ...(token ? { 'continuation-token': token } : {}) },
        {},
      );
      expect(page.keyCount).toBe(page.objects.length);
      v2Seen.push(...page.objects.map((o) => o.name));
      token = page.isTruncated ? (page.nextContinuationToken ?? undefined) : undefined;
    } while (token);
    expect(v2Seen).toEqual(flat.objects.map((o) => o.name));
    const after = await oss().listV2(
      { prefix: `${p}list/`, 'start-after': `${p}list/b/2.txt`, 'fetch-owner': true },
      {},
    );
    expect(after.objects.map((o) => o.name)).toEqual([`${p}list/c d.txt`, `${p}list/z/deep/f`]);
    expect(after.objects[0]!.owner).toBeDefined();
    const encoded = await oss().list({ prefix: `${p}list/c`, 'encoding-type': 'url' }, {});
    expect(encoded.objects.map((o) => decodeURIComponent(o.name))).toEqual([`${p}list/c d.txt`]);
  });

  it('directory markers: a 0-byte PUT of dir/ is an object of size 0, listed, HEAD/GET-able, copied and deleted', async () => {
    const d = `${p}markers/`;
    const names = (objects: { name: string }[] | undefined) => (objects ?? []).map((o) => o.name);
    const put = await oss().put(`${d}empty/`, Buffer.alloc(0));
    expect(put.res.status).toBe(200);
    expect(put.res.headers).toMatchObject({ etag: `"${md5hex(Buffer.alloc(0))}"` });
    await oss().put(`${d}full/file.txt`, Buffer.from('below a marker'));
    await oss().put(`${d}full/`, Buffer.alloc(0));
    await oss().put(`${d}plain/file.txt`, Buffer.from('below no marker'));

    const flat = await oss().list({ prefix: d, 'max-keys': 100 }, {});
    expect(names(flat.objects)).toEqual([
      `${d}empty/`,
      `${d}full/`,
      `${d}full/file.txt`,
      `${d}plain/file.txt`,
    ]);
    expect(flat.objects.find((o) => o.name === `${d}empty/`)).toMatchObject({
      size: 0,
      etag: `"${md5hex(Buffer.alloc(0))}"`,
    });
    // With a delimiter a marker below the prefix is a common prefix, as on OSS; the prefix's own is an object.
    const top = await oss().list({ prefix: d, delimiter: '/' }, {});
    expect(names(top.objects)).toEqual([]);
    expect(top.prefixes).toEqual([`${d}empty/`, `${d}full/`, `${d}plain/`]);
    const inEmpty = await oss().list({ prefix: `${d}empty/`, delimiter: '/' }, {});
    expect(names(inEmpty.objects)).toEqual([`${d}empty/`]);
    expect(inEmpty.prefixes ?? []).toEqual([]);
    const inFull = await oss().listV2({ prefix: `${d}full/`, delimiter: '/' }, {});
    expect(names(inFull.objects)).toEqual([`${d}full/`, `${d}full/file.txt`]);
    const paged: string[] = [];
    let token: string | undefined;
    do {
      const page = await oss().listV2(
        { prefix: d, 'max-keys': '1', ...(token ? { 'continuation-token': token } : {}) },
        {},
      );
      paged.push(...names(page.objects));
      token = page.isTruncated ? (page.nextContinuationToken ?? undefined) : undefined;
    } while (token);
    expect(paged).toEqual(names(flat.objects));

    const head = await oss().head(`${d}empty/`);
    expect(head.status).toBe(200);
    expect(head.res.headers).toMatchObject({ 'content-length': '0', etag: `"${md5hex(Buffer.alloc(0))}"` });
    expect((await oss().get(`${d}empty/`)).content.length).toBe(0);
    // A directory implied by the keys below it is no object, as on OSS.
    await expect(oss().head(`${d}plain/`)).rejects.toMatchObject({ status: 404 });
    await expect(oss().get(`${d}plain/`)).rejects.toMatchObject({ code: 'NoSuchKey' });

    const copied = await oss().copy(`${d}copied/`, `${d}empty/`);
    expect(copied.data.etag).toBe(`"${md5hex(Buffer.alloc(0))}"`);
    expect(names((await oss().list({ prefix: `${d}copied/` }, {})).objects)).toEqual([`${d}copied/`]);

    // The last file of a marked directory goes, the directory stays; an unmarked one goes with it.
    await oss().delete(`${d}full/file.txt`);
    await oss().delete(`${d}plain/file.txt`);
    expect(names((await oss().list({ prefix: d }, {})).objects)).toEqual([
      `${d}copied/`,
      `${d}empty/`,
      `${d}full/`,
    ]);
    expect((await oss().list({ prefix: d, delimiter: '/' }, {})).prefixes).toEqual([
      `${d}copied/`,
      `${d}empty/`,
      `${d}full/`,
    ]);

    expect((await oss().delete(`${d}empty/`)).res.status).toBe(204);
    await expect(oss().head(`${d}empty/`)).rejects.toMatchObject({ status: 404 });
    await oss().deleteMulti([`${d}full/`, `${d}copied/`]);
    expect((await oss().list({ prefix: d }, {})).objects ?? []).toEqual([]);
    expect((await oss().list({ prefix: d, delimiter: '/' }, {})).prefixes ?? []).toEqual([]);
  });

  it('a marker with keys below it: deleting it leaves them, implied; a dir/ key keeps a body', async () => {
    const d = `${p}marker-kept/`;
    await oss().put(`${d}dir/`, Buffer.alloc(0));
    await oss().put(`${d}dir/a.txt`, Buffer.from('a'));
    await oss().delete(`${d}dir/`);
    await expect(oss().head(`${d}dir/`)).rejects.toMatchObject({ status: 404 });
    expect((await oss().list({ prefix: d }, {})).objects.map((o) => o.name)).toEqual([`${d}dir/a.txt`]);
    await oss().put(`${d}full/`, Buffer.from('data'));
    expect((await oss().get(`${d}full/`)).content.toString()).toBe('data');
    expect((await oss().head(`${d}full/`)).res.headers['content-length']).toBe('4');
    expect((await oss().list({ prefix: `${d}full` }, {})).objects.map((o) => [o.name, o.size])).toEqual([
      [`${d}full/`, 4],
    ]);
  });

  it('a key that is also a prefix (a beside a/b), written in either order, lists and reads as OSS has it', async () => {
    const d = `${p}both/`;
    await oss().put(`${d}a`, Buffer.from('object a'));
    await oss().put(`${d}a/b`, Buffer.from('below'));
    await oss().put(`${d}q/r`, Buffer.from('below'));
    await oss().put(`${d}q`, Buffer.from('object q'));
    expect((await oss().get(`${d}a`)).content.toString()).toBe('object a');
    expect((await oss().get(`${d}q`)).content.toString()).toBe('object q');
    expect((await oss().list({ prefix: d }, {})).objects.map((o) => o.name)).toEqual([
      `${d}a`,
      `${d}a/b`,
      `${d}q`,
      `${d}q/r`,
    ]);
    const byDelimiter = await oss().list({ prefix: d, delimiter: '/' }, {});
    expect(byDelimiter.objects.map((o) => o.name)).toEqual([`${d}a`, `${d}q`]);
    expect(byDelimiter.prefixes).toEqual([`${d}a/`, `${d}q/`]);
    await oss().delete(`${d}a/b`);
    await oss().delete(`${d}q`);
    expect((await oss().list({ prefix: d }, {})).objects.map((o) => o.name)).toEqual([`${d}a`, `${d}q/r`]);
    expect((await oss().get(`${d}a`)).content.toString()).toBe('object a');
  });

  it('DeleteMultipleObjects, verbose and quiet', async () => {
    for (const k of ['m1', 'm2', 'm3']) await oss().put(`${p}multi/${k}`, Buffer.from(k));
    const verbose = await oss().deleteMulti([`${p}multi/m1`, `${p}multi/m2`, `${p}multi/none`]);
    expect(verbose.deleted?.map((d) => (typeof d === 'string' ? d : d.Key)).sort()).toEqual(
      [`${p}multi/m1`, `${p}multi/m2`, `${p}multi/none`].sort(),
    );
    const quiet = await oss().deleteMulti([`${p}multi/m3`], { quiet: true });
    expect(quiet.res.status).toBe(200);
    expect((await oss().list({ prefix: `${p}multi/` }, {})).objects ?? []).toEqual([]);
  });

  it('multipart: initiate, upload, copy a part, list, complete; abort; errors', async () => {
    const partA = randomBytes(150 * 1024);
    const file = join(gw.root, '..', `${mode}-part.bin`);
    await writeFile(file, partA);
    const key = `${p}mp/object.bin`;
    const { uploadId } = await oss().initMultipartUpload(key, { meta: { kind: 'mp' } });
    const p1 = await oss().uploadPart(key, uploadId, 1, file, 0, partA.length);
    await oss().put(`${p}mp/source.bin`, Buffer.from('tail-from-copy'));
    const p2 = await oss().uploadPartCopy(key, uploadId, 2, '0-3', {
      sourceKey: `${p}mp/source.bin`,
      sourceBucketName: BUCKET,
    });
    const parts = await oss().listParts(key, uploadId, {});
    expect(parts.parts.map((x) => Number(x.PartNumber))).toEqual([1, 2]);
    const uploads = await oss().listUploads({ prefix: `${p}mp/` });
    expect(uploads.uploads.map((u) => u.uploadId)).toContain(uploadId);
    await expect(
      oss().completeMultipartUpload(key, uploadId, [{ number: 3, etag: '"AAAA"' }]),
    ).rejects.toMatchObject({ status: 400, code: 'InvalidPart' });
    const done = await oss().completeMultipartUpload(key, uploadId, [
      { number: 1, etag: p1.etag },
      { number: 2, etag: p2.res.headers.etag! },
    ]);
    expect(done.res.status).toBe(200);
    const got = await oss().get(key);
    expect(got.content.equals(Buffer.concat([partA, Buffer.from('tail')]))).toBe(true);
    expect(got.res.headers).toMatchObject({ 'x-oss-object-type': 'Multipart', 'x-oss-meta-kind': 'mp' });
    await expect(oss().listParts(key, uploadId, {})).rejects.toMatchObject({
      status: 404,
      code: 'NoSuchUpload',
    });

    const small = await oss().initMultipartUpload(`${p}mp/small`);
    await writeFile(file, Buffer.alloc(1000, 1));
    const s1 = await oss().uploadPart(`${p}mp/small`, small.uploadId, 1, file, 0, 1000);
    const s2 = await oss().uploadPart(`${p}mp/small`, small.uploadId, 2, file, 0, 1000);
    await expect(
      oss().completeMultipartUpload(`${p}mp/small`, small.uploadId, [
        { number: 1, etag: s1.etag },
        { number: 2, etag: s2.etag },
      ]),
    ).rejects.toMatchObject({ status: 400, code: 'EntityTooSmall' });
    const aborted = await oss().abortMultipartUpload(`${p}mp/small`, small.uploadId);
    expect(aborted.res.status).toBe(204);
    await expect(oss().abortMultipartUpload(`${p}mp/small`, small.uploadId)).rejects.toMatchObject({
      code: 'NoSuchUpload',
    });
  });

  it('bucket and object ACLs', async () => {
    expect((await oss().getBucketACL(BUCKET)).acl).toBe('private');
    await oss().put(`${p}acl.txt`, Buffer.from('x'));
    expect((await oss().getACL(`${p}acl.txt`)).acl).toBe('default');
  });

  it('a wrong secret gives 403 SignatureDoesNotMatch with the string to sign; an unknown key InvalidAccessKeyId', async () => {
    const bad = client(gw, mode, { accessKeySecret: 'not-the-secret' });
    const error = await bad.get(`${p}greeting.txt`).then(
      () => undefined,
      (e: unknown) => e as { status: number; code: string; message: string },
    );
    expect(error).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    await expect(client(gw, mode, { accessKeyId: 'nobody' }).get(`${p}greeting.txt`)).rejects.toMatchObject({
      status: 403,
      code: 'InvalidAccessKeyId',
    });
  });

  it('a clock 20 minutes off gives 403 RequestTimeTooSkewed', async () => {
    const skewed = client(gw, mode, { amendTimeSkewed: 20 * 60 * 1000 });
    await expect(skewed.get(`${p}greeting.txt`)).rejects.toMatchObject({
      status: 403,
      code: 'RequestTimeTooSkewed',
    });
  });
});

describe('ali-oss beyond the basics', () => {
  it('multipartUpload of 12 MiB with parallel 4 and 1 MiB parts arrives as 12 parts', async () => {
    const data = randomBytes(12 * 1024 * 1024);
    const file = join(gw.root, '..', 'big.bin');
    await writeFile(file, data);
    const parts: number[] = [];
    gw.gateway.server.on('request', (req) => {
      const m = /[?&]partNumber=(\d+)/.exec(req.url ?? '');
      if (m && req.method === 'PUT') parts.push(Number(m[1]));
    });
    const result = await client(gw, 'path-style').multipartUpload('big/twelve.bin', file, {
      parallel: 4,
      partSize: 1024 * 1024,
    });
    expect(result.res.status).toBe(200);
    expect(parts.sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const onDisk = await readFile(join(gw.root, BUCKET, 'big', 'twelve.bin'));
    expect(md5hex(onDisk)).toBe(md5hex(data));
  });

  it('presigned signatureUrl GET and PUT work with plain fetch; a tampered one is refused', async () => {
    const oss = aliOss({
      accessKeyId: AK,
      accessKeySecret: SECRET,
      bucket: BUCKET,
      endpoint: `http://localhost:${gw.port}`,
      sldEnable: true,
    });
    const putUrl = oss.signatureUrl('presigned/up.txt', { method: 'PUT', 'Content-Type': 'text/plain' });
    const put = await fetch(putUrl, {
      method: 'PUT',
      body: 'via url',
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(put.status).toBe(200);
    const getUrl = oss.signatureUrl('presigned/up.txt', { expires: 60 });
    const got = await fetch(getUrl);
    expect(got.status).toBe(200);
    expect(await got.text()).toBe('via url');
    const tampered = await fetch(getUrl.replace('presigned/up.txt', 'presigned/other.txt'));
    expect(tampered.status).toBe(403);
    expect(await tampered.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('GetObjectMeta sent as a GET (older oss2) answers the headers only; the signature covers ?objectMeta', async () => {
    const data = Buffer.from('meta by GET');
    await client(gw, 'path-style').put('meta-get/a.txt', data);
    const oss = aliOss({
      accessKeyId: AK,
      accessKeySecret: SECRET,
      bucket: BUCKET,
      endpoint: `http://localhost:${gw.port}`,
      sldEnable: true,
    });
    const signUrl = oss.signatureUrl as unknown as (name: string, options: object) => string;
    const url = signUrl.call(oss, 'meta-get/a.txt', { method: 'GET', subResource: { objectMeta: '' } });
    expect(new URL(url).searchParams.has('objectMeta')).toBe(true);
    const v1 = await headersOnly(url);
    expect(v1.status).toBe(200);
    expect(v1.headers).toMatchObject({
      etag: `"${md5hex(data)}"`,
      'content-length': String(data.length),
    });
    expect(Date.parse(String(v1.headers['last-modified']))).toBeGreaterThan(0);
    expect(v1.bodyBytes).toBe(0);
    const v4url = await client(gw, 'v4').signatureUrlV4(
      'GET',
      60,
      { queries: { objectMeta: null } },
      'meta-get/a.txt',
    );
    const v4 = await headersOnly(v4url);
    expect(v4.status).toBe(200);
    expect(v4.headers['content-length']).toBe(String(data.length));
    expect(v4.bodyBytes).toBe(0);
    // The same signature without the sub-resource names another request.
    const stripped = new URL(url);
    stripped.searchParams.delete('objectMeta');
    const refused = await fetch(stripped);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('V4 presigned URLs (signatureUrlV4: x-oss-signature-version, x-oss-credential, ...) GET and PUT; tampered, expired or too long ones are refused', async () => {
    const oss = client(gw, 'v4');
    const putUrl = await oss.signatureUrlV4(
      'PUT',
      60,
      { headers: { 'Content-Type': 'text/plain' } },
      'presigned-v4/up.txt',
    );
    expect(new URL(putUrl).searchParams.get('x-oss-signature-version')).toBe('OSS4-HMAC-SHA256');
    const put = await fetch(putUrl, {
      method: 'PUT',
      body: 'via v4 url',
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(put.status).toBe(200);
    const getUrl = await oss.signatureUrlV4('GET', 60, undefined, 'presigned-v4/up.txt');
    const got = await fetch(getUrl);
    expect([got.status, await got.text()]).toEqual([200, 'via v4 url']);

    const host = `localhost:${gw.port}`;
    const withHost = await oss.signatureUrlV4('GET', 60, { headers: { host } }, 'presigned-v4/up.txt', [
      'host',
    ]);
    const viaHost = await fetch(withHost.replace(/^http:\/\/[^/]+/, `http://${host}`));
    expect(viaHost.status).toBe(200);

    const tampered = await fetch(getUrl.replace('presigned-v4/up.txt', 'presigned-v4/other.txt'));
    expect(tampered.status).toBe(403);
    expect(await tampered.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    const expired = new URL(getUrl);
    expired.searchParams.set('x-oss-date', '20200101T000000Z');
    expired.searchParams.set(
      'x-oss-credential',
      expired.searchParams.get('x-oss-credential')!.replace(/\/\d{8}\//, '/20200101/'),
    );
    const late = await fetch(expired);
    expect(late.status).toBe(403);
    expect(await late.text()).toContain('Request has expired');
    const tooLong = await oss.signatureUrlV4('GET', 604_801, undefined, 'presigned-v4/up.txt');
    const refused = await fetch(tooLong);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('<Code>InvalidArgument</Code>');
  });

  it('objects land in the under store as plain files at bucket/key, and files put there are served', async () => {
    const oss = client(gw, 'path-style');
    await oss.put('landing/dir/file.txt', Buffer.from('on disk'));
    expect(await readFile(join(gw.root, BUCKET, 'landing', 'dir', 'file.txt'), 'utf8')).toBe('on disk');
    await writeFile(join(gw.root, BUCKET, 'landing', 'outside.txt'), 'written by someone else');
    expect((await oss.get('landing/outside.txt')).content.toString()).toBe('written by someone else');
    const listed = await oss.list({ prefix: 'landing/' }, {});
    expect(listed.objects.map((o) => o.name)).toEqual(['landing/dir/file.txt', 'landing/outside.txt']);
  });

  it('an interrupted PUT leaves nothing behind', async () => {
    const { request } = await import('node:http');
    await new Promise<void>((resolve) => {
      const req = request({
        host: '127.0.0.1',
        port: gw.port,
        method: 'PUT',
        path: `/${BUCKET}/interrupted.bin`,
        headers: { 'Content-Length': 1024 * 1024, Authorization: 'none' },
      });
      req.on('error', () => resolve());
      req.write(Buffer.alloc(64 * 1024));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 100);
    });
    await new Promise((r) => setTimeout(r, 100));
    await expect(client(gw, 'path-style').head('interrupted.bin')).rejects.toMatchObject({ status: 404 });
  });

  it('a missing bucket is NoSuchBucket', async () => {
    await expect(client(gw, 'path-style', { bucket: 'no-such-bucket' }).get('x')).rejects.toMatchObject({
      status: 404,
      code: 'NoSuchBucket',
    });
  });

  it('a top-level directory whose name OSS does not allow is InvalidBucketName naming it, not NoSuchBucket', async () => {
    await mkdir(join(gw.root, 'my_data'));
    // ali-oss checks names itself; a client that does not (ossutil, curl with a signature) sends them.
    const oss = client(gw, 'path-style');
    (oss as unknown as { options: { bucket: string } }).options.bucket = 'my_data';
    const refused = await oss.put('k.txt', Buffer.from('x')).catch((error: unknown) => error);
    expect(refused).toMatchObject({ status: 400, code: 'InvalidBucketName' });
    expect((refused as Error).message).toContain("'my_data' is a directory of the gateway's root");
    expect((refused as Error).message).toContain('lowercase letters, digits and hyphens');
    await expect(readFile(join(gw.root, 'my_data', 'k.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
    // A name that is neither a bucket nor a directory stays NoSuchBucket.
    (oss as unknown as { options: { bucket: string } }).options.bucket = 'no_dir';
    await expect(oss.put('k.txt', Buffer.from('x'))).rejects.toMatchObject({
      status: 404,
      code: 'NoSuchBucket',
    });
  });

  it('an upper-case bucket in a rewritten Host (IP endpoint) is read as the client signed it: InvalidBucketName, not SignatureDoesNotMatch', async () => {
    await mkdir(join(gw.root, 'My_Data'));
    // ali-oss signs `/My_Data/k.txt` and sends `Host: My_Data.oss-cn-hangzhou.aliyuncs.com`.
    const oss = client(gw, 'ip-host-rewrite');
    (oss as unknown as { options: { bucket: string } }).options.bucket = 'My_Data';
    const refused = await oss.put('k.txt', Buffer.from('x')).catch((error: unknown) => error);
    expect(refused).toMatchObject({ status: 400, code: 'InvalidBucketName' });
    expect((refused as Error).message).toContain("'My_Data' is a directory of the gateway's root");
    (oss as unknown as { options: { bucket: string } }).options.bucket = 'No-Such';
    await expect(oss.get('k.txt')).rejects.toMatchObject({ status: 404, code: 'NoSuchBucket' });
    await expect(readFile(join(gw.root, 'My_Data', 'k.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

/** A GET whose answer is read to its end or close: status, headers and how many body bytes came. */
function headersOnly(
  url: string,
): Promise<{ status: number; headers: IncomingHttpHeaders; bodyBytes: number }> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, (res) => {
      let bodyBytes = 0;
      res.on('data', (chunk: Buffer) => {
        bodyBytes += chunk.length;
      });
      res.on('error', () => undefined); // a headers-only answer ends with the connection
      res.on('close', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bodyBytes }));
    });
    req.on('error', reject);
  });
}
