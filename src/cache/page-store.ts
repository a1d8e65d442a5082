/**
 * The worker's page store: fixed-size pages of files, keyed by (file key, page index), kept in a
 * MEM tier and/or a DISK tier with quotas, watermarks and LRU (or LFU) eviction. Pages evicted
 * from MEM are demoted to DISK; `get(..., { promote: true })` moves a DISK page up to MEM.
 *
 * A put never demotes (as Alluxio writes a block to the next tier when the top one has no
 * room, leaving moves between tiers to background tasks): a page goes to the first tier with room under its high watermark, so a page that finds
 * MEM full goes to DISK, and MEM is brought down to its low watermark in the background, a few
 * pages per `demotionIdleMs` once no page was put for that long (one page per interval while puts
 * keep coming). A big
 * write or read that fills MEM thus never pays for a burst of demotions (a second write of a
 * quarter of MEM to the disk) on its way. Only when no tier has room does a put evict, from the
 * lowest tier that can take the page (dropping pages, no copy). Every
 * page carries a CRC-32 checked on each read from a file: a bad page is dropped, counted and
 * reported as a miss. The MEM tier keeps its pages in files on a RAM disk (tmpfs) when it has a
 * directory, in the JS heap otherwise. Page files survive restarts (DISK, and MEM after a crash).
 *
 * The index and the usage of each tier are updated synchronously when an operation starts, so
 * accounting is exact at every moment; the file operations behind them run afterwards, in issue
 * order per page file.
 */
import { lstat, mkdir, rm, statfs } from 'node:fs/promises';
import type { Configuration } from '../config/configuration.js';
import { TierfsError } from '../errors.js';
import { isSlabChunk } from '../ufs/slab-pool.js';
import { checksum, checksumOf } from './checksum.js';
import { DiskTier, type PageRead } from './disk-tier.js';
import { headerLength, MAX_FILE_KEY_BYTES, MAX_PAGE_INDEX } from './page-file.js';
import { dirIndexOf, fileIdOf } from './page-key.js';
import {
  optionsFromConfiguration,
  type PageStoreOptions,
  type ResolvedOptions,
  resolveOptions,
} from './page-store-options.js';
import { type PageEntry, QuotaPool, type TierName } from './quota-pool.js';

/** Pages one round of background demotion moves once the store is idle (see demotionRound). */
const IDLE_DEMOTION_PAGES = 8;

export interface PutOptions {
  /**
   * The store may keep `bytes` itself instead of a copy: the caller hands it over and never writes
   * to it again. A page going to a file is written from the caller's chunks as they are; a page
   * kept in the heap is kept only when it is one Buffer that is a whole allocation of its own (a
   * view into a larger one would keep all of it alive), copied otherwise.
   */
  readonly adopt?: boolean;
}

/** A page's bytes: one buffer, or the chunks that make it up, in order. */
export type PageBytes = Uint8Array | readonly Uint8Array[];

/** A page file a short-circuit reader may read itself, pinned against eviction. */
export interface PinnedPageFile {
  readonly pageIndex: number;
  readonly path: string;
  /** Bytes before the page bytes in the file (see page-file.ts). */
  readonly headerLength: number;
  readonly size: number;
  readonly tier: TierName;
}

export interface PinnedPages {
  readonly files: readonly PinnedPageFile[];
  /** Unpins the pages; once, however often it is called. */
  release(): void;
}

export interface CloseOptions {
  /** Also remove the MEM tier's directory on the RAM disk, giving its memory back. */
  readonly removeMemDir?: boolean;
}

/** A Buffer over the whole of its own ArrayBuffer (not a slice of Node's pool or of a bigger chunk). */
function ownsItsMemory(bytes: Uint8Array): bytes is Buffer {
  return Buffer.isBuffer(bytes) && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
}

export interface GetOptions {
  /** CACHE_PROMOTE: move a page found on DISK to MEM. Default false (CACHE: leave it where it is). */
  readonly promote?: boolean;
}

export interface DirUsage {
  readonly path: string;
  readonly capacity: number;
  readonly used: number;
  readonly pages: number;
}

