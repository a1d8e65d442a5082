/**
 * Object-store listings (prefix, delimiter, marker, max-keys) over any UnderStore, in key order.
 * A store lists one directory at a time in its own order; here each directory's entries are sorted
 * by their key (a directory `d` sorts as `d/`), so a depth-first walk yields keys in lexicographic
 * order. Only directories that can hold keys after the marker and inside the prefix are opened;
 * with delimiter `/` a directory beyond the prefix becomes a common prefix without being opened.
 * Directories themselves are not listed as keys (a local directory outlives its last file, an
 * object-store prefix does not); `HEAD dir/` still finds them. Memory: one directory's entries
 * per level of depth. Protocol-neutral: shared by every gateway dialect.
 */
import type { UfsStatus, UnderStore } from '../../ufs/contract.js';
import { joinPath } from '../../ufs/path.js';
import { walk } from '../../ufs/walk.js';

export interface KeyListingOptions {
  readonly prefix: string;
  readonly delimiter: string;
  readonly after: string;
  readonly maxKeys: number;
}

export interface ListedKey {
  readonly key: string;
  readonly status: UfsStatus;
}

export interface KeyListing {
  readonly objects: readonly ListedKey[];
  readonly commonPrefixes: readonly string[];
  readonly isTruncated: boolean;
  readonly nextMarker: string | undefined;
}

type Item =
  | { readonly key: string; readonly status: UfsStatus }
  | { readonly key: string; readonly status?: never };

/** Lists the keys under `root` (a bucket's directory) matching the options. */
export async function listKeys(
  store: UnderStore,
  root: string,
  options: KeyListingOptions,
): Promise<KeyListing> {
  const { prefix, delimiter, after, maxKeys } = options;
  const objects: ListedKey[] = [];
  const commonPrefixes: string[] = [];
  let count = 0;
  let last: string | undefined;
  let isTruncated = false;
  for await (const item of walkSorted(store, root, '', prefix, after, delimiter === '/')) {
    let emitted: Item = item;
    if (delimiter !== '' && item.status !== undefined) {
      const rest = item.key.slice(prefix.length);
      const at = rest.indexOf(delimiter);
      if (at >= 0) {
        const common = prefix + rest.slice(0, at + delimiter.length);
        if (common === last || common <= after || after.startsWith(common)) continue;
        emitted = { key: common };
      }
    }
    if (count === maxKeys) {
      isTruncated = true;
      break;
    }
    if (emitted.status) objects.push({ key: emitted.key, status: emitted.status });
    else commonPrefixes.push(emitted.key);
    last = emitted.key;
    count++;
  }
  return { objects, commonPrefixes, isTruncated, nextMarker: isTruncated ? last : undefined };
}

async function* walkSorted(
  store: UnderStore,
  root: string,
  dirKey: string,
  prefix: string,
  after: string,
  rollUp: boolean,
): AsyncGenerator<Item> {
  const children: { key: string; status: UfsStatus }[] = [];
  for await (const status of walk(store, joinPath(root, dirKey))) {
    children.push({ key: `${dirKey}${status.name}${status.isDirectory ? '/' : ''}`, status });
  }
  children.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const { key, status } of children) {
    if (!status.isDirectory) {
      if (key.startsWith(prefix) && key > after) yield { key, status };
      continue;
    }
    if (!key.startsWith(prefix) && !prefix.startsWith(key)) continue;
    // Every key below `key` starts with it: all of them are at or before the marker.
    if (key <= after && !after.startsWith(key)) continue;
    if (rollUp && key.startsWith(prefix) && key.length > prefix.length) {
      if (key > after) yield { key };
      continue;
    }
    yield* walkSorted(store, root, key, prefix, after, rollUp);
  }
}
