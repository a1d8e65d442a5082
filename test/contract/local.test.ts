/** The UnderStore contract suite against the local directory store. */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { abortWrite } from '../../src/ufs/io.js';
import { LOCAL_CAPABILITIES, LocalUnderStore } from '../../src/ufs/local/local-store.js';
import { type ContractTarget, describeUnderStoreContract, randomBuffer } from './suite.js';

function localTarget(readOnly: boolean): ContractTarget & { newRoot(): Promise<string> } {
  const roots: string[] = [];
  const newRoot = async (): Promise<string> => {
    const root = await mkdtemp(join(tmpdir(), 'tierfs-contract-'));
    roots.push(root);
    return root;
  };
  return {
    newRoot,
    async newStore() {
      return new LocalUnderStore({ root: await newRoot(), readOnly });
    },
    async cleanup() {
      await Promise.all(roots.splice(0).map((root) => rm(root, { recursive: true, force: true })));
    },
  };
}

describeUnderStoreContract('local', localTarget(false), LOCAL_CAPABILITIES);
describeUnderStoreContract('local (read-only)', localTarget(true), { ...LOCAL_CAPABILITIES, readOnly: true });

/**
 * The suite sees a store only through its contract, and the local store hides its in-progress
 * files from listings; so look at the disk itself: a failed write must leave no file behind.
 */
describe('local store: failed writes leave nothing on disk', () => {
  const target = localTarget(false);
  afterAll(async () => {
    await target.cleanup?.();
  });

  it('after abortWrite and after a failing pipeline the root directory holds only what was there', async () => {
    const root = await target.newRoot();
    const store = new LocalUnderStore({ root });
    try {
      const aborted = await store.create('dir/aborted.bin');
      aborted.write(randomBuffer(300 * 1024, 'disk-abort'));
      await abortWrite(aborted);

      const failed = await store.create('dir/failed.bin');
      const failing = async function* (): AsyncGenerator<Buffer> {
        yield randomBuffer(300 * 1024, 'disk-fail');
        throw new Error('source failed');
      };
      await expect(pipeline(failing, failed)).rejects.toThrow();
      await abortWrite(failed);

      const onDisk = await readdir(root, { recursive: true });
      expect(onDisk.filter((name) => name !== 'dir').sort()).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
