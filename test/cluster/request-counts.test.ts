/**
 * What reaches S3 per operation through the cluster: a master and a worker whose root mount is
 * s3rver, behind a proxy on loopback that records every request it forwards. Counts, not times:
 * a small write with CACHE_THROUGH or THROUGH sends at most 2 requests (the PUT and the HEAD that
 * learns its mtime), a cold small read of a file whose metadata tierfs holds sends 1 (the GET,
 * pinned to the version with If-Match: no HEAD first).
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TierfsClient } from '../../src/client/client.js';
import type { WriteType } from '../../src/cluster/wire.js';
import { readStream } from '../../src/ufs/io.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import {
  type RunningS3rver,
  rawKeys,
  S3RVER_KEY,
  startS3rver,
  TEST_BUCKET,
  TEST_UPLOADS_DIR,
} from '../support/s3rver.js';

let server: RunningS3rver;
let proxy: FaultProxy;
let cluster: TestCluster;
let client: TierfsClient;

beforeAll(async () => {
  server = await startS3rver();
  proxy = await startFaultProxy(server.endpoint);
  cluster = await startCluster({
    'tierfs.master.mount.table.root.ufs': `s3://${TEST_BUCKET}/counts/`,
    'tierfs.underfs.s3.endpoint': proxy.endpoint,
    'tierfs.underfs.s3.disable.dns.buckets': 'true',
    'tierfs.underfs.s3.inherit.acl': 'false',
    'aws.accessKeyId': S3RVER_KEY,
    'aws.secretKey': S3RVER_KEY,
    'tierfs.tmp.dirs': TEST_UPLOADS_DIR,
  });
  client = cluster.client();
  await client.mkdir('/dir');
});
afterAll(async () => {
  await cluster?.stop();
  await proxy?.close();
  await server?.close();
});

/** The requests `run` sent to S3, as `METHOD path` (the SDK's `?x-id=` query left out). */
async function requestsOf(run: () => Promise<unknown>): Promise<string[]> {
  const from = proxy.requests.length;
  await run();
  return proxy.requests.slice(from).map((r) => `${r.method} ${r.path.replace(/\?x-id=\w+$/, '')}`);
}

async function write(path: string, data: Buffer, writeType: WriteType): Promise<void> {
  await pipeline(Readable.from([data]), await client.createFile(path, { writeType, overwrite: true }));
}

describe('requests per operation on an S3 mount', () => {
  const data = randomBytes(4096);

  it.each(['CACHE_THROUGH', 'THROUGH'] as WriteType[])(
    'a small %s write sends at most 2 requests: the PUT and one HEAD',
    async (writeType) => {
      const path = `/dir/${writeType}.bin`;
      const sent = await requestsOf(() => write(path, data, writeType));
      expect(sent).toEqual([
        `PUT /${TEST_BUCKET}/counts/dir/${writeType}.bin`,
        `HEAD /${TEST_BUCKET}/counts/dir/${writeType}.bin`,
      ]);
      // An overwrite of the file is the same two.
      expect(await requestsOf(() => write(path, data, writeType))).toHaveLength(2);
      expect(await rawKeys(server, 'counts/dir/')).toContain(`${writeType}.bin`);
    },
  );

  it('a cold small read of a file tierfs knows sends 1 request: the GET, pinned with If-Match', async () => {
    await write('/dir/cold.bin', data, 'THROUGH');
    const seen = proxy.requests.length;
    const sent = await requestsOf(async () =>
      expect(
        (await readStream(await client.openFile('/dir/cold.bin', { readType: 'NO_CACHE' }))).equals(data),
      ).toBe(true),
    );
    expect(sent).toEqual([`GET /${TEST_BUCKET}/counts/dir/cold.bin`]);
    expect(proxy.requests[seen]!.headers['if-match']).toMatch(/^"[0-9a-f]{32}"$/);
  });
});
