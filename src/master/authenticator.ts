/**
 * Who a request to the master is: the one place the master's ports (RPC, and web: UI, REST,
 * /metrics) turn a request into a Caller, or refuse it with UNAUTHENTICATED (401) saying what
 * would be accepted.
 *
 * - The cluster secret as bearer token: a tierfs daemon. It acts as the superuser unless it names a
 *   user (`x-tierfs-user`, `x-tierfs-groups`), whom it then acts as.
 * - A user token (`tierfs auth token create`), in any mode: its user and groups. A name in
 *   `x-tierfs-user` is honoured only when that user is the superuser or in the supergroup;
 *   for anyone else it is ignored.
 * - The web port's `tierfs.web.admin.token`: a superuser token of that port only. While it is set,
 *   changes (anything but GET and HEAD) on the web port need a token, even from loopback.
 * - No token: TOKEN refuses. SIMPLE believes the named user (default: the anonymous user) from
 *   loopback, and from elsewhere only with `tierfs.security.authentication.simple.remote.enabled`.
 *   NOSASL is SIMPLE on loopback only.
 *
 * Browsers cannot send a bearer header when following a link, so the web port also accepts the
 * token as the password of HTTP Basic credentials, for GET and HEAD only (a cross-site form can
 * then change nothing).
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GROUPS_HEADER, USER_HEADER } from '../cluster/auth.js';
import { SECURITY_AUTHENTICATION_SIMPLE_REMOTE_ENABLED, WEB_ADMIN_TOKEN } from '../config/keys/core.js';
import { TierfsError } from '../errors.js';
import type { Caller } from '../namespace/permissions.js';

export type AuthenticationType = 'NOSASL' | 'SIMPLE' | 'TOKEN';

/** Who an unauthenticated SIMPLE or NOSASL caller is when it names nobody. */
export const ANONYMOUS_USER = 'anonymous';

export interface AuthenticatorOptions {
  readonly type: AuthenticationType;
  readonly superUser: string;
  readonly superGroup: string;
  readonly clusterSecret: string;
  /** The user a token stands for; undefined for a token that is unknown or revoked. */
  readonly verifyToken: (token: string) => Promise<Caller | undefined>;
  readonly simpleRemoteEnabled: boolean;
  /** The web port's `tierfs.web.admin.token`, when set. */
  readonly adminToken?: string;
  /** The web port: also read a token from HTTP Basic credentials on GET and HEAD. */
  readonly acceptBasic?: boolean;
}

/** What the authenticator reads of a request (a FastifyRequest is one). */
export interface AuthRequest {
  readonly method: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly socket: { readonly remoteAddress?: string };
}

const READ_METHODS = new Set(['GET', 'HEAD']);

export function isLoopback(address: string): boolean {
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}

function sameSecret(presented: string, secret: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

function unauthenticated(message: string): TierfsError {
  return new TierfsError('UNAUTHENTICATED', message);
}

/** The user a request names in its headers, if any. */
function namedCaller(request: AuthRequest): Caller | undefined {
  const user = request.headers[USER_HEADER];
  if (typeof user !== 'string' || user === '') return undefined;
  const groups = request.headers[GROUPS_HEADER];
  const list = typeof groups === 'string' ? groups.split(',').filter((g) => g !== '') : [];
  return { user, groups: list.length > 0 ? list : [user] };
}

export class Authenticator {
  constructor(private readonly options: AuthenticatorOptions) {}

  /** The caller a request acts as; throws UNAUTHENTICATED when it may not proceed. */
  async authenticate(request: AuthRequest): Promise<Caller> {
    const { options } = this;
    const token = this.presentedToken(request);
    if (token !== undefined) {
      if (sameSecret(token, options.clusterSecret)) return namedCaller(request) ?? this.superUser();
      if (options.adminToken && sameSecret(token, options.adminToken)) {
        return namedCaller(request) ?? this.superUser();
      }
      const owner = await options.verifyToken(token);
      if (!owner) {
        throw unauthenticated(
          options.adminToken
            ? `the token is neither ${WEB_ADMIN_TOKEN.key} nor a valid user token`
            : 'the token is unknown or revoked: make one with `tierfs auth token create <user>`',
        );
      }
      return this.isSuper(owner) ? (namedCaller(request) ?? owner) : owner;
    }
    if (options.adminToken && !READ_METHODS.has(request.method)) {
      throw unauthenticated(
        `changes on the web port need a token while ${WEB_ADMIN_TOKEN.key} is set ` +
          '(Authorization: Bearer <the admin token or a user token>)',
      );
    }
    const loopback = isLoopback(request.socket.remoteAddress ?? '');
    const named = () => namedCaller(request) ?? { user: ANONYMOUS_USER, groups: [ANONYMOUS_USER] };
    switch (options.type) {
      case 'TOKEN':
        throw unauthenticated(
          'authentication is TOKEN: send Authorization: Bearer <token> (`tierfs auth token create <user>` ' +
            'on the master makes one; clients read it from tierfs.security.login.token or TIERFS_TOKEN)',
        );
      case 'SIMPLE':
        if (loopback || options.simpleRemoteEnabled) return named();
        throw unauthenticated(
          'a user named without a token is believed from loopback only: send Authorization: Bearer <token> ' +
            `(\`tierfs auth token create <user>\`), or set ${SECURITY_AUTHENTICATION_SIMPLE_REMOTE_ENABLED.key}=true ` +
            'on the master to believe other machines',
        );
      case 'NOSASL':
        if (loopback) return named();
        throw unauthenticated(
          'authentication is NOSASL, which serves loopback only: send Authorization: Bearer <token>, or use ' +
            'TOKEN authentication',
        );
    }
  }

  private superUser(): Caller {
    return { user: this.options.superUser, groups: [this.options.superUser] };
  }

  private isSuper(caller: Caller): boolean {
    return caller.user === this.options.superUser || caller.groups.includes(this.options.superGroup);
  }

  /** The bearer token (or, on the web port's reads, the Basic password); undefined when none. */
  private presentedToken(request: AuthRequest): string | undefined {
    const header = request.headers.authorization;
    if (header === undefined) return undefined;
    const text = typeof header === 'string' ? header.trim() : '';
    const bearer = /^Bearer\s+(\S+)$/i.exec(text);
    if (bearer) return bearer[1];
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(text);
    if (basic && this.options.acceptBasic) {
      if (!READ_METHODS.has(request.method)) {
        throw unauthenticated(
          'Basic credentials are for reading the web UI: changes need Authorization: Bearer <token>',
        );
      }
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const password = decoded.slice(decoded.indexOf(':') + 1);
      if (password !== '') return password;
    }
    throw unauthenticated('the Authorization header must be `Bearer <token>`');
  }
}

/**
 * Authenticates every request of a Fastify instance before its route runs (unknown routes
 * included), and answers who a request acts as.
 */
export function registerAuthentication(
  app: FastifyInstance,
  authenticator: Authenticator,
): (request: FastifyRequest) => Caller {
  const callers = new WeakMap<FastifyRequest, Caller>();
  app.addHook('onRequest', async (request) => {
    callers.set(request, await authenticator.authenticate(request));
  });
  return (request) => {
    const caller = callers.get(request);
    if (!caller) throw new TierfsError('INTERNAL', `${request.url} was not authenticated`);
    return caller;
  };
}
