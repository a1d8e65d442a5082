/**
 * The worker process: the page cache, reads and writes of file data against the under stores,
 * persistence of ASYNC_THROUGH files, and a heartbeat that keeps it in the master's membership.
 *
 * Data API (port 29999):
 *   GET  /data?path&mountPath&ufsPath&contentId&size&persisted&offset&length&readType
 *   PUT  /data?path&mountPath&ufsPath&contentId&writeType     (body: the file)
 *   POST /internal/persist | /internal/persisted | /internal/free | /internal/cached
 *   GET  /internal/stats                                          (cluster token required)
 *   GET  /metrics                                                 (Prometheus text)
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import { PageStore } from '../cache/page-store.js';
import type { ReadType } from '../cache/range-reader.js';
import type { Configuration } from '../config/configuration.js';
import {
  WORKER_BIND_HOST,
  WORKER_HEARTBEAT_INTERVAL,
  WORKER_HOSTNAME,
  WORKER_RPC_PORT,
} from '../config/keys/core.js';
import { layoutOf } from '../config/layout.js';
import { TierfsError } from '../errors.js';
import {
  type CachedRequest,
  type CachedResponse,
  CLUSTER_TOKEN_HEADER,
  type HeartbeatRequest,
  type TierUsage,
} from '../master/api-types.js';
import { callJson } from '../master/http-json.js';
import { PROMETHEUS_CONTENT_TYPE } from '../master/metrics.js';
import { sendError } from '../master/routes.js';
import { WRITE_TYPES, type WriteType } from '../namespace/namespace.js';
import '../ufs/drivers.js';
import { type DataPath, persistFile, readFile, writeFile } from './data-path.js';
import { WorkerMetrics } from './metrics.js';
import { MountStores } from './mount-stores.js';
import { StagingArea } from './staging.js';

const READ_TYPES: readonly ReadType[] = ['NO_CACHE', 'CACHE', 'CACHE_PROMOTE'];

export interface WorkerOptions {
  readonly log: Logger;
  /** `http://host:port` of the master's RPC port. */
  readonly masterAddress: string;
}

type Params = Record<string, string | undefined>;

function param(params: Params, name: string): string {
  const value = params[name];
  if (value === undefined || value === '') throw new TierfsError('INVALID_ARGUMENT', `'${name}' is required`);
  return value;
}

function intParam(params: Params, name: string): number {
  const value = Number(param(params, name));
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TierfsError('INVALID_ARGUMENT', `'${name}' must be a non-negative integer`);
  }
  return value;
}

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

export class Worker {
  private heartbeat: NodeJS.Timeout | undefined;

  private constructor(
    readonly id: string,
    readonly address: string,
    private readonly app: FastifyInstance,
    private readonly pages: PageStore,
    private readonly mounts: MountStores,
    private readonly masterAddress: string,
    private readonly clusterToken: string,
    private readonly log: Logger,
  ) {}

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
    const pages = await PageStore.fromConfiguration(conf);
    const staging = new StagingArea(layout.workerStagingDir);
    await staging.init();
    const metrics = new WorkerMetrics(pages, staging);
    const mounts = new MountStores(conf, options.masterAddress, clusterToken, metrics.ufs.layer);
    const data: DataPath = { pages, staging };

