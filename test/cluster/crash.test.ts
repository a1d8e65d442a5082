/** kill -9 of the worker during writes: nothing half-written appears, nothing accepted is lost. */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, it } from 'vitest';
import type { TierfsClient } from '../../src/client/client.js';
import type { WriteType } from '../../src/cluster/wire.js';
import { readStream } from '../../src/ufs/io.js';
import { type DaemonCluster, daemonHome } from '../support/daemons.js';
import { eventually } from '../support/eventually.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
let cluster: DaemonCluster | undefined;
afterAll(() => cluster?.stop());

async function write(client: TierfsClient, path: string, data: Buffer, writeType: WriteType) {
  await pipeline(Readable.from([data]), await client.createFile(path, { writeType }));
}

describe('kill -9 of the worker', () => {
  it('leaves no partial file, keeps CACHE_THROUGH data and persists ASYNC_THROUGH data after restart', async () => {
    // Persistence runs only when a worker (re)joins or once an hour: the kill comes first.
    cluster = await daemonHome(['tierfs.master.persistence.scheduler.interval=1h']);
    expect((await cluster.tierfs('format')).code).toBe(0);
    const started = await cluster.tierfs('start', 'local');
    expect(started.stderr).toBe('');
    const client = cluster.client('admin');

    const through = randomBytes(2 * 1024 * 1024 + 11);
    const async = randomBytes(3 * 1024 * 1024 + 7);
    await write(client, '/through.bin', through, 'CACHE_THROUGH');
    await write(client, '/async.bin', async, 'ASYNC_THROUGH');
    expect((await client.getStatus('/async.bin')).persistence).toBe('TO_BE_PERSISTED');

    // A write in flight when the worker dies.
    const out = await client.createFile('/in-flight.bin', { writeType: 'CACHE_THROUGH' });
    const feeding = pipeline(
      Readable.from(
        (async function* () {
          for (let i = 0; i < 400; i++) {
            yield randomBytes(64 * 1024);
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
        })(),
      ),
      out,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    process.kill(cluster.pid('worker'), 'SIGKILL');
    await expect(feeding).rejects.toThrow();

    expect(await client.exists('/in-flight.bin')).toBe(false);
    const restarted = await cluster.tierfs('start', 'worker');
    expect(restarted.stderr).toBe('');
    expect(restarted.code).toBe(0);
    expect(await client.exists('/in-flight.bin')).toBe(false);
    // What the killed write left is a `.tierfs-partial.*` (swept later); nothing under its name.
    const visible = () => readdirSync(cluster!.ufs).filter((name) => !name.startsWith('.tierfs-partial.'));
    expect(visible()).not.toContain('in-flight.bin');

    expect(sha(await readStream(await client.openFile('/through.bin')))).toBe(sha(through));
    expect(sha(readFileSync(join(cluster.ufs, 'through.bin')))).toBe(sha(through));
    await eventually(
      async () => (await client.getStatus('/async.bin')).persistence === 'PERSISTED',
      'persistence',
    );
    expect(sha(readFileSync(join(cluster.ufs, 'async.bin')))).toBe(sha(async));
    // Checked once persistence is done: the rejoined worker's persist writes a `.tierfs-persist.*` first.
    expect(visible().sort()).toEqual(['async.bin', 'through.bin']);
    expect(sha(await readStream(await client.openFile('/async.bin', { readType: 'NO_CACHE' })))).toBe(
      sha(async),
    );
  });
});
