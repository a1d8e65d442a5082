/**
 * The public API of tierfs: the cluster client (also `tierfs/client`), the configuration, the
 * under stores addressed by scheme (`FileSystem.get`, as Flink and Hadoop jobs use them) and the
 * tiered log as a library. The page store is `tierfs/cache`. Everything else is internal.
 */
import './ufs/drivers.js';
import './client/tierfs-store.js';

export * from './client/sdk.js';
export {
  type ConfigListing,
  Configuration,
  type ConfigWarning,
  type LoadOptions,
  type SourceKind,
  type ValueOrigin,
} from './config/configuration.js';
export * as PropertyKeys from './config/keys/index.js';
export type { PropertyDefinition, PropertyKey } from './config/property.js';
export type { Entry } from './log/entry-record.js';
export type { NamespacePolicies } from './log/namespace-policies.js';
export { formatPosition, type Position, parsePosition } from './log/position.js';
export type { Topic } from './log/topic.js';
export type { LedgerInfo, OffloadState, OffloadStatus } from './log/topic-metadata.js';
export { parseTopicName, type TopicName } from './log/topic-name.js';
export { type OffloadTriggered, TopicStore, type TopicStoreOptions } from './log/topic-store.js';
export type {
  CreateOptions as UfsCreateOptions,
  DeleteOptions as UfsDeleteOptions,
  ListOptions as UfsListOptions,
  ListPage as UfsListPage,
  MkdirsOptions as UfsMkdirsOptions,
  OpenOptions as UfsOpenOptions,
  SpaceInfo,
  UfsStatus,
  UfsWriteStream,
  UnderStore,
  UnderStoreCapabilities,
} from './ufs/contract.js';
export { readFile, writeFile } from './ufs/io.js';
export {
  FileSystem,
  knownSchemes,
  type OpenStoreOptions,
  parseUfsUri,
  registerUnderStore,
  type UfsUri,
  type UnderStoreFactory,
} from './ufs/registry.js';
export { readTextFile, type WriteTextOptions, writeAsText } from './ufs/text.js';
export { walk } from './ufs/walk.js';
