import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TierfsError } from '../../errors.js';
import { toKodoError } from '../kodo/errors.js';
import { toOssError } from '../oss/errors.js';
import { toS3Error } from '../s3/errors.js';
import { mapFailure, sendFailure } from './error-reply.js';

describe('mapFailure', () => {
  it('gives the table’s code for a TierfsError and the fallback for anything else', () => {
    const table = { NOT_FOUND: 'Missing' } as const;
    const make = (code: string, source: TierfsError | undefined) => ({ code, from: source?.code });
    expect(mapFailure(new TierfsError('NOT_FOUND', 'x'), table, 'Broken', make)).toEqual({
      code: 'Missing',
      from: 'NOT_FOUND',
    });
    expect(mapFailure(new TierfsError('TIMEOUT', 'x'), table, 'Broken', make)).toEqual({
      code: 'Broken',
      from: 'TIMEOUT',
    });
    expect(mapFailure(new Error('boom'), table, 'Broken', make)).toEqual({ code: 'Broken', from: undefined });
  });

  it('maps one store failure to each dialect’s own code', () => {
    const stale = new TierfsError('STALE', 'a/b was replaced');
    expect(toS3Error(stale)).toMatchObject({ code: 'ServiceUnavailable', status: 503 });
    expect(toS3Error(stale).message).toBe('a/b was replaced; please try again');
    expect(toOssError(stale)).toMatchObject({ code: 'ServiceUnavailable', status: 503 });
    expect(toKodoError(stale)).toMatchObject({ status: 599, message: 'server operation failed' });
    const missing = new TierfsError('NOT_FOUND', 'no a/b');
    expect(toS3Error(missing, 'NoSuchBucket')).toMatchObject({ code: 'NoSuchBucket', message: 'no a/b' });
    expect(toOssError(missing, 'a/b')).toMatchObject({ code: 'NoSuchKey', extra: { Key: 'a/b' } });
    expect(toKodoError(missing)).toMatchObject({ status: 612, message: 'no such file or directory' });
    const secret = new Error('password=hunter2');
    expect(toS3Error(secret).message).not.toContain('hunter2');
    expect(toOssError(secret).message).not.toContain('hunter2');
    expect(toKodoError(secret).message).not.toContain('hunter2');
  });
});

describe('sendFailure', () => {
  const server = createServer((req, res) => {
    if (req.url === '/midway') {
      res.writeHead(200, { 'content-length': 10 });
      res.write('12345');
    }
    sendFailure(res, new Error('failed'), (error) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(error.message);
    });
  });
  let port = 0;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const fetchRaw = (path: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      })
        .on('error', reject)
        .end();
    });

  it('writes the dialect’s answer while nothing was sent', async () => {
    expect(await fetchRaw('/fresh')).toEqual({ status: 500, body: 'failed' });
  });

  it('cuts a response already under way instead of appending an error to it', async () => {
    await expect(fetchRaw('/midway')).rejects.toThrow(/aborted|socket hang up|ECONNRESET/);
  });
});
