/**
 * Lists a bucket in object-store key order (UTF-8 byte order) over a tree that lists directories in
 * any order: a depth-first walk that sorts one directory at a time (a directory `d` sorts as its
 * key `d/`), starting at the deepest directory the prefix names, skipping whole directories that
 * sort before the position to resume after and rolling directories up into common prefixes without
 * entering them. A directory that carries a marker is listed as the object `d/` (size 0), right
 * before the keys below it, as S3, OSS and Kodo list a `d/` key; with a delimiter it rolls up into
 * the common prefix `d/` like any key below it, unless the prefix is `d/` itself. The object `d`
 * held inside the directory `d` (OBJECT_FILE, when `d` is both a key and a prefix) sorts as `d`.
 * The gateway's own files (isReservedName) are never listed. Memory holds one directory listing
 * per level, never the whole bucket. Shared by every gateway dialect.
 *
 * What a page costs: over a tree that lists names (BucketTree.names: a local directory's `readdir`),
 * each directory walked is read by name and kind only, and the entries read are those of the
 * objects the page returns (a batch at a time, never more than the caller still wants) and of the
 * markers it lists: a page of `max-keys` keys reads about `max-keys` statuses however large the
 * directory, where reading every child's status made each page cost the whole directory.
 */
import { isTierfsError } from '../../errors.js';
import type { BucketTree, NamedChild, TreeEntry } from './bucket-tree.js';
import { isReservedName, OBJECT_FILE } from './object-keys.js';

/** An object (a file, or a marked directory when the key ends in `/`) or a common prefix. */
export type ListItem<E extends TreeEntry> =
  | { readonly kind: 'object'; readonly key: string; readonly entry: E }
  | { readonly kind: 'prefix'; readonly prefix: string };

export interface ListQuery {
  readonly prefix: string;
  /** `''` for a flat listing. */
  readonly delimiter: string;
  /** Only keys (and common prefixes) sorting after this one (`''`: from the start). */
  readonly after: string;
}

export interface ListPage<E extends TreeEntry> {
  readonly items: readonly ListItem<E>[];
  /** More items follow the last one. */
  readonly truncated: boolean;
}

const BEYOND_D7FF = /[\uD800-\uFFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * UTF-8 byte order (the order object stores list keys in) without encoding either key: UTF-16 code
 * units order as code points do except surrogates against U+E000–U+FFFF, which are shifted apart
 * at the first difference. A key with a lone surrogate (which UTF-8 encodes as U+FFFD) is compared
 * by its encoded bytes, as before.
 */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x < 0xd800 || y < 0xd800) return x < y ? -1 : 1;
    if (LONE_SURROGATE.test(a) || LONE_SURROGATE.test(b))
      return Buffer.compare(Buffer.from(a), Buffer.from(b));
    const cx = x >= 0xe000 ? x - 0x800 : x + 0x2000;
    const cy = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    return cx < cy ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** The key (or common prefix) of a listed item: where the next page resumes after. */
export function itemKey(item: ListItem<TreeEntry>): string {
  return item.kind === 'object' ? item.key : item.prefix;
}

function isSafePath(path: string): boolean {
  return (
    path === '' || path.split('/').every((s) => s !== '' && s !== '.' && s !== '..' && !s.includes('\0'))
  );
}

/** Most object entries a listing reads ahead at once (the old full listing's batch was 128). */
const READ_AHEAD = 64;

export interface ListKeysOptions {
  /**
   * How many more items the caller will take (at least 1): the listing reads at most this many
   * objects' entries ahead of the one it yields. Default 64.
   */
  readonly wanted?: () => number;
}

/** At most `limit` items of a listing, and whether more follow. */
export async function listPage<E extends TreeEntry>(
  tree: BucketTree<E>,
  query: ListQuery,
  limit: number,
): Promise<ListPage<E>> {
  const items: ListItem<E>[] = [];
  if (limit <= 0) return { items, truncated: false };
  // One item past the page tells whether it is truncated.
  const wanted = () => limit + 1 - items.length;
  for await (const item of listKeys(tree, query, { wanted })) {
    if (items.length === limit) return { items, truncated: true };
    items.push(item);
  }
  return { items, truncated: false };
}

/** A child of a listed directory, by its key (`d/` for the directory `d`). */
interface Child<E extends TreeEntry> {
  readonly key: string;
  readonly isDirectory: boolean;
  /** As listed; none for the object `d` held inside the directory `d` (OBJECT_FILE). */
  readonly named: NamedChild<E> | undefined;
  /** The read of its entry, once started: undefined when it is gone (or no longer of this kind). */
  reading?: Promise<E | undefined>;
}

/** The children of a directory by name and kind: the tree's `names`, or its `children` as they are. */
function namedChildren<E extends TreeEntry>(tree: BucketTree<E>, dir: string): AsyncIterable<NamedChild<E>> {
  if (tree.names) return tree.names(dir);
  return (async function* () {
    for await (const entry of tree.children(dir)) {
      yield { name: entry.name, isDirectory: entry.isDirectory, status: async () => entry };
    }
  })();
}

/** Its entry when it is still of the kind it was listed as. */
async function entryOf<E extends TreeEntry>(named: NamedChild<E>): Promise<E | undefined> {
  const entry = await named.status();
  return entry && entry.isDirectory === named.isDirectory ? entry : undefined;
}

