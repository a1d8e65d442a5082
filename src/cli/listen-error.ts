/**
 * A server that cannot listen (the port is taken, or not permitted) reported as one line that names
 * the address and the property that chose the port, instead of Node's bare `listen EADDRINUSE`.
 */
import type { Configuration } from '../config/configuration.js';
import type { PropertyKey } from '../config/property.js';
import { TierfsError } from '../errors.js';

interface ListenFailure {
  readonly code?: string;
  readonly address?: string;
  readonly port?: number;
  readonly cause?: unknown;
}

/**
 * `error` itself unless it is (or was caused by) a listen failure. The message names the property
 * among `ports` that set the port (`hints` adds a word for particular ones), or says `otherwise`
 * when none did (a port given on the command line).
 */
export function explainListenError(
  error: unknown,
  conf: Configuration,
  ports: readonly PropertyKey<number>[],
  hints: Readonly<Record<string, string>> = {},
  otherwise = '',
): unknown {
  let failure = error as ListenFailure | undefined;
  while (failure && failure.code !== 'EADDRINUSE' && failure.code !== 'EACCES') {
    failure = failure.cause as ListenFailure | undefined;
  }
  if (!failure || failure.port === undefined) return error;
  const { code, address = 'localhost', port } = failure;
  const key = ports.find((k) => conf.require(k) === port)?.key;
  const why = code === 'EADDRINUSE' ? 'the port is in use by another process' : 'not permitted';
  const fix = key ? `; set ${key} to a free port${hints[key] ?? ''}` : otherwise;
  return new TierfsError('UNAVAILABLE', `cannot listen on ${address}:${port}: ${why}${fix}`, {
    cause: error,
    retryable: false,
  });
}
