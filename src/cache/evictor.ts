/**
 * Eviction orders. Each is O(1) per access: LRU keeps entries in a Set in access order (an access
 * moves the entry to the end); LFU keeps one such Set per access count, so ties go LRU.
 */
export type EvictorType = 'LRU' | 'LFU';

export interface Evictor<T> {
  readonly size: number;
  /** A new entry, counted as accessed once. */
  add(item: T): void;
  touch(item: T): void;
  remove(item: T): void;
  /** Entries in eviction order, first to go first. Do not change the evictor while iterating. */
  candidates(): Iterable<T>;
}

export class LruEvictor<T> implements Evictor<T> {
  private readonly order = new Set<T>();

  get size(): number {
    return this.order.size;
  }

  add(item: T): void {
    this.order.delete(item);
    this.order.add(item);
  }

  touch(item: T): void {
    if (this.order.delete(item)) this.order.add(item);
  }

  remove(item: T): void {
    this.order.delete(item);
  }

  candidates(): Iterable<T> {
    return this.order;
  }
}

export class LfuEvictor<T> implements Evictor<T> {
  private readonly counts = new Map<T, number>();
  private readonly byCount = new Map<number, Set<T>>();

  get size(): number {
    return this.counts.size;
  }

  add(item: T): void {
    this.remove(item);
    this.place(item, 1);
  }

  touch(item: T): void {
    const count = this.counts.get(item);
    if (count === undefined) return;
    this.unplace(item, count);
    this.place(item, count + 1);
  }

  remove(item: T): void {
    const count = this.counts.get(item);
    if (count !== undefined) this.unplace(item, count);
  }

  *candidates(): Iterable<T> {
    // Sorting the distinct counts (few) happens only when evicting, never per access.
    for (const count of [...this.byCount.keys()].sort((a, b) => a - b)) yield* this.byCount.get(count)!;
  }

  private place(item: T, count: number): void {
    this.counts.set(item, count);
    let set = this.byCount.get(count);
    if (!set) {
      set = new Set();
      this.byCount.set(count, set);
    }
    set.add(item);
  }

  private unplace(item: T, count: number): void {
    this.counts.delete(item);
    const set = this.byCount.get(count)!;
    set.delete(item);
    if (set.size === 0) this.byCount.delete(count);
  }
}

export function createEvictor<T>(type: EvictorType): Evictor<T> {
  return type === 'LFU' ? new LfuEvictor<T>() : new LruEvictor<T>();
}
