/**
 * Headers on every answer of the master's web port: a Content-Security-Policy that lets pages use
 * only this origin's stylesheet and scripts (no inline script or style, no framing, forms post
 * here only), and, on a 401 outside the REST API, an HTTP Basic challenge so a browser asks for
 * the token (any user name, the token as password).
 */
import type { FastifyInstance } from 'fastify';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const BASIC_CHALLENGE = 'Basic realm="tierfs web UI: your token as password", charset="UTF-8"';

export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply) => {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    const api = request.url.startsWith('/api/') || request.url.startsWith('/metrics');
    if (reply.statusCode === 401 && !api) reply.header('www-authenticate', BASIC_CHALLENGE);
  });
}
