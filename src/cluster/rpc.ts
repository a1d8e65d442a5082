/**
 * JSON over HTTP between tierfs processes, on node:http with a keep-alive pool (not undici: loading
 * undici costs a CLI command such as `tierfs fs ls` a good part of its start-up). An ErrorBody
 * becomes the TierfsError it was on the other side, with its code, details and retryable flag; a
 * refused or reset connection a retryable UNAVAILABLE naming the address. `sendError` is the other
 * half: how every tierfs HTTP port answers a failure.
 */
import {
  Agent,
  type ClientRequest,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
} from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, type ErrorCode, TierfsError, toTierfsError } from '../errors.js';
import { validationFailure } from './validation-errors.js';
import type { ErrorBody } from './wire.js';

export interface CallOptions {
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly timeoutMs?: number;
  /** Gives the call up at once (its socket destroyed) with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Called with the headers of a successful answer as soon as they arrive, before its body. */
  readonly onHead?: (headers: IncomingHttpHeaders) => void;
}

/**
 * Sockets kept open to each master/worker between calls (plenty for a client's parallel work); an
 * idle one is closed after 4 s, before any Node server (5 s by default) closes it under a request.
 */
const POOL = { keepAlive: true, maxSockets: 64, timeout: 4000 };
const agent = new Agent(POOL);
let httpsAgent: Agent | undefined;

interface Answer {
  readonly status: number;
  readonly text: string;
}

/** Makes requests to `url` on the keep-alive pool of its protocol (node:https loaded only for it). */
async function pooledRequest(
  url: URL,
): Promise<(method: string, headers: Record<string, string>) => ClientRequest> {
  if (url.protocol !== 'https:') {
    return (method, headers) => httpRequest(url, { method, agent, headers });
  }
  const https = await import('node:https');
  httpsAgent ??= new https.Agent(POOL);
  const pool = httpsAgent;
  return (method, headers) => https.request(url, { method, agent: pool, headers });
}

/** Destroys `req` with the signal's reason when it aborts (until the request closes). */
function destroyOnAbort(req: ClientRequest, signal: AbortSignal | undefined): void {
  if (!signal) return;
  const abandon = () => req.destroy(signal.reason as Error);
  if (signal.aborted) abandon();
  else signal.addEventListener('abort', abandon, { once: true });
  req.once('close', () => signal.removeEventListener('abort', abandon));
}

