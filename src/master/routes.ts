/**
 * The master's API on its RPC port: `/api/v1/...`, JSON in and out. Paths are namespace paths;
 * the caller is named by the `x-tierfs-user` / `x-tierfs-groups` headers.
 *
 * The namespace, mount and membership routes are plain route specs (`namespaceRoutes`), so the
 * admin REST API on the web port (rest-routes.ts) serves the very same handlers.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { maskSecrets } from '../config/configuration.js';
import { TierfsError, toTierfsError } from '../errors.js';
import { type Namespace, WRITE_TYPES, type WriteType } from '../namespace/namespace.js';
import type { Caller } from '../namespace/permissions.js';
import {
  CLUSTER_TOKEN_HEADER,
  type ClusterInfo,
  type CompleteFileRequest,
  type CreateFileRequest,
  GROUPS_HEADER,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type MountInfo,
  USER_HEADER,
} from './api-types.js';
import type { WorkerRegistry } from './worker-registry.js';

export interface RouteContext {
  readonly namespace: Namespace;
  readonly workers: WorkerRegistry;
  readonly clusterToken: string;
  readonly info: () => ClusterInfo;
  /** Who a request acts as. */
  readonly caller: (request: FastifyRequest) => Caller;
  /** Drops cached pages of everything under a path on every live worker. */
  readonly free: (path: string, caller: Caller) => Promise<number>;
  /** Queues persistence of a file written with a non-persisting write type. */
  readonly persist: (path: string, caller: Caller) => Promise<void>;
  /** A worker joined, restarted or came back: the work waiting for it can run now. */
  readonly workerJoined: () => void;
}

export type Body = Record<string, unknown>;

export interface RouteSpec {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly url: string;
  readonly handler: (request: FastifyRequest) => Promise<unknown>;
}

export const bodyOf = (request: FastifyRequest): Body => (request.body ?? {}) as Body;
export const queryOf = (request: FastifyRequest): Body => (request.query ?? {}) as Body;

export function registerRoutes(app: FastifyInstance, routes: readonly RouteSpec[]): void {
  for (const route of routes) app.route({ method: route.method, url: route.url, handler: route.handler });
}

export function field<T extends 'string' | 'boolean' | 'number'>(
  body: Body,
  name: string,
  type: T,
  required = false,
): (T extends 'string' ? string : T extends 'boolean' ? boolean : number) | undefined {
  const value = body[name];
  if (value === undefined || value === null) {
    if (required) throw new TierfsError('INVALID_ARGUMENT', `'${name}' is required`);
    return undefined;
  }
  if (typeof value !== type) throw new TierfsError('INVALID_ARGUMENT', `'${name}' must be a ${type}`);
  return value as never;
}

export function requiredString(body: Body, name: string): string {
  return field(body, name, 'string', true)!;
}

function writeTypeOf(value: unknown): WriteType | undefined {
  if (value === undefined) return undefined;
  const found = WRITE_TYPES.find((t) => t === String(value).toUpperCase());
  if (!found) throw new TierfsError('INVALID_ARGUMENT', `writeType must be one of ${WRITE_TYPES.join(', ')}`);
  return found;
}

/** The caller named by the request headers; `fallback` when none is named. */
export function callerOf(request: FastifyRequest, fallback = 'anonymous'): Caller {
  const user = request.headers[USER_HEADER];
  const groups = request.headers[GROUPS_HEADER];
  const name = typeof user === 'string' && user !== '' ? user : fallback;
  const list = typeof groups === 'string' && groups !== '' ? groups.split(',') : [];
  return { user: name, groups: list.length > 0 ? list : [name] };
}

export function mountInfo(m: MountInfo, revealSecrets: boolean): MountInfo {
  const { path, ufsUri, readOnly, shared, options } = m;
  return { path, ufsUri, readOnly, shared, options: revealSecrets ? { ...options } : maskSecrets(options) };
}

