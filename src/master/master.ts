/**
 * The master process: the namespace and mount table over the metadata store, worker membership,
 * persistence of ASYNC_THROUGH files, metrics, the API on the RPC port (19998), and the admin REST
 * API, Prometheus metrics and web UI on the web port (19999); and, when `tierfs.log.enabled`, the
 * tiered log (src/log/) with its endpoints on both ports.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import type { Configuration } from '../config/configuration.js';
import {
  MASTER_BIND_HOST,
  MASTER_HOSTNAME,
  MASTER_METASTORE,
  MASTER_METASTORE_POSTGRESQL_POOL_SIZE,
  MASTER_METASTORE_POSTGRESQL_URL,
  MASTER_METRICS_SAMPLE_INTERVAL,
  MASTER_PERSISTENCE_LEASE_DURATION,
  MASTER_PERSISTENCE_SCHEDULER_INTERVAL,
  MASTER_PERSISTENCE_TEMPORARY_CLEAN_AGE,
  MASTER_PERSISTENCE_TEMPORARY_CLEAN_INTERVAL,
  MASTER_RPC_PORT,
  MASTER_WEB_BIND_HOST,
  MASTER_WEB_PORT,
  MASTER_WORKER_TIMEOUT,
  SECURITY_AUTHENTICATION_SIMPLE_REMOTE_ENABLED,
  SECURITY_AUTHENTICATION_TOKEN_LIFETIME,
  SECURITY_AUTHENTICATION_TYPE,
  SECURITY_AUTHORIZATION_CAPABILITY_LIFETIME,
  SECURITY_AUTHORIZATION_PERMISSION_SUPERGROUP,
  USER_CONSISTENT_HASH_VIRTUAL_NODE_COUNT_PER_WORKER,
  WEB_ADMIN_TOKEN,
} from '../config/keys/core.js';
import { LOG_ENABLED } from '../config/keys/log.js';
import { layoutOf } from '../config/layout.js';
import { TierfsError } from '../errors.js';
import { TopicStore } from '../log/topic-store.js';
import { SqliteMetaStore } from '../meta/sqlite-store.js';
import type { MetaStore } from '../meta/store.js';
import { Namespace } from '../namespace/namespace.js';
import type { Caller } from '../namespace/permissions.js';
import '../ufs/drivers.js';
import { CapabilitySigner } from '../cluster/capability.js';
import type { ClusterInfo } from '../cluster/wire.js';
import { UNDERFS_CLEANUP_ENABLED, UNDERFS_CLEANUP_INTERVAL } from '../config/keys/underfs.js';
import { VERSION } from '../version.js';
import { notFoundPage } from '../web/pages/tables.js';
import { registerWebRoutes } from '../web/routes.js';
import { addApiSchemas, VALIDATION_OPTIONS } from './api-schemas.js';
import { Authenticator, type AuthenticatorOptions, registerAuthentication } from './authenticator.js';
import { checkBindings } from './bind-policy.js';
import { CapabilityIssuer } from './capability-issuer.js';
import { checkClusterSecret } from './cluster-secret.js';
import { logRoutes } from './log-routes.js';
import { createMasterMetrics } from './metrics.js';
import { registerApiDocument } from './openapi.js';
import { PersistScheduler } from './persist-scheduler.js';
import { PersistSweeper } from './persist-sweeper.js';
import { registerRestRoutes } from './rest-routes.js';
import { registerMasterRoutes, registerRoutes } from './routes.js';
import { MasterServices } from './services.js';
import { registerTokenRoutes, registerTokenVerifyRoute } from './token-routes.js';
import { UserTokens } from './user-tokens.js';
import { WorkerRegistry } from './worker-registry.js';

/** One route a master port serves (for operators and tests that check every endpoint). */
export interface MasterRoute {
  readonly port: 'rpc' | 'web';
  readonly method: string;
  readonly url: string;
  /** The operationId of its schema (api-schemas.ts); absent for the web UI's pages. */
  readonly operationId?: string;
}

