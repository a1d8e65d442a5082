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
 */
import { isTierfsError } from '../../errors.js';
import type { BucketTree, TreeEntry } from './bucket-tree.js';
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

export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
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

/** At most `limit` items of a listing, and whether more follow. */
export async function listPage<E extends TreeEntry>(
  tree: BucketTree<E>,
  query: ListQuery,
  limit: number,
): Promise<ListPage<E>> {
  const items: ListItem<E>[] = [];
  if (limit <= 0) return { items, truncated: false };
  for await (const item of listKeys(tree, query)) {
    if (items.length === limit) return { items, truncated: true };
    items.push(item);
  }
  return { items, truncated: false };
}

export async function* listKeys<E extends TreeEntry>(
  tree: BucketTree<E>,
  query: ListQuery,
): AsyncGenerator<ListItem<E>> {
  const { prefix, delimiter, after } = query;
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

  async function* visit(dir: string): AsyncGenerator<ListItem<E>> {
    const base = dir === '' ? '' : `${dir}/`;
    const children: { key: string; entry: E }[] = [];
    try {
      for await (const entry of tree.children(dir)) {
        if (isReservedName(entry.name)) continue;
        const key = `${base}${entry.name}`;
        children.push({ key: `${key}${entry.isDirectory ? '/' : ''}`, entry });
        if (entry.isDirectory && key.startsWith(prefix) && compareKeys(key, after) > 0) {
          const inner = (await tree.hasObject?.(key)) ? await tree.stat(`${key}/${OBJECT_FILE}`) : undefined;
          if (inner && !inner.isDirectory) children.push({ key, entry: inner });
        }
      }
    } catch (error) {
      // Removed (or replaced by a file) since its parent was listed: nothing to list below it.
      if (isTierfsError(error, 'NOT_FOUND') || isTierfsError(error, 'NOT_A_DIRECTORY')) return;
      throw error;
    }
    children.sort((a, b) => compareKeys(a.key, b.key));
    for (const { key, entry } of children) {
      if (entry.isDirectory) {
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
            yield { kind: 'object', key, entry };
          }
        }
        yield* visit(key.slice(0, -1));
      } else {
        if (!key.startsWith(prefix) || compareKeys(key, after) <= 0) continue;
        const common = rollUp(key);
        if (common === undefined) {
          yield { kind: 'object', key, entry };
        } else if (common !== lastPrefix) {
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
