/**
 * What reaches S3 per operation through the cluster: a master and a worker whose root mount is
 * s3rver, behind a proxy on loopback that records every request it forwards. Counts, not times:
 * a small write with CACHE_THROUGH or THROUGH sends 2 requests on its path (the PUT of a temporary
 * object, the CopyObject over the file whose answer gives the version); the temporary objects are
 * deleted later, together: N writes cost 2N requests and ceil(N/1000) DeleteObjects. With
 * tierfs.underfs.object.store.write.commit.copy off a small write is 2 too (the PUT and the HEAD
 * that learns its mtime). A cold small read of a file whose metadata tierfs holds sends 1 (the GET,
 * pinned to the version with If-Match: no HEAD first; signed by the worker itself, without the SDK). A large THROUGH write goes up as an
 * in-memory multipart upload (5 MiB parts here) to the file's own key, whose parts leave while the
 * client still sends, and which the master completes: no copy.
 * Small reads a client starts together (a directory read by many lanes) reach the worker as one
 * batch request, and S3 as one pinned GET per file.
 */
import { randomBytes } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ListedFile, TierfsClient } from '../../src/client/client.js';
import type { WriteType } from '../../src/cluster/wire.js';
import { readStream } from '../../src/ufs/io.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import {
  pendingUploads,
  type RunningS3rver,
  rawKeys,
  s3rverRootMount,
  s3rverSdk,
  startS3rver,
  TEST_BUCKET,
} from '../support/s3rver.js';

let server: RunningS3rver;
let proxy: FaultProxy;
let cluster: TestCluster;
let client: TierfsClient;
/** A second cluster on the same s3rver, whose writes go straight to the file's key (commit.copy off). */
let straightCluster: TestCluster;

/** A cluster whose root mount is `prefix` of the test bucket on s3rver, reached through the proxy. */
const s3Cluster = (prefix: string, settings: Record<string, string>) =>
  startCluster({
    ...s3rverRootMount(proxy.endpoint, `${prefix}`),
    ...settings,
  });