export interface TierUsage {
  /** Bytes of page data the tier may hold. */
  readonly capacity: number;
  readonly used: number;
  readonly pages: number;
  /** The tier's directories; empty for a MEM tier in the heap. */
  readonly dirs: readonly DirUsage[];
}

export interface TierStats {
  hits: number;
  /** Lookups that did not find the page in this tier. */
  misses: number;
  /** Pages evicted from this tier (demoted or dropped). */
  evictions: number;
  bytesRead: number;
  bytesWritten: number;
}

export interface PageStoreStats {
  hits: number;
  misses: number;
  promotions: number;
  demotions: number;
  /** Pages whose file failed its header or checksum check: dropped and served as misses. */
  corruptPages: number;
  /** Pages whose file had vanished: dropped and served as misses. */
  lostPages: number;
  /** Disk reads that failed for another reason (EIO, EMFILE...): served as misses, page kept. */
  readErrors: number;
  /** Puts that found no room (every candidate for eviction was being read). */
  rejectedPuts: number;
  writeErrors: number;
  tiers: Partial<Record<TierName, TierStats>>;
}

export interface PageInfo {
  readonly fileKey: string;
  readonly pageIndex: number;
  readonly size: number;
  readonly tier: TierName;
  /** The directory, for a DISK page. */
  readonly dir?: string;
}

/** What opening the store found in the DISK tier's directories. */
export interface RecoveryReport {
  readonly pages: number;
  readonly bytes: number;
  /** Temp files of interrupted writes, removed. */
  readonly removedTemp: number;
  /** Page files with a bad header or size, in the wrong place, or duplicated, removed. */
  readonly removedInvalid: number;
  /** Pages evicted because the directories held more than their quota. */
  readonly evicted: number;
}

export interface FreeResult {
  readonly pages: number;
  readonly bytes: number;
}

export class PageStore {
  readonly pageSize: number;
  private readonly mem: QuotaPool | undefined;
  private readonly memQuotaSource: string | undefined;
  private readonly diskPools: readonly QuotaPool[];
  /** The pools whose pages are files: the MEM tier on a RAM disk, and the DISK directories. */
  private readonly filePools: readonly QuotaPool[];
  /** The page files of every file pool. */
  private readonly disk: DiskTier | undefined;
  private readonly verifyMemoryReads: boolean;
  private readonly files = new Map<string, Map<number, PageEntry>>();
  private readonly counters: PageStoreStats;
  private recovered: RecoveryReport = { pages: 0, bytes: 0, removedTemp: 0, removedInvalid: 0, evicted: 0 };
  private closed = false;
  private readonly demotionIdleMs: number;
  /** When the last page was put: demotion waits for the store to be idle that long. */
  private lastPutMs = 0;
  private demotionTimer: NodeJS.Timeout | undefined;
  private demoting: Promise<void> | undefined;

  private constructor(options: ResolvedOptions) {
    this.pageSize = options.pageSize;
    this.verifyMemoryReads = options.verifyMemoryReads;
    this.demotionIdleMs = options.demotionIdleMs;
    const { mem, disk, evictor } = options;
    this.mem =
      mem &&
      new QuotaPool({
        tier: 'MEM',
        ...(mem.path === undefined ? {} : { dir: mem.path }),
        capacity: mem.quota,
        highWatermark: mem.highWatermark,
        lowWatermark: mem.lowWatermark,
        evictor,
      });
    this.memQuotaSource = mem?.quotaSource;
    this.diskPools = (disk?.dirs ?? []).map(
      (dir) => new QuotaPool({ tier: 'DISK', dir: dir.path, capacity: dir.quota, ...disk!, evictor }),
    );
    this.filePools = [this.mem, ...this.diskPools].filter((pool) => pool?.dir !== undefined) as QuotaPool[];
    this.disk = this.filePools.length > 0 ? new DiskTier(options.pageSize, options.buckets) : undefined;
    const tiers: PageStoreStats['tiers'] = {};
    if (mem) tiers.MEM = emptyTierStats();
    if (disk) tiers.DISK = emptyTierStats();
    this.counters = {
      hits: 0,
      misses: 0,
      promotions: 0,
      demotions: 0,
      corruptPages: 0,
      lostPages: 0,
      readErrors: 0,
      rejectedPuts: 0,
      writeErrors: 0,
      tiers,
    };
  }

