/** Object Lock operations: Put/GetObjectLockConfiguration, Put/GetObjectRetention, Put/GetObjectLegalHold. */
import { readSmallBody } from './body.js';
import { type S3Context, sendEmpty, sendXml } from './context.js';
import { S3Error } from './errors.js';
import type { ObjectHeaders } from './metadata-store.js';
import { requested } from './object-handlers.js';
import {
  checkRetentionChange,
  hasIntegrityHeader,
  lockConfiguration,
  lockConfigurationXml,
  parseLegalHold,
  parseLockConfiguration,
  parseRetention,
  requireLock,
  setLockConfiguration,
} from './object-lock.js';
import type { GatewayServices } from './services.js';

/** S3 refuses these writes without a Content-MD5 (or x-amz-checksum-*) header. */
function requireIntegrity(ctx: S3Context, operation: string): void {
  if (!hasIntegrityHeader(ctx.req.headers)) {
    throw new S3Error(
      'InvalidRequest',
      `Content-MD5 OR x-amz-checksum- HTTP header is required for ${operation} requests`,
    );
  }
}

async function bodyText(ctx: S3Context): Promise<string> {
  return (await readSmallBody(ctx.req, ctx.identity.payload)).toString();
}

/** The request's bucket, which must exist and have Object Lock enabled. */
async function lockedBucket(ctx: S3Context, layer: GatewayServices['layer']): Promise<void> {
  await layer.bucket(ctx.bucket!);
  requireLock(layer.metadata.settings, ctx.bucket!);
}

/**
 * Changes the lock of the version a request names under the key's version lock, so that a write
 * demoting that version, or a delete of it, sees the lock before or after the change, never loses it.
 */
async function changeLock(
  ctx: S3Context,
  services: GatewayServices,
  change: (headers: ObjectHeaders) => ObjectHeaders,
): Promise<void> {
  const { layer } = services;
  await requested(ctx, services); // the version the access check saw; read again under the lock
  await layer.versions.exclusive(ctx.bucket!, ctx.key!, async () => {
    const info = await layer.versions.resolve(ctx.bucket!, ctx.key!, ctx.query.get('versionId'));
    const headers = change(info.headers);
    layer.updateAttributes(info, await layer.fingerprint(info), { headers });
  });
}

/**
 * PutObjectLockConfiguration: enables object lock (on a bucket whose versioning is Enabled, else
 * InvalidBucketState) and sets or clears its default retention.
 */
export async function putObjectLockConfiguration(ctx: S3Context, { layer }: GatewayServices): Promise<void> {
  requireIntegrity(ctx, 'PutObjectLockConfiguration');
  const config = parseLockConfiguration(await bodyText(ctx));
  const bucket = ctx.bucket!;
  await layer.bucket(bucket);
  const { settings } = layer.metadata;
  if (!lockConfiguration(settings, bucket) && settings.versioning(bucket) !== 'Enabled') {
    throw new S3Error(
      'InvalidBucketState',
      'Object Lock configuration cannot be enabled on a bucket whose versioning is not Enabled',
    );
  }
  setLockConfiguration(settings, bucket, config);
  sendEmpty(ctx);
}

export async function getObjectLockConfiguration(ctx: S3Context, { layer }: GatewayServices): Promise<void> {
  await layer.bucket(ctx.bucket!);
  const config = lockConfiguration(layer.metadata.settings, ctx.bucket!);
  if (!config) {
    throw new S3Error(
      'ObjectLockConfigurationNotFoundError',
      'Object Lock configuration does not exist for this bucket',
    );
  }
  sendXml(ctx, 'ObjectLockConfiguration', lockConfigurationXml(config));
}

export async function putObjectRetention(ctx: S3Context, services: GatewayServices): Promise<void> {
  const { layer, access } = services;
  requireIntegrity(ctx, 'PutObjectRetention');
  await lockedBucket(ctx, layer);
  const next = parseRetention(await bodyText(ctx));
  const bypass = access.mayBypassGovernance(ctx, ctx.key!);
  await changeLock(ctx, services, (headers) => {
    checkRetentionChange(headers, next, bypass);
    const { lockMode: _mode, lockRetainUntil: _until, ...rest } = headers;
    return next ? { ...rest, lockMode: next.mode, lockRetainUntil: next.retainUntil } : rest;
  });
  sendEmpty(ctx);
}

export async function getObjectRetention(ctx: S3Context, services: GatewayServices): Promise<void> {
  const { layer } = services;
  await lockedBucket(ctx, layer);
  const { headers } = await requested(ctx, services);
  if (headers.lockMode === undefined || headers.lockRetainUntil === undefined) {
    throw new S3Error(
      'NoSuchObjectLockConfiguration',
      'The specified object does not have a ObjectLock configuration',
    );
  }
  sendXml(ctx, 'Retention', { Mode: headers.lockMode, RetainUntilDate: headers.lockRetainUntil });
}

export async function putObjectLegalHold(ctx: S3Context, services: GatewayServices): Promise<void> {
  const { layer } = services;
  requireIntegrity(ctx, 'PutObjectLegalHold');
  await lockedBucket(ctx, layer);
  const status = parseLegalHold(await bodyText(ctx));
  await changeLock(ctx, services, (headers) => ({ ...headers, legalHold: status }));
  sendEmpty(ctx);
}

export async function getObjectLegalHold(ctx: S3Context, services: GatewayServices): Promise<void> {
  const { layer } = services;
  await lockedBucket(ctx, layer);
  const { headers } = await requested(ctx, services);
  if (headers.legalHold === undefined) {
    throw new S3Error(
      'NoSuchObjectLockConfiguration',
      'The specified object does not have a ObjectLock configuration',
    );
  }
  sendXml(ctx, 'LegalHold', { Status: headers.legalHold });
}