beforeAll(async () => {
  server = await startS3rver();
  proxy = await startFaultProxy(server.endpoint);
  cluster = await s3Cluster('counts', {
    'tierfs.underfs.s3.multipart.upload.partition.size': '5MB',
    'tierfs.underfs.s3.multipart.upload.threads': '2',
    // The temporary objects of committed writes are deleted in batches: not within these tests.
    'tierfs.underfs.object.store.write.commit.delete.interval': '1h',
  });
  client = cluster.client();
  await client.mkdir('/dir');
  straightCluster = await s3Cluster('straight', { 'tierfs.underfs.object.store.write.commit.copy': 'false' });
  await straightCluster.client().mkdir('/dir');
});
afterAll(async () => {
  await straightCluster?.stop();
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

async function write(path: string, data: Buffer, writeType: WriteType, to = client): Promise<void> {
  await pipeline(Readable.from([data]), await to.createFile(path, { writeType, overwrite: true }));
}

describe('requests per operation on an S3 mount (writes commit by copy, the default)', () => {
  const data = randomBytes(4096);

  it.each(['CACHE_THROUGH', 'THROUGH'] as WriteType[])(
    'a small %s write sends 2 requests: the PUT of the temporary object and the copy over the file',
    async (writeType) => {
      const path = `/dir/${writeType}.bin`;
      const temporary = new RegExp(`^/${TEST_BUCKET}/counts/dir/\\.tierfs-write\\.[0-9a-f-]{36}$`);
      for (const round of ['new file', 'overwrite']) {
        const from = proxy.requests.length;
        await write(path, data, writeType);
        const sent = proxy.requests.slice(from);
        const paths = sent.map((r) => r.path.replace(/\?x-id=\w+$/, ''));
        expect(
          sent.map((r, i) => `${r.method} ${paths[i]}`),
          round,
        ).toEqual([expect.stringMatching(/^PUT /), `PUT /${TEST_BUCKET}/counts/dir/${writeType}.bin`]);
        expect(paths[0]).toMatch(temporary);
        expect(sent[1]!.headers['x-amz-copy-source']).toBe(paths[0]!.slice(1));
      }
      const keys = await rawKeys(server, 'counts/dir/');
      expect(keys).toContain(`${writeType}.bin`);
      expect((await readStream(await client.openFile(path, { readType: 'NO_CACHE' }))).equals(data)).toBe(
        true,
      );
    },
  );

  it('N small writes send 2N requests, and their temporary objects go in ceil(N/1000) DeleteObjects', async () => {
    // A mount of its own, so that unmounting it closes its store: what closing does to the queued deletes.
    const n = 5;
    await client.mount('/batched', `s3://${TEST_BUCKET}/batched/`, {
      options: { 'tierfs.underfs.object.store.write.commit.delete.interval': '1h' },
    });
    await client.listStatus('/batched'); // The master now knows the directory is empty: no lookup per new file.
    const from = proxy.requests.length;
    for (let i = 0; i < n; i++) await write(`/batched/f${i}.bin`, data, 'CACHE_THROUGH');
    const writes = proxy.requests.slice(from);
    expect(writes).toHaveLength(2 * n);
    expect(writes.filter((r) => r.headers['x-amz-copy-source'] !== undefined)).toHaveLength(n);
    const temporaries = (await rawKeys(server, 'batched/')).filter((key) => key.includes('.tierfs-write.'));
    expect(temporaries).toHaveLength(n); // seen in the bucket until the batch goes
    const before = proxy.requests.length;
    await client.unmount('/batched');
    expect(
      proxy.requests.slice(before).map((r) => `${r.method} ${r.path.replace(/\?x-id=\w+$/, '')}`),
    ).toEqual([`POST /${TEST_BUCKET}/?delete=`]);
    const keys = await rawKeys(server, 'batched/');
    expect(keys.filter((key) => key.includes('.tierfs-write.'))).toEqual([]);
    expect(keys.sort()).toEqual(Array.from({ length: n }, (_, i) => `f${i}.bin`).sort());
  });

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
    // Signed and sent by the worker itself (ufs/s3/s3-small-get.ts), not through the SDK's stack.
    expect(proxy.requests[seen]!.headers['user-agent']).toMatch(/^tierfs\/\S+ small-get$/);
  });

  it('a cold big read is one GET /data at the worker (after its short-circuit ask) and one pinned GET at S3', async () => {
    const big = randomBytes(9 * 1024 * 1024);
    await write('/dir/cold-big.bin', big, 'THROUGH');
    const seen = proxy.requests.length;
    let body: Buffer = Buffer.alloc(0);
    const toWorker = await workerRequestsOf(async () => {
      body = await readStream(await client.openFile('/dir/cold-big.bin'));
    }, true);
    expect(body.equals(big)).toBe(true);
    // The worker is on this host: it is asked for page files first (none cached), then read from,
    // both on node:http (a cold read loads no HTTP client library: cold-cat-modules.test.ts).
    expect(toWorker).toEqual(['POST /data/short-circuit on node:http', 'GET /data on node:http']);
    const toS3 = proxy.requests.slice(seen);
    expect(toS3.map((r) => `${r.method} ${r.path.replace(/\?x-id=\w+$/, '')}`)).toEqual([
      `GET /${TEST_BUCKET}/counts/dir/cold-big.bin`,
    ]);
    expect(toS3[0]!.headers['if-match']).toMatch(/^"[0-9a-f]{32}"$/);
    // Read by the worker into slabs (ufs/s3/s3-stream-get.ts), not through the SDK's stack.
    expect(toS3[0]!.headers['user-agent']).toMatch(/^tierfs\/\S+ stream-get$/);
  });

  it('a cold listing of a directory only S3 has sends its first page and the HEAD of its path, no lookup of its own (the page stands for it); its marker is written behind the answer', async () => {
    const s3 = s3rverSdk(server.endpoint);
    const names = ['a.bin', 'b.bin', 'c.bin'];
    try {
      for (const name of names)
        await s3.send(
          new PutObjectCommand({ Bucket: TEST_BUCKET, Key: `counts/cold-list/${name}`, Body: name }),
        );
    } finally {
      s3.destroy();
    }
    // The directory has no marker: the listing leaves one (a breadcrumb, the PUT of `cold-list/`),
    // written behind the answer. Held at the proxy here: the listing is answered all the same.
    const marker = `/${TEST_BUCKET}/counts/cold-list/`;
    const isMarkerPut = (r: { method: string; path: string }) =>
      r.method === 'PUT' && r.path.replace(/\?x-id=\w+$/, '') === marker;
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    proxy.rules.push({ match: isMarkerPut, fault: 'hold', release: released });
    const from = proxy.requests.length;
    let listed: string[] = [];
    let sent: string[];
    try {
      sent = await requestsOf(async () => {
        listed = (await client.listStatus('/cold-list')).entries.map((e) => e.path);
      });
    } finally {
      release();
    }
    expect(listed).toEqual(names.map((name) => `/cold-list/${name}`));
    // Answered before the PUT was: at most the PUT's arrival at the proxy was seen, not its answer.
    expect(proxy.requests.slice(from).filter((r) => isMarkerPut(r) && r.ended !== undefined)).toEqual([]);
    expect(sent.filter((r) => !r.startsWith('PUT ')).sort()).toEqual([
      `GET /${TEST_BUCKET}/?delimiter=%2F&list-type=2&max-keys=1000&prefix=counts%2Fcold-list%2F`,
      `HEAD /${TEST_BUCKET}/counts/cold-list`,
    ]);
    await eventually(
      () => proxy.requests.slice(from).some((r) => isMarkerPut(r) && r.status === 200),
      'the breadcrumb PUT',
    );
    // Three requests in all, the PUT once.
    expect(
      proxy.requests
        .slice(from)
        .map((r) => `${r.method} ${r.path.replace(/\?x-id=\w+$/, '')}`)
        .sort(),
    ).toEqual([
      `GET /${TEST_BUCKET}/?delimiter=%2F&list-type=2&max-keys=1000&prefix=counts%2Fcold-list%2F`,
      `HEAD /${TEST_BUCKET}/counts/cold-list`,
      `PUT ${marker}`,
    ]);
  });

  it('a large THROUGH write sends its parts while the client is still writing', async () => {
    const big = randomBytes(12 * 1024 * 1024);
    const from = proxy.requests.length;
    const isPart = (r: (typeof proxy.requests)[number]) => r.method === 'PUT' && r.query.has('partNumber');
    const partsDone = () =>
      proxy.requests.slice(from).filter((r) => isPart(r) && r.ended !== undefined).length;
    const out = await client.createFile('/dir/big.bin', { writeType: 'THROUGH', overwrite: true });
    const finished = new Promise<void>((resolve, reject) => {
      out.once('finish', resolve);
      out.once('error', reject);
    });
    try {
      out.write(big.subarray(0, 11 * 1024 * 1024));
      // Two full parts are in the worker's hands: they reach S3 before the client ends the file.
      await eventually(() => partsDone() >= 1, 'a part to reach S3 before the client ends the write');
      out.end(big.subarray(11 * 1024 * 1024));
      await finished;
    } catch (error) {
      // A write left open would keep the cluster from stopping after this failure.
      finished.catch(() => undefined);
      out.destroy();
      throw error;
    }
    const sent = proxy.requests.slice(from);
    // The parts go to the file's own key; the master's CompleteMultipartUpload is the commit: no
    // copy, no temporary object, nothing to delete.
    expect(sent.filter(isPart)).toHaveLength(3);
    for (const part of sent.filter(isPart))
      expect(part.path).toMatch(new RegExp(`^/${TEST_BUCKET}/counts/dir/big\\.bin\\?`));
    expect(sent.filter((r) => r.headers['x-amz-copy-source'] !== undefined)).toEqual([]);
    expect(sent.filter((r) => r.method === 'PUT' && !r.query.has('partNumber'))).toEqual([]);
    expect(sent.filter((r) => r.method === 'DELETE' || r.query.has('delete'))).toEqual([]);
    expect(sent.filter((r) => r.method === 'POST' && r.query.has('uploads'))).toHaveLength(1);
    expect(sent.filter((r) => r.method === 'POST' && r.query.has('uploadId'))).toHaveLength(1);
    expect(
      (await readStream(await client.openFile('/dir/big.bin', { readType: 'NO_CACHE' }))).equals(big),
    ).toBe(true);
  });

  it('a large write the client abandons mid-way leaves no object and no pending upload', async () => {
    const from = proxy.requests.length;
    const partsDone = () =>
      proxy.requests
        .slice(from)
        .filter((r) => r.method === 'PUT' && r.query.has('partNumber') && r.ended !== undefined).length;
    const out = await client.createFile('/dir/abandoned.bin', { writeType: 'THROUGH', overwrite: true });
    out.on('error', () => undefined);
    out.write(randomBytes(11 * 1024 * 1024));
    try {
      await eventually(() => partsDone() >= 1, 'a part to reach S3 before the client gives up');
    } finally {
      out.destroy(new Error('client gone'));
    }
    await eventually(async () => (await pendingUploads(server)).length === 0, 'the upload to be aborted');
    expect(await rawKeys(server, 'counts/dir/')).not.toContain('abandoned.bin');
    expect(await client.exists('/dir/abandoned.bin')).toBe(false);
  });
});

