/**
 * S3 Object Lock: a bucket's lock configuration (enabled, and an optional default retention) and
 * what it means for each version — a retention (GOVERNANCE or COMPLIANCE until a date) and a legal
 * hold, kept with the version's headers (so in its object record while current and in its version
 * row once noncurrent: they move with it and survive a restart).
 *
 * A locked version cannot be deleted by id (AccessDenied); a DELETE without a version id only adds
 * a delete marker. COMPLIANCE retention is never shortened, removed or weakened; GOVERNANCE only
 * with `x-amz-bypass-governance-retention: true` by a requester allowed s3:BypassGovernanceRetention.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { BucketSettings } from './bucket-settings.js';
import { S3Error } from './errors.js';
import type { ObjectHeaders } from './metadata-store.js';
import { childOf, parseXml, textOf, type XmlNode } from './xml.js';

export type RetentionMode = 'GOVERNANCE' | 'COMPLIANCE';
export type LegalHoldStatus = 'ON' | 'OFF';

export interface DefaultRetention {
  readonly mode: RetentionMode;
  readonly days?: number;
  readonly years?: number;
}

export interface LockConfiguration {
  /** Absent: lock is enabled, without a default retention. */
  readonly rule?: DefaultRetention;
}

/** The lock fields of an object version's headers. */
export type LockHeaders = Pick<ObjectHeaders, 'lockMode' | 'lockRetainUntil' | 'legalHold'>;

const MODES: readonly string[] = ['GOVERNANCE', 'COMPLIANCE'];
const DAY_MS = 86_400_000;

function missingConfiguration(): S3Error {
  return new S3Error('InvalidRequest', 'Bucket is missing Object Lock Configuration');
}

/** The bucket's lock configuration, or undefined when object lock is not enabled on it. */
export function lockConfiguration(settings: BucketSettings, bucket: string): LockConfiguration | undefined {
  const value = settings.get(bucket, 'objectLock');
  return value === undefined ? undefined : (JSON.parse(value) as LockConfiguration);
}

export function setLockConfiguration(
  settings: BucketSettings,
  bucket: string,
  config: LockConfiguration,
): void {
  settings.set(bucket, 'objectLock', JSON.stringify(config));
}

/** The lock configuration of a lock-enabled bucket; InvalidRequest (as S3) for any other. */
export function requireLock(settings: BucketSettings, bucket: string): LockConfiguration {
  const config = lockConfiguration(settings, bucket);
  if (!config) throw missingConfiguration();
  return config;
}

function positiveInteger(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text.trim());
  if (!Number.isInteger(n) || n <= 0) {
    throw new S3Error(
      'InvalidRetentionPeriod',
      `Default retention period must be a positive integer (${name})`,
    );
  }
  return n;
}

/** A PutObjectLockConfiguration body. */
export function parseLockConfiguration(text: string): LockConfiguration {
  const body = parseXml(text, 'ObjectLockConfiguration');
  if (textOf(body, 'ObjectLockEnabled') !== 'Enabled') {
    throw new S3Error('MalformedXML', 'ObjectLockEnabled must be Enabled');
  }
  if (body.Rule === undefined) return {};
  const retention = childOf(childOf(body, 'Rule'), 'DefaultRetention');
  const mode = textOf(retention, 'Mode');
  if (mode === undefined || !MODES.includes(mode)) {
    throw new S3Error('MalformedXML', 'DefaultRetention Mode must be GOVERNANCE or COMPLIANCE');
  }
  const days = textOf(retention, 'Days');
  const years = textOf(retention, 'Years');
  if ((days === undefined) === (years === undefined)) {
    throw new S3Error('MalformedXML', 'DefaultRetention needs exactly one of Days or Years');
  }
  const rule: DefaultRetention = {
    mode: mode as RetentionMode,
    ...(days !== undefined ? { days: positiveInteger(days, 'Days') } : {}),
    ...(years !== undefined ? { years: positiveInteger(years, 'Years') } : {}),
  };
  return { rule };
}

