/**
 * What tierfs's own getters of a mount (s3-small-get.ts, s3-stream-get.ts) are built with, read
 * from its configuration: undefined where its GETs must stay the SDK's (a proxy, the v2 signer).
 */
import type { Configuration } from '../../config/configuration.js';
import {
  UNDERFS_S3_DISABLE_DNS_BUCKETS,
  UNDERFS_S3_ENDPOINT_REGION,
  UNDERFS_S3_PROXY_HOST,
  UNDERFS_S3_REGION,
  UNDERFS_S3_SIGNER_ALGORITHM,
  UNDERFS_S3_SOCKET_TIMEOUT,
} from '../../config/keys/s3.js';
import { endpointUrl, usesHttps } from './s3-client-config.js';

export interface GetterSettings {
  /** The configured endpoint, or Amazon's for the region. */
  readonly endpoint: URL;
  /** Whether an endpoint was configured (Amazon's own is https). */
  readonly configured: boolean;
  readonly pathStyle: boolean;
  readonly region: string;
  readonly timeoutMs: number;
}

export function getterSettings(conf: Configuration): GetterSettings | undefined {
  if (conf.get(UNDERFS_S3_PROXY_HOST)) return undefined;
  const signer = conf.get(UNDERFS_S3_SIGNER_ALGORITHM);
  if (signer !== undefined && signer !== '' && signer !== 'AWSS3V4SignerType') return undefined;
  const region = conf.get(UNDERFS_S3_ENDPOINT_REGION) ?? conf.get(UNDERFS_S3_REGION) ?? 'us-east-1';
  const configured = endpointUrl(conf);
  return {
    endpoint: new URL(configured ?? `${usesHttps(conf) ? 'https' : 'http'}://s3.${region}.amazonaws.com`),
    configured: configured !== undefined,
    pathStyle: conf.get(UNDERFS_S3_DISABLE_DNS_BUCKETS)!,
    region,
    timeoutMs: conf.get(UNDERFS_S3_SOCKET_TIMEOUT)!,
  };
}