describe('requests of persisting an ASYNC_THROUGH file on an S3 mount', () => {
  /** The requests sent to S3 from the write of `data` until the master marked it persisted. */
  async function persistRequests(path: string, data: Buffer): Promise<typeof proxy.requests> {
    const from = proxy.requests.length;
    await write(path, data, 'ASYNC_THROUGH');
    await eventually(
      async () => (await client.getStatus(path)).persistence === 'PERSISTED',
      `${path} to be persisted`,
    );
    return proxy.requests.slice(from);
  }
  const pathOf = (r: (typeof proxy.requests)[number]) => r.path.replace(/\?x-id=\w+$/, '');

  it('a small file costs 2 requests: the PUT of the temporary object and the copy over the file', async () => {
    const data = randomBytes(4096);
    for (const round of ['new file', 'overwrite']) {
      const sent = await persistRequests('/dir/persisted-small.bin', data);
      expect(
        sent.map((r) => `${r.method} ${pathOf(r)}`),
        round,
      ).toEqual([
        expect.stringMatching(
          new RegExp(`^PUT /${TEST_BUCKET}/counts/dir/\\.tierfs-persist\\.[0-9a-f-]{36}$`),
        ),
        `PUT /${TEST_BUCKET}/counts/dir/persisted-small.bin`,
      ]);
      expect(sent[1]!.headers['x-amz-copy-source']).toBe(pathOf(sent[0]!).slice(1));
    }
    expect(
      (await readStream(await client.openFile('/dir/persisted-small.bin', { readType: 'NO_CACHE' }))).equals(
        data,
      ),
    ).toBe(true);
  });

  it("a file that needs parts goes up as a multipart upload at the file's key, completed by the master: no temporary object, no copy, no delete", async () => {
    const big = randomBytes(12 * 1024 * 1024);
    // Temporary objects of the small persists above wait for their batched delete (1 h here).
    const temporaries = async () =>
      (await rawKeys(server, 'counts/dir/')).filter((k) => k.includes('.tierfs-persist.')).sort();
    const before = await temporaries();
    const sent = await persistRequests('/dir/persisted-big.bin', big);
    const key = `/${TEST_BUCKET}/counts/dir/persisted-big.bin`;
    expect(sent.map((r) => `${r.method} ${pathOf(r).split('?')[0]}`)).toEqual([
      `POST ${key}`, // CreateMultipartUpload
      `PUT ${key}`,
      `PUT ${key}`,
      `PUT ${key}`,
      `POST ${key}`, // CompleteMultipartUpload: the commit
      `HEAD ${key}`, // the new version's mtime
    ]);
    expect(sent[0]!.query.has('uploads')).toBe(true);
    expect(sent.slice(1, 4).every((r) => r.query.has('partNumber'))).toBe(true);
    expect(sent[4]!.query.has('uploadId')).toBe(true);
    expect(sent.filter((r) => r.headers['x-amz-copy-source'] !== undefined)).toEqual([]);
    expect(await temporaries()).toEqual(before);
    expect(await pendingUploads(server)).toEqual([]);
    expect(
      (await readStream(await client.openFile('/dir/persisted-big.bin', { readType: 'NO_CACHE' }))).equals(
        big,
      ),
    ).toBe(true);
  });
});

