/**
 * Persistence of a staged (ASYNC_THROUGH) file to S3 goes up straight from the staged copy: no
 * temp file in tierfs.tmp.dirs (buffered mode copied the whole file there first), no in-memory
 * parts, no read through the page store; parts are ranges of the staged file. A failed upload
 * leaves no object and no pending multipart upload. S3 through s3rver and a recording proxy.
 */
import { randomBytes } from 'node:crypto';
import { type FSWatcher, mkdirSync, mkdtempSync, readdirSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { PageStore } from '../../src/cache/page-store.js';
import { readFile } from '../../src/ufs/io.js';
import { memoryPartitionBytes } from '../../src/ufs/object/partition.js';
import { persistFile } from '../../src/worker/data-path.js';
import { StagingArea } from '../../src/worker/staging.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { pendingUploads, type RunningS3rver, s3rverStore, startS3rver } from '../support/s3rver.js';

const MiB = 1024 * 1024;
const PART = {
  'tierfs.underfs.s3.multipart.upload.partition.size': '5MB',
  'tierfs.underfs.s3.streaming.upload.partition.size': '5MB',
};
const BUFFERED = { ...PART, 'tierfs.underfs.s3.multipart.upload.enabled': 'false' };
const IN_MEMORY = { ...PART, 'tierfs.underfs.s3.multipart.upload.enabled': 'true' };

let server: RunningS3rver;
let proxy: FaultProxy;
let base: string;
let staging: StagingArea;
let pages: PageStore;
beforeAll(async () => {
  server = await startS3rver();
  proxy = await startFaultProxy(server.endpoint);
  base = mkdtempSync(join(tmpdir(), 'tierfs-persist-upload-'));
  staging = new StagingArea(join(base, 'staging'));
  await staging.init();
  pages = await PageStore.open({ pageSize: MiB, mem: { quota: 64 * MiB } });
});
afterAll(async () => {
  await pages?.close();
  await proxy?.close();
  await server?.close();
  rmSync(base, { recursive: true, force: true });
});
beforeEach(() => {
  proxy.requests.length = 0;
  proxy.rules.length = 0;
});
afterEach(() => vi.restoreAllMocks());

/** Stages `data` as an ASYNC_THROUGH write does, with its pages cached too. */
async function stage(contentId: string, data: Buffer): Promise<void> {
  const staged = await staging.begin(contentId);
  await staged.write(data);
  await staged.commit();
  for (let at = 0; at < data.length; at += MiB)
    await pages.put(contentId, at / MiB, data.subarray(at, at + MiB));
}

/** Every name that appears in `dir` while it is watched. */
function watchNames(dir: string): { names: Set<string>; watcher: FSWatcher } {
  mkdirSync(dir, { recursive: true });
  const names = new Set<string>(readdirSync(dir));
  const watcher = watch(dir, (_event, name) => {
    if (name) names.add(name.toString());
  });
  return { names, watcher };
}

const isPart = (r: { method: string; query: URLSearchParams }) =>
  r.method === 'PUT' && r.query.has('partNumber');

describe('persisting a staged file to S3', () => {
  it('buffered mode: parts straight from the staged file, no temp copy in tierfs.tmp.dirs, no page reads', async () => {
    const tmp = join(base, 'tmp-buffered');
    const store = await s3rverStore(proxy.endpoint, { ...BUFFERED, 'tierfs.tmp.dirs': tmp });
    const { names, watcher } = watchNames(tmp);
    const pageReads = vi.spyOn(pages, 'get');
    try {
      const data = randomBytes(12 * MiB + 5);
      await stage('buffered-1', data);
      const { ufsFingerprint: fingerprint } = await persistFile(
        { pages, staging },
        'buffered-1',
        data.length,
        {
          store,
          path: 'dir/persisted.bin',
        },
      );
      await new Promise((resolve) => setTimeout(resolve, 50)); // let the last watch events arrive
      expect([...names]).toEqual([]);
      expect(pageReads).not.toHaveBeenCalled();
      expect(proxy.requests.filter(isPart)).toHaveLength(3);
      expect(fingerprint).toBe((await store.getStatus('dir/persisted.bin')).fingerprint);
      expect((await readFile(store, 'dir/persisted.bin')).equals(data)).toBe(true);
    } finally {
      watcher.close();
      await store.close();
    }
  }, 60_000);

  it('in-memory multipart mode (the S3 default): no part buffered in memory, no page reads', async () => {
    const store = await s3rverStore(proxy.endpoint, IN_MEMORY);
    const pageReads = vi.spyOn(pages, 'get');
    // Looked at as each request reaches the store: an in-memory part is held until it is answered.
    let peak = 0;
    proxy.rules.push({
      match: () => {
        peak = Math.max(peak, memoryPartitionBytes());
        return false;
      },
      fault: 'drop',
    });
    try {
      const data = randomBytes(11 * MiB);
      await stage('memory-1', data);
      await persistFile({ pages, staging }, 'memory-1', data.length, { store, path: 'persisted.bin' });
      expect(pageReads).not.toHaveBeenCalled();
      expect(peak).toBe(0);
      expect(proxy.requests.filter(isPart)).toHaveLength(3);
      expect((await readFile(store, 'persisted.bin')).equals(data)).toBe(true);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('a part that keeps failing: the persist fails and leaves no object and no pending upload', async () => {
    const store = await s3rverStore(proxy.endpoint, {
      ...IN_MEMORY,
      'tierfs.underfs.s3.max.error.retry': '0',
    });
    try {
      const data = randomBytes(11 * MiB);
      await stage('failing-1', data);
      proxy.rules.push({
        match: (r) => isPart(r) && r.query.get('partNumber') === '2',
        fault: 'error500',
        times: 100,
      });
      await expect(
        persistFile({ pages, staging }, 'failing-1', data.length, { store, path: 'failed.bin' }),
      ).rejects.toMatchObject({ name: 'TierfsError' });
      expect(proxy.requests.some((r) => r.fault === 'error500')).toBe(true);
      expect(await store.exists('failed.bin')).toBe(false);
      expect(await pendingUploads(server)).toEqual([]);
      expect(staging.has('failing-1')).toBe(true); // the staged copy stays for the next attempt
    } finally {
      await store.close();
    }
  }, 60_000);
});
