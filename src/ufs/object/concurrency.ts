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
