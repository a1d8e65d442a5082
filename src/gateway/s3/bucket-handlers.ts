/** Service and bucket operations: ListBuckets, Create/Delete/HeadBucket, bucket ACLs, listings, DeleteObjects. */

import type { UfsStatus } from '../../ufs/contract.js';
import {
  itemKey,
  type ListItem as KeyListItem,
  type ListPage,
  listKeys,
  listPage,
} from '../common/key-listing.js';
import { requesterOf } from './access.js';
import { aclFromHeaders } from './acl.js';
import { readSmallBody } from './body.js';
import { checkOwnership } from './bucket-access-handlers.js';
import { headerOf, isoDate, type S3Context, sendEmpty, sendXml } from './context.js';
import { S3Error } from './errors.js';
import type { ObjectInfo } from './object-layer.js';
import { checkDeletable, setLockConfiguration } from './object-lock.js';
import type { GatewayServices } from './services.js';
import { listOf, parseXml, textOf, type XmlNode } from './xml.js';

const MAX_KEYS = 1000;

/**
 * ListBuckets, paged with max-buckets (1 to 10000) and continuation-token, filtered by prefix: the
 * requester's buckets. An anonymous requester owns none and gets an empty list, as on Ceph RGW (AWS
 * answers 403; an empty list tells a client the same without failing it).
 */
export async function listBuckets(ctx: S3Context, { layer }: GatewayServices): Promise<void> {
  const user = requesterOf(ctx);
  const prefix = ctx.query.get('prefix') ?? '';
  const token = ctx.query.get('continuation-token');
  const after = token === undefined || token === '' ? '' : resumeAfter(token, '');
  const rawMax = ctx.query.get('max-buckets');
  const max = rawMax === undefined ? 10_000 : Number(rawMax);
  if (!Number.isInteger(max) || max < 1 || max > 10_000) {
    throw new S3Error('InvalidArgument', 'max-buckets must be an integer between 1 and 10000');
  }
  const all = user === undefined ? [] : await layer.listBuckets('');
  const buckets = all.filter(
    (b) => (b.owner === '' || b.owner === user) && b.name.startsWith(prefix) && b.name > after,
  );
  const page = buckets.slice(0, max);
  const truncated = buckets.length > page.length;
  sendXml(ctx, 'ListAllMyBucketsResult', {
    Owner: { ID: ctx.identity.user, DisplayName: user ?? '' },
    Buckets: { Bucket: page.map((b) => ({ Name: b.name, CreationDate: isoDate(b.createdMs) })) },
    ContinuationToken: truncated ? Buffer.from(page.at(-1)!.name).toString('base64url') : undefined,
    Prefix: ctx.query.has('prefix') ? prefix : undefined,
  });
}

export async function createBucket(ctx: S3Context, { layer, access }: GatewayServices): Promise<void> {
  await readSmallBody(ctx.req, ctx.identity.payload); // an optional CreateBucketConfiguration
  const { acl, grants } = aclFromHeaders(ctx.req.headers, access.users);
  const ownership = headerOf(ctx, 'x-amz-object-ownership');
  if (ownership !== undefined) checkOwnership(ownership);
  const lock = headerOf(ctx, 'x-amz-bucket-object-lock-enabled')?.toLowerCase();
  if (lock !== undefined && lock !== 'true' && lock !== 'false') {
    throw new S3Error(
      'InvalidArgument',
      `x-amz-bucket-object-lock-enabled must be true or false, not ${lock}`,
    );
  }
  await layer.createBucket(ctx.bucket!, ctx.identity.user, acl, grants);
  if (ownership !== undefined) layer.metadata.settings.set(ctx.bucket!, 'ownership', ownership);
  if (lock === 'true') {
    // Object lock needs versioning, which can then never be suspended.
    layer.metadata.db.transaction(() => {
      layer.metadata.settings.set(ctx.bucket!, 'versioning', 'Enabled');
      setLockConfiguration(layer.metadata.settings, ctx.bucket!, {});
    });
  }
  sendEmpty(ctx, 200, { location: `/${ctx.bucket}` });
}

/**
 * HeadBucket. With `read-stats=true` (Ceph RGW's extension) it also counts the bucket's objects
 * and their bytes (`x-rgw-object-count`, `x-rgw-bytes-used`): a walk of the whole bucket, done only
 * when asked.
 */
export async function headBucket(ctx: S3Context, { layer }: GatewayServices): Promise<void> {
  await layer.bucket(ctx.bucket!);
  const headers: Record<string, string> = { 'x-amz-bucket-region': 'us-east-1' };
  if (ctx.query.get('read-stats') === 'true') {
    let count = 0;
    let bytes = 0;
    for await (const item of listKeys(layer.tree(ctx.bucket!), { prefix: '', delimiter: '', after: '' })) {
      if (item.kind !== 'object') continue;
      const info = item.entry.isDirectory
        ? await layer.stat(ctx.bucket!, item.key)
        : layer.describe(ctx.bucket!, item.key, item.entry);
      if (!info) continue;
      count++;
      bytes += info.size;
    }
    headers['x-rgw-object-count'] = String(count);
    headers['x-rgw-bytes-used'] = String(bytes);
  }
  sendEmpty(ctx, 200, headers);
}