/** Maps every failure to `{code, message}` with its status; unexpected ones are logged, not shown. */
export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const validation = (error as { validation?: unknown; statusCode?: number }).statusCode;
  const failure =
    validation !== undefined && validation >= 400 && validation < 500 && !(error instanceof TierfsError)
      ? new TierfsError('INVALID_ARGUMENT', (error as Error).message)
      : toTierfsError(error);
  if (failure.code === 'INTERNAL') request.log.error({ err: error }, 'request failed');
  else if (failure.status >= 500) {
    // The RPC ports keep no access log: a failure the server or its stores caused is logged here.
    request.log.warn({ url: request.url, code: failure.code, message: failure.message }, 'request failed');
  }
  reply.status(failure.status).send({ code: failure.code, message: failure.message });
}

/** Health, cluster, paths, mounts and workers: served on the RPC port and on the web port alike. */
export function namespaceRoutes(context: Omit<RouteContext, 'clusterToken' | 'workerJoined'>): RouteSpec[] {
  const { namespace, workers, caller } = context;
  const body = bodyOf;
  const query = queryOf;
  return [
    { method: 'GET', url: '/api/v1/health', handler: async () => ({ status: 'ok' }) },
    { method: 'GET', url: '/api/v1/cluster', handler: async () => context.info() },
    {
      method: 'GET',
      url: '/api/v1/paths/status',
      handler: async (request) => {
        const q = query(request);
        const sync = q.syncIntervalMs === undefined ? undefined : Number(q.syncIntervalMs);
        return namespace.getStatus(requiredString(q, 'path'), caller(request), { syncIntervalMs: sync });
      },
    },
    {
      method: 'GET',
      url: '/api/v1/paths/list',
      handler: async (request) => {
        const q = query(request);
        return namespace.listStatus(requiredString(q, 'path'), caller(request), {
          pageSize: q.pageSize === undefined ? undefined : Number(q.pageSize),
          continuationToken: field(q, 'continuationToken', 'string'),
        });
      },
    },
    {
      method: 'POST',
      url: '/api/v1/paths/mkdir',
      handler: async (request) => {
        const b = body(request);
        return namespace.mkdir(requiredString(b, 'path'), caller(request), {
          recursive: field(b, 'recursive', 'boolean'),
          allowExists: field(b, 'allowExists', 'boolean'),
        });
      },
    },
    {
      method: 'POST',
      url: '/api/v1/paths/delete',
      handler: async (request) => {
        const b = body(request);
        await namespace.delete(requiredString(b, 'path'), caller(request), {
          recursive: field(b, 'recursive', 'boolean'),
        });
        return {};
      },
    },
    {
      method: 'POST',
      url: '/api/v1/paths/rename',
      handler: async (request) => {
        const b = body(request);
        return namespace.rename(
          requiredString(b, 'source'),
          requiredString(b, 'destination'),
          caller(request),
        );
      },
    },
    {
      method: 'POST',
      url: '/api/v1/paths/set-attribute',
      handler: async (request) => {
        const b = body(request);
        await namespace.setAttribute(requiredString(b, 'path'), caller(request), {
          mode: field(b, 'mode', 'number'),
          owner: field(b, 'owner', 'string'),
          group: field(b, 'group', 'string'),
          recursive: field(b, 'recursive', 'boolean'),
        });
        return {};
      },
    },
    {
      method: 'POST',
      url: '/api/v1/paths/load-metadata',
      handler: async (request) => {
        const b = body(request);
        const loaded = await namespace.loadMetadata(requiredString(b, 'path'), caller(request), {
          recursive: field(b, 'recursive', 'boolean'),
        });
        return { loaded };
      },
    },
    {
      method: 'POST',
      url: '/api/v1/paths/free',
      handler: async (request) => ({
        freedFiles: await context.free(requiredString(body(request), 'path'), caller(request)),
      }),
    },
    {
      method: 'POST',
      url: '/api/v1/paths/persist',
      handler: async (request) => {
        await context.persist(requiredString(body(request), 'path'), caller(request));
        return {};
      },
    },
    {
      method: 'GET',
      url: '/api/v1/mounts',
      handler: async () => namespace.mounts.list().map((m) => mountInfo(m, false)),
    },
    {
      method: 'POST',
      url: '/api/v1/mounts',
      handler: async (request) => {
        const b = body(request);
        const options = b.options ?? {};
        if (typeof options !== 'object' || Object.values(options).some((v) => typeof v !== 'string')) {
          throw new TierfsError('INVALID_ARGUMENT', "'options' must map keys to string values");
        }
        const path = requiredString(b, 'path');
        await namespace.mount(path, requiredString(b, 'ufsUri'), caller(request), {
          readOnly: field(b, 'readOnly', 'boolean'),
          shared: field(b, 'shared', 'boolean'),
          options: options as Record<string, string>,
        });
        return mountInfo(namespace.mounts.get(namespace.resolve(path).mount.path)!, false);
      },
    },
    {
      method: 'POST',
      url: '/api/v1/mounts/remove',
      handler: async (request) => {
        await namespace.unmount(requiredString(body(request), 'path'), caller(request));
        return {};
      },
    },
    { method: 'GET', url: '/api/v1/workers', handler: async () => workers.list() },
  ];
}

