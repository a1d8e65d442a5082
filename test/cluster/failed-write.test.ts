/**
 * A write the client saw fail leaves nothing visible or half-written, and never replaces what
 * another write stored. Found on main: a CACHE_THROUGH write went straight to the file's path in
 * the under store, so when its completion failed (the file was deleted, or another write took the
 * path meanwhile) its data was still there: the deleted file came back, or the other, acknowledged
 * write was lost, once the metadata was re-read from the under store.
 *
 * Each case holds a write open (its bytes sent, the stream not ended) while another client acts on
 * the path, then ends it: the completion must fail, and the under store and tierfs must show what
 * they would had the failed write never happened.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TierfsClient } from '../../src/client/client.js';
import type { WriteType } from '../../src/cluster/wire.js';
import { readStream } from '../../src/ufs/io.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';

let cluster: TestCluster;
let client: TierfsClient;
beforeAll(async () => {
  cluster = await startCluster();
  client = cluster.client();
});
afterAll(() => cluster?.stop());

async function write(path: string, data: Buffer, writeType: WriteType, overwrite = false): Promise<void> {
  await pipeline(Readable.from([data]), await client.createFile(path, { writeType, overwrite }));
}

/** A write with its data sent and its stream still open. */
async function openWrite(path: string, data: Buffer, writeType: WriteType, overwrite = false) {
  const stream: Writable = await client.createFile(path, { writeType, overwrite });
  stream.on('error', () => undefined);
  stream.write(data);
  return {
    /** Ends the write; resolves to its error, or undefined when it was acknowledged. */
    end: async (): Promise<unknown> => {
      stream.end();
      return finished(stream).then(
        () => undefined,
        (error: unknown) => error,
      );
    },
  };
}

/** tierfs's objects in progress left in a directory of the under store. */
const leftovers = (dir: string) =>
  existsSync(dir) ? readdirSync(dir).filter((name) => name.startsWith('.tierfs-')) : [];

describe.each(['CACHE_THROUGH', 'THROUGH'] as const)('a %s write whose completion fails', (writeType) => {
  it('overwriting a file deleted meanwhile: the file stays deleted', async () => {
    const dir = `/deleted-${writeType}`;
    const path = `${dir}/file.bin`;
    await write(path, randomBytes(1024), 'CACHE_THROUGH');
    const failing = await openWrite(path, randomBytes(48 * 1024), writeType, true);
    await client.delete(path);
    expect(await failing.end()).toBeDefined();

    await client.loadMetadata(dir, { recursive: true });
    expect(await client.exists(path)).toBe(false);
    expect(existsSync(join(cluster.ufs, path))).toBe(false);
    await eventually(() => leftovers(join(cluster.ufs, dir)).length === 0, 'no temporary object left');
  });

  it('a path another write took meanwhile: the other write stays', async () => {
    const dir = `/taken-${writeType}`;
    const path = `${dir}/file.bin`;
    await client.mkdir(dir, { recursive: true });
    const failing = await openWrite(path, randomBytes(48 * 1024), writeType);
    const winner = randomBytes(16 * 1024);
    await write(path, winner, 'CACHE_THROUGH');
    expect(await failing.end()).toBeDefined();

    await client.loadMetadata(dir, { recursive: true });
    expect(readFileSync(join(cluster.ufs, path)).equals(winner)).toBe(true);
    const read = await readStream(await client.openFile(path, { readType: 'NO_CACHE' }));
    expect(read.equals(winner)).toBe(true);
    await eventually(() => leftovers(join(cluster.ufs, dir)).length === 0, 'no temporary object left');
  });
});
