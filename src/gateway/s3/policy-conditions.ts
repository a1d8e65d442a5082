/**
 * The Condition block of a bucket policy statement: the IAM operators the gateway evaluates
 * (String*, Numeric*, Bool, Null, IpAddress/NotIpAddress, each also as `...IfExists`) over the
 * condition keys it can fill in from a request (CONDITION_KEYS). An operator or key outside these
 * is refused when the policy is put (NotImplemented), never silently ignored.
 *
 * As in IAM: every operator of a block and every key of an operator must hold; a key listed with
 * several values holds when the request's value matches one of them (for a negated operator, when
 * it matches none). A key the request lacks fails a positive operator and satisfies a negated one;
 * with `IfExists` it satisfies either; `Null: {"key": "true"}` holds exactly when it is absent.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { S3Error } from './errors.js';

/** The condition keys whose value is the request header of the same name (after `s3:`). */
export const HEADER_CONDITION_KEYS: ReadonlySet<string> = new Set([
  's3:x-amz-acl',
  's3:x-amz-grant-read',
  's3:x-amz-grant-write',
  's3:x-amz-grant-read-acp',
  's3:x-amz-grant-write-acp',
  's3:x-amz-grant-full-control',
  's3:x-amz-metadata-directive',
  's3:x-amz-server-side-encryption',
  's3:x-amz-server-side-encryption-aws-kms-key-id',
  's3:x-amz-server-side-encryption-customer-algorithm',
  's3:x-amz-storage-class',
  's3:x-amz-content-sha256',
]);

/** The keys a request can fill in, lower-cased (plus the `s3:ExistingObjectTag/<tag>` and `s3:RequestObjectTag/<tag>` families). */
export const CONDITION_KEYS: ReadonlySet<string> = new Set([
  'aws:sourceip',
  'aws:referer',
  'aws:useragent',
  'aws:securetransport',
  'aws:username',
  ...HEADER_CONDITION_KEYS,
  's3:x-amz-copy-source',
  's3:prefix',
  's3:delimiter',
  's3:max-keys',
  's3:versionid',
]);

const TAG_FAMILIES = ['s3:existingobjecttag/', 's3:requestobjecttag/'];

type Operator =
  | 'StringEquals'
  | 'StringNotEquals'
  | 'StringEqualsIgnoreCase'
  | 'StringNotEqualsIgnoreCase'
  | 'StringLike'
  | 'StringNotLike'
  | 'NumericEquals'
  | 'NumericNotEquals'
  | 'NumericLessThan'
  | 'NumericLessThanEquals'
  | 'NumericGreaterThan'
  | 'NumericGreaterThanEquals'
  | 'Bool'
  | 'Null'
  | 'IpAddress'
  | 'NotIpAddress';

const OPERATORS: ReadonlySet<string> = new Set<Operator>([
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'NumericEquals',
  'NumericNotEquals',
  'NumericLessThan',
  'NumericLessThanEquals',
  'NumericGreaterThan',
  'NumericGreaterThanEquals',
  'Bool',
  'Null',
  'IpAddress',
  'NotIpAddress',
]);

const NEGATED: ReadonlySet<Operator> = new Set([
  'StringNotEquals',
  'StringNotEqualsIgnoreCase',
  'StringNotLike',
  'NumericNotEquals',
  'NotIpAddress',
]);

export interface Condition {
  readonly operator: Operator;
  readonly ifExists: boolean;
  /** As written (a tag key keeps its case). */
  readonly key: string;
  readonly values: readonly string[];
  /** The ranges of IpAddress/NotIpAddress. */
  readonly ranges?: BlockList;
}

/** A request's value of a condition key (as written in the policy); undefined when it has none. */
export type ConditionValues = (key: string) => string | undefined;

function malformed(message: string): S3Error {
  return new S3Error('MalformedPolicy', message);
}

function supportedKey(key: string): boolean {
  const lower = key.toLowerCase();
  return (
    CONDITION_KEYS.has(lower) || TAG_FAMILIES.some((f) => lower.startsWith(f) && lower.length > f.length)
  );
}

function rangesOf(key: string, values: readonly string[]): BlockList {
  const ranges = new BlockList();
  for (const cidr of values) {
    const [address = '', bits] = cidr.split('/');
    const type = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
    const prefix = bits === undefined ? (type === 'ipv4' ? 32 : 128) : Number(bits);
    if (!type || !Number.isInteger(prefix) || prefix < 0 || prefix > (type === 'ipv4' ? 32 : 128)) {
      throw malformed(`Invalid IP address or range in ${key}: ${cidr}`);
    }
    ranges.addSubnet(address, prefix, type);
  }
  return ranges;
}