  /**
   * Opens a store; with page files, first finds the pages a previous run left in their directories.
   * A MEM tier on a RAM disk must have room for its quota there (CONFIG_INVALID otherwise).
   */
  static async open(options: PageStoreOptions): Promise<PageStore> {
    const store = new PageStore(resolveOptions(options));
    await store.recover();
    return store;
  }

  /** Opens the store the worker's configuration describes (see optionsFromConfiguration). */
  static fromConfiguration(conf: Configuration, memDirName?: string): Promise<PageStore> {
    return PageStore.open(optionsFromConfiguration(conf, memDirName));
  }

  get recovery(): RecoveryReport {
    return this.recovered;
  }

  /**
   * Caches a page (a copy of `bytes`, taken before put returns, so the caller may reuse `bytes`
   * at once) in the top tier that has room under its high watermark, replacing any page with the
   * same key; a MEM tier without room is demoted in the background (see the top). When no tier
   * has room, the lowest tier that can take the page evicts down to its low watermark first.
   * Resolves true once the page is cached (written, for DISK), false when no tier could take it
   * or the disk write failed. Refuses a page larger than the page size or than the quota of every
   * tier.
   */
  async put(
    fileKey: string,
    pageIndex: number,
    bytes: PageBytes,
    options: PutOptions = {},
  ): Promise<boolean> {
    this.checkOpen();
    checkPageIndex(pageIndex);
    const parts: readonly Uint8Array[] = bytes instanceof Uint8Array ? [bytes] : bytes;
    const size = parts.reduce((total, part) => total + part.length, 0);
    if (size > this.pageSize) {
      throw new TierfsError(
        'INVALID_ARGUMENT',
        `a page of ${size} bytes exceeds the page size of ${this.pageSize}`,
      );
    }
    if (Buffer.byteLength(fileKey) > MAX_FILE_KEY_BYTES) {
      throw new TierfsError('INVALID_ARGUMENT', `a file key may be at most ${MAX_FILE_KEY_BYTES} bytes`);
    }
    const fileId = fileIdOf(fileKey);
    const tiers = [this.mem, this.diskPoolFor(fileId)].filter((pool) => pool !== undefined);
    const pools = tiers.filter((pool) => pool.capacity >= size);
    if (pools.length === 0) {
      const quotas = tiers.map((pool) => `${pool.tier} ${pool.capacity} bytes`).join(', ');
      throw new TierfsError(
        'INVALID_ARGUMENT',
        `a page of ${size} bytes is larger than the quota of every tier (${quotas})`,
      );
    }
    // A page for a file is written from the caller's chunks when they are handed over; one kept in
    // the heap is one Buffer of its own.
    const fileParts = options.adopt ? parts : parts.map((part) => Buffer.from(part));
    const heapData = (): Buffer => {
      const only = parts.length === 1 ? parts[0]! : undefined;
      // A slab of a long GET is used again once its holders let go (slab-pool.ts): never kept.
      if (only && options.adopt && ownsItsMemory(only) && !isSlabChunk(only)) return only;
      return Buffer.concat(fileParts);
    };
    const previous = this.lookup(fileKey, pageIndex);
    if (previous) void this.discard(previous);
    this.lastPutMs = Date.now();
    if (this.mem && !this.mem.hasRoomFor(size)) this.scheduleDemotion();
    // The first tier with room; else the lowest one that can make room (evicting drops pages there).
    const roomy = pools.find((pool) => pool.hasRoomFor(size));
    const order = roomy ? [roomy] : [...pools].reverse();
    for (const pool of order) {
      if (!this.makeRoom(pool, size)) continue;
      // A heap page's checksum is taken when it goes to a file (writeFile), unless MEM reads are verified.
      const data = pool.dir === undefined ? heapData() : undefined;
      const crc = data ? (this.verifyMemoryReads ? checksum(data) : undefined) : checksumOf(fileParts);
      const entry: PageEntry = { fileKey, fileId, pageIndex, size, crc, pool, data: undefined, readers: 0 };
      this.index(entry);
      pool.add(entry);
      this.tierStats(pool.tier).bytesWritten += size;
      if (!data) return this.writeFile(entry, fileParts);
      entry.data = data;
      return true;
    }
    this.counters.rejectedPuts++;
    return false;
  }

