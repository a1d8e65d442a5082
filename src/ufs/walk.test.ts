import { describe, expect, it } from 'vitest';
import type { ListOptions, ListPage, UfsStatus, UnderStore } from './contract.js';
import { type WalkedPage, walk, walkPages } from './walk.js';

/** A store of `pages` pages of two entries each that records the tokens it is asked for. */
function pagedStore(pages: number) {
  const asked: (string | undefined)[] = [];
  const entry = (name: string) => ({ name, path: name, isDirectory: false, size: 1 }) as UfsStatus;
  const store = {
    async list(_path: string, options: ListOptions = {}): Promise<ListPage> {
      asked.push(options.continuationToken);
      const n = options.continuationToken === undefined ? 0 : Number(options.continuationToken);
      return {
        entries: [entry(`p${n}a`), entry(`p${n}b`)],
        ...(n + 1 < pages ? { continuationToken: String(n + 1) } : {}),
      };
    },
  } as unknown as UnderStore;
  return { store, asked };
}

describe('walk', () => {
  it('yields every entry of every page in order, asking for a page only once the last one is done', async () => {
    const { store, asked } = pagedStore(3);
    const it = walk(store, 'd');
    expect((await it.next()).value?.name).toBe('p0a');
    expect(asked).toEqual([undefined]);
    const rest: string[] = [];
    for await (const e of it) rest.push(e.name);
    expect(rest).toEqual(['p0b', 'p1a', 'p1b', 'p2a', 'p2b']);
    expect(asked).toEqual([undefined, '1', '2']);
  });

  it('with prefetch, asks for the next page while the caller still handles this one', async () => {
    const { store, asked } = pagedStore(3);
    const it = walk(store, 'd', { prefetch: true });
    expect((await it.next()).value?.name).toBe('p0a');
    expect(asked).toEqual([undefined, '1']);
    const rest: string[] = [];
    for await (const e of it) rest.push(e.name);
    expect(rest).toEqual(['p0b', 'p1a', 'p1b', 'p2a', 'p2b']);
    expect(asked).toEqual([undefined, '1', '2']);
  });

  it('walkPages asks for the next page at once and tells when it has arrived', async () => {
    const { store, asked } = pagedStore(3);
    let answer!: () => void;
    const held = {
      list: async (path: string, options: ListOptions = {}) => {
        if (options.continuationToken === '1') await new Promise<void>((resolve) => (answer = resolve));
        return store.list(path, options);
      },
    } as unknown as UnderStore;
    const pages = walkPages(held, 'd');
    const first = (await pages.next()).value as WalkedPage;
    expect(first.entries.map((e) => e.name)).toEqual(['p0a', 'p0b']);
    expect(asked).toEqual([undefined]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(first.nextReady()).toBe(false); // page 1 is held back by the store
    answer();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(first.nextReady()).toBe(true);
    const rest: string[] = [];
    let last = first;
    for await (const page of pages) {
      rest.push(...page.entries.map((e) => e.name));
      last = page;
    }
    expect(rest).toEqual(['p1a', 'p1b', 'p2a', 'p2b']);
    expect(last.nextReady()).toBe(true); // no page after the last
    expect(asked).toEqual([undefined, '1', '2']);
  });
});
