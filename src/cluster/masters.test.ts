/**
 * Failover between masters, against real HTTP servers on loopback: a port nobody listens on
 * (refused), a server that drops the connection after reading the request (it may have applied
 * it), one that answers 503, and one that answers.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Masters, parseMasterAddresses } from './masters.js';

const servers: Server[] = [];
const calls = { dropping: 0, unavailable: 0, good: 0 };
let refused: string;
let dropping: string;
let unavailable: string;
let good: string;

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  refused = `127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise((resolve) => closed.close(resolve));
  dropping = await serve((request) => {
    calls.dropping++;
    request.resume();
    request.on('end', () => request.socket.destroy());
  });
  unavailable = await serve((_request, response) => {
    calls.unavailable++;
    response.writeHead(503, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ code: 'UNAVAILABLE', message: 'metadata store down', retryable: true }));
  });
  good = await serve((request, response) => {
    calls.good++;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ served: request.url }));
  });
});
afterAll(() => {
  for (const server of servers) server.close();
});

const fast = { pauseMs: 10 };

describe('calls to a list of masters', () => {
  it('move past a master that refuses connections, for every call, and stay with the one that answered', async () => {
    const masters = new Masters([refused, good], fast);
    expect(await masters.call('POST', '/api/v1/paths/delete', { body: {} })).toEqual({
      served: '/api/v1/paths/delete',
    });
    expect(masters.address).toBe(`http://${good}`);
    const before = calls.good;
    await masters.call('GET', '/x');
    expect(calls.good).toBe(before + 1);
  });

  it('send an idempotent call again after a master dropped it, never a non-idempotent one', async () => {
    expect(await new Masters([dropping, good], fast).call('GET', '/status')).toEqual({ served: '/status' });
    const repeatable = new Masters([dropping, good], fast);
    expect(await repeatable.call('POST', '/complete', { body: {}, idempotent: true })).toEqual({
      served: '/complete',
    });
    const before = { dropping: calls.dropping, good: calls.good };
    const once = new Masters([dropping, good], fast);
    await expect(once.call('POST', '/rename', { body: {} })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(calls.dropping).toBe(before.dropping + 1);
    expect(calls.good).toBe(before.good);
  });

  it('ask each master once after a 503, and give up with the last answer', async () => {
    expect(await new Masters([unavailable, good], fast).call('GET', '/a')).toEqual({ served: '/a' });
    const before = calls.unavailable;
    await expect(new Masters([unavailable], fast).call('GET', '/a')).rejects.toThrow('metadata store down');
    expect(calls.unavailable).toBe(before + 1);
  });

  it('give up after bounded rounds when no master can be reached, naming them all', async () => {
    const started = Date.now();
    await expect(
      new Masters([refused, refused], { rounds: 3, pauseMs: 20 }).call('GET', '/a'),
    ).rejects.toThrow(`no master answered (http://${refused}, http://${refused})`);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('take host:port lists and refuse what is not one', () => {
    expect(parseMasterAddresses('m1:19998, http://m2:19998/')).toEqual([
      'http://m1:19998',
      'http://m2:19998',
    ]);
    expect(() => parseMasterAddresses('m1')).toThrow("'http://m1' is not a master address: write host:port");
    expect(() => parseMasterAddresses(' , ')).toThrow('no master address given');
  });
});
