/**
 * The offload driver, from Pulsar's broker.conf keys (seed 003): which store offloaded ledgers go
 * to, and how. Each driver maps to an UnderStore scheme resolved through the registry
 * (`FileSystem.get`), so a driver works as soon as its store is registered:
 *
 *   aliyun-oss → oss://bucket/      endpoint required (fs.oss.endpoint); credentials
 *                                    ALIYUN_OSS_ACCESS_KEY_ID / ALIYUN_OSS_ACCESS_KEY_SECRET
 *   aws-s3     → s3://bucket/       region or endpoint required
 *   S3         → s3://bucket/       any S3-compatible store; endpoint required
 *   kodo       → kodo://bucket/     endpoint optional (tierfs.underfs.kodo.endpoint)
 *   filesystem → file://…/bucket/   bucket is a directory (absolute, or below the endpoint
 *                                    directory when one is given, else below the work dir)
 *
 * The store writes the data object with its streaming multipart writer, the part size set to the
 * block size, so each block is one part. `offloadersDirectory` is accepted for compatibility and
 * has no effect: the drivers are built in.
 *
 * Values come from the configuration (`-D`, environment, site properties), then
 * `${tierfs.conf.dir}/broker.conf`, then `${tierfs.conf.dir}/standalone.conf` (withBrokerConf).
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Configuration, PROPERTIES } from '../config/configuration.js';
import { CONF_DIR, WORK_DIR } from '../config/keys/core.js';
import {
  MANAGED_LEDGER_OFFLOAD_BUCKET,
  MANAGED_LEDGER_OFFLOAD_DRIVER,
  MANAGED_LEDGER_OFFLOAD_MAX_BLOCK_SIZE_IN_BYTES,
  MANAGED_LEDGER_OFFLOAD_READ_BUFFER_SIZE_IN_BYTES,
  MANAGED_LEDGER_OFFLOAD_REGION,
  MANAGED_LEDGER_OFFLOAD_SERVICE_ENDPOINT,
  S3_MANAGED_LEDGER_OFFLOAD_BUCKET,
  S3_MANAGED_LEDGER_OFFLOAD_CREDENTIAL_ID,
  S3_MANAGED_LEDGER_OFFLOAD_CREDENTIAL_SECRET,
  S3_MANAGED_LEDGER_OFFLOAD_MAX_BLOCK_SIZE_IN_BYTES,
  S3_MANAGED_LEDGER_OFFLOAD_READ_BUFFER_SIZE_IN_BYTES,
  S3_MANAGED_LEDGER_OFFLOAD_REGION,
  S3_MANAGED_LEDGER_OFFLOAD_SERVICE_ENDPOINT,
} from '../config/keys/offload.js';
import { parseProperties } from '../config/properties-file.js';
import type { PropertyKey } from '../config/property.js';
import { TierfsError } from '../errors.js';
import type { UnderStore } from '../ufs/contract.js';
import { FileSystem } from '../ufs/registry.js';

export const MIN_BLOCK_SIZE = 5 * 1024 * 1024;

type EndpointRule = 'required' | 'region-or-endpoint' | 'optional';

interface DriverSpec {
  /** Canonical spelling. */
  readonly name: string;
  readonly scheme: string;
  readonly endpoint: EndpointRule;
  /** Store options for the endpoint, region, credentials and part size. */
  readonly options: (driver: ResolvedDriver, conf: Configuration) => Record<string, string>;
}

interface ResolvedDriver {
  readonly bucket: string;
  readonly endpoint?: string;
  readonly region?: string;
  readonly maxBlockSize: number;
}

function credentials(conf: Configuration, idKey: string, secretKey: string): Record<string, string> {
  const id = conf.get(S3_MANAGED_LEDGER_OFFLOAD_CREDENTIAL_ID);
  const secret = conf.get(S3_MANAGED_LEDGER_OFFLOAD_CREDENTIAL_SECRET);
  return id && secret ? { [idKey]: id, [secretKey]: secret } : {};
}