  /**
   * The page's bytes, or undefined on a miss. A page from the heap is the cached Buffer itself
   * (treat it as read-only); a page from a file is read into a new Buffer and checked against its
   * checksum. A page being read from a file is not evicted until the read is done.
   */
  async get(fileKey: string, pageIndex: number, options: GetOptions = {}): Promise<Buffer | undefined> {
    this.checkOpen();
    const entry = this.lookup(fileKey, pageIndex);
    if (!entry) return this.miss();
    if (entry.data) {
      const data = entry.data!;
      if (this.verifyMemoryReads && checksum(data) !== entry.crc) {
        this.counters.corruptPages++;
        void this.discard(entry);
        return this.miss();
      }
      entry.pool.touch(entry);
      this.hit('MEM', data.length);
      return data;
    }
    const pool = entry.pool;
    if (this.mem && pool.tier === 'DISK') this.counters.tiers.MEM!.misses++;
    pool.touch(entry);
    entry.readers++;
    let read: PageRead;
    try {
      // A page in a file always has its checksum: writeFile takes it before the page reaches the file.
      // It is checked for DISK pages; for MEM pages (tmpfs) only with verifyMemoryReads, as in the heap.
      read = await this.disk!.read(
        this.pathOf(entry),
        { ...entry, crc: entry.crc! },
        { verify: pool.tier === 'DISK' || this.verifyMemoryReads, sync: pool.tier === 'MEM' },
      );
    } finally {
      entry.readers--;
    }
    if (read.kind === 'failed') {
      this.counters.readErrors++;
      return this.miss(pool.tier);
    }
    if (read.kind !== 'ok') {
      if (read.kind === 'corrupt') this.counters.corruptPages++;
      else this.counters.lostPages++;
      if (this.isCurrent(entry) && entry.pool === pool) void this.discard(entry);
      return this.miss(pool.tier);
    }
    this.hit(pool.tier, read.data.length);
    if (options.promote && this.isCurrent(entry) && entry.pool.tier === 'DISK')
      this.promote(entry, read.data);
    return read.data;
  }

  /**
   * Pins the pages holding bytes `offset` to `offset + length - 1` of a file against eviction and
   * answers where their files are, for a reader that reads them itself (short-circuit); the pages
   * count as hits and those bytes as read from their tiers. Undefined when one of them is not
   * cached in a file (missing, or in the heap): that reader goes through the worker. The files are
   * whole when this resolves (writes issued before it have finished). Pinned pages are neither
   * evicted nor promoted; `delete` and `free` still drop them.
   */
  async pin(fileKey: string, offset: number, length: number): Promise<PinnedPages | undefined> {
    return (await this.pinMany([{ fileKey, offset, length }]))[0];
  }

  /**
   * `pin` for many ranges at once (a directory of small files read short-circuit): one answer,
   * in order, and a wait only for the page files that still have a write in flight.
   */
  async pinMany(
    ranges: readonly { readonly fileKey: string; readonly offset: number; readonly length: number }[],
  ): Promise<(PinnedPages | undefined)[]> {
    this.checkOpen();
    const held = ranges.map(({ fileKey, offset, length }) => this.hold(fileKey, offset, length));
    const busy: Promise<void>[] = [];
    for (const pinned of held)
      for (const file of pinned?.files ?? [])
        if (this.disk!.busy(file.path)) busy.push(this.disk!.settled(file.path));
    if (busy.length > 0) await Promise.all(busy);
    return held.map((pinned, i) => {
      if (!pinned) return undefined;
      if (!pinned.entries.every((entry) => this.isCurrent(entry))) {
        pinned.release();
        return undefined;
      }
      const { offset, length } = ranges[i]!;
      for (const entry of pinned.entries) {
        const start = entry.pageIndex * this.pageSize;
        this.hit(entry.pool.tier, Math.min(offset + length, start + entry.size) - Math.max(offset, start));
      }
      return { files: pinned.files, release: pinned.release };
    });
  }

