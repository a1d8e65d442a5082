/** Starts an S3 gateway in-process over a fresh local directory, for tests with real clients. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { Configuration } from '../../src/config/configuration.js';
import '../../src/ufs/drivers.js';
import { type S3Gateway, s3GatewayFromConfig } from '../../src/gateway/s3/server.js';
import type { UnderStore } from '../../src/ufs/contract.js';
import { FileSystem } from '../../src/ufs/registry.js';

export const ACCESS_KEY = 'AKIATIERFSTEST';
export const SECRET_KEY = 'tierfs-test-secret-0123456789';
export const USER = 'alice';

export interface RunningGateway {
  readonly endpoint: string;
  readonly port: number;
  /** The directory served; buckets are its subdirectories. */
  readonly root: string;
  readonly stateDir: string;
  readonly gateway: S3Gateway;
  stop(): Promise<void>;
}

export async function startGateway(
  extra: Record<string, string> = {},
  wrapStore?: (store: UnderStore) => UnderStore,
): Promise<RunningGateway> {
  const base = await mkdtemp(join(tmpdir(), 'tierfs-gw-'));
  const root = join(base, 'root');
  const stateDir = join(base, 'state');
  const conf = Configuration.of({
    'tierfs.proxy.s3.users': `${ACCESS_KEY}:${SECRET_KEY}:${USER}`,
    'tierfs.proxy.s3.state.dir': stateDir,
    ...extra,
  });
  const store = await FileSystem.get(root, conf);
  await store.mkdirs('');
  const gateway = s3GatewayFromConfig(wrapStore ? wrapStore(store) : store, conf);
  const address = await gateway.listen(0, '127.0.0.1');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    port: address.port,
    root,
    stateDir,
    gateway,
    async stop() {
      await gateway.close();
      await store.close();
      await rm(base, { recursive: true, force: true });
    },
  };
}

/**
 * Finds a client program (the Debian package's copy first). Missing in CI is a failure; locally
 * the caller skips with the printed reason.
 */
export function findClient(name: string): string | undefined {
  for (const candidate of [`/usr/bin/${name}`]) if (existsSync(candidate)) return candidate;
  try {
    return execFileSync('which', [name], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    if (process.env.CI)
      throw new Error(`${name} is required in CI (see APT_PACKAGES in .ci/run) but is not installed`);
    process.stdout.write(`skipping ${name} tests: ${name} is not installed\n`);
    return undefined;
  }
}

/** The AWS SDK's S3 client for a gateway (path style, no retries, checksums only when required). */
export function s3Client(
  gateway: Pick<RunningGateway, 'endpoint'>,
  overrides: Partial<S3ClientConfig> = {},
): S3Client {
  return new S3Client({
    endpoint: gateway.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
    ...overrides,
  });
}

/** The S3 error code, status and message a failed command reports. */
export async function s3Refusal(
  promise: Promise<unknown>,
): Promise<{ code: string; status: number | undefined; message: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as {
      name: string;
      Code?: string;
      message: string;
      $metadata?: { httpStatusCode?: number };
    };
    return { code: e.Code ?? e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error('expected the request to fail');
}

/** The S3 error code and status a failed command reports. */
export async function s3Failure(
  promise: Promise<unknown>,
): Promise<{ code: string; status: number | undefined }> {
  const { code, status } = await s3Refusal(promise);
  return { code, status };
}

/** A bucket policy document of `statements`, as PutBucketPolicy takes it. */
export function bucketPolicy(...statements: object[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}
