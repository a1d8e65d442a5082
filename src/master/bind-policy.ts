/**
 * Whether the master may listen where it is configured to: under SIMPLE a caller names its own
 * user, so a master reachable from other machines would believe anyone. It refuses to start there
 * unless the operator opted in; NOSASL has no opt-in.
 */
import {
  MASTER_BIND_HOST,
  MASTER_WEB_BIND_HOST,
  SECURITY_AUTHENTICATION_SIMPLE_REMOTE_ENABLED,
  SECURITY_AUTHENTICATION_TYPE,
} from '../config/keys/core.js';
import { TierfsError } from '../errors.js';
import type { AuthenticationType } from './authenticator.js';

/** Whether a bind address serves this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(h);
}

export interface Binding {
  /** The property naming the address, e.g. tierfs.master.bind.host. */
  readonly key: string;
  readonly host: string;
}

/** Throws CONFIG_INVALID (one line naming what to change) when a binding is beyond loopback. */
export function checkBindings(
  type: AuthenticationType,
  simpleRemoteEnabled: boolean,
  bindings: readonly Binding[],
  daemon: 'master' | 'worker' = 'master',
): void {
  if (type === 'TOKEN' || (type === 'SIMPLE' && simpleRemoteEnabled)) return;
  const open = bindings.filter((b) => !isLoopbackHost(b.host));
  if (open.length === 0) return;
  const where = open.map((b) => `${b.key}=${b.host}`).join(', ');
  const fix =
    type === 'SIMPLE'
      ? `set ${SECURITY_AUTHENTICATION_TYPE.key}=TOKEN, bind to 127.0.0.1, or set ` +
        `${SECURITY_AUTHENTICATION_SIMPLE_REMOTE_ENABLED.key}=true to believe users named by other machines`
      : `set ${SECURITY_AUTHENTICATION_TYPE.key}=TOKEN or bind to 127.0.0.1`;
  throw new TierfsError(
    'CONFIG_INVALID',
    `the ${daemon} refuses to listen beyond loopback (${where}) with ${SECURITY_AUTHENTICATION_TYPE.key}=${type}, ` +
      `where callers name their own user: ${fix}`,
  );
}

export const MASTER_BINDINGS = [MASTER_BIND_HOST, MASTER_WEB_BIND_HOST] as const;
