/** Bucket versioning: Put/GetBucketVersioning and ListObjectVersions. */

import type { UfsStatus } from '../../ufs/contract.js';
import { compareKeys, listKeys } from '../common/key-listing.js';
import { readSmallBody } from './body.js';
import { delimiterOf, encoder, maxKeys } from './bucket-handlers.js';
import { isoDate, type S3Context, sendEmpty, sendXml } from './context.js';
import { S3Error } from './errors.js';
import type { ObjectInfo, ObjectLayer } from './object-layer.js';
import { lockConfiguration } from './object-lock.js';
import { hiddenBy, versionIdOf } from './object-versions.js';
import type { GatewayServices } from './services.js';
import type { VersionRow } from './version-store.js';
import { parseXml, textOf, type XmlNode } from './xml.js';

export async function getBucketVersioning(ctx: S3Context, { layer }: GatewayServices): Promise<void> {
  await layer.bucket(ctx.bucket!);
  const status = layer.metadata.settings.versioning(ctx.bucket!);
  sendXml(ctx, 'VersioningConfiguration', { Status: status === '' ? undefined : status });
}

/** Enabled or Suspended; a bucket once versioned never goes back to unversioned, as in S3. */
export async function putBucketVersioning(ctx: S3Context, { layer }: GatewayServices): Promise<void> {
  const body = parseXml(
    (await readSmallBody(ctx.req, ctx.identity.payload)).toString(),
    'VersioningConfiguration',
  );
  const status = textOf(body, 'Status');
  if (status !== 'Enabled' && status !== 'Suspended') {
    throw new S3Error('MalformedXML', 'VersioningConfiguration needs a Status of Enabled or Suspended');
  }
  if (textOf(body, 'MfaDelete') === 'Enabled') {
    throw new S3Error('NotImplemented', 'MFA delete is not supported by the tierfs S3 gateway');
  }
  await layer.bucket(ctx.bucket!);
  if (status === 'Suspended' && lockConfiguration(layer.metadata.settings, ctx.bucket!)) {
    throw new S3Error(
      'InvalidBucketState',
      'An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.',
    );
  }
  layer.metadata.settings.set(ctx.bucket!, 'versioning', status);
  sendEmpty(ctx);
}

/** One step of a versions listing: a key with its versions (newest first), or a common prefix. */
type VersionItem =
  | { readonly kind: 'prefix'; readonly prefix: string }
  | {
      readonly kind: 'key';
      readonly key: string;
      readonly entry?: UfsStatus;
      readonly rows: VersionRow[];
    };

interface Query {
  readonly prefix: string;
  readonly delimiter: string;
  readonly after: string;
}

function rollUp(query: Query, key: string): string | undefined {
  if (query.delimiter === '') return undefined;
  const at = key.indexOf(query.delimiter, query.prefix.length);
  return at < 0 ? undefined : key.slice(0, at + query.delimiter.length);
}

/** Keys with noncurrent versions or delete markers, in key order, rolled up like the tree's. */
async function* storedKeys(layer: ObjectLayer, bucket: string, query: Query): AsyncGenerator<VersionItem> {
  let after = query.after;
  let lastPrefix: string | undefined;
  for (;;) {
    const keys = layer.metadata.versions.keysAfter(bucket, after, 200);
    if (keys.length === 0) return;
    for (const key of keys) {
      after = key;
      if (compareKeys(key, query.after) <= 0) continue;
      if (!key.startsWith(query.prefix)) {
        if (compareKeys(key, query.prefix) > 0) return;
        continue;
      }
      const common = rollUp(query, key);
      if (common === undefined) {
        yield { kind: 'key', key, rows: layer.metadata.versions.ofKey(bucket, key) };
      } else if (common !== lastPrefix) {
        lastPrefix = common;
        yield { kind: 'prefix', prefix: common };
      }
    }
  }
}

async function* currentKeys(layer: ObjectLayer, bucket: string, query: Query): AsyncGenerator<VersionItem> {
  for await (const item of listKeys(layer.tree(bucket), query)) {
    yield item.kind === 'prefix' ? item : { kind: 'key', key: item.key, entry: item.entry, rows: [] };
  }
}

const sortKey = (item: VersionItem): string => (item.kind === 'prefix' ? item.prefix : item.key);

/** The current objects (from the tree) and the stored versions, merged in key order. */
async function* versionItems(layer: ObjectLayer, bucket: string, query: Query): AsyncGenerator<VersionItem> {
  const a = currentKeys(layer, bucket, query);
  const b = storedKeys(layer, bucket, query);
  let x = await a.next();
  let y = await b.next();
  while (!x.done || !y.done) {
    if (y.done || (!x.done && compareKeys(sortKey(x.value), sortKey(y.value)) < 0)) {
      yield x.value as VersionItem;
      x = await a.next();
    } else if (x.done || compareKeys(sortKey(x.value), sortKey(y.value)) > 0) {
      yield y.value;
      y = await b.next();
    } else {
      const tree = x.value;
      const stored = y.value;
      yield tree.kind === 'key' && stored.kind === 'key' ? { ...tree, rows: stored.rows } : tree;
      x = await a.next();
      y = await b.next();
    }
  }
}

