/**
 * The masters of a cluster as their callers (clients, workers, the CLI, the gateways) see them: a
 * list of addresses (`tierfs.master.rpc.addresses`, `host:port,host:port`). Calls go to the master
 * that answered last; when it cannot be reached they move on to the next, round the list, a
 * bounded number of times with a growing pause between rounds.
 *
 * A call moves on only when the master surely did not apply it, or applying it twice is harmless:
 * - the connection was refused or could not be opened: the request never reached a master;
 * - the connection broke or timed out after the request was sent, or a master answered 503
 *   UNAVAILABLE: only an idempotent call is sent again (the caller says which ones are).
 * Every other answer is the cluster's answer and returned as it is.
 *
 * A master that is up but hung (stopped, swapping, its event loop stuck) accepts connections and
 * never answers, so a call to it would wait out the long call timeout (60 s, which a long
 * operation may need). Instead, a call with no answer after `healthCheckAfterMs` makes the caller
 * ask that master's health route, which any live master answers at once; when that gets no answer
 * in `healthCheckTimeoutMs` the master counts as hung: the call is given up, later calls go to the
 * next master, and the call itself is sent there too when it is safe twice. A master that answers
 * its health check is waited for, and checked again every `healthCheckAfterMs`. A caller that knows
 * one master only waits for it.
 */
import type { Configuration } from '../config/configuration.js';
import {
  MASTER_HOSTNAME,
  MASTER_RPC_ADDRESSES,
  MASTER_RPC_PORT,
  USER_RPC_HEALTH_CHECK_AFTER,
  USER_RPC_HEALTH_CHECK_TIMEOUT,
} from '../config/keys/core.js';
import { TierfsError } from '../errors.js';
import { type CallOptions, callJson } from './rpc.js';

/** Errors of a connection that never carried the request. */
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'UND_ERR_CONNECT_TIMEOUT',
]);

export interface MastersOptions {
  /** Rounds through the whole list before giving up. */
  readonly rounds?: number;
  /** Pause after the first round that found no master; doubled after each further one. */
  readonly pauseMs?: number;
  /** A call with no answer this long checks its master's health (0: never); default 2 s. */
  readonly healthCheckAfterMs?: number;
  /** A health check with no answer this long marks its master hung; default 2 s. */
  readonly healthCheckTimeoutMs?: number;
}

/** The failover timings a configuration sets (`tierfs.user.rpc.health.check.*`). */
export function mastersOptionsOf(conf: Configuration): MastersOptions {
  return {
    healthCheckAfterMs: conf.require(USER_RPC_HEALTH_CHECK_AFTER),
    healthCheckTimeoutMs: conf.require(USER_RPC_HEALTH_CHECK_TIMEOUT),
  };
}

/** The cause of a call given up because its master stopped answering. */
const HUNG = 'EMASTERHUNG';

