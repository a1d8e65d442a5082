/**
 * Qiniu credentials checks, on node:crypto: upload tokens (`AK:sign:encodedPutPolicy`), management
 * authorization (`QBox AK:sign` and `Qiniu AK:sign`), and signed download URLs (`e` + `token`).
 * Every signature is HMAC-SHA1 with the secret key, URL-safe base64, compared in constant time.
 * Secret keys never leave this module: no message names one.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { badToken, KODO_STATUS, KodoError } from './errors.js';
import { fromUrlSafeBase64, toUrlSafeBase64 } from './url-safe-base64.js';

/** Access key → secret key. */
export type KodoUsers = ReadonlyMap<string, string>;

export function sign(secretKey: string, data: string | Buffer): string {
  return toUrlSafeBase64(createHmac('sha1', secretKey).update(data).digest());
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Splits `AK:sign` and proves the signature over one of `candidates`; returns the access key. */
function verifySigned(
  users: KodoUsers,
  credential: string,
  candidates: readonly (string | Buffer)[],
): string {
  const colon = credential.indexOf(':');
  if (colon <= 0) throw badToken();
  const accessKey = credential.slice(0, colon);
  const signature = credential.slice(colon + 1);
  const secretKey = users.get(accessKey);
  if (secretKey === undefined) throw badToken();
  let matched = false;
  // Check every candidate so the time taken does not tell which one matched.
  for (const candidate of candidates) matched = sameText(sign(secretKey, candidate), signature) || matched;
  if (!matched) throw badToken();
  return accessKey;
}

// --- Upload tokens -----------------------------------------------------------------------------

/** The put policy fields the gateway honours, narrowed from the token's JSON. */
export interface PutPolicy {
  readonly accessKey: string;
  readonly bucket: string;
  /** The key part of `bucket:key`, when the scope names one. */
  readonly scopeKey: string | undefined;
  readonly isPrefixalScope: boolean;
  /** Unix seconds. */
  readonly deadline: number;
  readonly insertOnly: boolean;
  readonly fsizeLimit: number | undefined;
  readonly returnBody: string | undefined;
  readonly endUser: string | undefined;
}

export function parseUploadToken(token: string | undefined, users: KodoUsers, nowMs = Date.now()): PutPolicy {
  if (!token) throw badToken('token not specified');
  const parts = token.split(':');
  if (parts.length !== 3) throw badToken();
  const [accessKey, signature, encodedPolicy] = parts as [string, string, string];
  verifySigned(users, `${accessKey}:${signature}`, [encodedPolicy]);
  const decoded = fromUrlSafeBase64(encodedPolicy);
  let raw: unknown;
  try {
    raw = decoded && JSON.parse(decoded.toString('utf8'));
  } catch {
    raw = undefined;
  }
  if (typeof raw !== 'object' || raw === null) throw badToken();
  const policy = raw as Record<string, unknown>;
  const scope = policy.scope;
  const deadline = policy.deadline;
  if (typeof scope !== 'string' || scope === '' || typeof deadline !== 'number') throw badToken();
  if (deadline * 1000 < nowMs) throw badToken('token out of date');
  if (typeof policy.callbackUrl === 'string' && policy.callbackUrl !== '') {
    throw new KodoError(
      KODO_STATUS.BAD_REQUEST,
      'upload callbacks (callbackUrl) are not supported by this gateway',
    );
  }
  const colon = scope.indexOf(':');
  return {
    accessKey,
    bucket: colon < 0 ? scope : scope.slice(0, colon),
    scopeKey: colon < 0 ? undefined : scope.slice(colon + 1),
    isPrefixalScope: Boolean(policy.isPrefixalScope),
    deadline,
    insertOnly: Boolean(policy.insertOnly),
    fsizeLimit:
      typeof policy.fsizeLimit === 'number' && policy.fsizeLimit > 0 ? policy.fsizeLimit : undefined,
    returnBody:
      typeof policy.returnBody === 'string' && policy.returnBody !== '' ? policy.returnBody : undefined,
    endUser: typeof policy.endUser === 'string' ? policy.endUser : undefined,
  };
}

/**
 * The key an upload under `policy` writes: the requested one, checked against the scope, or the
 * scope's key when none is requested. Undefined means "name it by its hash".
 */
export function resolveUploadKey(
  policy: PutPolicy,
  bucket: string,
  requested: string | undefined,
): string | undefined {
  if (bucket !== policy.bucket) throw new KodoError(KODO_STATUS.FORBIDDEN, "bucket doesn't match scope");
  if (policy.scopeKey === undefined) return requested;
  if (requested === undefined) {
    if (policy.isPrefixalScope) return undefined;
    return policy.scopeKey;
  }
  const allowed = policy.isPrefixalScope
    ? requested.startsWith(policy.scopeKey)
    : requested === policy.scopeKey;
  if (!allowed) throw new KodoError(KODO_STATUS.FORBIDDEN, "key doesn't match scope");
  return requested;
}

/** `Authorization: UpToken <token>` of resumable uploads. */
export function upTokenFromHeaders(headers: IncomingHttpHeaders): string | undefined {
  const value = headers.authorization;
  return value?.startsWith('UpToken ') ? value.slice('UpToken '.length).trim() : undefined;
}

// --- Management requests -----------------------------------------------------------------------

export interface ManagementRequest {
  readonly method: string;
  /** Path and query exactly as sent. */
  readonly rawUrl: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

const FORM_TYPE = 'application/x-www-form-urlencoded';
const QINIU_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
/** How far X-Qiniu-Date may be from the server's clock. */
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/** Title-Case per `-` segment, as Go's and the Node SDK's canonical header keys. */
function canonicalHeaderName(name: string): string {
  return name
    .split('-')
    .map((part) => (part === '' ? part : part[0]!.toUpperCase() + part.slice(1).toLowerCase()))
    .join('-');
}

/** Proves a `QBox` or `Qiniu` Authorization header; returns the access key. */
export function verifyManagementRequest(
  request: ManagementRequest,
  users: KodoUsers,
  nowMs = Date.now(),
): string {
  const authorization = request.headers.authorization ?? '';
  const contentType = request.headers['content-type']?.split(';')[0]?.trim() ?? '';
  if (authorization.startsWith('QBox ')) {
    const signed = Buffer.concat([
      Buffer.from(`${request.rawUrl}\n`),
      contentType === FORM_TYPE ? request.body : Buffer.alloc(0),
    ]);
    return verifySigned(users, authorization.slice(5).trim(), [signed]);
  }
  if (authorization.startsWith('Qiniu ')) {
    checkQiniuDate(request.headers['x-qiniu-date'], nowMs);
    const host = request.headers.host ?? '';
    const headerLines = Object.entries(request.headers)
      .filter(([name]) => name.toLowerCase().startsWith('x-qiniu-') && name.length > 'x-qiniu-'.length)
      .map(
        ([name, value]) => `${canonicalHeaderName(name)}: ${Array.isArray(value) ? value.join(',') : value}`,
      )
      .sort();
    const signedType = contentType === '' ? FORM_TYPE : contentType;
    const withHost = (h: string) =>
      Buffer.concat([
        Buffer.from(
          `${request.method.toUpperCase()} ${request.rawUrl}\nHost: ${h}\nContent-Type: ${signedType}` +
            (headerLines.length > 0 ? `\n${headerLines.join('\n')}` : '') +
            '\n\n',
        ),
        signedType === 'application/octet-stream' ? Buffer.alloc(0) : request.body,
      ]);
    // The Node SDK signs `host:port:port` when the URL names a port; accept that form too.
    const port = /:(\d+)$/.exec(host)?.[1];
    const candidates = port === undefined ? [withHost(host)] : [withHost(host), withHost(`${host}:${port}`)];
    return verifySigned(users, authorization.slice(6).trim(), candidates);
  }
  throw badToken(authorization === '' ? 'authorization not specified' : 'bad token');
}

function checkQiniuDate(value: string | string[] | undefined, nowMs: number): void {
  if (value === undefined) return;
  const match = typeof value === 'string' ? QINIU_DATE.exec(value) : null;
  const at = match
    ? Date.UTC(
        Number(match[1]),
        Number(match[2]) - 1,
        Number(match[3]),
        Number(match[4]),
        Number(match[5]),
        Number(match[6]),
      )
    : Number.NaN;
  if (!Number.isFinite(at) || Math.abs(at - nowMs) > MAX_CLOCK_SKEW_MS) {
    throw new KodoError(KODO_STATUS.FORBIDDEN, 'invalid X-Qiniu-Date');
  }
}

// --- Signed download URLs ----------------------------------------------------------------------

/**
 * Checks `…?e=<deadline>&token=AK:sign`: the signature covers the whole URL before `&token=`,
 * scheme and Host included (http or https, as the signer's domain said), and e must not be past.
 */
export function verifyDownloadUrl(
  host: string,
  rawUrl: string,
  users: KodoUsers,
  nowMs = Date.now(),
): string {
  const at = rawUrl.lastIndexOf('&token=');
  if (at < 0) throw badToken('download token not specified');
  const signedPart = rawUrl.slice(0, at);
  let token: string;
  try {
    token = decodeURIComponent(rawUrl.slice(at + '&token='.length));
  } catch {
    throw badToken();
  }
  const query = signedPart.includes('?') ? signedPart.slice(signedPart.indexOf('?') + 1) : '';
  const deadline = new URLSearchParams(query).get('e');
  if (deadline === null || !/^\d+$/.test(deadline)) throw badToken('download token has no deadline (e)');
  const accessKey = verifySigned(users, token, [
    `http://${host}${signedPart}`,
    `https://${host}${signedPart}`,
  ]);
  if (Number(deadline) * 1000 < nowMs) throw badToken('token out of date');
  return accessKey;
}
