/**
 * Kodo failures as TierfsErrors. Kodo answers with an HTTP status that is often one of its own
 * codes (612 no such file, 614 exists, 631 no such bucket, 599 server failure) and a JSON body
 * `{"error": "..."}`. A 401 (bad token: a wrong AccessKey/SecretKey) names the bucket and key and
 * says which properties to check; 573/429 become RATE_LIMITED, 599 and 5xx UNAVAILABLE (both
 * retryable); the Kodo status goes into details.httpStatus for request logs.
 */
import { type ErrorCode, TierfsError, toTierfsError } from '../../errors.js';

const BY_STATUS: Record<number, ErrorCode> = {
  400: 'INVALID_ARGUMENT',
  401: 'PERMISSION_DENIED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  405: 'UNSUPPORTED',
  406: 'UNAVAILABLE', // crc32 / md5 mismatch: the bytes were damaged on the way, sending again helps
  413: 'INVALID_ARGUMENT',
  416: 'RANGE_NOT_SATISFIABLE',
  419: 'PERMISSION_DENIED',
  429: 'RATE_LIMITED',
  501: 'UNSUPPORTED',
  573: 'RATE_LIMITED',
  608: 'CONFLICT',
  612: 'NOT_FOUND',
  614: 'ALREADY_EXISTS',
  631: 'NOT_FOUND',
  640: 'INVALID_ARGUMENT',
  701: 'NOT_FOUND',
};

export function kodoErrorCode(status: number): ErrorCode {
  return BY_STATUS[status] ?? (status >= 500 ? 'UNAVAILABLE' : 'INTERNAL');
}

/** The `error` field of a Kodo error body (parsed JSON or raw text), else ''. */
export function kodoErrorMessage(body: unknown): string {
  if (typeof body === 'string') {
    try {
      return kodoErrorMessage(JSON.parse(body));
    } catch {
      return body.slice(0, 200);
    }
  }
  if (typeof body === 'object' && body !== null) {
    const error = (body as { error?: unknown }).error;
    if (typeof error === 'string') return error;
  }
  return '';
}

/** A Kodo answer with a non-2xx status as a TierfsError. */
export function kodoStatusError(
  status: number,
  body: unknown,
  operation: string,
  bucket: string,
  key?: string,
): TierfsError {
  const code = kodoErrorCode(status);
  const message = kodoErrorMessage(body);
  const where = `kodo://${bucket}/${key ?? ''}`;
  const details = { httpStatus: status, kodoError: message || undefined, bucket, key, operation };
  if (code === 'PERMISSION_DENIED') {
    return new TierfsError(
      'PERMISSION_DENIED',
      `Kodo refused ${operation} on ${where} (HTTP ${status}${message ? `: ${message}` : ''}). Check that ` +
        'fs.kodo.accesskey and fs.kodo.secretkey are the key pair of the account that owns bucket ' +
        `'${bucket}' (Qiniu Console, Key Management), and that the key pair is enabled.`,
      { details },
    );
  }
  if (status === 631) {
    return new TierfsError('NOT_FOUND', `Kodo bucket '${bucket}' does not exist (${operation} ${where})`, {
      details,
    });
  }
  return new TierfsError(code, `${operation} ${where}: Kodo HTTP ${status}${message ? `: ${message}` : ''}`, {
    details,
    retryable: code === 'UNAVAILABLE' || code === 'RATE_LIMITED',
  });
}

/** A failure without a Kodo answer (a refused connection, a reset, an abort) as a TierfsError. */
export function kodoTransportError(
  error: unknown,
  operation: string,
  bucket: string,
  key?: string,
): TierfsError {
  if (error instanceof TierfsError) return error;
  const where = `${operation} kodo://${bucket}/${key ?? ''}`;
  const wrapped = toTierfsError(error, where);
  if (
    wrapped.code === 'INTERNAL' &&
    /socket|ECONNRESET|ECONNREFUSED|premature close|other side closed|timeout|aborted/i.test(wrapped.message)
  ) {
    return new TierfsError('UNAVAILABLE', wrapped.message, { cause: error, retryable: true });
  }
  return wrapped;
}
