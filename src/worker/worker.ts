/**
 * The worker process: the page cache, reads and writes of file data against the under stores,
 * persistence of ASYNC_THROUGH files, and a heartbeat that keeps it in the master's membership.
 *
 * Data API (port 29999):
 *   GET  /data?contentId&offset&length&readType   (a read capability: see cluster/capability.ts)
 *   PUT  /data?contentId                          (a write capability; body: the file)
 *   POST /data/short-circuit?contentId&offset&length  (a read capability; a local client's page files)
 *   POST /data/short-circuit/close?contentId&lease     (unpins them)
 *   POST /data/batch                              (many small reads; short-circuit for a local client: cluster/batch-read.ts)
 *   POST /data/short-circuit/release              (unpins the pages of short-circuit batches)
 *   POST /internal/persist | /internal/persisted | /internal/free | /internal/cached | /internal/mounts-changed
 *   GET  /internal/stats | /internal/configuration | /internal/log   (the cluster secret as bearer token)
 *   GET  /metrics                                 (Prometheus text)
 *
 * The data endpoints believe nothing the request says beyond its capability: which file, which
 * mount, which version, how big and with which write type all come from what the master signed.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import { PageStore } from '../cache/page-store.js';
import { clusterHeaders, presentsSecret } from '../cluster/auth.js';
import { CapabilitySigner } from '../cluster/capability.js';
import { configurationListing, readLogTail } from '../cluster/component-info.js';
import { Masters, mastersOptionsOf } from '../cluster/masters.js';
import { PROMETHEUS_CONTENT_TYPE } from '../cluster/metrics.js';
import { addErrorSchema, operation, schemas, VALIDATION_OPTIONS } from '../cluster/route-schemas.js';
import { sendError } from '../cluster/rpc.js';
import type {
  CachedRequest,
  CachedResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  PersistRequest,
  TierUsage,
} from '../cluster/wire.js';
import type { Configuration } from '../config/configuration.js';
import {
  WORKER_BIND_HOST,
  WORKER_HEARTBEAT_INTERVAL,
  WORKER_HOSTNAME,
  WORKER_RPC_PORT,
  WORKER_STAGING_CLEAN_AGE,
  WORKER_STAGING_CLEAN_INTERVAL,
} from '../config/keys/core.js';
import { UNDERFS_S3_ENDPOINT } from '../config/keys/s3.js';
import { layoutOf } from '../config/layout.js';
import { TierfsError } from '../errors.js';
import '../ufs/drivers.js';
import { FileSystem } from '../ufs/registry.js';
import { type DataPath, persistFile } from './data-path.js';
import { registerDataRoutes } from './data-routes.js';
import { WorkerMetrics } from './metrics.js';
import { MountStores } from './mount-stores.js';
import { ServerConnections } from './server-connections.js';
import { ShortCircuitLeases } from './short-circuit-leases.js';
import { StagingArea } from './staging.js';

export interface WorkerOptions {
  readonly log: Logger;
  /**
   * `http://host:port` of the master's RPC port; several masters comma-separated: heartbeats and
   * the worker's other calls move to the next one when one fails.
   */
  readonly masterAddress: string;
  /**
   * How long a stop lets requests in flight finish before it closes their connections (default
   * STOP_GRACE_MS). Connections without a request in flight are closed at once.
   */
  readonly stopGraceMs?: number;
}

/** How long a stop waits for requests in flight (an upload whose client went silent) by default. */
export const STOP_GRACE_MS = 10_000;

const { str, int, object } = schemas;
const CONTENT_ID = { ...str('Identity of the content in the caches.'), minLength: 1 };

/** Bytes of a file held in the page store: its cached pages, the last one possibly short. */
function cachedBytes(pages: PageStore, contentId: string, size: number): number {
  if (!Number.isSafeInteger(size) || size <= 0) return 0;
  const count = Math.ceil(size / pages.pageSize);
  let bytes = 0;
  for (let index = 0; index < count; index++) {
    if (pages.has(contentId, index)) bytes += Math.min(pages.pageSize, size - index * pages.pageSize);
  }
  return bytes;
}

