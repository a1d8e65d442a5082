/**
 * The OSS gateway as oss2 and ali-oss expect real OSS to behave: every sub-resource it does not
 * implement is NotImplemented and leaves objects and buckets unchanged; listings carry no XML
 * namespace; part and upload times are whole seconds; bucket info, location, listing and delete.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AK, BUCKET, client, type RunningGateway, SECRET, startGateway } from './oss-support.js';

let gw: RunningGateway;
let open: RunningGateway;
beforeAll(async () => {
  gw = await startGateway();
  open = await startGateway({ users: new Map() });
});
afterAll(async () => {
  await gw.stop();
  await open.stop();
});

const oss = () => client(gw, 'path-style');

/** OSS sub-resources the gateway does not implement (oss2's `_subresource_key_set` and more). */
const UNIMPLEMENTED = [
  'tagging',
  'symlink',
  'lifecycle',
  'cors',
  'logging',
  'website',
  'referer',
  'versioning',
  'versions',
  'versionId',
  'policy',
  'encryption',
  'restore',
  'append',
  'x-oss-process',
  'callback',
  'worm',
  'inventory',
  'replication',
  'qos',
  'stat',
  'live',
  'comp',
  'requestPayment',
  'transferAcceleration',
  'objectInfo',
  'metaQuery',
] as const;

