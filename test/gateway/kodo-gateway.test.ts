/**
 * The Kodo gateway beyond the SDK's happy paths: region query, QBox auth, Host-routed downloads,
 * the resumable-upload calls one by one, interrupted and corrupted uploads, hash-named uploads,
 * and the `tierfs gateway` command.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import qiniu from 'qiniu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qetag } from '../../src/gateway/kodo/qetag.js';
import { toUrlSafeBase64 } from '../../src/gateway/kodo/url-safe-base64.js';
import { runTierfs, TIERFS_BIN } from '../support/cli.js';
import {
  ACCESS_KEY,
  answer,
  BUCKET,
  bytes,
  type KodoFixture,
  exchange as rawExchange,
  SECRET_KEY,
  startKodoFixture,
} from './kodo-support.js';

const MiB = 1024 * 1024;
let kodo: KodoFixture;

beforeAll(async () => {
  kodo = await startKodoFixture({ 'tierfs.gateway.kodo.domains': 'cdn.photos.test=photos' });
});

afterAll(async () => {
  await kodo?.cleanup();
});

const exchange = (method: string, path: string, headers: Record<string, string>, body?: Buffer) =>
  rawExchange(kodo.host, method, path, headers, body);

function multipart(fields: [string, string][], file: Buffer, boundary = 'tierfsBoundary'): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of fields.slice(0, 2)) {
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
    );
  }
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    ),
    file,
    Buffer.from('\r\n'),
  );
  for (const [name, value] of fields.slice(2)) {
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(parts);
}

/** Everything under the bucket directory, temp files included. */
async function bucketEntries(): Promise<string[]> {
  return (await readdir(join(kodo.root, BUCKET), { recursive: true })).map(String).sort();
}

describe('hosts and auth', () => {
  it('answers the uc region query, so an SDK with no zone configured finds the gateway', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'tierfs-kodo-regions-'));
    try {
      const config = new qiniu.conf.Config({
        useHttpsDomain: false,
        queryRegionsEndpointsProvider: new qiniu.httpc.StaticEndpointsProvider([
          new qiniu.httpc.Endpoint(kodo.host, { defaultScheme: 'http' }),
        ]),
      });
      config.regionsQueryResultCachePath = join(cacheDir, 'regions.jsonl');
      const token = kodo.uploadToken(BUCKET);
      const put = await answer(
        new qiniu.form_up.FormUploader(config).put(token, 'via-uc.txt', Buffer.from('uc'), null),
      );
      expect(put.status).toBe(200);
      const stat = await answer(new qiniu.rs.BucketManager(kodo.mac, config).stat(BUCKET, 'via-uc.txt'));
      expect(stat.body).toMatchObject({ fsize: 2, hash: qetag(Buffer.from('uc')) });
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  });

  it('accepts QBox (v1) management authorization', async () => {
    const path = `/stat/${toUrlSafeBase64(`${BUCKET}:via-uc.txt`)}`;
    const authorization = qiniu.util.generateAccessToken(kodo.mac, `http://${kodo.host}${path}`);
    const ok = await exchange('POST', path, { Authorization: authorization });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body.toString())).toMatchObject({ fsize: 2 });
    const wrong = new qiniu.auth.digest.Mac(ACCESS_KEY, 'wrong');
    const bad = await exchange('POST', path, {
      Authorization: qiniu.util.generateAccessToken(wrong, `http://${kodo.host}${path}`),
    });
    expect(bad.status).toBe(401);
    const none = await exchange('POST', path, {});
    expect(none.status).toBe(401);
  });

  it('routes downloads by Host to the bucket bound to a domain (as Alluxio reads)', async () => {
    const data = bytes(50_000, 3);
    await new qiniu.form_up.FormUploader(kodo.config).put(
      kodo.uploadToken(BUCKET),
      'by-host.bin',
      data,
      null,
    );
    const signed = new URL(
      kodo.bucketManager.privateDownloadUrl(
        'http://cdn.photos.test',
        'by-host.bin',
        Math.floor(Date.now() / 1000) + 60,
      ),
    );
    const result = await exchange('GET', `${signed.pathname}${signed.search}`, {
      Host: 'cdn.photos.test',
      Range: 'bytes=0-99',
    });
    expect(result.status).toBe(206);
    expect(result.body.equals(data.subarray(0, 100))).toBe(true);
  });

  it('a ranged download carries ETag "<hash>" of the bytes it sends, also after a same-size replacement', async () => {
    // Kodo downloads take no If-Match: the Kodo driver pins a read by comparing this ETag.
    const uploader = new qiniu.form_up.FormUploader(kodo.config);
    const get = async () => {
      const signed = new URL(
        kodo.bucketManager.privateDownloadUrl(
          'http://cdn.photos.test',
          'swap.bin',
          Math.floor(Date.now() / 1000) + 60,
        ),
      );
      return exchange('GET', `${signed.pathname}${signed.search}`, {
        Host: 'cdn.photos.test',
        Range: 'bytes=100-199',
      });
    };
    const first = bytes(20_000, 7);
    const second = bytes(20_000, 8);
    await uploader.put(kodo.uploadToken(`${BUCKET}:swap.bin`), 'swap.bin', first, null);
    const before = await get();
    expect(before.status).toBe(206);
    expect(before.headers.etag).toBe(`"${qetag(first)}"`);
    expect(before.body.equals(first.subarray(100, 200))).toBe(true);
    await uploader.put(kodo.uploadToken(`${BUCKET}:swap.bin`), 'swap.bin', second, null);
    const after = await get();
    expect(after.status).toBe(206);
    expect(after.headers.etag).toBe(`"${qetag(second)}"`);
    expect(after.body.equals(second.subarray(100, 200))).toBe(true);
  });

  it('names an upload without a key by its hash', async () => {
    const data = Buffer.from('nameless');
    const result = await answer(
      new qiniu.form_up.FormUploader(kodo.config).put(kodo.uploadToken(BUCKET), null, data, null),
    );
    expect(result.body).toEqual({ hash: qetag(data), key: qetag(data) });
    expect((await readFile(join(kodo.root, BUCKET, qetag(data)))).toString()).toBe('nameless');
  });
});