  /** The pages of a range held against eviction (readers + 1), or undefined when one is not in a file. */
  private hold(
    fileKey: string,
    offset: number,
    length: number,
  ): (PinnedPages & { readonly entries: readonly PageEntry[] }) | undefined {
    const entries: PageEntry[] = [];
    const end = offset + length;
    for (let index = Math.floor(offset / this.pageSize); index * this.pageSize < end; index++) {
      const entry = this.lookup(fileKey, index);
      if (!entry || entry.pool.dir === undefined) return undefined;
      entries.push(entry);
    }
    for (const entry of entries) {
      entry.readers++;
      entry.pool.touch(entry);
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      for (const entry of entries) entry.readers--;
    };
    const header = headerLength(fileKey);
    const files = entries.map((entry) => ({
      pageIndex: entry.pageIndex,
      path: this.pathOf(entry),
      headerLength: header,
      size: entry.size,
      tier: entry.pool.tier,
    }));
    return { entries, files, release };
  }

  /**
   * Bytes of pages of this file the store can hold at once: the MEM quota plus the quota of the
   * DISK directory the file's pages go to.
   */
  capacityFor(fileKey: string): number {
    const disk = this.diskPoolFor(fileIdOf(fileKey));
    return (this.mem?.capacity ?? 0) + (disk?.capacity ?? 0);
  }

  has(fileKey: string, pageIndex: number): boolean {
    return this.lookup(fileKey, pageIndex) !== undefined;
  }

  /** The tier holding the page, or undefined when it is not cached. */
  tierOf(fileKey: string, pageIndex: number): TierName | undefined {
    return this.lookup(fileKey, pageIndex)?.pool.tier;
  }

  /** Drops one page; resolves true when it was cached. */
  async delete(fileKey: string, pageIndex: number): Promise<boolean> {
    this.checkOpen();
    const entry = this.lookup(fileKey, pageIndex);
    if (!entry) return false;
    await this.discard(entry);
    return true;
  }

  /** Drops every page of a file from every tier (`fs free`). */
  async free(fileKey: string): Promise<FreeResult> {
    this.checkOpen();
    const entries = [...(this.files.get(fileKey)?.values() ?? [])];
    await Promise.all(entries.map((entry) => this.discard(entry)));
    // Page 0 lies outside the file's directory (disk-tier.ts): a file of one page has none to remove.
    if (entries.some((entry) => entry.pageIndex > 0) && this.disk) {
      const fileId = entries[0]!.fileId;
      await Promise.all(this.filePools.map((pool) => this.disk!.removeFileDir(pool.dir!, fileId)));
    }
    return { pages: entries.length, bytes: entries.reduce((total, entry) => total + entry.size, 0) };
  }

  /**
   * Drops every page of a file identity that is no longer current, e.g. the key of an old
   * fingerprint once the UFS object changed. The same as free, named for that use.
   */
  invalidateFile(fileKey: string): Promise<FreeResult> {
    return this.free(fileKey);
  }

  usage(): Partial<Record<TierName, TierUsage>> {
    const usage: Partial<Record<TierName, TierUsage>> = {};
    if (this.mem)
      usage.MEM = { ...dirUsage(this.mem), dirs: this.mem.dir === undefined ? [] : [dirUsage(this.mem)] };
    if (this.diskPools.length > 0) {
      const dirs = this.diskPools.map(dirUsage);
      usage.DISK = {
        capacity: dirs.reduce((total, dir) => total + dir.capacity, 0),
        used: dirs.reduce((total, dir) => total + dir.used, 0),
        pages: dirs.reduce((total, dir) => total + dir.pages, 0),
        dirs,
      };
    }
    return usage;
  }

  /** A snapshot of the counters. */
  stats(): PageStoreStats {
    const tiers: PageStoreStats['tiers'] = {};
    for (const [tier, stats] of Object.entries(this.counters.tiers)) tiers[tier as TierName] = { ...stats };
    return { ...this.counters, tiers };
  }

