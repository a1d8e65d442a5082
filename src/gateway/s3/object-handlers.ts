/** Object operations: Get/Head (ranges, conditions), Put, Copy, Delete, tagging and object ACLs. */
import { pipeline as pipelineCallback, type Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isTierfsError } from '../../errors.js';
import { type ByteRange, parseByteRange } from '../common/byte-range.js';
import { declaredLength, S3_LIMITS } from '../common/limits.js';
import type { AccessControl } from './access.js';
import { aclFromHeaders } from './acl.js';
import { headersFromRequest, responseHeaders, tagSetXml, tagsFromHeader, tagsFromXml } from './attributes.js';
import { bodyStages, DigestCheck, readSmallBody } from './body.js';
import { headerOf, isoDate, type S3Context, sendEmpty, sendXml } from './context.js';
import { S3Error } from './errors.js';
import { checksumElements, checksumResponseHeaders } from './object-checksums.js';
import type { ObjectAttributes, ObjectInfo, ObjectLayer } from './object-layer.js';
import {
  checkDeletable,
  hasIntegrityHeader,
  type LockHeaders,
  lockForWrite,
  lockResponseHeaders,
  withoutLock,
} from './object-lock.js';
import type { GatewayServices } from './services.js';
import {
  type CustomerKey,
  checkReadKey,
  customerKey,
  encryptSegment,
  etagMac,
  newRecord,
  SegmentDecipher,
  sseHeaders,
} from './sse-c.js';

/**
 * The range a `Range: bytes=...` header asks of an object of `size` bytes; undefined for the whole
 * object (no header, or one S3 ignores such as several ranges); InvalidRange when it selects no byte.
 */
export function parseRange(value: string | undefined, size: number): ByteRange | undefined {
  const range = parseByteRange(value, size);
  if (range === 'unsatisfiable') throw new S3Error('InvalidRange', 'The requested range is not satisfiable');
  return range;
}

function etagMatches(list: string, etag: string): boolean {
  return list.split(',').some((item) => {
    const candidate = item.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
    return candidate === '*' || candidate === etag;
  });
}

/** Second-precision time of an object, as HTTP dates compare. */
function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/**
 * Evaluates If-Match, If-Unmodified-Since, If-None-Match and If-Modified-Since (or their
 * x-amz-copy-source-* twins, where a failed "none match" is a 412 too).
 */
export function checkConditions(ctx: S3Context, info: ObjectInfo, headerPrefix = ''): void {
  const get = (name: string) => headerOf(ctx, `${headerPrefix}${name}`);
  const date = (name: string) => {
    const value = get(name);
    const ms = value === undefined ? Number.NaN : Date.parse(value);
    return Number.isNaN(ms) ? undefined : seconds(ms);
  };
  const failed = () =>
    new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
  const notModified = () => (headerPrefix === '' ? new S3Error('NotModified', 'Not Modified') : failed());
  const ifMatch = get('if-match');
  const unmodifiedSince = date('if-unmodified-since');
  if (ifMatch !== undefined) {
    if (!etagMatches(ifMatch, info.etag)) throw failed();
  } else if (unmodifiedSince !== undefined && seconds(info.mtimeMs) > unmodifiedSince) {
    throw failed();
  }
  const ifNoneMatch = get('if-none-match');
  const modifiedSince = date('if-modified-since');
  if (ifNoneMatch !== undefined) {
    if (etagMatches(ifNoneMatch, info.etag)) throw notModified();
  } else if (modifiedSince !== undefined && seconds(info.mtimeMs) <= modifiedSince) {
    throw notModified();
  }
}

/** Times a GET heads and opens an object that keeps being replaced in between, before giving up. */
const GET_ATTEMPTS = 3;

/**
 * GET and HEAD of an object. Headers and conditions are answered from one HEAD of the object and
 * the bytes are read of that version only; an object replaced in between is headed again.
 */
export async function getObject(ctx: S3Context, services: GatewayServices): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await getObjectOnce(ctx, services);
      return;
    } catch (error) {
      const stale = error instanceof S3Error && isTierfsError(error.cause, 'STALE');
      if (!stale || attempt >= GET_ATTEMPTS || ctx.res.headersSent) throw error;
    }
  }
}

