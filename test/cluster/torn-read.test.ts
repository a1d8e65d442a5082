/**
 * A reader sees one version: a file with 2 of its 8 pages cached, then replaced in its under store
 * by different bytes of the same size, reads back as the old bytes or the new ones, never as old
 * pages followed by new ones. On every kind of store: a local directory, and S3, OSS and Kodo
 * through tierfs's own gateways (each over a local directory), written through the drivers so each
 * store gives the new object its own ETag.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TierfsClient } from '../../src/client/client.js';
import { readStream, writeFile } from '../../src/ufs/io.js';
import { FileSystem } from '../../src/ufs/registry.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { storesUnderTest } from '../support/stores-under-test.js';

const PAGE = 1024 * 1024;
const PAGES = 8;
const READS = 20;

let cluster: TestCluster;
let client: TierfsClient;
const { stores, cleanup } = storesUnderTest(() => join(cluster.home, 'local-store'), 'torn');

const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');
const pattern = (byte: number) => Buffer.alloc(PAGES * PAGE, byte);

beforeAll(async () => {
  cluster = await startCluster();
  client = cluster.client();
});
afterAll(async () => {
  await cluster.stop();
  await cleanup();
});

describe('a file replaced in its under store at the same size', () => {
  it.each(Object.keys(stores))('%s: 20 of 20 reads return exactly one version', async (kind) => {
    const { uri, options } = await stores[kind]!();
    const mountPath = `/${kind}`;
    await client.mount(mountPath, uri, { options });
    const writer = await FileSystem.get(uri, options);
    try {
      const before = pattern(0x11);
      const after = pattern(0x22);
      await writeFile(writer, 'torn.bin', before);
      const path = `${mountPath}/torn.bin`;
      // Two of the eight pages in the cache.
      const head = await readStream(await client.openFile(path, { readType: 'CACHE', length: 2 * PAGE }));
      expect(md5(head)).toBe(md5(before.subarray(0, 2 * PAGE)));
      const oldContent = (await client.getStatus(path)).contentId;
      await writeFile(writer, 'torn.bin', after, { overwrite: true });

      const versions = { [md5(before)]: 'old', [md5(after)]: 'new' };
      const seen: string[] = [];
      for (let i = 0; i < READS; i++) {
        const bytes = await readStream(await client.openFile(path));
        seen.push(
          versions[md5(bytes)] ??
            `a mix (${bytes.length} bytes, page 0 byte ${bytes[0]}, last page byte ${bytes.at(-1)})`,
        );
      }
      expect(seen.filter((v) => v !== 'old' && v !== 'new')).toEqual([]);
      // Once tierfs has seen the new version it keeps serving it.
      expect(seen.at(-1)).toBe('new');
      // A read pinned to the old content (as the namespace S3 gateway pins its reads) is refused.
      await expect(client.openFile(path, { contentId: oldContent })).rejects.toMatchObject({ code: 'STALE' });
    } finally {
      await writer.close();
      await client.unmount(mountPath);
    }
  });
});
