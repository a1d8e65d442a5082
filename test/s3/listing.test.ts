/**
 * Listing edge cases of the object-store base, on s3rver: implied directories reported exactly
 * once however the pages fall (keys like `a/b!x` sort between `a/b` and `a/b/…`), with `/` and
 * with `_$folder$` markers, and tokens that belong to another listing refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UnderStore } from '../../src/ufs/contract.js';
import { writeFile } from '../../src/ufs/io.js';
import { expectCode, listPages } from '../contract/suite.js';
import { eventually } from '../support/eventually.js';
import { type RunningS3rver, rawKeys, rootPrefixOf, s3rverStore, startS3rver } from '../support/s3rver.js';

const FILES = ['a/b/c/d.txt', 'a/b!x', 'a/b/c!y', 'a/b0', 'a/b/c/e/f.txt', 'a/b/c/e/g.txt', 'z', 'a.txt'];
const DIRS = ['a', 'a/b', 'a/b/c', 'a/b/c/e'];

let server: RunningS3rver;
beforeAll(async () => {
  server = await startS3rver();
});
afterAll(async () => {
  await server?.close();
});

async function paths(
  store: UnderStore,
  dir: string,
  pageSize: number,
  recursive: boolean,
): Promise<string[]> {
  const pages = await listPages(store, dir, { pageSize, recursive });
  for (const page of pages) expect(page.entries.length).toBeLessThanOrEqual(pageSize);
  return pages.flatMap((page) => page.entries.map((e) => `${e.path}${e.isDirectory ? '/' : ''}`));
}

describe.each([
  ['/ markers', {}],
  ['_$folder$ markers', { 'tierfs.underfs.s3.directory.suffix': '_$folder$' }],
])('listing with %s', (_name, options) => {
  it('every implied directory is listed once, for every page size', async () => {
    const store = await s3rverStore(server.endpoint, {
      ...options,
      'tierfs.underfs.object.store.breadcrumbs.enabled': 'false',
    });
    try {
      for (const file of FILES) await writeFile(store, file, file);
      await store.mkdirs('a/b/empty');
      const expected = [...FILES, ...[...DIRS, 'a/b/empty'].map((d) => `${d}/`)].sort();
      for (const pageSize of [1, 2, 3, 7, 1000]) {
        const listed = await paths(store, '', pageSize, true);
        expect([...listed].sort(), `page size ${pageSize}`).toEqual(expected);
      }
      expect((await paths(store, 'a/b', 1, false)).sort()).toEqual(['a/b/c!y', 'a/b/c/', 'a/b/empty/']);
      expect((await paths(store, 'a', 2, false)).sort()).toEqual(['a/b!x', 'a/b/', 'a/b0']);
    } finally {
      await store.close();
    }
  });
});

describe('listing tokens and breadcrumbs', () => {
  it('a token of another directory or mode is refused; one of the same listing goes on', async () => {
    const store = await s3rverStore(server.endpoint);
    try {
      for (const file of ['d/1', 'd/2', 'd/3', 'e/1']) await writeFile(store, file, file);
      const first = await store.list('d', { pageSize: 1 });
      const token = first.continuationToken!;
      await expectCode(store.list('e', { pageSize: 1, continuationToken: token }), 'INVALID_ARGUMENT');
      await expectCode(store.list('d', { recursive: true, continuationToken: token }), 'INVALID_ARGUMENT');
      expect(
        (await store.list('d', { pageSize: 5, continuationToken: token })).entries.map((e) => e.path),
      ).toEqual(['d/2', 'd/3']);
    } finally {
      await store.close();
    }
  });

  it('breadcrumbs go to implied directories only, once', async () => {
    const store = await s3rverStore(server.endpoint);
    try {
      await writeFile(store, 'p/q/r/s.txt', 's');
      await store.mkdirs('p/explicit');
      await paths(store, 'p', 1, true);
      // Written behind the listing's answer: the delete below waits for them (and so does this).
      await eventually(
        async () => (await rawKeys(server, rootPrefixOf(store))).length === 5,
        'the breadcrumbs to be written',
      );
      expect(await rawKeys(server, rootPrefixOf(store))).toEqual([
        'p/',
        'p/explicit/',
        'p/q/',
        'p/q/r/',
        'p/q/r/s.txt',
      ]);
      await store.delete('p/q/r/s.txt');
      expect((await store.getStatus('p/q/r')).isDirectory).toBe(true);
    } finally {
      await store.close();
    }
  });
});
