/**
 * The master's API on its RPC port: `/api/v1/...`, JSON in and out. Paths are namespace paths;
 * who the caller is comes from authenticator.ts, which has run before any route.
 *
 * The namespace, mount and membership routes are plain route specs (`namespaceRoutes`), so the
 * admin REST API on the web port (rest-routes.ts) serves the very same handlers.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { presentsSecret } from '../cluster/auth.js';
import type { CapabilitySigner, WriteCapability } from '../cluster/capability.js';
import { parseWriteType } from '../cluster/io-types.js';
import { sendError } from '../cluster/rpc.js';
import type {
  ClusterInfo,
  CompleteFileRequest,
  CreateFileRequest,
  CreateFileResponse,
  FileStatus,
  HeartbeatRequest,
  HeartbeatResponse,
  MountInfo,
  OpenFileResponse,
} from '../cluster/wire.js';
import { maskSecrets } from '../config/configuration.js';
import { TierfsError } from '../errors.js';
import type { Namespace } from '../namespace/namespace.js';
import type { Caller } from '../namespace/permissions.js';
import { isTemporaryPath } from '../ufs/temporary.js';
import type { CapabilityIssuer } from './capability-issuer.js';
import { wireList, wireStatus } from './wire-status.js';
import type { WorkerRegistry } from './worker-registry.js';

export interface RouteContext {
  readonly namespace: Namespace;
  readonly workers: WorkerRegistry;
  readonly clusterToken: string;
  /** Signs what opens and creates allow at the workers. */
  readonly capabilities: CapabilityIssuer;
  /** Checks the write capabilities that complete and abort a file. */
  readonly signer: CapabilitySigner;
  readonly info: () => ClusterInfo;
  /** Who a request acts as (authenticator.ts). */
  readonly caller: (request: FastifyRequest) => Caller;
  /** Drops cached pages of everything under a path on every live worker. */
  readonly free: (path: string, caller: Caller) => Promise<number>;
  /** Queues persistence of a file written with a non-persisting write type. */
  readonly persist: (path: string, caller: Caller) => Promise<void>;
  /** Bytes of each file held in the live workers' caches. */
  readonly cachedBytes: (files: readonly Pick<FileStatus, 'contentId' | 'size'>[]) => Promise<number[]>;
  /** A worker joined, restarted or came back: the work waiting for it can run now. */
  readonly workerJoined: () => void;
  /** Of these content ids, those a worker must keep staged. */
  readonly neededStagedContent: (contentIds: readonly string[]) => Promise<string[]>;
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

export function mountInfo(m: MountInfo, revealSecrets: boolean): MountInfo {
  const { path, ufsUri, readOnly, shared, options } = m;
  return { path, ufsUri, readOnly, shared, options: revealSecrets ? { ...options } : maskSecrets(options) };
}

