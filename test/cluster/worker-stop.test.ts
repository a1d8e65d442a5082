/**
 * A worker stop does not wait on clients that went away: a connection that never sent a request
 * (undici leaves one behind after aborting a write mid-body, nodejs/undici#5845) is closed at
 * once, and an upload whose client stopped sending is cut off after the stop's grace period.
 * Without that, the stop waited for the server's headers timeout (a minute) or for ever.
 */
import { rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Worker } from '../../src/worker/worker.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';

let cluster: TestCluster;
let running = true;

beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  if (running) await cluster.worker.stop();
  await cluster.master.stop();
  rmSync(cluster.home, { recursive: true, force: true });
});

/** 'stopped', or 'still waiting' when the stop has not finished within `ms`. */
async function stopWithin(worker: Worker, ms: number): Promise<'stopped' | 'still waiting'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'still waiting'>((resolve) => {
    timer = setTimeout(() => resolve('still waiting'), ms);
  });
  try {
    return await Promise.race([worker.stop().then(() => 'stopped' as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });
}

it('a stop closes a connection that never sent a request instead of waiting for it', async () => {
  const { port } = new URL(cluster.worker.address);
  const before = cluster.worker.connectionCounts.open;
  const silent = connect(Number(port), '127.0.0.1');
  silent.on('error', () => undefined);
  await eventually(
    () => cluster.worker.connectionCounts.open > before,
    'the worker to accept the connection',
  );
  running = false;
  expect(await stopWithin(cluster.worker, 8000)).toBe('stopped');
  await closed(silent);
});

it('a stop cuts off an upload whose client stopped sending once its grace period is over', async () => {
  cluster.worker = await Worker.start(cluster.conf, {
    log: pino({ level: 'silent' }),
    masterAddress: cluster.master.rpcAddress,
    stopGraceMs: 200,
  });
  running = true;
  const client = cluster.client();
  const out = await client.createFile('/stalled.bin');
  out.on('error', () => undefined);
  out.write(Buffer.alloc(64 * 1024, 1)); // and never ends
  await eventually(() => cluster.worker.connectionCounts.busy > 0, 'the upload to reach the worker');
  running = false;
  try {
    expect(await stopWithin(cluster.worker, 8000)).toBe('stopped');
  } finally {
    out.destroy();
  }
  expect(await client.exists('/stalled.bin')).toBe(false);
});
