/**
 * The Kodo gateway: one node:http server answering for every Kodo host (up, rs, rsf, io, api, uc),
 * routed by Host, path and authorization:
 *
 *   Host is a configured download domain        → io: download of /<key> from its bucket
 *   POST /                                      → up: form upload
 *   /buckets/<b>/objects/<k>/uploads...          → up: resumable upload v2
 *   POST /mkblk, /bput, /mkfile                  → up: resumable upload v1
 *   GET /v4/query                               → uc: region query naming this server for all hosts
 *   /stat /delete /move /copy /chgm /batch /list /buckets /mkbucketv3 /drop, signed or not GET → rs, rsf, uc
 *   GET|HEAD /<bucket>/<key>                    → io: path-style download
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KodoGatewayContext } from './context.js';
import { KODO_STATUS, KodoError, sendError } from './errors.js';
import { decodePath, drain } from './http-body.js';
import { handleDownload } from './routes-io.js';
import { handleManagement, MANAGEMENT_ROOTS } from './routes-rs.js';
import { handleRegionQuery } from './routes-uc.js';
import { handleFormUpload, handleResumable, parseResumablePath } from './routes-upload.js';
import { handleBput, handleMkblk, handleMkfile, refuseMethod } from './routes-upload-v1.js';

const SWEEP_INTERVAL_MS = 60 * 60 * 1000;

export interface KodoGateway {
  readonly server: Server;
  /** Listens and resolves with the bound address (port 0 picks a free port). */
  listen(port: number, host: string): Promise<{ host: string; port: number }>;
  /** Stops listening, closes connections and the backend. */
  close(): Promise<void>;
}

/** rs/rsf/uc calls: management authorization, or any write to one of their paths (→ 401 unsigned). */
function isManagement(req: IncomingMessage, root: string, isRead: boolean): boolean {
  const authorization = req.headers.authorization ?? '';
  const signed = authorization.startsWith('QBox ') || authorization.startsWith('Qiniu ');
  return MANAGEMENT_ROOTS.has(root) && (signed || !isRead);
}

async function route(ctx: KodoGatewayContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  const host = (req.headers.host ?? '').toLowerCase();
  const url = new URL(req.url ?? '/', 'http://gateway.invalid');
  const pathname = url.pathname;
  const domainBucket = ctx.domains.get(host.replace(/:\d+$/, ''));
  const isRead = method === 'GET' || method === 'HEAD';
  if (domainBucket !== undefined && isRead) {
    await handleDownload(ctx, req, res, domainBucket, decodePath(pathname.slice(1)));
    return;
  }
  if (pathname === '/' && method === 'POST') {
    handleFormUpload(ctx, req, res);
    return;
  }
  const resumable = pathname.startsWith('/buckets/') ? parseResumablePath(pathname) : undefined;
  if (resumable) {
    await handleResumable(ctx, req, res, resumable);
    return;
  }
  const root = pathname.split('/')[1] ?? '';
  if (root === 'mkblk' || root === 'bput' || root === 'mkfile') {
    if (method !== 'POST') throw refuseMethod();
    const segments = pathname.split('/').slice(2);
    if (root === 'mkblk') await handleMkblk(ctx, req, res, segments[0]);
    else if (root === 'bput') await handleBput(ctx, req, res, segments[0], segments[1]);
    else await handleMkfile(ctx, req, res, segments);
    return;
  }
  if (root === 'v4' && pathname === '/v4/query' && isRead) {
    await handleRegionQuery(ctx, req, res, url);
    return;
  }
  if (isManagement(req, root, isRead)) {
    await handleManagement(ctx, req, res, url);
    return;
  }
  const slash = pathname.indexOf('/', 1);
  if (isRead && slash > 1 && slash < pathname.length - 1) {
    const bucket = decodePath(pathname.slice(1, slash));
    await handleDownload(ctx, req, res, bucket, decodePath(pathname.slice(slash + 1)));
    return;
  }
  throw new KodoError(isRead ? KODO_STATUS.NOT_FOUND : KODO_STATUS.METHOD_NOT_ALLOWED, 'no such operation');
}

export function createKodoGateway(ctx: KodoGatewayContext): KodoGateway {
  const server = createServer((req, res) => {
    // Real Kodo names every answer with a request id; Qiniu's SDKs take one without it for "not qiniu".
    res.setHeader('X-Reqid', randomBytes(12).toString('base64url'));
    route(ctx, req, res).catch((error: unknown) => {
      drain(req);
      sendError(res, error);
    });
  });
  const sweep = () => void ctx.staging.sweepExpired().catch(() => undefined);
  let sweeper: NodeJS.Timeout | undefined;
  return {
    server,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          sweep();
          sweeper = setInterval(sweep, SWEEP_INTERVAL_MS).unref();
          const address = server.address() as AddressInfo;
          resolve({ host: address.address, port: address.port });
        });
      });
    },
    async close() {
      if (sweeper) clearInterval(sweeper);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await ctx.backend.close();
      ctx.state.close();
    },
  };
}
