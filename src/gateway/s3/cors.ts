/**
 * Bucket CORS as S3 has it: the configuration document (PutBucketCors/GetBucketCors), matching a
 * request's Origin, method and requested headers against its rules (first match wins), and the
 * Access-Control-* headers a match gives, on preflights (OPTIONS) and on actual responses.
 */
import { S3Error } from './errors.js';
import { listOf, textOf, type XmlNode } from './xml.js';

export interface CorsRule {
  readonly id?: string;
  readonly allowedMethods: readonly string[];
  readonly allowedOrigins: readonly string[];
  readonly allowedHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly maxAgeSeconds?: number;
}

const METHODS = new Set(['GET', 'PUT', 'POST', 'DELETE', 'HEAD']);
const MAX_RULES = 100;

function texts(node: XmlNode, name: string): string[] {
  const value = node[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map((item) => textOf({ item }, 'item') ?? '');
}

/** A `<CORSConfiguration>` element's rules, checked as S3 checks them (InvalidRequest / MalformedXML). */
export function parseCorsConfiguration(root: XmlNode): CorsRule[] {
  const rules = listOf(root, 'CORSRule');
  if (rules.length === 0 || rules.length > MAX_RULES) {
    throw new S3Error('MalformedXML', `A CORS configuration holds 1 to ${MAX_RULES} <CORSRule> elements`);
  }
  return rules.map((rule) => {
    const allowedMethods = texts(rule, 'AllowedMethod');
    const allowedOrigins = texts(rule, 'AllowedOrigin');
    if (allowedMethods.length === 0 || allowedOrigins.length === 0) {
      throw new S3Error('MalformedXML', 'Each <CORSRule> needs an <AllowedMethod> and an <AllowedOrigin>');
    }
    const unsupported = allowedMethods.find((m) => !METHODS.has(m));
    if (unsupported !== undefined) {
      throw new S3Error(
        'InvalidRequest',
        `Found unsupported HTTP method in CORS config. Unsupported method is ${unsupported} (use GET, PUT, POST, DELETE or HEAD)`,
      );
    }
    const allowedHeaders = texts(rule, 'AllowedHeader');
    for (const [what, values] of [
      ['AllowedOrigin', allowedOrigins],
      ['AllowedHeader', allowedHeaders],
    ] as const) {
      const bad = values.find((v) => v.split('*').length > 2);
      if (bad !== undefined) {
        throw new S3Error('InvalidRequest', `${what} "${bad}" can not have more than one wildcard.`);
      }
    }
    const maxAge = textOf(rule, 'MaxAgeSeconds');
    if (maxAge !== undefined && !/^\d+$/.test(maxAge.trim())) {
      throw new S3Error('MalformedXML', `<MaxAgeSeconds> must be a whole number of seconds, got "${maxAge}"`);
    }
    return {
      id: textOf(rule, 'ID'),
      allowedMethods,
      allowedOrigins,
      allowedHeaders,
      exposeHeaders: texts(rule, 'ExposeHeader'),
      maxAgeSeconds: maxAge === undefined ? undefined : Number(maxAge.trim()),
    };
  });
}

/** The rules as the body of a GetBucketCors `<CORSConfiguration>`. */
export function corsConfigurationXml(rules: readonly CorsRule[]): XmlNode {
  return {
    CORSRule: rules.map((rule) => ({
      ID: rule.id,
      AllowedHeader: rule.allowedHeaders.length > 0 ? [...rule.allowedHeaders] : undefined,
      AllowedMethod: [...rule.allowedMethods],
      AllowedOrigin: [...rule.allowedOrigins],
      ExposeHeader: rule.exposeHeaders.length > 0 ? [...rule.exposeHeaders] : undefined,
      MaxAgeSeconds: rule.maxAgeSeconds,
    })),
  };
}

/** `pattern` with at most one `*` matching any run of characters; case-insensitive as S3 compares. */
function wildcardMatch(pattern: string, value: string, caseSensitive: boolean): boolean {
  const p = caseSensitive ? pattern : pattern.toLowerCase();
  const v = caseSensitive ? value : value.toLowerCase();
  const star = p.indexOf('*');
  if (star < 0) return p === v;
  const head = p.slice(0, star);
  const tail = p.slice(star + 1);
  return v.length >= head.length + tail.length && v.startsWith(head) && v.endsWith(tail);
}

/** The first rule allowing `origin`, `method` and every requested header, if any. */
export function matchCorsRule(
  rules: readonly CorsRule[],
  origin: string,
  method: string,
  requestHeaders: readonly string[] = [],
): CorsRule | undefined {
  return rules.find(
    (rule) =>
      rule.allowedMethods.includes(method) &&
      rule.allowedOrigins.some((allowed) => wildcardMatch(allowed, origin, true)) &&
      requestHeaders.every((h) => rule.allowedHeaders.some((allowed) => wildcardMatch(allowed, h, false))),
  );
}

/** `Access-Control-Request-Headers` as a list of lower-case names. */
export function requestedHeaders(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
}

/** The Access-Control-* headers a matching rule gives a request from `origin`. */
export function corsHeaders(
  rule: CorsRule,
  origin: string,
  options: { preflight: boolean; requestHeaders?: readonly string[] },
): Record<string, string> {
  const any = rule.allowedOrigins.includes('*');
  const headers: Record<string, string> = {
    'access-control-allow-origin': any ? '*' : origin,
    'access-control-allow-methods': rule.allowedMethods.join(', '),
    vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  };
  if (!any) headers['access-control-allow-credentials'] = 'true';
  if (rule.exposeHeaders.length > 0) headers['access-control-expose-headers'] = rule.exposeHeaders.join(', ');
  if (options.preflight) {
    if (rule.maxAgeSeconds !== undefined) headers['access-control-max-age'] = String(rule.maxAgeSeconds);
    if (options.requestHeaders && options.requestHeaders.length > 0) {
      headers['access-control-allow-headers'] = options.requestHeaders.join(', ');
    }
  }
  return headers;
}
