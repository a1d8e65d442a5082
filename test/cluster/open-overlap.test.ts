/**
 * The start of a read: `openFile` asks the master for the live workers while the master opens the
 * file, not once the open has answered, so a read whose worker list is out of date (a fresh
 * process such as `tierfs fs cat`, or a client idle for more than a second) has one round trip
 * to the master fewer before its first byte. Shown with a relay in front of the master that
 * holds the answer to the open until the worker list has been asked for (or 3 s have passed).
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TierfsClient } from '../../src/client/client.js';
import { readStream } from '../../src/ufs/io.js';
import { startCluster, type TestCluster } from '../support/cluster.js';

const data = randomBytes(2 * 1024 * 1024);
let cluster: TestCluster;
let relay: Server;
let relayAddress: string;
/** The master calls through the relay, in the order they arrived, and how the open was let through. */
const calls: string[] = [];
let openReleasedBy: 'worker list' | 'timeout' | undefined;
let workersAsked: (() => void) | undefined;
let workersSeen = false;

beforeAll(async () => {
  cluster = await startCluster();
  writeFileSync(join(cluster.ufs, 'file.bin'), data);
  const master = new URL(cluster.master.rpcAddress);
  relay = createServer((incoming, outgoing) => {
    const path = (incoming.url ?? '').split('?')[0]!;
    calls.push(path);
    const forward = () => {
      const upstream = request(
        {
          host: master.hostname,
          port: master.port,
          path: incoming.url,
          method: incoming.method,
          headers: incoming.headers,
        },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      upstream.on('error', () => outgoing.destroy());
      incoming.pipe(upstream);
    };
    if (path === '/api/v1/workers') {
      workersSeen = true;
      workersAsked?.();
      forward();
    } else if (path === '/api/v1/paths/open') {
      // The open is answered once the worker list has been asked for, or after 3 s.
      const timer = setTimeout(() => release('timeout'), 3000);
      const release = (by: 'worker list' | 'timeout') => {
        clearTimeout(timer);
        workersAsked = undefined;
        openReleasedBy ??= by;
        forward();
      };
      if (workersSeen) release('worker list');
      else workersAsked = () => release('worker list');
    } else {
      forward();
    }
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  relayAddress = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => relay?.close(resolve));
  await cluster?.stop();
});

it("asks for the live workers while the master opens the file, and reads the file's bytes", async () => {
  const client = new TierfsClient({ masterAddress: relayAddress, user: 'admin', shortCircuit: false });
  const body = await readStream(await client.openFile('/file.bin'));
  expect(body.equals(data)).toBe(true);
  // One of each, the open answered only once the worker list had been asked for.
  expect(calls.filter((path) => path === '/api/v1/paths/open' || path === '/api/v1/workers').sort()).toEqual([
    '/api/v1/paths/open',
    '/api/v1/workers',
  ]);
  expect(openReleasedBy).toBe('worker list');
});
