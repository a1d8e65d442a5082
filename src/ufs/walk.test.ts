import { describe, expect, it } from 'vitest';
import type { ListOptions, ListPage, UfsStatus, UnderStore } from './contract.js';
import { walk } from './walk.js';

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
});
