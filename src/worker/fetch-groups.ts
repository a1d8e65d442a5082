/**
 * A client's bound on its fetches from the under stores: the reads of the batches that name the same
 * fetch group (cluster/batch-read.ts `fetchGroup`) are served at most `fetchConcurrency` at a time,
 * first come first served, however many batches they came in. A client that lists a directory and
 * sends the files it will read next along with the ones its readers ask for (client/read-ahead.ts)
 * keeps the store busy at the concurrency its readers would have had, never above it. A group is
 * forgotten when nothing of it is running or waiting.
 */

import { Semaphore } from '../ufs/object/concurrency.js';

/** The highest fetchConcurrency a batch may name. */
export const MAX_FETCH_CONCURRENCY = 256;

export class FetchGroups {
  private readonly groups = new Map<string, Semaphore>();

  /**
   * Resolves when a read of `group` may fetch (at most `limit` of the group at once; the latest
   * batch's limit counts), with the function that ends its turn (call it exactly once).
   */
  async turn(name: string, limit: number): Promise<() => void> {
    let group = this.groups.get(name);
    if (group) group.limit = limit;
    else {
      group = new Semaphore(limit);
      this.groups.set(name, group);
    }
    const release = await group.acquire();
    const g = group;
    return () => {
      release();
      if (g.idle && this.groups.get(name) === g) this.groups.delete(name);
    };
  }

  /** Groups with a read running or waiting (for tests). */
  get size(): number {
    return this.groups.size;
  }
}
