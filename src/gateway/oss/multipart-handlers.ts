/** Multipart uploads: Initiate, UploadPart, UploadPartCopy, Complete, Abort, ListParts, ListMultipartUploads. */
import { OSS_LIMITS, occurrences } from '../common/limits.js';
import type { CompletePart } from './backend.js';
import { OssError } from './errors.js';
import { isoTime, parseRange } from './http-semantics.js';
import { contentMd5, copySource, crc64Of, forbidOverwrite, quoted } from './object-handlers.js';
import {
  checkBodySize,
  type OssContext,
  readSmallBody,
  sendEmpty,
  sendXml,
  userMetaFrom,
} from './request-context.js';
import { children, childText, parseXml } from './xml.js';

export async function initiateMultipartUpload(ctx: OssContext): Promise<void> {
  const upload = await ctx.backend.createMultipartUpload(ctx.bucket!, ctx.key, {
    contentType: ctx.headers['content-type'],
    userMeta: userMetaFrom(ctx.headers),
    forbidOverwrite: forbidOverwrite(ctx),
  });
  sendXml(ctx, 200, 'InitiateMultipartUploadResult', {
    Bucket: ctx.bucket,
    Key: ctx.key,
    UploadId: upload.uploadId,
  });
}

export async function uploadPart(ctx: OssContext): Promise<void> {
  const partNumber = Number(ctx.query.get('partNumber'));
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000) {
    throw new OssError('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive.', {
      ArgumentName: 'partNumber',
    });
  }
  const uploadId = ctx.query.get('uploadId')!;
  if (ctx.headers['x-oss-copy-source'] === undefined) {
    checkBodySize(ctx);
    const crc = crc64Of(ctx.req);
    const part = await ctx.backend.uploadPart(
      ctx.bucket!,
      ctx.key,
      uploadId,
      partNumber,
      crc.body,
      contentMd5(ctx),
    );
    sendEmpty(ctx, 200, { ETag: quoted(part.etag), 'x-oss-hash-crc64ecma': crc.value() });
    return;
  }
  const source = await copySource(ctx);
  const rangeHeader = ctx.headers['x-oss-copy-source-range'];
  const range = parseRange(rangeHeader, source.info.size);
  if (rangeHeader !== undefined && !range)
    throw new OssError('InvalidArgument', 'Invalid x-oss-copy-source-range.');
  const body = await ctx.backend.openObject(source.bucket, source.key, range, source.info.version);
  const part = await ctx.backend.uploadPart(ctx.bucket!, ctx.key, uploadId, partNumber, body);
  sendXml(
    ctx,
    200,
    'CopyPartResult',
    { LastModified: isoTime(part.lastModified), ETag: quoted(part.etag) },
    { ETag: quoted(part.etag) },
  );
}

export async function completeMultipartUpload(ctx: OssContext): Promise<void> {
  const uploadId = ctx.query.get('uploadId')!;
  const body = await readSmallBody(ctx);
  let parts: CompletePart[];
  if ((ctx.headers['x-oss-complete-all'] ?? '').toLowerCase() === 'yes') {
    parts = (await ctx.backend.listParts(ctx.bucket!, ctx.key, uploadId)).map((p) => ({
      partNumber: p.partNumber,
      etag: p.etag,
    }));
  } else {
    const text = body.toString('utf8');
    if (occurrences(text, '</Part>') > OSS_LIMITS.maxParts) {
      throw new OssError('InvalidArgument', `An upload has at most ${OSS_LIMITS.maxParts} parts.`);
    }
    const doc = parseXml(text, 'CompleteMultipartUpload');
    parts = children(doc, 'Part').map((part) => {
      const partNumber = Number(childText(part, 'PartNumber'));
      const etag = childText(part, 'ETag');
      if (!Number.isInteger(partNumber) || etag === undefined) throw new OssError('MalformedXML');
      return { partNumber, etag };
    });
  }
  const info = await ctx.backend.completeMultipartUpload(ctx.bucket!, ctx.key, uploadId, parts);
  const host = ctx.headers.host ?? 'localhost';
  sendXml(
    ctx,
    200,
    'CompleteMultipartUploadResult',
    {
      Location: `http://${host}/${ctx.bucket}/${ctx.key}`,
      Bucket: ctx.bucket,
      Key: ctx.key,
      ETag: quoted(info.etag),
    },
    { ETag: quoted(info.etag) },
  );
}

