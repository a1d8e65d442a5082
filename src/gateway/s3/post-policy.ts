/**
 * The policy of a browser form upload (POST object): a base64 JSON document with an
 * `expiration` and `conditions` the form must meet, as S3 checks it: `{"field": value}` and
 * `["eq", "$field", value]` match exactly, `["starts-with", "$field", prefix]` by prefix,
 * `["content-length-range", min, max]` bounds the file's size; condition names and operators are
 * case-insensitive, the document's own keys are not. Every form field but the exempt ones must be
 * named by a condition, and so must the bucket.
 */
import { S3Error } from './errors.js';

export type PolicyCondition =
  | { readonly kind: 'eq' | 'starts-with'; readonly field: string; readonly value: string }
  | { readonly kind: 'content-length-range'; readonly min: number; readonly max: number };

export interface PostPolicy {
  readonly expirationMs: number;
  readonly conditions: readonly PolicyCondition[];
}

/** Form fields that no condition needs to name. */
const EXEMPT = new Set(['policy', 'signature', 'awsaccesskeyid', 'x-amz-signature', 'file']);

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

function invalid(message: string): S3Error {
  return new S3Error('InvalidPolicyDocument', `Invalid Policy: ${message}`);
}

function bound(value: unknown, what: string): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw invalid(
      `content-length-range ${what} must be a non-negative whole number, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

function fieldName(reference: unknown): string {
  if (typeof reference !== 'string' || !reference.startsWith('$') || reference.length < 2) {
    throw invalid(`a condition names its field as "$name", got ${JSON.stringify(reference)}`);
  }
  return reference.slice(1).toLowerCase();
}

function parseCondition(raw: unknown): PolicyCondition[] {
  if (Array.isArray(raw)) {
    const op = typeof raw[0] === 'string' ? raw[0].toLowerCase() : '';
    if (op === 'content-length-range') {
      if (raw.length !== 3) throw invalid('content-length-range takes a minimum and a maximum');
      const min = bound(raw[1], 'minimum');
      const max = bound(raw[2], 'maximum');
      if (min > max) throw invalid('content-length-range minimum is larger than its maximum');
      return [{ kind: op, min, max }];
    }
    if (op !== 'eq' && op !== 'starts-with') {
      throw invalid(
        `unknown condition ${JSON.stringify(raw[0])} (use eq, starts-with or content-length-range)`,
      );
    }
    if (raw.length !== 3 || typeof raw[2] !== 'string') {
      throw invalid(`${op} takes a "$field" and a string, got ${JSON.stringify(raw)}`);
    }
    return [{ kind: op, field: fieldName(raw[1]), value: raw[2] }];
  }
  if (typeof raw === 'object' && raw !== null) {
    const entries = Object.entries(raw);
    if (entries.length === 0) throw invalid('a condition is an empty object');
    return entries.map(([name, value]) => {
      if (typeof value !== 'string') throw invalid(`the condition on ${name} must be a string`);
      return { kind: 'eq', field: name.toLowerCase(), value };
    });
  }
  throw invalid(`a condition must be an object or an array, got ${JSON.stringify(raw)}`);
}

/** Decodes and checks the document's form (InvalidPolicyDocument, 400). */
export function parsePostPolicy(base64: string): PostPolicy {
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(base64, 'base64').toString('utf8'));
  } catch {
    throw invalid('the policy field is not base64-encoded JSON');
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw invalid('the policy must be a JSON object');
  }
  const { expiration, conditions } = document as Record<string, unknown>;
  if (typeof expiration !== 'string')
    throw invalid('Policy missing expiration (a string, e.g. 2030-01-01T00:00:00Z)');
  if (!ISO_8601.test(expiration)) {
    throw invalid(`expiration must be an ISO 8601 UTC time like 2030-01-01T00:00:00Z, got "${expiration}"`);
  }
  if (!Array.isArray(conditions)) throw invalid('Policy missing conditions (an array)');
  return { expirationMs: Date.parse(expiration), conditions: conditions.flatMap(parseCondition) };
}

function denied(message: string): S3Error {
  return new S3Error('AccessDenied', `Invalid according to Policy: ${message}`);
}

/**
 * Checks the form against the policy (AccessDenied, 403): not expired, every condition met by the
 * field's value (`fields` has lower-case names, the bucket and the key as stored included), every
 * field but the exempt and `x-ignore-*` ones named by a condition.
 */
export function checkPostPolicy(policy: PostPolicy, fields: ReadonlyMap<string, string>, now: number): void {
  if (now > policy.expirationMs) throw denied('Policy expired.');
  const named = new Set<string>();
  for (const condition of policy.conditions) {
    if (condition.kind === 'content-length-range') continue;
    named.add(condition.field);
    const value = fields.get(condition.field) ?? '';
    const met = condition.kind === 'eq' ? value === condition.value : value.startsWith(condition.value);
    if (!met) {
      throw denied(
        `Policy Condition failed: ["${condition.kind}", "$${condition.field}", ${JSON.stringify(condition.value)}]`,
      );
    }
  }
  for (const name of fields.keys()) {
    if (EXEMPT.has(name) || name.startsWith('x-ignore-') || named.has(name)) continue;
    throw denied(`Extra input fields: ${name}`);
  }
}

/** The policy's bounds on the file's size, if it sets any (the narrowest of several). */
export function lengthRange(policy: PostPolicy): { min: number; max: number } | undefined {
  let range: { min: number; max: number } | undefined;
  for (const c of policy.conditions) {
    if (c.kind !== 'content-length-range') continue;
    range = range
      ? { min: Math.max(range.min, c.min), max: Math.min(range.max, c.max) }
      : { min: c.min, max: c.max };
  }
  return range;
}
