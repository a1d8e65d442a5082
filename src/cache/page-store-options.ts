/**
 * How a page store is set up: from plain options (tests, embedding) or from the configuration.
 * Options are checked once here, so the store itself can trust them.
 */
import { join } from 'node:path';
import type { Configuration } from '../config/configuration.js';
import {
  WORKER_PAGE_STORE_DIRS,
  WORKER_PAGE_STORE_EVICTOR_TYPE,
  WORKER_PAGE_STORE_LOCAL_STORE_FILE_BUCKETS,
  WORKER_PAGE_STORE_OVERHEAD,
  WORKER_PAGE_STORE_PAGE_SIZE,
  WORKER_PAGE_STORE_SIZES,
  WORKER_PAGE_STORE_TYPE,
  WORKER_TIEREDSTORE_LEVEL0_ALIAS,
  WORKER_TIEREDSTORE_LEVEL0_DIRS_PATH,
  WORKER_TIEREDSTORE_LEVEL0_DIRS_QUOTA,
  WORKER_TIEREDSTORE_LEVEL0_WATERMARK_HIGH_RATIO,
  WORKER_TIEREDSTORE_LEVEL0_WATERMARK_LOW_RATIO,
  WORKER_TIEREDSTORE_LEVEL1_WATERMARK_HIGH_RATIO,
  WORKER_TIEREDSTORE_LEVEL1_WATERMARK_LOW_RATIO,
  WORKER_TIEREDSTORE_LEVELS,
} from '../config/keys/core.js';
import { TierfsError } from '../errors.js';
import type { EvictorType } from './evictor.js';

const DEFAULT_PAGE_SIZE = 1024 * 1024;
const DEFAULT_HIGH_WATERMARK = 0.95;
const DEFAULT_LOW_WATERMARK = 0.7;
const DEFAULT_FILE_BUCKETS = 1000;
const DEFAULT_DEMOTION_IDLE_MS = 200;

export interface Watermarks {
  /** Usage ratio a put may not pass without eviction; default 0.95. */
  readonly highWatermark?: number;
  /** Usage ratio eviction brings the tier down to; default 0.7. */
  readonly lowWatermark?: number;
}

export interface MemTierOptions extends Watermarks {
  /** Bytes of page data the tier may hold. */
  readonly quota: number;
  /**
   * A directory on a RAM disk (tmpfs) to keep the pages in, as files laid out like the DISK tier's,
   * instead of the JS heap. The store checks at open that the file system has room for the quota.
   */
  readonly path?: string;
  /** What set the quota, named in the error when the RAM disk is too small (a configuration key). */
  readonly quotaSource?: string;
}

export interface DiskDirOptions {
  readonly path: string;
  /** Bytes of page data (headers excluded) this directory may hold. */
  readonly quota: number;
}

export interface DiskTierOptions extends Watermarks {
  readonly dirs: readonly DiskDirOptions[];
  /** Sub-directories the pages of each directory are spread over; default 1000. */
  readonly buckets?: number;
}

export interface PageStoreOptions {
  /** Bytes per page; default 1 MiB. Pages of a file are this size except the last. */
  readonly pageSize?: number;
  /** The top tier, in memory. */
  readonly mem?: MemTierOptions;
  /** The tier below MEM (or the only one), files under local directories. */
  readonly disk?: DiskTierOptions;
  /** Eviction order within a tier; default LRU. */
  readonly evictor?: EvictorType;
  /** Also check the checksum of pages served from memory; default false (disk reads always are). */
  readonly verifyMemoryReads?: boolean;
  /**
   * Demotion of MEM pages to DISK runs in the background, off the put path, one round per this
   * interval: 8 pages per round once no page was put for this long, one while puts keep coming,
   * until MEM is at its low watermark. Default 200 ms (40 MiB/s of 1 MiB pages when idle).
   */
  readonly demotionIdleMs?: number;
}

interface ResolvedTier {
  readonly highWatermark: number;
  readonly lowWatermark: number;
}

export interface ResolvedOptions {
  readonly pageSize: number;
  readonly mem:
    | (ResolvedTier & { readonly quota: number; readonly path?: string; readonly quotaSource?: string })
    | undefined;
  readonly disk:
    | (ResolvedTier & { readonly dirs: readonly DiskDirOptions[]; readonly buckets: number })
    | undefined;
  /** Sub-directories of every page directory (DISK, and MEM on a RAM disk). */
  readonly buckets: number;
  readonly evictor: EvictorType;
  readonly verifyMemoryReads: boolean;
  readonly demotionIdleMs: number;
}

export function resolveOptions(options: PageStoreOptions): ResolvedOptions {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  check(isCount(pageSize) && pageSize > 0, `page size must be a positive integer, not ${pageSize}`);
  const idle = options.demotionIdleMs;
  check(
    idle === undefined || (isCount(idle) && idle > 0),
    `the demotion idle time must be a positive number of milliseconds, not ${idle}`,
  );
  check(options.mem !== undefined || options.disk !== undefined, 'a page store needs a MEM or a DISK tier');
  const mem = options.mem && {
    quota: quota(options.mem.quota, 'the MEM tier'),
    ...(options.mem.path === undefined ? {} : { path: options.mem.path }),
    ...(options.mem.quotaSource === undefined ? {} : { quotaSource: options.mem.quotaSource }),
    ...watermarks(options.mem, 'MEM'),
  };
  check(
    mem?.path === undefined || !options.disk?.dirs.some((dir) => dir.path === mem.path),
    'the MEM tier directory is also a DISK tier directory',
  );
  let disk: ResolvedOptions['disk'];
  if (options.disk) {
    const { dirs, buckets = DEFAULT_FILE_BUCKETS } = options.disk;
    check(dirs.length > 0, 'the DISK tier needs at least one directory');
    check(new Set(dirs.map((d) => d.path)).size === dirs.length, 'the DISK tier lists a directory twice');
    check(isCount(buckets) && buckets > 0, `file buckets must be a positive integer, not ${buckets}`);
    for (const dir of dirs) quota(dir.quota, `DISK directory ${dir.path}`);
    disk = { dirs, buckets, ...watermarks(options.disk, 'DISK') };
  }
  return {
    pageSize,
    mem,
    disk,
    buckets: disk?.buckets ?? DEFAULT_FILE_BUCKETS,
    evictor: options.evictor ?? 'LRU',
    verifyMemoryReads: options.verifyMemoryReads ?? false,
    demotionIdleMs: options.demotionIdleMs ?? DEFAULT_DEMOTION_IDLE_MS,
  };
}