describe('resumable upload v2, call by call', () => {
  const key = 'manual/parts.bin';
  const base = `/buckets/${BUCKET}/objects/${toUrlSafeBase64(key)}/uploads`;
  const auth = () => ({ Authorization: `UpToken ${kodo.uploadToken(BUCKET)}` });

  it('lists staged parts, aborts, and answers 612 for a gone upload; nothing becomes visible', async () => {
    const init = await exchange('POST', base, { ...auth(), 'Content-Type': 'application/json' });
    expect(init.status).toBe(200);
    const { uploadId } = JSON.parse(init.body.toString()) as { uploadId: string };
    const part = bytes(MiB, 5);
    const put = await exchange(
      'PUT',
      `${base}/${uploadId}/1`,
      { ...auth(), 'Content-Type': 'application/octet-stream' },
      part,
    );
    expect(put.status).toBe(200);
    const listed = await exchange('GET', `${base}/${uploadId}`, auth());
    expect(JSON.parse(listed.body.toString())).toMatchObject({
      uploadId,
      parts: [{ partNumber: 1, size: MiB }],
    });
    await expect(readFile(join(kodo.root, BUCKET, 'manual', 'parts.bin'))).rejects.toThrow();
    expect((await exchange('DELETE', `${base}/${uploadId}`, auth())).status).toBe(200);
    const gone = await exchange('PUT', `${base}/${uploadId}/2`, auth(), part);
    expect(gone.status).toBe(612);
    expect(JSON.parse(gone.body.toString())).toEqual({ error: 'no such file or directory' });
  });

  it('refuses a part whose Content-MD5 differs, and parts listed out of order at Complete', async () => {
    const init = await exchange('POST', base, auth());
    const { uploadId } = JSON.parse(init.body.toString()) as { uploadId: string };
    const bad = await exchange(
      'PUT',
      `${base}/${uploadId}/1`,
      { ...auth(), 'Content-MD5': '0'.repeat(32) },
      Buffer.from('x'),
    );
    expect(bad.status).toBe(400);
    const one = JSON.parse(
      (await exchange('PUT', `${base}/${uploadId}/1`, auth(), bytes(MiB, 1))).body.toString(),
    ) as { etag: string };
    const two = JSON.parse(
      (await exchange('PUT', `${base}/${uploadId}/2`, auth(), Buffer.from('end'))).body.toString(),
    ) as { etag: string };
    const parts = [
      { partNumber: 2, etag: two.etag },
      { partNumber: 1, etag: one.etag },
    ];
    const unordered = await exchange(
      'POST',
      `${base}/${uploadId}`,
      auth(),
      Buffer.from(JSON.stringify({ parts })),
    );
    expect(unordered.status).toBe(400);
    const done = await exchange(
      'POST',
      `${base}/${uploadId}`,
      auth(),
      Buffer.from(JSON.stringify({ parts: parts.reverse() })),
    );
    expect(done.status).toBe(200);
    const whole = Buffer.concat([bytes(MiB, 1), Buffer.from('end')]);
    expect(JSON.parse(done.body.toString())).toEqual({ hash: qetag(whole), key });
  });
});