/** Health, cluster, paths, mounts and workers: served on the RPC port and on the web port alike. */
export function namespaceRoutes(
  context: Pick<
    RouteContext,
    'namespace' | 'workers' | 'info' | 'caller' | 'free' | 'persist' | 'cachedBytes'
  >,
): RouteSpec[] {
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
        const status = wireStatus(
          await namespace.getStatus(requiredString(q, 'path'), caller(request), { syncIntervalMs: sync }),
        );
        if (q.cached !== 'true' || status.isDirectory) return status;
        const [cachedBytes] = await context.cachedBytes([status]);
        return { ...status, cachedBytes: cachedBytes ?? 0 };
      },
    },
    {
      method: 'GET',
      url: '/api/v1/paths/list',
      handler: async (request) => {
        const q = query(request);
        const list = wireList(
          await namespace.listStatus(requiredString(q, 'path'), caller(request), {
            pageSize: q.pageSize === undefined ? undefined : Number(q.pageSize),
            continuationToken: field(q, 'continuationToken', 'string'),
          }),
        );
        if (q.cached !== 'true') return list;
        // `cached=true`: each file with the bytes of it the workers hold (`fs ls`'s in-cache column).
        const cached = await context.cachedBytes(list.entries.filter((e) => !e.isDirectory));
        let next = 0;
        const entries = list.entries.map((e) =>
          e.isDirectory ? e : { ...e, cachedBytes: cached[next++] ?? 0 },
        );
        return { ...list, entries };
      },
    },
    {
      method: 'POST',
      url: '/api/v1/paths/mkdir',
      handler: async (request) => {
        const b = body(request);
        return wireStatus(
          await namespace.mkdir(requiredString(b, 'path'), caller(request), {
            recursive: field(b, 'recursive', 'boolean'),
            allowExists: field(b, 'allowExists', 'boolean'),
          }),
        );
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
        return wireStatus(
          await namespace.rename(
            requiredString(b, 'source'),
            requiredString(b, 'destination'),
            caller(request),
          ),
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
          mtimeMs: field(b, 'mtimeMs', 'number'),
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

/** The RPC port: the shared routes, the client's read and write protocol and the workers' endpoints. */
export function registerMasterRoutes(app: FastifyInstance, context: RouteContext): void {
  const { namespace, workers, caller, capabilities, signer } = context;
  const body = bodyOf;
  const requireClusterSecret = (request: FastifyRequest) => {
    if (!presentsSecret(request.headers.authorization, context.clusterToken)) {
      throw new TierfsError(
        'PERMISSION_DENIED',
        'this endpoint is for tierfs daemons (they present the cluster secret)',
      );
    }
  };
  /** The write capability a complete or abort presents, which must be the caller's own. */
  const writeCapability = (request: FastifyRequest): WriteCapability => {
    const capability = signer.verify(field(body(request), 'capability', 'string'));
    if (capability.access !== 'write') {
      throw new TierfsError(
        'PERMISSION_DENIED',
        `the capability for ${capability.path} is not a write capability`,
      );
    }
    if (capability.user !== caller(request).user) {
      throw new TierfsError('PERMISSION_DENIED', `${capability.path} is being written by another user`);
    }
    return capability;
  };

  app.setErrorHandler(sendError);
  registerRoutes(app, namespaceRoutes(context));

  app.post('/api/v1/paths/open', async (request): Promise<OpenFileResponse> => {
    const b = body(request);
    const who = caller(request);
    const sync = field(b, 'syncIntervalMs', 'number');
    const status = await namespace.openFile(requiredString(b, 'path'), who, { syncIntervalMs: sync });
    const expected = field(b, 'contentId', 'string');
    if (expected !== undefined && expected !== status.contentId) {
      throw new TierfsError(
        'STALE',
        `${status.path} has changed since its status was read (content ${expected})`,
        {
          details: { path: status.path, expected, found: status.contentId },
        },
      );
    }
    return { status: wireStatus(status), capability: capabilities.read(status, who) };
  });

  app.post('/api/v1/paths/create-file', async (request): Promise<CreateFileResponse> => {
    const b = body(request) as Body & Partial<CreateFileRequest>;
    const who = caller(request);
    const writeType = parseWriteType(b.writeType ?? 'CACHE_THROUGH');
    const status = await namespace.createFile(requiredString(b, 'path'), who, {
      overwrite: field(b, 'overwrite', 'boolean'),
      recursive: field(b, 'recursive', 'boolean'),
      mode: field(b, 'mode', 'number'),
      writeType,
    });
    return { status: wireStatus(status), capability: capabilities.write(status, writeType, who) };
  });

  app.post('/api/v1/paths/complete-file', async (request) => {
    const capability = writeCapability(request);
    const receipt = signer.verifyReceipt(
      field(body(request) as Body & Partial<CompleteFileRequest>, 'receipt', 'string'),
    );
    if (receipt.contentId !== capability.contentId) {
      throw new TierfsError(
        'PERMISSION_DENIED',
        `the receipt is for another write than ${capability.path}'s`,
      );
    }
    return wireStatus(
      await namespace.completeFile(capability.path, {
        contentId: capability.contentId,
        size: receipt.size,
        workerId: receipt.workerId,
        ...(receipt.ufsFingerprint === undefined ? {} : { ufsFingerprint: receipt.ufsFingerprint }),
        ...(isTemporaryPath(capability.ufsPath) ? { temporaryPath: capability.ufsPath } : {}),
      }),
    );
  });

  app.post('/api/v1/paths/abort-file', async (request) => {
    const capability = writeCapability(request);
    await namespace.abortFile(
      capability.path,
      capability.contentId,
      isTemporaryPath(capability.ufsPath) ? capability.ufsPath : undefined,
    );
    return {};
  });

  app.post('/api/v1/workers/heartbeat', async (request): Promise<HeartbeatResponse> => {
    requireClusterSecret(request);
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
    requireClusterSecret(request);
    workers.remove(requiredString(body(request), 'id'));
    return {};
  });

  /** Which staged copies a worker still needs (the others it removes: leftovers of replaced files). */
  app.post('/api/v1/internal/staging/needed', async (request) => {
    requireClusterSecret(request);
    const ids = (body(request) as { contentIds?: unknown }).contentIds;
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
      throw new TierfsError('INVALID_ARGUMENT', "'contentIds' must be a list of strings");
    }
    return { needed: await context.neededStagedContent(ids as string[]) };
  });

  /** Mounts with their options unmasked: workers need the credentials to reach the under stores. */
  app.get('/api/v1/internal/mounts', async (request) => {
    requireClusterSecret(request);
    return namespace.mounts.list().map((m) => mountInfo(m, true));
  });
}
