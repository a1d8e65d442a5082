/** Object attributes carried in request headers (PUT, Copy, CreateMultipartUpload) and sent back on GET/HEAD. */
import type { IncomingHttpHeaders } from 'node:http';
import { S3_LIMITS, userMetadataBytes } from '../common/limits.js';
import { S3Error } from './errors.js';
import type { ObjectHeaders, Tag } from './metadata-store.js';
import type { ObjectInfo } from './object-layer.js';
import { parseQuery } from './signed-request.js';
import { childOf, listOf, parseXml, textOf } from './xml.js';

function one(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** The object headers a write asks for; MetadataTooLarge past S3's 2 KB of user metadata. */
export function headersFromRequest(headers: IncomingHttpHeaders): ObjectHeaders {
  const userMetadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('x-amz-meta-') && value !== undefined) {
      userMetadata[name.slice('x-amz-meta-'.length)] = Array.isArray(value) ? value.join(',') : value;
    }
  }
  if (userMetadataBytes(userMetadata) > S3_LIMITS.maxUserMetadataBytes) {
    throw new S3Error(
      'MetadataTooLarge',
      `Your metadata headers exceed the maximum allowed metadata size of ${S3_LIMITS.maxUserMetadataBytes} bytes`,
    );
  }
  // aws-chunked is how the body was sent, not how the object is encoded.
  const encoding = one(headers, 'content-encoding')
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '' && s !== 'aws-chunked')
    .join(', ');
  return {
    contentType: one(headers, 'content-type'),
    contentDisposition: one(headers, 'content-disposition'),
    contentEncoding: encoding || undefined,
    contentLanguage: one(headers, 'content-language'),
    cacheControl: one(headers, 'cache-control'),
    expires: one(headers, 'expires'),
    userMetadata,
  };
}

const MAX_TAGS = 10;

/** InvalidTag unless `tags` are at most `max` (S3: 10 on an object, 50 on a bucket) of distinct, sized keys. */
export function checkTags(tags: readonly Tag[], max = MAX_TAGS, of = 'Object'): readonly Tag[] {
  if (tags.length > max) throw new S3Error('InvalidTag', `${of} tags cannot be greater than ${max}`);
  const seen = new Set<string>();
  for (const tag of tags) {
    if (tag.key === '' || tag.key.length > 128 || tag.value.length > 256) {
      throw new S3Error('InvalidTag', 'A tag key must have 1-128 characters and a value at most 256');
    }
    if (seen.has(tag.key)) throw new S3Error('InvalidTag', 'Cannot provide multiple Tags with the same key');
    seen.add(tag.key);
  }
  return tags;
}

/** Tags from a `<Tagging><TagSet><Tag>...` document (PutObjectTagging's body, a POST form's `tagging` field). */
export function tagsFromXml(text: string, max = MAX_TAGS, of = 'Object'): readonly Tag[] {
  const body = parseXml(text, 'Tagging');
  return checkTags(
    listOf(childOf(body, 'TagSet'), 'Tag').map((tag) => ({
      key: textOf(tag, 'Key') ?? '',
      value: textOf(tag, 'Value') ?? '',
    })),
    max,
    of,
  );
}

/**
 * The `<TagSet>` of a GetObjectTagging/GetBucketTagging answer, its tags in key order as Ceph RGW
 * lists them (it keeps them in a map); S3 documents no order.
 */
export function tagSetXml(tags: readonly Tag[]): { TagSet: { Tag: { Key: string; Value: string }[] } } {
  const sorted = [...tags].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { TagSet: { Tag: sorted.map((t) => ({ Key: t.key, Value: t.value })) } };
}

/** Tags from `x-amz-tagging: k1=v1&k2=v2`. */
export function tagsFromHeader(headers: IncomingHttpHeaders): readonly Tag[] {
  const value = one(headers, 'x-amz-tagging');
  return value === undefined ? [] : checkTags(parseQuery(value).map(([key, v]) => ({ key, value: v })));
}

/** Headers describing an object on GET and HEAD; `overrides` are the response-* query parameters. */
export function responseHeaders(
  info: ObjectInfo,
  overrides: ReadonlyMap<string, string>,
): Record<string, string> {
  const h = info.headers;
  const out: Record<string, string> = {
    etag: `"${info.etag}"`,
    'last-modified': new Date(info.mtimeMs).toUTCString(),
    'accept-ranges': 'bytes',
    'content-type': h.contentType ?? 'binary/octet-stream',
  };
  const optional: [string, string | undefined][] = [
    ['content-disposition', h.contentDisposition],
    ['content-encoding', h.contentEncoding],
    ['content-language', h.contentLanguage],
    ['cache-control', h.cacheControl],
    ['expires', h.expires],
  ];
  for (const [name, value] of optional) if (value !== undefined) out[name] = value;
  for (const [name, value] of Object.entries(h.userMetadata)) out[`x-amz-meta-${name}`] = value;
  if (info.tags.length > 0) out['x-amz-tagging-count'] = String(info.tags.length);
  for (const name of [
    'content-type',
    'content-disposition',
    'content-encoding',
    'content-language',
    'cache-control',
    'expires',
  ]) {
    const value = overrides.get(`response-${name}`);
    if (value !== undefined) out[name] = value;
  }
  return out;
}
