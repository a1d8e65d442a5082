/**
 * Runs `action` over `items` with at most `limit` in flight; rejects with the first failure once
 * the actions in flight have settled. Items may come as a source yields them (an async iterable:
 * a listing page by page): the first are worked on while later ones are still coming. The lanes
 * share one iterator (an async generator queues their next() calls); a failure stops them taking
 * more, and the source is closed (its return()) when the lanes stop before its end.
 */
export async function forEachLimited<T>(
  items: Iterable<T> | AsyncIterable<T>,
  limit: number,
  action: (item: T) => Promise<void>,
): Promise<void> {
  const iterator: Iterator<T> | AsyncIterator<T> =
    Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : items[Symbol.iterator]();
  let failed = false;
  let ended = false;
  const worker = async (): Promise<void> => {
    try {
      while (!failed) {
        const next = await iterator.next();
        if (next.done) {
          ended = true;
          return;
        }
        if (failed) return; // taken while another lane failed: left undone
        await action(next.value);
      }
    } catch (error) {
      failed = true; // the action's failure, or the source's
      throw error;
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.max(1, limit) }, worker));
  if (!ended) await iterator.return?.();
  const rejection = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejection) throw rejection.reason;
}

/** Splits `items` into arrays of at most `size`. */
export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let at = 0; at < items.length; at += size) out.push(items.slice(at, at + size));
  return out;
}

/**
 * At most `limit` holders at once; the others wait their turn in order. The limit may change while
 * holders run (a raised one lets waiters in at once, a lowered one lets none in until enough leave).
 */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private bound: number) {}

  get limit(): number {
    return this.bound;
  }

  set limit(limit: number) {
    this.bound = limit;
    this.wake();
  }

  /** Nobody holds it and nobody waits. */
  get idle(): boolean {
    return this.active === 0 && this.waiting.length === 0;
  }

  /**
   * Resolves with the function that ends this hold (calling it again does nothing). Every acquire
   * goes through the queue, so holders start in the order they asked, in the same turn too.
   */
  async acquire(): Promise<() => void> {
    await new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      this.wake();
    });
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.wake();
    };
  }

  private wake(): void {
    while (this.active < this.bound && this.waiting.length > 0) {
      this.active++;
      this.waiting.shift()!();
    }
  }
}