/** The worker's id survives restarts, so it keeps its place on the hash ring and its persist tasks. */
function workerId(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    const id = `worker-${randomUUID().slice(0, 8)}`;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${id}\n`);
    return id;
  }
}

/** What the worker's own web page shows (web/worker-site.ts renders it). */
export interface WorkerView {
  readonly id: string;
  readonly address: string;
  readonly masterAddresses: readonly string[];
  readonly startedMs: number;
  readonly pageSize: number;
  readonly tiers: readonly {
    alias: string;
    capacityBytes: number;
    usedBytes: number;
    pages: number;
    evictions: number;
    bytesRead: number;
  }[];
  readonly cacheHits: number;
  readonly cacheMisses: number;
  readonly bytesWritten: number;
  readonly ufsBytesRead: number;
  readonly stagedFiles: number;
  /** Short-circuit leases open: reads whose page files are pinned for a client on this host. */
  readonly shortCircuitLeases: number;
  readonly ufsOperations: readonly { scheme: string; operation: string; outcome: string; count: number }[];
}

export class Worker {
  private heartbeat: NodeJS.Timeout | undefined;
  private startedMs = 0;
  private stagingSweeps: NodeJS.Timeout | undefined;
  private connections: ServerConnections | undefined;
  private stopGraceMs = STOP_GRACE_MS;
  /** The master's mount table digest at the last heartbeat (HeartbeatResponse.mountTable). */
  private mountTable: string | undefined;

  private constructor(
    readonly id: string,
    readonly address: string,
    private readonly app: FastifyInstance,
    private readonly pages: PageStore,
    private readonly leases: ShortCircuitLeases,
    private readonly mounts: MountStores,
    private readonly staging: StagingArea,
    private readonly masters: Masters,
    private readonly clusterToken: string,
    private readonly log: Logger,
    private readonly metrics: WorkerMetrics,
  ) {}

  /** Open connections to the worker's port, and how many carry a request in flight. */
  get connectionCounts(): { open: number; busy: number } {
    return this.connections?.counts ?? { open: 0, busy: 0 };
  }

  /** The cluster secret, for the worker's web page to ask the master about user tokens. */
  get secret(): string {
    return this.clusterToken;
  }

  /** The worker's tiers, pages, hit counts and under store calls, for its web page. */
  async view(): Promise<WorkerView> {
    const usage = this.pages.usage();
    const stats = this.pages.stats();
    const totals = this.metrics.stats();
    return {
      id: this.id,
      address: this.address,
      masterAddresses: this.masters.addresses,
      startedMs: this.startedMs,
      pageSize: this.pages.pageSize,
      tiers: Object.entries(usage).map(([alias, u]) => ({
        alias,
        capacityBytes: u.capacity,
        usedBytes: u.used,
        pages: u.pages,
        evictions: stats.tiers[alias as keyof typeof stats.tiers]?.evictions ?? 0,
        bytesRead: stats.tiers[alias as keyof typeof stats.tiers]?.bytesRead ?? 0,
      })),
      cacheHits: totals.cacheHits,
      cacheMisses: totals.cacheMisses,
      bytesWritten: totals.bytesWritten,
      ufsBytesRead: totals.ufsBytesRead,
      stagedFiles: this.staging.count(),
      shortCircuitLeases: this.leases.size,
      ufsOperations: await this.metrics.ufs.operations(),
    };
  }

  static async start(conf: Configuration, options: WorkerOptions): Promise<Worker> {
    const layout = layoutOf(conf);
    let clusterToken: string;
    try {
      clusterToken = readFileSync(layout.clusterTokenFile, 'utf8').trim();
    } catch {
      throw new TierfsError(
        'CONFIG_INVALID',
        `tierfs is not formatted (no ${layout.clusterTokenFile}): run \`tierfs format\` first`,
      );
    }
    const id = workerId(join(layout.workDir, 'worker', 'id'));
    // The MEM tier's directory on the RAM disk is this worker's own: named after its id, it is found
    // again after a crash and removed when the worker stops.
    const pages = await PageStore.fromConfiguration(conf, id);
    const staging = new StagingArea(layout.workerStagingDir);
    await staging.init();
    const metrics = new WorkerMetrics(pages, staging);
    const masters = new Masters(options.masterAddress, mastersOptionsOf(conf));
    const mounts = new MountStores(conf, masters, clusterToken, metrics.ufs.layer);
    const data: DataPath = { pages, staging, written: metrics.bytesWritten };

    // No access log: every data request would pay two synchronous log writes. Failures are still
    // logged by the error handler.
    const app = Fastify({
      loggerInstance: options.log as FastifyBaseLogger,
      bodyLimit: 1024 * 1024,
      ajv: VALIDATION_OPTIONS,
      logController: new LogController({ disableRequestLogging: true }),
    });
    const connections = new ServerConnections(app.server);
    app.setErrorHandler(sendError);
    addErrorSchema(app);
    // File bodies stream through untouched.
    app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));
    /** Runs before validation: without the secret a caller learns nothing about the request's shape. */
    const requireToken = async (request: FastifyRequest) => {
      if (!presentsSecret(request.headers.authorization, clusterToken)) {
        throw new TierfsError(
          'UNAUTHENTICATED',
          'this endpoint is for tierfs daemons (bad or missing cluster secret)',
        );
      }
    };

    app.get(
      '/api/v1/health',
      {
        schema: operation({
          operationId: 'getWorkerHealth',
          tags: ['worker'],
          summary: 'Liveness of the worker, with its id.',
          response: object({ status: { type: 'string', enum: ['ok'] }, id: str() }, ['status', 'id']),
        }),
      },
      async () => ({ status: 'ok', id }),
    );

    app.get(
      '/metrics',
      {
        schema: operation({
          operationId: 'getWorkerPrometheusMetrics',
          tags: ['worker'],
          summary: 'Prometheus metrics of the worker (text exposition format).',
          produces: 'text/plain',
          response: { type: 'string' },
        }),
      },
      async (_request, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(await metrics.registry.metrics()),
    );

    app.get(
      '/internal/stats',
      {
        preValidation: requireToken,
        schema: operation({
          operationId: 'getWorkerStats',
          tags: ['worker'],
          summary: "Running totals the master's metrics sampler sums (the cluster secret only).",
          response: object(
            {
              cacheHits: int(),
              cacheMisses: int(),
              cacheBytesRead: int(),
              cacheEvictions: int(),
              ufsBytesRead: int(),
              ufsOperations: int(),
              bytesWritten: int(),
            },
            [
              'cacheHits',
              'cacheMisses',
              'cacheBytesRead',
              'cacheEvictions',
              'ufsBytesRead',
              'ufsOperations',
              'bytesWritten',
            ],
          ),
        }),
      },
      async () => metrics.stats(),
    );

    app.get(
      '/internal/configuration',
      {
        preValidation: requireToken,
        schema: operation({
          operationId: 'getWorkerConfiguration',
          tags: ['worker'],
          summary:
            "The worker's configuration as `conf list` shows it, secrets masked (the cluster secret only).",
          response: {
            type: 'array',
            items: object(
              { key: str(), value: str(), secret: { type: 'boolean' }, source: str(), description: str() },
              ['key', 'secret'],
            ),
          },
        }),
      },
      async () => configurationListing(conf),
    );

    app.get(
      '/internal/log',
      {
        preValidation: requireToken,
        schema: operation({
          operationId: 'getWorkerLogTail',
          tags: ['worker'],
          summary: "The end of the worker's log file (the cluster secret only).",
          response: object({ file: str(), text: str() }, ['file']),
        }),
      },
      async () => readLogTail(layout.logFile('worker')),
    );

    app.post(
      '/internal/cached',
      {
        preValidation: requireToken,
        schema: operation({
          operationId: 'getWorkerCachedBytes',
          tags: ['worker'],
          summary: 'Bytes of each file held in the page store (the cluster secret only).',
          body: object(
            {
              files: {
                type: 'array',
                items: object({ contentId: str(), size: { ...int(), minimum: 0 } }, ['contentId', 'size']),
              },
            },
            ['files'],
          ),
          response: object({ cachedBytes: { type: 'array', items: int() } }, ['cachedBytes']),
        }),
      },
      async (request): Promise<CachedResponse> => ({
        cachedBytes: (request.body as CachedRequest).files.map((f) =>
          cachedBytes(pages, f.contentId, f.size),
        ),
      }),
    );

    const leases = new ShortCircuitLeases();
    registerDataRoutes(app, {
      id,
      data,
      mounts,
      signer: new CapabilitySigner(clusterToken),
      log: options.log,
      leases,
      count: (kind) => metrics.dataRequests.inc({ kind }),
    });

    app.post(
      '/internal/persist',
      {
        preValidation: requireToken,
        schema: operation({
          operationId: 'persistStagedFile',
          tags: ['worker'],
          summary: 'Uploads a staged file to its under store (the cluster secret only).',
          body: object(
            {
              path: str('The namespace path, for logs.'),
              contentId: CONTENT_ID,
              size: { ...int(), minimum: 0 },
              mountPath: { ...str('The mount the file belongs to.'), minLength: 1 },
              ufsPath: str('Where in the under store to write.'),
              commitTo: str(
                "The file's path in the under store, when ufsPath is a temporary object the master moves over it: a file that needs parts is then left as a multipart upload open there.",
              ),
            },
            ['contentId', 'size', 'mountPath', 'ufsPath'],
          ),
          response: object({
            ufsFingerprint: str('The fingerprint of the object written at ufsPath (without commitTo).'),
            pendingUpload: str('The multipart upload left open at commitTo, for the master to complete.'),
          }),
        }),
      },
      async (request) => {
        const b = request.body as PersistRequest;
        return persistFile(data, b.contentId, b.size, {
          store: await mounts.store(b.mountPath),
          path: b.ufsPath,
          ...(b.commitTo === undefined ? {} : { commitTo: b.commitTo }),
        });
      },
    );

    app.post(
      '/internal/persisted',
      {
        preValidation: requireToken,
        schema: operation({
          operationId: 'dropStagedFile',
          tags: ['worker'],
          summary: 'A persisted file: its staged copy is removed (the cluster secret only).',
          body: object({ contentId: CONTENT_ID }, ['contentId']),
          response: schemas.empty(),
        }),
      },
      async (request) => {
        await staging.remove((request.body as { contentId: string }).contentId);
        return {};
      },
    );

    app.post(
      '/internal/mounts-changed',
      {
        preValidation: requireToken,
        schema: operation({
          operationId: 'mountsChanged',
          tags: ['worker'],
          summary:
            "The mount table changed: open the mounts' under stores now, in the background (the cluster secret only).",
          response: schemas.empty(),
        }),
      },
      async () => {
        // Failures are left to the heartbeat, whose digest still differs: it tries again and logs.
        void mounts.warm().catch(() => undefined);
        return {};
      },
    );

    app.post(
      '/internal/free',
      {
        preValidation: requireToken,
        schema: operation({
          operationId: 'freeCachedContent',
          tags: ['worker'],
          summary: 'Drops the cached pages of these contents (the cluster secret only).',
          body: object({ contentIds: schemas.strings() }, ['contentIds']),
          response: object({ pagesFreed: int() }, ['pagesFreed']),
        }),
      },
      async (request) => {
        let pagesFreed = 0;
        for (const contentId of (request.body as { contentIds: string[] }).contentIds) {
          pagesFreed += (await pages.free(contentId)).pages;
        }
        return { pagesFreed };
      },
    );

    try {
      await app.listen({ host: conf.require(WORKER_BIND_HOST), port: conf.require(WORKER_RPC_PORT) });
    } catch (error) {
      await app.close();
      await pages.close({ removeMemDir: true });
      throw new TierfsError('UNAVAILABLE', `the worker cannot listen: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const port = (app.server.address() as AddressInfo).port;
    const address = `http://${conf.get(WORKER_HOSTNAME) ?? hostname()}:${port}`;
    const worker = new Worker(
      id,
      address,
      app,
      pages,
      leases,
      mounts,
      staging,
      masters,
      clusterToken,
      options.log,
      metrics,
    );
    worker.connections = connections;
    worker.stopGraceMs = options.stopGraceMs ?? STOP_GRACE_MS;
    const startedMs = Date.now();
    worker.startedMs = startedMs;
    await worker.beat(startedMs);
    worker.startHeartbeat(startedMs, conf.require(WORKER_HEARTBEAT_INTERVAL));
    worker.preloadDrivers(conf);
    worker.startStagingSweeps(
      conf.require(WORKER_STAGING_CLEAN_AGE),
      conf.require(WORKER_STAGING_CLEAN_INTERVAL),
    );
    options.log.info({ id, address }, 'worker started');
    return worker;
  }

  /**
   * With an S3 endpoint in the site configuration, loads the S3 driver (the AWS SDK: 0.3–1.5 s of
   * the event loop) once the worker is up, in the background: otherwise the first mount of an S3
   * store loads it, and a read that comes right after the mount waits behind the load.
   */
  private preloadDrivers(conf: Configuration): void {
    if (!conf.get(UNDERFS_S3_ENDPOINT)) return;
    setImmediate(() => {
      FileSystem.preload('s3').catch((error: Error) =>
        this.log.warn({ err: error.message }, 'could not load the S3 driver ahead'),
      );
    });
  }

  /** Sweeps leftover staged copies now (in the background) and then every interval. */
  private startStagingSweeps(ageMs: number, intervalMs: number): void {
    const sweep = () =>
      void this.sweepStaging(ageMs).catch((error: Error) =>
        this.log.warn({ err: error.message }, 'sweeping the staging area failed'),
      );
    sweep();
    this.stagingSweeps = setInterval(sweep, intervalMs);
    this.stagingSweeps.unref();
  }

  /** Removes staged copies older than `ageMs` that the master says no file needs. */
  async sweepStaging(ageMs: number): Promise<number> {
    const removed = await this.staging.sweep(ageMs, async (contentIds) => {
      const { needed } = await this.masters.call<{ needed: string[] }>(
        'POST',
        '/api/v1/internal/staging/needed',
        {
          body: { contentIds },
          headers: clusterHeaders(this.clusterToken),
          timeoutMs: 30_000,
          idempotent: true,
        },
      );
      return needed;
    });
    if (removed > 0) this.log.info({ removed }, 'swept leftover staged copies');
    return removed;
  }

  private startHeartbeat(startedMs: number, intervalMs: number): void {
    this.heartbeat = setInterval(() => {
      this.beat(startedMs).catch((error: Error) => this.log.warn({ err: error.message }, 'heartbeat failed'));
    }, intervalMs);
    this.heartbeat.unref();
  }

  private async beat(startedMs: number): Promise<void> {
    const usage = this.pages.usage();
    const tiers: TierUsage[] = Object.entries(usage).map(([alias, u]) => ({
      alias,
      capacityBytes: u.capacity,
      usedBytes: u.used,
    }));
    const body: HeartbeatRequest = { id: this.id, address: this.address, startedMs, tiers };
    const answer = await this.masters.call<HeartbeatResponse>('POST', '/api/v1/workers/heartbeat', {
      body,
      headers: clusterHeaders(this.clusterToken),
      timeoutMs: 5000,
      idempotent: true,
    });
    if (answer.mountTable !== undefined && answer.mountTable !== this.mountTable) {
      this.mountTable = answer.mountTable;
      this.warmMounts();
    }
  }

  /** Opens the under stores of the mounts in the background: a read arriving meanwhile waits for the same opening. */
  private warmMounts(): void {
    this.mounts.warm().catch((error: Error) => {
      this.mountTable = undefined; // try again at the next heartbeat
      this.log.warn({ err: error.message }, 'could not open the under stores of the mounts');
    });
  }

  /** Mount paths whose under store this worker has open (opened by a read, or ahead of one). */
  openMounts(): string[] {
    return this.mounts.openMounts();
  }

  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    clearInterval(this.stagingSweeps);
    await this.masters
      .call('POST', '/api/v1/workers/leave', {
        body: { id: this.id },
        headers: clusterHeaders(this.clusterToken),
        timeoutMs: 2000,
        idempotent: true,
      })
      .catch(() => undefined);
    // Fastify stops accepting, then waits for every connection to close: those without a request
    // in flight are closed now, the others when their response is done or the grace is over.
    const closing = this.app.close();
    this.connections?.closeWhenIdle();
    const grace = setTimeout(() => {
      const { busy } = this.connections?.counts ?? { busy: 0 };
      this.log.warn({ requests: busy }, 'worker stop: closing connections with requests still in flight');
      this.connections?.closeAll();
    }, this.stopGraceMs);
    try {
      await closing;
    } finally {
      clearTimeout(grace);
    }
    this.leases.closeAll();
    await this.mounts.close();
    await this.pages.close({ removeMemDir: true });
  }
}
