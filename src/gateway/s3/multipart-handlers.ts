/** Multipart upload operations: Create, UploadPart, UploadPartCopy, Complete, Abort, ListParts. */

import type { Transform } from 'node:stream';
import { occurrences, S3_LIMITS } from '../common/limits.js';
import { bodyStages, DigestCheck, readSmallBody } from './body.js';
import { CHECKSUM_ALGORITHMS } from './checksums.js';
import { headerOf, isoDate, type S3Context, sendEmpty, sendXml } from './context.js';
import { S3Error } from './errors.js';
import type { CompletedPart, PartSealing } from './multipart.js';
import {
  checksumElement,
  checksumElements,
  declaredFullChecksum,
  decodePartChecksum,
  type NamedChecksums,
  uploadChecksum,
  uploadChecksumHeaders,
} from './object-checksums.js';
import {
  attributesFromRequest,
  checkBodySize,
  checkWriteConditions,
  copySource,
  openPlain,
  requestKey,
} from './object-handlers.js';
import type { ObjectInfo } from './object-layer.js';
import type { GatewayServices } from './services.js';
import { type CustomerKey, encryptSegment, etagMac, keyMatches, newRecord, sseHeaders } from './sse-c.js';
import { listOf, parseXml, textOf } from './xml.js';

export async function createMultipartUpload(
  ctx: S3Context,
  { uploads, access }: GatewayServices,
): Promise<void> {
  const key = requestKey(ctx);
  const checksum = uploadChecksum(
    headerOf(ctx, 'x-amz-checksum-algorithm'),
    headerOf(ctx, 'x-amz-checksum-type'),
  );
  const attributes = attributesFromRequest(ctx, access);
  const uploadId = await uploads.create(ctx.bucket!, ctx.key!, {
    ...(key === undefined
      ? attributes
      : { ...attributes, headers: { ...attributes.headers, sse: newRecord(key) } }),
    ...(checksum ? { checksum } : {}),
  });
  sendXml(
    ctx,
    'InitiateMultipartUploadResult',
    { Bucket: ctx.bucket, Key: ctx.key, UploadId: uploadId },
    200,
    { ...sseHeaders(key), ...uploadChecksumHeaders(checksum) },
  );
}

function upload(ctx: S3Context, { uploads }: GatewayServices) {
  return uploads.upload(ctx.query.get('uploadId') ?? '', ctx.bucket!, ctx.key!);
}

/**
 * The SSE-C key a part of `target` is given, which must be the one its CreateMultipartUpload gave
 * (none when that gave none): InvalidRequest or InvalidArgument otherwise.
 */
function partKey(ctx: S3Context, target: ReturnType<typeof upload>): CustomerKey | undefined {
  const key = requestKey(ctx);
  const record = target.attributes.headers.sse;
  if (record === undefined && key !== undefined) {
    throw new S3Error(
      'InvalidRequest',
      'The multipart upload was not initiated with a customer-provided key: its parts take no x-amz-server-side-encryption-customer-* headers.',
    );
  }
  if (record !== undefined && key === undefined) {
    throw new S3Error(
      'InvalidRequest',
      'The multipart upload was initiated with a customer-provided key: each part must give the same key (x-amz-server-side-encryption-customer-algorithm, -key, -key-MD5).',
    );
  }
  if (record !== undefined && key !== undefined && !keyMatches(record, key)) {
    throw new S3Error(
      'InvalidArgument',
      'The customer-provided key of this part is not the one the multipart upload was initiated with.',
    );
  }
  return key;
}

/**
 * The plaintext stages of a part, then (under the upload's SSE-C key) its cipher, with the IV to
 * keep with the part and the part's ETag (a MAC of its plaintext, see etagMac).
 */
function sealedPart(
  key: CustomerKey | undefined,
  stages: Transform[],
): { stages: Transform[]; sealing?: PartSealing } {
  if (key === undefined) return { stages };
  const { iv, cipher } = encryptSegment(key);
  const mac = etagMac(key);
  return { stages: [...stages, mac.stage, cipher], sealing: { iv, etag: mac.hex } };
}

export async function uploadPart(ctx: S3Context, services: GatewayServices): Promise<void> {
  checkBodySize(ctx);
  const target = upload(ctx, services);
  const key = partKey(ctx, target);
  const body = bodyStages(ctx.req, ctx.identity.payload, target.attributes.checksum?.algorithm);
  const sealed = sealedPart(key, body.stages);
  const part = await services.uploads.uploadPart(
    target,
    Number(ctx.query.get('partNumber')),
    [ctx.req, ...sealed.stages],
    sealed.sealing,
    () => body.digest.found,
  );
  sendEmpty(ctx, 200, { etag: `"${part.md5}"`, ...body.digest.checksumHeader, ...sseHeaders(key) });
}

/**
 * `x-amz-copy-source-range: bytes=first-last`, which S3 takes only within the source object:
 * InvalidRange when it reaches past the end.
 */
export function copySourceRange(
  value: string | undefined,
  size: number,
): { offset: number; length: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^bytes=(\d+)-(\d+)$/.exec(value.trim());
  if (!m) {
    throw new S3Error(
      'InvalidArgument',
      'The x-amz-copy-source-range value must be of the form bytes=first-last',
    );
  }
  const first = Number(m[1]);
  const last = Number(m[2]);
  if (last < first || last >= size) {
    throw new S3Error(
      'InvalidRange',
      `The range bytes=${first}-${last} is not within the ${size} bytes of the source`,
    );
  }
  return { offset: first, length: last - first + 1 };
}

