/**
 * The admin REST API on the master's web port (`/api/v1`, JSON) and its Prometheus `/metrics`.
 * The namespace, mount and worker endpoints are the RPC port's own handlers (namespaceRoutes);
 * what only admins and the UI need (overview, load jobs, cache shares, configuration, metric
 * samples, the OpenAPI document) is added here. Every route declares its schemas (api-schemas.ts);
 * the OpenAPI document is generated from them (openapi.ts). Who a request acts as: authenticator.ts.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PROMETHEUS_CONTENT_TYPE } from '../cluster/metrics.js';
import { sendError } from '../cluster/rpc.js';
import { describeOrigin } from '../config/configuration.js';
import type { Caller } from '../namespace/permissions.js';
import { operation, schemas } from './api-schemas.js';
import { openApiDocument } from './openapi.js';
import { bodyOf, namespaceRoutes, queryOf, registerRoutes } from './routes.js';
import type { MasterServices } from './services.js';

const { ref, str, int, object } = schemas;

export interface ConfigurationEntry {
  readonly key: string;
  /** `******` for secrets; absent when unset. */
  readonly value?: string;
  readonly secret: boolean;
  /** DEFAULT, SITE_PROPERTY /etc/tierfs/tierfs-site.properties:3, SYSTEM_PROPERTY, ... */
  readonly source?: string;
  readonly description?: string;
}

export function configurationEntries(services: MasterServices): ConfigurationEntry[] {
  return services.configuration().map((c) => ({
    key: c.key,
    ...(c.value === undefined ? {} : { value: c.value }),
    secret: c.secret,
    ...(c.origin ? { source: describeOrigin(c.origin) } : {}),
    ...(c.description ? { description: c.description } : {}),
  }));
}

export function registerRestRoutes(
  app: FastifyInstance,
  services: MasterServices,
  caller: (request: FastifyRequest) => Caller,
  options: {
    /** The UI's page for a URL nothing serves, shown to browsers outside `/api/` and `/metrics`. */
    readonly notFoundPage?: (path: string) => string;
  } = {},
): void {
  const { namespace } = services;
  app.setErrorHandler(sendError);
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const api = path.startsWith('/api/') || path === '/metrics';
    const browser =
      (request.method === 'GET' || request.method === 'HEAD') &&
      /text\/html/.test(request.headers.accept ?? '');
    if (options.notFoundPage && browser && !api) {
      return reply.status(404).type('text/html; charset=utf-8').send(options.notFoundPage(path));
    }
    return reply.status(404).send({ code: 'NOT_FOUND', message: `no endpoint ${request.method} ${path}` });
  });
  registerRoutes(
    app,
    namespaceRoutes({
      namespace,
      workers: services.workers,
      info: services.info,
      caller,
      free: (path, who) => services.free(path, who),
      mountsChanged: () => services.mountsChanged(),
      persist: (path, who) => services.persist(path, who),
      cachedBytes: (files) => services.cachedBytes(files),
    }),
  );
  const PATH_ONLY = object({ path: schemas.path() }, ['path']);

  app.get(
    '/api/v1/overview',
    {
      schema: operation({
        operationId: 'getOverview',
        tags: ['cluster'],
        summary: 'The Overview page as JSON: capacity per tier, UFS capacity, persist queue, warnings.',
        response: ref('ClusterOverview'),
      }),
    },
    async () => services.overview(),
  );

  app.delete(
    '/api/v1/mounts',
    {
      schema: operation({
        operationId: 'deleteMount',
        tags: ['mounts'],
        summary: 'Unmounts a mount point (as unmount, the path in the query string).',
        querystring: PATH_ONLY,
        response: schemas.empty(),
      }),
    },
    async (request) => {
      await namespace.unmount(queryOf<{ path: string }>(request).path, caller(request));
      return {};
    },
  );

  app.get(
    '/api/v1/paths/cached',
    {
      schema: operation({
        operationId: 'getCachedBytes',
        tags: ['paths'],
        summary: "Bytes of a file, or of each file in a directory, held in the workers' caches.",
        querystring: PATH_ONLY,
        response: object(
          {
            files: {
              type: 'array',
              items: object({ path: str(), size: int(), cachedBytes: int() }, [
                'path',
                'size',
                'cachedBytes',
              ]),
            },
          },
          ['files'],
        ),
      }),
    },
    async (request) => {
      const who = caller(request);
      const status = await namespace.getStatus(queryOf<{ path: string }>(request).path, who);
      const files = status.isDirectory
        ? (await namespace.listStatus(status.path, who)).entries.filter((e) => !e.isDirectory)
        : [status];
      const cached = await services.cachedBytes(files);
      return { files: files.map((f, i) => ({ path: f.path, size: f.size, cachedBytes: cached[i] ?? 0 })) };
    },
  );

  app.post(
    '/api/v1/paths/load',
    {
      schema: operation({
        operationId: 'startLoadJob',
        tags: ['jobs'],
        summary:
          'Starts a load job (reads every file under the path into the cache); answers 202 with the job.',
        body: PATH_ONLY,
        status: 202,
        response: ref('JobRecord'),
      }),
    },
    async (request, reply) =>
      reply.status(202).send(await services.load(bodyOf<{ path: string }>(request).path, caller(request))),
  );

  app.get(
    '/api/v1/jobs',
    {
      schema: operation({
        operationId: 'listJobs',
        tags: ['jobs'],
        summary: 'Recent jobs, newest first.',
        response: { type: 'array', items: ref('JobRecord') },
      }),
    },
    async () => services.jobs(),
  );
  app.get(
    '/api/v1/jobs/:id',
    {
      schema: operation({
        operationId: 'getJob',
        tags: ['jobs'],
        summary: 'One job with its progress.',
        params: object({ id: str('The id startLoadJob answered.') }, ['id']),
        response: ref('JobRecord'),
      }),
    },
    async (request) => services.job((request.params as { id: string }).id),
  );

  app.get(
    '/api/v1/configuration',
    {
      schema: operation({
        operationId: 'listConfiguration',
        tags: ['admin'],
        summary: 'Every property: value (secrets masked), source and description.',
        response: { type: 'array', items: ref('ConfigurationEntry') },
      }),
    },
    async () => configurationEntries(services),
  );

  app.get(
    '/api/v1/metrics',
    {
      schema: operation({
        operationId: 'getMetricSamples',
        tags: ['admin'],
        summary: 'The in-memory samples behind the Metrics page, oldest first.',
        response: object({ samples: { type: 'array', items: ref('MetricsSample') } }, ['samples']),
      }),
    },
    async () => ({ samples: services.metrics.sampler.samples() }),
  );

  app.get(
    '/api/v1/openapi.json',
    {
      schema: operation({
        operationId: 'getOpenApiDocument',
        tags: ['admin'],
        summary: 'This document (OpenAPI 3.0), generated from the routes.',
        response: { type: 'object', additionalProperties: true, description: 'An OpenAPI 3.0 document.' },
      }),
    },
    async (request) => openApiDocument(app, request),
  );

  app.get(
    '/metrics',
    {
      schema: operation({
        operationId: 'getPrometheusMetrics',
        tags: ['admin'],
        summary: 'Prometheus metrics of the master (text exposition format).',
        produces: 'text/plain',
        response: { type: 'string' },
      }),
    },
    async (_request, reply) =>
      reply.type(PROMETHEUS_CONTENT_TYPE).send(await services.metrics.registry.metrics()),
  );
}
