/** HTTP rules object stores share: single byte ranges, conditional requests, date formats. */
import { type ByteRange, parseByteRange } from '../common/byte-range.js';

/**
 * The range a `Range` header asks of an object. Undefined means "send the whole object with 200"
 * (no header, several ranges, or a range that cannot be satisfied, as OSS does).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  const range = parseByteRange(header, size);
  return range === 'unsatisfiable' ? undefined : range;
}

export interface Conditions {
  readonly ifMatch?: string;
  readonly ifNoneMatch?: string;
  readonly ifModifiedSince?: string;
  readonly ifUnmodifiedSince?: string;
}

/**
 * Evaluates conditional headers (RFC 9110 order) against an object: 412 when If-Match or
 * If-Unmodified-Since fails, 304 when If-None-Match or If-Modified-Since says "unchanged", else
 * undefined. Dates compare at whole seconds, as HTTP dates carry no more.
 */
export function evaluateConditions(
  conditions: Conditions,
  etag: string,
  lastModified: Date,
): 304 | 412 | undefined {
  const modified = Math.floor(lastModified.getTime() / 1000);
  const since = (value: string) => Math.floor(Date.parse(value) / 1000);
  if (conditions.ifMatch !== undefined) {
    if (!etagMatches(conditions.ifMatch, etag)) return 412;
  } else if (conditions.ifUnmodifiedSince !== undefined) {
    const limit = since(conditions.ifUnmodifiedSince);
    if (!Number.isNaN(limit) && modified > limit) return 412;
  }
  if (conditions.ifNoneMatch !== undefined) {
    if (etagMatches(conditions.ifNoneMatch, etag)) return 304;
  } else if (conditions.ifModifiedSince !== undefined) {
    const limit = since(conditions.ifModifiedSince);
    if (!Number.isNaN(limit) && modified <= limit) return 304;
  }
  return undefined;
}

/** `*` or a comma-separated list of (quoted, possibly weak) tags, compared without case. */
export function etagMatches(header: string, etag: string): boolean {
  const want = etag.toUpperCase();
  return header
    .split(',')
    .map((t) => t.trim().replace(/^W\//, '').replace(/"/g, '').toUpperCase())
    .some((t) => t === '*' || t === want);
}

/**
 * `2019-04-09T03:45:32.000Z`, as listings, part lists and copy results show times: real OSS sends
 * whole seconds, and oss2 parses exactly `%Y-%m-%dT%H:%M:%S.000Z`.
 */
export function isoTime(date: Date): string {
  return new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString();
}
