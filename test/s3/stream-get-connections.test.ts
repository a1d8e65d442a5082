/**
 * The connections of the long-GET getter (src/ufs/s3/s3-stream-get.ts): kept alive from one GET to
 * the next, sent on a new one when the store closed a kept one under the GET, and all closed when
 * the mount's store is closed, a GET under way included (its reader gets an error instead of a
 * connection left open to the store). A bare HTTP server plays the store: what it answers and
 * which of its connections closed is the test's to see.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isTierfsError } from '../../src/errors.js';
import { readStream } from '../../src/ufs/io.js';
import { STREAM_GET_MIN_BYTES } from '../../src/ufs/s3/s3-stream-get.js';
import { failure, getterStore } from './getter-support.js';

const LENGTH = STREAM_GET_MIN_BYTES;
const DATA = randomBytes(LENGTH);
const VERSION = { version: `abc-${LENGTH}-1`, size: LENGTH };

interface SeenGet {
  readonly path: string;
  /** The connection it came on (numbered from 1) and its place on it (from 1). */
  readonly connection: number;
  readonly onConnection: number;
}

interface BareStore {
  readonly endpoint: string;
  readonly gets: SeenGet[];
  /** Connections accepted, and those closed since. */
  readonly accepted: Socket[];
  readonly closed: Set<Socket>;
  close(): Promise<void>;
}

const HEAD = `HTTP/1.1 206 Partial Content\r\ncontent-length: ${LENGTH}\r\netag: "abc"\r\n\r\n`;

/** A store answering each GET with `answer` (default: the whole of DATA, the connection kept). */
async function bareStore(answer: (get: SeenGet, socket: Socket) => void = answerWhole): Promise<BareStore> {
  const gets: SeenGet[] = [];
  const accepted: Socket[] = [];
  const closed = new Set<Socket>();
  const server: Server = createServer((socket) => {
    accepted.push(socket);
    const connection = accepted.length;
    socket.on('close', () => closed.add(socket));
    socket.on('error', () => undefined);
    let pending = '';
    let onConnection = 0;
    socket.on('data', (bytes) => {
      pending += bytes.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const path = pending.slice(0, pending.indexOf('\r\n')).split(' ')[1] ?? '';
        pending = pending.slice(end + 4);
        const get = { path, connection, onConnection: ++onConnection };
        gets.push(get);
        answer(get, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    gets,
    accepted,
    closed,
    async close() {
      for (const socket of accepted) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function answerWhole(_get: SeenGet, socket: Socket): void {
  socket.write(HEAD);
  socket.write(DATA);
}

/** Waits until `condition` holds, up to `ms`. */
async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  return condition();
}

let stores: BareStore[] = [];
afterEach(async () => {
  await Promise.all(stores.map((store) => store.close()));
  stores = [];
});
const started = async (answer?: (get: SeenGet, socket: Socket) => void) => {
  const store = await bareStore(answer);
  stores.push(store);
  return store;
};
// No retries of the store's layers: what happens here is the getter's own doing.
const underStore = (endpoint: string) =>
  getterStore('connections', endpoint, { 'tierfs.underfs.s3.max.error.retry': '0' });

describe('the long-GET getter’s connections', () => {
  it('send one read after another on one kept-alive connection, and a read left early on a new one', async () => {
    const bare = await started();
    const store = await underStore(bare.endpoint);
    try {
      for (let i = 0; i < 2; i++) {
        expect((await readStream(await store.open('kept.bin', VERSION))).equals(DATA)).toBe(true);
      }
      // The reader goes away after its first chunk: the rest of that answer is not read, so its
      // connection cannot carry another GET and is closed.
      for await (const chunk of await store.open('kept.bin', VERSION)) {
        expect(chunk.length).toBeGreaterThan(0);
        break;
      }
      expect((await readStream(await store.open('kept.bin', VERSION))).equals(DATA)).toBe(true);
      expect(bare.gets.map((get) => [get.connection, get.onConnection])).toEqual([
        [1, 1],
        [1, 2],
        [1, 3],
        [2, 1],
      ]);
      expect(await until(() => bare.closed.has(bare.accepted[0]!), 1000)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('send a GET once more on a new connection when the store closed the kept one under it', async () => {
    // The store answers the first GET of a connection and closes it at the second, unanswered.
    const bare = await started((get, socket) => {
      if (get.onConnection === 1) answerWhole(get, socket);
      else socket.destroy();
    });
    const store = await underStore(bare.endpoint);
    try {
      for (let i = 0; i < 2; i++) {
        expect((await readStream(await store.open('kept.bin', VERSION))).equals(DATA)).toBe(true);
      }
      expect(bare.gets.map((get) => [get.connection, get.onConnection])).toEqual([
        [1, 1],
        [1, 2],
        [2, 1],
      ]);
    } finally {
      await store.close();
    }
  });

  it('close when the store is closed: a kept one, and one under way whose reader gets an error', async () => {
    // hold.bin: the head and the first 2 MiB, and then nothing (a store that is slow to send).
    const bare = await started((get, socket) => {
      if (!get.path.endsWith('/hold.bin')) return answerWhole(get, socket);
      socket.write(HEAD);
      socket.write(DATA.subarray(0, 2 * 1024 * 1024));
    });
    const store = await underStore(bare.endpoint);
    const held = await store.open('hold.bin', VERSION);
    const reading = held[Symbol.asyncIterator]();
    expect(((await reading.next()).value as Buffer).length).toBeGreaterThan(0);
    // Another read meanwhile goes on a second connection, kept once it is read.
    expect((await readStream(await store.open('whole.bin', VERSION))).equals(DATA)).toBe(true);
    expect(bare.accepted).toHaveLength(2);
    expect(bare.closed.size).toBe(0);
    await store.close();
    // Both closed at once (a kept one would otherwise wait for its idle timeout, the held one for ever).
    expect(await until(() => bare.closed.size === 2, 1000), `${bare.closed.size} of 2 closed`).toBe(true);
    const error = await failure(async () => {
      for (let next = await reading.next(); !next.done; next = await reading.next());
    });
    expect(isTierfsError(error, 'UNAVAILABLE'), String(error)).toBe(true);
    expect(String(error)).toContain('hold.bin: the mount');
    expect(String(error)).toContain('store was closed');
  });
});
