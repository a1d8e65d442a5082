/**
 * One bucket as a gateway sees its storage: a directory tree whose files are objects and whose
 * directories are either implied by the keys below them or carry a directory marker (a `dir/`
 * key the gateway recorded). Removing an object removes the directories it leaves empty, up to
 * the bucket, unless they carry a marker: an object store has no directories of its own, so an
 * unmarked prefix with nothing below it is gone, while a marked one stays listed.
 */
import { isTierfsError } from '../../errors.js';

export interface TreeEntry {
  /** Last path component. */
  readonly name: string;
  readonly isDirectory: boolean;
}

/** A child as `BucketTree.names` gives it: its name and kind, its entry read when asked. */
export interface NamedChild<E extends TreeEntry> extends TreeEntry {
  /** The entry, as `children` gives it; undefined when it is gone. */
  status(): Promise<E | undefined>;
}

/** Paths are relative to the bucket (`''` is the bucket itself), `/`-separated, without a trailing slash. */
export interface BucketTree<E extends TreeEntry> {
  /** The entry at `path`, or undefined when there is none. */
  stat(path: string): Promise<E | undefined>;
  /** Direct children of a directory, in any order (NOT_FOUND when it is missing). */
  children(path: string): AsyncIterable<E>;
  /**
   * Optional: the direct children by name and kind, in any order, each entry read only when asked
   * (a key listing reads those of its page alone); NOT_FOUND when the directory is missing.
   */
  names?(path: string): AsyncIterable<NamedChild<E>>;
  /** Deletes a file or an empty directory (DIRECTORY_NOT_EMPTY otherwise). */
  delete(path: string): Promise<void>;
  /** Whether the directory at `path` carries a directory marker (the key `path/`). */
  hasMarker(path: string): boolean | Promise<boolean>;
  /**
   * Whether the directory at `path` may hold the object `path` itself (in its OBJECT_FILE, as
   * when the keys `a` and `a/b` both exist); absent: never.
   */
  hasObject?(path: string): boolean | Promise<boolean>;
}

function parentOf(path: string): string {
  return path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
}

/** Removes an empty directory; false when it has children or is already gone (a concurrent delete). */
export async function removeIfEmpty<E extends TreeEntry>(
  tree: BucketTree<E>,
  path: string,
): Promise<boolean> {
  try {
    for await (const _ of tree.children(path)) return false;
    await tree.delete(path);
    return true;
  } catch (error) {
    if (isTierfsError(error, 'DIRECTORY_NOT_EMPTY') || isTierfsError(error, 'NOT_FOUND')) return false;
    throw error;
  }
}

/**
 * Removes the directories above `path` that are empty and unmarked, stopping at the first that is
 * not, which it returns (`''`: the bucket).
 */
export async function pruneEmptyParents<E extends TreeEntry>(
  tree: BucketTree<E>,
  path: string,
): Promise<string> {
  let dir = parentOf(path);
  for (; dir !== ''; dir = parentOf(dir)) {
    if (await tree.hasMarker(dir)) return dir;
    if (!(await removeIfEmpty(tree, dir))) return dir;
  }
  return dir;
}