/**
 * The requests `run` sent to the worker's data port from this process, on undici (the batch) and
 * on node:http (`GET /data`, the short-circuit calls): each client library's own record of them,
 * as `METHOD path`, with ` on undici` or ` on node:http` after it when `byLibrary`.
 */
async function workerRequestsOf(run: () => Promise<unknown>, byLibrary = false): Promise<string[]> {
  const { origin, host } = new URL(cluster.worker.address);
  const seen: string[] = [];
  const onUndici = (message: unknown) => {
    const { request } = message as { request: { method: string; origin: string; path: string } };
    if (request.origin === origin)
      seen.push(`${request.method} ${request.path.split('?')[0]}${byLibrary ? ' on undici' : ''}`);
  };
  // The master in this process calls the worker on node:http too (GET /internal/stats): not data.
  const onHttp = (message: unknown) => {
    const { request } = message as { request: ClientRequest };
    const path = request.path.split('?')[0]!;
    if (request.getHeader('host') === host && path.startsWith('/data'))
      seen.push(`${request.method} ${path}${byLibrary ? ' on node:http' : ''}`);
  };
  subscribe('undici:request:create', onUndici);
  subscribe('http.client.request.start', onHttp);
  try {
    await run();
  } finally {
    unsubscribe('undici:request:create', onUndici);
    unsubscribe('http.client.request.start', onHttp);
  }
  return seen;
}

