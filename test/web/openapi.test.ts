/**
 * The REST API's OpenAPI document, generated from the routes' schemas: Redocly's linter passes it,
 * every API route is in it with an operationId and a success schema, real answers validate against
 * it (as a generated client would read them), and no field a handler answers is dropped by the
 * schema-driven serializer.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layoutOf } from '../../src/config/layout.js';
import type { MasterAnswer } from '../../src/master/master.js';
import { isApiRoute } from '../../src/master/openapi.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { call } from './support.js';

const TOKEN = 'admin-token-for-openapi';
const REDOCLY = resolve('node_modules/@redocly/cli/bin/cli.js');

type Json = Record<string, unknown>;
interface Operation {
  operationId?: string;
  tags?: string[];
  summary?: string;
  parameters?: { name: string; in: string; required?: boolean }[];
  responses: Record<string, { content?: Record<string, { schema?: Json }> }>;
}
type Paths = Record<string, Record<string, Operation>>;

let cluster: TestCluster;
let web: string;
let document: Json & { paths: Paths };
const answers: MasterAnswer[] = [];

beforeAll(async () => {
  cluster = await startCluster({ 'tierfs.web.admin.token': TOKEN }, { onAnswer: (a) => answers.push(a) });
  web = cluster.master.webAddress;
  await pipeline(
    Readable.from([Buffer.from('hello openapi\n')]),
    await cluster.client().createFile('/docs/a.txt'),
  );
  await cluster.master.sampleMetrics();
  const post = (path: string, body: unknown) => call('POST', `${web}/api/v1${path}`, { body, token: TOKEN });
  expect((await post('/topics/messages', { topic: 'public/default/t', messages: ['m1', 'm2'] })).status).toBe(
    200,
  );
  expect((await post('/paths/load', { path: '/docs' })).status).toBe(202);
  expect((await post('/auth/tokens', { user: 'alice', groups: ['dev'] })).status).toBe(200);
  document = (await call<Json & { paths: Paths }>('GET', `${web}/api/v1/openapi.json`)).body;
});
afterAll(() => cluster?.stop());

const toOpenApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');

function successOf(op: Operation): { status: string; schema: Json | undefined; type: string } | undefined {
  const status = Object.keys(op.responses).find((s) => /^2\d\d$/.test(s));
  if (!status) return undefined;
  const [type, media] = Object.entries(op.responses[status]?.content ?? {})[0] ?? [];
  return { status, schema: media?.schema, type: type ?? '' };
}

/** A copy of the document where every object schema without additionalProperties refuses extra fields. */
function strict(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strict);
  if (value === null || typeof value !== 'object') return value;
  const out: Json = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strict(v)]));
  if (out.type === 'object' && out.properties && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  return out;
}

function validatorFor(doc: Json, path: string, method: string, status: string) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addSchema(doc, 'openapi');
  const pointer = ['paths', path, method, 'responses', status, 'content']
    .map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1'))
    .join('/');
  const content = ((doc.paths as Paths)[path]?.[method]?.responses[status]?.content ?? {}) as Json;
  const media = Object.keys(content)[0]!.replace(/~/g, '~0').replace(/\//g, '~1');
  return ajv.compile({ $ref: `openapi#/${pointer}/${media}/schema` });
}

