import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTierfsError } from '../../errors.js';
import type { UfsStatus } from '../../ufs/contract.js';
import { LocalUnderStore } from '../../ufs/local/local-store.js';
import { walk } from '../../ufs/walk.js';
import { type BucketTree, pruneEmptyParents } from './bucket-tree.js';
import { compareKeys, itemKey, type ListQuery, listKeys, listPage } from './key-listing.js';

let dir: string;
let store: LocalUnderStore;
const markers = new Set<string>();
/**
 * The bucket as the directory `bucket` of the store, its markers those in `markers`; with `names`,
 * its children are listed by name (the store's listNames) as a gateway over a local directory does.
 */
const tree = (names = true): BucketTree<UfsStatus> => {
  const at = (path: string) => (path === '' ? 'bucket' : `bucket/${path}`);
  return {
    async stat(path) {
      try {
        return await store.getStatus(at(path));
      } catch (error) {
        if (isTierfsError(error, 'NOT_FOUND')) return undefined;
        throw error;
      }
    },
    children: (path) => walk(store, at(path)),
    delete: (path) => store.delete(at(path)),
    hasMarker: (path) => markers.has(path),
    ...(names ? { names: (path: string) => store.listNames(at(path)) } : {}),
  };
};

/** The listing's keys, the same whether the tree's children are listed whole or by name. */
async function keys(query: Partial<ListQuery>): Promise<string[]> {
  const listed = async (names: boolean) => {
    const out: string[] = [];
    for await (const item of listKeys(tree(names), { prefix: '', delimiter: '', after: '', ...query })) {
      out.push(item.kind === 'object' ? `${item.key}:${item.entry.size}` : `prefix:${item.prefix}`);
    }
    return out;
  };
  const byName = await listed(true);
  expect(byName).toEqual(await listed(false));
  return byName.map((key) => key.replace(/:\d+$/, ''));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tierfs-key-listing-'));
  for (const file of ['a/b/c.txt', 'a/d.txt', 'a/e/f.txt', 'z\u{ff5a}', 'z\u{1d11e}']) {
    await mkdir(join(dir, 'bucket', file, '..'), { recursive: true });
    await writeFile(join(dir, 'bucket', file), file);
  }
  await mkdir(join(dir, 'bucket', 'a', 'empty'), { recursive: true });
  markers.add('a/b');
  markers.add('a/empty');
  store = new LocalUnderStore({ root: dir });
});
afterAll(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('compareKeys', () => {
  it('orders keys as their UTF-8 bytes, lone surrogates included', () => {
    const units = [
      'a',
      '/',
      '-',
      '~',
      '\u00e9',
      '\u07ff',
      '\u0800',
      '\ud7ff',
      '\ue000',
      '\uff5a',
      '\uffff',
      '\ud83d\ude00',
      '\ud800',
      '\udc00',
      '\ud834\udd1e',
    ];
    const keys: string[] = [''];
    for (const a of units) for (const b of units) keys.push(a + b, `${a}x${b}`);
    const bytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
    const wrong: string[] = [];
    for (const a of keys) {
      for (const b of keys) if (Math.sign(compareKeys(a, b)) !== bytes(a, b)) wrong.push(`${a} ${b}`);
    }
    expect(wrong).toEqual([]);
  });
});

describe('key listing over a directory tree', () => {
  it('lists markers as keys right before what is below them, in UTF-8 byte order', async () => {
    expect(await keys({})).toEqual([
      'a/b/',
      'a/b/c.txt',
      'a/d.txt',
      'a/e/f.txt',
      'a/empty/',
      // U+FF5A is EF BD 9A in UTF-8, U+1D11E is F0 9D 84 9E: byte order, not UTF-16 order.
      'z\u{ff5a}',
      'z\u{1d11e}',
    ]);
  });

  it('rolls markers below the prefix into common prefixes, and lists the prefix own marker first', async () => {
    expect(await keys({ prefix: 'a/', delimiter: '/' })).toEqual([
      'prefix:a/b/',
      'a/d.txt',
      'prefix:a/e/',
      'prefix:a/empty/',
    ]);
    expect(await keys({ prefix: 'a/b/', delimiter: '/' })).toEqual(['a/b/', 'a/b/c.txt']);
    expect(await keys({ prefix: 'a/empty/', delimiter: '/' })).toEqual(['a/empty/']);
    expect(await keys({ prefix: 'a/e/', delimiter: '/' })).toEqual(['a/e/f.txt']);
  });

  it('resumes after a key or a common prefix, page by page', async () => {
    const all = await keys({ prefix: 'a/', delimiter: '/' });
    const seen: string[] = [];
    let after = '';
    for (;;) {
      const page = await listPage(tree(), { prefix: 'a/', delimiter: '/', after }, 1);
      seen.push(...page.items.map((i) => (i.kind === 'object' ? i.key : `prefix:${i.prefix}`)));
      if (!page.truncated) break;
      after = itemKey(page.items.at(-1)!);
    }
    expect(seen).toEqual(all);
  });

  it('removing the last file keeps a marked directory and prunes unmarked ones', async () => {
    for (const file of ['a/b/c.txt', 'a/e/f.txt']) {
      await tree().delete(file);
      await pruneEmptyParents(tree(), file);
    }
    expect(await keys({ prefix: 'a/' })).toEqual(['a/b/', 'a/d.txt', 'a/empty/']);
    markers.delete('a/b');
    await tree().delete('a/b');
    await pruneEmptyParents(tree(), 'a/b');
    await pruneEmptyParents(tree(), 'a/empty/x');
    expect(await keys({ prefix: 'a/', delimiter: '/' })).toEqual(['a/d.txt', 'prefix:a/empty/']);
  });
});