/**
 * The byte range of part `partNumber` of an object and how many parts it has (undefined for an
 * object not uploaded in parts, whose only part is all of it). Part sizes are known for objects
 * this gateway completed; a multipart ETag counts the parts.
 */
function partOf(
  ctx: S3Context,
  info: ObjectInfo,
  { uploads }: GatewayServices,
  partNumber: number,
): { range: ByteRange; count: number | undefined } {
  const counted = /-(\d+)$/.exec(info.etag);
  const count = counted ? Number(counted[1]) : undefined;
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
    throw new S3Error('InvalidArgument', `Part number must be an integer between 1 and ${MAX_PART_NUMBER}`);
  }
  if (partNumber > (count ?? 1)) {
    // Ceph RGW's answer, which ceph/s3-tests checks; AWS emulators (MinIO, Swift's s3api) answer
    // 416 InvalidPartNumber. No SDK asks past the PartsCount it was given.
    throw new S3Error(
      'InvalidPart',
      `The requested part number ${partNumber} is not satisfiable: the object has ${count ?? 1} part${(count ?? 1) === 1 ? '' : 's'}`,
    );
  }
  if (count === undefined || count === 1) return { range: { offset: 0, length: info.size }, count };
  const sizes = uploads.completed.partSizes(ctx.bucket!, ctx.key!, info.etag);
  if (!sizes || sizes.length !== count) {
    throw new S3Error('NotImplemented', 'The part sizes of this object are not known to the gateway');
  }
  const offset = sizes.slice(0, partNumber - 1).reduce((sum, size) => sum + size, 0);
  return { range: { offset, length: sizes[partNumber - 1]! }, count };
}

const MAX_PART_NUMBER = 10_000;

/** The object (version) a request on an object names with its key and `versionId`. */
export async function requested(ctx: S3Context, { layer, access }: GatewayServices): Promise<ObjectInfo> {
  return (
    access.takeResolved(ctx) ?? layer.versions.resolve(ctx.bucket!, ctx.key!, ctx.query.get('versionId'))
  );
}

/** The SSE-C key a request gives (`copySource`: for the object x-amz-copy-source names). */
export function requestKey(ctx: S3Context, copySource = false): CustomerKey | undefined {
  return customerKey((name) => headerOf(ctx, name), copySource);
}

/**
 * The plaintext of an object (or of `range` of it), decrypted with `key` when it is stored with
 * SSE-C; `key` must have been checked with checkReadKey.
 */
export async function openPlain(
  layer: ObjectLayer,
  info: ObjectInfo,
  key: CustomerKey | undefined,
  range?: ByteRange,
): Promise<Readable> {
  const data = await layer.open(info, range);
  const sse = info.headers.sse;
  if (sse === undefined || key === undefined) return data;
  return pipelineCallback(data, new SegmentDecipher(sse, key, range?.offset ?? 0), () => {});
}

/**
 * What a write of plaintext passing through `stages` stores: under an SSE-C `key`, the stages
 * end with the cipher, the attributes carry the encryption record, and the ETag is a MAC of the
 * plaintext under the key (see etagMac); without a key, all as given.
 */
export function sealedWrite(
  key: CustomerKey | undefined,
  attributes: ObjectAttributes,
  stages: readonly Transform[],
  etag: () => string,
): { stages: Transform[]; attributes: ObjectAttributes; etag: () => string } {
  const { sse: _plain, ...headers } = attributes.headers;
  if (key === undefined) return { stages: [...stages], attributes: { ...attributes, headers }, etag };
  const { iv, cipher } = encryptSegment(key);
  const mac = etagMac(key);
  return {
    stages: [...stages, mac.stage, cipher],
    attributes: { ...attributes, headers: { ...headers, sse: { ...newRecord(key), ivs: [iv] } } },
    etag: mac.hex,
  };
}

