/**
 * How a caller proves who it is to a tierfs port (the rules the master enforces are in
 * master/authenticator.ts; this is what every side agrees on).
 *
 * - `Authorization: Bearer <token>`: a user token (TOKEN authentication), or the cluster secret
 *   when a daemon calls another.
 * - `x-tierfs-user` / `x-tierfs-groups`: the user a caller names. Believed as the caller's identity
 *   only under SIMPLE authentication from loopback; otherwise honoured only as impersonation by the
 *   cluster secret or the superuser.
 * - `x-tierfs-capability`: the signed capability a worker's data endpoint requires.
 */
import { timingSafeEqual } from 'node:crypto';

export const USER_HEADER = 'x-tierfs-user';
export const GROUPS_HEADER = 'x-tierfs-groups';
export const CAPABILITY_HEADER = 'x-tierfs-capability';

/** What a client presents: a user name (SIMPLE), a user token (TOKEN), or the cluster secret. */
export interface Credentials {
  /** The user to act as (SIMPLE), or to impersonate (with the cluster secret or a superuser token). */
  readonly user?: string;
  readonly groups?: readonly string[];
  /** A user token or the cluster secret, sent as `Authorization: Bearer`. */
  readonly token?: string;
}

/** The request headers that carry credentials. */
export function credentialHeaders(credentials: Credentials): Record<string, string> {
  const headers: Record<string, string> = {};
  if (credentials.token) headers.authorization = `Bearer ${credentials.token}`;
  if (credentials.user) {
    headers[USER_HEADER] = credentials.user;
    headers[GROUPS_HEADER] = (credentials.groups ?? [credentials.user]).join(',');
  }
  return headers;
}

/** The bearer token of a request's Authorization header, if any. */
export function bearerToken(authorization: string | string[] | undefined): string | undefined {
  const match = typeof authorization === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
  return match?.[1];
}

/** Whether a request's bearer token is the cluster secret (compared in constant time). */
export function presentsSecret(authorization: string | string[] | undefined, secret: string): boolean {
  const presented = bearerToken(authorization);
  if (presented === undefined) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The headers a daemon calls another with: the cluster secret as bearer token. */
export function clusterHeaders(secret: string): Record<string, string> {
  return { authorization: `Bearer ${secret}` };
}