/** The GetObjectLockConfiguration body. */
export function lockConfigurationXml(config: LockConfiguration): XmlNode {
  const rule = config.rule;
  return {
    ObjectLockEnabled: 'Enabled',
    ...(rule
      ? {
          Rule: {
            DefaultRetention: {
              Mode: rule.mode,
              ...(rule.days !== undefined ? { Days: rule.days } : {}),
              ...(rule.years !== undefined ? { Years: rule.years } : {}),
            },
          },
        }
      : {}),
  };
}

/** Milliseconds of an ISO 8601 date, or InvalidArgument naming `what`. */
function dateMs(text: string, what: string): number {
  const ms = Date.parse(text.trim());
  if (Number.isNaN(ms)) throw new S3Error('InvalidArgument', `${what} must be an ISO 8601 date, not ${text}`);
  return ms;
}

function futureDate(text: string, what: string, now: number): string {
  const ms = dateMs(text, what);
  if (ms <= now) throw new S3Error('InvalidArgument', 'The retain until date must be in the future!');
  return new Date(ms).toISOString();
}

function one(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** Whether a request carries a Content-MD5 or an x-amz-checksum-* header, as S3 requires of lock writes. */
export function hasIntegrityHeader(headers: IncomingHttpHeaders): boolean {
  return (
    headers['content-md5'] !== undefined ||
    Object.keys(headers).some((name) => name.startsWith('x-amz-checksum-'))
  );
}

/**
 * The lock of a new version (PutObject, CopyObject, CreateMultipartUpload, POST): the
 * x-amz-object-lock-* headers, else the bucket's default retention from now. InvalidRequest when
 * the bucket has no object lock and the headers ask for one.
 */
export function lockForWrite(
  settings: BucketSettings,
  bucket: string,
  headers: IncomingHttpHeaders,
  now = Date.now(),
): LockHeaders {
  const mode = one(headers, 'x-amz-object-lock-mode');
  const until = one(headers, 'x-amz-object-lock-retain-until-date');
  const hold = one(headers, 'x-amz-object-lock-legal-hold');
  const config = lockConfiguration(settings, bucket);
  const asked = mode !== undefined || until !== undefined || hold !== undefined;
  if (!config) {
    if (asked) throw missingConfiguration();
    return {};
  }
  if ((mode === undefined) !== (until === undefined)) {
    throw new S3Error(
      'InvalidArgument',
      'x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied',
    );
  }
  if (mode !== undefined && !MODES.includes(mode)) {
    throw new S3Error('InvalidArgument', `Unknown wormMode directive ${mode}: use GOVERNANCE or COMPLIANCE`);
  }
  if (hold !== undefined && hold !== 'ON' && hold !== 'OFF') {
    throw new S3Error('InvalidArgument', `x-amz-object-lock-legal-hold must be ON or OFF, not ${hold}`);
  }
  const out: { lockMode?: RetentionMode; lockRetainUntil?: string; legalHold?: LegalHoldStatus } = {};
  if (mode !== undefined && until !== undefined) {
    out.lockMode = mode as RetentionMode;
    out.lockRetainUntil = futureDate(until, 'x-amz-object-lock-retain-until-date', now);
  } else if (config.rule) {
    out.lockMode = config.rule.mode;
    out.lockRetainUntil = defaultRetainUntil(config.rule, now);
  }
  if (hold !== undefined) out.legalHold = hold as LegalHoldStatus;
  return out;
}

/** The end of a default retention starting at `now` (a year is 365 days, as S3 counts). */
export function defaultRetainUntil(rule: DefaultRetention, now: number): string {
  const days = rule.days ?? (rule.years ?? 0) * 365;
  return new Date(now + days * DAY_MS).toISOString();
}

/** `headers` without any lock fields (a copy does not inherit its source's lock). */
export function withoutLock(headers: ObjectHeaders): ObjectHeaders {
  const { lockMode: _mode, lockRetainUntil: _until, legalHold: _hold, ...rest } = headers;
  return rest;
}

/** The x-amz-object-lock-* headers of a GET or HEAD answer. */
export function lockResponseHeaders(headers: ObjectHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers.lockMode !== undefined && headers.lockRetainUntil !== undefined) {
    out['x-amz-object-lock-mode'] = headers.lockMode;
    out['x-amz-object-lock-retain-until-date'] = headers.lockRetainUntil;
  }
  if (headers.legalHold !== undefined) out['x-amz-object-lock-legal-hold'] = headers.legalHold;
  return out;
}

