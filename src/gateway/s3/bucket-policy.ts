/**
 * Bucket policies, the subset the gateway enforces: statements with Effect Allow or Deny, a
 * Principal of `*` or users (`{"AWS": "arn:aws:iam::<account>:user/<name>"}`, a bare user name,
 * or `*`), Actions (`s3:GetObject`, `s3:*`, `s3:Get*`, ...), Resources in this bucket (ARNs with
 * `*` and `?` wildcards) and Conditions (policy-conditions.ts: the IAM operators over the keys a
 * request fills in). Anything else (NotPrincipal, NotAction, NotResource, other operators or keys)
 * is refused when the policy is put, never silently ignored.
 */
import { S3Error } from './errors.js';
import {
  type Condition,
  type ConditionValues,
  conditionsHold,
  glob,
  parseConditions,
} from './policy-conditions.js';

export interface PolicyRequest {
  /** The requester's user name; undefined when anonymous. */
  readonly user: string | undefined;
  /** `s3:GetObject`, ... */
  readonly action: string;
  /** `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key`. */
  readonly resource: string;
  /** The request's values of condition keys (see policy-conditions.ts). */
  readonly values: ConditionValues;
}

interface Statement {
  readonly effect: 'Allow' | 'Deny';
  /** `undefined` entries stand for `*` (everyone, anonymous included). */
  readonly principals: readonly (string | undefined)[];
  readonly actions: readonly RegExp[];
  readonly resources: readonly RegExp[];
  readonly conditions: readonly Condition[];
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
        // A user ARN names that user; an account's root names the user of that name (each gateway
        // user is its own account, as its canonical id is its name).
        const user = /^arn:aws:iam::[^:]*:user\/(.+)$/.exec(id) ?? /^arn:aws:iam::([^:]+):root$/.exec(id);
        if (!user && id.startsWith('arn:')) {
          throw malformed(
            `Invalid principal in policy: ${id} (use arn:aws:iam::<account>:user/<name> or arn:aws:iam::<user>:root)`,
          );
        }
        out.push(user ? user[1]! : id);
      }
    }
  }
  return out;
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
    if ('NotPrincipal' in s && s.Effect === 'Allow') {
      // IAM takes NotPrincipal with Deny only; "everyone but" in an Allow is refused as on AWS.
      throw malformed('NotPrincipal can only be used with "Effect": "Deny"');
    }
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
      conditions: parseConditions(s.Condition),
    };
  });
  const isPublic = statements.some(
    (s) => s.effect === 'Allow' && s.principals.includes(undefined) && s.conditions.length === 0,
  );
  return { statements, isPublic };
}

/** What the policy says of a request: an explicit Deny wins, then an Allow; undefined when it says nothing. */
export function evaluatePolicy(policy: BucketPolicy, request: PolicyRequest): 'Allow' | 'Deny' | undefined {
  let allowed = false;
  for (const s of policy.statements) {
    if (!s.principals.some((p) => p === undefined || p === request.user)) continue;
    if (!s.actions.some((a) => a.test(request.action))) continue;
    if (!s.resources.some((r) => r.test(request.resource))) continue;
    if (!conditionsHold(s.conditions, request.values)) continue;
    if (s.effect === 'Deny') return 'Deny';
    allowed = true;
  }
  return allowed ? 'Allow' : undefined;
}
