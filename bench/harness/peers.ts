/**
 * The tools a user would pick instead of tierfs, configured against the same S3 endpoint: the AWS
 * CLI, rclone and the AWS JS SDK (GetObject, ListObjectsV2, lib-storage Upload).
 */

import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { S3Target } from './gateway.js';

/** Parallel requests every bulk tool gets (aws max_concurrent_requests, rclone --transfers, SDK/tierfs pools). */
export const BULK_CONCURRENCY = 16;

export const RCLONE_REMOTE = 'bench';

/** Environment for `aws`: credentials and a config file (written by awsConfigFile) under `home`. */
export function awsEnv(target: S3Target, home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    LANG: 'C.UTF-8',
    AWS_ACCESS_KEY_ID: target.accessKey,
    AWS_SECRET_ACCESS_KEY: target.secretKey,
    AWS_DEFAULT_REGION: target.region,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(home, 'aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'aws-credentials'),
  };
}

/** The AWS CLI's defaults except the number of parallel requests. */
export function awsConfigFile(concurrency = BULK_CONCURRENCY): string {
  return ['[default]', 's3 =', `    max_concurrent_requests = ${concurrency}`, ''].join('\n');
}

export function awsArgs(target: S3Target, ...args: string[]): string[] {
  return ['--endpoint-url', target.endpoint, ...args];
}

/** rclone configured entirely by environment variables (remote `bench:`), no config file read. */
export function rcloneEnv(target: S3Target, home: string): Record<string, string> {
  const p = `RCLONE_CONFIG_${RCLONE_REMOTE.toUpperCase()}_`;
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    RCLONE_CONFIG: join(home, 'rclone.conf'),
    [`${p}TYPE`]: 's3',
    [`${p}PROVIDER`]: 'Other',
    [`${p}ENDPOINT`]: target.endpoint,
    [`${p}ACCESS_KEY_ID`]: target.accessKey,
    [`${p}SECRET_ACCESS_KEY`]: target.secretKey,
    [`${p}REGION`]: target.region,
    [`${p}FORCE_PATH_STYLE`]: 'true',
  };
}

/** `bench:bucket/key` */
export function rcloneRemote(target: S3Target, key: string): string {
  return `${RCLONE_REMOTE}:${target.bucket}/${key}`;
}

/** Bulk flags for rclone: the same parallelism as the other tools. */
export function rcloneBulkFlags(concurrency = BULK_CONCURRENCY): string[] {
  return ['--transfers', String(concurrency), '--checkers', String(concurrency)];
}

/** The SDK client a Node program would build for an S3-compatible endpoint. */
export function sdkClient(target: S3Target, concurrency = BULK_CONCURRENCY): S3Client {
  return new S3Client({
    endpoint: target.endpoint,
    region: target.region,
    forcePathStyle: true,
    credentials: { accessKeyId: target.accessKey, secretAccessKey: target.secretKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: new NodeHttpHandler({ httpAgent: { keepAlive: true, maxSockets: concurrency } }),
  });
}