describe('a directory of small files read by many lanes at once', () => {
  const files = 16;
  const contentOf = (i: number) => Buffer.concat([Buffer.from(`file ${i} `), randomBytes(4000)]);
  const contents = new Map<string, Buffer>();
  let listed: ListedFile[];

  beforeAll(async () => {
    await client.mkdir('/many');
    for (let i = 0; i < files; i++) {
      contents.set(`/many/f${i}.bin`, contentOf(i));
      await write(`/many/f${i}.bin`, contents.get(`/many/f${i}.bin`)!, 'THROUGH');
    }
    listed = [];
    for await (const entry of client.listForRead('/many')) listed.push(entry);
    expect(listed).toHaveLength(files);
  });

  it('goes to the worker as one request, and to S3 as one GET per file pinned with If-Match', async () => {
    const from = proxy.requests.length;
    let bodies: Buffer[] = [];
    const toWorker = await workerRequestsOf(async () => {
      bodies = await Promise.all(
        listed.map(async (file) => readStream(await client.readListed(file, { readType: 'NO_CACHE' }))),
      );
    });
    expect(toWorker).toEqual(['POST /data/batch']);
    for (const [i, file] of listed.entries()) {
      expect(bodies[i]!.equals(contents.get(file.status.path)!)).toBe(true);
    }
    const toS3 = proxy.requests.slice(from);
    expect(toS3.map((r) => `${r.method} ${r.path.replace(/\?x-id=\w+$/, '')}`).sort()).toEqual(
      listed.map((file) => `GET /${TEST_BUCKET}/counts${file.status.path}`).sort(),
    );
    for (const r of toS3) expect(r.headers['if-match']).toMatch(/^"[0-9a-f]{32}"$/);
  });

  it('a file replaced in S3 after its listing: its pinned read fails in the batch, and readListed reads the new version whole', async () => {
    const s3 = s3rverSdk(server.endpoint);
    const changed = listed[3]!;
    const replacement = Buffer.from('replaced behind tierfs, and longer than the old one was: '.repeat(100));
    try {
      await s3.send(
        new PutObjectCommand({ Bucket: TEST_BUCKET, Key: `counts${changed.status.path}`, Body: replacement }),
      );
    } finally {
      s3.destroy();
    }
    let results: Buffer[] = [];
    const toWorker = await workerRequestsOf(async () => {
      results = await Promise.all(
        listed.map(async (file) => readStream(await client.readListed(file, { readType: 'NO_CACHE' }))),
      );
    });
    // The batch of all of them; the replaced file again once re-opened at the master (which still
    // knows the old version: STALE again); and once more after the master synced it with S3.
    expect(toWorker).toEqual(['POST /data/batch', 'POST /data/batch', 'POST /data/batch']);
    listed.forEach((file, i) => {
      const expected = file === changed ? replacement : contents.get(file.status.path)!;
      expect(results[i]!.equals(expected)).toBe(true);
    });
  });
});

describe('a directory of small cached files read again by a few lanes', () => {
  it('is one request to the worker (its reads and the files listed after them, short-circuit) and none to S3', async () => {
    await client.mkdir('/warm');
    const contents = new Map<string, Buffer>();
    for (let i = 0; i < 40; i++) {
      contents.set(`/warm/f${String(i).padStart(2, '0')}.bin`, randomBytes(4096));
      await write(
        `/warm/f${String(i).padStart(2, '0')}.bin`,
        contents.get(`/warm/f${String(i).padStart(2, '0')}.bin`)!,
        'THROUGH',
      );
    }
    const listing = async () => {
      const files: ListedFile[] = [];
      for await (const entry of client.listForRead('/warm')) files.push(entry);
      return files;
    };
    const readAll = async (files: ListedFile[], lanes: number) => {
      const bodies = new Map<string, Buffer>();
      let next = 0;
      await Promise.all(
        Array.from({ length: lanes }, async () => {
          while (next < files.length) {
            const file = files[next++]!;
            bodies.set(file.status.path, await readStream(await client.readListed(file)));
          }
        }),
      );
      return bodies;
    };
    await readAll(await listing(), 16); // cold: cached as read, the cache writes finishing after
    await eventually(async () => {
      const page = await client.listStatus('/warm', { cached: true });
      return page.entries.every((entry) => entry.cachedBytes === entry.size);
    }, 'the files cached');
    const files = await listing();
    const from = proxy.requests.length;
    let bodies = new Map<string, Buffer>();
    const toWorker = await workerRequestsOf(async () => {
      bodies = await readAll(files, 4);
    });
    expect(toWorker).toEqual(['POST /data/batch']);
    expect(proxy.requests.slice(from)).toEqual([]);
    for (const [path, bytes] of contents) expect(bodies.get(path)?.equals(bytes), path).toBe(true);
  });
});

