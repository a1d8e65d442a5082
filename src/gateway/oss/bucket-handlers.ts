/**
 * Service and bucket operations: ListBuckets, ListObjects (v1, v2), DeleteMultipleObjects,
 * PutBucket, DeleteBucket, GetBucketInfo, GetBucketLocation. Result documents carry no XML
 * namespace, as real OSS sends them (oss2 looks elements up without one).
 */
import { createHash } from 'node:crypto';
import type { ObjectInfo } from './backend.js';
import { OssError } from './errors.js';
import { isoTime } from './http-semantics.js';
import { boundedInt } from './multipart-handlers.js';
import { contentMd5, quoted } from './object-handlers.js';
import { type OssContext, readSmallBody, sendEmpty, sendXml } from './request-context.js';
import { children, childText, parseXml, type XmlElement } from './xml.js';

export async function listObjects(ctx: OssContext): Promise<void> {
  const v2 = ctx.query.get('list-type') === '2';
  const prefix = ctx.query.get('prefix') ?? '';
  const delimiter = ctx.query.get('delimiter') ?? '';
  const maxKeys = boundedInt(ctx.query.get('max-keys'), 100, 'max-keys');
  const url = ctx.query.get('encoding-type') === 'url';
  const encode = (text: string) => (url ? encodeURIComponent(text) : text);
  const marker = ctx.query.get('marker') ?? '';
  const startAfter = ctx.query.get('start-after') ?? '';
  // oss2 sends `continuation-token=` (empty) on every call: an empty token is no token, so
  // start-after still applies.
  const token = ctx.query.get('continuation-token') || null;
  const after = v2 ? (token !== null ? decodeToken(token) : startAfter) : marker;
  const result = await ctx.backend.listObjects(ctx.bucket!, { prefix, delimiter, after, maxKeys });
  const withOwner = !v2 || ctx.query.get('fetch-owner') === 'true';
  const contents = result.objects.map((o) => contentsOf(o, encode, withOwner ? ctx.owner : undefined));
  const common = result.commonPrefixes.map((p) => ({ Prefix: encode(p) }));
  const body: XmlElement = v2
    ? {
        Name: ctx.bucket,
        Prefix: encode(prefix),
        StartAfter: startAfter === '' ? undefined : encode(startAfter),
        ContinuationToken: token ?? undefined,
        MaxKeys: maxKeys,
        Delimiter: encode(delimiter),
        EncodingType: url ? 'url' : undefined,
        IsTruncated: result.isTruncated,
        NextContinuationToken: result.nextMarker === undefined ? undefined : encodeToken(result.nextMarker),
        KeyCount: contents.length + common.length,
        Contents: contents,
        CommonPrefixes: common,
      }
    : {
        Name: ctx.bucket,
        Prefix: encode(prefix),
        Marker: encode(marker),
        MaxKeys: maxKeys,
        Delimiter: encode(delimiter),
        EncodingType: url ? 'url' : undefined,
        IsTruncated: result.isTruncated,
        NextMarker: result.nextMarker === undefined ? undefined : encode(result.nextMarker),
        Contents: contents,
        CommonPrefixes: common,
      };
  sendXml(ctx, 200, 'ListBucketResult', body);
}

function contentsOf(o: ObjectInfo, encode: (s: string) => string, owner: string | undefined): XmlElement {
  return {
    Key: encode(o.key),
    LastModified: isoTime(o.lastModified),
    ETag: quoted(o.etag),
    Type: o.objectType,
    Size: o.size,
    StorageClass: 'Standard',
    Owner: owner === undefined ? undefined : { ID: owner, DisplayName: owner },
  };
}

/** Continuation tokens are the last key returned, base64url-encoded: opaque to clients. */
function encodeToken(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  if (!/^[A-Za-z0-9_-]*$/.test(token)) throw new OssError('InvalidArgument', 'Invalid continuation-token.');
  return Buffer.from(token, 'base64url').toString('utf8');
}

