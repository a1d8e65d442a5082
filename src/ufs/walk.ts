import type { ListOptions, ListPage, UfsStatus, UnderStore } from './contract.js';

/**
 * Every entry under a directory, page by page: never more than one page in memory, however large
 * the directory. With `prefetch`, the next page is asked for while the caller handles this one
 * (two pages in memory): a caller that does slow work per page (the master mirroring a listing
 * into its metadata store) then waits for the store only when the store is the slower of the two.
 */
export async function* walk(
  store: UnderStore,
  path: string,
  options: Omit<ListOptions, 'continuationToken'> & { prefetch?: boolean } = {},
): AsyncGenerator<UfsStatus> {
  const { prefetch, ...listOptions } = options;
  const ask = (continuationToken: string | undefined) =>
    store.list(path, { ...listOptions, continuationToken });
  let next: Promise<ListPage> | undefined = ask(undefined);
  while (next) {
    const page: ListPage = await next;
    next = undefined;
    const token = page.continuationToken;
    if (prefetch && token !== undefined) {
      next = ask(token);
      next.catch(() => undefined); // a caller that stops early never awaits it
    }
    yield* page.entries;
    if (!prefetch && token !== undefined) next = ask(token);
  }
}