/**
 * The options the worker's configuration describes:
 * - `page.store.type=LOCAL`: a DISK tier on `page.store.dirs`, each directory holding its
 *   `page.store.sizes` entry (one size applies to all) less the `page.store.overhead` fraction;
 * - `page.store.type=MEM`: a MEM tier of the sum of `page.store.sizes`, and no DISK tier;
 * - with LOCAL, `tieredstore.levels=2` and `tieredstore.level0.alias=MEM`: a MEM tier of the sum of
 *   `level0.dirs.quota` (default `tierfs.worker.ramdisk.size`) in front of the DISK tier, its pages
 *   in files on the RAM disk `level0.dirs.path` (default `/dev/shm/tierfs`), in the sub-directory
 *   `memDirName` names (the worker's id: each worker owns one directory).
 * The first tier takes the `level0` watermarks, the second the `level1` ones.
 */
export function optionsFromConfiguration(conf: Configuration, memDirName = 'tierfs'): PageStoreOptions {
  const type = conf.require(WORKER_PAGE_STORE_TYPE);
  const sizes = conf.require(WORKER_PAGE_STORE_SIZES);
  const levels = [
    {
      highWatermark: conf.require(WORKER_TIEREDSTORE_LEVEL0_WATERMARK_HIGH_RATIO),
      lowWatermark: conf.require(WORKER_TIEREDSTORE_LEVEL0_WATERMARK_LOW_RATIO),
    },
    {
      highWatermark: conf.require(WORKER_TIEREDSTORE_LEVEL1_WATERMARK_HIGH_RATIO),
      lowWatermark: conf.require(WORKER_TIEREDSTORE_LEVEL1_WATERMARK_LOW_RATIO),
    },
  ] as const;
  const common = {
    pageSize: conf.require(WORKER_PAGE_STORE_PAGE_SIZE),
    evictor: conf.require(WORKER_PAGE_STORE_EVICTOR_TYPE),
  };
  if (type === 'MEM') return { ...common, mem: { quota: sum(sizes), ...levels[0] } };

  const paths = conf.require(WORKER_PAGE_STORE_DIRS).map((dir) => conf.resolvePath(dir));
  if (sizes.length !== 1 && sizes.length !== paths.length) {
    throw new TierfsError(
      'CONFIG_INVALID',
      `'${WORKER_PAGE_STORE_SIZES.key}' lists ${sizes.length} sizes for ${paths.length} directories ` +
        `in '${WORKER_PAGE_STORE_DIRS.key}'; give one size for all or one per directory.`,
    );
  }
  const usable = 1 - conf.require(WORKER_PAGE_STORE_OVERHEAD);
  const dirs = paths.map((path, i) => ({ path, quota: Math.floor((sizes[i] ?? sizes[0]!) * usable) }));
  const buckets = conf.require(WORKER_PAGE_STORE_LOCAL_STORE_FILE_BUCKETS);
  const withMem =
    conf.require(WORKER_TIEREDSTORE_LEVELS) >= 2 &&
    conf.require(WORKER_TIEREDSTORE_LEVEL0_ALIAS).toUpperCase() === 'MEM';
  if (!withMem) return { ...common, disk: { dirs, buckets, ...levels[0] } };
  const ramdisks = conf.require(WORKER_TIEREDSTORE_LEVEL0_DIRS_PATH).map((dir) => conf.resolvePath(dir));
  if (ramdisks.length !== 1) {
    throw new TierfsError(
      'CONFIG_INVALID',
      `'${WORKER_TIEREDSTORE_LEVEL0_DIRS_PATH.key}' lists ${ramdisks.length} directories; the MEM tier ` +
        'takes one directory on a RAM disk (tmpfs), e.g. /dev/shm/tierfs.',
    );
  }
  return {
    ...common,
    mem: {
      quota: sum(conf.require(WORKER_TIEREDSTORE_LEVEL0_DIRS_QUOTA)),
      path: join(ramdisks[0]!, memDirName),
      quotaSource: WORKER_TIEREDSTORE_LEVEL0_DIRS_QUOTA.key,
      ...levels[0],
    },
    disk: { dirs, buckets, ...levels[1] },
  };
}

function watermarks(tier: Watermarks, name: string): ResolvedTier {
  const highWatermark = tier.highWatermark ?? DEFAULT_HIGH_WATERMARK;
  const lowWatermark = tier.lowWatermark ?? DEFAULT_LOW_WATERMARK;
  check(
    lowWatermark > 0 && lowWatermark <= highWatermark && highWatermark <= 1,
    `the ${name} tier needs 0 < low watermark <= high watermark <= 1, not ${lowWatermark} and ${highWatermark}`,
  );
  return { highWatermark, lowWatermark };
}

function quota(value: number, what: string): number {
  check(isCount(value), `the quota of ${what} must be a non-negative integer, not ${value}`);
  return value;
}

function isCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new TierfsError('INVALID_ARGUMENT', message);
}