export async function uploadPartCopy(ctx: S3Context, services: GatewayServices): Promise<void> {
  const target = upload(ctx, services);
  const key = partKey(ctx, target);
  const source = await copySource(ctx, services);
  const range = copySourceRange(headerOf(ctx, 'x-amz-copy-source-range'), source.size);
  // A copied part gets the checksum its upload was created with, computed as it is copied.
  const algorithm = target.attributes.checksum?.algorithm;
  const digest = new DigestCheck(algorithm ? { checksum: { algorithm, expected: () => undefined } } : {});
  const sealed = sealedPart(key, [digest]);
  const part = await services.uploads.uploadPart(
    target,
    Number(ctx.query.get('partNumber')),
    [await openPlain(services.layer, source, source.customerKey, range), ...sealed.stages],
    sealed.sealing,
    () => digest.found,
  );
  sendXml(
    ctx,
    'CopyPartResult',
    {
      LastModified: isoDate(part.mtimeMs),
      ETag: `"${part.md5}"`,
      ...checksumElements(algorithm, digest.found?.value),
    },
    200,
    sseHeaders(key),
  );
}

/** Room for one `<Part>` with every checksum element S3 defines, and whitespace. */
const MAX_PART_XML_BYTES = 512;

/**
 * The parts a CompleteMultipartUpload body lists. The body is bounded by what 10,000 parts take
 * and the parts are counted before the XML is parsed: a body listing more is refused at once.
 */
async function requestedParts(ctx: S3Context): Promise<CompletedPart[]> {
  const text = (
    await readSmallBody(
      ctx.req,
      ctx.identity.payload,
      S3_LIMITS.maxParts * MAX_PART_XML_BYTES + 4096,
      'of-object',
    )
  ).toString();
  if (occurrences(text, '</Part>') > S3_LIMITS.maxParts) {
    throw new S3Error('InvalidArgument', `An upload has at most ${S3_LIMITS.maxParts} parts`);
  }
  const body = parseXml(text, 'CompleteMultipartUpload');
  return listOf(body, 'Part').map((part) => {
    const partNumber = Number(textOf(part, 'PartNumber'));
    const etag = textOf(part, 'ETag');
    if (!Number.isInteger(partNumber) || etag === undefined) {
      throw new S3Error('MalformedXML', 'Each <Part> needs a <PartNumber> and an <ETag>');
    }
    const checksums: NamedChecksums = {};
    for (const algorithm of CHECKSUM_ALGORITHMS) {
      const value = textOf(part, checksumElement(algorithm));
      if (value !== undefined) checksums[algorithm] = value.trim();
    }
    return { partNumber, etag, checksums };
  });
}

export async function completeMultipartUpload(ctx: S3Context, services: GatewayServices): Promise<void> {
  let target: ReturnType<typeof upload>;
  try {
    target = upload(ctx, services);
  } catch (error) {
    if (!(error instanceof S3Error) || error.code !== 'NoSuchUpload') throw error;
    await requestedParts(ctx);
    const uploadId = ctx.query.get('uploadId') ?? '';
    sendCompleted(ctx, services, await services.uploads.completedBefore(uploadId, ctx.bucket!, ctx.key!));
    return;
  }
  const declaredFull = declaredFullChecksum(
    target.attributes.checksum,
    (name) => headerOf(ctx, name),
    headerOf(ctx, 'x-amz-checksum-type'),
  );
  const parts = await requestedParts(ctx);
  await checkWriteConditions(ctx, services);
  sendCompleted(ctx, services, await services.uploads.complete(target, parts, declaredFull));
}

function sendCompleted(ctx: S3Context, { layer }: GatewayServices, info: ObjectInfo): void {
  sendXml(
    ctx,
    'CompleteMultipartUploadResult',
    {
      Location: `/${ctx.bucket}/${ctx.key}`,
      Bucket: ctx.bucket,
      Key: ctx.key,
      ETag: `"${info.etag}"`,
      ...checksumElements(
        info.headers.checksum?.algorithm,
        info.headers.checksum?.value,
        info.headers.checksum?.type,
      ),
    },
    200,
    layer.versions.writtenVersionHeader(info),
  );
}

export async function abortMultipartUpload(ctx: S3Context, services: GatewayServices): Promise<void> {
  await services.uploads.abort(upload(ctx, services));
  sendEmpty(ctx, 204);
}

export async function listParts(ctx: S3Context, services: GatewayServices): Promise<void> {
  const target = upload(ctx, services);
  const marker = Number(ctx.query.get('part-number-marker') ?? '0');
  const max = Math.min(Number(ctx.query.get('max-parts') ?? '1000'), 1000);
  if (!Number.isInteger(marker) || marker < 0 || !Number.isInteger(max) || max < 0) {
    throw new S3Error('InvalidArgument', 'part-number-marker and max-parts must be non-negative integers');
  }
  const found = services.uploads.staging.listParts(target.uploadId, marker, max + 1);
  const truncated = found.length > max;
  const parts = found.slice(0, max);
  sendXml(ctx, 'ListPartsResult', {
    Bucket: ctx.bucket,
    Key: ctx.key,
    UploadId: target.uploadId,
    Initiator: { ID: target.attributes.owner, DisplayName: target.attributes.owner },
    Owner: { ID: target.attributes.owner, DisplayName: target.attributes.owner },
    StorageClass: 'STANDARD',
    PartNumberMarker: marker,
    NextPartNumberMarker: truncated ? parts.at(-1)?.partNumber : undefined,
    MaxParts: max,
    IsTruncated: truncated,
    Part: parts.map((p) => ({
      PartNumber: p.partNumber,
      LastModified: isoDate(p.mtimeMs),
      ETag: `"${p.md5}"`,
      Size: p.size,
      ...checksumElements(decodePartChecksum(p.checksum)?.algorithm, decodePartChecksum(p.checksum)?.value),
    })),
  });
}
