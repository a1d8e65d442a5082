/**
 * Deletes of objects no one reads any more (the temporary keys of committed writes), taken off the
 * caller's path and sent together: one DeleteObjects (OSS DeleteMultipleObjects, Kodo batch) per
 * 1000 keys, once 1000 are waiting or `intervalMs` after the first of a batch was queued, and on
 * close. A failed delete is logged and left to the master's age-based sweeper, as is what a crash
 * leaves queued.
 */
import { toTierfsError } from '../../errors.js';
import { ufsLog } from '../log.js';
import { batches, forEachLimited } from './concurrency.js';
import type { ObjectClient } from './object-client.js';

/** Most keys one bulk delete takes (S3, OSS and Kodo alike). */
export const BULK_DELETE_MAX = 1000;

export class DeferredDeletes {
  private queued: { key: string; deleted?: () => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** The batches sent so far, one after another (each waits for the one before). */
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: ObjectClient,
    private readonly intervalMs: number,
    /** DeleteObjects is available; otherwise keys go one DELETE each (still off the caller's path). */
    private readonly bulk: boolean,
    private readonly threads: number,
  ) {}

  /** Queues `key` for deletion; `deleted` is called once it is (not when its batch failed). */
  add(key: string, deleted?: () => void): void {
    this.queued.push({ key, deleted });
    if (this.queued.length >= BULK_DELETE_MAX) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.intervalMs).unref();
  }

  /** Sends what is queued now (without waiting for it). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const queued = this.queued;
    this.queued = [];
    if (queued.length === 0) return;
    this.sending = this.sending.then(async () => {
      if (!(await this.send(queued.map((entry) => entry.key)))) return;
      for (const entry of queued) {
        try {
          entry.deleted?.();
        } catch {
          // The caller's bookkeeping; the object is gone either way.
        }
      }
    });
  }

  /** Sends what is queued and waits for every delete under way. */
  async close(): Promise<void> {
    this.flush();
    await this.sending;
  }

  /** Whether every key was deleted. */
  private async send(keys: readonly string[]): Promise<boolean> {
    try {
      if (this.bulk) {
        await forEachLimited(batches(keys, BULK_DELETE_MAX), this.threads, (batch) =>
          this.client.deleteObjects(batch),
        );
      } else {
        await forEachLimited(keys, this.threads, (key) => this.client.deleteObject(key));
      }
      return true;
    } catch (error) {
      ufsLog.warn('could not delete temporary objects of committed writes; the master sweeper will', {
        bucket: this.client.bucket,
        keys: keys.length,
        first: keys[0],
        error: toTierfsError(error).message,
      });
      return false;
    }
  }
}