export async function deleteBucket(ctx: S3Context, { layer, uploads }: GatewayServices): Promise<void> {
  await layer.deleteBucket(ctx.bucket!);
  await uploads.staging.removeBucket(ctx.bucket!);
  sendEmpty(ctx, 204);
}

export async function getBucketLocation(ctx: S3Context, { layer }: GatewayServices): Promise<void> {
  await layer.bucket(ctx.bucket!);
  sendXml(ctx, 'LocationConstraint', {});
}

/** Encodes names in listings when the client asked for encoding-type=url. */
export function encoder(ctx: S3Context): (text: string) => string {
  const type = ctx.query.get('encoding-type');
  if (type === undefined) return (text) => text;
  if (type !== 'url') throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request');
  return (text) => encodeURIComponent(text).replace(/%2F/g, '/');
}

export function maxKeys(ctx: S3Context, name = 'max-keys'): number {
  const raw = ctx.query.get(name);
  if (raw === undefined) return MAX_KEYS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new S3Error('InvalidArgument', `${name} must be a non-negative integer`);
  return Math.min(n, MAX_KEYS);
}

type ListItem = KeyListItem<UfsStatus>;

async function page(
  ctx: S3Context,
  services: GatewayServices,
  after: string,
  limit: number,
): Promise<ListPage<UfsStatus>> {
  await services.layer.bucket(ctx.bucket!);
  const query = { prefix: ctx.query.get('prefix') ?? '', delimiter: ctx.query.get('delimiter') ?? '', after };
  return listPage(services.layer.tree(ctx.bucket!), query, limit);
}

function lastName(items: readonly ListItem[]): string | undefined {
  const last = items.at(-1);
  return last && itemKey(last);
}

async function contents(
  ctx: S3Context,
  { layer }: GatewayServices,
  items: readonly ListItem[],
  encode: (text: string) => string,
  withOwner: boolean,
): Promise<{ Contents: XmlNode[]; CommonPrefixes: XmlNode[] }> {
  const objects: XmlNode[] = [];
  for (const item of items) {
    if (item.kind !== 'object') continue;
    const info: ObjectInfo | undefined = item.entry.isDirectory
      ? await layer.stat(ctx.bucket!, item.key)
      : layer.describe(ctx.bucket!, item.key, item.entry);
    if (!info) continue;
    objects.push({
      Key: encode(item.key),
      LastModified: isoDate(info.mtimeMs),
      ETag: `"${info.etag}"`,
      Size: info.size,
      StorageClass: 'STANDARD',
      Owner: withOwner
        ? { ID: info.owner || ctx.identity.user, DisplayName: info.owner || ctx.identity.user }
        : undefined,
    });
  }
  const prefixes = items.flatMap((item) => (item.kind === 'prefix' ? [{ Prefix: encode(item.prefix) }] : []));
  return { Contents: objects, CommonPrefixes: prefixes };
}

/** The Delimiter element: absent when none or an empty one was given (S3 echoes only a real one). */
export function delimiterOf(ctx: S3Context, encode: (text: string) => string): string | undefined {
  const delimiter = ctx.query.get('delimiter');
  return delimiter ? encode(delimiter) : undefined;
}

/**
 * ListObjects (v1). With encoding-type=url the keys, prefixes, Delimiter, Marker and NextMarker
 * are encoded but the top-level Prefix is not: S3 sends it as given, and botocore, which asks for
 * url encoding on its own, decodes Prefix in v2 answers only.
 */
export async function listObjectsV1(ctx: S3Context, services: GatewayServices): Promise<void> {
  const encode = encoder(ctx);
  const marker = ctx.query.get('marker') ?? '';
  const limit = maxKeys(ctx);
  const { items, truncated } = await page(ctx, services, marker, limit);
  sendXml(ctx, 'ListBucketResult', {
    Name: ctx.bucket,
    Prefix: ctx.query.get('prefix') ?? '',
    Marker: encode(marker),
    NextMarker: truncated ? encode(lastName(items)!) : undefined,
    MaxKeys: limit,
    Delimiter: delimiterOf(ctx, encode),
    EncodingType: ctx.query.get('encoding-type'),
    IsTruncated: truncated,
    ...(await contents(ctx, services, items, encode, true)),
  });
}