  /** Every cached page. */
  *pages(): IterableIterator<PageInfo> {
    for (const pages of this.files.values()) {
      for (const entry of pages.values()) {
        const { fileKey, pageIndex, size, pool } = entry;
        yield {
          fileKey,
          pageIndex,
          size,
          tier: pool.tier,
          ...(pool.dir === undefined ? {} : { dir: pool.dir }),
        };
      }
    }
  }

  /** Resolves once every disk write and removal issued so far, and a demotion round running, are done. */
  async flush(): Promise<void> {
    await this.demoting?.catch(() => undefined);
    await this.disk?.idle();
  }

  /** Finishes pending file work; the store refuses further operations. */
  async close(options: CloseOptions = {}): Promise<void> {
    this.closed = true;
    clearTimeout(this.demotionTimer);
    this.demotionTimer = undefined;
    await this.demoting;
    await this.flush();
    if (options.removeMemDir && this.mem?.dir !== undefined) {
      await rm(this.mem.dir, { recursive: true, force: true });
    }
  }

  /**
   * Demotes MEM pages to DISK now, down to MEM's low watermark (what the background demotion does
   * once the store is idle), and resolves once their files moved.
   */
  async demote(): Promise<void> {
    this.checkOpen();
    clearTimeout(this.demotionTimer);
    this.demotionTimer = undefined;
    await this.demoting;
    this.demoting = this.demotePages(Number.POSITIVE_INFINITY);
    try {
      await this.demoting;
    } finally {
      this.demoting = undefined;
    }
  }

  /** Starts the background demotion of MEM (see the top), unless it is pending or there is no DISK. */
  private scheduleDemotion(): void {
    if (this.closed || this.demotionTimer || this.demoting || !this.mem || this.diskPools.length === 0)
      return;
    this.demotionTimer = setTimeout(() => void this.demotionRound(), this.demotionIdleMs);
    this.demotionTimer.unref();
  }

  /**
   * One round of background demotion, one per `demotionIdleMs`: IDLE_DEMOTION_PAGES pages once no
   * page was put for that long, one while puts keep coming. Rate-bounded either way, so what
   * follows a big write (its upload's completion, on the same disk) is not crowded out either.
   */
  private async demotionRound(): Promise<void> {
    this.demotionTimer = undefined;
    if (this.closed) return;
    const idle = Date.now() - this.lastPutMs >= this.demotionIdleMs;
    this.demoting = this.demotePages(idle ? IDLE_DEMOTION_PAGES : 1);
    await this.demoting.catch(() => undefined);
    this.demoting = undefined;
    if (this.mem!.overLowWatermark > 0 && this.mem!.coldest()) this.scheduleDemotion();
  }

  /** Demotes up to `limit` of MEM's coldest pages while it is above its low watermark, one move at a time. */
  private async demotePages(limit: number): Promise<void> {
    const mem = this.mem!;
    for (let n = 0; n < limit && !this.closed && mem.overLowWatermark > 0; n++) {
      const victim = mem.coldest();
      if (!victim) return;
      await this.evict(victim);
    }
  }

