/**
 * Small ranged GETs (a cold read of a small object, a page or less) without the AWS SDK: the
 * request signed by hand (sigv4-get.ts) and sent on an undici keep-alive pool, the body read whole
 * into one buffer. Per small GET the SDK's command stack (serialisation, middleware, endpoint
 * resolution, its signer) and Node's HTTP client cost more CPU than the request itself; this is
 * one signature and one request. Same credentials, endpoint, addressing style, timeouts and pool
 * size as the mount's S3Client; errors become the same TierfsErrors (toS3Error).
 *
 * Not used (the SDK serves the GET) with a proxy or the v2 signer. Against Amazon's own endpoint a
 * bucket in another region answers with a redirect: then this getter turns itself off for the
 * mount and the SDK, which follows region redirects, serves that GET and the ones after it.
 */
import type { Readable } from 'node:stream';
import { Agent, type Dispatcher, errors } from 'undici';
import type { Configuration } from '../../config/configuration.js';
import { TierfsError } from '../../errors.js';
import { checkAnsweredEtag } from '../object/object-version.js';
import { WholeBody } from '../whole-body.js';
import { maxConnections } from './s3-client-config.js';
import { toS3Error } from './s3-errors.js';
import { getterSettings } from './s3-getter-settings.js';
import {
  encodeS3Path,
  GetSigner,
  type GetterOptions,
  type RangedGetRequest,
  s3Addressing,
} from './sigv4-get.js';

const { RequestAbortedError } = errors;

/** Ranges up to this long are fetched whole into memory by SmallGet; longer ones stream through the SDK. */
export const SMALL_GET_MAX_BYTES = 256 * 1024;

/** How much of an error body is looked at for its code and message. */
export const MAX_ERROR_BODY = 16 * 1024;

export class SmallGet {
  private readonly agent: Agent;
  private readonly signer: GetSigner;
  private readonly origin: string;
  private readonly host: string;
  /** Path before the key: `/<bucket>/` (path style) or `/`, under the endpoint's own path. */
  private readonly base: string;
  private off = false;

  constructor(
    private readonly options: GetterOptions,
    settings: { endpoint: URL; pathStyle: boolean; region: string; connections: number; timeoutMs: number },
  ) {
    const { endpoint } = settings;
    ({ host: this.host, base: this.base } = s3Addressing(endpoint, options.bucket, settings.pathStyle));
    this.origin = `${endpoint.protocol}//${this.host}`;
    this.signer = new GetSigner(settings.region);
    this.agent = new Agent({
      connections: settings.connections,
      connect: { timeout: settings.timeoutMs },
      headersTimeout: settings.timeoutMs,
      bodyTimeout: settings.timeoutMs,
    });
  }

  /** Whether this getter serves GETs of this mount (not after a region redirect). */
  get enabled(): boolean {
    return !this.off;
  }

  /**
   * The bytes of the range, as a stream of one chunk; undefined when this getter cannot serve the
   * bucket (a region redirect: it is off from now on, ask the SDK).
   */
  async get(req: RangedGetRequest): Promise<Readable | undefined> {
    const { bucket } = this.options;
    const path = `${this.base}${encodeS3Path(req.key)}`;
    const headers: Record<string, string> = { range: `bytes=${req.range.start}-${req.range.end}` };
    if (req.ifMatch !== undefined) headers['if-match'] = `"${req.ifMatch}"`;
    let answer: Answer;
    try {
      const signed = this.signer.sign(this.host, path, headers, await this.options.credentials());
      if (this.options.userAgent) signed['user-agent'] = this.options.userAgent;
      answer = await this.send(path, signed, req.signal);
    } catch (error) {
      throw transportError(error, bucket, req.key);
    }
    const { statusCode } = answer;
    if (statusCode === 200 || statusCode === 206) {
      try {
        checkAnsweredEtag(req.ifMatch, etagOf(answer.etag), false, `GetObject s3://${bucket}/${req.key}`);
      } catch (error) {
        throw transportError(error, bucket, req.key);
      }
      return new WholeBody(answer.body);
    }
    const error = answerError(statusCode, answer.body, bucket, req.key);
    if (error === 'redirect') {
      this.off = true;
      return undefined;
    }
    throw error;
  }

