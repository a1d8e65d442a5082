/**
 * `kodo://bucket/dir/` as an ObjectUnderStore: the Kodo object client, wrapped in the object-store
 * layers (outermost first): retry, then a cap of `tierfs.underfs.kodo.requests.max` requests in
 * flight. Files up to `tierfs.underfs.kodo.resumable.upload.threshold` go up as one form upload,
 * larger ones as resumable upload v2 parts of `...part.size`, `...concurrency` at once (the base's
 * buffered writer: the file is staged in a temp file, then sent).
 */
import type { Configuration } from '../../config/configuration.js';
import { TMP_DIRS } from '../../config/keys/core.js';
import {
  UNDERFS_KODO_CONNECT_TIMEOUT,
  UNDERFS_KODO_DIRECTORY_SUFFIX,
  UNDERFS_KODO_REQUESTS_MAX,
  UNDERFS_KODO_RESUMABLE_UPLOAD_CONCURRENCY,
  UNDERFS_KODO_RESUMABLE_UPLOAD_PART_SIZE,
  UNDERFS_KODO_RESUMABLE_UPLOAD_THRESHOLD,
} from '../../config/keys/kodo.js';
import {
  UNDERFS_LISTING_LENGTH,
  UNDERFS_OBJECT_STORE_BREADCRUMBS_ENABLED,
  UNDERFS_OBJECT_STORE_MULTI_RANGE_CHUNK_SIZE,
  UNDERFS_OBJECT_STORE_SERVICE_THREADS,
  UNDERFS_OBJECT_STORE_SKIP_PARENT_DIRECTORY_CREATION,
  UNDERFS_OBJECT_STORE_STREAMING_UPLOAD_PART_TIMEOUT,
  UNDERFS_OBJECT_STORE_WRITE_COMMIT_COPY,
} from '../../config/keys/underfs.js';
import { TierfsError } from '../../errors.js';
import { layerObjectClient } from '../object/layer.js';
import { concurrencyLimitLayer } from '../object/layers/concurrency-limit-layer.js';
import { retryLayer } from '../object/layers/retry-layer.js';
import { ObjectUnderStore } from '../object/object-store.js';
import type { UfsUri } from '../registry.js';
import { KodoHttp } from './kodo-http.js';
import { KodoObjectClient } from './kodo-object-client.js';
import { readKodoSettings } from './kodo-settings.js';

const MAX_RETRIES = 3;
const RETRY_BASE_DELAY_MS = 100;
const RETRY_MAX_DELAY_MS = 10_000;
/** Kodo has no ACLs: every entry of a mount reports this owner, group and mode (as Alluxio does). */
const PERMISSIONS = { owner: '', group: '', mode: 0o700 };
/** Kodo forgets unfinished resumable uploads after 7 days; tierfs cannot list them to clean up. */
const UPLOAD_EXPIRY_MS = 7 * 24 * 3600 * 1000;

export interface KodoStoreOptions {
  /** Refuse writes and never write breadcrumbs (a `--readonly` mount). */
  readonly readOnly?: boolean;
}

export async function createKodoUnderStore(
  uri: UfsUri,
  conf: Configuration,
  options: KodoStoreOptions = {},
): Promise<ObjectUnderStore> {
  const bucket = uri.authority;
  if (bucket === '') {
    throw new TierfsError('INVALID_ARGUMENT', `'${uri.href}' names no bucket; expected kodo://bucket/dir`);
  }
  const settings = readKodoSettings(conf, uri.href);
  const dir = uri.path
    .split('/')
    .filter((s) => s !== '')
    .join('/');
  const rootPrefix = dir === '' ? '' : `${dir}/`;
  const requestsMax = conf.require(UNDERFS_KODO_REQUESTS_MAX);
  const raw = new KodoObjectClient({
    bucket,
    accessKey: settings.accessKey,
    secretKey: settings.secretKey,
    hosts: settings.hosts,
    downloadHost: settings.downloadHost,
    http: new KodoHttp({
      maxConnections: requestsMax,
      connectTimeoutMs: conf.require(UNDERFS_KODO_CONNECT_TIMEOUT),
    }),
  });
  const client = layerObjectClient(
    raw,
    retryLayer({ maxRetries: MAX_RETRIES, baseDelayMs: RETRY_BASE_DELAY_MS, maxDelayMs: RETRY_MAX_DELAY_MS }),
    concurrencyLimitLayer({ admin: requestsMax, data: requestsMax }),
  );
  const permissions = Promise.resolve(PERMISSIONS);
  return new ObjectUnderStore({
    scheme: uri.scheme,
    uri: `${uri.scheme}://${bucket}/${rootPrefix}`,
    client,
    rootPrefix,
    readOnly: options.readOnly,
    directorySuffix: conf.require(UNDERFS_KODO_DIRECTORY_SUFFIX),
    breadcrumbs: conf.require(UNDERFS_OBJECT_STORE_BREADCRUMBS_ENABLED),
    commitByCopy: conf.require(UNDERFS_OBJECT_STORE_WRITE_COMMIT_COPY),
    skipParentDirectoryCreation: conf.require(UNDERFS_OBJECT_STORE_SKIP_PARENT_DIRECTORY_CREATION),
    listingLength: conf.require(UNDERFS_LISTING_LENGTH),
    serviceThreads: conf.require(UNDERFS_OBJECT_STORE_SERVICE_THREADS),
    bulkDelete: true,
    readChunkSize: conf.get(UNDERFS_OBJECT_STORE_MULTI_RANGE_CHUNK_SIZE),
    streamingUpload: false,
    partitionSize: conf.require(UNDERFS_KODO_RESUMABLE_UPLOAD_PART_SIZE),
    multipartThreshold: conf.require(UNDERFS_KODO_RESUMABLE_UPLOAD_THRESHOLD),
    uploadThreads: conf.require(UNDERFS_KODO_RESUMABLE_UPLOAD_CONCURRENCY),
    partTimeoutMs: conf.get(UNDERFS_OBJECT_STORE_STREAMING_UPLOAD_PART_TIMEOUT),
    tmpDirs: conf.require(TMP_DIRS).map((d) => conf.resolvePath(d)),
    cleanAgeMs: UPLOAD_EXPIRY_MS,
    permissions: () => permissions,
  });
}
