/**
 * Kodo's error answers: an HTTP status (standard or one of Qiniu's 6xx codes) and a JSON body
 * `{"error": "<message>"}`. TierfsErrors from the under store are mapped here, and only here.
 */
import type { ServerResponse } from 'node:http';
import { type ErrorTable, mapFailure, sendFailure } from '../common/error-reply.js';

export const KODO_STATUS = {
  BAD_REQUEST: 400,
  BAD_TOKEN: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CRC32_MISMATCH: 406,
  TOO_LARGE: 413,
  RANGE_NOT_SATISFIABLE: 416,
  NOT_IMPLEMENTED: 501,
  UNAVAILABLE: 503,
  SERVER_FAILED: 599,
  NO_SUCH_FILE: 612,
  FILE_EXISTS: 614,
  NO_SUCH_BUCKET: 631,
  INVALID_MARKER: 640,
  /** Resumable upload v1: a ctx that is invalid, expired, or out of step with its block. */
  CTX_INVALID: 701,
} as const;

export class KodoError extends Error {
  override readonly name = 'KodoError';
  readonly status: number;

  constructor(status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
  }
}

export const noSuchFile = (): KodoError =>
  new KodoError(KODO_STATUS.NO_SUCH_FILE, 'no such file or directory');
export const fileExists = (): KodoError => new KodoError(KODO_STATUS.FILE_EXISTS, 'file exists');
export const noSuchBucket = (): KodoError => new KodoError(KODO_STATUS.NO_SUCH_BUCKET, 'no such bucket');
export const badRequest = (message: string): KodoError => new KodoError(KODO_STATUS.BAD_REQUEST, message);
export const badToken = (message = 'bad token'): KodoError => new KodoError(KODO_STATUS.BAD_TOKEN, message);

const FROM_TIERFS: ErrorTable<number> = {
  NOT_FOUND: KODO_STATUS.NO_SUCH_FILE,
  ALREADY_EXISTS: KODO_STATUS.FILE_EXISTS,
  INVALID_ARGUMENT: KODO_STATUS.BAD_REQUEST,
  NOT_A_DIRECTORY: KODO_STATUS.BAD_REQUEST,
  IS_A_DIRECTORY: KODO_STATUS.BAD_REQUEST,
  PERMISSION_DENIED: KODO_STATUS.FORBIDDEN,
  READ_ONLY: KODO_STATUS.FORBIDDEN,
  RANGE_NOT_SATISFIABLE: KODO_STATUS.RANGE_NOT_SATISFIABLE,
  RATE_LIMITED: KODO_STATUS.UNAVAILABLE,
  UNAVAILABLE: KODO_STATUS.UNAVAILABLE,
  TIMEOUT: KODO_STATUS.UNAVAILABLE,
};

/** Any thrown value as a KodoError: Kodo's own pass through, store errors get their 6xx code. */
export function toKodoError(error: unknown): KodoError {
  if (error instanceof KodoError) return error;
  return mapFailure(error, FROM_TIERFS, KODO_STATUS.SERVER_FAILED, (status, source) => {
    const message =
      status === KODO_STATUS.NO_SUCH_FILE
        ? 'no such file or directory'
        : status === KODO_STATUS.FILE_EXISTS
          ? 'file exists'
          : status === KODO_STATUS.SERVER_FAILED || source === undefined
            ? 'server operation failed'
            : source.message;
    return new KodoError(status, message, { cause: error });
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

export function sendError(res: ServerResponse, error: unknown): void {
  sendFailure(res, toKodoError(error), (failure) =>
    sendJson(res, failure.status, { error: failure.message }),
  );
}