/** Where a v2 listing resumes: after the key its continuation token names (an empty token: the start). */
function resumeAfter(token: string | undefined, startAfter: string): string {
  if (token === undefined || token === '') return startAfter;
  const after = Buffer.from(token, 'base64url').toString();
  if (Buffer.from(after).toString('base64url') !== token) {
    throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect');
  }
  return after;
}

export async function listObjectsV2(ctx: S3Context, services: GatewayServices): Promise<void> {
  const encode = encoder(ctx);
  const token = ctx.query.get('continuation-token');
  const startAfter = ctx.query.get('start-after') ?? '';
  const after = resumeAfter(token, startAfter);
  const limit = maxKeys(ctx);
  const { items, truncated } = await page(ctx, services, after, limit);
  const body = await contents(ctx, services, items, encode, ctx.query.get('fetch-owner') === 'true');
  sendXml(ctx, 'ListBucketResult', {
    Name: ctx.bucket,
    Prefix: encode(ctx.query.get('prefix') ?? ''),
    StartAfter: startAfter === '' ? undefined : encode(startAfter),
    ContinuationToken: token,
    NextContinuationToken: truncated ? Buffer.from(lastName(items)!).toString('base64url') : undefined,
    KeyCount: body.Contents.length + body.CommonPrefixes.length,
    MaxKeys: limit,
    Delimiter: delimiterOf(ctx, encode),
    EncodingType: ctx.query.get('encoding-type'),
    IsTruncated: truncated,
    ...body,
  });
}

export async function listMultipartUploads(
  ctx: S3Context,
  { layer, uploads: multipart }: GatewayServices,
): Promise<void> {
  await layer.bucket(ctx.bucket!);
  const encode = encoder(ctx);
  const prefix = ctx.query.get('prefix') ?? '';
  const keyMarker = ctx.query.get('key-marker') ?? '';
  const uploadIdMarker = keyMarker === '' ? '' : (ctx.query.get('upload-id-marker') ?? '');
  const limit = maxKeys(ctx, 'max-uploads');
  const found = multipart.staging.listUploads(ctx.bucket!, {
    prefix,
    keyMarker,
    uploadIdMarker,
    limit: limit + 1,
  });
  const truncated = found.length > limit;
  const uploads = found.slice(0, limit);
  const last = uploads.at(-1);
  sendXml(ctx, 'ListMultipartUploadsResult', {
    Bucket: ctx.bucket,
    KeyMarker: encode(keyMarker),
    UploadIdMarker: uploadIdMarker,
    NextKeyMarker: truncated && last ? encode(last.key) : undefined,
    NextUploadIdMarker: truncated && last ? last.uploadId : undefined,
    Prefix: encode(prefix),
    MaxUploads: limit,
    EncodingType: ctx.query.get('encoding-type'),
    IsTruncated: truncated,
    Upload: uploads.map((u) => ({
      Key: encode(u.key),
      UploadId: u.uploadId,
      Initiator: { ID: u.attributes.owner, DisplayName: u.attributes.owner },
      Owner: { ID: u.attributes.owner, DisplayName: u.attributes.owner },
      StorageClass: 'STANDARD',
      Initiated: isoDate(u.initiatedMs),
    })),
  });
}

export async function deleteObjects(ctx: S3Context, { layer, access }: GatewayServices): Promise<void> {
  const request = parseXml((await readSmallBody(ctx.req, ctx.identity.payload)).toString(), 'Delete');
  const quiet = textOf(request, 'Quiet') === 'true';
  const objects = listOf(request, 'Object');
  if (objects.length > 1000) throw new S3Error('MalformedXML', 'At most 1000 keys can be deleted at once');
  await layer.bucket(ctx.bucket!);
  const deleted: XmlNode[] = [];
  const errors: XmlNode[] = [];
  for (const object of objects) {
    const key = textOf(object, 'Key');
    if (key === undefined) throw new S3Error('MalformedXML', 'Each <Object> needs a <Key>');
    const versionId = textOf(object, 'VersionId');
    try {
      await access.checkDelete(ctx, key, versionId);
      const bypass = access.mayBypassGovernance(ctx, key);
      const outcome = await layer.versions.remove(ctx.bucket!, key, versionId, ctx.identity.user, (info) =>
        checkDeletable(info.headers, bypass),
      );
      if (!quiet) {
        const marker = outcome.deleteMarker;
        deleted.push({
          Key: key,
          VersionId: versionId,
          DeleteMarker: marker ? true : undefined,
          DeleteMarkerVersionId: marker ? outcome.versionId : undefined,
        });
      }
    } catch (error) {
      const failure =
        error instanceof S3Error ? error : new S3Error('InternalError', 'Deleting the key failed');
      errors.push({ Key: key, VersionId: versionId, Code: failure.code, Message: failure.message });
    }
  }
  sendXml(ctx, 'DeleteResult', { Deleted: deleted, Error: errors });
}
