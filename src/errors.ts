/**
 * The one error type of tierfs. Every failure that reaches a user carries a stable code, the HTTP
 * status it maps to, whether retrying may help, and the error that caused it.
 */

/** Stable error codes: part of the public API, never renamed. */
export const ERROR_CODES = {
  NOT_FOUND: { status: 404, retryable: false },
  ALREADY_EXISTS: { status: 409, retryable: false },
  PERMISSION_DENIED: { status: 403, retryable: false },
  UNAUTHENTICATED: { status: 401, retryable: false },
  READ_ONLY: { status: 403, retryable: false },
  INVALID_ARGUMENT: { status: 400, retryable: false },
  CONFIG_INVALID: { status: 400, retryable: false },
  NOT_A_DIRECTORY: { status: 400, retryable: false },
  IS_A_DIRECTORY: { status: 400, retryable: false },
  DIRECTORY_NOT_EMPTY: { status: 409, retryable: false },
  RANGE_NOT_SATISFIABLE: { status: 416, retryable: false },
  PRECONDITION_FAILED: { status: 412, retryable: false },
  /**
   * The under store's object changed since tierfs read its metadata: a read pinned to a version
   * found another one (or none of that version). Not retryable as it stands: read the metadata
   * again and open the new version.
   */
  STALE: { status: 412, retryable: false },
  CONFLICT: { status: 409, retryable: false },
  UNSUPPORTED: { status: 501, retryable: false },
  RATE_LIMITED: { status: 503, retryable: true },
  UNAVAILABLE: { status: 503, retryable: true },
  TIMEOUT: { status: 504, retryable: true },
  ABORTED: { status: 499, retryable: false },
  INTERNAL: { status: 500, retryable: false },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface TierfsErrorOptions {
  cause?: unknown;
  /** Overrides the code's default. */
  retryable?: boolean;
  /** Structured facts for logs and HTTP bodies (never secrets). */
  details?: Record<string, string | number | boolean | undefined>;
}

const BRAND = Symbol.for('tierfs.error');

export class TierfsError extends Error {
  override readonly name = 'TierfsError';
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, string | number | boolean | undefined>;

  constructor(code: ErrorCode, message: string, options: TierfsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? ERROR_CODES[code].retryable;
    this.details = options.details ?? {};
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** The HTTP status this error maps to. */
  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }

  /** `instanceof` that survives two copies of tierfs in one process. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

export function isTierfsError(value: unknown, code?: ErrorCode): value is TierfsError {
  return value instanceof TierfsError && (code === undefined || value.code === code);
}

/** Node's system error codes that mean "the network hiccuped; try again". */
const RETRYABLE_SYSTEM_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const SYSTEM_CODE_MAP: Record<string, ErrorCode> = {
  ENOENT: 'NOT_FOUND',
  EEXIST: 'ALREADY_EXISTS',
  EACCES: 'PERMISSION_DENIED',
  EPERM: 'PERMISSION_DENIED',
  EROFS: 'READ_ONLY',
  ENOTDIR: 'NOT_A_DIRECTORY',
  EISDIR: 'IS_A_DIRECTORY',
  ENOTEMPTY: 'DIRECTORY_NOT_EMPTY',
  EINVAL: 'INVALID_ARGUMENT',
  ENAMETOOLONG: 'INVALID_ARGUMENT',
  ENOSPC: 'UNAVAILABLE',
  EXDEV: 'UNSUPPORTED',
};

/**
 * Wraps any thrown value as a TierfsError. Node system errors keep their meaning (ENOENT becomes
 * NOT_FOUND, ECONNRESET a retryable UNAVAILABLE); anything unknown becomes INTERNAL.
 * `what` names the object of the failed operation, e.g. "file:///data/a.txt".
 */
export function toTierfsError(error: unknown, what?: string): TierfsError {
  if (error instanceof TierfsError) return error;
  const sys = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const suffix = what ? `: ${what}` : '';
  if (typeof sys === 'string') {
    if (RETRYABLE_SYSTEM_CODES.has(sys)) {
      return new TierfsError('UNAVAILABLE', `${message}${suffix}`, { cause: error, retryable: true });
    }
    const code = SYSTEM_CODE_MAP[sys];
    if (code) return new TierfsError(code, `${describeSystemCode(sys)}${suffix}`, { cause: error });
  }
  if (error instanceof Error && error.name === 'AbortError') {
    return new TierfsError('ABORTED', `operation aborted${suffix}`, { cause: error });
  }
  return new TierfsError('INTERNAL', `${message}${suffix}`, { cause: error });
}

function describeSystemCode(code: string): string {
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EEXIST':
      return 'already exists';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOTDIR':
      return 'not a directory';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTEMPTY':
      return 'directory not empty';
    case 'ENOSPC':
      return 'no space left on device';
    case 'ENAMETOOLONG':
      return 'file name too long';
    default:
      return code;
  }
}