async function getObjectOnce(ctx: S3Context, services: GatewayServices): Promise<void> {
  const { layer } = services;
  const info = await requested(ctx, services);
  const key = requestKey(ctx);
  checkReadKey(info.headers.sse, key);
  const headers = {
    ...responseHeaders(info, ctx.method === 'GET' ? ctx.query : new Map()),
    ...layer.versions.versionHeader(info),
    ...lockResponseHeaders(info.headers),
    ...sseHeaders(key),
  };
  try {
    checkConditions(ctx, info);
  } catch (error) {
    if (error instanceof S3Error && error.code === 'NotModified') {
      sendEmpty(ctx, 304, { etag: headers.etag!, 'last-modified': headers['last-modified']! });
      return;
    }
    throw error;
  }
  const partNumber = ctx.query.get('partNumber');
  let range: ByteRange | undefined;
  if (partNumber === undefined) {
    range = parseRange(headerOf(ctx, 'range'), info.size);
  } else {
    if (headerOf(ctx, 'range') !== undefined) {
      throw new S3Error('InvalidRequest', 'Cannot specify both Range header and partNumber query parameter');
    }
    const part = partOf(ctx, info, services, Number(partNumber));
    if (part.count !== undefined) {
      headers['x-amz-mp-parts-count'] = String(part.count);
      range = part.range;
    }
  }
  // The kept checksum is of the whole object: a range has none (as in S3).
  if (range === undefined && headerOf(ctx, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED') {
    Object.assign(headers, checksumResponseHeaders(info.headers.checksum));
  }
  const length = range ? range.length : info.size;
  const status = range ? 206 : 200;
  if (range)
    headers['content-range'] = `bytes ${range.offset}-${range.offset + range.length - 1}/${info.size}`;
  if (ctx.method === 'HEAD') {
    ctx.res.writeHead(status, { ...headers, 'content-length': length });
    ctx.res.end();
    return;
  }
  const data = await openPlain(layer, info, key, range);
  ctx.res.writeHead(status, { ...headers, 'content-length': length });
  await pipeline(data, ctx.res);
}

/**
 * The Object Lock of a new version: its x-amz-object-lock-* headers (which need a Content-MD5 or
 * x-amz-checksum-* header, as in S3) or the bucket's default retention.
 */
export function lockOfWrite(ctx: S3Context, access: AccessControl): LockHeaders {
  const lock = lockForWrite(access.settings, ctx.bucket!, ctx.req.headers);
  const asked = Object.keys(ctx.req.headers).some((name) => name.startsWith('x-amz-object-lock-'));
  const plainPut = ctx.method === 'PUT' && headerOf(ctx, 'x-amz-copy-source') === undefined;
  if (asked && plainPut && !hasIntegrityHeader(ctx.req.headers)) {
    throw new S3Error(
      'InvalidRequest',
      'Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters',
    );
  }
  return lock;
}

/** What a write asks for besides its bytes: headers, tags, ACL (canned or grants), owner. */
export function attributesFromRequest(ctx: S3Context, access: AccessControl): ObjectAttributes {
  const { acl, grants } = aclFromHeaders(ctx.req.headers, access.users);
  return {
    headers: { ...headersFromRequest(ctx.req.headers), ...lockOfWrite(ctx, access) },
    tags: tagsFromHeader(ctx.req.headers),
    acl,
    ...(grants ? { grants } : {}),
    owner: access.ownerOfNewObject(ctx.bucket!, ctx.identity.user, acl),
  };
}

/**
 * Conditional writes (PutObject, CompleteMultipartUpload): `If-None-Match: *` only creates,
 * `If-None-Match: <etag>` only writes when the current object is not that one, `If-Match: <etag>`
 * only replaces that object (NoSuchKey when there is none). Checked just before the write, not
 * atomically with it: two racing conditional writers may both pass.
 */
export async function checkWriteConditions(ctx: S3Context, { layer }: GatewayServices): Promise<void> {
  const ifNoneMatch = headerOf(ctx, 'if-none-match');
  const ifMatch = headerOf(ctx, 'if-match');
  if (ifNoneMatch === undefined && ifMatch === undefined) return;
  const current = await layer.stat(ctx.bucket!, ctx.key!);
  const failed = () =>
    new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
  if (ifNoneMatch !== undefined && current) {
    if (ifNoneMatch.trim() === '*' || etagMatches(ifNoneMatch, current.etag)) throw failed();
  }
  if (ifMatch !== undefined) {
    if (!current) throw new S3Error('NoSuchKey', 'The specified key does not exist.');
    if (!etagMatches(ifMatch, current.etag)) throw failed();
  }
}

/** EntityTooLarge, before any byte is read, for a body longer than S3 takes in one request. */
export function checkBodySize(ctx: S3Context): void {
  const length = declaredLength(ctx.req.headers);
  if (length !== undefined && length > S3_LIMITS.maxSinglePutBytes) {
    throw new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
  }
}

export async function putObject(ctx: S3Context, services: GatewayServices): Promise<void> {
  checkBodySize(ctx);
  const { layer } = services;
  await layer.bucket(ctx.bucket!);
  await checkWriteConditions(ctx, services);
  const key = requestKey(ctx);
  const body = bodyStages(ctx.req, ctx.identity.payload);
  const { stages, attributes, etag } = sealedWrite(
    key,
    attributesFromRequest(ctx, services.access),
    body.stages,
    () => body.digest.md5Hex,
  );
  const info = await layer.put(
    ctx.bucket!,
    ctx.key!,
    [ctx.req, ...stages],
    etag,
    attributes,
    () => body.digest.found && { ...body.digest.found, type: 'FULL_OBJECT' },
  );
  sendEmpty(ctx, 200, {
    etag: `"${info.etag}"`,
    ...body.digest.checksumHeader,
    ...layer.versions.writtenVersionHeader(info),
    ...sseHeaders(key),
  });
}

/**
 * The object `x-amz-copy-source` names (`/bucket/key` or `bucket/key`, URL-encoded), and the
 * SSE-C key its x-amz-copy-source-server-side-encryption-customer-* headers give (checked).
 */
export async function copySource(
  ctx: S3Context,
  { layer, access }: GatewayServices,
): Promise<ObjectInfo & { readonly customerKey?: CustomerKey }> {
  const raw = headerOf(ctx, 'x-amz-copy-source') ?? '';
  const [encodedPath = '', query = ''] = raw.split('?');
  const versionId = new URLSearchParams(query).get('versionId') ?? undefined;
  let path: string;
  try {
    path = decodeURIComponent(encodedPath).replace(/^\//, '');
  } catch {
    throw new S3Error('InvalidArgument', 'x-amz-copy-source is not correctly URL-encoded');
  }
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) {
    throw new S3Error(
      'InvalidArgument',
      'Copy Source must mention the source bucket and key: sourcebucket/sourcekey',
    );
  }
  await access.checkCopySource(ctx, path.slice(0, slash), path.slice(slash + 1), versionId);
  const info = await layer.versions.resolve(path.slice(0, slash), path.slice(slash + 1), versionId);
  checkConditions(ctx, info, 'x-amz-copy-source-');
  const key = requestKey(ctx, true);
  checkReadKey(info.headers.sse, key, true);
  return key === undefined ? info : { ...info, customerKey: key };
}

export async function copyObject(ctx: S3Context, services: GatewayServices): Promise<void> {
  const { layer } = services;
  const source = await copySource(ctx, services);
  const key = requestKey(ctx);
  const encrypted = key !== undefined || source.headers.sse !== undefined;
  const replaceMetadata = headerOf(ctx, 'x-amz-metadata-directive') === 'REPLACE';
  const replaceTags = headerOf(ctx, 'x-amz-tagging-directive') === 'REPLACE';
  const asked = attributesFromRequest(ctx, services.access);
  const attributes: ObjectAttributes = {
    // A copy gets the lock it asks for (or the bucket's default), never its source's.
    headers: replaceMetadata
      ? asked.headers
      : { ...withoutLock(source.headers), ...lockOfWrite(ctx, services.access) },
    tags: replaceTags ? asked.tags : source.tags,
    acl: asked.acl,
    ...(asked.grants ? { grants: asked.grants } : {}),
    owner: asked.owner,
  };
  let result: ObjectInfo;
  // Onto itself: the current version gets new attributes (a new version, with the bytes copied,
  // in a versioned bucket); copying an older version over the key restores it as a new version.
  const onto = source.bucket === ctx.bucket && source.key === ctx.key && source.blob === undefined;
  const inPlace = onto && layer.metadata.settings.versioning(source.bucket) === '';
  if (onto) {
    if (!replaceMetadata && !replaceTags && headerOf(ctx, 'x-amz-acl') === undefined && !encrypted) {
      throw new S3Error(
        'InvalidRequest',
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      );
    }
  }
  // The bytes of an encrypted copy are rewritten: under the destination's key (or none) and a new IV.
  if (inPlace && !encrypted) {
    layer.updateAttributes(source, await layer.fingerprint(source), attributes);
    result = { ...source, mtimeMs: Date.now() };
  } else {
    const digest = new DigestCheck({});
    const sealed = sealedWrite(key, attributes, [digest], () => digest.md5Hex);
    result = await layer.put(
      ctx.bucket!,
      ctx.key!,
      [await openPlain(layer, source, source.customerKey), ...sealed.stages],
      sealed.etag,
      sealed.attributes,
    );
  }
  const sourceVersion = layer.versions.versionHeader(source)['x-amz-version-id'];
  sendXml(ctx, 'CopyObjectResult', { LastModified: isoDate(result.mtimeMs), ETag: `"${result.etag}"` }, 200, {
    ...layer.versions.versionHeader(result),
    ...(sourceVersion === undefined ? {} : { 'x-amz-copy-source-version-id': sourceVersion }),
    ...sseHeaders(key),
  });
}

export async function deleteObject(ctx: S3Context, { layer, access }: GatewayServices): Promise<void> {
  const bypass = access.mayBypassGovernance(ctx, ctx.key!);
  const outcome = await layer.versions.remove(
    ctx.bucket!,
    ctx.key!,
    ctx.query.get('versionId'),
    ctx.identity.user,
    (info) => checkDeletable(info.headers, bypass),
  );
  const headers: Record<string, string> = {};
  if (outcome.versionId !== undefined) headers['x-amz-version-id'] = outcome.versionId;
  if (outcome.deleteMarker) headers['x-amz-delete-marker'] = 'true';
  sendEmpty(ctx, 204, headers);
}

export async function getObjectTagging(ctx: S3Context, services: GatewayServices): Promise<void> {
  const info = await requested(ctx, services);
  sendXml(ctx, 'Tagging', tagSetXml(info.tags));
}

export async function putObjectTagging(ctx: S3Context, services: GatewayServices): Promise<void> {
  const { layer } = services;
  const tags = tagsFromXml((await readSmallBody(ctx.req, ctx.identity.payload)).toString());
  const info = await requested(ctx, services);
  layer.updateAttributes(info, await layer.fingerprint(info), { tags });
  sendEmpty(ctx);
}

export async function deleteObjectTagging(ctx: S3Context, services: GatewayServices): Promise<void> {
  const { layer } = services;
  const info = await requested(ctx, services);
  layer.updateAttributes(info, await layer.fingerprint(info), { tags: [] });
  sendEmpty(ctx, 204);
}

const OBJECT_ATTRIBUTES = ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'];

/**
 * GetObjectAttributes: the ETag, size, storage class and part count the `x-amz-object-attributes`
 * header asks for, and the checksum kept with the object (`Checksum`, when it was written with one).
 */
export async function getObjectAttributes(ctx: S3Context, services: GatewayServices): Promise<void> {
  const asked = (headerOf(ctx, 'x-amz-object-attributes') ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const unknown = asked.find((name) => !OBJECT_ATTRIBUTES.includes(name));
  if (asked.length === 0 || unknown !== undefined) {
    throw new S3Error(
      'InvalidArgument',
      `x-amz-object-attributes must list some of ${OBJECT_ATTRIBUTES.join(', ')}${unknown ? ` (not ${unknown})` : ''}`,
    );
  }
  const info = await requested(ctx, services);
  const parts = /-(\d+)$/.exec(info.etag);
  sendXml(
    ctx,
    'GetObjectAttributesResponse',
    {
      ETag: asked.includes('ETag') ? info.etag : undefined,
      Checksum:
        asked.includes('Checksum') && info.headers.checksum
          ? checksumElements(
              info.headers.checksum.algorithm,
              info.headers.checksum.value,
              info.headers.checksum.type,
            )
          : undefined,
      ObjectParts: asked.includes('ObjectParts') && parts ? { TotalPartsCount: Number(parts[1]) } : undefined,
      StorageClass: asked.includes('StorageClass') ? 'STANDARD' : undefined,
      ObjectSize: asked.includes('ObjectSize') ? info.size : undefined,
    },
    200,
    { 'last-modified': new Date(info.mtimeMs).toUTCString(), ...services.layer.versions.versionHeader(info) },
  );
}
