/**
 * Gives every request a deadline (`tierfs.underfs.s3.request.timeout`): past it the request is
 * aborted and fails with a retryable TIMEOUT, so a retry layer outside this one tries again. The
 * deadline covers a request until its response arrives; a download's body is then governed by the
 * socket (idle) timeout of the HTTP client, so a long read is not cut off while data flows.
 */
import { Readable } from 'node:stream';
import { TierfsError } from '../../../errors.js';
import type { ObjectLayer } from '../layer.js';

export function timeoutLayer(timeoutMs: number): ObjectLayer {
  return async (call, next) => {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new TierfsError('TIMEOUT', `${call.operation} timed out`));
    }, timeoutMs);
    const forward = () => controller.abort(call.signal?.reason);
    if (call.signal?.aborted) forward();
    call.signal?.addEventListener('abort', forward, { once: true });
    let result: Awaited<ReturnType<typeof next>> | undefined;
    try {
      result = await next({ signal: controller.signal });
      return result;
    } catch (error) {
      if (!timedOut) throw error;
      throw new TierfsError(
        'TIMEOUT',
        `${call.operation} of ${call.bucket}/${call.key ?? ''} got no response within ${timeoutMs} ms`,
        { cause: error, retryable: true },
      );
    } finally {
      clearTimeout(timer);
      // A download keeps listening to the caller's signal until its body is done with.
      const stop = () => call.signal?.removeEventListener('abort', forward);
      if (result instanceof Readable) result.once('close', stop);
      else stop();
    }
  };
}