describe('a cold directory read by lanes that told listForRead their concurrency', () => {
  it('is fetched ahead of the lanes, never more than that many GETs at S3 at once, one pinned GET per file', async () => {
    const files = 40;
    const lanes = 4;
    await client.mkdir('/ahead');
    const contents = new Map<string, Buffer>();
    for (let i = 0; i < files; i++) {
      const path = `/ahead/f${String(i).padStart(2, '0')}.bin`;
      contents.set(path, randomBytes(4096));
      await write(path, contents.get(path)!, 'THROUGH'); // not cached: every read below is cold
    }
    const from = proxy.requests.length;
    const asked = new Map<string, number>();
    const bodies = new Map<string, Buffer>();
    const listed = client.listForRead('/ahead', { concurrency: lanes });
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        for (let next = await listed.next(); !next.done; next = await listed.next()) {
          const file = next.value;
          asked.set(file.status.path, performance.now());
          bodies.set(file.status.path, await readStream(await client.readListed(file)));
          await new Promise((resolve) => setTimeout(resolve, 10)); // the lane's own work with the file
        }
      }),
    );
    for (const [path, bytes] of contents) expect(bodies.get(path)?.equals(bytes), path).toBe(true);
    const gets = proxy.requests.slice(from).filter((r) => r.method === 'GET');
    expect(gets.map((r) => r.path).sort()).toEqual(
      [...contents.keys()].map((p) => `/${TEST_BUCKET}/counts${p}`).sort(),
    );
    for (const r of gets) expect(r.headers['if-match']).toMatch(/^"[0-9a-f]{32}"$/);
    // At most the lanes' concurrency at S3, though most files were asked of the worker long before
    // a lane came for them.
    expect(proxy.peak((r) => gets.includes(r))).toBeLessThanOrEqual(lanes);
    const ahead = gets.filter((r) => r.started < asked.get(r.path.slice(`/${TEST_BUCKET}/counts`.length))!);
    expect(ahead.length).toBeGreaterThanOrEqual(files / 2);
  });

  it('a concurrency that is no integer from 1 to 256 is refused, naming it, by the client and by the worker', async () => {
    const listing = client.listForRead('/ahead', { concurrency: 0 });
    await expect(listing.next()).rejects.toThrow(/concurrency must be an integer from 1 to 256, got 0/);
    const read = { capability: 'c', contentId: 'x', offset: 0, length: 1 };
    for (const [extra, wanted] of [
      [
        { fetchGroup: 'g', fetchConcurrency: 0 },
        /"fetchConcurrency" must be an integer from 1 to 256, got 0/,
      ],
      [{ fetchConcurrency: 4 }, /"fetchGroup" must be a string of 1 to 64 characters, got none/],
    ] as const) {
      const answer = await fetch(`${cluster.worker.address}/data/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ reads: [read], ...extra }),
      });
      expect(answer.status).toBe(400);
      expect(((await answer.json()) as { message: string }).message).toMatch(wanted);
    }
  });
});

describe('requests per operation on an S3 mount whose writes go straight to the key (commit.copy off)', () => {
  const data = randomBytes(4096);

  it.each(['CACHE_THROUGH', 'THROUGH'] as WriteType[])(
    'a small %s write sends at most 2 requests: the PUT and one HEAD',
    async (writeType) => {
      const straight = straightCluster.client();
      const path = `/dir/${writeType}.bin`;
      const sent = await requestsOf(() => write(path, data, writeType, straight));
      expect(sent).toEqual([
        `PUT /${TEST_BUCKET}/straight/dir/${writeType}.bin`,
        `HEAD /${TEST_BUCKET}/straight/dir/${writeType}.bin`,
      ]);
      // An overwrite of the file is the same two.
      expect(await requestsOf(() => write(path, data, writeType, straight))).toHaveLength(2);
      expect(await rawKeys(server, 'straight/dir/')).toContain(`${writeType}.bin`);
    },
  );
});
