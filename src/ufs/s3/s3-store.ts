/**
 * `s3://bucket/dir/` (and `s3a://`) as an ObjectUnderStore: the S3 object client, wrapped in the
 * object-store layers (outermost first): retry, request deadline, concurrency caps and, when
 * `tierfs.underfs.s3.debug.logging.enabled`, a log line per HTTP request (so per attempt).
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { Configuration } from '../../config/configuration.js';
import { TMP_DIRS } from '../../config/keys/core.js';
import {
  UNDERFS_S3_ADMIN_THREADS_MAX,
  UNDERFS_S3_BULK_DELETE_ENABLED,
  UNDERFS_S3_DEBUG_LOGGING_ENABLED,
  UNDERFS_S3_DIRECTORY_SUFFIX,
  UNDERFS_S3_INTERMEDIATE_UPLOAD_CLEAN_AGE,
  UNDERFS_S3_LIST_OBJECTS_V1,
  UNDERFS_S3_MAX_ERROR_RETRY,
  UNDERFS_S3_MULTIPART_UPLOAD_ENABLED,
  UNDERFS_S3_MULTIPART_UPLOAD_PARTITION_SIZE,
  UNDERFS_S3_MULTIPART_UPLOAD_THREADS,
  UNDERFS_S3_REQUEST_TIMEOUT,
  UNDERFS_S3_SERVER_SIDE_ENCRYPTION_ENABLED,
  UNDERFS_S3_STREAMING_UPLOAD_ENABLED,
  UNDERFS_S3_STREAMING_UPLOAD_PARTITION_SIZE,
  UNDERFS_S3_UPLOAD_THREADS_MAX,
} from '../../config/keys/s3.js';
import {
  UNDERFS_LISTING_LENGTH,
  UNDERFS_OBJECT_STORE_BREADCRUMBS_ENABLED,
  UNDERFS_OBJECT_STORE_MULTI_RANGE_CHUNK_SIZE,
  UNDERFS_OBJECT_STORE_MULTIPART_UPLOAD_TIMEOUT,
  UNDERFS_OBJECT_STORE_SERVICE_THREADS,
  UNDERFS_OBJECT_STORE_SKIP_PARENT_DIRECTORY_CREATION,
  UNDERFS_OBJECT_STORE_STREAMING_UPLOAD_PART_TIMEOUT,
  UNDERFS_OBJECT_STORE_WRITE_COMMIT_COPY,
  UNDERFS_OBJECT_STORE_WRITE_COMMIT_DELETE_INTERVAL,
} from '../../config/keys/underfs.js';
import { TierfsError } from '../../errors.js';
import { VERSION } from '../../version.js';
import { layerObjectClient, type ObjectLayer } from '../object/layer.js';
import { concurrencyLimitLayer } from '../object/layers/concurrency-limit-layer.js';
import { loggingLayer } from '../object/layers/logging-layer.js';
import { retryLayer } from '../object/layers/retry-layer.js';
import { timeoutLayer } from '../object/layers/timeout-layer.js';
import { ObjectUnderStore } from '../object/object-store.js';
import type { UfsUri } from '../registry.js';
import { buildS3ClientConfig } from './s3-client-config.js';
import type { CredentialChainOptions } from './s3-credentials.js';
import { S3ObjectClient } from './s3-object-client.js';
import { s3Permissions } from './s3-permissions.js';
import { smallGetFor } from './s3-small-get.js';
import { streamGetFor } from './s3-stream-get.js';

/** Retries of a failed request when tierfs.underfs.s3.max.error.retry is unset. */
const DEFAULT_MAX_RETRIES = 3;
const RETRY_BASE_DELAY_MS = 100;
const RETRY_MAX_DELAY_MS = 10_000;
/** The user-agent of the GETs made without the SDK (s3-small-get.ts). */
export const SMALL_GET_USER_AGENT = `tierfs/${VERSION} small-get`;
export const STREAM_GET_USER_AGENT = `tierfs/${VERSION} stream-get`;

export interface S3StoreOptions {
  /** Refuse writes and never write breadcrumbs (a `--readonly` mount). */
  readonly readOnly?: boolean;
  readonly credentials?: CredentialChainOptions;
}

