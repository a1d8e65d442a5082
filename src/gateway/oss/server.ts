/**
 * The OSS gateway: an HTTP server speaking the Aliyun OSS protocol (as ali-oss, oss2 and the Java
 * SDK use it) over an OssBackend, by default any UnderStore.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { UnderStore } from '../../ufs/contract.js';
import { resolveTargets } from './addressing.js';
import type { OssBackend } from './backend.js';
import { OssError } from './errors.js';
import { authenticate } from './request-authenticator.js';
import { type OssContext, sendError } from './request-context.js';
import { route } from './router.js';
import { UfsOssBackend } from './ufs-backend.js';

export interface OssGatewayOptions {
  /** Serve this under store (buckets = its top-level directories, or the single bucket). */
  readonly store: UnderStore;
  /** Local directory for object metadata and staged multipart parts. */
  readonly stateDir: string;
  /** Access key id → secret; empty disables authentication. */
  readonly users: ReadonlyMap<string, string>;
  readonly singleBucket?: string;
  /** Host names of the gateway itself, so `Host: name.domain` is not read as a bucket. */
  readonly hostnames?: readonly string[];
  readonly minPartSize?: number;
  /** The region buckets report in GetBucketLocation and GetBucketInfo (default `oss-cn-hangzhou`). */
  readonly region?: string;
  /** Called once per request after it is answered (never with secrets). */
  readonly onRequest?: (entry: { method: string; url: string; status: number; requestId: string }) => void;
  readonly now?: () => number;
}

export class OssGateway {
  readonly server: Server;
  private readonly backend: OssBackend;
  private readonly ownHosts: Set<string>;

  constructor(private readonly options: OssGatewayOptions) {
    this.backend = new UfsOssBackend(options.store, {
      stateDir: options.stateDir,
      singleBucket: options.singleBucket,
      minPartSize: options.minPartSize,
    });
    this.ownHosts = new Set(['localhost', ...(options.hostnames ?? []).map((h) => h.toLowerCase())]);
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  async listen(port: number, host = '127.0.0.1'): Promise<AddressInfo> {
    this.ownHosts.add(host.toLowerCase());
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    await this.backend.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomBytes(12).toString('hex').toUpperCase();
    res.setHeader('x-oss-request-id', requestId);
    res.setHeader('Server', 'tierfs');
    const url = new URL(req.url ?? '/', 'http://gateway');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
    }
    const rawPath = (req.url ?? '/').split('?')[0]!;
    let ctx: OssContext = {
      req,
      res,
      requestId,
      method: req.method ?? 'GET',
      headers,
      query: url.searchParams,
      bucket: undefined,
      key: '',
      backend: this.backend,
      owner: 'tierfs',
      hostId: headers.host ?? 'localhost',
      region: this.options.region ?? 'oss-cn-hangzhou',
    };
    try {
      const targets = resolveTargets(headers.host, rawPath, {
        ownHosts: this.ownHosts,
        singleBucket: this.options.singleBucket,
      });
      ctx = { ...ctx, bucket: targets[0]!.bucket, key: targets[0]!.key };
      let failure: unknown;
      for (const target of targets) {
        try {
          const accessKeyId = authenticate(
            {
              method: ctx.method,
              headers,
              bucket: target.bucket,
              key: target.key,
              query: [...url.searchParams],
            },
            { users: this.options.users, now: this.options.now },
          );
          ctx = { ...ctx, bucket: target.bucket, key: target.key, owner: accessKeyId };
          failure = undefined;
          break;
        } catch (error) {
          failure ??= error;
        }
      }
      if (failure !== undefined) throw failure;
      if (ctx.method === 'PUT' && headers['content-length'] === undefined && !headers['transfer-encoding']) {
        throw new OssError('MissingContentLength');
      }
      await route(ctx);
    } catch (error) {
      sendError(ctx, error);
      // Unread request bodies would otherwise stall the connection.
      if (!req.readableEnded) req.resume();
    } finally {
      this.options.onRequest?.({
        method: ctx.method,
        url: rawPath,
        status: res.statusCode,
        requestId,
      });
    }
  }
}
