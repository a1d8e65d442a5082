/**
 * What an `oss://` mount's configuration says, resolved once: credentials (checked with
 * hadoop-aliyun's own messages), the endpoint, timeouts, retries, listing and upload settings.
 *
 * Where a tierfs key and a Hadoop (`fs.oss.*`) key mean the same thing, the tierfs key wins when it
 * is set explicitly; otherwise a set Hadoop key is used; otherwise the tierfs default applies. So a
 * core-site.xml or flink-conf.yaml carried over as-is is honoured, and tierfs settings override it.
 */
import type { Configuration } from '../../config/configuration.js';
import { TMP_DIRS } from '../../config/keys/core.js';
import {
  FS_OSS_ACCESS_KEY_ID,
  FS_OSS_ACCESS_KEY_SECRET,
  FS_OSS_ATTEMPTS_MAXIMUM,
  FS_OSS_BUFFER_DIR,
  FS_OSS_CONNECTION_ESTABLISH_TIMEOUT,
  FS_OSS_CONNECTION_MAXIMUM,
  FS_OSS_CONNECTION_SECURE_ENABLED,
  FS_OSS_CONNECTION_TIMEOUT,
  FS_OSS_ENDPOINT,
  FS_OSS_LIST_VERSION,
  FS_OSS_MULTIPART_UPLOAD_SIZE,
  FS_OSS_PAGING_MAXIMUM,
  FS_OSS_PROXY_HOST,
  FS_OSS_PROXY_PASSWORD,
  FS_OSS_PROXY_PORT,
  FS_OSS_PROXY_USERNAME,
  FS_OSS_SECURITY_TOKEN,
  FS_OSS_UPLOAD_ACTIVE_BLOCKS,
  UNDERFS_OSS_CONNECTION_MAX,
  UNDERFS_OSS_CONNECTION_TIMEOUT,
  UNDERFS_OSS_MULTIPART_UPLOAD_ENABLED,
  UNDERFS_OSS_MULTIPART_UPLOAD_PARTITION_SIZE,
  UNDERFS_OSS_MULTIPART_UPLOAD_THREADS,
  UNDERFS_OSS_PATH_STYLE_ACCESS,
  UNDERFS_OSS_PROTOCOL,
  UNDERFS_OSS_PROXY_HOST,
  UNDERFS_OSS_PROXY_PORT,
  UNDERFS_OSS_RETRY_MAX,
  UNDERFS_OSS_SOCKET_TIMEOUT,
  UNDERFS_OSS_STREAMING_UPLOAD_ENABLED,
  UNDERFS_OSS_STREAMING_UPLOAD_PARTITION_SIZE,
  UNDERFS_OSS_STREAMING_UPLOAD_THREADS,
} from '../../config/keys/oss.js';
import {
  UNDERFS_LISTING_LENGTH,
  UNDERFS_OBJECT_STORE_MULTIPART_UPLOAD_TIMEOUT,
  UNDERFS_OBJECT_STORE_STREAMING_UPLOAD_PART_TIMEOUT,
} from '../../config/keys/underfs.js';
import type { PropertyKey } from '../../config/property.js';
import { TierfsError } from '../../errors.js';
import { ufsLog } from '../log.js';

export const MISSING_ENDPOINT =
  "Aliyun OSS endpoint should not be null or empty. Please set proper endpoint with 'fs.oss.endpoint'.";
export const MISSING_CREDENTIALS = 'AccessKeyId and AccessKeySecret should not be null or empty.';

export interface OssCredentials {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly securityToken?: string;
}

export interface OssProxy {
  /** `http://[user:password@]host:port` */
  readonly url: string;
}

export interface OssConnectionSettings {
  readonly credentials: OssCredentials;
  /** Endpoint URL with its scheme, without a trailing slash. */
  readonly endpoint: string;
  readonly pathStyle: boolean;
  readonly connectTimeoutMs: number;
  readonly socketTimeoutMs: number;
  readonly maxConnections: number;
  readonly proxy?: OssProxy;
}

export type OssUploadMode = 'buffered' | 'streaming' | 'multipart';

