/**
 * Retries requests that failed with a retryable TierfsError (5xx, throttling, connection resets,
 * timeouts) with exponential backoff and full jitter: attempt n waits a random time in
 * [0, min(maxDelay, baseDelay * 2^n)]. Request bodies are ObjectBody factories, so a retried put
 * or part sends its bytes again from the start. Never retries once the caller's signal is aborted.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isTierfsError } from '../../../errors.js';
import type { ObjectLayer } from '../layer.js';

export interface RetryOptions {
  /** Retries after the first attempt; 0 disables the layer. */
  readonly maxRetries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** For tests: a source of numbers in [0, 1). */
  readonly random?: () => number;
  /** For tests: how to wait. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export function retryLayer(options: RetryOptions): ObjectLayer {
  const random = options.random ?? Math.random;
  const wait = options.sleep ?? ((ms: number, signal?: AbortSignal) => sleep(ms, undefined, { signal }));
  return async (call, next) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await next({ signal: call.signal });
      } catch (error) {
        const retry =
          attempt < options.maxRetries && isTierfsError(error) && error.retryable && !call.signal?.aborted;
        if (!retry) throw error;
        const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
        await wait(Math.round(random() * ceiling), call.signal).catch(() => {
          throw error;
        });
      }
    }
  };
}