/** The RPC port: the shared routes, the client's write protocol and the workers' endpoints. */
export function registerMasterRoutes(app: FastifyInstance, context: RouteContext): void {
  const { namespace, workers, caller } = context;
  const body = bodyOf;
  const requireClusterToken = (request: FastifyRequest) => {
    if (request.headers[CLUSTER_TOKEN_HEADER] !== context.clusterToken) {
      throw new TierfsError(
        'PERMISSION_DENIED',
        'this endpoint is for tierfs workers (bad or missing cluster token)',
      );
    }
  };

  app.setErrorHandler(sendError);
  registerRoutes(app, namespaceRoutes(context));

  app.post('/api/v1/paths/create-file', async (request) => {
    const b = body(request) as Body & Partial<CreateFileRequest>;
    return namespace.createFile(requiredString(b, 'path'), caller(request), {
      overwrite: field(b, 'overwrite', 'boolean'),
      recursive: field(b, 'recursive', 'boolean'),
      mode: field(b, 'mode', 'number'),
      writeType: writeTypeOf(b.writeType),
    });
  });

  app.post('/api/v1/paths/complete-file', async (request) => {
    const b = body(request) as Body & Partial<CompleteFileRequest>;
    return namespace.completeFile(requiredString(b, 'path'), {
      contentId: requiredString(b, 'contentId'),
      size: field(b, 'size', 'number', true)!,
      ufsFingerprint: field(b, 'ufsFingerprint', 'string'),
      workerId: field(b, 'workerId', 'string'),
    });
  });

  app.post('/api/v1/paths/abort-file', async (request) => {
    const b = body(request);
    await namespace.abortFile(requiredString(b, 'path'), requiredString(b, 'contentId'));
    return {};
  });

  app.post('/api/v1/workers/heartbeat', async (request): Promise<HeartbeatResponse> => {
    requireClusterToken(request);
    const b = body(request) as Body & Partial<HeartbeatRequest>;
    const tiers = Array.isArray(b.tiers) ? (b.tiers as HeartbeatRequest['tiers']) : [];
    const joined = workers.heartbeat({
      id: requiredString(b, 'id'),
      address: requiredString(b, 'address'),
      startedMs: field(b, 'startedMs', 'number', true)!,
      tiers,
    });
    if (joined) context.workerJoined();
    return { leaseMs: workers.leaseMs };
  });

  app.post('/api/v1/workers/leave', async (request) => {
    requireClusterToken(request);
    workers.remove(requiredString(body(request), 'id'));
    return {};
  });

  /** Mounts with their options unmasked: workers need the credentials to reach the under stores. */
  app.get('/api/v1/internal/mounts', async (request) => {
    requireClusterToken(request);
    return namespace.mounts.list().map((m) => mountInfo(m, true));
  });
}