export interface OssUploadSettings {
  readonly mode: OssUploadMode;
  readonly partitionSize: number;
  readonly threads: number;
  readonly partTimeoutMs?: number;
  readonly partTimeoutKey?: string;
  readonly tmpDirs: readonly string[];
}

/** `preferred` when set, else `fallback` when set, else `preferred`'s default. */
export function either<T>(conf: Configuration, preferred: PropertyKey<T>, fallback: PropertyKey<T>): T {
  if (!conf.isSet(preferred) && conf.isSet(fallback)) return conf.get(fallback)!;
  return conf.get(preferred)!;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

export function ossCredentials(conf: Configuration): OssCredentials {
  const accessKeyId = nonEmpty(conf.get(FS_OSS_ACCESS_KEY_ID));
  const accessKeySecret = nonEmpty(conf.get(FS_OSS_ACCESS_KEY_SECRET));
  if (!accessKeyId || !accessKeySecret) throw new TierfsError('CONFIG_INVALID', MISSING_CREDENTIALS);
  return { accessKeyId, accessKeySecret, securityToken: nonEmpty(conf.get(FS_OSS_SECURITY_TOKEN)) };
}

/** HTTPS unless told otherwise: tierfs.underfs.oss.protocol when set, else fs.oss.connection.secure.enabled. */
export function ossUsesHttps(conf: Configuration): boolean {
  if (conf.isSet(UNDERFS_OSS_PROTOCOL)) return conf.get(UNDERFS_OSS_PROTOCOL) === 'https';
  return conf.get(FS_OSS_CONNECTION_SECURE_ENABLED)!;
}

/** fs.oss.endpoint as a URL; a bare host[:port] gets http or https per ossUsesHttps. */
export function ossEndpoint(conf: Configuration): string {
  const raw = nonEmpty(conf.get(FS_OSS_ENDPOINT));
  if (!raw) throw new TierfsError('CONFIG_INVALID', MISSING_ENDPOINT);
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw)
    ? raw
    : `${ossUsesHttps(conf) ? 'https' : 'http'}://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch (error) {
    throw new TierfsError('CONFIG_INVALID', `fs.oss.endpoint '${raw}' is not a host[:port] or URL`, {
      cause: error,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TierfsError('CONFIG_INVALID', `fs.oss.endpoint '${raw}' must use http or https`);
  }
  return `${url.protocol}//${url.host}`;
}

function ossProxy(conf: Configuration): OssProxy | undefined {
  const host = nonEmpty(conf.get(UNDERFS_OSS_PROXY_HOST)) ?? nonEmpty(conf.get(FS_OSS_PROXY_HOST));
  if (!host) return undefined;
  const tierfsPort = conf.get(UNDERFS_OSS_PROXY_PORT);
  const port = tierfsPort ? tierfsPort : (conf.get(FS_OSS_PROXY_PORT) ?? (ossUsesHttps(conf) ? 443 : 80));
  const user = nonEmpty(conf.get(FS_OSS_PROXY_USERNAME));
  const password = conf.get(FS_OSS_PROXY_PASSWORD) ?? '';
  const auth = user ? `${encodeURIComponent(user)}:${encodeURIComponent(password)}@` : '';
  return { url: `http://${auth}${host}:${port}` };
}

/** Checked in this order, as hadoop-aliyun does: the endpoint, then the AccessKey. */
export function ossConnectionSettings(conf: Configuration): OssConnectionSettings {
  const endpoint = ossEndpoint(conf);
  return {
    credentials: ossCredentials(conf),
    endpoint,
    pathStyle: conf.get(UNDERFS_OSS_PATH_STYLE_ACCESS)!,
    // Mind the names: fs.oss.connection.timeout is the socket timeout, as in hadoop-aliyun.
    connectTimeoutMs: either(conf, UNDERFS_OSS_CONNECTION_TIMEOUT, FS_OSS_CONNECTION_ESTABLISH_TIMEOUT),
    socketTimeoutMs: either(conf, UNDERFS_OSS_SOCKET_TIMEOUT, FS_OSS_CONNECTION_TIMEOUT),
    maxConnections: either(conf, UNDERFS_OSS_CONNECTION_MAX, FS_OSS_CONNECTION_MAXIMUM),
    proxy: ossProxy(conf),
  };
}

