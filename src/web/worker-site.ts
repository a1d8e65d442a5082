/**
 * The worker's own web page on `tierfs.worker.web.port` (30000): its tiers, pages, hit ratio and
 * under store calls. The same rules as the master's UI: the same
 * bind policy (SIMPLE and NOSASL stay on loopback unless allowed), the same authenticator (a
 * user token, in a bearer header or as the Basic password, is checked with the master), the
 * same security headers. The CLI's worker daemon opens it next to the worker.
 */
import type { AddressInfo } from 'node:net';
import { userInfo } from 'node:os';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import type { Logger } from 'pino';
import { clusterHeaders } from '../cluster/auth.js';
import { Masters, masterAddressesOf, mastersOptionsOf } from '../cluster/masters.js';
import type { Configuration } from '../config/configuration.js';
import {
  SECURITY_AUTHENTICATION_SIMPLE_REMOTE_ENABLED,
  SECURITY_AUTHENTICATION_TYPE,
  SECURITY_AUTHORIZATION_PERMISSION_SUPERGROUP,
  SECURITY_LOGIN_USERNAME,
  WEB_ADMIN_TOKEN,
  WORKER_WEB_BIND_HOST,
  WORKER_WEB_PORT,
} from '../config/keys/core.js';
import { TierfsError, toTierfsError } from '../errors.js';
import { Authenticator, registerAuthentication } from '../master/authenticator.js';
import { checkBindings } from '../master/bind-policy.js';
import type { Caller } from '../namespace/permissions.js';
import type { Worker } from '../worker/worker.js';
import { STYLESHEET } from './layout.js';
import { errorPage, notFoundPage } from './pages/tables.js';
import { workerPage } from './pages/worker.js';
import { registerSecurityHeaders } from './security-headers.js';

export interface WorkerSite {
  readonly address: string;
  close(): Promise<void>;
}

export async function startWorkerSite(
  conf: Configuration,
  worker: Worker,
  options: { log: Logger; masterAddress?: string },
): Promise<WorkerSite> {
  const type = conf.require(SECURITY_AUTHENTICATION_TYPE);
  const simpleRemoteEnabled = conf.require(SECURITY_AUTHENTICATION_SIMPLE_REMOTE_ENABLED);
  const host = conf.require(WORKER_WEB_BIND_HOST);
  checkBindings(type, simpleRemoteEnabled, [{ key: WORKER_WEB_BIND_HOST.key, host }], 'worker');
  const masters = new Masters(options.masterAddress ?? masterAddressesOf(conf), mastersOptionsOf(conf));
  const verifyToken = async (token: string): Promise<Caller | undefined> => {
    try {
      return await masters.call<Caller>('POST', '/api/v1/internal/tokens/verify', {
        body: { token },
        headers: clusterHeaders(worker.secret),
        timeoutMs: 5000,
        idempotent: true,
      });
    } catch (error) {
      if (toTierfsError(error).code === 'UNAUTHENTICATED') return undefined;
      throw error;
    }
  };
  const app = Fastify({ loggerInstance: options.log as FastifyBaseLogger });
  registerSecurityHeaders(app);
  registerAuthentication(
    app,
    new Authenticator({
      type,
      superUser: conf.get(SECURITY_LOGIN_USERNAME) ?? userInfo().username,
      superGroup: conf.require(SECURITY_AUTHORIZATION_PERMISSION_SUPERGROUP),
      clusterSecret: worker.secret,
      verifyToken,
      simpleRemoteEnabled,
      adminToken: conf.get(WEB_ADMIN_TOKEN),
      acceptBasic: true,
    }),
  );
  app.setErrorHandler(async (error, _request, reply) => {
    const failure = toTierfsError(error);
    return reply
      .status(failure.status)
      .type('text/html; charset=utf-8')
      .send(errorPage(failure.status, failure.code, failure.message, { worker: true }));
  });
  app.setNotFoundHandler(async (request, reply) => {
    const page = notFoundPage(request.url.split('?')[0] ?? '/', { worker: true });
    return reply.status(404).type('text/html; charset=utf-8').send(page);
  });
  app.get('/', async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(workerPage(await worker.view())),
  );
  app.get('/static/tierfs.css', async (_request, reply) =>
    reply.type('text/css; charset=utf-8').send(STYLESHEET),
  );
  try {
    await app.listen({ host, port: conf.require(WORKER_WEB_PORT) });
  } catch (error) {
    await app.close();
    throw new TierfsError('UNAVAILABLE', `the worker web page cannot listen: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const port = (app.server.address() as AddressInfo).port;
  const address = `${new URL(worker.address).protocol}//${new URL(worker.address).hostname}:${port}`;
  options.log.info({ address }, 'worker web page');
  return { address, close: () => app.close() };
}