async function raw(method: string, path: string, body?: string) {
  const res = await fetch(`${open.endpoint}${path}`, {
    method,
    body,
    headers: body === undefined ? {} : { 'Content-Type': 'application/xml' },
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

describe('unimplemented OSS sub-resources', () => {
  it('ali-oss putObjectTagging is NotImplemented and the object keeps its content', async () => {
    await oss().put('tagged.txt', Buffer.from('precious bytes'));
    const tagging = oss() as unknown as { putObjectTagging(n: string, t: object): Promise<unknown> };
    await expect(tagging.putObjectTagging('tagged.txt', { a: '1' })).rejects.toMatchObject({
      status: 501,
      code: 'NotImplemented',
    });
    expect((await oss().get('tagged.txt')).content.toString()).toBe('precious bytes');
  });

  it('ali-oss putSymlink, putBucketLifecycle and putBucketCORS are NotImplemented, not 200 and ignored', async () => {
    const sdk = oss() as unknown as {
      putSymlink(n: string, target: string): Promise<unknown>;
      putBucketLifecycle(b: string, rules: object[]): Promise<unknown>;
      putBucketCORS(b: string, rules: object[]): Promise<unknown>;
    };
    await oss().put('target.txt', Buffer.from('t'));
    await expect(sdk.putSymlink('link.txt', 'target.txt')).rejects.toMatchObject({ code: 'NotImplemented' });
    await expect(oss().head('link.txt')).rejects.toMatchObject({ status: 404 });
    await expect(
      sdk.putBucketLifecycle(BUCKET, [{ prefix: 'logs/', status: 'Enabled', days: 1 }]),
    ).rejects.toMatchObject({ code: 'NotImplemented' });
    await expect(
      sdk.putBucketCORS(BUCKET, [{ allowedOrigin: '*', allowedMethod: 'GET' }]),
    ).rejects.toMatchObject({ code: 'NotImplemented' });
  });

  it.each(UNIMPLEMENTED)(
    '?%s on an object, by every method, is 501 NotImplemented and changes nothing',
    async (sub) => {
      const key = `objects/${sub}.txt`;
      expect((await raw('PUT', `/${BUCKET}/${key}`, 'original')).status).toBe(200);
      for (const method of ['PUT', 'POST', 'GET', 'DELETE']) {
        const res = await raw(
          method,
          `/${BUCKET}/${key}?${sub}`,
          method === 'PUT' || method === 'POST' ? '<Tagging/>' : undefined,
        );
        expect({ method, status: res.status }).toEqual({ method, status: 501 });
        expect(res.text).toContain('<Code>NotImplemented</Code>');
      }
      const head = await raw('HEAD', `/${BUCKET}/${key}?${sub}`);
      expect(head.status).toBe(501);
      expect((await raw('GET', `/${BUCKET}/${key}`)).text).toBe('original');
    },
  );

  it.each(UNIMPLEMENTED)(
    '?%s on a bucket, by every method, is 501 NotImplemented and changes nothing',
    async (sub) => {
      const before = await raw('GET', `/${BUCKET}?prefix=objects/`);
      for (const method of ['PUT', 'POST', 'GET', 'DELETE']) {
        const res = await raw(
          method,
          `/${BUCKET}?${sub}`,
          method === 'PUT' || method === 'POST' ? '<X/>' : undefined,
        );
        expect({ method, status: res.status }).toEqual({ method, status: 501 });
        expect(res.text).toContain('<Code>NotImplemented</Code>');
      }
      const after = await raw('GET', `/${BUCKET}?prefix=objects/`);
      expect(after.text.replace(/<LastModified>[^<]*/g, '')).toBe(
        before.text.replace(/<LastModified>[^<]*/g, ''),
      );
    },
  );

  it('an ACL other than the one resources have is NotImplemented, not accepted and ignored', async () => {
    await oss().put('acl/one.txt', Buffer.from('x'));
    const sdk = oss() as unknown as {
      putACL(n: string, acl: string): Promise<unknown>;
      putBucketACL(b: string, acl: string): Promise<unknown>;
    };
    await expect(sdk.putACL('acl/one.txt', 'public-read')).rejects.toMatchObject({ code: 'NotImplemented' });
    await expect(sdk.putBucketACL(BUCKET, 'public-read-write')).rejects.toMatchObject({
      code: 'NotImplemented',
    });
    await sdk.putACL('acl/one.txt', 'default');
    await sdk.putBucketACL(BUCKET, 'private');
    expect((await oss().getACL('acl/one.txt')).acl).toBe('default');
  });
});

describe('result documents as real OSS sends them', () => {
  it('listings (v1, v2, uploads) carry no XML namespace', async () => {
    await raw('PUT', `/${BUCKET}/ns/a.txt`, 'a');
    for (const query of ['', '?list-type=2', '?uploads']) {
      const res = await raw('GET', `/${BUCKET}${query}`);
      expect(res.status).toBe(200);
      expect(res.text).not.toContain('xmlns');
    }
  });

  it('ListParts, ListMultipartUploads and listings show times at whole seconds (.000Z)', async () => {
    const { uploadId } = await client(open, 'path-style').initMultipartUpload('times/big.bin');
    const put = await raw('PUT', `/${BUCKET}/times/big.bin?partNumber=1&uploadId=${uploadId}`, 'part one');
    expect(put.status).toBe(200);
    const parts = await raw('GET', `/${BUCKET}/times/big.bin?uploadId=${uploadId}`);
    const uploads = await raw('GET', `/${BUCKET}?uploads`);
    const listing = await raw('GET', `/${BUCKET}?prefix=ns/`);
    const times = [
      ...parts.text.matchAll(/<LastModified>([^<]*)</g),
      ...uploads.text.matchAll(/<Initiated>([^<]*)</g),
      ...listing.text.matchAll(/<LastModified>([^<]*)</g),
    ].map((m) => m[1]);
    expect(times.length).toBeGreaterThanOrEqual(3);
    for (const time of times) expect(time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    await client(open, 'path-style').abortMultipartUpload('times/big.bin', uploadId);
  });
});

describe('bucket operations', () => {
  const sdk = () =>
    oss() as unknown as {
      putBucket(name: string): Promise<unknown>;
      deleteBucket(name: string): Promise<{ res: { status: number } }>;
      getBucketInfo(name: string): Promise<{ bucket: Record<string, unknown> }>;
      getBucketLocation(name: string): Promise<{ location: string }>;
      listBuckets(query?: object): Promise<{ buckets: { name: string; region: string }[] }>;
    };

  it('GetBucketInfo, GetBucketLocation and ListBuckets describe the bucket', async () => {
    const info = await sdk().getBucketInfo(BUCKET);
    expect(info.bucket).toMatchObject({
      Name: BUCKET,
      Location: 'oss-cn-hangzhou',
      StorageClass: 'Standard',
      AccessControlList: { Grant: 'private' },
    });
    expect(String(info.bucket.CreationDate)).toMatch(/\.000Z$/);
    expect((await sdk().getBucketLocation(BUCKET)).location).toBe('oss-cn-hangzhou');
    const listed = await sdk().listBuckets();
    expect(listed.buckets.map((b) => b.name)).toContain(BUCKET);
  });

  it('DeleteBucket: an empty bucket goes (204), one with objects or uploads is BucketNotEmpty', async () => {
    await sdk().putBucket('doomed-bucket');
    const other = client(gw, 'path-style', { bucket: 'doomed-bucket' });
    await other.put('still-here.txt', Buffer.from('x'));
    await expect(sdk().deleteBucket('doomed-bucket')).rejects.toMatchObject({
      status: 409,
      code: 'BucketNotEmpty',
    });
    await other.delete('still-here.txt');
    const { uploadId } = await other.initMultipartUpload('pending.bin');
    await expect(sdk().deleteBucket('doomed-bucket')).rejects.toMatchObject({ code: 'BucketNotEmpty' });
    await other.abortMultipartUpload('pending.bin', uploadId);
    expect((await sdk().deleteBucket('doomed-bucket')).res.status).toBe(204);
    await expect(sdk().getBucketInfo('doomed-bucket')).rejects.toMatchObject({ code: 'NoSuchBucket' });
  });
});

describe('keys', () => {
  it('a key segment named like a write in progress (.tierfs-partial.*) is InvalidObjectName', async () => {
    await expect(oss().put('a/.tierfs-partial.b', Buffer.from('x'))).rejects.toMatchObject({
      status: 400,
      code: 'InvalidObjectName',
    });
  });
});

describe('limits as OSS has them', () => {
  it('user metadata: 8 KB is taken, more is InvalidArgument and writes nothing', async () => {
    const value = (bytes: number) => 'v'.repeat(bytes - 'big'.length);
    await oss().put('limits/meta.txt', Buffer.from('x'), { meta: { big: value(8192) } });
    await expect(
      oss().put('limits/meta.txt', Buffer.from('y'), { meta: { big: value(8193) } }),
    ).rejects.toMatchObject({ status: 400, code: 'InvalidArgument' });
    expect((await oss().get('limits/meta.txt')).content.toString()).toBe('x');
  });

  it('a Complete body listing more than 10,000 parts is InvalidArgument', async () => {
    const { uploadId } = await client(open, 'path-style').initMultipartUpload('limits/parts.bin');
    const parts = Array.from(
      { length: 10_001 },
      (_, i) =>
        `<Part><PartNumber>${i + 1}</PartNumber><ETag>"D41D8CD98F00B204E9800998ECF8427E"</ETag></Part>`,
    ).join('');
    const res = await raw(
      'POST',
      `/${BUCKET}/limits/parts.bin?uploadId=${uploadId}`,
      `<CompleteMultipartUpload>${parts}</CompleteMultipartUpload>`,
    );
    expect(res.status).toBe(400);
    expect(res.text).toContain('<Code>InvalidArgument</Code>');
  });
});

describe('oss2 habits', () => {
  it('a copy onto itself without a directive takes the request metadata (oss2 update_object_meta)', async () => {
    const url = `${open.endpoint}/${BUCKET}/selfcopy/a.txt`;
    const put = await fetch(url, { method: 'PUT', body: 'keep me', headers: { 'x-oss-meta-color': 'blue' } });
    expect(put.status).toBe(200);
    const copy = await fetch(url, {
      method: 'PUT',
      headers: {
        'x-oss-copy-source': `/${BUCKET}/selfcopy%2Fa.txt`,
        'x-oss-meta-color': 'red',
        'Content-Type': 'text/plain',
      },
    });
    expect(copy.status).toBe(200);
    const got = await fetch(url);
    expect(await got.text()).toBe('keep me');
    expect(got.headers.get('x-oss-meta-color')).toBe('red');
    expect(got.headers.get('content-type')).toBe('text/plain');
    // A copy to another key keeps the source's metadata without REPLACE.
    const other = await fetch(`${open.endpoint}/${BUCKET}/selfcopy/b.txt`, {
      method: 'PUT',
      headers: { 'x-oss-copy-source': `/${BUCKET}/selfcopy%2Fa.txt`, 'x-oss-meta-color': 'green' },
    });
    expect(other.status).toBe(200);
    const head = await fetch(`${open.endpoint}/${BUCKET}/selfcopy/b.txt`, { method: 'HEAD' });
    expect(head.headers.get('x-oss-meta-color')).toBe('red');
  });
});

describe('oss2 listings', () => {
  it('ListObjectsV2 with an empty continuation-token (as oss2 sends it) still applies start-after', async () => {
    for (const key of ['startafter/a.txt', 'startafter/b.txt', 'startafter/c.txt']) {
      await raw('PUT', `/${BUCKET}/${key}`, 'x');
    }
    const res = await raw(
      'GET',
      `/${BUCKET}?list-type=2&prefix=startafter%2F&start-after=startafter%2Fa.txt&continuation-token=&max-keys=100`,
    );
    expect(res.status).toBe(200);
    const keys = [...res.text.matchAll(/<Key>([^<]*)</g)].map((m) => m[1]);
    expect(keys).toEqual(['startafter/b.txt', 'startafter/c.txt']);
  });
});

describe('ListMultipartUploads with a delimiter', () => {
  it('rolls uploads below the delimiter into CommonPrefixes and pages over them', async () => {
    const sdk = client(open, 'path-style');
    const ids: string[] = [];
    for (const key of ['mpd/a/1.bin', 'mpd/a/2.bin', 'mpd/b.bin']) {
      ids.push((await sdk.initMultipartUpload(key)).uploadId);
    }
    const tags = (text: string, tag: string) =>
      [...text.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => m[1]);
    const all = await raw('GET', `/${BUCKET}?uploads&prefix=mpd%2F&delimiter=%2F`);
    expect(tags(all.text, 'Key')).toEqual(['mpd/b.bin']);
    expect(tags(all.text, 'Prefix')).toEqual(['mpd/', 'mpd/a/']);
    const first = await raw('GET', `/${BUCKET}?uploads&prefix=mpd%2F&delimiter=%2F&max-uploads=1`);
    expect(tags(first.text, 'IsTruncated')).toEqual(['true']);
    expect(tags(first.text, 'NextKeyMarker')).toEqual(['mpd/a/']);
    expect(tags(first.text, 'Key')).toEqual([]);
    const second = await raw(
      'GET',
      `/${BUCKET}?uploads&prefix=mpd%2F&delimiter=%2F&max-uploads=1&key-marker=mpd%2Fa%2F`,
    );
    expect(tags(second.text, 'Key')).toEqual(['mpd/b.bin']);
    expect(tags(second.text, 'IsTruncated')).toEqual(['false']);
    const keys = ['mpd/a/1.bin', 'mpd/a/2.bin', 'mpd/b.bin'];
    for (const [i, id] of ids.entries()) await sdk.abortMultipartUpload(keys[i]!, id);
  });
});

describe('single-bucket mode addressed path style (oss2 with an IP endpoint)', () => {
  let single: RunningGateway;
  beforeAll(async () => {
    single = await startGateway({ singleBucket: BUCKET });
  });
  afterAll(async () => {
    await single.stop();
  });

  /** A V1-signed request, as oss2 signs it: the resource is `/<bucket>/<key>`. */
  async function signed(method: string, path: string, resource: string, body?: string) {
    const date = new Date().toUTCString();
    const type = body === undefined ? '' : 'text/plain';
    const signature = createHmac('sha1', SECRET)
      .update(`${method}\n\n${type}\n${date}\n${resource}`)
      .digest('base64');
    const res = await fetch(`${single.endpoint}${path}`, {
      method,
      body,
      headers: {
        Date: date,
        Authorization: `OSS ${AK}:${signature}`,
        ...(type ? { 'Content-Type': type } : {}),
      },
    });
    return { status: res.status, text: await res.text() };
  }

  it('reads /<bucket>/<key> as the key when that is what the signature covers', async () => {
    const put = await signed('PUT', `/${BUCKET}/dir/a.txt`, `/${BUCKET}/dir/a.txt`, 'path style');
    expect(put.status).toBe(200);
    // The same object through the whole-path reading single-bucket mode documents.
    expect((await signed('GET', '/dir/a.txt', `/${BUCKET}/dir/a.txt`)).text).toBe('path style');
    expect((await signed('GET', `/${BUCKET}/dir/a.txt`, `/${BUCKET}/dir/a.txt`)).text).toBe('path style');
    const listing = await signed('GET', `/${BUCKET}/?prefix=dir%2F`, `/${BUCKET}/`);
    expect(listing.status).toBe(200);
    expect([...listing.text.matchAll(/<Key>([^<]*)</g)].map((m) => m[1])).toEqual(['dir/a.txt']);
    // A key that itself starts with the bucket's name stays reachable by the whole-path reading.
    const nested = await signed('PUT', `/${BUCKET}/b.txt`, `/${BUCKET}/${BUCKET}/b.txt`, 'nested');
    expect(nested.status).toBe(200);
    expect((await signed('GET', `/${BUCKET}/b.txt`, `/${BUCKET}/${BUCKET}/b.txt`)).text).toBe('nested');
    expect((await signed('GET', '/b.txt', `/${BUCKET}/b.txt`)).status).toBe(404);
  });
});
