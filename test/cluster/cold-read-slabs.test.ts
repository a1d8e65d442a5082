/**
 * A worker's cold reads of big S3 objects read the store's answers into 1 MiB slabs
 * (src/ufs/s3/s3-stream-get.ts) that are used again once the page is written to the cache and the
 * client's socket has taken the bytes (src/ufs/slab-pool.ts), instead of new memory for every MiB.
 * Used again too early, a slab would be overwritten under a page write or a socket write: two cold
 * reads at once must still give every byte right, and their pages must read back from the cache
 * as written (no GET to the store when read again, which a page failing its checksum would send).
 */
import { randomBytes } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TierfsClient } from '../../src/client/client.js';
import { readStream } from '../../src/ufs/io.js';
import { slabCounts } from '../../src/ufs/slab-pool.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import {
  type RunningS3rver,
  s3rverRootMount,
  s3rverSdk,
  startS3rver,
  TEST_BUCKET,
} from '../support/s3rver.js';

const MiB = 1024 * 1024;
const PREFIX = `slabs-${process.pid}`;
const files = { 'a.bin': randomBytes(24 * MiB + 12345), 'b.bin': randomBytes(20 * MiB) };

let server: RunningS3rver;
let proxy: FaultProxy;
let cluster: TestCluster;
let client: TierfsClient;

beforeAll(async () => {
  server = await startS3rver();
  proxy = await startFaultProxy(server.endpoint);
  const s3 = s3rverSdk(server.endpoint);
  for (const [name, data] of Object.entries(files)) {
    await s3.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: `${PREFIX}/${name}`, Body: data }));
  }
  s3.destroy();
  cluster = await startCluster({
    ...s3rverRootMount(proxy.endpoint, PREFIX),
    'tierfs.worker.page.store.sizes': '128MB',
  });
  // The bytes take the data port (GET /data), as a client on another host reads them.
  client = new TierfsClient({ masterAddress: cluster.master.rpcAddress, user: 'admin', shortCircuit: false });
});
afterAll(async () => {
  await cluster?.stop();
  await proxy?.close();
  await server?.close();
});

const gets = () => proxy.requests.filter((r) => r.method === 'GET' && r.headers.range !== undefined).length;

it('two cold reads at once reuse the slabs of their GETs, every byte right, every page cached as read', async () => {
  const read = async (name: keyof typeof files) =>
    (await readStream(await client.openFile(`/${name}`))).equals(files[name]);
  const sentBefore = gets();
  expect(await Promise.all([read('a.bin'), read('b.bin')])).toEqual([true, true]);
  expect(gets() - sentBefore).toBe(2);
  // Cold again: the slabs the first reads gave back serve the next GETs (how many the first ones
  // reused depends on how far the store ran ahead of the reader: the machine's load).
  await client.free('/a.bin');
  await client.free('/b.bin');
  const before = slabCounts();
  expect(await Promise.all([read('a.bin'), read('b.bin')])).toEqual([true, true]);
  expect(gets() - sentBefore).toBe(4);
  const after = slabCounts();
  // 45 MiB read into slabs; most of them memory a slab had before.
  expect(after.taken - before.taken).toBeGreaterThanOrEqual(44);
  expect(after.reused - before.reused, JSON.stringify({ before, after })).toBeGreaterThanOrEqual(
    (after.taken - before.taken) / 2,
  );
  // Read again: from the cache, every page as it was written (a page failing its checksum is read
  // from the store again).
  const sentCold = gets();
  expect(await Promise.all([read('a.bin'), read('b.bin')])).toEqual([true, true]);
  expect(gets()).toBe(sentCold);
});
