/**
 * One place pages live in, with a byte quota and watermarks: the MEM tier, or one directory of the
 * DISK tier. It keeps its pages' eviction order and its usage; the page store decides what an
 * eviction does (demote or drop).
 */
import { createEvictor, type Evictor, type EvictorType } from './evictor.js';

export type TierName = 'MEM' | 'DISK';

export interface PageEntry {
  readonly fileKey: string;
  readonly fileId: string;
  readonly pageIndex: number;
  readonly size: number;
  /** CRC-32 of the bytes: known for DISK pages; for MEM pages taken when needed (see PageStore.put). */
  crc: number | undefined;
  pool: QuotaPool;
  /** The bytes, while the page is in the MEM tier. */
  data: Buffer | undefined;
  /** Reads in progress; a page with readers is never chosen for eviction. */
  readers: number;
}

export interface QuotaPoolOptions {
  readonly tier: TierName;
  /** The directory, for a DISK pool. */
  readonly dir?: string;
  readonly capacity: number;
  readonly highWatermark: number;
  readonly lowWatermark: number;
  readonly evictor: EvictorType;
}

export class QuotaPool {
  readonly tier: TierName;
  readonly dir: string | undefined;
  readonly capacity: number;
  readonly highWatermark: number;
  readonly lowWatermark: number;
  private readonly order: Evictor<PageEntry>;
  private usedBytes = 0;

  constructor(options: QuotaPoolOptions) {
    this.tier = options.tier;
    this.dir = options.dir;
    this.capacity = options.capacity;
    this.highWatermark = options.highWatermark;
    this.lowWatermark = options.lowWatermark;
    this.order = createEvictor(options.evictor);
  }

  get used(): number {
    return this.usedBytes;
  }

  get pages(): number {
    return this.order.size;
  }

  /** Accounts a page in this pool (once, however often it is called). */
  add(entry: PageEntry): void {
    if (!this.order.has(entry)) this.usedBytes += entry.size;
    this.order.add(entry);
    entry.pool = this;
  }

  /** Takes a page out of this pool; a page not in it is left alone, so usage never drifts. */
  remove(entry: PageEntry): void {
    if (!this.order.has(entry)) return;
    this.order.remove(entry);
    this.usedBytes -= entry.size;
  }

  touch(entry: PageEntry): void {
    this.order.touch(entry);
  }

  /** Whether `size` more bytes fit without passing the high watermark (no eviction needed). */
  hasRoomFor(size: number): boolean {
    return this.usedBytes + size <= this.capacity * this.highWatermark;
  }

  /** Bytes above the low watermark: what eviction down to it would free. */
  get overLowWatermark(): number {
    return Math.max(0, this.usedBytes - this.capacity * this.lowWatermark);
  }

  /** The first page in eviction order that is not being read, if any. */
  coldest(): PageEntry | undefined {
    for (const entry of this.order.candidates()) if (entry.readers === 0) return entry;
    return undefined;
  }

  /**
   * The pages to evict so that `size` more bytes fit: none while usage stays within the high
   * watermark; otherwise the first pages in eviction order (skipping pages being read) until usage
   * plus `size` is within the low watermark, or as close as unpinned pages allow. Undefined when
   * the bytes cannot fit under the quota even then.
   */
  victimsFor(size: number): PageEntry[] | undefined {
    if (size > this.capacity) return undefined;
    if (this.usedBytes + size <= this.capacity * this.highWatermark) return [];
    const target = this.capacity * this.lowWatermark;
    const victims: PageEntry[] = [];
    let left = this.usedBytes + size;
    for (const entry of this.order.candidates()) {
      if (left <= target) break;
      if (entry.readers > 0) continue;
      victims.push(entry);
      left -= entry.size;
    }
    return left <= this.capacity ? victims : undefined;
  }
}