/** Whether a version's retention still holds at `now`. */
function retained(headers: ObjectHeaders, now: number): boolean {
  return headers.lockRetainUntil !== undefined && Date.parse(headers.lockRetainUntil) > now;
}

/**
 * AccessDenied unless the version may be deleted (or overwritten in place): no legal hold, and no
 * retention in force (GOVERNANCE only when `bypass`, the requester's checked right to bypass it).
 */
export function checkDeletable(headers: ObjectHeaders, bypass: boolean, now = Date.now()): void {
  if (headers.legalHold === 'ON') {
    throw new S3Error('AccessDenied', 'Access Denied because object protected by object lock (legal hold)');
  }
  if (!retained(headers, now)) return;
  if (headers.lockMode === 'GOVERNANCE' && bypass) return;
  throw new S3Error(
    'AccessDenied',
    `Access Denied because object protected by object lock (${headers.lockMode})`,
  );
}

export interface Retention {
  readonly mode: RetentionMode;
  readonly retainUntil: string;
}

/** A PutObjectRetention body: a retention, or undefined (an empty `<Retention/>`) to remove it. */
export function parseRetention(text: string, now = Date.now()): Retention | undefined {
  const body = parseXml(text, 'Retention');
  const mode = textOf(body, 'Mode');
  const until = textOf(body, 'RetainUntilDate');
  if (mode === undefined && until === undefined) return undefined;
  if (mode === undefined || !MODES.includes(mode)) {
    throw new S3Error('MalformedXML', 'Retention Mode must be GOVERNANCE or COMPLIANCE');
  }
  if (until === undefined) throw new S3Error('MalformedXML', 'Retention needs a RetainUntilDate');
  return { mode: mode as RetentionMode, retainUntil: futureDate(until, 'RetainUntilDate', now) };
}

/**
 * AccessDenied unless a version's retention may become `next`: anything once the current one has
 * expired; under COMPLIANCE only COMPLIANCE until the same date or later; under GOVERNANCE the same
 * or a later date in GOVERNANCE, anything else only when `bypass`.
 */
export function checkRetentionChange(
  headers: ObjectHeaders,
  next: Retention | undefined,
  bypass: boolean,
  now = Date.now(),
): void {
  if (!retained(headers, now)) return;
  const current = Date.parse(headers.lockRetainUntil!);
  const extends_ =
    next !== undefined && next.mode === headers.lockMode && Date.parse(next.retainUntil) >= current;
  if (extends_) return;
  if (headers.lockMode === 'GOVERNANCE' && bypass) return;
  throw new S3Error(
    'AccessDenied',
    `Access Denied: the ${headers.lockMode} retention of this object can only be extended${headers.lockMode === 'GOVERNANCE' ? ' without x-amz-bypass-governance-retention' : ''}`,
  );
}

/** A PutObjectLegalHold body. */
export function parseLegalHold(text: string): LegalHoldStatus {
  const status = textOf(parseXml(text, 'LegalHold'), 'Status');
  if (status !== 'ON' && status !== 'OFF')
    throw new S3Error('MalformedXML', 'LegalHold Status must be ON or OFF');
  return status;
}
