/**
 * Kodo's list `limit` is 1–1000 (default 1000). Kodo treats a larger limit as 1000 and pages on
 * with its marker (Qiniu's docs give the range and no error; clients asking for more get 1000 items
 * and a marker), so the gateway does the same: never more than 1000 items, and a marker whenever
 * it stopped short. Files put into the bucket directory directly (1001 of them) are listed as
 * objects, as any file written by others is.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answer, BUCKET, type KodoFixture, startKodoFixture } from './kodo-support.js';

const COUNT = 1001;
let kodo: KodoFixture;

beforeAll(async () => {
  kodo = await startKodoFixture();
  const names = Array.from({ length: COUNT }, (_, i) => `k${String(i).padStart(4, '0')}`);
  await Promise.all(names.map((name) => writeFile(join(kodo.root, BUCKET, name), name)));
});

afterAll(async () => {
  await kodo?.cleanup();
});

async function page(options: { limit?: number; marker?: string }) {
  const listed = await answer(kodo.bucketManager.listPrefix(BUCKET, { prefix: 'k', ...options }));
  expect(listed.status, JSON.stringify(listed.body)).toBe(200);
  return {
    keys: (listed.body.items as { key: string }[]).map((item) => item.key),
    marker: listed.body.marker as string,
  };
}

describe('list limit', () => {
  it('a limit over 1000 lists 1000 items and a marker that pages on to the rest', async () => {
    for (const limit of [5000, 1001]) {
      const first = await page({ limit });
      expect(first.keys.length).toBe(1000);
      expect(first.keys[999]).toBe('k0999');
      expect(first.marker).not.toBe('');
      const rest = await page({ limit, marker: first.marker });
      expect(rest.keys).toEqual(['k1000']);
      expect(rest.marker).toBe('');
    }
  });

  it('no limit is the default 1000; a limit of 1000 exactly pages the same way', async () => {
    expect((await page({})).keys.length).toBe(1000);
    const exact = await page({ limit: 1000 });
    expect(exact.keys.length).toBe(1000);
    expect((await page({ limit: 1000, marker: exact.marker })).keys).toEqual(['k1000']);
  });
});