export interface MasterOptions {
  readonly log: Logger;
  /** The user the master runs as: the superuser of the namespace. */
  readonly superUser: string;
  /**
   * Sees every JSON answer of both ports before it is serialized. The serializer writes only what a
   * route's response schema names; tests compare the two to find a field a schema misses.
   */
  readonly onAnswer?: (answer: MasterAnswer) => void;
}

/** An answer as its handler made it, before serialization. */
export interface MasterAnswer {
  readonly port: 'rpc' | 'web';
  readonly method: string;
  /** The route's URL pattern, `/api/v1/jobs/:id`. */
  readonly url: string;
  readonly statusCode: number;
  readonly payload: unknown;
}

/**
 * The metadata store the configuration names: the embedded SQLite file, or a PostgreSQL database.
 * `exclusive` (the master's own store) holds a SQLite file for this process alone: SQLite is one
 * master's store, and a second master on it fails at start.
 */
export async function openMetaStore(
  conf: Configuration,
  options: { exclusive?: boolean } = {},
): Promise<MetaStore> {
  if (conf.require(MASTER_METASTORE) === 'POSTGRESQL') {
    const url = conf.get(MASTER_METASTORE_POSTGRESQL_URL);
    if (!url) {
      throw new TierfsError(
        'CONFIG_INVALID',
        `${MASTER_METASTORE.key}=POSTGRESQL needs ${MASTER_METASTORE_POSTGRESQL_URL.key} (postgres://user:password@host:port/database)`,
      );
    }
    const { PostgresMetaStore } = await import('../meta/postgres-store.js');
    return PostgresMetaStore.open({ url, poolSize: conf.require(MASTER_METASTORE_POSTGRESQL_POOL_SIZE) });
  }
  return new SqliteMetaStore(layoutOf(conf).metastoreFile, { exclusive: options.exclusive });
}

/** Formatted means `tierfs format` created the metadata store and the cluster token. */
export async function openFormattedMetaStore(
  conf: Configuration,
  options: { exclusive?: boolean } = {},
): Promise<{ meta: MetaStore; token: string }> {
  const layout = layoutOf(conf);
  let token: string;
  try {
    token = readFileSync(layout.clusterTokenFile, 'utf8').trim();
  } catch {
    throw new TierfsError(
      'CONFIG_INVALID',
      `tierfs is not formatted (no ${layout.clusterTokenFile}): run \`tierfs format\` first`,
    );
  }
  const meta = await openMetaStore(conf, options);
  try {
    await checkClusterSecret(meta, token, layout.clusterTokenFile);
  } catch (error) {
    await meta.close();
    throw error;
  }
  return { meta, token };
}

export class Master {
  private constructor(
    readonly rpcAddress: string,
    readonly webAddress: string,
    private readonly apps: FastifyInstance[],
    private readonly scheduler: PersistScheduler,
    /** Sweeps leftover temporary objects of persists. */
    readonly sweeper: PersistSweeper,
    private readonly services: MasterServices,
    private readonly meta: MetaStore,
    /** The tiered log, when tierfs.log.enabled. */
    readonly topics: TopicStore | undefined,
    /** Every route of both ports. */
    readonly routes: readonly MasterRoute[],
  ) {}

