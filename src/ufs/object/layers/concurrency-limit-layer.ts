/**
 * Caps requests in flight, per class: data transfers (puts, parts, gets) share one limit
 * (`tierfs.underfs.s3.upload.threads.max`), metadata requests another
 * (`tierfs.underfs.s3.admin.threads.max`). Requests past the cap wait their turn in order.
 */

import { Semaphore } from '../concurrency.js';
import type { ObjectLayer } from '../layer.js';
import type { ObjectOperation } from '../object-client.js';

const DATA_OPERATIONS: ReadonlySet<ObjectOperation> = new Set(['putObject', 'uploadPart', 'getObject']);

export function concurrencyLimitLayer(limits: { admin: number; data: number }): ObjectLayer {
  const admin = new Semaphore(limits.admin);
  const data = new Semaphore(limits.data);
  return async (call, next) => {
    const release = await (DATA_OPERATIONS.has(call.operation) ? data : admin).acquire();
    try {
      return await next({ signal: call.signal });
    } finally {
      release();
    }
  };
}
