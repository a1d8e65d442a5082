/**
 * Failover between masters, against real HTTP servers on loopback: a port nobody listens on
 * (refused), a server that drops the connection after reading the request (it may have applied
 * it), one that answers 503, one that answers, one that is hung (accepts connections, never
 * answers: a stopped process), and one that is slow but answers its health checks.
 */
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Masters, parseMasterAddresses } from './masters.js';

const servers: Server[] = [];
const calls = { dropping: 0, unavailable: 0, good: 0 };
let refused: string;
let dropping: string;
let unavailable: string;
let good: string;
let hung: string;
let slow: string;
const held: Socket[] = [];

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
  const hanging = createTcpServer((socket) => {
    held.push(socket);
  });
  servers.push(hanging as unknown as Server);
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  hung = `127.0.0.1:${(hanging.address() as AddressInfo).port}`;
  slow = await serve((request, response) => {
    const answer = () => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ slow: request.url }));
    };
    if (request.url === '/api/v1/health') answer();
    else setTimeout(answer, 800);
  });
});
afterAll(() => {
  for (const socket of held) socket.destroy();
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

describe('a hung master', () => {
  const checks = { pauseMs: 10, healthCheckAfterMs: 150, healthCheckTimeoutMs: 150 };

  it('is given up once it does not answer its health check: an idempotent call goes on to the next master', async () => {
    const masters = new Masters([hung, good], checks);
    const started = performance.now();
    expect(await masters.call('GET', '/api/v1/paths/status')).toEqual({ served: '/api/v1/paths/status' });
    // One check after 150 ms that gets no answer in 150 ms: well under the 60 s call timeout.
    expect(performance.now() - started).toBeLessThan(2000);
    expect(masters.address).toBe(`http://${good}`);
  });

  it('fails a call not safe twice with a clear error, and sends the next calls to the next master', async () => {
    const masters = new Masters([hung, good], checks);
    const started = performance.now();
    await expect(masters.call('POST', '/api/v1/paths/delete', { body: {} })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringMatching(/stopped answering.*may or may not have been applied/),
    });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(await masters.call('POST', '/api/v1/paths/delete', { body: {} })).toEqual({
      served: '/api/v1/paths/delete',
    });
  });

  it('a slow master that answers its health checks is waited for', async () => {
    const masters = new Masters([slow, good], checks);
    expect(await masters.call('POST', '/api/v1/paths/rename', { body: {} })).toEqual({
      slow: '/api/v1/paths/rename',
    });
    expect(masters.address).toBe(`http://${slow}`);
  });
});

describe('one master', () => {
  it('is waited for however slow: with no other master, a health check could only fail the call', async () => {
    const masters = new Masters([slow], { healthCheckAfterMs: 100, healthCheckTimeoutMs: 1 });
    expect(await masters.call('POST', '/api/v1/paths/rename', { body: {} })).toEqual({
      slow: '/api/v1/paths/rename',
    });
  });
});
