/**
 * Bucket policies, the subset the gateway enforces: statements with Effect Allow or Deny, a
 * Principal of `*` or users (`{"AWS": "arn:aws:iam::<account>:user/<name>"}`, a bare user name,
 * or `*`), Actions (`s3:GetObject`, `s3:*`, `s3:Get*`, ...), Resources in this bucket (ARNs with
 * `*` and `?` wildcards) and one condition: `IpAddress`/`NotIpAddress` on `aws:SourceIp`. Anything
 * else (NotPrincipal, NotAction, NotResource, other conditions) is refused when the policy is put,
 * never silently ignored.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { S3Error } from './errors.js';

export interface PolicyRequest {
  /** The requester's user name; undefined when anonymous. */
  readonly user: string | undefined;
  /** `s3:GetObject`, ... */
  readonly action: string;
  /** `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key`. */
  readonly resource: string;
  readonly sourceIp: string;
}

interface Statement {
  readonly effect: 'Allow' | 'Deny';
  /** `undefined` entries stand for `*` (everyone, anonymous included). */
  readonly principals: readonly (string | undefined)[];
  readonly actions: readonly RegExp[];
  readonly resources: readonly RegExp[];
  readonly sourceIp?: { readonly negated: boolean; readonly ranges: BlockList };
}

export interface BucketPolicy {
  readonly statements: readonly Statement[];
  /** Whether some statement allows everyone without a condition (GetBucketPolicyStatus). */
  readonly isPublic: boolean;
}

const MAX_POLICY_BYTES = 20 * 1024;

function malformed(message: string): S3Error {
  return new S3Error('MalformedPolicy', message);
}

function listOf(value: unknown, what: string): unknown[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0) return value;
  throw malformed(`${what} must be a string or a non-empty list of strings`);
}

/** A glob of IAM (`*` any run, `?` one character) as an anchored RegExp. */
function glob(pattern: string, flags = ''): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, flags);
}

function principalsOf(value: unknown): (string | undefined)[] {
  if (value === '*') return [undefined];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed('Principal must be "*" or {"AWS": ...}');
  }
  const entries = Object.entries(value as Record<string, unknown>);
  const out: (string | undefined)[] = [];
  for (const [kind, ids] of entries) {
    if (kind !== 'AWS' && kind !== 'CanonicalUser') {
      throw new S3Error('NotImplemented', `Principal type ${kind} is not supported: use "AWS"`);
    }
    for (const id of listOf(ids, `Principal.${kind}`)) {
      if (typeof id !== 'string') throw malformed('A principal must be a string');
      if (id === '*') out.push(undefined);
      else {
        const user = /^arn:aws:iam::[^:]*:user\/(.+)$/.exec(id);
        if (!user && id.startsWith('arn:')) {
          throw malformed(`Invalid principal in policy: ${id} (use arn:aws:iam::<account>:user/<name>)`);
        }
        out.push(user ? user[1]! : id);
      }
    }
  }
  return out;
}

function conditionOf(value: unknown): Statement['sourceIp'] {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) throw malformed('Condition must be an object');
  let result: Statement['sourceIp'];
  for (const [operator, block] of Object.entries(value as Record<string, unknown>)) {
    if (
      (operator !== 'IpAddress' && operator !== 'NotIpAddress') ||
      typeof block !== 'object' ||
      block === null
    ) {
      throw new S3Error(
        'NotImplemented',
        `Condition operator ${operator} is not supported by the tierfs S3 gateway: only IpAddress and NotIpAddress on aws:SourceIp`,
      );
    }
    for (const [name, cidrs] of Object.entries(block as Record<string, unknown>)) {
      if (name.toLowerCase() !== 'aws:sourceip') {
        throw new S3Error('NotImplemented', `Condition key ${name} is not supported: only aws:SourceIp`);
      }
      if (result)
        throw new S3Error('NotImplemented', 'Only one aws:SourceIp condition per statement is supported');
      const ranges = new BlockList();
      for (const cidr of listOf(cidrs, name)) {
        const [address = '', bits] = String(cidr).split('/');
        const type = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
        const prefix = bits === undefined ? (type === 'ipv4' ? 32 : 128) : Number(bits);
        if (!type || !Number.isInteger(prefix) || prefix < 0 || prefix > (type === 'ipv4' ? 32 : 128)) {
          throw malformed(`Invalid IP address or range in aws:SourceIp: ${String(cidr)}`);
        }
        ranges.addSubnet(address, prefix, type);
      }
      result = { negated: operator === 'NotIpAddress', ranges };
    }
  }
  return result;
}

/** Parses and checks a policy document for `bucket`; MalformedPolicy or NotImplemented when it cannot be enforced. */
export function parsePolicy(text: string, bucket: string): BucketPolicy {
  if (Buffer.byteLength(text) > MAX_POLICY_BYTES) throw malformed('Policies must be at most 20 KB');
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw malformed('Policies must be valid JSON');
  }
  const raw = (document as { Statement?: unknown })?.Statement;
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) throw malformed('Missing required field Statement');
  const statements = list.map((item): Statement => {
    const s = item as Record<string, unknown>;
    for (const unsupported of ['NotPrincipal', 'NotAction', 'NotResource']) {
      if (unsupported in s)
        throw new S3Error('NotImplemented', `${unsupported} is not supported by the tierfs S3 gateway`);
    }
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw malformed('Effect must be Allow or Deny');
    if (s.Principal === undefined) throw malformed('Missing required field Principal');
    const actions = listOf(s.Action, 'Action').map((a) => {
      if (typeof a !== 'string' || !/^(s3:[A-Za-z*?]+|\*)$/.test(a))
        throw malformed(`Policy has invalid action: ${String(a)}`);
      return glob(a === '*' ? 's3:*' : a, 'i');
    });
    const resources = listOf(s.Resource, 'Resource').map((r) => {
      const m = typeof r === 'string' ? /^arn:aws:s3:::([^/]+)(\/.*)?$/.exec(r) : null;
      if (!m || !glob(m[1]!).test(bucket)) throw malformed(`Policy has invalid resource: ${String(r)}`);
      return glob(r as string);
    });
    return {
      effect: s.Effect,
      principals: principalsOf(s.Principal),
      actions,
      resources,
      sourceIp: conditionOf(s.Condition),
    };
  });
  const isPublic = statements.some(
    (s) => s.effect === 'Allow' && s.principals.includes(undefined) && !s.sourceIp,
  );
  return { statements, isPublic };
}

function ipMatches(ranges: BlockList, ip: string): boolean {
  const address = ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
  if (isIPv4(address)) return ranges.check(address, 'ipv4');
  return isIPv6(address) && ranges.check(address, 'ipv6');
}

/** What the policy says of a request: an explicit Deny wins, then an Allow; undefined when it says nothing. */
export function evaluatePolicy(policy: BucketPolicy, request: PolicyRequest): 'Allow' | 'Deny' | undefined {
  let allowed = false;
  for (const s of policy.statements) {
    if (!s.principals.some((p) => p === undefined || p === request.user)) continue;
    if (!s.actions.some((a) => a.test(request.action))) continue;
    if (!s.resources.some((r) => r.test(request.resource))) continue;
    if (s.sourceIp && ipMatches(s.sourceIp.ranges, request.sourceIp) === s.sourceIp.negated) continue;
    if (s.effect === 'Deny') return 'Deny';
    allowed = true;
  }
  return allowed ? 'Allow' : undefined;
}
