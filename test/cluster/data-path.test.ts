/** Reads and writes through a real master and worker, for every write type and read type. */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadType, TierfsClient } from '../../src/client/client.js';
import type { WriteType } from '../../src/cluster/wire.js';
import { isTierfsError } from '../../src/errors.js';
import { readStream } from '../../src/ufs/io.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';

let cluster: TestCluster;
let client: TierfsClient;

beforeAll(async () => {
  cluster = await startCluster();
  client = cluster.client();
});
afterAll(() => cluster.stop());

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function write(path: string, data: Buffer, writeType: WriteType, overwrite = false): Promise<void> {
  const out = await client.createFile(path, { writeType, overwrite });
  await pipeline(Readable.from([data.subarray(0, 1000), data.subarray(1000)]), out);
}

async function read(path: string, readType: ReadType, range: { offset?: number; length?: number } = {}) {
  return readStream(await client.openFile(path, { readType, ...range }));
}

describe('writes and reads through the cluster', () => {
  const data = randomBytes(3 * 1024 * 1024 + 123);

  it.each(['MUST_CACHE', 'CACHE_THROUGH', 'THROUGH', 'ASYNC_THROUGH'] as WriteType[])(
    '%s: every read type returns every byte, and the under store gets what the type promises',
    async (writeType) => {
      const path = `/types/${writeType}.bin`;
      await write(path, data, writeType);
      for (const readType of ['NO_CACHE', 'CACHE', 'CACHE_PROMOTE'] as ReadType[]) {
        expect(sha(await read(path, readType))).toBe(sha(data));
      }
      const ufsFile = join(cluster.ufs, 'types', `${writeType}.bin`);
      if (writeType === 'MUST_CACHE') {
        expect(existsSync(ufsFile)).toBe(false);
        expect((await client.getStatus(path)).persistence).toBe('NOT_PERSISTED');
      } else if (writeType === 'ASYNC_THROUGH') {
        await eventually(
          async () => (await client.getStatus(path)).persistence === 'PERSISTED',
          'persistence',
        );
        expect(sha(readFileSync(ufsFile))).toBe(sha(data));
      } else {
        expect(sha(readFileSync(ufsFile))).toBe(sha(data));
        expect((await client.getStatus(path)).persistence).toBe('PERSISTED');
      }
    },
  );

  it('serves ranges across page boundaries', async () => {
    await write('/ranges.bin', data, 'CACHE_THROUGH');
    const mib = 1024 * 1024;
    for (const [offset, length] of [
      [0, 10],
      [mib - 5, 10],
      [2 * mib + 7, mib],
      [data.length - 3, 100],
      [data.length, 10],
    ] as const) {
      expect(
        (await read('/ranges.bin', 'CACHE', { offset, length })).equals(
          data.subarray(offset, offset + length),
        ),
      ).toBe(true);
    }
  });

  it('reads a file written straight into the under store, and sees it change', async () => {
    writeFileSync(join(cluster.ufs, 'outside.txt'), 'written outside');
    expect((await read('/outside.txt', 'CACHE')).toString()).toBe('written outside');
    writeFileSync(join(cluster.ufs, 'outside.txt'), 'changed outside, longer');
    await client.loadMetadata('/outside.txt');
    expect((await read('/outside.txt', 'CACHE')).toString()).toBe('changed outside, longer');
  });

  it('a write that fails half way leaves no file anywhere', async () => {
    const out = await client.createFile('/broken.bin', { writeType: 'CACHE_THROUGH' });
    const failing = Readable.from(
      (async function* () {
        yield randomBytes(2 * 1024 * 1024);
        throw new Error('source died');
      })(),
    );
    await expect(pipeline(failing, out)).rejects.toThrow('source died');
    await eventually(
      async () => !(await client.exists('/broken.bin')) && !existsSync(join(cluster.ufs, 'broken.bin')),
      'the failed write to be cleaned up',
    );
  });

  it('refuses to overwrite without the flag and replaces with it', async () => {
    await write('/once.txt', Buffer.from('first version of the file'), 'CACHE_THROUGH');
    const error = await client.createFile('/once.txt').catch((e: unknown) => e);
    expect(isTierfsError(error, 'ALREADY_EXISTS')).toBe(true);
    await write('/once.txt', Buffer.from('second version, cached again'), 'CACHE_THROUGH', true);
    expect((await read('/once.txt', 'CACHE')).toString()).toBe('second version, cached again');
  });

  it('keeps serving after the worker restarts (cached pages and the under store)', async () => {
    await write('/survivor.bin', data, 'CACHE_THROUGH');
    await cluster.restartWorker();
    expect(sha(await read('/survivor.bin', 'CACHE'))).toBe(sha(data));
  });
});