async function send(
  method: string,
  url: URL,
  headers: Record<string, string>,
  payload: string | undefined,
  timeoutMs: number,
  signal?: AbortSignal,
  onHead?: (headers: IncomingHttpHeaders) => void,
): Promise<Answer> {
  const request = await pooledRequest(url);
  return new Promise<Answer>((resolve, reject) => {
    const req = request(
      method,
      payload === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(payload)) },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    destroyOnAbort(req, signal);
    req.on('error', (error: NodeJS.ErrnoException & { reused?: boolean }) => {
      error.reused = req.reusedSocket;
      reject(error);
    });
    req.on('response', (response: IncomingMessage) => {
      if (onHead && (response.statusCode ?? 0) < 400) onHead(response.headers);
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.end(payload);
  });
}

export async function callJson<T>(
  method: 'GET' | 'POST',
  url: string,
  options: CallOptions = {},
): Promise<T> {
  const target = new URL(url);
  const headers = { 'content-type': 'application/json', ...options.headers };
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const timeoutMs = options.timeoutMs ?? 60_000;
  let answer: Answer;
  try {
    answer = await send(method, target, headers, payload, timeoutMs, options.signal, options.onHead);
  } catch (error) {
    // A kept-alive socket the peer closed while idle: a read is sent again (a POST is not: it
    // may have been applied).
    const e = error as NodeJS.ErrnoException & { reused?: boolean };
    const idleClosed = e.reused && (e.code === 'ECONNRESET' || e.code === 'EPIPE');
    if (!(idleClosed && method === 'GET')) throw unreachable(url, error);
    try {
      answer = await send(method, target, headers, payload, timeoutMs, options.signal, options.onHead);
    } catch (again) {
      throw unreachable(url, again);
    }
  }
  if (answer.status >= 400) throw errorFromBody(answer.status, answer.text, url);
  return (answer.text === '' ? {} : JSON.parse(answer.text)) as T;
}

/** How long a streamed GET waits for its status line and headers. */
const STREAM_HEADERS_TIMEOUT_MS = 300_000;
/** How long a streamed body may bring no byte while its reader waits for one (undici's bodyTimeout). */
const STREAM_BODY_IDLE_MS = 300_000;

/**
 * A GET whose answer is streamed (a worker's `GET /data`), on the same keep-alive pool as the
 * JSON calls: the response once its status line and headers are in, its body not read yet. A
 * failure before that (after one more try when a kept-alive socket turned out closed) is the
 * retryable UNAVAILABLE of `unreachable`; the body then errors, never ends early, when the
 * connection breaks before its content-length is in, or when the peer sends nothing for
 * `bodyIdleMs` while the reader waits (a reader holding the body back with bytes buffered, e.g. a
 * paused FUSE read, never trips it).
 */
export async function streamGet(
  url: string,
  headers: Record<string, string>,
  signal?: AbortSignal,
  bodyIdleMs = STREAM_BODY_IDLE_MS,
): Promise<IncomingMessage> {
  const target = new URL(url);
  let response: IncomingMessage;
  try {
    response = await startGet(target, headers, signal);
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { reused?: boolean };
    if (!(e.reused && (e.code === 'ECONNRESET' || e.code === 'EPIPE'))) throw unreachable(url, error);
    try {
      response = await startGet(target, headers, signal);
    } catch (again) {
      throw unreachable(url, again);
    }
  }
  watchBodyIdle(response, url, bodyIdleMs);
  return response;
}

/**
 * Fails `response` when its socket brings no byte for `idleMs` while its reader waits for one.
 * It watches the socket's byte count, not 'data' events (a listener would set the body flowing).
 */
function watchBodyIdle(response: IncomingMessage, url: string, idleMs: number): void {
  const socket = response.socket;
  let bytes = socket.bytesRead;
  let since = Date.now();
  const check = setInterval(
    () => {
      const now = Date.now();
      // Bytes buffered but not taken: the reader holds the body back (the socket is paused for it).
      if (socket.bytesRead !== bytes || response.readableLength > 0) {
        bytes = socket.bytesRead;
        since = now;
      } else if (now - since >= idleMs) {
        response.destroy(unreachable(url, new Error(`no byte of the body in ${idleMs} ms`)));
      }
    },
    Math.max(10, Math.floor(idleMs / 4)),
  );
  check.unref();
  response.once('close', () => clearInterval(check));
}

async function startGet(
  url: URL,
  headers: Record<string, string>,
  signal?: AbortSignal,
): Promise<IncomingMessage> {
  const request = await pooledRequest(url);
  return new Promise<IncomingMessage>((resolve, reject) => {
    const req = request('GET', headers);
    const timer = setTimeout(
      () => req.destroy(new Error(`no answer in ${STREAM_HEADERS_TIMEOUT_MS} ms`)),
      STREAM_HEADERS_TIMEOUT_MS,
    );
    destroyOnAbort(req, signal);
    req.on('error', (error: NodeJS.ErrnoException & { reused?: boolean }) => {
      clearTimeout(timer);
      error.reused = req.reusedSocket;
      reject(error);
    });
    req.on('response', (response: IncomingMessage) => {
      clearTimeout(timer);
      resolve(response);
    });
    req.end();
  });
}

/** The retryable UNAVAILABLE for a peer that could not be reached at all. */
export function unreachable(url: string, error: unknown): TierfsError {
  return new TierfsError('UNAVAILABLE', `cannot reach ${new URL(url).origin}: ${(error as Error).message}`, {
    cause: error,
    retryable: true,
  });
}

/** The TierfsError an error response stands for; one of ours keeps its code, details and retryable. */
export function errorFromBody(status: number, text: string, url: string): TierfsError {
  try {
    const parsed = JSON.parse(text) as Partial<ErrorBody>;
    if (parsed.code && parsed.message && parsed.code in ERROR_CODES) {
      return new TierfsError(parsed.code as ErrorCode, parsed.message, {
        ...(typeof parsed.retryable === 'boolean' ? { retryable: parsed.retryable } : {}),
        ...(parsed.details && typeof parsed.details === 'object' ? { details: { ...parsed.details } } : {}),
      });
    }
  } catch {
    // Not one of ours: describe the status below.
  }
  return new TierfsError(
    status >= 500 ? 'UNAVAILABLE' : 'INTERNAL',
    `${new URL(url).origin} answered ${status}: ${text.slice(0, 200)}`,
  );
}

/** The ErrorBody of an error: what crosses the wire (never the cause or the stack). */
export function errorBody(error: TierfsError): ErrorBody {
  const details = Object.fromEntries(
    Object.entries(error.details).filter(
      (entry): entry is [string, string | number | boolean] => entry[1] !== undefined,
    ),
  );
  return {
    code: error.code,
    message: error.message,
    retryable: error.retryable,
    ...(Object.keys(details).length > 0 ? { details } : {}),
  };
}

/** Maps every failure to an ErrorBody with its status; unexpected ones are logged, not shown. */
export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const status = (error as { statusCode?: number }).statusCode;
  const schema = request.routeOptions.schema as
    | Record<string, Record<string, unknown> | undefined>
    | undefined;
  const parts: Record<string, unknown> = {
    body: request.body,
    querystring: request.query,
    params: request.params,
    headers: request.headers,
  };
  const failure =
    validationFailure(
      error,
      (context) => schema?.[context],
      (context) => parts[context],
    ) ??
    (status !== undefined && status >= 400 && status < 500 && !(error instanceof TierfsError)
      ? new TierfsError('INVALID_ARGUMENT', (error as Error).message)
      : toTierfsError(error));
  if (failure.code === 'INTERNAL') request.log.error({ err: error }, 'request failed');
  else if (failure.status >= 500) {
    // The RPC ports keep no access log: a failure the server or its stores caused is logged here.
    request.log.warn({ url: request.url, code: failure.code, message: failure.message }, 'request failed');
  }
  reply.status(failure.status).send(errorBody(failure));
}
