/**
 * Who may use the master's web port (UI, REST /api/v1, /metrics):
 *
 * - `tierfs.web.admin.token` unset (the default): loopback clients may read and change anything;
 *   every other client is refused (403).
 * - token set: a request carrying `Authorization: Bearer <token>` may do anything from anywhere;
 *   without it, loopback clients may still read (GET, HEAD) but not change (401), and other
 *   clients may do nothing (401). A wrong token is always refused (401).
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TierfsError } from '../errors.js';

const READ_METHODS = new Set(['GET', 'HEAD']);

export function isLoopback(address: string): boolean {
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}

function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  return match?.[1];
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Throws when the request may not proceed; see the module comment for the rule. */
export function checkWebAccess(request: FastifyRequest, adminToken: string | undefined): void {
  const presented = presentedToken(request);
  const loopback = isLoopback(request.socket.remoteAddress ?? '');
  const read = READ_METHODS.has(request.method);
  if (adminToken === undefined || adminToken === '') {
    if (loopback) return;
    throw new TierfsError(
      'PERMISSION_DENIED',
      'only loopback clients may use the web port while tierfs.web.admin.token is unset',
    );
  }
  if (presented !== undefined) {
    if (sameToken(presented, adminToken)) return;
    throw new TierfsError('UNAUTHENTICATED', 'the admin token is wrong');
  }
  if (loopback && read) return;
  throw new TierfsError(
    'UNAUTHENTICATED',
    read
      ? 'reading from another machine needs the admin token (Authorization: Bearer <token>)'
      : 'changes need the admin token (Authorization: Bearer <token>)',
  );
}

export function registerWebAccess(app: FastifyInstance, adminToken: string | undefined): void {
  app.addHook('onRequest', async (request) => checkWebAccess(request, adminToken));
}
