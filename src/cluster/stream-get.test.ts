import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { streamGet } from './rpc.js';

const SENT_FIRST = 100 * 1024;
const TOTAL = 200 * 1024;
let server: Server;
let base: string;

beforeAll(async () => {
  // /stall sends 10 bytes of 1000 and then nothing; /slow sends half at once and the rest after 1 s.
  server = createServer((req, res) => {
    if (req.url === '/stall') {
      res.writeHead(200, { 'content-length': '1000' });
      res.write(Buffer.alloc(10));
      return;
    }
    res.writeHead(200, { 'content-length': String(TOTAL) });
    res.write(Buffer.alloc(SENT_FIRST, 1));
    setTimeout(() => res.end(Buffer.alloc(TOTAL - SENT_FIRST, 2)), 1000);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

async function drain(body: AsyncIterable<Buffer>): Promise<number> {
  let bytes = 0;
  for await (const chunk of body) bytes += chunk.length;
  return bytes;
}

it('fails a body that brings no byte for the idle time while its reader waits', async () => {
  const response = await streamGet(`${base}/stall`, {}, undefined, 300);
  await expect(drain(response)).rejects.toThrow(/no byte of the body in 300 ms/);
});

it('never fails a body its reader holds back, however long', async () => {
  const response = await streamGet(`${base}/slow`, {}, undefined, 300);
  await sleep(900); // the reader takes nothing: the bytes sent wait in the body's buffer
  expect(response.readableLength).toBeGreaterThan(0);
  expect(await drain(response)).toBe(TOTAL);
});
