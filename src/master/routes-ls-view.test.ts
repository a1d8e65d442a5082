/**
 * The listing route's `view=ls` page with `cached=true`: its head, with the continuation token, goes
 * out before the workers have answered for the page's cached bytes, so a client asks for the next
 * page meanwhile; the body follows with them.
 */
import { once } from 'node:events';
import { get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTINUATION_HEADER, LS_PAGE_CONTENT_TYPE, type LsPage } from '../cluster/wire.js';
import type { FileStatus, ListResult, Namespace } from '../namespace/namespace.js';
import { addApiSchemas, VALIDATION_OPTIONS } from './api-schemas.js';
import { namespaceRoutes, registerRoutes } from './routes.js';

const file = (name: string): FileStatus =>
  ({
    path: `/d/${name}`,
    name,
    isDirectory: false,
    size: 10,
    mtimeMs: 1000,
    owner: 'u',
    group: 'g',
    mode: 0o644,
    state: 'COMPLETE',
    persistence: 'PERSISTED',
    contentId: `c-${name}`,
    syncedAtMs: 1000,
    childrenLoaded: false,
    mountPoint: false,
    mountPath: '/',
    ufsPath: `d/${name}`,
    ufsUri: `file:///u/d/${name}`,
  }) as FileStatus;

const app = Fastify({ ajv: VALIDATION_OPTIONS });
let answerCached!: (bytes: number[]) => void;
let cachedAsked = 0;
let address = '';

beforeAll(async () => {
  const namespace = {
    listStatus: async (): Promise<ListResult> => ({
      entries: [file('a'), file('b')],
      continuationToken: 'dG9rZW4',
    }),
  } as unknown as Namespace;
  addApiSchemas(app);
  // Stands for the web port's security headers: a hook on every answer, this one included.
  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-hooked', 'yes');
  });
  registerRoutes(
    app,
    namespaceRoutes({
      namespace,
      workers: {} as never,
      info: () => ({}) as never,
      caller: () => ({ user: 'u', groups: [] }),
      free: async () => 0,
      persist: async () => undefined,
      mountsChanged: () => undefined,
      cachedBytes: (files) => {
        cachedAsked += files.length;
        return new Promise((resolve) => {
          answerCached = resolve;
        });
      },
    }),
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  address = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(() => app.close());

describe('GET /api/v1/paths/list?view=ls&cached=true', () => {
  it("sends the head with the page's token before the workers answer, then the body with their bytes", async () => {
    const request = get(`${address}/api/v1/paths/list?path=/d&view=ls&cached=true`);
    const head = once(request, 'response') as Promise<[IncomingMessage]>;
    const first = await Promise.race([head.then(() => 'head'), delay(2000).then(() => 'no head in 2 s')]);
    // The head came while the cached bytes were still being asked for.
    const askedBeforeAnswer = cachedAsked;
    answerCached([7, 3]);
    expect(first).toBe('head');
    expect(askedBeforeAnswer).toBe(2);
    const [response] = await head;
    expect(response.statusCode).toBe(200);
    expect(response.headers[CONTINUATION_HEADER]).toBe('dG9rZW4');
    expect(response.headers['content-type']).toContain(LS_PAGE_CONTENT_TYPE);
    expect(response.headers['x-hooked']).toBe('yes');
    let body = '';
    for await (const chunk of response) body += chunk;
    const page = JSON.parse(body) as LsPage;
    expect(page).toEqual({
      dir: '/d',
      rows: [
        ['a', 0, 0o644, 'u', 'g', 10, 'PERSISTED', 1000, 7],
        ['b', 0, 0o644, 'u', 'g', 10, 'PERSISTED', 1000, 3],
      ],
      continuationToken: 'dG9rZW4',
    });
  });
});
