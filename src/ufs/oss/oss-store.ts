/**
 * `oss://bucket/dir/` as an ObjectUnderStore over the official ali-oss SDK, wrapped in the
 * object-store layers (outermost first): retry and request deadline. Connections are capped by the
 * pool (tierfs.underfs.oss.connection.max / fs.oss.connection.maximum). Settings come from
 * oss-settings.ts (tierfs keys over fs.oss.* keys); a missing endpoint or AccessKey fails here, at
 * FileSystem.get time, with hadoop-aliyun's messages.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import OSS from 'ali-oss';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import type { Configuration } from '../../config/configuration.js';
import {
  UNDERFS_OSS_DEFAULT_MODE,
  UNDERFS_OSS_DIRECTORY_SUFFIX,
  UNDERFS_OSS_INTERMEDIATE_UPLOAD_CLEAN_AGE,
} from '../../config/keys/oss.js';
import {
  UNDERFS_OBJECT_STORE_BREADCRUMBS_ENABLED,
  UNDERFS_OBJECT_STORE_MULTI_RANGE_CHUNK_SIZE,
  UNDERFS_OBJECT_STORE_SERVICE_THREADS,
  UNDERFS_OBJECT_STORE_SKIP_PARENT_DIRECTORY_CREATION,
  UNDERFS_OBJECT_STORE_WRITE_COMMIT_COPY,
  UNDERFS_OBJECT_STORE_WRITE_COMMIT_DELETE_INTERVAL,
} from '../../config/keys/underfs.js';
import { TierfsError } from '../../errors.js';
import { layerObjectClient } from '../object/layer.js';
import { retryLayer } from '../object/layers/retry-layer.js';
import { timeoutLayer } from '../object/layers/timeout-layer.js';
import { ObjectUnderStore } from '../object/object-store.js';
import type { UfsUri } from '../registry.js';
import type { AliOssApi, AliOssOptions } from './ali-oss-api.js';
import { OssObjectClient } from './oss-object-client.js';
import {
  type OssConnectionSettings,
  ossConnectionSettings,
  ossListingLength,
  ossListVersion,
  ossMaxRetries,
  ossUploadSettings,
} from './oss-settings.js';

const RETRY_BASE_DELAY_MS = 100;
const RETRY_MAX_DELAY_MS = 10_000;

export interface OssStoreOptions {
  /** Refuse writes and never write breadcrumbs (a `--readonly` mount). */
  readonly readOnly?: boolean;
}

function agents(settings: OssConnectionSettings): { agent: HttpAgent; httpsAgent: HttpsAgent } {
  const options = { keepAlive: true, maxSockets: settings.maxConnections };
  if (!settings.proxy) return { agent: new HttpAgent(options), httpsAgent: new HttpsAgent(options) };
  return {
    agent: new HttpProxyAgent(settings.proxy.url, options),
    httpsAgent: new HttpsProxyAgent(settings.proxy.url, options),
  };
}

/** The ali-oss client for `bucket`; the one place the SDK's loose types meet AliOssApi. */
export function createAliOss(
  settings: OssConnectionSettings,
  bucket: string,
): { oss: AliOssApi; close: () => void } {
  const pools = agents(settings);
  const { accessKeyId, accessKeySecret, securityToken } = settings.credentials;
  const options: AliOssOptions = {
    accessKeyId,
    accessKeySecret,
    // An interval keeps ali-oss from warning that the token is never refreshed (we have no refresher).
    ...(securityToken ? { stsToken: securityToken, refreshSTSTokenInterval: 3_600_000 } : {}),
    bucket,
    endpoint: settings.endpoint,
    sldEnable: settings.pathStyle,
    secure: settings.endpoint.startsWith('https:'),
    timeout: settings.socketTimeoutMs,
    retryMax: 0,
    ...pools,
  };
  let client: OSS;
  try {
    client = new OSS(options as unknown as OSS.Options);
  } catch (error) {
    throw new TierfsError(
      'CONFIG_INVALID',
      `cannot set up the OSS client for bucket '${bucket}': ${String(error)}`,
      {
        cause: error,
      },
    );
  }
  return {
    oss: client as unknown as AliOssApi,
    close: () => {
      pools.agent.destroy();
      pools.httpsAgent.destroy();
    },
  };
}

export async function createOssUnderStore(
  uri: UfsUri,
  conf: Configuration,
  options: OssStoreOptions = {},
): Promise<ObjectUnderStore> {
  const bucket = uri.authority;
  if (bucket === '') {
    throw new TierfsError('INVALID_ARGUMENT', `'${uri.href}' names no bucket; expected oss://bucket/dir`);
  }
  const dir = uri.path
    .split('/')
    .filter((s) => s !== '')
    .join('/');
  const rootPrefix = dir === '' ? '' : `${dir}/`;
  const settings = ossConnectionSettings(conf);
  const upload = ossUploadSettings(conf);
  const { oss, close } = createAliOss(settings, bucket);
  const raw = new OssObjectClient({
    oss,
    bucket,
    listVersion: ossListVersion(conf),
    timeout: [settings.connectTimeoutMs, settings.socketTimeoutMs],
    close,
  });
  const client = layerObjectClient(
    raw,
    retryLayer({
      maxRetries: ossMaxRetries(conf),
      baseDelayMs: RETRY_BASE_DELAY_MS,
      maxDelayMs: RETRY_MAX_DELAY_MS,
    }),
    // A request's deadline: connecting plus waiting for the response.
    timeoutLayer(settings.connectTimeoutMs + settings.socketTimeoutMs),
  );
  const mode = conf.get(UNDERFS_OSS_DEFAULT_MODE)!;
  return new ObjectUnderStore({
    scheme: uri.scheme,
    uri: `oss://${bucket}/${rootPrefix}`,
    client,
    rootPrefix,
    readOnly: options.readOnly,
    directorySuffix: conf.get(UNDERFS_OSS_DIRECTORY_SUFFIX)!,
    breadcrumbs: conf.get(UNDERFS_OBJECT_STORE_BREADCRUMBS_ENABLED)!,
    commitByCopy: conf.get(UNDERFS_OBJECT_STORE_WRITE_COMMIT_COPY)!,
    commitDeleteIntervalMs: conf.get(UNDERFS_OBJECT_STORE_WRITE_COMMIT_DELETE_INTERVAL)!,
    skipParentDirectoryCreation: conf.get(UNDERFS_OBJECT_STORE_SKIP_PARENT_DIRECTORY_CREATION)!,
    listingLength: ossListingLength(conf),
    serviceThreads: conf.get(UNDERFS_OBJECT_STORE_SERVICE_THREADS)!,
    bulkDelete: true,
    readChunkSize: conf.get(UNDERFS_OBJECT_STORE_MULTI_RANGE_CHUNK_SIZE),
    streamingUpload: upload.mode === 'streaming',
    multipartUpload: upload.mode === 'multipart',
    partitionSize: upload.partitionSize,
    uploadThreads: upload.threads,
    partTimeoutMs: upload.partTimeoutMs,
    partTimeoutKey: upload.partTimeoutKey,
    tmpDirs: upload.tmpDirs,
    cleanAgeMs: conf.get(UNDERFS_OSS_INTERMEDIATE_UPLOAD_CLEAN_AGE)!,
    permissions: async () => ({ owner: '', group: '', mode }),
  });
}
