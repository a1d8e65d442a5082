/**
 * Reading ahead through a listing: the files of a `listForRead` page that the caller has not asked
 * for yet go with the short-circuit batch of the ones it has (read-batcher.ts), answered only when
 * their pages are cached, so that a directory read by a few lanes costs one request to the worker
 * per few hundred files. A file read ahead is served to the `readListed` that asks for it, whole,
 * with the read type it was read with, until the lease it was read under ends; after that, or when
 * it was not cached, it is read as any other. A page none of whose reads ahead were cached (a cold
 * directory) is read ahead no further.
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

  /** The files of one listing page, in order. */
  track(files: readonly Listed[]): void {
    const page: Page = { files, next: 0, out: 0, cached: 0, cold: false, untaken: 0 };
    for (const file of files) this.pages.set(file, page);
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
   * each and batchBytes together, that `owned` says the batch's worker serves: reads ahead.
   */
  reads(origins: readonly object[], room: number, owned: (contentId: string) => boolean): AheadRead[] {
    const out: AheadRead[] = [];
    let bytes = 0;
    const seen = new Set<Page>();
    for (const origin of origins) {
      const page = this.pages.get(origin as Listed);
      if (!page || page.cold || seen.has(page)) continue;
      seen.add(page);
      while (
        page.next < page.files.length &&
        out.length < room &&
        bytes < this.batchBytes &&
        page.untaken < 2 * this.batchBytes
      ) {
        const file = page.files[page.next++]!;
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
