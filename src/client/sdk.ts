/**
 * The client SDK as published (`tierfs/client`): the client, the shapes it answers with, its read
 * and write types and the error it throws. Nothing here loads a store driver, so a program that
 * only talks to a cluster stays light.
 */

export { READ_TYPES, type ReadType, WRITE_TYPES, type WriteType } from '../cluster/io-types.js';
export type {
  ClusterInfo,
  FileStatus,
  InodeState,
  ListResult,
  MountInfo,
  PersistenceState,
  TierUsage,
  WorkerInfo,
} from '../cluster/wire.js';
export {
  ERROR_CODES,
  type ErrorCode,
  isTierfsError,
  TierfsError,
  type TierfsErrorOptions,
} from '../errors.js';
export {
  type ClientOptions,
  type CreateFileOptions,
  type ListedFile,
  type MountOptions,
  type OpenFileOptions,
  TierfsClient,
} from './client.js';
