/**
 * The S3 gateway's HTTP server (node:http): resolves the bucket and key from path-style or
 * virtual-hosted-style addressing, authenticates, routes and turns every failure into an S3 error
 * document. `s3GatewayFromConfig` wires it to a store and the configuration.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Configuration } from '../../config/configuration.js';
import {
  PROXY_S3_ANONYMOUS_ENABLED,
  PROXY_S3_COMPLETE_MULTIPART_UPLOAD_MIN_PART_SIZE,
  PROXY_S3_DOMAIN,
  PROXY_S3_MAX_CLOCK_SKEW,
  PROXY_S3_STATE_DIR,
  PROXY_S3_USERS,
} from '../../config/keys/core.js';
import { UNDERFS_CLEANUP_INTERVAL, UNDERFS_LOCAL_PARTIAL_CLEAN_AGE } from '../../config/keys/underfs.js';
import type { UnderStore } from '../../ufs/contract.js';
import { AccessControl } from './access.js';
import { Authenticator, type Identity, parseUsers } from './auth.js';
import { type S3Context, sendError } from './context.js';
import { answerPreflight, applyCorsHeaders } from './cors-handlers.js';
import { S3Error, toS3Error } from './errors.js';
import { MetadataStore } from './metadata-store.js';
import { MultipartUploads } from './multipart.js';
import { ObjectLayer } from './object-layer.js';
import { isFormUpload } from './post-object.js';
import { requestUser } from './request-user.js';
import { route } from './router.js';
import type { GatewayServices } from './services.js';
import { parseQuery } from './signed-request.js';
import { VERSIONS_AREA } from './version-store.js';

export interface S3GatewayOptions {
  /** The files served: a local directory, the tierfs namespace, any UnderStore. */
  readonly store: UnderStore;
  readonly metadata: MetadataStore;
  /** Where multipart parts are staged. */
  readonly stagingDir: string;
  readonly authenticator: Authenticator;
  /** Domains for virtual-hosted-style addressing. */
  readonly domains: readonly string[];
  readonly minPartSize: number;
  /**
   * How often the versions area is swept for copies no version names while serving (it is also
   * swept before listening); undefined: only then.
   */
  readonly sweepIntervalMs?: number;
  /**
   * While serving, only copies last changed longer ago than this are swept (another process
   * writing over the same root may have a copy in flight that this one does not know); default 0.
   */
  readonly sweepMinAgeMs?: number;
  /** Called with one line per failed request that was the gateway's fault (5xx). */
  readonly log?: (line: string) => void;
}

interface Target {
  readonly bucket: string | undefined;
  readonly key: string | undefined;
  readonly rawPath: string;
  /** `/bucket/key` as sent, for SigV2. */
  readonly resourcePath: string;
  readonly query: [string, string][];
}

/** The identity a form upload has until its form is read: none (the handler authenticates it). */
const UNAUTHENTICATED_FORM: Identity = { user: 'anonymous', accessKey: undefined, payload: { kind: 'none' } };

function decodePath(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new S3Error('InvalidArgument', 'The request path is not correctly URL-encoded');
  }
}

function parseTarget(req: IncomingMessage, domains: readonly string[]): Target {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const query = parseQuery(q < 0 ? '' : url.slice(q + 1));
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  const domain = domains.find((d) => host.endsWith(`.${d.toLowerCase()}`));
  if (domain !== undefined) {
    const bucket = host.slice(0, -(domain.length + 1));
    const key = rawPath.length > 1 ? decodePath(rawPath.slice(1)) : undefined;
    return { bucket, key, rawPath, resourcePath: `/${bucket}${rawPath}`, query };
  }
  const slash = rawPath.indexOf('/', 1);
  const bucketPart = slash < 0 ? rawPath.slice(1) : rawPath.slice(1, slash);
  const keyPart = slash < 0 ? '' : rawPath.slice(slash + 1);
  return {
    bucket: bucketPart === '' ? undefined : decodePath(bucketPart),
    key: keyPart === '' ? undefined : decodePath(keyPart),
    rawPath,
    resourcePath: rawPath,
    query,
  };
}

export class S3Gateway {
  readonly server: Server;
  private readonly options: S3GatewayOptions;
  private readonly services: GatewayServices;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(options: S3GatewayOptions) {
    this.options = options;
    const layer = new ObjectLayer(options.store, options.metadata);
    this.services = {
      layer,
      uploads: new MultipartUploads(layer, options.stagingDir, options.minPartSize),
      access: new AccessControl(layer, options.authenticator.userNames()),
      authenticator: options.authenticator,
    };
    this.server = createServer((req, res) => void this.handle(req, res));
    // `Expect: 100-continue`: the 100 is sent once the request is authorized (handle), so a
    // refused upload is answered before its body is sent, as S3 does.
    this.server.on('checkContinue', (req, res) => void this.handle(req, res, true));
    // Large uploads and downloads take as long as they take; only slow headers are cut off.
    this.server.requestTimeout = 0;
    this.server.headersTimeout = 60_000;
  }