export async function deleteMultipleObjects(ctx: OssContext): Promise<void> {
  const expected = contentMd5(ctx);
  const body = await readSmallBody(ctx);
  if (expected !== undefined && createHash('md5').update(body).digest('base64') !== expected) {
    throw new OssError('InvalidDigest');
  }
  const doc = parseXml(body.toString('utf8'), 'Delete');
  const quiet = (childText(doc, 'Quiet') ?? 'false').toLowerCase() === 'true';
  const keys = children(doc, 'Object').map((o) => childText(o, 'Key'));
  if (keys.length === 0 || keys.length > 1000 || keys.some((k) => k === undefined || k === '')) {
    throw new OssError('MalformedXML');
  }
  const url = ctx.query.get('encoding-type') === 'url';
  const deleted: XmlElement[] = [];
  for (const key of keys as string[]) {
    await ctx.backend.deleteObject(ctx.bucket!, key);
    deleted.push({ Key: url ? encodeURIComponent(key) : key });
  }
  sendXml(ctx, 200, 'DeleteResult', {
    EncodingType: url ? 'url' : undefined,
    Deleted: quiet ? [] : deleted,
  });
}

export async function putBucket(ctx: OssContext): Promise<void> {
  await readSmallBody(ctx);
  await ctx.backend.createBucket(ctx.bucket!);
  sendEmpty(ctx, 200, { Location: `/${ctx.bucket}` });
}

export async function deleteBucket(ctx: OssContext): Promise<void> {
  await ctx.backend.deleteBucket(ctx.bucket!);
  sendEmpty(ctx, 204);
}

export async function getBucketLocation(ctx: OssContext): Promise<void> {
  sendXml(ctx, 200, 'LocationConstraint', { '#text': ctx.region });
}

/** Where clients reach the bucket: the Host they used (the gateway has no separate intranet endpoint). */
function endpointsOf(ctx: OssContext): { ExtranetEndpoint: string; IntranetEndpoint: string } {
  const host = ctx.hostId.startsWith(`${ctx.bucket}.`)
    ? ctx.hostId.slice(ctx.bucket!.length + 1)
    : ctx.hostId;
  return { ExtranetEndpoint: host, IntranetEndpoint: host };
}

export async function getBucketInfo(ctx: OssContext): Promise<void> {
  const bucket = await ctx.backend.bucketSummary(ctx.bucket!);
  sendXml(ctx, 200, 'BucketInfo', {
    Bucket: {
      AccessMonitor: 'Disabled',
      CreationDate: isoTime(bucket.created),
      CrossRegionReplication: 'Disabled',
      DataRedundancyType: 'LRS',
      ...endpointsOf(ctx),
      Location: ctx.region,
      Name: bucket.name,
      ResourceGroupId: '',
      StorageClass: 'Standard',
      TransferAcceleration: 'Disabled',
      Owner: { DisplayName: ctx.owner, ID: ctx.owner },
      AccessControlList: { Grant: 'private' },
      Comment: '',
      ServerSideEncryptionRule: { SSEAlgorithm: 'None' },
      BucketPolicy: { LogBucket: '', LogPrefix: '' },
    },
  });
}

export async function listBuckets(ctx: OssContext): Promise<void> {
  const buckets = await ctx.backend.listBuckets();
  const prefix = ctx.query.get('prefix') ?? '';
  const marker = ctx.query.get('marker') ?? '';
  const maxKeys = boundedInt(ctx.query.get('max-keys'), 100, 'max-keys');
  const all = buckets.filter((b) => b.name.startsWith(prefix) && b.name > marker);
  const page = all.slice(0, maxKeys);
  const truncated = all.length > page.length;
  sendXml(ctx, 200, 'ListAllMyBucketsResult', {
    Prefix: prefix === '' ? undefined : prefix,
    Marker: marker === '' ? undefined : marker,
    MaxKeys: ctx.query.has('max-keys') ? maxKeys : undefined,
    IsTruncated: truncated ? true : undefined,
    NextMarker: truncated ? page.at(-1)?.name : undefined,
    Owner: { ID: ctx.owner, DisplayName: ctx.owner },
    Buckets: {
      Bucket: page.map((b) => ({
        CreationDate: isoTime(b.created),
        ...endpointsOf({ ...ctx, bucket: b.name }),
        Location: ctx.region,
        Name: b.name,
        Region: ctx.region.replace(/^oss-/, ''),
        StorageClass: 'Standard',
      })),
    },
  });
}
