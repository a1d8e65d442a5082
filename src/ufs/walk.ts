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

/** A page of a listing, and whether the page after it has already arrived. */
export interface WalkedPage {
  readonly entries: readonly UfsStatus[];
  /** True when there is no next page or it has arrived: handling it will not wait for the store. */
  nextReady(): boolean;
  /** Resolves when the next page has arrived (or failed), at once when there is none. */
  nextArrival(): Promise<void>;
}

/**
 * The pages of a listing, the next one always asked for while the caller handles this one. A
 * caller that batches its work across pages (the master mirroring a listing) asks `nextReady` to
 * finish a batch when it would otherwise sit waiting for the store.
 */
export async function* walkPages(
  store: UnderStore,
  path: string,
  options: Omit<ListOptions, 'continuationToken'> = {},
  /** The first page, when it was already asked for (`store.list(path, options)`). */
  firstPage?: Promise<ListPage>,
): AsyncGenerator<WalkedPage> {
  const ask = (continuationToken: string | undefined) => {
    const page =
      continuationToken === undefined && firstPage
        ? firstPage
        : store.list(path, { ...options, continuationToken });
    const asked = { page, arrived: false, arrival: Promise.resolve() };
    const arrived = () => {
      asked.arrived = true;
    };
    asked.arrival = asked.page.then(arrived, arrived); // also: a caller that stops early never awaits it
    return asked;
  };
  let next: ReturnType<typeof ask> | undefined = ask(undefined);
  while (next) {
    const page: ListPage = await next.page;
    const token = page.continuationToken;
    const following = token === undefined ? undefined : ask(token);
    yield {
      entries: page.entries,
      nextReady: () => following === undefined || following.arrived,
      nextArrival: () => following?.arrival ?? Promise.resolve(),
    };
    next = following;
  }
}
