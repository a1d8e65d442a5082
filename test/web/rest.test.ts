/** The admin REST API on the master's web port: every endpoint, the error format, the admin token rule. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  ClusterInfo,
  ClusterOverview,
  FileStatus,
  ListResult,
  MountInfo,
  WorkerInfo,
} from '../../src/cluster/wire.js';
import type { JobRecord } from '../../src/meta/store.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { call } from './support.js';

const TOKEN = 'admin-token-for-tests';
const SECRET = 'very-secret-aws-key';

let cluster: TestCluster;
let web: string;
const api = (path: string) => `${web}/api/v1${path}`;

beforeAll(async () => {
  cluster = await startCluster({ 'tierfs.web.admin.token': TOKEN, 'aws.secretKey': SECRET });
  web = cluster.master.webAddress;
  const client = cluster.client();
  await pipeline(Readable.from([Buffer.from('hello rest\n')]), await client.createFile('/docs/a.txt'));
});
afterAll(() => cluster.stop());

async function waitForJob(id: string): Promise<JobRecord> {
  for (let i = 0; i < 100; i++) {
    const { body } = await call<JobRecord>('GET', api(`/jobs/${id}`));
    if (body.state !== 'RUNNING') return body;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`job ${id} still running`);
}

describe('reads', () => {
  it('serves health, cluster, overview and workers', async () => {
    expect((await call('GET', api('/health'))).body).toEqual({ status: 'ok' });
    const info = (await call<ClusterInfo>('GET', api('/cluster'))).body;
    expect(info.webAddress).toBe(web);
    const overview = (await call<ClusterOverview>('GET', api('/overview'))).body;
    expect(overview.workers.filter((w) => w.state === 'LIVE')).toHaveLength(1);
    const tier = overview.tiers[0]!;
    expect(tier.capacityBytes).toBeGreaterThan(0);
    expect(tier.usedBytes + tier.freeBytes).toBe(tier.capacityBytes);
    expect(overview.ufs.capacityBytes).toBeGreaterThan(0);
    expect(overview.warnings).toEqual([]);
    const workers = (await call<WorkerInfo[]>('GET', api('/workers'))).body;
    expect(workers[0]?.id).toBe(cluster.worker.id);
  });

  it('serves path status, listings and cached bytes', async () => {
    const status = (await call<FileStatus>('GET', api('/paths/status?path=/docs/a.txt'))).body;
    expect(status).toMatchObject({ path: '/docs/a.txt', size: 11, persistence: 'PERSISTED' });
    const list = (await call<ListResult>('GET', api('/paths/list?path=/docs'))).body;
    expect(list.entries.map((e) => e.name)).toEqual(['a.txt']);
    const cached = (await call<{ files: { cachedBytes: number }[] }>('GET', api('/paths/cached?path=/docs')))
      .body;
    expect(cached.files).toEqual([{ path: '/docs/a.txt', size: 11, cachedBytes: 11 }]);
  });

  it('lists the configuration with secrets masked and sources', async () => {
    const { body } = await call<{ key: string; value?: string; source?: string }[]>(
      'GET',
      api('/configuration'),
    );
    expect(JSON.stringify(body)).not.toContain(SECRET);
    expect(body.find((e) => e.key === 'aws.secretKey')).toMatchObject({
      value: '******',
      source: 'SYSTEM_PROPERTY -Daws.secretKey',
    });
    expect(body.find((e) => e.key === 'tierfs.web.admin.token')?.value).toBe('******');
    expect(body.find((e) => e.key === 'tierfs.master.web.bind.host')).toMatchObject({ source: 'DEFAULT' });
  });

  it('serves metric samples, Prometheus text and the OpenAPI document', async () => {
    await cluster.master.sampleMetrics();
    const samples = (await call<{ samples: { workers: number }[] }>('GET', api('/metrics'))).body.samples;
    expect(samples.at(-1)?.workers).toBe(1);
    const prometheus = await call<string>('GET', `${web}/metrics`);
    expect(prometheus.contentType).toContain('text/plain');
    expect(prometheus.body).toContain('tierfs_persistence_queue_length{state="PENDING"} 0');
    const doc = (
      await call<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
        'GET',
        api('/openapi.json'),
      )
    ).body;
    expect(doc.openapi).toMatch(/^3\./);
    for (const [path, method] of [
      ['/api/v1/paths/load', 'post'],
      ['/api/v1/mounts', 'delete'],
      ['/api/v1/jobs/{id}', 'get'],
      ['/api/v1/configuration', 'get'],
    ] as const) {
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
  });
});

describe('changes with the admin token', () => {
  const post = (path: string, body: unknown) => call('POST', api(path), { body, token: TOKEN });

  it('creates, renames and deletes paths', async () => {
    expect((await post('/paths/mkdir', { path: '/made/deep' })).status).toBe(200);
    expect(
      (await post('/paths/rename', { source: '/made/deep', destination: '/made/renamed' })).body,
    ).toMatchObject({
      path: '/made/renamed',
    });
    expect((await post('/paths/delete', { path: '/made', recursive: true })).status).toBe(200);
    expect((await call('GET', api('/paths/status?path=/made'))).status).toBe(404);
  });

  it('frees, loads (recording a job) and persists', async () => {
    expect((await post('/paths/free', { path: '/docs' })).body).toEqual({ freedFiles: 1 });
    const cachedAfterFree = await call<{ files: { cachedBytes: number }[] }>(
      'GET',
      api('/paths/cached?path=/docs/a.txt'),
    );
    expect(cachedAfterFree.body.files[0]?.cachedBytes).toBe(0);
    const started = await post('/paths/load', { path: '/docs' });
    expect(started.status).toBe(202);
    const job = await waitForJob((started.body as JobRecord).id);
    expect(job).toMatchObject({ type: 'load', state: 'SUCCEEDED', detail: { files: 1, loadedBytes: 11 } });
    expect((await call<JobRecord[]>('GET', api('/jobs'))).body.map((j) => j.id)).toContain(job.id);
    const cached = await call<{ files: { cachedBytes: number }[] }>(
      'GET',
      api('/paths/cached?path=/docs/a.txt'),
    );
    expect(cached.body.files[0]?.cachedBytes).toBe(11);

    const client = cluster.client();
    await pipeline(
      Readable.from([Buffer.from('cache only')]),
      await client.createFile('/docs/m.txt', { writeType: 'MUST_CACHE' }),
    );
    expect((await post('/paths/persist', { path: '/docs/m.txt' })).status).toBe(200);
    const status = await call<FileStatus>('GET', api('/paths/status?path=/docs/m.txt'));
    expect(status.body.persistence).toBe('PERSISTED');
  });

  it('adds and removes mounts (POST /mounts/remove and DELETE /mounts)', async () => {
    const dir = join(cluster.home, 'second');
    mkdirSync(dir);
    writeFileSync(join(dir, 'x.txt'), 'x');
    for (const remove of ['post', 'delete'] as const) {
      const added = await post('/mounts', {
        path: '/second',
        ufsUri: dir,
        options: { 'aws.secretKey': 'k' },
      });
      expect(added.body).toMatchObject({ path: '/second', options: { 'aws.secretKey': '******' } });
      const mounts = (await call<MountInfo[]>('GET', api('/mounts'))).body;
      expect(mounts.map((m) => m.path)).toEqual(['/', '/second']);
      const removed =
        remove === 'post'
          ? await post('/mounts/remove', { path: '/second' })
          : await call('DELETE', api('/mounts?path=/second'), { token: TOKEN });
      expect(removed.status).toBe(200);
    }
    expect((await call<MountInfo[]>('GET', api('/mounts'))).body).toHaveLength(1);
  });
});

describe('errors and access', () => {
  it('answers {code, message, retryable} with the status of the code', async () => {
    const missing = await call('GET', api('/paths/status?path=/nope'));
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      code: 'NOT_FOUND',
      message: expect.stringContaining('/nope'),
      retryable: false,
    });
    const bad = await call('GET', api('/paths/status'));
    expect(bad).toMatchObject({
      status: 400,
      body: { code: 'INVALID_ARGUMENT', message: "'path' is required in the query string (a string)" },
    });
    const exists = await call('POST', api('/paths/mkdir'), { body: { path: '/docs' }, token: TOKEN });
    expect(exists).toMatchObject({ status: 409, body: { code: 'ALREADY_EXISTS' } });
    const unknown = await call('GET', api('/no/such/endpoint'));
    expect(unknown).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    const job = await call('GET', api('/jobs/none'));
    expect(job).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
  });

  it('refuses changes without the token, or with a wrong one, and keeps reads open on loopback', async () => {
    const none = await call('POST', api('/paths/mkdir'), { body: { path: '/denied' } });
    expect(none).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
    const wrong = await call('POST', api('/paths/mkdir'), { body: { path: '/denied' }, token: 'wrong' });
    expect(wrong).toMatchObject({
      status: 401,
      body: {
        code: 'UNAUTHENTICATED',
        message: 'the token is neither tierfs.web.admin.token nor a valid user token',
      },
    });
    const del = await call('DELETE', api('/mounts?path=/x'));
    expect(del.status).toBe(401);
    expect((await call('GET', api('/paths/status?path=/denied'))).status).toBe(404);
    expect((await call('GET', api('/health'), { token: 'wrong' })).status).toBe(401);
  });

  it('allows changes from loopback when no token is configured', async () => {
    const open = await startCluster();
    try {
      const made = await call('POST', `${open.master.webAddress}/api/v1/paths/mkdir`, {
        body: { path: '/free' },
      });
      expect(made.status).toBe(200);
    } finally {
      await open.stop();
    }
  });
});
