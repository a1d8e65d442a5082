/**
 * A `tierfs gateway` process killed (SIGKILL) in the middle of a PUT leaves the local store's
 * partial file behind; the next start sweeps it (tierfs.underfs.local.partial.clean.age), so the
 * bucket lists empty and can be deleted.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_KEY, SECRET_KEY, s3Client } from './harness.js';

const BIN = join(import.meta.dirname, '../../bin/tierfs.js');
let base: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'tierfs-gw-sweep-'));
});
afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  }
  await rm(base, { recursive: true, force: true });
});

async function startGateway(): Promise<{ child: ChildProcess; endpoint: string; port: number }> {
  const child = spawn(
    process.execPath,
    [
      BIN,
      `-Dtierfs.proxy.s3.users=${ACCESS_KEY}:${SECRET_KEY}:alice`,
      `-Dtierfs.proxy.s3.state.dir=${join(base, 'state')}`,
      '-Dtierfs.underfs.local.partial.clean.age=1ms',
      'gateway',
      '--protocol',
      's3',
      '--root',
      join(base, 'root'),
      '--port',
      '0',
      '--host',
      '127.0.0.1',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TIERFS_CONF_DIR: join(base, 'conf') } },
  );
  children.push(child);
  let out = '';
  child.stdout!.setEncoding('utf8');
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (text: string) => {
      out += text;
      const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`tierfs gateway exited with ${code}: ${out}`)));
  });
  return { child, endpoint, port: Number(new URL(endpoint).port) };
}

const partials = async (dir: string) =>
  (await readdir(dir)).filter((name) => name.startsWith('.tierfs-partial.'));

describe('leftovers of writes interrupted by kill -9', () => {
  it('are swept when the gateway starts again: the bucket lists empty and deletes', async () => {
    const first = await startGateway();
    const client = (endpoint: string): S3Client => s3Client({ endpoint });
    const s3 = client(first.endpoint);
    await s3.send(new CreateBucketCommand({ Bucket: 'sweep' }));

    // A PUT that sends part of its declared body and stalls, so the write is in flight.
    const url = new URL(await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'sweep', Key: 'big' })));
    const put = request({
      host: '127.0.0.1',
      port: first.port,
      method: 'PUT',
      path: `${url.pathname}${url.search}`,
      headers: { 'content-length': 10 * 1024 * 1024 },
    });
    put.on('error', () => undefined);
    put.write(Buffer.alloc(256 * 1024, 1));
    const bucketDir = join(base, 'root', 'sweep');
    for (let i = 0; i < 200 && (await partials(bucketDir)).length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(await partials(bucketDir)).toHaveLength(1);
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    put.destroy();
    expect(await partials(bucketDir)).toHaveLength(1);

    const second = await startGateway();
    const again = client(second.endpoint);
    expect(await partials(bucketDir)).toEqual([]);
    const listed = await again.send(new ListObjectsV2Command({ Bucket: 'sweep' }));
    expect(listed.KeyCount).toBe(0);
    await again.send(new DeleteBucketCommand({ Bucket: 'sweep' }));
  });
});
