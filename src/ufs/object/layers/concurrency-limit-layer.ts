/**
 * Caps requests in flight, per class: data transfers (puts, parts, gets) share one limit
 * (`tierfs.underfs.s3.upload.threads.max`), metadata requests another
 * (`tierfs.underfs.s3.admin.threads.max`). Requests past the cap wait their turn in order.
 */

import type { ObjectLayer } from '../layer.js';
import type { ObjectOperation } from '../object-client.js';

const DATA_OPERATIONS: ReadonlySet<ObjectOperation> = new Set(['putObject', 'uploadPart', 'getObject']);

export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {}

  async acquire(): Promise<() => void> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    };
  }
}

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
