/** Object operations: Put, Get, Head, GetObjectMeta, Delete, Copy, and object ACLs. */
import { pipeline as pipeCallback, type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isTierfsError } from '../../errors.js';
import { Crc64Ecma } from '../../ufs/object/body-digest.js';
import type { ObjectInfo } from './backend.js';
import { OssError } from './errors.js';
import { evaluateConditions, isoTime, parseRange } from './http-semantics.js';
import {
  checkBodySize,
  type OssContext,
  readSmallBody,
  sendEmpty,
  sendXml,
  userMetaFrom,
} from './request-context.js';

export async function putObject(ctx: OssContext): Promise<void> {
  checkBodySize(ctx);
  const crc = crc64Of(ctx.req);
  const info = await ctx.backend.putObject(ctx.bucket!, ctx.key, crc.body, {
    contentType: ctx.headers['content-type'],
    userMeta: userMetaFrom(ctx.headers),
    forbidOverwrite: forbidOverwrite(ctx),
    contentMd5: contentMd5(ctx),
  });
  sendEmpty(ctx, 200, { ETag: quoted(info.etag), 'x-oss-hash-crc64ecma': crc.value() });
}

/**
 * The body of a write with its CRC-64/ECMA taken as it passes: OSS answers PutObject, AppendObject
 * and UploadPart with `x-oss-hash-crc64ecma` (the CRC of what it stored, an unsigned decimal),
 * which Alibaba's SDKs compare with their own ("Data integrity check: CRC-64", OSS docs).
 */
export function crc64Of(body: Readable): { body: Readable; value: () => string } {
  const crc = new Crc64Ecma();
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      crc.update(chunk);
      callback(null, chunk);
    },
  });
  pipeCallback(body, counted, () => undefined);
  return { body: counted, value: () => crc.decimal() };
}

/** Times a GET heads and opens an object that keeps being replaced in between, before giving up. */
const GET_ATTEMPTS = 3;

/**
 * GetObject and HeadObject. Headers and conditions are answered from one HEAD of the object and
 * the bytes are read of that version only; an object replaced in between is headed again.
 */
export async function getObject(ctx: OssContext, head: boolean): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await getObjectOnce(ctx, head);
      return;
    } catch (error) {
      if (!isTierfsError(error, 'STALE') || attempt >= GET_ATTEMPTS || ctx.res.headersSent) throw error;
    }
  }
}

async function getObjectOnce(ctx: OssContext, head: boolean): Promise<void> {
  const info = await ctx.backend.headObject(ctx.bucket!, ctx.key);
  const verdict = evaluateConditions(
    {
      ifMatch: ctx.headers['if-match'],
      ifNoneMatch: ctx.headers['if-none-match'],
      ifModifiedSince: ctx.headers['if-modified-since'],
      ifUnmodifiedSince: ctx.headers['if-unmodified-since'],
    },
    info.etag,
    info.lastModified,
  );
  if (verdict === 304) {
    sendEmpty(ctx, 304, { ETag: quoted(info.etag), 'Last-Modified': info.lastModified.toUTCString() });
    return;
  }
  if (verdict === 412) throw new OssError('PreconditionFailed');
  const range = parseRange(ctx.headers.range, info.size);
  const headers: Record<string, string | number> = {
    ...objectHeaders(info),
    'Accept-Ranges': 'bytes',
    'Content-Length': range ? range.length : info.size,
  };
  if (range)
    headers['Content-Range'] = `bytes ${range.offset}-${range.offset + range.length - 1}/${info.size}`;
  else if (info.objectType === 'Normal' && info.contentMd5) headers['Content-MD5'] = info.contentMd5;
  for (const [param, header] of RESPONSE_OVERRIDES) {
    const value = ctx.query.get(param);
    if (value !== null) headers[header] = value;
  }
  if (head) {
    ctx.res.writeHead(range ? 206 : 200, headers);
    ctx.res.end();
    return;
  }
  const body = await ctx.backend.openObject(ctx.bucket!, ctx.key, range, info.version);
  ctx.res.writeHead(range ? 206 : 200, headers);
  await pipeline(body, ctx.res);
}

/**
 * GetObjectMeta, as HEAD or as GET (older oss2): headers only, Content-Length the object's size.
 * A GET answered without the body its Content-Length announces cannot leave the connection for
 * another request, so that answer closes it (the client reads the headers and nothing else).
 * The last access time is not tracked, so `x-oss-last-access-time` is never sent.
 */
export async function getObjectMeta(ctx: OssContext): Promise<void> {
  const info = await ctx.backend.headObject(ctx.bucket!, ctx.key);
  const headers: Record<string, string | number> = {
    'Content-Length': info.size,
    ETag: quoted(info.etag),
    'Last-Modified': info.lastModified.toUTCString(),
  };
  if (ctx.method === 'GET' && info.size > 0) headers.Connection = 'close';
  ctx.res.writeHead(200, headers);
  ctx.res.end();
}

export async function deleteObject(ctx: OssContext): Promise<void> {
  await ctx.backend.deleteObject(ctx.bucket!, ctx.key);
  sendEmpty(ctx, 204);
}

