/**
 * Reading ahead through a listing: the files of a `listForRead` page that the caller has not asked
 * for yet go with the short-circuit batch of the ones it has (read-batcher.ts), answered only when
 * their pages are cached, so that a directory read by a few lanes costs one request to the worker
 * per few hundred files. A file read ahead is served to the `readListed` that asks for it, whole,
 * with the read type it was read with, until the lease it was read under ends; after that, or when
 * it was not cached, it is read as any other. A page none of whose reads ahead were cached (a cold
 * directory) is read ahead no further, unless it was listed with a concurrency (how many files its
 * reader reads at once): then, once the worker's reads are cold, its files are read ahead all the
 * same, fetched by the worker at most that many at a time together with the reader's own reads
 * (the worker's fetch group): the store is kept as busy as the reader's lanes would keep it, without
 * each file waiting for a lane to come back and ask.
 */
import type { AheadRead } from './read-batcher.js';

/** What the read ahead needs of a listed file (client.ts ListedFile). */
export interface Listed {
  readonly status: { readonly isDirectory: boolean; readonly size: number; readonly contentId: string };
  readonly capability?: string;
  /** Instead of `capability`: the file's place in a page capability (client.ts PageRef). */
  readonly page?: { readonly token: string; readonly mac: string; readonly index: number };
}

interface Page {
  readonly files: readonly Listed[];
  /** Files before this one are read or being read. */
  next: number;
  /** Reads ahead of this page not answered yet, and those answered from the cache. */
  out: number;
  cached: number;
  /** No read ahead of it was cached: read ahead no further. */
  cold: boolean;
  /** Bytes of the reads ahead of this page not taken yet: at most twice batchBytes. */
  untaken: number;
  /** How many files its reader reads at once, when it said (cold files are then fetched ahead). */
  readonly concurrency: number | undefined;
}

interface Early {
  bytes: Buffer | undefined;
  untilMs: number;
  settled: boolean;
  waiters: (() => void)[] | undefined;
}

export class ReadAhead {
  private readonly pages = new WeakMap<Listed, Page>();
  private readonly claimed = new WeakSet<Listed>();
  private readonly early = new WeakMap<Listed, Early>();

  /**
   * `maxBytes`: the longest file read ahead, and the bytes one batch reads ahead at most; `readType`:
   * the read type of reads ahead (the client's default).
   */
  constructor(
    private readonly maxBytes: number,
    private readonly batchBytes: number,
    private readonly readType: AheadRead['read']['readType'],
  ) {}

  /** The files of one listing page, in order; `concurrency`: how many its reader reads at once. */
  track(files: readonly Listed[], concurrency?: number): void {
    const page: Page = { files, next: 0, out: 0, cached: 0, cold: false, untaken: 0, concurrency };
    for (const file of files) this.pages.set(file, page);
  }

  /** How many files the reader of `file`'s listing reads at once, when it said. */
  concurrencyOf(file: Listed): number | undefined {
    return this.pages.get(file)?.concurrency;
  }

  /**
   * The bytes of `file` if it was read ahead with `readType` (undefined once its lease has ended or
   * when it was not cached; a promise while its batch is out); marks it read either way.
   */
  take(file: Listed, readType: string): Buffer | undefined | Promise<Buffer | undefined> {
    this.claimed.add(file);
    const early = this.early.get(file);
    if (!early) return undefined;
    this.early.delete(file);
    const page = this.pages.get(file);
    if (page) page.untaken -= file.status.size;
    if (readType !== this.readType) return undefined;
    const fresh = () => (Date.now() < early.untilMs ? early.bytes : undefined);
    if (early.settled) return fresh();
    return new Promise((resolve) => {
      early.waiters ??= [];
      early.waiters.push(() => resolve(fresh()));
    });
  }

  /**
   * Up to `room` files listed after `origins` on their pages, not read yet, of at most maxBytes
   * each and batchBytes together, that `owned` says the batch's worker serves: reads ahead. With
   * `fetch` (the worker's reads are cold), those of pages listed with a concurrency are fetched.
   */
  reads(
    origins: readonly object[],
    room: number,
    owned: (contentId: string) => boolean,
    fetch = false,
  ): AheadRead[] {
    const out: AheadRead[] = [];
    let bytes = 0;
    const seen = new Set<Page>();
    for (const origin of origins) {
      const page = this.pages.get(origin as Listed);
      if (!page || seen.has(page)) continue;
      const fetchConcurrency = fetch ? page.concurrency : undefined;
      if (page.cold && fetchConcurrency === undefined) continue;
      seen.add(page);
      while (
        page.next < page.files.length &&
        out.length < room &&
        bytes < this.batchBytes &&
        page.untaken < 2 * this.batchBytes
      ) {
        const at = page.next++;
        const file = page.files[at]!;
        const { status, capability, page: ref } = file;
        if (this.claimed.has(file) || status.isDirectory || (!capability && !ref)) continue;
        if (status.size === 0 || status.size > this.maxBytes || !owned(status.contentId)) continue;
        this.claimed.add(file);
        bytes += status.size;
        page.untaken += status.size;
        const early: Early = { bytes: undefined, untilMs: 0, settled: false, waiters: undefined };
        this.early.set(file, early);
        page.out++;
        out.push({
          ...(fetchConcurrency === undefined ? {} : { fetchConcurrency }),
          read: {
            capability,
            page: ref?.mac,
            index: ref?.index,
            pageToken: capability ? undefined : ref?.token,
            contentId: status.contentId,
            offset: 0,
            length: status.size,
            readType: this.readType,
          },
          done: (read, untilMs) => {
            page.out--;
            if (read) page.cached++;
            if (page.out === 0 && page.cached === 0) page.cold = true;
            if (
              !read &&
              fetchConcurrency === undefined &&
              page.concurrency &&
              this.early.get(file) === early
            ) {
              // Not cached, and no reader has come for it yet: left to be fetched ahead.
              this.early.delete(file);
              this.claimed.delete(file);
              page.untaken -= status.size;
              page.next = Math.min(page.next, at);
            }
            early.bytes = read;
            early.untilMs = untilMs;
            early.settled = true;
            for (const wake of early.waiters ?? []) wake();
            early.waiters = undefined;
          },
        });
      }
    }
    return out;
  }
}
