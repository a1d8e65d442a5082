import type { ListOptions, UfsStatus, UnderStore } from './contract.js';

/**
 * Every entry under a directory, page by page: never more than one page in memory, however large
 * the directory.
 */
export async function* walk(
  store: UnderStore,
  path: string,
  options: Omit<ListOptions, 'continuationToken'> = {},
): AsyncGenerator<UfsStatus> {
  let continuationToken: string | undefined;
  do {
    const page = await store.list(path, { ...options, continuationToken });
    yield* page.entries;
    continuationToken = page.continuationToken;
  } while (continuationToken !== undefined);
}