export async function copyObject(ctx: OssContext): Promise<void> {
  const source = await copySource(ctx);
  // As OSS: a copy onto itself always takes the request's metadata, whatever the directive
  // (oss2's update_object_meta is such a copy, without a directive).
  const ontoItself = source.bucket === ctx.bucket && source.key === ctx.key;
  const replace =
    ontoItself || (ctx.headers['x-oss-metadata-directive'] ?? 'COPY').toUpperCase() === 'REPLACE';
  const body = await ctx.backend.openObject(source.bucket, source.key, undefined, source.info.version);
  const info = await ctx.backend.putObject(ctx.bucket!, ctx.key, body, {
    contentType: replace ? ctx.headers['content-type'] : source.info.contentType,
    userMeta: replace ? userMetaFrom(ctx.headers) : source.info.userMeta,
    forbidOverwrite: forbidOverwrite(ctx),
  });
  sendXml(ctx, 200, 'CopyObjectResult', {
    ETag: quoted(info.etag),
    LastModified: isoTime(info.lastModified),
  });
}

/** The object named by `x-oss-copy-source`, after its `x-oss-copy-source-if-*` conditions held. */
export async function copySource(
  ctx: OssContext,
): Promise<{ bucket: string; key: string; info: ObjectInfo }> {
  const header = ctx.headers['x-oss-copy-source']!;
  let decoded: string;
  try {
    decoded = decodeURIComponent(header.replace(/\?versionId=.*$/, ''));
  } catch {
    throw new OssError('InvalidArgument', 'x-oss-copy-source is not valid URL encoding.');
  }
  const match = /^\/?([^/]+)\/(.+)$/.exec(decoded);
  if (!match) throw new OssError('InvalidArgument', 'x-oss-copy-source must be /bucket/key.');
  const [, bucket, key] = match as unknown as [string, string, string];
  const info = await ctx.backend.headObject(bucket, key);
  const verdict = evaluateConditions(
    {
      ifMatch: ctx.headers['x-oss-copy-source-if-match'],
      ifNoneMatch: ctx.headers['x-oss-copy-source-if-none-match'],
      ifModifiedSince: ctx.headers['x-oss-copy-source-if-modified-since'],
      ifUnmodifiedSince: ctx.headers['x-oss-copy-source-if-unmodified-since'],
    },
    info.etag,
    info.lastModified,
  );
  if (verdict === 304) throw new OssError('NotModified');
  if (verdict === 412) throw new OssError('PreconditionFailed');
  return { bucket, key, info };
}

export function getAcl(ctx: OssContext, grant: string): void {
  sendXml(ctx, 200, 'AccessControlPolicy', {
    Owner: { ID: ctx.owner, DisplayName: ctx.owner },
    AccessControlList: { Grant: grant },
  });
}

/**
 * PutBucketAcl and PutObjectAcl: ACLs are not enforced, so the only ACL accepted is the one the
 * resource already has (`private` buckets, `default` objects); any other is NotImplemented rather
 * than answered 200 and ignored.
 */
export async function putAcl(ctx: OssContext, current: string): Promise<void> {
  const header = ctx.key === '' ? 'x-oss-acl' : 'x-oss-object-acl';
  const wanted = ctx.headers[header];
  if (wanted !== undefined && wanted !== current) {
    throw new OssError('NotImplemented', `ACL ${wanted} is not implemented; resources here are ${current}.`);
  }
  await readSmallBody(ctx, 64 * 1024);
  sendEmpty(ctx, 200);
}

export function quoted(etag: string): string {
  return `"${etag}"`;
}

export function forbidOverwrite(ctx: OssContext): boolean {
  return (ctx.headers['x-oss-forbid-overwrite'] ?? '').toLowerCase() === 'true';
}

/** The request's Content-MD5, which must be the base64 of 16 bytes (400 InvalidDigest otherwise). */
export function contentMd5(ctx: OssContext): string | undefined {
  const value = ctx.headers['content-md5'];
  if (value === undefined) return undefined;
  if (Buffer.from(value, 'base64').length !== 16 || !/^[A-Za-z0-9+/]{22}==$/.test(value)) {
    throw new OssError('InvalidDigest');
  }
  return value;
}

function objectHeaders(info: ObjectInfo): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Type': info.contentType ?? 'application/octet-stream',
    ETag: quoted(info.etag),
    'Last-Modified': info.lastModified.toUTCString(),
    'x-oss-object-type': info.objectType,
    'x-oss-storage-class': 'Standard',
  };
  for (const [name, value] of Object.entries(info.userMeta)) headers[`x-oss-meta-${name}`] = value;
  return headers;
}

const RESPONSE_OVERRIDES = [
  ['response-content-type', 'Content-Type'],
  ['response-content-language', 'Content-Language'],
  ['response-expires', 'Expires'],
  ['response-cache-control', 'Cache-Control'],
  ['response-content-disposition', 'Content-Disposition'],
  ['response-content-encoding', 'Content-Encoding'],
] as const;