export async function createS3UnderStore(
  uri: UfsUri,
  conf: Configuration,
  options: S3StoreOptions = {},
): Promise<ObjectUnderStore> {
  const bucket = uri.authority;
  if (bucket === '') {
    throw new TierfsError(
      'INVALID_ARGUMENT',
      `'${uri.href}' names no bucket; expected ${uri.scheme}://bucket/dir`,
    );
  }
  const dir = uri.path
    .split('/')
    .filter((s) => s !== '')
    .join('/');
  const rootPrefix = dir === '' ? '' : `${dir}/`;
  const s3 = new S3Client(buildS3ClientConfig(conf, bucket, options.credentials));
  const raw = new S3ObjectClient({
    client: s3,
    bucket,
    serverSideEncryption: conf.get(UNDERFS_S3_SERVER_SIDE_ENCRYPTION_ENABLED)!,
    listObjectsV1: conf.get(UNDERFS_S3_LIST_OBJECTS_V1)!,
    smallGet: smallGetFor(conf, {
      bucket,
      credentials: () => s3.config.credentials(),
      userAgent: SMALL_GET_USER_AGENT,
    }),
    streamGet: streamGetFor(conf, {
      bucket,
      credentials: () => s3.config.credentials(),
      userAgent: STREAM_GET_USER_AGENT,
    }),
  });
  const layers: ObjectLayer[] = [
    retryLayer({
      maxRetries: conf.get(UNDERFS_S3_MAX_ERROR_RETRY) ?? DEFAULT_MAX_RETRIES,
      baseDelayMs: RETRY_BASE_DELAY_MS,
      maxDelayMs: RETRY_MAX_DELAY_MS,
    }),
    timeoutLayer(conf.get(UNDERFS_S3_REQUEST_TIMEOUT)!),
    concurrencyLimitLayer({
      admin: conf.get(UNDERFS_S3_ADMIN_THREADS_MAX)!,
      data: conf.get(UNDERFS_S3_UPLOAD_THREADS_MAX)!,
    }),
  ];
  if (conf.get(UNDERFS_S3_DEBUG_LOGGING_ENABLED)) layers.push(loggingLayer());
  const client = layerObjectClient(raw, ...layers);
  let permissions: ReturnType<typeof s3Permissions> | undefined;
  return new ObjectUnderStore({
    scheme: uri.scheme,
    uri: `${uri.scheme}://${bucket}/${rootPrefix}`,
    client,
    rootPrefix,
    readOnly: options.readOnly,
    directorySuffix: conf.get(UNDERFS_S3_DIRECTORY_SUFFIX)!,
    breadcrumbs: conf.get(UNDERFS_OBJECT_STORE_BREADCRUMBS_ENABLED)!,
    commitByCopy: conf.get(UNDERFS_OBJECT_STORE_WRITE_COMMIT_COPY)!,
    commitDeleteIntervalMs: conf.get(UNDERFS_OBJECT_STORE_WRITE_COMMIT_DELETE_INTERVAL)!,
    skipParentDirectoryCreation: conf.get(UNDERFS_OBJECT_STORE_SKIP_PARENT_DIRECTORY_CREATION)!,
    listingLength: conf.get(UNDERFS_LISTING_LENGTH)!,
    serviceThreads: conf.get(UNDERFS_OBJECT_STORE_SERVICE_THREADS)!,
    bulkDelete: conf.get(UNDERFS_S3_BULK_DELETE_ENABLED)!,
    readChunkSize: conf.get(UNDERFS_OBJECT_STORE_MULTI_RANGE_CHUNK_SIZE),
    ...s3UploadSettings(conf),
    tmpDirs: conf.get(TMP_DIRS)!.map((d) => conf.resolvePath(d)),
    cleanAgeMs: conf.get(UNDERFS_S3_INTERMEDIATE_UPLOAD_CLEAN_AGE)!,
    permissions: () => {
      permissions ??= s3Permissions(s3, bucket, conf);
      return permissions;
    },
  });
}

/**
 * How files go up: in-memory multipart (the default: parts upload while the file is written, at
 * most (threads + 1) parts in memory), or streaming (parts in temp files) when that is turned on
 * and multipart is not explicitly; with both off the file is staged whole in a temp file and sent
 * on close.
 */
function s3UploadSettings(conf: Configuration) {
  const streamingChosen =
    conf.get(UNDERFS_S3_STREAMING_UPLOAD_ENABLED)! && !conf.isSet(UNDERFS_S3_MULTIPART_UPLOAD_ENABLED);
  if (conf.get(UNDERFS_S3_MULTIPART_UPLOAD_ENABLED) && !streamingChosen) {
    return {
      multipartUpload: true,
      streamingUpload: false,
      partitionSize: conf.get(UNDERFS_S3_MULTIPART_UPLOAD_PARTITION_SIZE)!,
      uploadThreads: conf.get(UNDERFS_S3_MULTIPART_UPLOAD_THREADS)!,
      partTimeoutMs: conf.get(UNDERFS_OBJECT_STORE_MULTIPART_UPLOAD_TIMEOUT),
      partTimeoutKey: UNDERFS_OBJECT_STORE_MULTIPART_UPLOAD_TIMEOUT.key,
    };
  }
  return {
    streamingUpload: conf.get(UNDERFS_S3_STREAMING_UPLOAD_ENABLED)!,
    partitionSize: conf.get(UNDERFS_S3_STREAMING_UPLOAD_PARTITION_SIZE)!,
    uploadThreads: conf.get(UNDERFS_S3_UPLOAD_THREADS_MAX)!,
    partTimeoutMs: conf.get(UNDERFS_OBJECT_STORE_STREAMING_UPLOAD_PART_TIMEOUT),
  };
}
