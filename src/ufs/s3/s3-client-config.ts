/**
 * The S3Client a mount gets, from its configuration: endpoint and region, path style, HTTPS (on
 * whenever server-side encryption is), the proxy, connection pool sizes and socket timeout, the v2
 * signer, and checksums limited to WHEN_REQUIRED for non-Amazon endpoints (newer SDKs send CRC32
 * trailers most S3 clones reject).
 *
 * Retries and request deadlines are not the SDK's: the SDK makes one attempt (maxAttempts 1) and
 * the object-store layers (retry, timeout) do the rest, the same for every driver.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import type { Configuration } from '../../config/configuration.js';
import {
  UNDERFS_S3_ADMIN_THREADS_MAX,
  UNDERFS_S3_DISABLE_DNS_BUCKETS,
  UNDERFS_S3_ENDPOINT,
  UNDERFS_S3_ENDPOINT_REGION,
  UNDERFS_S3_PROXY_HOST,
  UNDERFS_S3_PROXY_PORT,
  UNDERFS_S3_REGION,
  UNDERFS_S3_SECURE_HTTP_ENABLED,
  UNDERFS_S3_SERVER_SIDE_ENCRYPTION_ENABLED,
  UNDERFS_S3_SIGNER_ALGORITHM,
  UNDERFS_S3_SOCKET_TIMEOUT,
  UNDERFS_S3_THREADS_MAX,
  UNDERFS_S3_UPLOAD_THREADS_MAX,
} from '../../config/keys/s3.js';
import { TierfsError } from '../../errors.js';
import { type CredentialChainOptions, s3CredentialProvider } from './s3-credentials.js';
import { S3V2Signer } from './s3-v2-signer.js';

export const V2_SIGNER = 'S3SignerType';

/** Connections in the pool: threads.max, raised to admin + upload threads when smaller (seed 002). */
export function maxConnections(conf: Configuration): number {
  const admin = conf.get(UNDERFS_S3_ADMIN_THREADS_MAX)!;
  const upload = conf.get(UNDERFS_S3_UPLOAD_THREADS_MAX)!;
  return Math.max(conf.get(UNDERFS_S3_THREADS_MAX)!, admin + upload);
}

/** Whether requests go over HTTPS: asked for, or implied by server-side encryption. */
export function usesHttps(conf: Configuration): boolean {
  return Boolean(
    conf.get(UNDERFS_S3_SECURE_HTTP_ENABLED) || conf.get(UNDERFS_S3_SERVER_SIDE_ENCRYPTION_ENABLED),
  );
}

/** The endpoint URL, or undefined for Amazon's own. A bare host[:port] gets http(s) per usesHttps. */
export function endpointUrl(conf: Configuration): string | undefined {
  const raw = conf.get(UNDERFS_S3_ENDPOINT)?.trim();
  if (!raw) return undefined;
  const https = usesHttps(conf);
  const withScheme = /^[a-z]+:\/\//i.test(raw) ? raw : `${https ? 'https' : 'http'}://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch (error) {
    throw new TierfsError(
      'CONFIG_INVALID',
      `tierfs.underfs.s3.endpoint '${raw}' is not a host[:port] or URL`,
      {
        cause: error,
      },
    );
  }
  // Encryption at rest requires the data to travel encrypted too (seed 002).
  if (https && url.protocol === 'http:') url.protocol = 'https:';
  return url.href.replace(/\/$/, '');
}

/** Connection pools of maxConnections sockets, through the proxy when one is configured. */
export function s3Agents(conf: Configuration): { httpAgent: HttpAgent; httpsAgent: HttpsAgent } {
  const options = { keepAlive: true, maxSockets: maxConnections(conf) };
  const host = conf.get(UNDERFS_S3_PROXY_HOST);
  const port = conf.get(UNDERFS_S3_PROXY_PORT);
  if (!host) return { httpAgent: new HttpAgent(options), httpsAgent: new HttpsAgent(options) };
  const proxy = `http://${host}${port ? `:${port}` : ''}`;
  return { httpAgent: new HttpProxyAgent(proxy, options), httpsAgent: new HttpsProxyAgent(proxy, options) };
}

export function buildS3ClientConfig(
  conf: Configuration,
  bucket: string,
  credentials: CredentialChainOptions = {},
): S3ClientConfig {
  const endpoint = endpointUrl(conf);
  const https = usesHttps(conf);
  const pathStyle = conf.get(UNDERFS_S3_DISABLE_DNS_BUCKETS)!;
  const socketTimeout = conf.get(UNDERFS_S3_SOCKET_TIMEOUT)!;
  const requestHandler = new NodeHttpHandler({
    connectionTimeout: socketTimeout,
    socketTimeout,
    ...s3Agents(conf),
  });
  const signer = conf.get(UNDERFS_S3_SIGNER_ALGORITHM);
  const config: S3ClientConfig = {
    region: conf.get(UNDERFS_S3_ENDPOINT_REGION) ?? conf.get(UNDERFS_S3_REGION) ?? 'us-east-1',
    endpoint,
    tls: https,
    forcePathStyle: pathStyle,
    credentials: s3CredentialProvider(conf, credentials),
    maxAttempts: 1,
    requestHandler,
    followRegionRedirects: endpoint === undefined,
  };
  if (endpoint !== undefined) {
    config.requestChecksumCalculation = 'WHEN_REQUIRED';
    config.responseChecksumValidation = 'WHEN_REQUIRED';
  }
  if (signer === V2_SIGNER) {
    const v2 = new S3V2Signer({ bucket, pathStyle });
    config.httpAuthSchemes = [
      {
        schemeId: 'aws.auth#sigv4',
        identityProvider: (ipc) => ipc.getIdentityProvider('aws.auth#sigv4'),
        signer: v2,
      },
    ];
  } else if (signer !== undefined && signer !== '' && signer !== 'AWSS3V4SignerType') {
    throw new TierfsError(
      'CONFIG_INVALID',
      `tierfs.underfs.s3.signer.algorithm '${signer}' is not supported; use ${V2_SIGNER} (v2) or leave it unset (v4)`,
    );
  }
  return config;
}
