/**
 * A `tierfs gateway` process killed (SIGKILL) in the middle of a PUT leaves the local store's
 * partial file behind; the next start sweeps it (tierfs.underfs.local.partial.clean.age), so the
 * bucket lists empty and can be deleted.
 */
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
import { type GatewayProcess, spawnS3Gateway } from './cli-gateway.js';
import { s3Client } from './harness.js';

let base: string;
const gateways: GatewayProcess[] = [];

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'tierfs-gw-sweep-'));
});
afterAll(async () => {
  for (const gateway of gateways) await gateway.stop();
  await rm(base, { recursive: true, force: true });
});

async function startGateway(): Promise<GatewayProcess> {
  const gateway = await spawnS3Gateway(base, 'alice', { 'tierfs.underfs.local.partial.clean.age': '1ms' });
  gateways.push(gateway);
  return gateway;
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
