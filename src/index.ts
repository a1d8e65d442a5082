/** The public API of tierfs. */
import './ufs/drivers.js';
import './client/tierfs-store.js';

export type { EvictorType } from './cache/evictor.js';
export { fileKeyOf } from './cache/page-key.js';
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
} from './cache/page-store.js';
export type {
  DiskDirOptions,
  DiskTierOptions,
  MemTierOptions,
  PageStoreOptions,
} from './cache/page-store-options.js';
export type { TierName } from './cache/quota-pool.js';
export { type FetchRange, type RangeRead, type ReadType, readRange } from './cache/range-reader.js';
export {
  type ConfigListing,
  Configuration,
  type ConfigWarning,
  describeOrigin,
  type LoadOptions,
  type SourceKind,
  type ValueOrigin,
} from './config/configuration.js';
export * as PropertyKeys from './config/keys/index.js';
export { defineProperty, type PropertyDefinition, type PropertyKey } from './config/property.js';
export { ERROR_CODES, type ErrorCode, isTierfsError, TierfsError } from './errors.js';
export type { BackendEntry, GatewayBackend } from './gateway/s3/backend.js';
export { S3Gateway, type S3GatewayOptions, s3GatewayFromConfig } from './gateway/s3/server.js';
export { UfsBackend } from './gateway/s3/ufs-backend.js';
export {
  type DriverMetadata,
  OFFLOAD_DRIVER_NAMES,
  type OffloadDriverConfig,
  offloadDriverConfig,
  withBrokerConf,
} from './log/driver-config.js';
export type { Entry } from './log/entry-record.js';
export type { NamespacePolicies } from './log/namespace-policies.js';
export { LedgerOffloader } from './log/offloader.js';
export { formatPosition, type Position, parsePosition } from './log/position.js';
export { Topic } from './log/topic.js';
export type { LedgerInfo, OffloadContext, OffloadState, OffloadStatus } from './log/topic-metadata.js';
export { parseTopicName, type TopicName } from './log/topic-name.js';
export { type OffloadTriggered, TopicStore, type TopicStoreOptions } from './log/topic-store.js';
export { scheduleUfsCleanup, type UfsCleanupScheduler } from './ufs/cleanup-scheduler.js';
export type * from './ufs/contract.js';
export { abortWrite, readFile, readStream, writeFile } from './ufs/io.js';
export { LOCAL_CAPABILITIES, type LocalStoreOptions, LocalUnderStore } from './ufs/local/local-store.js';
export { setUfsLogSink, type UfsLogRecord, type UfsLogSink } from './ufs/log.js';
export { layerObjectClient, type ObjectCall, type ObjectLayer } from './ufs/object/layer.js';
export type * from './ufs/object/object-client.js';
export {
  OBJECT_STORE_CAPABILITIES,
  type ObjectPermissions,
  type ObjectStoreOptions,
  ObjectUnderStore,
} from './ufs/object/object-store.js';
export { normalizeUfsPath } from './ufs/path.js';
export {
  FileSystem,
  knownSchemes,
  parseUfsUri,
  registerUnderStore,
  type UfsUri,
  type UnderStoreFactory,
} from './ufs/registry.js';
export { readTextFile, type WriteTextOptions, writeAsText } from './ufs/text.js';
export { walk } from './ufs/walk.js';