/** The children in key order. Without a key past U+D7FF, the engine's own string order is theirs. */
function sortByKey<E extends TreeEntry>(children: Child<E>[]): Child<E>[] {
  const keys: string[] = new Array(children.length);
  for (let i = 0; i < children.length; i++) {
    const key = children[i]!.key;
    if (BEYOND_D7FF.test(key)) return children.sort((a, b) => compareKeys(a.key, b.key));
    keys[i] = key;
  }
  const byKey = new Map<string, Child<E>>();
  for (const child of children) byKey.set(child.key, child);
  keys.sort(); // UTF-16 code unit order: UTF-8 byte order below U+D800
  return keys.map((key) => byKey.get(key)!);
}

export async function* listKeys<E extends TreeEntry>(
  tree: BucketTree<E>,
  query: ListQuery,
  options: ListKeysOptions = {},
): AsyncGenerator<ListItem<E>> {
  const { prefix, delimiter, after } = query;
  const wanted = options.wanted ?? (() => READ_AHEAD);
  const slash = prefix.lastIndexOf('/');
  const startDir = slash < 0 ? '' : prefix.slice(0, slash);
  if (!isSafePath(startDir)) return;
  const start = await tree.stat(startDir);
  if (!start?.isDirectory) return;
  let lastPrefix: string | undefined;

  const rollUp = (key: string): string | undefined => {
    if (delimiter === '') return undefined;
    const at = key.indexOf(delimiter, prefix.length);
    return at < 0 ? undefined : key.slice(0, at + delimiter.length);
  };
  /** A file child listed as an object (not skipped, not rolled up into a common prefix). */
  const isListedObject = (child: Child<E>): boolean =>
    !child.isDirectory &&
    child.key.startsWith(prefix) &&
    compareKeys(child.key, after) > 0 &&
    rollUp(child.key) === undefined;
  const innerObject = async (path: string): Promise<E | undefined> => {
    if (!(await tree.hasObject?.(path))) return undefined;
    const inner = await tree.stat(`${path}/${OBJECT_FILE}`);
    return inner && !inner.isDirectory ? inner : undefined;
  };
  const startReading = (child: Child<E>): Promise<E | undefined> => {
    if (!child.reading) {
      child.reading = child.named ? entryOf(child.named) : innerObject(child.key);
      child.reading.catch(() => undefined); // awaited when yielded; a listing that stops early never does
    }
    return child.reading;
  };

  /**
   * Starts reading the entries of the objects from `at` on, as many as the caller still wants, up
   * to the next directory (whose keys come first): the statuses are read at once, not one round
   * trip to the file system at a time, and no more of them than the page returns.
   */
  const readAhead = (children: readonly Child<E>[], at: number): void => {
    let budget = Math.max(1, Math.min(READ_AHEAD, wanted()));
    for (let i = at; i < children.length && budget > 0; i++) {
      const child = children[i]!;
      if (child.isDirectory) return;
      if (!isListedObject(child)) continue;
      startReading(child);
      budget--;
    }
  };

  async function* visit(dir: string): AsyncGenerator<ListItem<E>> {
    const base = dir === '' ? '' : `${dir}/`;
    let children: Child<E>[] = [];
    try {
      for await (const named of namedChildren(tree, dir)) {
        if (isReservedName(named.name)) continue;
        const path = `${base}${named.name}`;
        if (named.isDirectory) {
          children.push({ key: `${path}/`, isDirectory: true, named });
          if (tree.hasObject && path.startsWith(prefix)) {
            children.push({ key: path, isDirectory: false, named: undefined });
          }
        } else {
          children.push({ key: path, isDirectory: false, named });
        }
      }
    } catch (error) {
      // Removed (or replaced by a file) since its parent was listed: nothing to list below it.
      if (isTierfsError(error, 'NOT_FOUND') || isTierfsError(error, 'NOT_A_DIRECTORY')) return;
      throw error;
    }
    children = sortByKey(children);
    for (let i = 0; i < children.length; i++) {
      const child = children[i]!;
      const key = child.key;
      if (child.isDirectory) {
        if (!key.startsWith(prefix) && !prefix.startsWith(key)) continue;
        // Every key below sorts after `key`; all of them sort before `after` when it is past the
        // directory without being inside it.
        if (compareKeys(key, after) < 0 && !after.startsWith(key)) continue;
        if (key.startsWith(prefix)) {
          const common = rollUp(key);
          if (common !== undefined) {
            if (common !== lastPrefix && compareKeys(common, after) > 0) {
              lastPrefix = common;
              yield { kind: 'prefix', prefix: common };
            }
            continue;
          }
          if (compareKeys(key, after) > 0 && (await tree.hasMarker(key.slice(0, -1)))) {
            const entry = await startReading(child);
            if (entry) yield { kind: 'object', key, entry };
          }
        }
        yield* visit(key.slice(0, -1));
      } else {
        if (!key.startsWith(prefix) || compareKeys(key, after) <= 0) continue;
        const common = rollUp(key);
        if (common === undefined) {
          if (!child.reading) readAhead(children, i);
          const entry = await startReading(child);
          if (entry) yield { kind: 'object', key, entry };
        } else if (common !== lastPrefix) {
          // The object inside a directory exists only when its record and its file do.
          if (!child.named && !(await startReading(child))) continue;
          lastPrefix = common;
          yield { kind: 'prefix', prefix: common };
        }
      }
    }
  }

  // The marker of the directory the prefix names (`dir/` listed with prefix `dir/`) comes first.
  if (startDir !== '' && `${startDir}/`.startsWith(prefix) && compareKeys(`${startDir}/`, after) > 0) {
    if (await tree.hasMarker(startDir)) yield { kind: 'object', key: `${startDir}/`, entry: start };
  }
  yield* visit(startDir);
}
