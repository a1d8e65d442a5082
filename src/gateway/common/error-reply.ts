/**
 * What every dialect's error answer shares. A failure becomes the dialect's error through its
 * code table (TierfsError code → the dialect's code; anything else → the dialect's fallback),
 * and the answer is sent only while nothing of the response has gone out: once headers are sent
 * the connection is cut, so a client sees a broken response and never a wrong one. The wire
 * format (S3/OSS XML, Kodo JSON) stays in each dialect.
 */
import type { ServerResponse } from 'node:http';
import { type ErrorCode, isTierfsError, type TierfsError } from '../../errors.js';

/** The dialect code each TierfsError code becomes; codes not listed become the fallback. */
export type ErrorTable<C> = Readonly<Partial<Record<ErrorCode, C>>>;

/**
 * `failure` as a dialect error: `make` builds it from the dialect code the table gives and the
 * TierfsError it came from (undefined for anything that is not one, which gets `fallback`).
 */
export function mapFailure<C, E>(
  failure: unknown,
  table: ErrorTable<C>,
  fallback: C,
  make: (code: C, source: TierfsError | undefined) => E,
): E {
  if (!isTierfsError(failure)) return make(fallback, undefined);
  return make(table[failure.code] ?? fallback, failure);
}

/** Writes the error with `write` unless the response is under way; then the connection is cut. */
export function sendFailure<E extends Error>(res: ServerResponse, error: E, write: (error: E) => void): void {
  if (res.headersSent) {
    res.destroy(error);
    return;
  }
  write(error);
}
