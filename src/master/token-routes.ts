/**
 * `/api/v1/auth/tokens` on both master ports, for the superuser (or a daemon with the cluster
 * secret) only:
 *
 *   POST   /api/v1/auth/tokens        {user, groups?} → {id, user, groups, createdMs, token}
 *   GET    /api/v1/auth/tokens        → [{id, user, groups, createdMs}]   (never a token)
 *   POST   /api/v1/auth/tokens/revoke {id} → {}    (and DELETE /api/v1/auth/tokens/:id)
 *
 * The token is in the one answer to its creation and nowhere else (answers are `no-store`).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TierfsError } from '../errors.js';
import type { Caller } from '../namespace/permissions.js';
import { bodyOf, requiredString } from './routes.js';
import type { UserTokens } from './user-tokens.js';

export interface TokenRouteContext {
  readonly tokens: UserTokens;
  readonly caller: (request: FastifyRequest) => Caller;
  /** The superuser or a member of the supergroup. */
  readonly isSuper: (caller: Caller) => boolean;
}

export function registerTokenRoutes(app: FastifyInstance, context: TokenRouteContext): void {
  const { tokens } = context;
  const requireSuper = (request: FastifyRequest) => {
    const who = context.caller(request);
    if (!context.isSuper(who)) {
      throw new TierfsError(
        'PERMISSION_DENIED',
        `only the superuser manages tokens (the caller is ${who.user}): run \`tierfs auth token\` on the ` +
          'master host, or with a superuser token',
      );
    }
  };

  app.post('/api/v1/auth/tokens', async (request, reply) => {
    requireSuper(request);
    const body = bodyOf(request);
    const groups = body.groups ?? [];
    if (!Array.isArray(groups) || groups.some((g) => typeof g !== 'string')) {
      throw new TierfsError('INVALID_ARGUMENT', "'groups' must be a list of group names");
    }
    const created = await tokens.create(requiredString(body, 'user'), groups as string[]);
    return reply.header('cache-control', 'no-store').send(created);
  });

  app.get('/api/v1/auth/tokens', async (request, reply) => {
    requireSuper(request);
    return reply.header('cache-control', 'no-store').send(await tokens.list());
  });

  app.post('/api/v1/auth/tokens/revoke', async (request) => {
    requireSuper(request);
    await tokens.revoke(requiredString(bodyOf(request), 'id'));
    return {};
  });

  app.delete('/api/v1/auth/tokens/:id', async (request) => {
    requireSuper(request);
    await tokens.revoke((request.params as { id: string }).id);
    return {};
  });
}
