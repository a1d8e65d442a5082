/**
 * The admin REST API on the master's web port (`/api/v1`, JSON) and its Prometheus `/metrics`.
 * The namespace, mount and worker endpoints are the RPC port's own handlers (namespaceRoutes);
 * what only admins and the UI need (overview, load jobs, cache shares, configuration, metric
 * samples, the OpenAPI document) is added here. Who a request acts as: authenticator.ts.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PROMETHEUS_CONTENT_TYPE } from '../cluster/metrics.js';
import { sendError } from '../cluster/rpc.js';
import { describeOrigin } from '../config/configuration.js';
import type { Caller } from '../namespace/permissions.js';
import { openApiDocument } from './openapi.js';
import { namespaceRoutes, queryOf, registerRoutes, requiredString } from './routes.js';
import type { MasterServices } from './services.js';

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
      persist: (path, who) => services.persist(path, who),
      cachedBytes: (files) => services.cachedBytes(files),
    }),
  );

  app.get('/api/v1/overview', async () => services.overview());

  app.delete('/api/v1/mounts', async (request) => {
    await namespace.unmount(requiredString(queryOf(request), 'path'), caller(request));
    return {};
  });

  app.get('/api/v1/paths/cached', async (request) => {
    const who = caller(request);
    const status = await namespace.getStatus(requiredString(queryOf(request), 'path'), who);
    const files = status.isDirectory
      ? (await namespace.listStatus(status.path, who)).entries.filter((e) => !e.isDirectory)
      : [status];
    const cached = await services.cachedBytes(files);
    return { files: files.map((f, i) => ({ path: f.path, size: f.size, cachedBytes: cached[i] ?? 0 })) };
  });

  app.post('/api/v1/paths/load', async (request, reply) => {
    const path = requiredString((request.body ?? {}) as Record<string, unknown>, 'path');
    return reply.status(202).send(await services.load(path, caller(request)));
  });

  app.get('/api/v1/jobs', async () => services.jobs());
  app.get('/api/v1/jobs/:id', async (request) => services.job((request.params as { id: string }).id));

  app.get('/api/v1/configuration', async () => configurationEntries(services));

  app.get('/api/v1/metrics', async () => ({ samples: services.metrics.sampler.samples() }));

  app.get('/api/v1/openapi.json', async () => openApiDocument());

  app.get('/metrics', async (_request, reply) =>
    reply.type(PROMETHEUS_CONTENT_TYPE).send(await services.metrics.registry.metrics()),
  );
}