    // No access log: every data request would pay two synchronous log writes. Failures are still
    // logged by the error handler.
    const app = Fastify({
      loggerInstance: options.log as FastifyBaseLogger,
      bodyLimit: 1024 * 1024,
      logController: new LogController({ disableRequestLogging: true }),
    });
    app.setErrorHandler(sendError);
    // File bodies stream through untouched.
    app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));
    const requireToken = (request: FastifyRequest) => {
      if (request.headers[CLUSTER_TOKEN_HEADER] !== clusterToken) {
        throw new TierfsError('PERMISSION_DENIED', 'bad or missing cluster token');
      }
    };
    const ufsOf = (params: Params) => async () => ({
      store: await mounts.store(param(params, 'mountPath')),
      path: params.ufsPath ?? '',
    });

    app.get('/api/v1/health', async () => ({ status: 'ok', id }));

    app.get('/metrics', async (_request, reply) =>
      reply.type(PROMETHEUS_CONTENT_TYPE).send(await metrics.registry.metrics()),
    );

    app.get('/internal/stats', async (request) => {
      requireToken(request);
      return metrics.stats();
    });

    app.post('/internal/cached', async (request): Promise<CachedResponse> => {
      requireToken(request);
      const files = (request.body as Partial<CachedRequest>).files;
      if (!Array.isArray(files)) throw new TierfsError('INVALID_ARGUMENT', "'files' must be a list");
      return { cachedBytes: files.map((f) => cachedBytes(pages, String(f.contentId), Number(f.size))) };
    });

    app.get('/data', async (request, reply) => {
      const q = request.query as Params;
      const readType = (q.readType ?? 'CACHE').toUpperCase() as ReadType;
      if (!READ_TYPES.includes(readType)) {
        throw new TierfsError('INVALID_ARGUMENT', `readType must be one of ${READ_TYPES.join(', ')}`);
      }
      const size = intParam(q, 'size');
      const offset = intParam(q, 'offset');
      const length = Math.max(0, Math.min(intParam(q, 'length'), size - offset));
      const contentId = param(q, 'contentId');
      const stream = readFile(data, {
        contentId,
        size,
        persisted: q.persisted === '1',
        offset,
        length,
        readType,
        ufs: ufsOf(q),
      });
      // Fail before the status line when the first window cannot be read (a lost file, a dead store).
      const chunks = stream[Symbol.asyncIterator]();
      const first = await chunks.next();
      reply.header('content-type', 'application/octet-stream').header('content-length', length);
      if (!first.done && (first.value as Buffer).length === length) {
        // The whole range at once (a small file): headers and body leave in one write, which is
        // most of the cost of a small read. The read finishes (its cache writes) in the background.
        void chunks.return?.().catch(() => undefined);
        return reply.send(first.value as Buffer);
      }
      const log = options.log;
      async function* rest(): AsyncGenerator<Buffer> {
        let sent = 0;
        try {
          for (let next = first; !next.done; next = await chunks.next()) {
            yield next.value as Buffer;
            sent += (next.value as Buffer).length;
          }
        } catch (error) {
          // Past the status line a failure can only abort the response (Fastify destroys it when
          // the body errors): the client sees an error, never a short body.
          log.warn(
            { err: error, contentId, offset, length, sent },
            'read failed mid-stream, response aborted',
          );
          throw error;
        } finally {
          await chunks.return?.(); // the client went away: end the read
        }
      }
      return reply.send(Readable.from(rest()));
    });

    app.put('/data', async (request) => {
      const q = request.query as Params;
      const writeType = param(q, 'writeType').toUpperCase();
      if (!WRITE_TYPES.includes(writeType as WriteType)) {
        throw new TierfsError('INVALID_ARGUMENT', `writeType must be one of ${WRITE_TYPES.join(', ')}`);
      }
      const receipt = await writeFile(
        data,
        { contentId: param(q, 'contentId'), writeType: writeType as WriteType, ufs: ufsOf(q) },
        request.body as Readable,
      );
      return { ...receipt, workerId: id };
    });

    app.post('/internal/persist', async (request) => {
      requireToken(request);
      const b = request.body as Params & { size?: number };
      const ufsFingerprint = await persistFile(data, param(b, 'contentId'), Number(b.size ?? 0), {
        store: await mounts.store(param(b, 'mountPath')),
        path: b.ufsPath ?? '',
      });
      return { ufsFingerprint };
    });

    app.post('/internal/persisted', async (request) => {
      requireToken(request);
      await staging.remove(param(request.body as Params, 'contentId'));
      return {};
    });

    app.post('/internal/free', async (request) => {
      requireToken(request);
      const ids = (request.body as { contentIds?: unknown }).contentIds;
      if (!Array.isArray(ids)) throw new TierfsError('INVALID_ARGUMENT', "'contentIds' must be a list");
      let pagesFreed = 0;
      for (const contentId of ids) pagesFreed += (await pages.free(String(contentId))).pages;
      return { pagesFreed };
    });

    try {
      await app.listen({ host: conf.require(WORKER_BIND_HOST), port: conf.require(WORKER_RPC_PORT) });
    } catch (error) {
      await app.close();
      await pages.close();
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
      mounts,
      options.masterAddress,
      clusterToken,
      options.log,
    );
    const startedMs = Date.now();
    await worker.beat(startedMs);
    worker.startHeartbeat(startedMs, conf.require(WORKER_HEARTBEAT_INTERVAL));
    options.log.info({ id, address }, 'worker started');
    return worker;
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
    await callJson('POST', `${this.masterAddress}/api/v1/workers/heartbeat`, {
      body,
      headers: { [CLUSTER_TOKEN_HEADER]: this.clusterToken },
      timeoutMs: 5000,
    });
  }

  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    await callJson('POST', `${this.masterAddress}/api/v1/workers/leave`, {
      body: { id: this.id },
      headers: { [CLUSTER_TOKEN_HEADER]: this.clusterToken },
      timeoutMs: 2000,
    }).catch(() => undefined);
    await this.app.close();
    await this.mounts.close();
    await this.pages.close();
  }
}
