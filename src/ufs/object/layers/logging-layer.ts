/**
 * Logs every request at debug level: operation, bucket, key, status, latency and bytes, and the
 * error code of a failure. Only these fields are logged: never headers, so never credentials.
 */
import { isTierfsError } from '../../../errors.js';
import { ufsLog } from '../../log.js';
import type { ObjectLayer } from '../layer.js';

export function loggingLayer(log: typeof ufsLog.debug = ufsLog.debug): ObjectLayer {
  return async (call, next) => {
    const started = performance.now();
    const fields = { operation: call.operation, bucket: call.bucket, key: call.key, bytes: call.bytes };
    try {
      const result = await next({ signal: call.signal });
      log('object store request', {
        ...fields,
        status: 'ok',
        latencyMs: Math.round(performance.now() - started),
      });
      return result;
    } catch (error) {
      const status = isTierfsError(error) ? error.details.httpStatus : undefined;
      log('object store request failed', {
        ...fields,
        status: typeof status === 'number' ? status : 'error',
        error: isTierfsError(error) ? error.code : 'INTERNAL',
        latencyMs: Math.round(performance.now() - started),
      });
      throw error;
    }
  };
}
