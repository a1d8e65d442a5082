/**
 * Reads of the Kodo driver pinned to a version, through a download host that strips the ETag (as a
 * CDN may): Kodo downloads take no If-Match, so the answer's ETag is the only proof of the version.
 * A read asked for a version is refused with UNSUPPORTED; a read without one is served.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTierfsError } from '../../src/errors.js';
import { readFile, writeFile } from '../../src/ufs/io.js';
import type { KodoFixture } from '../gateway/kodo-support.js';
import { kodoStore, startDriverFixture } from './kodo-driver-support.js';

let kodo: KodoFixture;
let proxy: Server;
let proxyHost: string;

/** Forwards every request to the gateway and drops the ETag of every answer. */
function startEtagStrippingProxy(upstream: string): Promise<Server> {
  const [hostname, port] = upstream.split(':') as [string, string];
  const server = createServer((req, res) => {
    const forward = request(
      { hostname, port: Number(port), method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        const headers = { ...answer.headers };
        delete headers.etag;
        res.writeHead(answer.statusCode ?? 502, headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  kodo = await startDriverFixture();
  proxy = await startEtagStrippingProxy(kodo.host);
  proxyHost = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => proxy?.close(resolve));
  await kodo?.cleanup();
});

describe('kodo: a download host that sends no ETag', () => {
  it('refuses a read pinned to a version with UNSUPPORTED and serves one without a version', async () => {
    const data = Buffer.from('0123456789');
    const direct = await kodoStore(kodo, 'no-etag/');
    const viaProxy = await kodoStore(kodo, 'no-etag/', { 'tierfs.underfs.kodo.endpoint': proxyHost });
    try {
      await writeFile(direct, 'f.bin', data);
      const { fingerprint: version } = await direct.getStatus('f.bin');
      expect(await readFile(direct, 'f.bin', { version, offset: 2, length: 3 })).toEqual(Buffer.from('234'));
      expect(await readFile(viaProxy, 'f.bin', { offset: 2, length: 3 })).toEqual(Buffer.from('234'));
      const failure = await viaProxy.open('f.bin', { version, offset: 2, length: 3 }).then(
        (stream) => {
          stream.destroy();
          return undefined;
        },
        (error: unknown) => error,
      );
      expect(isTierfsError(failure, 'UNSUPPORTED'), `got ${String(failure)}`).toBe(true);
      expect(String(failure)).toMatch(/no ETag/);
    } finally {
      await direct.close();
      await viaProxy.close();
    }
  });
});
