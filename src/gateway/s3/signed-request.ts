/** The parts of an HTTP request that S3 signatures cover, and helpers shared by SigV2 and SigV4. */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface SignedRequest {
  readonly method: string;
  /** The path as sent, still percent-encoded. */
  readonly rawPath: string;
  /** Query parameters, decoded, in the order sent. */
  readonly query: readonly (readonly [string, string])[];
  readonly headers: IncomingHttpHeaders;
}

/** Parses a raw query string as S3 clients send it (`+` is a space, a name may have no value). */
export function parseQuery(raw: string): [string, string][] {
  if (raw === '') return [];
  return raw
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      const value = eq < 0 ? '' : pair.slice(eq + 1);
      return [decodeComponent(name), decodeComponent(value)];
    });
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

export function header(request: SignedRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

export function queryParam(request: SignedRequest, name: string): string | undefined {
  return request.query.find(([n]) => n === name)?.[1];
}

/** Constant-time comparison of two signatures (different lengths compare unequal at once). */
export function signaturesEqual(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
