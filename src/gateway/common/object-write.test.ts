import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UnderStore } from '../../ufs/contract.js';
import { readFile, writeFile } from '../../ufs/io.js';
import { LocalUnderStore } from '../../ufs/local/local-store.js';
import { KeyLayout, underStoreLayout } from './key-layout.js';
import { writeKey } from './object-write.js';

let dir: string;
let local: LocalUnderStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tierfs-object-write-'));
  local = new LocalUnderStore({ root: dir });
  await local.mkdirs('b');
});

afterEach(async () => {
  await local.close();
  await rm(dir, { recursive: true, force: true });
});

function write(store: UnderStore, key: string, data: Buffer, afterFill = async () => {}) {
  const isMarker = key.endsWith('/');
  const path = isMarker ? key.slice(0, -1) : key;
  const layout = new KeyLayout(underStoreLayout(store), { rootOf: (b) => b, hasMarker: () => false });
  return writeKey({
    store,
    layout,
    bucket: 'b',
    path,
    fullPath: `b/${path}`,
    isMarker,
    create: (at) => store.create(at, { overwrite: true }),
    fill: async (out) => {
      await pipeline(Readable.from([data]), out);
      await afterFill();
    },
  });
}

describe('writeKey', () => {
  it('records the status of the bytes it wrote even when another writer replaced them since', async () => {
    const mine = Buffer.from('mine: 17 bytes...');
    const theirs = Buffer.from('theirs, a longer body of 35 bytes.');
    // Another writer replaces the file right after this write committed, before anyone looks at it.
    const { target, status } = await write(local, 'k', mine, () =>
      writeFile(local, 'b/k', theirs, { overwrite: true }),
    );
    expect(target).toBe('b/k');
    expect(status.size).toBe(mine.length);
    // The fingerprint names this write's bytes: a read pinned to it does not get the other ones.
    await expect(readFile(local, 'b/k', { version: status.fingerprint })).rejects.toMatchObject({
      code: 'STALE',
    });
  });

  it('leaves a marker without a body as its directory alone', async () => {
    const { status } = await write(local, 'd/', Buffer.alloc(0));
    expect(status.isDirectory).toBe(true);
    expect((await local.list('b/d')).entries).toEqual([]);
  });

  it('leaves nothing behind when the bytes fail', async () => {
    const layout = new KeyLayout(underStoreLayout(local), { rootOf: (b) => b, hasMarker: () => false });
    const failing = writeKey({
      store: local,
      layout,
      bucket: 'b',
      path: 'broken',
      fullPath: 'b/broken',
      isMarker: false,
      create: (at) => local.create(at, { overwrite: true }),
      fill: (out) =>
        pipeline(
          Readable.from(
            (async function* () {
              yield Buffer.from('half');
              throw new Error('client went away');
            })(),
          ),
          out,
        ),
    });
    await expect(failing).rejects.toThrow('client went away');
    expect(await local.exists('b/broken')).toBe(false);
  });
});
