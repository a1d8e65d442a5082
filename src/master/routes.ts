/**
 * The master's API on its RPC port: `/api/v1/...`, JSON in and out. Paths are namespace paths;
 * who the caller is comes from authenticator.ts, which has run before any route.
 *
 * The namespace, mount and membership routes are plain route specs (`namespaceRoutes`), so the
 * admin REST API on the web port (rest-routes.ts) serves the very same handlers.
 */
import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
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
  ListResult,
  MountInfo,
  OpenFileResponse,
  OpenListResult,
} from '../cluster/wire.js';
import { CONTINUATION_HEADER, LS_PAGE_CONTENT_TYPE, PAGE_CAPABILITY_FILES } from '../cluster/wire.js';
import { maskSecrets } from '../config/configuration.js';
import { TierfsError } from '../errors.js';
import type { Namespace } from '../namespace/namespace.js';
import { normalizeNamespacePath } from '../namespace/path.js';
import type { Caller } from '../namespace/permissions.js';
import { isTemporaryPath } from '../ufs/temporary.js';
import { operation, schemas } from './api-schemas.js';
import type { CapabilityIssuer } from './capability-issuer.js';
import { lsPageText, openListText, openRowsText, wireList, wireStatus } from './wire-status.js';
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
  /** The mount table changed: the workers open the new mounts' stores (see Services.mountsChanged). */
  readonly mountsChanged: () => void;
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
  /** Request and answer schemas (api-schemas.ts): fastify validates and serializes with them. */
  readonly schema: FastifySchema;
  readonly handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}

/**
 * Sends the answer's status line and headers now and its body once `body` has made it: a client
 * that reads the head (the continuation token of a listing page) asks for its next call while this
 * one's body is still being made (a page's cached bytes, asked of the workers). The answer is a
 * stream through fastify (its onSend hooks, the web port's security headers among them, see it)
 * whose first byte, a space JSON allows before a value, takes the head out at once. `body` must not
 * fail: the answer is a 200 once its head is out (a failure cuts the connection off).
 */
function sendHeadFirst(reply: FastifyReply, body: () => Promise<string>): FastifyReply {
  const out = new PassThrough();
  out.write(' ');
  body().then(
    (text) => out.end(text),
    (error: Error) => out.destroy(error),
  );
  return reply.send(out);
}

/** The request's body, query string and path parameters, as their schemas let them through. */
export const bodyOf = <T = Body>(request: FastifyRequest): T => (request.body ?? {}) as T;
export const queryOf = <T = Body>(request: FastifyRequest): T => (request.query ?? {}) as T;

export function registerRoutes(app: FastifyInstance, routes: readonly RouteSpec[]): void {
  for (const route of routes) {
    app.route({ method: route.method, url: route.url, schema: route.schema, handler: route.handler });
  }
}

export function mountInfo(m: MountInfo, revealSecrets: boolean): MountInfo {
  const { path, ufsUri, readOnly, shared, options } = m;
  return { path, ufsUri, readOnly, shared, options: revealSecrets ? { ...options } : maskSecrets(options) };
}

/** Changes whenever a mount is added, removed or changed (its store, options or read-only flag). */
export function mountTableDigest(mounts: readonly MountInfo[]): string {
  const table = mounts.map((m) => [m.path, m.ufsUri, m.readOnly, m.options]);
  return createHash('sha256').update(JSON.stringify(table)).digest('base64url').slice(0, 22);
}

const { ref, str, int, bool, object, path: pathSchema, empty } = schemas;
const PATH_ONLY = object({ path: pathSchema() }, ['path']);
const RECURSIVE = bool('Into subdirectories.');

interface PathQuery {
  readonly path: string;
  readonly syncIntervalMs?: number;
  readonly cached?: boolean;
  readonly pageSize?: number;
  readonly continuationToken?: string;
  readonly view?: 'ls';
}