/** The versions of one listed key, newest first (a crash leftover hidden by a newer marker left out). */
async function versionsOf(
  layer: ObjectLayer,
  bucket: string,
  item: Extract<VersionItem, { kind: 'key' }>,
): Promise<(ObjectInfo | VersionRow)[]> {
  let current: ObjectInfo | undefined;
  if (item.entry) {
    current = item.entry.isDirectory
      ? await layer.stat(bucket, item.key)
      : layer.describe(bucket, item.key, item.entry);
  }
  return current && !hiddenBy(current, item.rows[0]) ? [current, ...item.rows] : item.rows;
}

function isRow(version: ObjectInfo | VersionRow): version is VersionRow {
  return 'deleteMarker' in version;
}

/**
 * ListObjectVersions: every version and delete marker, by key and newest first within a key
 * (an unversioned bucket's objects are each their `null` version), paged by key-marker and
 * version-id-marker, with prefix and delimiter as in ListObjects.
 */
export async function listObjectVersions(ctx: S3Context, { layer }: GatewayServices): Promise<void> {
  const bucket = ctx.bucket!;
  await layer.bucket(bucket);
  const encode = encoder(ctx);
  const keyMarker = ctx.query.get('key-marker') ?? '';
  const versionIdMarker = ctx.query.get('version-id-marker') ?? '';
  if (versionIdMarker !== '' && keyMarker === '') {
    throw new S3Error('InvalidArgument', 'A version-id marker cannot be specified without a key marker.');
  }
  const limit = maxKeys(ctx);
  const query: Query = {
    prefix: ctx.query.get('prefix') ?? '',
    delimiter: ctx.query.get('delimiter') ?? '',
    after: keyMarker,
  };
  const owner = (id: string) => ({ ID: id || ctx.identity.user, DisplayName: id || ctx.identity.user });
  const versions: XmlNode[] = [];
  const markers: XmlNode[] = [];
  const prefixes: XmlNode[] = [];
  let count = 0;
  let truncated = false;
  let next: { key: string; versionId?: string } | undefined;

  const items: AsyncIterable<VersionItem> = (async function* () {
    if (versionIdMarker !== '') {
      // The rest of the key the previous page stopped in.
      // A directory may hold the key's bytes (the key layout): versionsOf stats it then.
      const entry = await layer.files.stat(`${bucket}/${keyMarker}`).catch(() => undefined);
      const rows = layer.metadata.versions.ofKey(bucket, keyMarker);
      yield { kind: 'key', key: keyMarker, entry, rows };
    }
    yield* versionItems(layer, bucket, query);
  })();

  outer: for await (const item of items) {
    if (item.kind === 'prefix') {
      if (count === limit) {
        truncated = true;
        break;
      }
      prefixes.push({ Prefix: encode(item.prefix) });
      count++;
      next = { key: item.prefix };
      continue;
    }
    const all = await versionsOf(layer, bucket, item);
    const latest = all[0];
    let list = all;
    if (item.key === keyMarker && versionIdMarker !== '') {
      const at = all.findIndex((v) => (isRow(v) ? v.versionId : versionIdOf(v)) === versionIdMarker);
      list = at < 0 ? [] : all.slice(at + 1);
    }
    for (const version of list) {
      if (count === limit) {
        truncated = true;
        break outer;
      }
      const isLatest = version === latest;
      if (isRow(version) && version.deleteMarker) {
        markers.push({
          Key: encode(item.key),
          VersionId: version.versionId,
          IsLatest: isLatest,
          LastModified: isoDate(version.mtimeMs),
          Owner: owner(version.attributes.owner),
        });
      } else {
        const info = isRow(version) ? layer.versions.infoOf(version) : version;
        versions.push({
          Key: encode(item.key),
          VersionId: versionIdOf(info),
          IsLatest: isLatest,
          LastModified: isoDate(info.mtimeMs),
          ETag: `"${info.etag}"`,
          Size: info.size,
          StorageClass: 'STANDARD',
          Owner: owner(info.owner),
        });
      }
      count++;
      next = { key: item.key, versionId: isRow(version) ? version.versionId : versionIdOf(version) };
    }
  }
  sendXml(ctx, 'ListVersionsResult', {
    Name: bucket,
    Prefix: encode(query.prefix),
    KeyMarker: encode(keyMarker),
    VersionIdMarker: versionIdMarker,
    NextKeyMarker: truncated && next ? encode(next.key) : undefined,
    NextVersionIdMarker: truncated && next?.versionId !== undefined ? next.versionId : undefined,
    MaxKeys: limit,
    Delimiter: delimiterOf(ctx, encode),
    EncodingType: ctx.query.get('encoding-type'),
    IsTruncated: truncated,
    Version: versions,
    DeleteMarker: markers,
    CommonPrefixes: prefixes,
  });
}
