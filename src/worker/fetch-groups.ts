/**
 * A client's bound on its fetches from the under stores: the reads of the batches that name the same
 * fetch group (cluster/batch-read.ts `fetchGroup`) are served at most `fetchConcurrency` at a time,
 * first come first served, however many batches they came in. A client that lists a directory and
 * sends the files it will read next along with the ones its readers ask for (client/read-ahead.ts)
 * keeps the store busy at the concurrency its readers would have had, never above it. A group is
 * forgotten when nothing of it is running or waiting.
 */

/** The highest fetchConcurrency a batch may name. */
export const MAX_FETCH_CONCURRENCY = 256;

interface Group {
  limit: number;
  running: number;
  readonly waiting: (() => void)[];
}

export class FetchGroups {
  private readonly groups = new Map<string, Group>();

  /**
   * Resolves when a read of `group` may fetch (at most `limit` of the group at once; the latest
   * batch's limit counts), with the function that ends its turn (call it exactly once).
   */
  async turn(name: string, limit: number): Promise<() => void> {
    let group = this.groups.get(name);
    if (!group) {
      group = { limit, running: 0, waiting: [] };
      this.groups.set(name, group);
    }
    group.limit = limit;
    const g = group;
    await new Promise<void>((resolve) => {
      g.waiting.push(resolve);
      this.wake(g);
    });
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      g.running--;
      this.wake(g);
      if (g.running === 0 && g.waiting.length === 0 && this.groups.get(name) === g) this.groups.delete(name);
    };
  }

  /** Starts waiting reads while the group has room. */
  private wake(group: Group): void {
    while (group.running < group.limit && group.waiting.length > 0) {
      group.running++;
      group.waiting.shift()!();
    }
  }

  /** Groups with a read running or waiting (for tests). */
  get size(): number {
    return this.groups.size;
  }
}