/** Health, cluster, paths, mounts and workers: served on the RPC port and on the web port alike. */
export function namespaceRoutes(
  context: Pick<
    RouteContext,
    'namespace' | 'workers' | 'info' | 'caller' | 'free' | 'persist' | 'cachedBytes' | 'mountsChanged'
  >,
): RouteSpec[] {
  const { namespace, workers, caller } = context;
  const CACHED = bool("Add each file's `cachedBytes` (the bytes of it the workers hold).");
  return [
    {
      method: 'GET',
      url: '/api/v1/health',
      schema: operation({
        operationId: 'getHealth',
        tags: ['cluster'],
        summary: 'Liveness: {status: "ok"}.',
        response: object({ status: { type: 'string', enum: ['ok'] } }, ['status']),
      }),
      handler: async () => ({ status: 'ok' }),
    },
    {
      method: 'GET',
      url: '/api/v1/cluster',
      schema: operation({
        operationId: 'getCluster',
        tags: ['cluster'],
        summary: 'Version, start time, addresses and workers.',
        response: ref('ClusterInfo'),
      }),
      handler: async () => context.info(),
    },
    {
      method: 'GET',
      url: '/api/v1/paths/status',
      schema: operation({
        operationId: 'getPathStatus',
        tags: ['paths'],
        summary: 'Status of a file or directory.',
        querystring: object(
          {
            path: pathSchema(),
            syncIntervalMs: int('Sync with the under store when the entry is older than this (ms).'),
            cached: CACHED,
          },
          ['path'],
        ),
        response: ref('FileStatus'),
      }),
      handler: async (request) => {
        const q = queryOf<PathQuery>(request);
        const status = wireStatus(
          await namespace.getStatus(q.path, caller(request), { syncIntervalMs: q.syncIntervalMs }),
        );
        if (q.cached !== true || status.isDirectory) return status;
        const [cachedBytes] = await context.cachedBytes([status]);
        return { ...status, cachedBytes: cachedBytes ?? 0 };
      },
    },
    {
      method: 'GET',
      url: '/api/v1/paths/list',
      schema: operation({
        operationId: 'listDirectory',
        tags: ['paths'],
        summary: 'One page of a directory.',
        querystring: object(
          {
            path: pathSchema(),
            pageSize: { ...int('Entries in the page.'), minimum: 1 },
            continuationToken: str('From the previous page.'),
            cached: CACHED,
            view: {
              type: 'string',
              enum: ['ls'],
              description:
                "`ls`: the page as `tierfs fs ls` prints it, `{dir, rows, continuationToken?}` (one array per entry: name, flags (1 directory, 2 mount point), mode, owner, group, size, persistence, mtimeMs, cachedBytes or null, and a mount point's ufsUri), content type `application/vnd.tierfs.ls-page+json`.",
            },
          },
          ['path'],
        ),
        response: ref('ListResult'),
      }),
      handler: async (request, reply) => {
        const q = queryOf<PathQuery>(request);
        const listed = await namespace.listStatus(q.path, caller(request), {
          pageSize: q.pageSize,
          continuationToken: q.continuationToken,
        });
        if (listed.continuationToken !== undefined)
          reply.header(CONTINUATION_HEADER, listed.continuationToken);
        if (q.view === 'ls') {
          // Built and serialised here (a string with its own content type passes fastify's
          // serializer by): no FileStatus object per entry, a tenth of the bytes.
          const dir = normalizeNamespacePath(q.path);
          reply.header('content-type', `${LS_PAGE_CONTENT_TYPE}; charset=utf-8`);
          if (q.cached !== true) return lsPageText(dir, listed);
          return sendHeadFirst(reply, async () => {
            const files = listed.entries.filter((e) => !e.isDirectory);
            return lsPageText(dir, listed, await context.cachedBytes(files));
          });
        }
        const list = wireList(listed);
        if (q.cached !== true) return list;
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
      schema: operation({
        operationId: 'createDirectory',
        tags: ['paths'],
        summary: 'Creates a directory.',
        body: object(
          {
            path: pathSchema(),
            recursive: bool('Create missing parents too.'),
            allowExists: bool('Succeed when the directory exists.'),
          },
          ['path'],
        ),
        response: ref('FileStatus'),
      }),
      handler: async (request) => {
        const b = bodyOf<{ path: string; recursive?: boolean; allowExists?: boolean }>(request);
        return wireStatus(
          await namespace.mkdir(b.path, caller(request), {
            recursive: b.recursive,
            allowExists: b.allowExists,
          }),
        );
      },
    },
    {
      method: 'POST',
      url: '/api/v1/paths/delete',
      schema: operation({
        operationId: 'deletePath',
        tags: ['paths'],
        summary: 'Deletes a file or directory.',
        body: object({ path: pathSchema(), recursive: RECURSIVE }, ['path']),
        response: empty(),
      }),
      handler: async (request) => {
        const b = bodyOf<{ path: string; recursive?: boolean }>(request);
        await namespace.delete(b.path, caller(request), { recursive: b.recursive });
        return {};
      },
    },
    {
      method: 'POST',
      url: '/api/v1/paths/rename',
      schema: operation({
        operationId: 'renamePath',
        tags: ['paths'],
        summary: 'Renames a file or directory within a mount.',
        body: object({ source: pathSchema(), destination: pathSchema() }, ['source', 'destination']),
        response: ref('FileStatus'),
      }),
      handler: async (request) => {
        const b = bodyOf<{ source: string; destination: string }>(request);
        return wireStatus(await namespace.rename(b.source, b.destination, caller(request)));
      },
    },
    {
      method: 'POST',
      url: '/api/v1/paths/set-attribute',
      schema: operation({
        operationId: 'setAttribute',
        tags: ['paths'],
        summary: 'chmod, chown, chgrp, and the modification time.',
        body: object(
          {
            path: pathSchema(),
            mode: { ...int('POSIX permission bits, e.g. 420 for 0644.'), minimum: 0, maximum: 0o7777 },
            owner: str(),
            group: str(),
            mtimeMs: { type: 'number', description: 'Modification time, ms since the epoch.' },
            recursive: RECURSIVE,
          },
          ['path'],
        ),
        response: empty(),
      }),
      handler: async (request) => {
        const { path, ...change } = bodyOf<{
          path: string;
          mode?: number;
          owner?: string;
          group?: string;
          mtimeMs?: number;
          recursive?: boolean;
        }>(request);
        await namespace.setAttribute(path, caller(request), change);
        return {};
      },
    },
    {
      method: 'POST',
      url: '/api/v1/paths/load-metadata',
      schema: operation({
        operationId: 'loadMetadata',
        tags: ['paths'],
        summary: 'Loads metadata from the under store.',
        body: object({ path: pathSchema(), recursive: RECURSIVE }, ['path']),
        response: object({ loaded: int('Entries loaded.') }, ['loaded']),
      }),
      handler: async (request) => {
        const b = bodyOf<{ path: string; recursive?: boolean }>(request);
        return { loaded: await namespace.loadMetadata(b.path, caller(request), { recursive: b.recursive }) };
      },
    },
    {
      method: 'POST',
      url: '/api/v1/paths/free',
      schema: operation({
        operationId: 'freePath',
        tags: ['paths'],
        summary: 'Drops cached pages of everything under a path.',
        body: PATH_ONLY,
        response: object({ freedFiles: int() }, ['freedFiles']),
      }),
      handler: async (request) => ({
        freedFiles: await context.free(bodyOf<{ path: string }>(request).path, caller(request)),
      }),
    },
    {
      method: 'POST',
      url: '/api/v1/paths/persist',
      schema: operation({
        operationId: 'persistFile',
        tags: ['paths'],
        summary: 'Queues persistence of a file written with a non-persisting write type.',
        body: PATH_ONLY,
        response: empty(),
      }),
      handler: async (request) => {
        await context.persist(bodyOf<{ path: string }>(request).path, caller(request));
        return {};
      },
    },
    {
      method: 'GET',
      url: '/api/v1/mounts',
      schema: operation({
        operationId: 'listMounts',
        tags: ['mounts'],
        summary: 'The mount table, options with secrets masked.',
        response: { type: 'array', items: ref('MountInfo') },
      }),
      handler: async () => namespace.mounts.list().map((m) => mountInfo(m, false)),
    },
    {
      method: 'POST',
      url: '/api/v1/mounts',
      schema: operation({
        operationId: 'mount',
        tags: ['mounts'],
        summary: 'Mounts an under store at a namespace path.',
        body: object(
          {
            path: pathSchema(),
            ufsUri: str('s3://bucket/prefix, oss://..., kodo://..., or a local directory.'),
            readOnly: bool(),
            shared: bool(),
            options: {
              type: 'object',
              description: 'Mount options (e.g. credentials), keys to string values.',
              additionalProperties: { type: 'string' },
            },
          },
          ['path', 'ufsUri'],
        ),
        response: ref('MountInfo'),
      }),
      handler: async (request) => {
        const b = bodyOf<{
          path: string;
          ufsUri: string;
          readOnly?: boolean;
          shared?: boolean;
          options?: Record<string, string>;
        }>(request);
        await namespace.mount(b.path, b.ufsUri, caller(request), {
          readOnly: b.readOnly,
          shared: b.shared,
          options: b.options ?? {},
        });
        context.mountsChanged();
        return mountInfo(namespace.mounts.get(namespace.resolve(b.path).mount.path)!, false);
      },
    },
    {
      method: 'POST',
      url: '/api/v1/mounts/remove',
      schema: operation({
        operationId: 'unmount',
        tags: ['mounts'],
        summary: 'Unmounts a mount point.',
        body: PATH_ONLY,
        response: empty(),
      }),
      handler: async (request) => {
        await namespace.unmount(bodyOf<{ path: string }>(request).path, caller(request));
        context.mountsChanged();
        return {};
      },
    },
    {
      method: 'GET',
      url: '/api/v1/workers',
      schema: operation({
        operationId: 'listWorkers',
        tags: ['cluster'],
        summary: 'Workers with their tiers and state (LIVE or LOST).',
        response: { type: 'array', items: ref('WorkerInfo') },
      }),
      handler: async () => workers.list(),
    },
  ];
}

/** The RPC port: the shared routes, the client's read and write protocol and the workers' endpoints. */
export function registerMasterRoutes(app: FastifyInstance, context: RouteContext): void {
  const { namespace, workers, caller, capabilities, signer } = context;
  /** Runs before validation: a caller without the secret learns nothing about the request's shape. */
  const requireClusterSecret = async (request: FastifyRequest) => {
    if (!presentsSecret(request.headers.authorization, context.clusterToken)) {
      throw new TierfsError(
        'PERMISSION_DENIED',
        'this endpoint is for tierfs daemons (they present the cluster secret)',
      );
    }
  };
  /** The write capability a complete or abort presents, which must be the caller's own. */
  const writeCapability = (request: FastifyRequest): WriteCapability => {
    const capability = signer.verify(bodyOf<{ capability: string }>(request).capability);
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
  const capabilityAnswer = object({ status: ref('FileStatus'), capability: str() }, ['status', 'capability']);
  const CAPABILITY = str('The write capability create-file answered.');

  app.setErrorHandler(sendError);
  registerRoutes(app, namespaceRoutes(context));

  app.post(
    '/api/v1/paths/open',
    {
      schema: operation({
        operationId: 'openFile',
        tags: ['io'],
        summary: 'Opens a file: its status and the capability its workers serve it for.',
        body: object(
          {
            path: pathSchema(),
            syncIntervalMs: int(),
            contentId: str('Fail with STALE unless the file still has this content.'),
          },
          ['path'],
        ),
        response: capabilityAnswer,
      }),
    },
    async (request): Promise<OpenFileResponse> => {
      const b = bodyOf<{ path: string; syncIntervalMs?: number; contentId?: string }>(request);
      const who = caller(request);
      const status = await namespace.openFile(b.path, who, { syncIntervalMs: b.syncIntervalMs });
      const expected = b.contentId;
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
    },
  );

  // A directory page and the read capability of each file: a client reading a whole directory
  // (copyToLocal, the bench's small files) asks once per page instead of once per file.
  app.post(
    '/api/v1/paths/open-list',
    {
      schema: operation({
        operationId: 'openDirectoryPage',
        tags: ['io'],
        summary: 'One page of a directory with a read capability for each file the caller may read.',
        body: object(
          {
            path: pathSchema(),
            pageSize: { ...int('Entries in the page.'), minimum: 1 },
            continuationToken: str('From the previous page.'),
            pageCapability: bool(
              `Answer the read capabilities in page capabilities of ${PAGE_CAPABILITY_FILES} entries each (pageCapabilities), not one per entry.`,
            ),
            view: {
              type: 'string',
              enum: ['rows'],
              description:
                "`rows`: the statuses as arrays, `{dir, mountPath, ufsBase, rows, continuationToken?, capabilities, pageCapabilities?, unreadable?}`, one row per entry: name, flags (1 directory, 2 mount point), size, mtimeMs, owner, group, mode, persistence, state, syncedAtMs, contentId, ufsFingerprint or null, ufsUri or null (then ufsBase + name), mountPath or null (then the page's).",
            },
          },
          ['path'],
        ),
        response: object(
          {
            entries: { type: 'array', items: ref('FileStatus') },
            continuationToken: str(),
            capabilities: {
              type: 'array',
              description:
                "Each entry's read capability, null where the caller may not read it (empty with pageCapability).",
              items: { type: ['string', 'null'] },
            },
            pageCapabilities: {
              type: 'array',
              description: `With pageCapability: entry i's read capability is index i % ${PAGE_CAPABILITY_FILES} of token i / ${PAGE_CAPABILITY_FILES}.`,
              items: str(),
            },
            unreadable: {
              type: 'array',
              description:
                'With pageCapability: the indices of the files the page capabilities grant no read of (the caller may not read them).',
              items: int(),
            },
          },
          ['entries', 'capabilities'],
        ),
      }),
    },
    async (request, reply): Promise<string> => {
      const b = bodyOf<{
        path: string;
        pageSize?: number;
        continuationToken?: string;
        pageCapability?: boolean;
        view?: 'rows';
      }>(request);
      const who = caller(request);
      const answer = (extra: Omit<OpenListResult, keyof ListResult>): string =>
        b.view === 'rows'
          ? openRowsText(normalizeNamespacePath(b.path), page, extra)
          : openListText(page, extra);
      const page = await namespace.listStatus(b.path, who, {
        pageSize: b.pageSize,
        continuationToken: b.continuationToken,
      });
      // The next page may be asked for as soon as this one's head arrives (as GET /paths/list's).
      if (page.continuationToken !== undefined) reply.header(CONTINUATION_HEADER, page.continuationToken);
      // Serialised here (openListText): the same JSON, without fastify's schema walk per status.
      reply.header('content-type', 'application/json; charset=utf-8');
      const now = Date.now();
      if (b.pageCapability === true) {
        const unreadable: number[] = [];
        const granted = new Set(
          page.entries.filter((e, i) => {
            if (e.isDirectory || namespace.mayRead(e, who)) return true;
            unreadable.push(i);
            return false;
          }),
        );
        return answer({
          capabilities: [],
          pageCapabilities: capabilities.readPage(
            page.entries,
            (e) => granted.has(e),
            who,
            PAGE_CAPABILITY_FILES,
            now,
          ),
          unreadable,
        });
      }
      return answer({
        capabilities: page.entries.map((e) =>
          namespace.mayRead(e, who) ? capabilities.read(e, who, now) : null,
        ),
      });
    },
  );

  app.post(
    '/api/v1/paths/create-file',
    {
      schema: operation({
        operationId: 'createFile',
        tags: ['io'],
        summary: 'Creates an incomplete file: its status and the capability to write it at a worker.',
        body: object(
          {
            path: pathSchema(),
            overwrite: bool(),
            recursive: bool('Create missing parents.'),
            mode: { ...int('POSIX permission bits.'), minimum: 0 },
            writeType: schemas.writeType(),
          },
          ['path'],
        ),
        response: capabilityAnswer,
      }),
    },
    async (request): Promise<CreateFileResponse> => {
      const { path, writeType: requested, ...options } = bodyOf<CreateFileRequest>(request);
      const who = caller(request);
      const writeType = parseWriteType(requested ?? 'CACHE_THROUGH');
      const status = await namespace.createFile(path, who, { ...options, writeType });
      return { status: wireStatus(status), capability: capabilities.write(status, writeType, who) };
    },
  );

  app.post(
    '/api/v1/paths/complete-file',
    {
      schema: operation({
        operationId: 'completeFile',
        tags: ['io'],
        summary: "Completes a written file with the worker's signed receipt.",
        body: object({ capability: CAPABILITY, receipt: str("The worker's signed receipt.") }, [
          'capability',
          'receipt',
        ]),
        response: ref('FileStatus'),
      }),
    },
    async (request) => {
      const capability = writeCapability(request);
      const receipt = signer.verifyReceipt(bodyOf<CompleteFileRequest>(request).receipt);
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
          ...(receipt.pendingUpload === undefined ? {} : { pendingUpload: receipt.pendingUpload }),
        }),
      );
    },
  );

  app.post(
    '/api/v1/paths/abort-file',
    {
      schema: operation({
        operationId: 'abortFile',
        tags: ['io'],
        summary: 'Abandons an incomplete file.',
        body: object({ capability: CAPABILITY }, ['capability']),
        response: empty(),
      }),
    },
    async (request) => {
      const capability = writeCapability(request);
      await namespace.abortFile(
        capability.path,
        capability.contentId,
        isTemporaryPath(capability.ufsPath) ? capability.ufsPath : undefined,
      );
      return {};
    },
  );

  app.post(
    '/api/v1/workers/heartbeat',
    {
      preValidation: requireClusterSecret,
      schema: operation({
        operationId: 'workerHeartbeat',
        tags: ['internal'],
        summary: 'A worker joins or renews its lease (the cluster secret only).',
        body: object(
          {
            id: str(),
            address: str(),
            startedMs: { type: 'number' },
            tiers: { type: 'array', items: ref('TierUsage') },
          },
          ['id', 'address', 'startedMs'],
        ),
        response: object(
          {
            leaseMs: int('The worker is lost when no heartbeat arrives for this long.'),
            mountTable: str(
              'A digest of the mount table: a new one tells the worker to open the new mounts.',
            ),
          },
          ['leaseMs'],
        ),
      }),
    },
    async (request): Promise<HeartbeatResponse> => {
      const b = bodyOf<HeartbeatRequest>(request);
      const joined = await workers.heartbeat({
        id: b.id,
        address: b.address,
        startedMs: b.startedMs,
        tiers: b.tiers ?? [],
      });
      if (joined) context.workerJoined();
      return { leaseMs: workers.leaseMs, mountTable: mountTableDigest(namespace.mounts.list()) };
    },
  );

  app.post(
    '/api/v1/workers/leave',
    {
      preValidation: requireClusterSecret,
      schema: operation({
        operationId: 'workerLeave',
        tags: ['internal'],
        summary: 'A worker leaves the cluster (the cluster secret only).',
        body: object({ id: str() }, ['id']),
        response: empty(),
      }),
    },
    async (request) => {
      await workers.remove(bodyOf<{ id: string }>(request).id);
      return {};
    },
  );

  /** Which staged copies a worker still needs (the others it removes: leftovers of replaced files). */
  app.post(
    '/api/v1/internal/staging/needed',
    {
      preValidation: requireClusterSecret,
      schema: operation({
        operationId: 'neededStagedContent',
        tags: ['internal'],
        summary: 'Of these content ids, those a worker must keep staged (the cluster secret only).',
        body: object({ contentIds: schemas.strings() }, ['contentIds']),
        response: object({ needed: schemas.strings() }, ['needed']),
      }),
    },
    async (request) => ({
      needed: await context.neededStagedContent(bodyOf<{ contentIds: string[] }>(request).contentIds),
    }),
  );

  /** Mounts with their options unmasked: workers need the credentials to reach the under stores. */
  app.get(
    '/api/v1/internal/mounts',
    {
      preValidation: requireClusterSecret,
      schema: operation({
        operationId: 'listMountsWithSecrets',
        tags: ['internal'],
        summary: 'The mount table with secrets (the cluster secret only).',
        response: { type: 'array', items: ref('MountInfo') },
      }),
    },
    async () => namespace.mounts.list().map((m) => mountInfo(m, true)),
  );
}