/** `host:port` or `http://host:port`, comma-separated, as http origins without a trailing slash. */
export function parseMasterAddresses(list: string): string[] {
  const addresses = list
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '')
    .map((a) => (/^https?:\/\//.test(a) ? a : `http://${a}`).replace(/\/+$/, ''));
  for (const address of addresses) {
    let url: URL;
    try {
      url = new URL(address);
    } catch {
      url = new URL('http://invalid');
    }
    if (url.hostname === 'invalid' || url.port === '' || url.pathname !== '/') {
      throw new TierfsError(
        'INVALID_ARGUMENT',
        `'${address}' is not a master address: write host:port (several as host:port,host:port)`,
      );
    }
  }
  if (addresses.length === 0) throw new TierfsError('INVALID_ARGUMENT', 'no master address given');
  return addresses;
}

/**
 * The masters a configuration names: `tierfs.master.rpc.addresses` when set, else the one at
 * `tierfs.master.hostname`:`tierfs.master.rpc.port`; comma-separated, for `new Masters`.
 */
export function masterAddressesOf(conf: Configuration): string {
  const listed = conf.get(MASTER_RPC_ADDRESSES);
  if (listed && listed.length > 0) {
    try {
      return parseMasterAddresses(listed.join(',')).join(',');
    } catch (error) {
      throw new TierfsError('CONFIG_INVALID', `${MASTER_RPC_ADDRESSES.key}: ${(error as Error).message}`);
    }
  }
  return `http://${conf.require(MASTER_HOSTNAME)}:${conf.require(MASTER_RPC_PORT)}`;
}

export class Masters {
  readonly addresses: readonly string[];
  private current = 0;
  private readonly rounds: number;
  private readonly pauseMs: number;
  private readonly healthCheckAfterMs: number;
  private readonly healthCheckTimeoutMs: number;

  /** `addresses`: a list, or one string of comma-separated addresses. */
  constructor(addresses: string | readonly string[], options: MastersOptions = {}) {
    this.addresses = parseMasterAddresses(typeof addresses === 'string' ? addresses : addresses.join(','));
    this.rounds = options.rounds ?? 4;
    this.pauseMs = options.pauseMs ?? 250;
    this.healthCheckAfterMs = options.healthCheckAfterMs ?? 2000;
    this.healthCheckTimeoutMs = options.healthCheckTimeoutMs ?? 2000;
  }

  /** The master calls go to now. */
  get address(): string {
    return this.addresses[this.current]!;
  }

  /** A JSON call to whichever master answers; `idempotent` ones also survive a master dying mid-call. */
  async call<T>(
    method: 'GET' | 'POST',
    path: string,
    options: CallOptions & { readonly idempotent?: boolean } = {},
  ): Promise<T> {
    const idempotent = options.idempotent ?? method === 'GET';
    const tries = this.addresses.length * this.rounds;
    let lastError: unknown;
    let answered = 0;
    for (let attempt = 0; attempt < tries; attempt++) {
      if (attempt > 0 && attempt % this.addresses.length === 0) {
        const round = attempt / this.addresses.length;
        await new Promise((resolve) => setTimeout(resolve, this.pauseMs * 2 ** (round - 1)));
      }
      const index = this.current;
      try {
        return await this.watched<T>(method, this.addresses[index]!, path, options);
      } catch (error) {
        const reason = movesOn(error, idempotent);
        if (reason === 'stay' && hung(error)) {
          // Its outcome is unknown, but later calls should not wait for that master either.
          if (this.current === index) this.current = (index + 1) % this.addresses.length;
          throw new TierfsError(
            'UNAVAILABLE',
            `${(error as Error).message}; the call may or may not have been applied (it is not safe to send twice)`,
            { cause: error, retryable: true },
          );
        }
        // A master that answered 503 is up: each one is asked once, not round after round.
        if (reason === 'stay' || (reason === 'answered' && ++answered >= this.addresses.length)) throw error;
        lastError = error;
        // Another call may have moved on already: move only from the master that failed.
        if (this.current === index) this.current = (index + 1) % this.addresses.length;
      }
    }
    // With one master the reason alone says it all.
    if (this.addresses.length === 1) throw lastError;
    throw new TierfsError(
      'UNAVAILABLE',
      `no master answered (${this.addresses.join(', ')}): ${(lastError as Error).message}`,
      { cause: lastError, retryable: true },
    );
  }

  /** One call to one master, given up when the master stops answering its health checks. */
  private async watched<T>(
    method: 'GET' | 'POST',
    address: string,
    path: string,
    options: CallOptions,
  ): Promise<T> {
    // With one master there is nowhere else to go: waiting is all a caller can do.
    if (this.healthCheckAfterMs <= 0 || this.addresses.length === 1 || path === HEALTH) {
      return callJson<T>(method, `${address}${path}`, options);
    }
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const check = () => {
      timer = setTimeout(() => {
        callJson('GET', `${address}${HEALTH}`, { timeoutMs: this.healthCheckTimeoutMs }).then(
          () => {
            if (!done) check();
          },
          (error: unknown) => {
            const reason = new TierfsError(
              'UNAVAILABLE',
              `the master at ${address} stopped answering (no answer to a call in ${this.healthCheckAfterMs} ms, nor to its health check in ${this.healthCheckTimeoutMs} ms)`,
              { cause: error, retryable: true },
            );
            Object.assign(reason, { hung: HUNG });
            controller.abort(reason);
          },
        );
      }, this.healthCheckAfterMs);
      timer.unref();
    };
    check();
    try {
      return await callJson<T>(method, `${address}${path}`, { ...options, signal: controller.signal });
    } finally {
      done = true;
      clearTimeout(timer);
    }
  }
}

const HEALTH = '/api/v1/health';

/** Whether a call was given up because its master stopped answering. */
function hung(error: unknown): boolean {
  return (error as { cause?: { hung?: string } }).cause?.hung === HUNG;
}

/** Whether a failed call goes to the next master: unreachable, answered 503, or final. */
function movesOn(error: unknown, idempotent: boolean): 'unreachable' | 'answered' | 'stay' {
  if (!(error instanceof TierfsError) || error.code !== 'UNAVAILABLE') return 'stay';
  // rpc.ts gives the connection's own error as the cause of an UNAVAILABLE it could not send or finish.
  const cause = error.cause as { code?: string; cause?: { code?: string } } | undefined;
  if (cause === undefined) return idempotent ? 'answered' : 'stay';
  const code = cause.code ?? cause.cause?.code;
  if (code && NOT_SENT.has(code)) return 'unreachable';
  return idempotent ? 'unreachable' : 'stay';
}