export function ossMaxRetries(conf: Configuration): number {
  return either(conf, UNDERFS_OSS_RETRY_MAX, FS_OSS_ATTEMPTS_MAXIMUM);
}

/** Keys per listing request: tierfs.underfs.listing.length when set, else fs.oss.paging.maximum. */
export function ossListingLength(conf: Configuration): number {
  return either(conf, UNDERFS_LISTING_LENGTH, FS_OSS_PAGING_MAXIMUM);
}

/** fs.oss.list.version: 1 is ListObjects (marker); anything but 1 or 2 warns and means 2. */
export function ossListVersion(conf: Configuration): 1 | 2 {
  const version = conf.get(FS_OSS_LIST_VERSION)!;
  if (version === 1) return 1;
  if (version !== 2) {
    ufsLog.warn(`fs.oss.list.version ${version} is not 1 or 2; using 2 (ListObjectsV2)`, {});
  }
  return 2;
}

/**
 * How files go up. multipart (parts buffered in memory) wins over streaming (parts in temp files);
 * otherwise a file is staged whole in a temp file and sent in parts when larger than a partition.
 * The part size is tierfs.underfs.oss.multipart.upload.partition.size, else fs.oss.multipart.upload.size
 * (streaming uses its own partition size); fs.oss.upload.active.blocks, when set, caps the parts of
 * one file uploading at once; fs.oss.buffer.dir, when set, replaces tierfs.tmp.dirs for temp files.
 */
export function ossUploadSettings(conf: Configuration): OssUploadSettings {
  const multipartSize = either(
    conf,
    UNDERFS_OSS_MULTIPART_UPLOAD_PARTITION_SIZE,
    FS_OSS_MULTIPART_UPLOAD_SIZE,
  );
  const activeBlocks = conf.isSet(FS_OSS_UPLOAD_ACTIVE_BLOCKS)
    ? conf.get(FS_OSS_UPLOAD_ACTIVE_BLOCKS)!
    : Number.POSITIVE_INFINITY;
  const bufferDirs = conf.get(FS_OSS_BUFFER_DIR);
  const tmpDirs = (bufferDirs && bufferDirs.length > 0 ? bufferDirs : conf.get(TMP_DIRS)!).map((d) =>
    conf.resolvePath(d),
  );
  if (conf.get(UNDERFS_OSS_MULTIPART_UPLOAD_ENABLED)) {
    return {
      mode: 'multipart',
      partitionSize: multipartSize,
      threads: Math.min(conf.get(UNDERFS_OSS_MULTIPART_UPLOAD_THREADS)!, activeBlocks),
      partTimeoutMs: conf.get(UNDERFS_OBJECT_STORE_MULTIPART_UPLOAD_TIMEOUT),
      partTimeoutKey: UNDERFS_OBJECT_STORE_MULTIPART_UPLOAD_TIMEOUT.key,
      tmpDirs,
    };
  }
  if (conf.get(UNDERFS_OSS_STREAMING_UPLOAD_ENABLED)) {
    return {
      mode: 'streaming',
      partitionSize: conf.get(UNDERFS_OSS_STREAMING_UPLOAD_PARTITION_SIZE)!,
      threads: Math.min(conf.get(UNDERFS_OSS_STREAMING_UPLOAD_THREADS)!, activeBlocks),
      partTimeoutMs: conf.get(UNDERFS_OBJECT_STORE_STREAMING_UPLOAD_PART_TIMEOUT),
      partTimeoutKey: UNDERFS_OBJECT_STORE_STREAMING_UPLOAD_PART_TIMEOUT.key,
      tmpDirs,
    };
  }
  return {
    mode: 'buffered',
    partitionSize: multipartSize,
    threads: Math.min(conf.get(UNDERFS_OSS_MULTIPART_UPLOAD_THREADS)!, activeBlocks),
    partTimeoutMs: conf.get(UNDERFS_OBJECT_STORE_MULTIPART_UPLOAD_TIMEOUT),
    partTimeoutKey: UNDERFS_OBJECT_STORE_MULTIPART_UPLOAD_TIMEOUT.key,
    tmpDirs,
  };
}
