/**
 * The pages of a file being written, cut from the received chunks (views of them, no copy) and
 * handed to the page store. Two ways:
 *
 * - inline (MUST_CACHE, ASYNC_THROUGH): `add` resolves once the pages it completed are put, so
 *   the write waits for the cache (for MUST_CACHE the pages are the only copy).
 * - behind (CACHE_THROUGH): `add` never waits; pages go to the store while the upload goes on.
 *   The bytes of pages handed over but not yet settled are bounded: when the store falls that far
 *   behind, caching stops for the rest of the file (the file keeps the pages put before; the rest
 *   is read from the under store), so the upload never waits for the cache and memory stays
 *   bounded.
 *
 * After `abort` (a failed write), a page whose put settles later is deleted again: no page of a
 * failed write stays visible, whenever its put lands.
 */
import type { PageStore } from '../cache/page-store.js';
import { TierfsError } from '../errors.js';

/** Bytes of pages a CACHE_THROUGH write may have in flight to the page store before it stops caching. */
export const WRITE_BEHIND_BYTES = 64 * 1024 * 1024;

export interface PageFillOptions {
  /** Do not wait for the page store (see the module comment). */
  readonly behind: boolean;
  /** Behind only: bytes of pages in flight beyond which caching stops. */
  readonly maxPendingBytes?: number;
  /**
   * Inline only: every page must be cached (MUST_CACHE, whose pages are the only copy): a page
   * the store has no room for fails the write instead of leaving a hole in an acknowledged file.
   */
  readonly required?: boolean;
}

export class PageFill {
  private page: Buffer[] = [];
  private fill = 0;
  private nextIndex = 0;
  private pendingBytes = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  private aborted = false;
  private readonly maxPendingBytes: number;

  constructor(
    private readonly pages: Pick<PageStore, 'pageSize' | 'put' | 'delete'>,
    private readonly fileKey: string,
    private readonly options: PageFillOptions,
  ) {
    this.maxPendingBytes = options.maxPendingBytes ?? WRITE_BEHIND_BYTES;
  }

  /** True once a write behind gave up caching (the store fell behind, or a put failed). */
  get dropped(): boolean {
    return this.stopped;
  }

  /** Pages handed to the store so far. */
  get pagesPut(): number {
    return this.nextIndex;
  }

  /** Takes a chunk; inline, resolves once the pages it completed are in the store. */
  add(chunk: Buffer): Promise<void> | undefined {
    if (this.stopped) return undefined;
    const pageSize = this.pages.pageSize;
    const puts: Promise<void>[] = [];
    for (let at = 0; at < chunk.length; ) {
      const n = Math.min(pageSize - this.fill, chunk.length - at);
      this.page.push(n === chunk.length ? chunk : chunk.subarray(at, at + n));
      this.fill += n;
      at += n;
      if (this.fill === pageSize) {
        const put = this.putPage();
        if (put) puts.push(put);
        if (this.stopped) break;
      }
    }
    if (this.options.behind || puts.length === 0) return undefined;
    return Promise.all(puts).then(() => undefined);
  }

  /** Puts the last, partial page; inline, resolves once it is in the store. */
  async end(): Promise<void> {
    if (this.stopped || this.fill === 0) return;
    const put = this.putPage();
    if (put && !this.options.behind) await put;
  }

  /** Resolves once every put issued so far has settled. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** The write failed: no more pages, and any put that settles from now on is deleted again. */
  abort(): void {
    this.aborted = true;
    this.stopped = true;
    this.page = [];
  }

  private putPage(): Promise<void> | undefined {
    const page = this.page;
    const size = this.fill;
    this.page = [];
    this.fill = 0;
    if (this.options.behind && this.pendingBytes + size > this.maxPendingBytes) {
      this.stopped = true;
      return undefined;
    }
    const index = this.nextIndex++;
    this.pendingBytes += size;
    const put: Promise<void> = this.pages.put(this.fileKey, index, page, { adopt: true }).then(
      async (cached) => {
        // A store with no room for a page now will not have it for the next ones either.
        if (!cached && (this.options.behind || this.options.required)) this.stopped = true;
        await this.settle(put, size, index);
        if (!cached && this.options.required) {
          throw new TierfsError(
            'UNAVAILABLE',
            `the worker's cache has no room for page ${index} of a MUST_CACHE write, whose pages are its only copy: free cached data (tierfs fs free), give the worker more tier space, or write with CACHE_THROUGH`,
          );
        }
      },
      (error: unknown) => {
        this.stopped = true;
        return this.settle(put, size, index).then(() => {
          if (!this.options.behind) throw error;
        });
      },
    );
    this.inFlight.add(put);
    return put;
  }

  private async settle(put: Promise<void>, size: number, index: number): Promise<void> {
    this.pendingBytes -= size;
    this.inFlight.delete(put);
    if (this.aborted) await this.pages.delete(this.fileKey, index).catch(() => undefined);
  }
}
