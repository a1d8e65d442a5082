/**
 * The page store as a library (`tierfs/cache`): what a program that embeds the cache uses, as
 * docs/cache.md describes. The main entry leaves it out: cluster users never need it.
 */

export type { EvictorType } from './evictor.js';
export { fileKeyOf } from './page-key.js';
export {
  type DirUsage,
  type FreeResult,
  type GetOptions,
  type PageInfo,
  PageStore,
  type PageStoreStats,
  type RecoveryReport,
  type TierStats,
  type TierUsage,
} from './page-store.js';
export type {
  DiskDirOptions,
  DiskTierOptions,
  MemTierOptions,
  PageStoreOptions,
} from './page-store-options.js';
export type { TierName } from './quota-pool.js';
export { type FetchRange, type RangeRead, type ReadType, readRange } from './range-reader.js';