  async listen(port: number, host: string): Promise<AddressInfo> {
    await this.sweepVersions();
    this.server.listen(port, host);
    await once(this.server, 'listening');
    const interval = this.options.sweepIntervalMs;
    if (interval !== undefined && this.sweepTimer === undefined) {
      // setInterval takes at most 2^31-1 ms (about 24.8 days).
      this.sweepTimer = setInterval(
        () => {
          this.sweeping ??= this.sweepVersions(this.options.sweepMinAgeMs ?? 0).finally(() => {
            this.sweeping = undefined;
          });
        },
        Math.min(Math.max(interval, 1), 2 ** 31 - 1),
      );
      this.sweepTimer.unref();
    }
    return this.server.address() as AddressInfo;
  }

  /** Removes the version copies a crash left unrecorded (object-versions.ts, sweepOrphans). */
  private async sweepVersions(minAgeMs = 0): Promise<void> {
    const swept = await this.services.layer.versions
      .sweepOrphans(Date.now() - minAgeMs)
      .catch((error: unknown) => {
        this.options.log?.(
          `sweeping the versions area failed: ${error instanceof Error ? error.message : error}`,
        );
        return 0;
      });
    if (swept > 0) this.options.log?.(`removed ${swept} unrecorded version copies from ${VERSIONS_AREA}`);
  }

  /** Stops serving and closes the state database (not the store, which the caller owns). */
  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    await this.sweeping;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    this.options.metadata.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse, expectsContinue = false): Promise<void> {
    const requestId = randomBytes(8).toString('hex').toUpperCase();
    const method = req.method ?? 'GET';
    res.setHeader('x-amz-request-id', requestId);
    res.setHeader('server', 'tierfs');
    let resource = req.url ?? '/';
    let operation = 'unknown';
    try {
      const target = parseTarget(req, this.options.domains);
      resource = target.resourcePath;
      if (method === 'OPTIONS') {
        operation = 'Preflight';
        answerPreflight(req, res, target.bucket, this.options.metadata);
        return;
      }
      applyCorsHeaders(req, res, target.bucket, this.options.metadata);
      // A form upload is signed by its policy, read with the body (post-object.ts), not its headers.
      const formUpload =
        method === 'POST' &&
        target.bucket !== undefined &&
        target.key === undefined &&
        target.query.length === 0 &&
        isFormUpload(req.headers);
      const identity = formUpload
        ? UNAUTHENTICATED_FORM
        : this.options.authenticator.authenticate(
            { method, rawPath: target.rawPath, query: target.query, headers: req.headers },
            target.resourcePath,
          );
      const query = new Map<string, string>();
      for (const [name, value] of target.query) if (!query.has(name)) query.set(name, value);
      const ctx: S3Context = {
        req,
        res,
        method,
        bucket: target.bucket,
        key: target.key,
        query,
        identity,
        requestId,
      };
      const found = route(ctx);
      operation = found.name;
      await this.services.access.authorize(ctx, found.name);
      if (expectsContinue) {
        res.writeContinue();
        expectsContinue = false;
      }
      await requestUser.run(identity.user, () => found.handler(ctx, this.services));
    } catch (error) {
      const failure = toS3Error(error);
      if (failure.status >= 500 && failure.code !== 'NotImplemented') {
        const cause = failure.cause instanceof Error ? `: ${failure.cause.message}` : '';
        this.options.log?.(`${requestId} ${operation} ${method} ${resource} failed: ${failure.code}${cause}`);
      }
      // Refused before its 100 Continue: the client may never send the body, or send it late, so
      // the connection cannot carry another request.
      if (expectsContinue && !res.headersSent) res.setHeader('connection', 'close');
      sendError(res, failure, { method, resource, requestId });
    }
  }
}

/**
 * A gateway over `store` configured from `tierfs.proxy.s3.*`; call `listen` to serve. The caller
 * keeps ownership of the store (close it after the gateway).
 */
export function s3GatewayFromConfig(
  store: UnderStore,
  conf: Configuration,
  log?: (line: string) => void,
): S3Gateway {
  const stateDir = conf.require(PROXY_S3_STATE_DIR);
  return new S3Gateway({
    store,
    metadata: new MetadataStore(stateDir),
    stagingDir: join(stateDir, 'multipart'),
    authenticator: new Authenticator({
      users: parseUsers(conf.get(PROXY_S3_USERS) ?? []),
      allowAnonymous: conf.require(PROXY_S3_ANONYMOUS_ENABLED),
      maxClockSkewMs: conf.require(PROXY_S3_MAX_CLOCK_SKEW),
    }),
    domains: conf.get(PROXY_S3_DOMAIN) ?? [],
    minPartSize: conf.require(PROXY_S3_COMPLETE_MULTIPART_UPLOAD_MIN_PART_SIZE),
    sweepIntervalMs: conf.require(UNDERFS_CLEANUP_INTERVAL),
    sweepMinAgeMs: conf.require(UNDERFS_LOCAL_PARTIAL_CLEAN_AGE),
    log,
  });
}