const s3Options = (driver: ResolvedDriver, conf: Configuration): Record<string, string> => ({
  ...(driver.endpoint
    ? { 'tierfs.underfs.s3.endpoint': driver.endpoint, 'tierfs.underfs.s3.disable.dns.buckets': 'true' }
    : {}),
  ...(driver.region ? { 'tierfs.underfs.s3.region': driver.region } : {}),
  ...credentials(conf, 'aws.accessKeyId', 'aws.secretKey'),
  'tierfs.underfs.s3.streaming.upload.enabled': 'true',
  'tierfs.underfs.s3.streaming.upload.partition.size': String(driver.maxBlockSize),
});

const DRIVERS: readonly DriverSpec[] = [
  {
    name: 'aliyun-oss',
    scheme: 'oss',
    endpoint: 'required',
    options: (driver, conf) => ({
      ...(driver.endpoint ? { 'fs.oss.endpoint': driver.endpoint } : {}),
      ...credentials(conf, 'fs.oss.accessKeyId', 'fs.oss.accessKeySecret'),
      'tierfs.underfs.oss.streaming.upload.enabled': 'true',
      'tierfs.underfs.oss.streaming.upload.partition.size': String(driver.maxBlockSize),
    }),
  },
  { name: 'aws-s3', scheme: 's3', endpoint: 'region-or-endpoint', options: s3Options },
  { name: 'S3', scheme: 's3', endpoint: 'required', options: s3Options },
  {
    name: 'kodo',
    scheme: 'kodo',
    endpoint: 'optional',
    options: (driver, conf) => ({
      ...(driver.endpoint ? { 'tierfs.underfs.kodo.endpoint': driver.endpoint } : {}),
      ...credentials(conf, 'fs.kodo.accesskey', 'fs.kodo.secretkey'),
    }),
  },
  { name: 'filesystem', scheme: 'file', endpoint: 'optional', options: () => ({}) },
];

export const OFFLOAD_DRIVER_NAMES: readonly string[] = DRIVERS.map((d) => d.name);

/** What an offloaded ledger records about where it went, so it is read back from there. */
export interface DriverMetadata {
  readonly driver: string;
  readonly bucket: string;
  readonly endpoint?: string;
  readonly region?: string;
}

export interface OffloadDriverConfig extends DriverMetadata {
  readonly maxBlockSize: number;
  readonly readBufferSize: number;
  /** Root of the offload store, e.g. `s3://pulsar-topic-offload/`. */
  readonly uri: string;
  /** Laid over the configuration when the store is opened. */
  readonly storeOptions: Readonly<Record<string, string>>;
}

function fail(message: string): never {
  throw new TierfsError('CONFIG_INVALID', message);
}

function spec(driver: string): DriverSpec {
  return (
    DRIVERS.find((d) => d.name.toLowerCase() === driver.trim().toLowerCase()) ??
    fail(`No offloader found for driver '${driver}'. Supported drivers: ${OFFLOAD_DRIVER_NAMES.join(', ')}.`)
  );
}

/** A value of the aws-s3 driver may also be written with the legacy `s3ManagedLedgerOffload*` name. */
function pick<T>(
  conf: Configuration,
  key: PropertyKey<T>,
  legacy: PropertyKey<T>,
  aws: boolean,
): T | undefined {
  if (aws && !conf.isSet(key) && conf.isSet(legacy)) return conf.get(legacy);
  return conf.get(key);
}

/**
 * The offload driver configured, or undefined when `managedLedgerOffloadDriver` is unset (offload
 * disabled). `recorded` replaces driver, bucket, endpoint and region: how an offloaded ledger is
 * read back from where it was written. Throws CONFIG_INVALID with Pulsar's messages.
 */
