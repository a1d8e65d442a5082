/**
 * Resumable upload v1 (mkblk, bput, mkfile) against the real qiniu Node SDK's ResumeUploader with
 * version v1 (its default when PutExtra is built with `new`), and the protocol's edges sent raw
 * with the SDK's upload tokens: chunked blocks, forged / foreign / stale ctxs, size checks, and an
 * abandoned upload that leaves nothing visible and is swept.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import qiniu from 'qiniu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qetag } from '../../src/gateway/kodo/qetag.js';
import { answer, BUCKET, bytes, exchange, type KodoFixture, startKodoFixture } from './kodo-support.js';

const MiB = 1024 * 1024;
let kodo: KodoFixture;

beforeAll(async () => {
  kodo = await startKodoFixture({ 'tierfs.gateway.kodo.user.AKbob': 'SKbobSecret' });
  await mkdir(join(kodo.root, 'other'));
});

afterAll(async () => {
  await kodo?.cleanup();
});

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const b64 = (text: string) => Buffer.from(text).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');

interface Json {
  status: number;
  body: Record<string, unknown>;
}

async function post(path: string, token: string, body: Buffer | string): Promise<Json> {
  const data = typeof body === 'string' ? Buffer.from(body) : body;
  const answer = await exchange(
    kodo.host,
    'POST',
    path,
    {
      Authorization: `UpToken ${token}`,
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(data.length),
    },
    data,
  );
  return { status: answer.status, body: JSON.parse(answer.body.toString('utf8') || '{}') };
}

const ctxOf = (answer: Json): string => {
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body.ctx as string;
};

async function listedKeys(bucket = BUCKET): Promise<string[]> {
  const listed = await answer(kodo.bucketManager.listPrefix(bucket, { prefix: '' }));
  return (listed.body.items as { key: string }[]).map((item) => item.key);
}

describe('resumable upload v1 with the SDK', () => {
  it('ResumeUploader v1: a 9 MiB + 5 stream in three blocks, with fname, mimeType, x:vars and metadata', async () => {
    const data = bytes(9 * MiB + 5, 21);
    const extra = new qiniu.resume_up.PutExtra(
      'nine.bin',
      { 'x:origin': 'v1-test' },
      'application/x-v1',
      undefined,
      undefined,
      undefined,
      undefined, // version: v1 by default
      { 'x-qn-meta-author': 'me' },
    );
    expect(extra.version).toBe('v1');
    const token = kodo.uploadToken(BUCKET, {
      returnBody:
        '{"key":"$(key)","hash":"$(etag)","fsize":$(fsize),"fname":"$(fname)","origin":"$(x:origin)"}',
    });
    const uploader = new qiniu.resume_up.ResumeUploader(kodo.config);
    const result = await answer(
      uploader.putStream(token, 'v1/nine.bin', Readable.from([data]), data.length, extra),
    );
    expect(result.status, JSON.stringify(result.data)).toBe(200);
    expect(result.body).toEqual({
      key: 'v1/nine.bin',
      hash: qetag(data),
      fsize: data.length,
      fname: 'nine.bin',
      origin: 'v1-test',
    });
    expect(sha256(await readFile(join(kodo.root, BUCKET, 'v1', 'nine.bin')))).toBe(sha256(data));
    const stat = await answer(kodo.bucketManager.stat(BUCKET, 'v1/nine.bin'));
    expect(stat.body).toMatchObject({ fsize: data.length, hash: qetag(data), mimeType: 'application/x-v1' });
    expect(stat.body['x-qn-meta']).toEqual({ author: 'me' });
  });

  it('ResumeUploader v1 putFile without a key names the object by its hash', async () => {
    const data = bytes(4 * MiB + 1, 22);
    const file = join(kodo.root, '..', 'unnamed.bin');
    await writeFile(file, data);
    const uploader = new qiniu.resume_up.ResumeUploader(kodo.config);
    const result = await answer(
      uploader.putFile(kodo.uploadToken(BUCKET), null, file, new qiniu.resume_up.PutExtra()),
    );
    expect(result.status, JSON.stringify(result.data)).toBe(200);
    expect(result.body).toEqual({ key: qetag(data), hash: qetag(data) });
  });
});

describe('resumable upload v1 on the wire', () => {
  it('mkblk then bput chunks: each answer carries the chunk CRC32 and the offset; mkfile assembles in order', async () => {
    const token = kodo.uploadToken(BUCKET);
    const block1 = bytes(4 * MiB, 31);
    const block2 = bytes(1000, 32);
    const first = await post(`/mkblk/${block1.length}`, token, block1.subarray(0, MiB));
    expect(first.body).toMatchObject({ offset: MiB, crc32: crc32(block1.subarray(0, MiB)) });
    expect(first.body.checksum).toBe(
      createHash('sha1')
        .update(block1.subarray(0, MiB))
        .digest('base64')
        .replace(/\+/g, '-')
        .replace(/\//g, '_'),
    );
    expect(first.body.expired_at).toBeGreaterThan(Date.now() / 1000);
    // A bput at another offset than the ctx's is 701, and changes nothing.
    const skipped = await post(`/bput/${ctxOf(first)}/${2 * MiB}`, token, block1.subarray(2 * MiB));
    expect(skipped.status).toBe(701);
    const second = await post(`/bput/${ctxOf(first)}/${MiB}`, token, block1.subarray(MiB, 3 * MiB));
    expect(second.body).toMatchObject({ offset: 3 * MiB, crc32: crc32(block1.subarray(MiB, 3 * MiB)) });
    const third = await post(`/bput/${ctxOf(second)}/${3 * MiB}`, token, block1.subarray(3 * MiB));
    expect(third.body.offset).toBe(4 * MiB);
    const tail = await post(`/mkblk/${block2.length}`, token, block2);
    const whole = Buffer.concat([block1, block2]);
    // Blocks out of order do not add up to a valid file (the 1000-byte block is not last).
    const swapped = await post(
      `/mkfile/${whole.length}/key/${b64('wire/a.bin')}`,
      token,
      `${ctxOf(tail)},${ctxOf(third)}`,
    );
    expect(swapped.status).toBe(400);
    // An incomplete block (the ctx of its first chunk) is refused.
    const partial = await post(
      `/mkfile/${whole.length}/key/${b64('wire/a.bin')}`,
      token,
      `${ctxOf(second)},${ctxOf(tail)}`,
    );
    expect(partial.status).toBe(400);
    const wrongSize = await post(
      `/mkfile/${whole.length + 1}/key/${b64('wire/a.bin')}`,
      token,
      `${ctxOf(third)},${ctxOf(tail)}`,
    );
    expect(wrongSize.status).toBe(400);
    expect(await listedKeys()).not.toContain('wire/a.bin');
    const made = await post(
      `/mkfile/${whole.length}/key/${b64('wire/a.bin')}/mimeType/${b64('text/x-wire')}`,
      token,
      `${ctxOf(third)},${ctxOf(tail)}`,
    );
    expect(made).toEqual({ status: 200, body: { hash: qetag(whole), key: 'wire/a.bin' } });
    expect(sha256(await readFile(join(kodo.root, BUCKET, 'wire', 'a.bin')))).toBe(sha256(whole));
    // The blocks are consumed: the same ctxs again are 701.
    const again = await post(
      `/mkfile/${whole.length}/key/${b64('wire/b.bin')}`,
      token,
      `${ctxOf(third)},${ctxOf(tail)}`,
    );
    expect(again.status).toBe(701);
  });

  it('a forged ctx, a ctx of another bucket or user, and a block over 4 MiB are refused', async () => {
    const token = kodo.uploadToken(BUCKET);
    const data = bytes(2000, 41);
    const ctx = ctxOf(await post(`/mkblk/${data.length}`, token, data));
    const [payload, signature] = ctx.split('.') as [string, string];
    const rewritten = (change: (fields: unknown[]) => void) => {
      const fields = JSON.parse(Buffer.from(payload, 'base64').toString()) as unknown[];
      change(fields);
      return `${b64(JSON.stringify(fields))}.${signature}`;
    };
    // Rebind the block to another bucket, to assemble it there with that bucket's token.
    const moved = rewritten((fields) => {
      fields[1] = 'other';
    });
    const movedFile = await post(
      `/mkfile/${data.length}/key/${b64('stolen.bin')}`,
      kodo.uploadToken('other'),
      moved,
    );
    expect(movedFile.status).toBe(701);
    expect(String(movedFile.body.error)).toContain('ctx');
    // Claim more bytes than were sent.
    const longer = rewritten((fields) => {
      fields[3] = 4000;
      fields[4] = 4000;
    });
    expect((await post(`/mkfile/4000/key/${b64('forged.bin')}`, token, longer)).status).toBe(701);
    // The genuine ctx with another bucket's token.
    const foreign = await post(
      `/mkfile/${data.length}/key/${b64('stolen.bin')}`,
      kodo.uploadToken('other'),
      ctx,
    );
    expect(foreign.status).toBe(701);
    // Another user of the gateway (same bucket): neither the genuine ctx nor one rewritten to name
    // that user is theirs to assemble.
    const bob = new qiniu.auth.digest.Mac('AKbob', 'SKbobSecret');
    const bobToken = kodo.uploadToken(BUCKET, {}, bob);
    const asBob = await post(`/mkfile/${data.length}/key/${b64('bobs.bin')}`, bobToken, ctx);
    expect(asBob.status).toBe(701);
    const renamed = rewritten((fields) => {
      fields[2] = 'AKbob';
    });
    expect((await post(`/mkfile/${data.length}/key/${b64('bobs.bin')}`, bobToken, renamed)).status).toBe(701);
    // An unknown user's token is no token at all.
    const mallory = new qiniu.auth.digest.Mac('AKmallory', 'SKmallory');
    const strangers = await post(
      `/mkfile/${data.length}/key/${b64('stolen.bin')}`,
      kodo.uploadToken(BUCKET, {}, mallory),
      ctx,
    );
    expect(strangers.status).toBe(401);
    expect(await listedKeys()).not.toContain('bobs.bin');
    expect(await listedKeys()).not.toContain('forged.bin');
    expect(await listedKeys('other')).not.toContain('stolen.bin');
    // Blocks are at most 4 MiB, and a chunk may not overrun its block.
    expect((await post(`/mkblk/${4 * MiB + 1}`, token, data)).status).toBe(400);
    expect((await post('/mkblk/1000', token, data)).status).toBe(400);
    // The block is still whole and assembles.
    const ok = await post(`/mkfile/${data.length}/key/${b64('kept.bin')}`, token, ctx);
    expect(ok).toEqual({ status: 200, body: { hash: qetag(data), key: 'kept.bin' } });
  });

  it('a chunk sent again with other bytes from an older ctx: mkfile with the newer ctx is 701 and writes nothing', async () => {
    const token = kodo.uploadToken(BUCKET);
    const [a, b, changed, c] = [bytes(1000, 71), bytes(1000, 72), bytes(1000, 73), bytes(1000, 74)];
    const first = ctxOf(await post('/mkblk/3000', token, a));
    const second = ctxOf(await post(`/bput/${first}/1000`, token, b));
    // A retry from the first ctx replaces chunk 2 (as a resent chunk must), but with other bytes.
    expect((await post(`/bput/${first}/1000`, token, changed)).status).toBe(200);
    const third = ctxOf(await post(`/bput/${second}/2000`, token, c));
    const made = await post(`/mkfile/3000/key/${b64('changed.bin')}`, token, third);
    expect(made.status).toBe(701);
    expect(String(made.body.error)).toContain('changed since its ctx was issued');
    expect(await listedKeys()).not.toContain('changed.bin');
    await expect(readFile(join(kodo.root, BUCKET, 'changed.bin'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('an abandoned upload leaves nothing visible; a key outside the token scope is 403', async () => {
    const token = kodo.uploadToken(`${BUCKET}:scoped.bin`);
    const data = bytes(3000, 51);
    const ctx = ctxOf(await post(`/mkblk/${data.length}`, token, data));
    const outside = await post(`/mkfile/${data.length}/key/${b64('elsewhere.bin')}`, token, ctx);
    expect(outside.status).toBe(403);
    expect(await listedKeys()).not.toContain('elsewhere.bin');
    expect(await listedKeys()).not.toContain('scoped.bin');
  });
});

describe('resumable upload v1 expiry', () => {
  it('staged blocks of an abandoned upload expire (701) and are swept at the next start', async () => {
    const short = await startKodoFixture({ 'tierfs.gateway.kodo.upload.expiry': '1s' });
    try {
      const token = short.uploadToken(BUCKET);
      const data = bytes(1500, 61);
      const { host } = short;
      const sent = await exchange(
        host,
        'POST',
        `/mkblk/${data.length}`,
        { Authorization: `UpToken ${token}`, 'Content-Length': String(data.length) },
        data,
      );
      expect(sent.status).toBe(200);
      const ctx = JSON.parse(sent.body.toString()).ctx as string;
      const uploads = await stagedUploadDirs(short);
      expect(uploads.length).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const late = await exchange(
        host,
        'POST',
        `/mkfile/${data.length}/key/${b64('late.bin')}`,
        { Authorization: `UpToken ${token}`, 'Content-Length': String(ctx.length) },
        Buffer.from(ctx),
      );
      expect(late.status).toBe(701);
      await short.restart();
      // The sweep runs as the gateway starts listening, in the background.
      for (let i = 0; i < 50 && (await stagedUploadDirs(short)).length > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(await stagedUploadDirs(short)).toEqual([]);
    } finally {
      await short.cleanup();
    }
  });
});

async function stagedUploadDirs(fixture: KodoFixture): Promise<string[]> {
  const state = join(fixture.root, '..', 'state');
  const [rootId] = await readdir(state);
  return (await readdir(join(state, rootId!, 'uploads')).catch(() => [])).filter((name) =>
    /^[0-9a-f]{32}$/.test(name),
  );
}
