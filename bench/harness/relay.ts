/**
 * A TCP relay that delays each direction's bytes by a fixed time: the bench's stand-in for netem on
 * kernels without it. Every chunk read is stamped with its arrival time and written on once that
 * time plus the delay has passed, so order and throughput are kept (many chunks are in flight at
 * once, like packets on a long link) and only the latency grows. `tbf` on the veth still sets the rate.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';

/** Bytes queued in one direction before the relay stops reading (TCP flow control does the rest). */
export const DEFAULT_HIGH_WATER = 32 * 2 ** 20;

interface Held {
  readonly chunk: Buffer | null; // null: the source ended (half-close), forwarded in order
  readonly due: number;
}

/**
 * Pipes `from` into `to`, each chunk `delayMs` after it arrived and not before `notBefore` (a
 * performance.now() time). Backpressure: reading pauses while more than `highWater` bytes wait, or
 * while `to` is full, and resumes when both have room.
 */
export function delayPipe(
  from: Readable,
  to: Writable,
  delayMs: number,
  options: { highWater?: number; notBefore?: number } = {},
): void {
  const highWater = options.highWater ?? DEFAULT_HIGH_WATER;
  const notBefore = options.notBefore ?? 0;
  const dueFor = () => Math.max(performance.now() + delayMs, notBefore);
  const held: Held[] = [];
  let queued = 0;
  let timer: NodeJS.Timeout | undefined;
  let blocked = false; // `to` asked us to wait for 'drain'

  const throttle = () => {
    if (queued > highWater || blocked) from.pause();
    else if (from.isPaused()) from.resume();
  };
  const flush = () => {
    timer = undefined;
    const now = performance.now();
    while (held.length > 0 && held[0]!.due <= now && !blocked) {
      const { chunk } = held.shift()!;
      if (chunk === null) {
        to.end();
        return;
      }
      queued -= chunk.length;
      if (!to.write(chunk)) blocked = true;
    }
    throttle();
    schedule();
  };
  const schedule = () => {
    if (timer || blocked || held.length === 0) return;
    timer = setTimeout(flush, Math.max(0, held[0]!.due - performance.now()));
  };
  to.on('drain', () => {
    blocked = false;
    flush();
  });
  from.on('data', (chunk: Buffer) => {
    held.push({ chunk, due: dueFor() });
    queued += chunk.length;
    throttle();
    schedule();
  });
  from.on('end', () => {
    held.push({ chunk: null, due: dueFor() });
    schedule();
  });
}

export interface DelayRelay {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Listens on host:port and forwards each connection to target, delaying each direction by
 * `oneWayDelayMs` (a round trip gains twice that, a new connection's first round trip three times:
 * the TCP handshake's round trip is charged too). Port 0 picks a free port.
 */
export async function startDelayRelay(options: {
  host: string;
  port: number;
  target: { host: string; port: number };
  oneWayDelayMs: number;
  highWater?: number;
}): Promise<DelayRelay> {
  if (!(options.oneWayDelayMs >= 0))
    throw new Error(`the relay's delay must be >= 0 ms, got ${options.oneWayDelayMs}`);
  const sockets = new Set<Socket>();
  // Half-open on both sides: a FIN travels through the delay like the bytes before it.
  const server: Server = createServer({ noDelay: true, allowHalfOpen: true }, (client) => {
    const upstream = connect({
      host: options.target.host,
      port: options.target.port,
      noDelay: true,
      allowHalfOpen: true,
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    // Either side failing ends the pair, as a broken link would.
    const kill = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', kill);
    upstream.on('error', kill);
    // On a real link the client's first bytes leave after the handshake (one round trip) and then
    // take one more one-way trip: the relay accepts at once, so it holds them until then.
    const d = options.oneWayDelayMs;
    const handshakeDone = performance.now() + 3 * d;
    delayPipe(client, upstream, d, { highWater: options.highWater, notBefore: handshakeDone });
    delayPipe(upstream, client, d, { highWater: options.highWater });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the relay has no TCP address');
  return {
    host: options.host,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
