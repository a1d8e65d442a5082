/**
 * The master process: the namespace and mount table over the metadata store, worker membership,
 * persistence of ASYNC_THROUGH files, the API on the RPC port (19998) and the web UI (19999).
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Configuration } from '../config/configuration.js';
import {
  MASTER_BIND_HOST,
  MASTER_HOSTNAME,
  MASTER_PERSISTENCE_SCHEDULER_INTERVAL,
  MASTER_RPC_PORT,
  MASTER_WEB_PORT,
  MASTER_WORKER_TIMEOUT,
  USER_CONSISTENT_HASH_VIRTUAL_NODE_COUNT_PER_WORKER,
} from '../config/keys/core.js';
import { layoutOf } from '../config/layout.js';
import { TierfsError } from '../errors.js';
import { SqliteMetaStore } from '../meta/sqlite-store.js';
import type { MetaStore } from '../meta/store.js';
import { Namespace } from '../namespace/namespace.js';
import type { Caller } from '../namespace/permissions.js';
import '../ufs/drivers.js';
import { VERSION } from '../version.js';
import { registerWebRoutes } from '../web/routes.js';
import { CLUSTER_TOKEN_HEADER, type ClusterInfo } from './api-types.js';
import { HashRing } from './hash-ring.js';
import { callJson } from './http-json.js';
import { PersistScheduler } from './persist-scheduler.js';
import { registerMasterRoutes, sendError } from './routes.js';
import { WorkerRegistry } from './worker-registry.js';

export interface MasterOptions {
  readonly log: Logger;
  /** The user the master runs as: the superuser of the namespace. */
  readonly superUser: string;
}

/** Formatted means `tierfs format` created the metadata store and the cluster token. */
export async function openFormattedMetaStore(
  conf: Configuration,
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
  return { meta: new SqliteMetaStore(layout.metastoreFile), token };
}

export class Master {
  private constructor(
    readonly rpcAddress: string,
    readonly webAddress: string,
    private readonly apps: FastifyInstance[],
    private readonly scheduler: PersistScheduler,
    private readonly namespace: Namespace,
    private readonly meta: MetaStore,
  ) {}

  static async start(conf: Configuration, options: MasterOptions): Promise<Master> {
    const { meta, token } = await openFormattedMetaStore(conf);
    const namespace = await Namespace.open(conf, meta, options.superUser);
    const workers = new WorkerRegistry(conf.require(MASTER_WORKER_TIMEOUT));
    const virtualNodes = conf.require(USER_CONSISTENT_HASH_VIRTUAL_NODE_COUNT_PER_WORKER);
    const scheduler = new PersistScheduler(
      meta,
      namespace,
      workers,
      token,
      conf.require(MASTER_PERSISTENCE_SCHEDULER_INTERVAL),
      options.log,
    );
    const startedMs = Date.now();
    const host = conf.require(MASTER_BIND_HOST);
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

    const rpc = Fastify({ loggerInstance: options.log as FastifyBaseLogger, bodyLimit: 16 * 1024 * 1024 });
    registerMasterRoutes(rpc, {
      namespace,
      workers,
      clusterToken: token,
      info,
      free: async (path, caller) => {
        const contentIds = await collectContentIds(namespace, path, caller);
        await Promise.all(
          workers.live().map((w) =>
            callJson('POST', `${w.address}/internal/free`, {
              body: { contentIds },
              headers: { [CLUSTER_TOKEN_HEADER]: token },
            }),
          ),
        );
        return contentIds.length;
      },
      persist: async (path, caller) => {
        const status = await namespace.getStatus(path, caller);
        const ring = new HashRing(workers.live(), virtualNodes);
        const owner = ring.owner(status.contentId);
        if (!owner) throw new TierfsError('UNAVAILABLE', 'no live worker holds the data to persist');
        await namespace.schedulePersist(path, caller, owner.id);
        await scheduler.tick();
      },
      workerJoined: () => {
        void scheduler.tick();
      },
    });
    const web = Fastify({ loggerInstance: options.log as FastifyBaseLogger });
    web.setErrorHandler(sendError);
    registerWebRoutes(web, { info });

    try {
      await rpc.listen({ host, port: conf.require(MASTER_RPC_PORT) });
      await web.listen({ host, port: conf.require(MASTER_WEB_PORT) });
    } catch (error) {
      await Promise.all([rpc.close(), web.close()]);
      await namespace.close();
      await meta.close();
      throw new TierfsError('UNAVAILABLE', `the master cannot listen: ${(error as Error).message}`, {
        cause: error,
      });
    }
    rpcAddress = `http://${hostname}:${(rpc.server.address() as AddressInfo).port}`;
    webAddress = `http://${hostname}:${(web.server.address() as AddressInfo).port}`;
    await scheduler.start();
    options.log.info({ rpcAddress, webAddress }, 'master started');
    return new Master(rpcAddress, webAddress, [rpc, web], scheduler, namespace, meta);
  }

  async stop(): Promise<void> {
    await this.scheduler.stop();
    await Promise.all(this.apps.map((app) => app.close()));
    await this.namespace.close();
    await this.meta.close();
  }
}

/** Content ids of every file at or under a path, for `fs free`. */
async function collectContentIds(namespace: Namespace, path: string, caller: Caller): Promise<string[]> {
  const status = await namespace.getStatus(path, caller);
  if (!status.isDirectory) return [status.contentId];
  const ids: string[] = [];
  const pending = [status.path];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    let token: string | undefined;
    do {
      const page = await namespace.listStatus(dir, caller, { continuationToken: token });
      for (const entry of page.entries) {
        if (entry.isDirectory) pending.push(entry.path);
        else ids.push(entry.contentId);
      }
      token = page.continuationToken;
    } while (token);
  }
  return ids;
}
