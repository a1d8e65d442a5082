/**
 * What a gateway's page of keys costs the local directory it serves: the statuses it reads. A page
 * reads the names of the directory (no status each) and the statuses of the objects it returns, so
 * a page of `max-keys` keys of a 5,000-entry directory reads about `max-keys` statuses, not 5,000
 * (the full scan every page used to make: a listing of N keys was O(N²/page)). Counted through a
 * wrapper of the real LocalUnderStore, the gateways' ObjectModel on top, as the S3, OSS and Kodo
 * gateways list a bucket.
 */
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TierfsError } from '../../src/errors.js';
import { itemKey, type ListQuery } from '../../src/gateway/common/key-listing.js';
import { ObjectModel } from '../../src/gateway/common/object-model.js';
import type { ListedName, ListOptions, ListPage, UnderStore } from '../../src/ufs/contract.js';
import { LocalUnderStore } from '../../src/ufs/local/local-store.js';

const FILES = 5_000;
const BUCKET = 'bucket';
/** Statuses a page may read beyond its keys: the bucket's, the listed directory's, one past the page. */
const SLACK = 8;

/** A local store counting the statuses it reads: `getStatus`, each entry `list` returns, each `status()`. */
function countingStore(inner: LocalUnderStore) {
  const counts = { statuses: 0 };
  let afterNames: (() => Promise<void>) | undefined;
  const store: UnderStore = {
    uri: inner.uri,
    scheme: inner.scheme,
    capabilities: inner.capabilities,
    getStatus: (path: string) => {
      counts.statuses++;
      return inner.getStatus(path);
    },
    exists: (path: string) => inner.exists(path),
    async list(path: string, options?: ListOptions): Promise<ListPage> {
      const page = await inner.list(path, options);
      counts.statuses += page.entries.length;
      return page;
    },
    async *listNames(path: string): AsyncGenerator<ListedName> {
      for await (const named of inner.listNames(path)) {
        yield {
          name: named.name,
          isDirectory: named.isDirectory,
          status: () => {
            counts.statuses++;
            return named.status();
          },
        };
      }
      await afterNames?.();
    },
    open: (path, options) => inner.open(path, options),
    create: (path, options) => inner.create(path, options),
    mkdirs: (path, options) => inner.mkdirs(path, options),
    delete: (path, options) => inner.delete(path, options),
    rename: (source, destination) => inner.rename(source, destination),
    getSpace: () => inner.getSpace(),
    close: () => inner.close(),
  };
  return {
    store,
    counts,
    /** Runs once the next directory's names are all read, before any of their statuses. */
    onceNamesRead(hook: () => Promise<void>) {
      afterNames = async () => {
        afterNames = undefined;
        await hook();
      };
    },
  };
}

let root: string;
let counting: ReturnType<typeof countingStore>;
let model: ObjectModel<{ fingerprint: string }>;
const keys: string[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tierfs-listing-cost-'));
  await mkdir(join(root, BUCKET, 'sub'), { recursive: true });
  for (let i = 0; i < FILES; i++) keys.push(`k${String(i).padStart(5, '0')}${i % 7 === 0 ? '+ é' : ''}`);
  for (let i = 0; i < 20; i++) keys.push(`sub/s${i}`);
  await Promise.all(keys.map((key, i) => writeFile(join(root, BUCKET, key), `${i}`)));
  keys.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  counting = countingStore(new LocalUnderStore({ root }));
  const none = new Map<string, { fingerprint: string }>();
  model = new ObjectModel({
    store: counting.store,
    records: {
      find: (bucket, key) => none.get(`${bucket}/${key}`),
      put: () => undefined,
      blank: () => ({ fingerprint: '' }),
    },
    rootOf: (bucket) => {
      if (bucket !== BUCKET) throw new TierfsError('NOT_FOUND', `no such bucket: ${bucket}`);
      return bucket;
    },
    isBucketName: (name) => name === BUCKET,
  });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
beforeEach(() => {
  counting.counts.statuses = 0;
});

/** The statuses one page read, and the page. */
async function page(query: Partial<ListQuery>, limit: number) {
  counting.counts.statuses = 0;
  const listed = await model.list(BUCKET, { prefix: '', delimiter: '', after: '', ...query }, limit);
  return { listed, statuses: counting.counts.statuses };
}

describe('a page of keys over a 5,000-entry directory', () => {
  it('reads the statuses of the page, not of the directory, and the pages make up the listing', async () => {
    const seen: string[] = [];
    let after = '';
    for (;;) {
      const { listed, statuses } = await page({ after }, 1000);
      expect(statuses).toBeLessThanOrEqual(listed.items.length + SLACK);
      seen.push(...listed.items.map(itemKey));
      if (!listed.truncated) break;
      after = itemKey(listed.items.at(-1)!);
    }
    expect(seen).toEqual(keys);
  });

  it('max-keys=1 reads a status or two, from the start or after a key', async () => {
    for (const after of ['', keys[2500]!]) {
      const { listed, statuses } = await page({ after }, 1);
      expect(listed.items.map(itemKey)).toEqual([keys[after === '' ? 0 : 2501]]);
      expect(listed.truncated).toBe(true);
      expect(statuses).toBeLessThanOrEqual(1 + SLACK);
    }
  });

  it('with a delimiter, a directory rolls up into its common prefix without a status of what is below', async () => {
    const { listed, statuses } = await page({ delimiter: '/', after: keys[4990]! }, 100);
    const expected = keys.slice(4991).filter((key) => !key.startsWith('sub/'));
    expect(listed.items.map(itemKey)).toEqual([...expected.slice(0, 9), 'sub/']);
    expect(listed.truncated).toBe(false);
    expect(statuses).toBeLessThanOrEqual(10 + SLACK);
  });

  it('an object removed between the names and its status is left out, and the page is still full', async () => {
    const gone = keys[11]!;
    counting.onceNamesRead(() => unlink(join(root, BUCKET, gone)));
    const { listed } = await page({ after: keys[9]! }, 3);
    expect(listed.items.map(itemKey)).toEqual([keys[10], keys[12], keys[13]]);
    expect(listed.truncated).toBe(true);
  });
});