export async function abortMultipartUpload(ctx: OssContext): Promise<void> {
  await ctx.backend.abortMultipartUpload(ctx.bucket!, ctx.key, ctx.query.get('uploadId')!);
  sendEmpty(ctx, 204);
}

export async function listParts(ctx: OssContext): Promise<void> {
  const uploadId = ctx.query.get('uploadId')!;
  const marker = Number(ctx.query.get('part-number-marker') ?? '0') || 0;
  const maxParts = boundedInt(ctx.query.get('max-parts'), 1000, 'max-parts');
  const all = (await ctx.backend.listParts(ctx.bucket!, ctx.key, uploadId)).filter(
    (p) => p.partNumber > marker,
  );
  const page = all.slice(0, maxParts);
  const truncated = all.length > page.length;
  sendXml(ctx, 200, 'ListPartsResult', {
    Bucket: ctx.bucket,
    Key: ctx.key,
    UploadId: uploadId,
    PartNumberMarker: marker,
    NextPartNumberMarker: page.at(-1)?.partNumber ?? marker,
    MaxParts: maxParts,
    IsTruncated: truncated,
    Part: page.map((p) => ({
      PartNumber: p.partNumber,
      LastModified: isoTime(p.lastModified),
      ETag: quoted(p.etag),
      Size: p.size,
    })),
  });
}

export async function listMultipartUploads(ctx: OssContext): Promise<void> {
  const prefix = ctx.query.get('prefix') ?? '';
  const delimiter = ctx.query.get('delimiter') ?? '';
  const keyMarker = ctx.query.get('key-marker') ?? '';
  const uploadIdMarker = ctx.query.get('upload-id-marker') ?? '';
  const maxUploads = boundedInt(ctx.query.get('max-uploads'), 1000, 'max-uploads');
  const after = (await ctx.backend.listMultipartUploads(ctx.bucket!, prefix)).filter(
    (u) => u.key > keyMarker || (u.key === keyMarker && uploadIdMarker !== '' && u.uploadId > uploadIdMarker),
  );
  const all = groupUploads(after, prefix, delimiter, keyMarker);
  const page = all.slice(0, maxUploads);
  const truncated = all.length > page.length;
  const last = page.at(-1);
  sendXml(ctx, 200, 'ListMultipartUploadsResult', {
    Bucket: ctx.bucket,
    KeyMarker: keyMarker,
    UploadIdMarker: uploadIdMarker,
    NextKeyMarker: truncated && last ? ('prefix' in last ? last.prefix : last.key) : '',
    NextUploadIdMarker: truncated && last && !('prefix' in last) ? last.uploadId : '',
    Delimiter: delimiter,
    Prefix: prefix,
    MaxUploads: maxUploads,
    IsTruncated: truncated,
    Upload: page.flatMap((u) =>
      'prefix' in u ? [] : [{ Key: u.key, UploadId: u.uploadId, Initiated: isoTime(u.initiated) }],
    ),
    CommonPrefixes: page.flatMap((u) => ('prefix' in u ? [{ Prefix: u.prefix }] : [])),
  });
}

/**
 * Uploads in key order with those whose key continues past `prefix` with `delimiter` rolled into
 * one common prefix each, as OSS lists them (a prefix counts once against max-uploads; one at or
 * before the key marker was listed already).
 */
function groupUploads<T extends { key: string }>(
  uploads: readonly T[],
  prefix: string,
  delimiter: string,
  keyMarker: string,
): (T | { prefix: string })[] {
  const out: (T | { prefix: string })[] = [];
  for (const upload of uploads) {
    const at = delimiter === '' ? -1 : upload.key.indexOf(delimiter, prefix.length);
    if (at < 0) {
      out.push(upload);
      continue;
    }
    const common = upload.key.slice(0, at + delimiter.length);
    const previous = out.at(-1);
    if (common <= keyMarker || (previous && 'prefix' in previous && previous.prefix === common)) continue;
    out.push({ prefix: common });
  }
  return out;
}

/** An integer query parameter between 1 and 1000, or `fallback` when absent. */
export function boundedInt(value: string | null, fallback: number, name: string): number {
  if (value === null) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw new OssError('InvalidArgument', `${name} must be an integer between 1 and 1000.`, {
      ArgumentName: name,
    });
  }
  return n;
}
