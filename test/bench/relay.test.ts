/** The bench's user-space delay relay: it adds the delay, passes bytes intact, and keeps many chunks in flight. */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Link } from '../../bench/harness/netns.js';
import { type DelayRelay, delayPipe, startDelayRelay } from '../../bench/harness/relay.js';
import { startRelayProcess } from '../../bench/harness/relay-process.js';
import { freePort } from '../support/daemons.js';

/** Echoes everything back and half-closes when the client does. */
let echo: Server;
let echoPort: number;
const accepted: Socket[] = [];
beforeAll(async () => {
  echo = createServer({ allowHalfOpen: true }, (s) => {
    accepted.push(s);
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  echoPort = (echo.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((r) => echo.close(() => r())));

async function relayTo(oneWayDelayMs: number): Promise<DelayRelay> {
  return startDelayRelay({
    host: '127.0.0.1',
    port: 0,
    target: { host: '127.0.0.1', port: echoPort },
    oneWayDelayMs,
  });
}

async function dial(relay: DelayRelay): Promise<Socket> {
  const s = connect({ host: relay.host, port: relay.port, allowHalfOpen: true });
  await once(s, 'connect');
  return s;
}

describe('the delay relay over TCP', () => {
  let relay: DelayRelay | undefined;
  afterEach(async () => {
    await relay?.close();
    relay = undefined;
  });

  it('adds the delay both ways: a round trip with 10 ms each way takes at least 20 ms, the first one 40 ms (handshake)', async () => {
    relay = await relayTo(10);
    const connecting = performance.now();
    const s = await dial(relay);
    s.write('ping');
    await once(s, 'data');
    expect(performance.now() - connecting).toBeGreaterThanOrEqual(40);
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      s.write('ping');
      await once(s, 'data');
      expect(performance.now() - started).toBeGreaterThanOrEqual(20);
    }
    s.destroy();
  });

  it('passes every byte intact and in order, and forwards the half-close after them', async () => {
    relay = await relayTo(2);
    const s = await dial(relay);
    const data = randomBytes(8 * 2 ** 20 + 17);
    const back = createHash('sha256');
    let length = 0;
    s.on('data', (chunk: Buffer) => {
      back.update(chunk);
      length += chunk.length;
    });
    // Odd-sized writes so chunk boundaries differ on both sides.
    for (let at = 0; at < data.length; at += 65_521) s.write(data.subarray(at, at + 65_521));
    s.end();
    await once(s, 'end'); // the echo server ends only after our FIN reached it through the relay
    expect(length).toBe(data.length);
    expect(back.digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    s.destroy();
  });

  it('closes the far side when one side breaks', async () => {
    relay = await relayTo(1);
    const s = await dial(relay);
    s.write('x');
    await once(s, 'data');
    const far = accepted.at(-1)!;
    const farClosed = once(far, 'close');
    s.resetAndDestroy();
    await farClosed;
    expect(far.destroyed).toBe(true);
  });
});

describe('the relay as its own process (as the bench runs it in the namespace)', () => {
  it('starts, forwards with the delay, and stops', async () => {
    const link: Link = {
      serverAddr: '127.0.0.1',
      wrap: (argv) => [...argv],
      shaped: false,
      description: 'loopback',
      teardown() {},
    };
    const port = await freePort();
    const relay = await startRelayProcess(link, port, `http://127.0.0.1:${echoPort}`, 15);
    try {
      expect(relay.endpoint).toBe(`http://127.0.0.1:${port}`);
      const s = connect({ host: '127.0.0.1', port });
      await once(s, 'connect');
      s.write('ping');
      await once(s, 'data');
      const started = performance.now();
      s.write('pong');
      const [echoed] = (await once(s, 'data')) as [Buffer];
      expect(performance.now() - started).toBeGreaterThanOrEqual(30);
      expect(echoed.toString()).toBe('pong');
      s.destroy();
    } finally {
      await relay.stop();
    }
  });
});

describe('delayPipe (with a fake clock)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('holds every chunk for the delay, then delivers all of them together: throughput is kept, not one delay per chunk', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const from = new PassThrough();
    const to = new PassThrough({ highWaterMark: 64 * 2 ** 20 });
    const got: Buffer[] = [];
    to.on('data', (c: Buffer) => got.push(c));
    delayPipe(from, to, 50);
    for (let i = 0; i < 1000; i++) from.write(Buffer.alloc(1024, i % 256));
    await vi.advanceTimersByTimeAsync(49);
    expect(got.length).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    // A relay that slept 50 ms per chunk would have delivered one chunk by now.
    expect(Buffer.concat(got).length).toBe(1000 * 1024);
    expect(Buffer.concat(got).subarray(1024 * 999)).toEqual(Buffer.alloc(1024, 999 % 256));
  });

  it('stamps each chunk when it arrives: a later chunk waits its own delay', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const from = new PassThrough();
    const to = new PassThrough();
    const got: string[] = [];
    to.on('data', (c: Buffer) => got.push(c.toString()));
    delayPipe(from, to, 20);
    from.write('a');
    await vi.advanceTimersByTimeAsync(15);
    from.write('b');
    await vi.advanceTimersByTimeAsync(5);
    expect(got).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(14);
    expect(got).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(1);
    expect(got).toEqual(['a', 'b']);
  });

  it('stops reading while more than the high-water mark waits, and reads again once it has gone out', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const from = new PassThrough();
    const to = new PassThrough({ highWaterMark: 2 ** 20 });
    to.resume();
    delayPipe(from, to, 10, { highWater: 4096 });
    for (let i = 0; i < 3; i++) from.write(Buffer.alloc(2048));
    await vi.advanceTimersByTimeAsync(1);
    expect(from.isPaused()).toBe(true);
    await vi.advanceTimersByTimeAsync(10);
    expect(from.isPaused()).toBe(false);
  });
});
