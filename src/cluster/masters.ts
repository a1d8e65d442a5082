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
 */
import type { Configuration } from '../config/configuration.js';
import { MASTER_HOSTNAME, MASTER_RPC_ADDRESSES, MASTER_RPC_PORT } from '../config/keys/core.js';
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
}

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

  /** `addresses`: a list, or one string of comma-separated addresses. */
  constructor(addresses: string | readonly string[], options: MastersOptions = {}) {
    this.addresses = parseMasterAddresses(typeof addresses === 'string' ? addresses : addresses.join(','));
    this.rounds = options.rounds ?? 4;
    this.pauseMs = options.pauseMs ?? 250;
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
        return await callJson<T>(method, `${this.addresses[index]}${path}`, options);
      } catch (error) {
        const reason = movesOn(error, idempotent);
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