  static async start(conf: Configuration, options: MasterOptions): Promise<Master> {
    const authenticationType = conf.require(SECURITY_AUTHENTICATION_TYPE);
    const simpleRemoteEnabled = conf.require(SECURITY_AUTHENTICATION_SIMPLE_REMOTE_ENABLED);
    checkBindings(authenticationType, simpleRemoteEnabled, [
      { key: MASTER_BIND_HOST.key, host: conf.require(MASTER_BIND_HOST) },
      { key: MASTER_WEB_BIND_HOST.key, host: conf.require(MASTER_WEB_BIND_HOST) },
    ]);
    const { meta, token } = await openFormattedMetaStore(conf, { exclusive: true });
    let topics: TopicStore | undefined;
    try {
      topics = conf.require(LOG_ENABLED) ? await TopicStore.open(conf, { log: options.log }) : undefined;
    } catch (error) {
      await meta.close();
      throw error;
    }
    const workers = new WorkerRegistry(meta, conf.require(MASTER_WORKER_TIMEOUT));
    await workers.start();
    const sampleIntervalMs = conf.require(MASTER_METRICS_SAMPLE_INTERVAL);
    const metrics = createMasterMetrics(meta, workers, token, sampleIntervalMs);
    const namespace = await Namespace.open(conf, meta, options.superUser, metrics.ufs.layer);
    const scheduler = new PersistScheduler(
      meta,
      namespace,
      workers,
      token,
      conf.require(MASTER_PERSISTENCE_SCHEDULER_INTERVAL),
      conf.require(MASTER_PERSISTENCE_LEASE_DURATION),
      options.log,
    );
    const sweeper = new PersistSweeper(
      meta,
      namespace.mounts,
      conf.require(MASTER_PERSISTENCE_TEMPORARY_CLEAN_AGE),
      conf.require(MASTER_PERSISTENCE_TEMPORARY_CLEAN_INTERVAL),
      conf.require(SECURITY_AUTHORIZATION_CAPABILITY_LIFETIME),
      conf.require(UNDERFS_CLEANUP_ENABLED) ? conf.require(UNDERFS_CLEANUP_INTERVAL) : undefined,
      options.log,
      scheduler.owner,
    );
    const signer = new CapabilitySigner(token);
    const capabilities = new CapabilityIssuer(
      signer,
      conf.require(SECURITY_AUTHORIZATION_CAPABILITY_LIFETIME),
    );
    const startedMs = Date.now();
    const hostname = conf.require(MASTER_HOSTNAME);
    let rpcAddress = '';
    let webAddress = '';
    const info = (): ClusterInfo => ({
      version: VERSION,
      startedMs,
      masterAddress: rpcAddress,
      webAddress,
      workers: workers.list(),
    });
    const services = new MasterServices({
      conf,
      meta,
      namespace,
      workers,
      scheduler,
      metrics,
      clusterToken: token,
      capabilities,
      virtualNodes: conf.require(USER_CONSISTENT_HASH_VIRTUAL_NODE_COUNT_PER_WORKER),
      superUser: options.superUser,
      sampleIntervalMs,
      info,
      owner: scheduler.owner,
      jobLeaseMs: conf.require(MASTER_PERSISTENCE_LEASE_DURATION),
    });

    const tokens = new UserTokens(meta, conf.require(SECURITY_AUTHENTICATION_TOKEN_LIFETIME));
    const superGroup = conf.require(SECURITY_AUTHORIZATION_PERMISSION_SUPERGROUP);
    const authentication: AuthenticatorOptions = {
      type: authenticationType,
      superUser: options.superUser,
      superGroup,
      clusterSecret: token,
      verifyToken: (presented) => tokens.verify(presented),
      simpleRemoteEnabled,
    };
    const isSuper = (caller: Caller) =>
      caller.user === options.superUser || caller.groups.includes(superGroup);

    // No access log on the RPC port: heartbeats and metadata calls would be two synchronous log
    // writes each. Failures are still logged by the error handler.
    const rpc = Fastify({
      loggerInstance: options.log as FastifyBaseLogger,
      bodyLimit: 16 * 1024 * 1024,
      ajv: VALIDATION_OPTIONS,
      logController: new LogController({ disableRequestLogging: true }),
    });
    const web = Fastify({ loggerInstance: options.log as FastifyBaseLogger, ajv: VALIDATION_OPTIONS });
    const routes: MasterRoute[] = [];
    for (const [port, app] of [
      ['rpc', rpc],
      ['web', web],
    ] as const) {
      app.addHook('onRoute', (route) => {
        const operationId = (route.schema as { operationId?: string } | undefined)?.operationId;
        for (const method of [route.method].flat()) {
          routes.push({ port, method, url: route.url, ...(operationId ? { operationId } : {}) });
        }
      });
      const onAnswer = options.onAnswer;
      if (onAnswer) {
        // Answers a route writes as text itself (listing pages made without a FileStatus object per
        // entry) skip preSerialization: they are seen at onSend, parsed back when JSON.
        const seen = new WeakSet<object>();
        const report = (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
          seen.add(request);
          onAnswer({
            port,
            method: request.method,
            url: request.routeOptions.url ?? request.url,
            statusCode: reply.statusCode,
            payload,
          });
        };
        app.addHook('preSerialization', async (request, reply, payload) => {
          report(request, reply, structuredClone(payload));
          return payload;
        });
        app.addHook('onSend', async (request, reply, payload) => {
          if (seen.has(request) || typeof payload !== 'string') return payload;
          const json = String(reply.getHeader('content-type') ?? '').includes('json');
          report(request, reply, json ? JSON.parse(payload) : payload);
          return payload;
        });
      }
    }
    // Another master may have mounted or unmounted since the last request: one cheap check.
    for (const app of [rpc, web]) app.addHook('onRequest', () => namespace.mounts.refresh());
    addApiSchemas(rpc);
    addApiSchemas(web);
    await registerApiDocument(web);
    const rpcCaller = registerAuthentication(rpc, new Authenticator(authentication));
    registerMasterRoutes(rpc, {
      namespace,
      workers,
      clusterToken: token,
      capabilities,
      signer,
      info,
      caller: rpcCaller,
      free: (path, caller) => services.free(path, caller),
      mountsChanged: () => services.mountsChanged(),
      persist: (path, caller) => services.persist(path, caller),
      cachedBytes: (files) => services.cachedBytes(files),
      workerJoined: () => {
        void scheduler.tick();
      },
      neededStagedContent: (contentIds) => meta.neededStagedContent(contentIds),
    });
    const webCaller = registerAuthentication(
      web,
      new Authenticator({ ...authentication, adminToken: conf.get(WEB_ADMIN_TOKEN), acceptBasic: true }),
    );
    registerRestRoutes(web, services, webCaller, { notFoundPage });
    registerWebRoutes(web, services, webCaller);
    registerTokenRoutes(rpc, { tokens, caller: rpcCaller, isSuper });
    registerTokenRoutes(web, { tokens, caller: webCaller, isSuper });
    registerTokenVerifyRoute(rpc, { tokens, clusterSecret: token });
    if (topics) {
      registerRoutes(rpc, logRoutes(topics));
      registerRoutes(web, logRoutes(topics));
    }

    try {
      await rpc.listen({ host: conf.require(MASTER_BIND_HOST), port: conf.require(MASTER_RPC_PORT) });
      await web.listen({ host: conf.require(MASTER_WEB_BIND_HOST), port: conf.require(MASTER_WEB_PORT) });
    } catch (error) {
      workers.stop();
      await Promise.all([rpc.close(), web.close()]);
      await topics?.close();
      await namespace.close();
      await meta.close();
      throw new TierfsError('UNAVAILABLE', `the master cannot listen: ${(error as Error).message}`, {
        cause: error,
      });
    }
    rpcAddress = `http://${hostname}:${(rpc.server.address() as AddressInfo).port}`;
    webAddress = `http://${hostname}:${(web.server.address() as AddressInfo).port}`;
    scheduler.start();
    sweeper.start();
    services.startJobTakeover(conf.require(MASTER_PERSISTENCE_SCHEDULER_INTERVAL));
    metrics.sampler.start();
    options.log.info({ rpcAddress, webAddress }, 'master started');
    return new Master(rpcAddress, webAddress, [rpc, web], scheduler, sweeper, services, meta, topics, routes);
  }

  /** This master's identity in the cluster: the holder named on its leases and claims. */
  get id(): string {
    return this.scheduler.owner;
  }

  /** Takes a metrics sample now (the sampler also runs on its interval). */
  sampleMetrics(): Promise<void> {
    return this.services.metrics.sampler.sample();
  }

  async stop(): Promise<void> {
    await this.services.metrics.sampler.stop();
    this.services.workers.stop();
    await this.scheduler.stop();
    await this.sweeper.stop();
    await Promise.all(this.apps.map((app) => app.close()));
    await this.topics?.close();
    await this.services.stop();
    await this.services.namespace.close();
    await this.meta.close();
  }
}