  private async recover(): Promise<void> {
    if (!this.disk) return;
    const disk = this.disk;
    if (this.mem?.dir !== undefined) await ownDirectory(this.mem.dir);
    const scans = await Promise.all(this.filePools.map((pool) => disk.scan(pool.dir!)));
    let removedTemp = 0;
    let removedInvalid = 0;
    const found = scans.flatMap((scan) => {
      removedTemp += scan.removedTemp;
      removedInvalid += scan.removedInvalid;
      return scan.pages;
    });
    // Oldest first, so the eviction order starts from the least recently written.
    found.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const page of found) {
      const pool = this.filePools.find((p) => p.dir === page.dir)!;
      if (this.lookup(page.fileKey, page.pageIndex)) {
        await disk.remove(disk.pathOf(page.dir, page));
        removedInvalid++;
        continue;
      }
      const { fileKey, fileId, pageIndex, size, crc } = page;
      const entry: PageEntry = { fileKey, fileId, pageIndex, size, crc, pool, data: undefined, readers: 0 };
      this.index(entry);
      pool.add(entry);
    }
    const excess = this.filePools.flatMap((pool) => pool.victimsFor(0) ?? []);
    await Promise.all(excess.map((entry) => this.discard(entry)));
    if (this.mem?.dir !== undefined) await this.checkRamDisk(this.mem);
    const kept = this.filePools.map(dirUsage);
    this.recovered = {
      pages: kept.reduce((total, dir) => total + dir.pages, 0),
      bytes: kept.reduce((total, dir) => total + dir.used, 0),
      removedTemp,
      removedInvalid,
      evicted: excess.length,
    };
  }

  /**
   * Refuses a RAM disk without room for the MEM quota: pages past its free space would fail to be
   * written, or push the machine into swap. The pages already there count as room.
   */
  private async checkRamDisk(pool: QuotaPool): Promise<void> {
    const fs = await statfs(pool.dir!);
    const free = fs.bavail * fs.bsize;
    if (free + pool.used >= pool.capacity) return;
    const setBy = this.memQuotaSource ? `'${this.memQuotaSource}'` : 'the MEM tier quota';
    throw new TierfsError(
      'CONFIG_INVALID',
      `${setBy} is ${pool.capacity} bytes but the RAM disk holding ${pool.dir} has ${free} bytes free` +
        `${pool.used > 0 ? ` (and ${pool.used} bytes of cached pages)` : ''}: lower the quota or grow the tmpfs ` +
        '(e.g. mount -o remount,size=4G /dev/shm)',
    );
  }

  /** Evicts what the pool needs evicted so `size` more bytes fit; false when they cannot. */
  private makeRoom(pool: QuotaPool, size: number): boolean {
    const victims = pool.victimsFor(size);
    if (!victims) return false;
    for (const victim of victims) void this.evict(victim);
    return true;
  }

  /**
   * Evicts a page from its tier: a MEM page moves to DISK when DISK has room, otherwise it is
   * dropped. Accounted at once; resolves once its file moved (or was removed).
   */
  private evict(entry: PageEntry): Promise<unknown> {
    const from = entry.pool;
    this.tierStats(from.tier).evictions++;
    const to = from.tier === 'MEM' ? this.diskPoolFor(entry.fileId) : undefined;
    if (to && this.makeRoom(to, entry.size)) {
      const data = entry.data;
      const memFile = data ? undefined : this.pathOf(entry);
      from.remove(entry);
      entry.data = undefined;
      to.add(entry);
      this.counters.demotions++;
      this.tierStats('DISK').bytesWritten += entry.size;
      // A page in a MEM file moves by a copy in the kernel: demotions hold no page in the heap.
      return data ? this.writeFile(entry, data) : this.moveFile(entry, memFile!);
    }
    return this.discard(entry);
  }

  /** Moves a MEM page file to the DISK file of its entry, already accounted there; on failure drops it. */
  private async moveFile(entry: PageEntry, from: string): Promise<void> {
    const pool = entry.pool;
    try {
      await this.disk!.move(from, this.pathOf(entry));
    } catch {
      this.counters.writeErrors++;
      if (this.isCurrent(entry) && entry.pool === pool) void this.discard(entry);
    }
  }

  /**
   * Moves a DISK page just read to MEM, when MEM has room for it under its high watermark and the
   * page is not pinned; a full MEM is demoted in the background instead (a later read promotes).
   */
  private promote(entry: PageEntry, data: Buffer): void {
    const mem = this.mem;
    if (!mem || entry.readers > 0) return;
    if (!mem.hasRoomFor(entry.size)) {
      this.scheduleDemotion();
      return;
    }
    const path = this.pathOf(entry);
    entry.pool.remove(entry);
    void this.disk!.remove(path);
    mem.add(entry);
    this.counters.promotions++;
    this.tierStats('MEM').bytesWritten += entry.size;
    if (mem.dir === undefined) entry.data = data;
    else void this.writeFile(entry, data);
  }

  /** Writes a page already accounted in a file pool; on failure takes it out again. */
  private async writeFile(entry: PageEntry, data: Buffer | readonly Uint8Array[]): Promise<boolean> {
    const pool = entry.pool;
    if (data instanceof Buffer) entry.crc ??= checksum(data);
    try {
      // A page handed over in chunks has its checksum already.
      // MEM pages are on a RAM disk: their syscalls are made on the event loop (disk-tier.ts).
      await this.disk!.write(this.pathOf(entry), { ...entry, crc: entry.crc! }, data, {
        sync: pool.tier === 'MEM',
      });
      return true;
    } catch {
      this.counters.writeErrors++;
      if (this.isCurrent(entry) && entry.pool === pool) void this.discard(entry);
      return false;
    }
  }

  /** Removes a page from the index and its tier, and its file from disk. */
  private discard(entry: PageEntry): Promise<void> {
    entry.pool.remove(entry);
    this.unindex(entry);
    entry.data = undefined;
    return entry.pool.dir !== undefined ? this.disk!.remove(this.pathOf(entry)) : Promise.resolve();
  }

  private miss(lastTier?: TierName): undefined {
    this.counters.misses++;
    for (const [tier, stats] of Object.entries(this.counters.tiers)) {
      if (lastTier === undefined || tier === lastTier) stats.misses++;
    }
    return undefined;
  }

  private hit(tier: TierName, bytes: number): void {
    this.counters.hits++;
    const stats = this.tierStats(tier);
    stats.hits++;
    stats.bytesRead += bytes;
  }

  private tierStats(tier: TierName): TierStats {
    return this.counters.tiers[tier]!;
  }

  private diskPoolFor(fileId: string): QuotaPool | undefined {
    return this.diskPools[dirIndexOf(fileId, this.diskPools.length)];
  }

  private pathOf(entry: PageEntry): string {
    return this.disk!.pathOf(entry.pool.dir!, entry);
  }

  private lookup(fileKey: string, pageIndex: number): PageEntry | undefined {
    return this.files.get(fileKey)?.get(pageIndex);
  }

  private isCurrent(entry: PageEntry): boolean {
    return this.lookup(entry.fileKey, entry.pageIndex) === entry;
  }

  private index(entry: PageEntry): void {
    const pages = this.files.get(entry.fileKey) ?? new Map<number, PageEntry>();
    this.files.set(entry.fileKey, pages);
    pages.set(entry.pageIndex, entry);
  }

  private unindex(entry: PageEntry): void {
    const pages = this.files.get(entry.fileKey);
    if (pages?.get(entry.pageIndex) !== entry) return;
    pages.delete(entry.pageIndex);
    if (pages.size === 0) this.files.delete(entry.fileKey);
  }

  private checkOpen(): void {
    if (this.closed) throw new TierfsError('UNAVAILABLE', 'the page store is closed', { retryable: false });
  }
}

/**
 * Makes the MEM tier's directory, readable by its owner and group only, and refuses one that is not
 * this process's own directory: /dev/shm is writable by every user, and another one could have put
 * a directory or a link there first.
 */
async function ownDirectory(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o750 });
  const info = await lstat(path);
  const uid = process.getuid?.();
  if (!info.isDirectory() || (uid !== undefined && info.uid !== uid)) {
    throw new TierfsError(
      'CONFIG_INVALID',
      `the MEM tier directory ${path} is not a directory owned by this user (uid ${uid}): remove it or choose another path`,
    );
  }
}

function checkPageIndex(pageIndex: number): void {
  if (!Number.isSafeInteger(pageIndex) || pageIndex < 0 || pageIndex > MAX_PAGE_INDEX) {
    throw new TierfsError('INVALID_ARGUMENT', `page index must be an integer from 0 to ${MAX_PAGE_INDEX}`);
  }
}

function emptyTierStats(): TierStats {
  return { hits: 0, misses: 0, evictions: 0, bytesRead: 0, bytesWritten: 0 };
}

function dirUsage(pool: QuotaPool): DirUsage {
  return { path: pool.dir ?? '', capacity: pool.capacity, used: pool.used, pages: pool.pages };
}
