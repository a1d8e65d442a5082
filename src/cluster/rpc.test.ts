import { describe, expect, it } from 'vitest';
import { TierfsError } from '../errors.js';
import { errorBody, errorFromBody } from './rpc.js';

describe('errors across processes', () => {
  it('keep their code, message, details and retryable flag', () => {
    const sent = new TierfsError('STALE', '/a.csv changed', {
      retryable: true,
      details: { path: '/a.csv', expected: 'c1', skipped: undefined },
    });
    const body = errorBody(sent);
    expect(body).toEqual({
      code: 'STALE',
      message: '/a.csv changed',
      retryable: true,
      details: { path: '/a.csv', expected: 'c1' },
    });
    const received = errorFromBody(412, JSON.stringify(body), 'http://127.0.0.1:1/api/v1/paths/open');
    expect(received).toMatchObject({ code: 'STALE', message: '/a.csv changed', retryable: true });
    expect(received.details).toEqual({ path: '/a.csv', expected: 'c1' });
  });

  it('describe an answer that is not one of ours by its status and origin, not its full URL', () => {
    const error = errorFromBody(502, '<html>bad gateway</html>', 'http://h:9/data?capability=secret');
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('http://h:9 answered 502: <html>bad gateway</html>');
  });
});
