/**
 * The UnderStore contract suite for the Kodo store against tierfs's Kodo gateway (over a local
 * directory): management through the qiniu SDK, reads as signed ranged GETs with the download host
 * as Host, small files as form uploads and files over 1 MiB as resumable v2 parts of 1 MiB.
 */
import { afterAll, beforeAll } from 'vitest';
import { OBJECT_STORE_CAPABILITIES } from '../../src/ufs/object/object-store.js';
import type { KodoFixture } from '../gateway/kodo-support.js';
import { kodoStore, startDriverFixture } from '../kodo/kodo-driver-support.js';
import { describeUnderStoreContract } from './suite.js';

let kodo: KodoFixture | undefined;
let roots = 0;
beforeAll(async () => {
  kodo = await startDriverFixture();
});
afterAll(() => kodo?.cleanup());

describeUnderStoreContract(
  'kodo against the tierfs Kodo gateway',
  {
    newStore: () =>
      kodoStore(kodo!, `contract/root-${++roots}/`, {
        'tierfs.underfs.kodo.resumable.upload.threshold': '1MB',
        'tierfs.underfs.kodo.resumable.upload.part.size': '1MB',
        // Long reads as several ranged downloads, each answer's ETag checked.
        'tierfs.underfs.object.store.multi.range.chunk.size': '256KB',
      }),
  },
  OBJECT_STORE_CAPABILITIES,
);