/** Parses a statement's Condition block; MalformedPolicy or NotImplemented when it cannot be enforced. */
export function parseConditions(value: unknown): Condition[] {
  if (value === undefined) return [];
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw malformed('Condition must be an object');
  const out: Condition[] = [];
  for (const [written, block] of Object.entries(value as Record<string, unknown>)) {
    const ifExists = written.endsWith('IfExists') && written !== 'IfExists';
    const operator = ifExists ? written.slice(0, -'IfExists'.length) : written;
    if (!OPERATORS.has(operator) || (ifExists && operator === 'Null')) {
      throw new S3Error(
        'NotImplemented',
        `Condition operator ${written} is not supported by the tierfs S3 gateway: use String*, Numeric*, Bool, Null, IpAddress or NotIpAddress (optionally ...IfExists)`,
      );
    }
    if (typeof block !== 'object' || block === null || Array.isArray(block))
      throw malformed(`Condition ${written} must map keys to values`);
    for (const [key, raw] of Object.entries(block as Record<string, unknown>)) {
      if (!supportedKey(key)) {
        throw new S3Error(
          'NotImplemented',
          `Condition key ${key} is not supported by the tierfs S3 gateway (supported: ${[...CONDITION_KEYS].join(', ')}, s3:ExistingObjectTag/<tag>, s3:RequestObjectTag/<tag>)`,
        );
      }
      const list = Array.isArray(raw) ? raw : [raw];
      if (list.length === 0 || list.some((v) => !['string', 'number', 'boolean'].includes(typeof v)))
        throw malformed(`Condition ${written} ${key} must be a value or a non-empty list of values`);
      const values = list.map(String);
      const op = operator as Operator;
      if (op.startsWith('Numeric') && values.some((v) => !Number.isFinite(Number(v))))
        throw malformed(`Condition ${written} ${key} needs numbers`);
      if ((op === 'IpAddress' || op === 'NotIpAddress') && key.toLowerCase() !== 'aws:sourceip')
        throw malformed(`Condition ${written} applies to aws:SourceIp, not ${key}`);
      out.push({
        operator: op,
        ifExists,
        key,
        values,
        ranges: op === 'IpAddress' || op === 'NotIpAddress' ? rangesOf(key, values) : undefined,
      });
    }
  }
  return out;
}

/** An IAM glob (`*` any run, `?` one character) as an anchored RegExp. */
export function glob(pattern: string, flags = ''): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, flags);
}

function ipIn(ranges: BlockList, ip: string): boolean {
  const address = ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
  if (isIPv4(address)) return ranges.check(address, 'ipv4');
  return isIPv6(address) && ranges.check(address, 'ipv6');
}

function matches(c: Condition, actual: string, expected: string): boolean {
  switch (c.operator) {
    case 'StringEquals':
    case 'StringNotEquals':
      return actual === expected;
    case 'StringEqualsIgnoreCase':
    case 'StringNotEqualsIgnoreCase':
      return actual.toLowerCase() === expected.toLowerCase();
    case 'StringLike':
    case 'StringNotLike':
      return glob(expected, 's').test(actual);
    case 'Bool':
      return actual.toLowerCase() === expected.toLowerCase();
    case 'IpAddress':
    case 'NotIpAddress':
    case 'Null':
      return false; // handled in holds()
    default: {
      const [a, e] = [Number(actual), Number(expected)];
      if (!Number.isFinite(a)) return false;
      if (c.operator === 'NumericEquals' || c.operator === 'NumericNotEquals') return a === e;
      if (c.operator === 'NumericLessThan') return a < e;
      if (c.operator === 'NumericLessThanEquals') return a <= e;
      if (c.operator === 'NumericGreaterThan') return a > e;
      return a >= e;
    }
  }
}

function holds(c: Condition, values: ConditionValues): boolean {
  const actual = values(c.key);
  if (c.operator === 'Null')
    return c.values.some((v) => (v.toLowerCase() === 'true') === (actual === undefined));
  if (actual === undefined) return c.ifExists || NEGATED.has(c.operator);
  if (c.ranges) return ipIn(c.ranges, actual) !== (c.operator === 'NotIpAddress');
  const any = c.values.some((expected) => matches(c, actual, expected));
  return NEGATED.has(c.operator) ? !any : any;
}

/** Whether every condition of a statement holds for a request. */
export function conditionsHold(conditions: readonly Condition[], values: ConditionValues): boolean {
  return conditions.every((c) => holds(c, values));
}