describe('the generated document', () => {
  it("passes Redocly's recommended rules (redocly.yaml disables only what it explains)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tierfs-openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(document));
      const run = await promisify(execFile)(
        process.execPath,
        [REDOCLY, 'lint', file, '--format=json', '--config', resolve('redocly.yaml')],
        { env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } },
      ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
      const report = JSON.parse(run.stdout) as {
        totals: { errors: number; warnings: number };
        problems: { ruleId: string; message: string; location: { pointer: string }[] }[];
      };
      const problems = report.problems.map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`);
      expect(problems).toEqual([]);
      expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has every API route of the web port, each with an operationId, tags, a summary and a success schema', () => {
    const routes = cluster.master.routes.filter(
      (r) => r.port === 'web' && r.method !== 'HEAD' && isApiRoute(r.url),
    );
    expect(routes.length).toBeGreaterThan(30);
    const ids = new Set<string>();
    for (const route of routes) {
      const name = `${route.method} ${route.url}`;
      const op = document.paths[toOpenApiPath(route.url)]?.[route.method.toLowerCase()];
      expect(op, name).toBeDefined();
      expect(op?.operationId, name).toMatch(/^[a-z][A-Za-z]+$/);
      expect(ids.has(op!.operationId!), `${name}: operationId ${op?.operationId} is used twice`).toBe(false);
      ids.add(op!.operationId!);
      expect(op?.tags?.length, name).toBeGreaterThan(0);
      expect(op?.summary, name).toBeTruthy();
      const success = successOf(op!);
      expect(success?.schema, `${name} has no success schema`).toBeDefined();
      expect(op?.responses['4XX']?.content?.['application/json']?.schema, name).toEqual({
        $ref: '#/components/schemas/ErrorBody',
      });
    }
    // The web UI's pages are not API operations.
    expect(Object.keys(document.paths).filter((p) => !isApiRoute(p))).toEqual([]);
    expect(document.servers).toEqual([{ url: web, description: 'This master.' }]);
  });
});

describe("the RPC port's routes", () => {
  it('each declares an operation (operationId, request and answer schemas), as the web port does', () => {
    const routes = cluster.master.routes.filter((r) => r.port === 'rpc' && r.method !== 'HEAD');
    expect(routes.length).toBeGreaterThan(30);
    expect(routes.filter((r) => r.operationId === undefined).map((r) => `${r.method} ${r.url}`)).toEqual([]);
  });
});

describe('answers against the document', () => {
  /** Query values for the GET operations that need some. */
  const QUERY: Record<string, string> = {
    path: '/docs',
    topic: 'public/default/t',
    namespace: 'public/default',
  };

  it('every GET operation answers what its schema declares, and the serializer drops nothing', async () => {
    const jobId = (await call<{ id: string }[]>('GET', `${web}/api/v1/jobs`, { token: TOKEN })).body[0]?.id;
    expect(jobId).toBeDefined();
    let checked = 0;
    for (const [path, methods] of Object.entries(document.paths)) {
      const op = methods.get;
      if (!op) continue;
      const success = successOf(op)!;
      const query = new URLSearchParams();
      for (const p of op.parameters ?? []) {
        if (p.in === 'query' && QUERY[p.name] !== undefined) query.set(p.name, QUERY[p.name]!);
      }
      if (path === '/api/v1/paths/status' || path === '/api/v1/paths/list') query.set('cached', 'true');
      const url = `${web}${path.replace('{id}', jobId!)}${query.size > 0 ? `?${query}` : ''}`;
      answers.length = 0;
      const answer = await call<unknown>('GET', url, { token: TOKEN });
      expect(answer.status, `GET ${url}: ${JSON.stringify(answer.body)}`).toBe(Number(success.status));
      if (!success.type.includes('json')) {
        expect(answer.contentType, path).toContain(success.type);
        expect(typeof answer.body).toBe('string');
        continue;
      }
      // What a generated client reads: the answer as served, against the document's schema.
      const served = validatorFor(document, path, 'get', success.status);
      expect(served(answer.body), `GET ${url}: ${JSON.stringify(served.errors)}`).toBe(true);
      // What the handler answered, against the same schema refusing any field it does not name.
      const handed = answers.find((a) => a.port === 'web' && toOpenApiPath(a.url) === path);
      expect(handed, path).toBeDefined();
      const strictly = validatorFor(strict(document) as Json, path, 'get', success.status);
      if (path !== '/api/v1/openapi.json') {
        expect(
          strictly(handed!.payload),
          `${path} answers fields its schema lacks: ${JSON.stringify(strictly.errors)}`,
        ).toBe(true);
        expect(answer.body, path).toEqual(JSON.parse(JSON.stringify(handed!.payload)));
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(15);
  });

  it('keeps the optional fields clients rely on (cachedBytes, continuationToken, ufsFingerprint, configuration source)', async () => {
    const list = await call<{ entries: Json[]; continuationToken?: string }>(
      'GET',
      `${web}/api/v1/paths/list?path=/docs&cached=true&pageSize=1`,
    );
    expect(list.body.entries[0]).toMatchObject({ name: 'a.txt', cachedBytes: expect.any(Number) });
    expect(list.body.entries[0]?.ufsFingerprint).toEqual(expect.any(String));
    const status = await call<Json>('GET', `${web}/api/v1/paths/status?path=/docs/a.txt&cached=true`);
    expect(status.body.cachedBytes).toBe(14);
    const conf = await call<Json[]>('GET', `${web}/api/v1/configuration`);
    expect(conf.body.find((e) => e.key === 'tierfs.web.admin.token')).toMatchObject({
      value: '******',
      secret: true,
      source: expect.stringContaining('SYSTEM_PROPERTY'),
      description: expect.any(String),
    });
    const created = await call<Json>('POST', `${web}/api/v1/auth/tokens`, {
      body: { user: 'bob' },
      token: TOKEN,
    });
    expect(created.body.token).toMatch(/^tierfs_/);
  });
});

describe('requests refused by their schemas', () => {
  const post = (path: string, body: unknown) => call('POST', `${web}/api/v1${path}`, { body, token: TOKEN });
  const bad = (message: string) => ({
    status: 400,
    body: { code: 'INVALID_ARGUMENT', message, retryable: false },
  });

  it('names the field, where it was and what is expected', async () => {
    expect(await post('/paths/mkdir', { path: '/x', recursive: 'yes' })).toMatchObject(
      bad(`'recursive' in the body must be a boolean, got "yes"`),
    );
    expect(await post('/paths/rename', { source: '/docs' })).toMatchObject(
      bad(`'destination' is required in the body (a string)`),
    );
    expect(await post('/mounts', { path: '/m', ufsUri: '/tmp', options: { a: { b: 1 } } })).toMatchObject(
      bad(`'options.a' in the body must be a string, got {"b":1}`),
    );
    expect(await post('/topics/messages', { topic: 'public/default/t', messages: 'one' })).toMatchObject(
      bad(`'messages' in the body must be a list of strings, got "one"`),
    );
    expect(
      await post('/topics/messages', { topic: 'public/default/t', messages: ['x'], encoding: 'latin1' }),
    ).toMatchObject(bad(`'encoding' in the body must be one of utf8, base64, got "latin1"`));
    expect(await call('GET', `${web}/api/v1/topics/messages?topic=public/default/t&max=20000`)).toMatchObject(
      bad(`'max' in the query string must be at most 10000, got 20000`),
    );
    expect(await call('GET', `${web}/api/v1/paths/list?path=/docs&pageSize=many`)).toMatchObject(
      bad(`'pageSize' in the query string must be an integer, got "many"`),
    );
    expect(await call('DELETE', `${web}/api/v1/mounts`, { token: TOKEN })).toMatchObject(
      bad(`'path' is required in the query string (a string)`),
    );
    expect(await post('/auth/tokens', { user: 'carol', groups: 'dev' })).toMatchObject(
      bad(`'groups' in the body must be a list of strings, got "dev"`),
    );
  });

  it("does the same on the worker's internal endpoints, after checking the cluster secret", async () => {
    const secret = readFileSync(layoutOf(cluster.conf).clusterTokenFile, 'utf8').trim();
    const worker = `${cluster.worker.address}/internal/free`;
    expect(await call('POST', worker, { body: { contentIds: 'c1' }, token: secret })).toMatchObject(
      bad(`'contentIds' in the body must be a list of strings, got "c1"`),
    );
    expect(await call('POST', worker, { body: { contentIds: 'c1' }, token: 'wrong' })).toMatchObject({
      status: 401,
      body: { code: 'UNAUTHENTICATED' },
    });
    expect(await call('POST', worker, { body: { contentIds: ['c1'] }, token: secret })).toMatchObject({
      status: 200,
      body: { pagesFreed: 0 },
    });
  });

  it('checks who may call before what was sent', async () => {
    const denied = await call('POST', `${web}/api/v1/auth/tokens`, { body: { groups: 5 } });
    expect(denied.status).toBe(401);
  });
});