describe('atomic visibility', () => {
  it('a form upload whose crc32 does not match is 406 and leaves nothing', async () => {
    const before = await bucketEntries();
    const body = multipart(
      [
        ['token', kodo.uploadToken(BUCKET)],
        ['key', 'crc/bad.bin'],
        ['crc32', '12345'],
      ],
      bytes(200_000, 9),
    );
    const result = await exchange(
      'POST',
      '/',
      { 'Content-Type': 'multipart/form-data; boundary=tierfsBoundary' },
      body,
    );
    expect(result.status).toBe(406);
    expect(await bucketEntries()).toEqual(before);
  });

  it('an upload cut off mid-body leaves no file and no temp file behind', async () => {
    const before = await bucketEntries();
    const body = multipart(
      [
        ['token', kodo.uploadToken(BUCKET)],
        ['key', 'cut/off.bin'],
      ],
      bytes(2 * MiB, 4),
    );
    const [hostname, port] = kodo.host.split(':') as [string, string];
    const req = request({
      hostname,
      port: Number(port),
      method: 'POST',
      path: '/',
      headers: {
        'Content-Type': 'multipart/form-data; boundary=tierfsBoundary',
        'Content-Length': body.length,
      },
    });
    req.on('error', () => undefined);
    req.write(body.subarray(0, MiB));
    await new Promise((resolve) => setTimeout(resolve, 200));
    req.destroy();
    let after: string[] = [];
    for (let i = 0; i < 50; i++) {
      after = await bucketEntries();
      if (after.join() === before.join()) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(after).toEqual(before);
  });
});

describe('tierfs gateway', () => {
  it('rejects an unknown protocol, listing the supported ones', async () => {
    const result = await runTierfs(['gateway', '--protocol', 'ftp', '--root', tmpdir(), '--port', '0']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("unsupported gateway protocol 'ftp'; supported: kodo, oss, s3");
  });

  it('a taken port is one line naming what to change: --port, or the property that set it', async () => {
    const squatter = createServer();
    squatter.listen(0, '127.0.0.1');
    await once(squatter, 'listening');
    const port = (squatter.address() as AddressInfo).port;
    const root = await mkdtemp(join(tmpdir(), 'tierfs-gateway-port-'));
    try {
      const state = `-Dtierfs.proxy.s3.state.dir=${join(root, 'state')}`;
      const flag = await runTierfs([
        state,
        'gateway',
        '--protocol',
        's3',
        '--root',
        root,
        '--port',
        String(port),
      ]);
      expect({ code: flag.code, stderr: flag.stderr }).toEqual({
        code: 1,
        stderr: `tierfs: cannot listen on 127.0.0.1:${port}: the port is in use by another process; choose another --port\n`,
      });
      const property = await runTierfs([
        `-Dtierfs.gateway.oss.state.dir=${join(root, 'state')}`,
        `-Dtierfs.gateway.oss.port=${port}`,
        'gateway',
        '--protocol',
        'oss',
        '--root',
        root,
      ]);
      expect(property.stderr).toBe(
        `tierfs: cannot listen on 127.0.0.1:${port}: the port is in use by another process; set tierfs.gateway.oss.port to a free port\n`,
      );
    } finally {
      squatter.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('serves a directory over Kodo and never prints the secret key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tierfs-kodo-cli-'));
    await mkdir(join(dir, 'root', 'cli-bucket'), { recursive: true });
    let child: ChildProcess | undefined;
    try {
      child = spawn(
        process.execPath,
        [
          TIERFS_BIN,
          `-Dtierfs.gateway.kodo.user.${ACCESS_KEY}=${SECRET_KEY}`,
          `-Dtierfs.gateway.kodo.state.dir=${join(dir, 'state')}`,
          'gateway',
          '--protocol',
          'kodo',
          '--root',
          join(dir, 'root'),
          '--port',
          '0',
          '--host',
          '127.0.0.1',
        ],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' },
        },
      );
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      for (let i = 0; i < 100 && !/http:\/\/127\.0\.0\.1:\d+/.test(output); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const host = /http:\/\/(127\.0\.0\.1:\d+)/.exec(output)?.[1];
      expect(host, output).toBeDefined();
      const config = new qiniu.conf.Config({
        zone: new qiniu.conf.Zone([host], [host], host, host, host, host),
      });
      const token = new qiniu.rs.PutPolicy({ scope: 'cli-bucket' }).uploadToken(kodo.mac);
      const put = await answer(
        new qiniu.form_up.FormUploader(config).put(token, 'a/b.txt', Buffer.from('cli'), null),
      );
      expect(put.status).toBe(200);
      expect((await readFile(join(dir, 'root', 'cli-bucket', 'a', 'b.txt'))).toString()).toBe('cli');
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
      expect(output).not.toContain(SECRET_KEY);
    } finally {
      if (child && child.exitCode === null) child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
