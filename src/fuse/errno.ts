/**
 * tierfs error codes as the errno a FUSE operation answers with. Failures of the cluster itself
 * (unavailable, timed out, internal) are EIO and are logged; the answers a program expects (not
 * found, permission denied, exists...) are not.
 */
import { type ErrorCode, isTierfsError } from '../errors.js';

/** Linux errno values (fuse-native answers with their negatives). */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EIO: 5,
  EBADF: 9,
  EAGAIN: 11,
  EACCES: 13,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENOSPC: 28,
  EROFS: 30,
  ENAMETOOLONG: 36,
  ENOTEMPTY: 39,
  ENOTSUP: 95,
  ETIMEDOUT: 110,
  ESTALE: 116,
} as const;

export type ErrnoName = keyof typeof ERRNO;

const BY_CODE: Record<ErrorCode, ErrnoName> = {
  NOT_FOUND: 'ENOENT',
  ALREADY_EXISTS: 'EEXIST',
  PERMISSION_DENIED: 'EACCES',
  UNAUTHENTICATED: 'EACCES',
  READ_ONLY: 'EROFS',
  INVALID_ARGUMENT: 'EINVAL',
  CONFIG_INVALID: 'EINVAL',
  NOT_A_DIRECTORY: 'ENOTDIR',
  IS_A_DIRECTORY: 'EISDIR',
  DIRECTORY_NOT_EMPTY: 'ENOTEMPTY',
  RANGE_NOT_SATISFIABLE: 'EINVAL',
  PRECONDITION_FAILED: 'ESTALE',
  STALE: 'ESTALE',
  CONFLICT: 'EBUSY',
  UNSUPPORTED: 'ENOTSUP',
  RATE_LIMITED: 'EAGAIN',
  UNAVAILABLE: 'EIO',
  TIMEOUT: 'ETIMEDOUT',
  ABORTED: 'EINTR',
  INTERNAL: 'EIO',
};

/** Codes that mean the cluster failed rather than answered: worth a line in the mount's log. */
const LOGGED: ReadonlySet<ErrorCode> = new Set([
  'UNAVAILABLE',
  'TIMEOUT',
  'INTERNAL',
  'RATE_LIMITED',
  'STALE',
  'PRECONDITION_FAILED',
  'UNAUTHENTICATED',
]);

/** Thrown by the FUSE operations for an answer of their own (EBADF, ENOTSUP...). */
export class FuseError extends Error {
  override readonly name = 'FuseError';
  constructor(
    readonly errno: ErrnoName,
    message: string,
    /** Whether the mount's log gets a line for it (what tierfs cannot do is logged once per call). */
    readonly logged = false,
  ) {
    super(message);
  }
}

export interface ErrnoAnswer {
  readonly name: ErrnoName;
  /** The negative errno fuse-native expects. */
  readonly errno: number;
  readonly logged: boolean;
}

/** The errno answering a failure, and whether it deserves a log line. */
export function errnoOf(error: unknown): ErrnoAnswer {
  let name: ErrnoName = 'EIO';
  let logged = true;
  if (error instanceof FuseError) {
    name = error.errno;
    logged = error.logged;
  } else if (isTierfsError(error)) {
    name = BY_CODE[error.code];
    logged = LOGGED.has(error.code);
  }
  return { name, errno: -ERRNO[name], logged };
}