  /**
   * One GET on the pool, its answer collected whole: the status, the ETag and the body. undici's
   * `request` would parse every header into an object and hand the body over as a stream to be
   * read back into one buffer; this takes the raw answer as it comes.
   */
  private send(
    path: string,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      this.agent.dispatch(
        { origin: this.origin, path, method: 'GET', headers },
        new CollectingHandler(resolve, reject, signal),
      );
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/**
 * A SmallGet for a mount, or undefined when the mount's settings need the SDK for every request:
 * a proxy, or the v2 signer.
 */
export function smallGetFor(conf: Configuration, options: GetterOptions): SmallGet | undefined {
  const settings = getterSettings(conf);
  return settings && new SmallGet(options, { ...settings, connections: maxConnections(conf) });
}

function etagOf(header: string | undefined): string | undefined {
  return header?.replace(/^(W\/)?"|"$/g, '');
}

/** What a GET answered: its status, its ETag header and its whole body. */
interface Answer {
  readonly statusCode: number;
  readonly etag: string | undefined;
  readonly body: Buffer;
}

/**
 * undici's dispatch handler of one GET (its raw interface: header names and values as Buffers),
 * collecting the answer. The caller's signal aborts the request until the answer is complete.
 */
class CollectingHandler implements Dispatcher.DispatchHandler {
  private statusCode = 0;
  private etag: string | undefined;
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private abort: ((reason?: Error) => void) | undefined;
  private readonly onAbort: (() => void) | undefined;

  constructor(
    private readonly resolve: (answer: Answer) => void,
    private readonly reject: (error: unknown) => void,
    private readonly signal: AbortSignal | undefined,
  ) {
    if (signal) {
      this.onAbort = () => this.abort?.(abortReason(signal));
      signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  onConnect(abort: (reason?: Error) => void): void {
    this.abort = abort;
    if (this.signal?.aborted) abort(abortReason(this.signal));
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    if (statusCode < 200) return true; // 1xx: the answer is still to come
    this.statusCode = statusCode;
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      const name = rawHeaders[i]!;
      if (name.length === 4 && name.toString('latin1').toLowerCase() === 'etag') {
        this.etag = rawHeaders[i + 1]!.toString('latin1');
      }
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    this.size += chunk.length;
    return true;
  }

  onComplete(): void {
    this.done();
    const { chunks, size } = this;
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
    this.resolve({ statusCode: this.statusCode, etag: this.etag, body });
  }

  onError(error: Error): void {
    this.done();
    this.reject(error);
  }

  private done(): void {
    if (this.onAbort) this.signal!.removeEventListener('abort', this.onAbort);
  }
}

/** Why a signal aborted, as an Error (undici's own when the signal gave none). */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new RequestAbortedError();
}

/**
 * The error of a GET answered with `statusCode` and (the start of) `body`, an S3 error document, as
 * the SDK would report it; 'redirect' for a bucket in another region (the SDK follows those).
 */
export function answerError(
  statusCode: number,
  body: Buffer,
  bucket: string,
  key: string,
): TierfsError | 'redirect' {
  const text = body.toString('utf8', 0, Math.min(body.length, MAX_ERROR_BODY));
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
  if (isRegionRedirect(statusCode, code)) return 'redirect';
  const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
  // The SDK's names for a body-less answer (a HEAD-like 304/412 has none).
  const name =
    code ?? (statusCode === 412 ? 'PreconditionFailed' : statusCode === 404 ? 'NotFound' : undefined);
  return toS3Error(
    { name, message: message ?? `HTTP ${statusCode}`, $metadata: { httpStatusCode: statusCode } },
    'GetObject',
    bucket,
    key,
  );
}

/** A moved bucket (another region than the one signed for): the SDK knows how to follow it. */
function isRegionRedirect(status: number, code: string | undefined): boolean {
  return (
    status === 301 ||
    status === 307 ||
    code === 'PermanentRedirect' ||
    code === 'AuthorizationHeaderMalformed' ||
    code === 'IllegalLocationConstraintException'
  );
}

/** undici's connection failures and timeouts are retryable, as the SDK's are. */
function transportError(error: unknown, bucket: string, key: string): TierfsError {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('UND_ERR_') && code !== 'UND_ERR_ABORTED') {
    const timeout = /TIMEOUT/.test(code);
    return new TierfsError(
      timeout ? 'TIMEOUT' : 'UNAVAILABLE',
      `GetObject s3://${bucket}/${key}: ${(error as Error).message} (${code})`,
      { cause: error, retryable: true, details: { bucket, key, operation: 'GetObject' } },
    );
  }
  return toS3Error(error, 'GetObject', bucket, key);
}
