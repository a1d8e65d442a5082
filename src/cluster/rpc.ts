/**
 * JSON over HTTP between tierfs processes, on undici's pooled keep-alive client. An ErrorBody
 * becomes the TierfsError it was on the other side, with its code, details and retryable flag; a
 * refused or reset connection a retryable UNAVAILABLE naming the address. `sendError` is the other
 * half: how every tierfs HTTP port answers a failure.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { request } from 'undici';
import { ERROR_CODES, type ErrorCode, TierfsError, toTierfsError } from '../errors.js';
import { validationFailure } from './validation-errors.js';
import type { ErrorBody } from './wire.js';

export interface CallOptions {
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly timeoutMs?: number;
}

export async function callJson<T>(
  method: 'GET' | 'POST',
  url: string,
  options: CallOptions = {},
): Promise<T> {
  let response: Awaited<ReturnType<typeof request>>;
  try {
    response = await request(url, {
      method,
      headers: { 'content-type': 'application/json', ...options.headers },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      headersTimeout: options.timeoutMs ?? 60_000,
      bodyTimeout: options.timeoutMs ?? 60_000,
    });
  } catch (error) {
    throw unreachable(url, error);
  }
  const text = await response.body.text();
  if (response.statusCode >= 400) throw errorFromBody(response.statusCode, text, url);
  return (text === '' ? {} : JSON.parse(text)) as T;
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
