import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { isTierfsError } from '../errors.js';
import { checkWebAccess, isLoopback } from './web-access.js';

function request(method: string, remoteAddress: string, token?: string): FastifyRequest {
  return {
    method,
    socket: { remoteAddress },
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  } as unknown as FastifyRequest;
}

function outcome(req: FastifyRequest, adminToken: string | undefined): string {
  try {
    checkWebAccess(req, adminToken);
    return 'allowed';
  } catch (error) {
    return isTierfsError(error) ? error.code : 'thrown';
  }
}

describe('web port access', () => {
  it('knows loopback addresses', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'].every(isLoopback)).toBe(true);
    expect(['10.0.0.1', '::ffff:10.0.0.1', '', '1.127.0.0'].some(isLoopback)).toBe(false);
  });

  it('without a token: loopback does anything, others nothing', () => {
    expect(outcome(request('GET', '127.0.0.1'), undefined)).toBe('allowed');
    expect(outcome(request('POST', '::1'), undefined)).toBe('allowed');
    expect(outcome(request('GET', '10.1.2.3'), undefined)).toBe('PERMISSION_DENIED');
    expect(outcome(request('POST', '10.1.2.3', 'anything'), undefined)).toBe('PERMISSION_DENIED');
  });

  it('with a token: changes need it everywhere, reads need it off loopback', () => {
    expect(outcome(request('GET', '127.0.0.1'), 't')).toBe('allowed');
    expect(outcome(request('POST', '127.0.0.1'), 't')).toBe('UNAUTHENTICATED');
    expect(outcome(request('DELETE', '127.0.0.1', 't'), 't')).toBe('allowed');
    expect(outcome(request('GET', '10.1.2.3'), 't')).toBe('UNAUTHENTICATED');
    expect(outcome(request('GET', '10.1.2.3', 't'), 't')).toBe('allowed');
    expect(outcome(request('POST', '10.1.2.3', 't'), 't')).toBe('allowed');
    expect(outcome(request('GET', '127.0.0.1', 'u'), 't')).toBe('UNAUTHENTICATED');
  });
});
