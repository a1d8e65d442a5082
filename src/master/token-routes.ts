/**
 * `/api/v1/auth/tokens` on both master ports, for the superuser (or a daemon with the cluster
 * secret) only:
 *
 *   POST   /api/v1/auth/tokens        {user, groups?, lifetimeMs?} → {id, user, groups, createdMs, expiresMs, token}
 *   GET    /api/v1/auth/tokens        → [{id, user, groups, createdMs}]   (never a token)
 *   POST   /api/v1/auth/tokens/revoke {id} → {}    (and DELETE /api/v1/auth/tokens/:id)
 *
 * and, for the holder of a live user token (no superuser needed):
 *
 *   POST   /api/v1/auth/tokens/refresh  (Authorization: Bearer <token>) → a new token, same user and
 *          groups, a fresh lifetime; the presented one is revoked
 *
 * The token is in the one answer to its creation and nowhere else (answers are `no-store`).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { presentsSecret } from '../cluster/auth.js';
import { TierfsError } from '../errors.js';
import type { Caller } from '../namespace/permissions.js';
import { operation, schemas } from './api-schemas.js';
import { bodyOf } from './routes.js';
import type { UserTokens } from './user-tokens.js';

const { ref, str, object } = schemas;

export interface TokenRouteContext {
  readonly tokens: UserTokens;
  readonly caller: (request: FastifyRequest) => Caller;
  /** The superuser or a member of the supergroup. */
  readonly isSuper: (caller: Caller) => boolean;
}

export function registerTokenRoutes(app: FastifyInstance, context: TokenRouteContext): void {
  const { tokens } = context;
  /** Runs before validation: only the superuser learns what a token request must look like. */
  const requireSuper = async (request: FastifyRequest) => {
    const who = context.caller(request);
    if (!context.isSuper(who)) {
      throw new TierfsError(
        'PERMISSION_DENIED',
        `only the superuser manages tokens (the caller is ${who.user}): run \`tierfs auth token\` on the ` +
          'master host, or with a superuser token',
      );
    }
  };
  const ID = str('The token id `tierfs auth token list` shows.');

  app.post(
    '/api/v1/auth/tokens',
    {
      preValidation: requireSuper,
      schema: operation({
        operationId: 'createToken',
        tags: ['auth'],
        summary: 'Creates a user token; the answer is the only place the token ever appears.',
        body: object(
          {
            user: str(),
            groups: schemas.strings('Group names.'),
            lifetimeMs: {
              type: 'integer',
              minimum: 0,
              description:
                'How long it is accepted (0: forever); tierfs.security.authentication.token.lifetime when absent.',
            },
          },
          ['user'],
        ),
        response: ref('CreatedToken'),
      }),
    },
    async (request, reply) => {
      const body = bodyOf<{ user: string; groups?: string[]; lifetimeMs?: number }>(request);
      const created = await tokens.create(body.user, body.groups ?? [], body.lifetimeMs);
      return reply.header('cache-control', 'no-store').send(created);
    },
  );

  app.post(
    '/api/v1/auth/tokens/refresh',
    {
      schema: operation({
        operationId: 'refreshToken',
        tags: ['auth'],
        summary:
          'Trades the live user token the request presents for a new one (same user and groups, a fresh lifetime); the old one is revoked.',
        response: ref('CreatedToken'),
      }),
    },
    async (request, reply) => {
      const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
      if (!bearer) {
        throw new TierfsError(
          'UNAUTHENTICATED',
          'refreshing a token needs it presented: Authorization: Bearer <token>',
        );
      }
      const created = await tokens.refresh(bearer);
      return reply.header('cache-control', 'no-store').send(created);
    },
  );

  app.get(
    '/api/v1/auth/tokens',
    {
      preValidation: requireSuper,
      schema: operation({
        operationId: 'listTokens',
        tags: ['auth'],
        summary: 'Tokens: id, user, groups, created (never the token).',
        response: { type: 'array', items: ref('TokenInfo') },
      }),
    },
    async (_request, reply) => reply.header('cache-control', 'no-store').send(await tokens.list()),
  );

  app.post(
    '/api/v1/auth/tokens/revoke',
    {
      preValidation: requireSuper,
      schema: operation({
        operationId: 'revokeToken',
        tags: ['auth'],
        summary: 'Revokes a token by id.',
        body: object({ id: ID }, ['id']),
        response: schemas.empty(),
      }),
    },
    async (request) => {
      await tokens.revoke(bodyOf<{ id: string }>(request).id);
      return {};
    },
  );

  app.delete(
    '/api/v1/auth/tokens/:id',
    {
      preValidation: requireSuper,
      schema: operation({
        operationId: 'deleteToken',
        tags: ['auth'],
        summary: 'Revokes a token by id (as revokeToken).',
        params: object({ id: ID }, ['id']),
        response: schemas.empty(),
      }),
    },
    async (request) => {
      await tokens.revoke((request.params as { id: string }).id);
      return {};
    },
  );
}

/**
 * `POST /api/v1/internal/tokens/verify {token}` on the RPC port, for daemons with the cluster
 * secret only: the user and groups a user token stands for, or UNAUTHENTICATED. A worker's web
 * page checks the tokens its visitors present with it, as the master's UI checks them itself.
 */
export function registerTokenVerifyRoute(
  app: FastifyInstance,
  context: { readonly tokens: UserTokens; readonly clusterSecret: string },
): void {
  app.post(
    '/api/v1/internal/tokens/verify',
    {
      preValidation: async (request) => {
        if (!presentsSecret(request.headers.authorization, context.clusterSecret)) {
          throw new TierfsError(
            'PERMISSION_DENIED',
            'verifying tokens is for tierfs daemons (the cluster secret)',
          );
        }
      },
      schema: operation({
        operationId: 'verifyUserToken',
        tags: ['internal'],
        summary: 'The user and groups a user token stands for (the cluster secret only).',
        body: object({ token: str() }, ['token']),
        response: object({ user: str(), groups: { type: 'array', items: str() } }, ['user', 'groups']),
      }),
    },
    async (request) => {
      const caller = await context.tokens.verify(bodyOf<{ token: string }>(request).token);
      if (!caller) throw new TierfsError('UNAUTHENTICATED', 'the token is unknown or revoked');
      return caller;
    },
  );
}