export function offloadDriverConfig(
  conf: Configuration,
  recorded?: DriverMetadata,
): OffloadDriverConfig | undefined {
  const driverName = recorded?.driver ?? conf.get(MANAGED_LEDGER_OFFLOAD_DRIVER)?.trim();
  if (!driverName) return undefined;
  const driver = spec(driverName);
  const aws = driver.name === 'aws-s3';
  const bucket = recorded
    ? recorded.bucket
    : pick(conf, MANAGED_LEDGER_OFFLOAD_BUCKET, S3_MANAGED_LEDGER_OFFLOAD_BUCKET, aws);
  const endpoint = recorded
    ? recorded.endpoint
    : pick(conf, MANAGED_LEDGER_OFFLOAD_SERVICE_ENDPOINT, S3_MANAGED_LEDGER_OFFLOAD_SERVICE_ENDPOINT, aws);
  const region = recorded
    ? recorded.region
    : pick(conf, MANAGED_LEDGER_OFFLOAD_REGION, S3_MANAGED_LEDGER_OFFLOAD_REGION, aws);
  const maxBlockSize = pick(
    conf,
    MANAGED_LEDGER_OFFLOAD_MAX_BLOCK_SIZE_IN_BYTES,
    S3_MANAGED_LEDGER_OFFLOAD_MAX_BLOCK_SIZE_IN_BYTES,
    aws,
  )!;
  const readBufferSize = pick(
    conf,
    MANAGED_LEDGER_OFFLOAD_READ_BUFFER_SIZE_IN_BYTES,
    S3_MANAGED_LEDGER_OFFLOAD_READ_BUFFER_SIZE_IN_BYTES,
    aws,
  )!;
  if (!bucket?.trim()) fail(`Bucket cannot be empty for ${driver.name} offload`);
  if (driver.endpoint === 'required' && !endpoint)
    fail(`ServiceEndpoint must specified for ${driver.name} offload`);
  if (driver.endpoint === 'region-or-endpoint' && !endpoint && !region) {
    fail(`Either Region or ServiceEndpoint must specified for ${driver.name} offload`);
  }
  checkMaxBlockSize(maxBlockSize, driver.name);
  const resolved: ResolvedDriver = { bucket, endpoint, region, maxBlockSize };
  return {
    driver: driver.name,
    bucket,
    ...(endpoint ? { endpoint } : {}),
    ...(region ? { region } : {}),
    maxBlockSize,
    readBufferSize,
    uri: driver.scheme === 'file' ? fileRoot(conf, bucket, endpoint) : `${driver.scheme}://${bucket}/`,
    storeOptions: driver.options(resolved, conf),
  };
}

export function checkMaxBlockSize(bytes: number, driver: string): void {
  if (bytes < MIN_BLOCK_SIZE) {
    fail(
      `ManagedLedgerOffloadMaxBlockSizeInBytes cannot be less than 5MB for ${driver} offload (got ${bytes} bytes)`,
    );
  }
}

function fileRoot(conf: Configuration, bucket: string, endpoint: string | undefined): string {
  const base = endpoint
    ? endpoint.startsWith('file:')
      ? fileURLToPath(endpoint)
      : conf.resolvePath(endpoint)
    : conf.resolvePath(conf.require(WORK_DIR));
  const dir = isAbsolute(bucket) ? bucket : resolve(join(base, bucket));
  return `file://${dir}/`;
}

export function metadataOf(config: OffloadDriverConfig): DriverMetadata {
  return {
    driver: config.driver,
    bucket: config.bucket,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.region ? { region: config.region } : {}),
  };
}

export async function openOffloadStore(
  config: OffloadDriverConfig,
  conf: Configuration,
): Promise<UnderStore> {
  const store = await FileSystem.get(
    config.uri,
    conf.withOptions(config.storeOptions, `${config.driver} offload driver`),
  );
  if (config.driver === 'filesystem') await store.mkdirs('');
  return store;
}

/**
 * The configuration with the keys of `broker.conf` and `standalone.conf` (Java properties, in
 * `tierfs.conf.dir`) added where nothing else sets them; broker.conf wins over standalone.conf.
 * Keys tierfs does not know (most of a Pulsar broker.conf) are skipped.
 */
export function withBrokerConf(conf: Configuration): Configuration {
  const dir = conf.resolvePath(conf.require(CONF_DIR));
  const values: Record<string, string> = {};
  const files: string[] = [];
  for (const name of ['standalone.conf', 'broker.conf']) {
    const file = join(dir, name);
    if (!existsSync(file)) continue;
    files.push(file);
    for (const entry of parseProperties(readFileSync(file, 'utf8'))) {
      const resolved = PROPERTIES.resolve(entry.key);
      if (resolved && !conf.isSet(resolved.key) && entry.value.trim() !== '')
        values[resolved.key] = entry.value.trim();
    }
  }
  return files.length === 0 ? conf : conf.withOptions(values, files.join(', '));
}
