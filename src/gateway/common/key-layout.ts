/**
 * Where an object's bytes live in a directory tree, for every gateway dialect. A key is a path
 * below its bucket's directory, except for the two keys a file system cannot hold side by side:
 *
 * - the object `a` when keys `a/…` exist too: a file cannot also be a directory, so its bytes move
 *   into the directory as `a/.tierfs-object` (OBJECT_FILE) when the first key below it is
 *   written, and back to the plain file `a` when the last one goes;
 * - the marker `d/` with a body: the directory `d` plus `d/.tierfs-marker-body` (MARKER_BODY_FILE).
 *
 * Moving a file in or out of its directory renames it through a hidden sibling
 * (`.tierfs-moving.a`) under a per-path lock; a reader that finds nothing while a move is under
 * way waits for it and looks again. A move never overwrites what a concurrent writer put there:
 * the older copy is dropped instead, so an acknowledged write is never lost.
 */
import type { Writable } from 'node:stream';
import { isTierfsError } from '../../errors.js';
import type { UfsStatus, UnderStore } from '../../ufs/contract.js';
import { walk } from '../../ufs/walk.js';
import { type BucketTree, pruneEmptyParents, removeIfEmpty, type TreeEntry } from './bucket-tree.js';
import { MARKER_BODY_FILE, MOVING_PREFIX, OBJECT_FILE } from './object-keys.js';

/** An entry of the tree: a name and whether it is a directory. */
export type LayoutEntry = TreeEntry;

/**
 * The tree the layout moves bytes in. Paths are the store's (the bucket's directory included),
 * `/`-separated: stat, children and delete as a BucketTree has them, plus making directories and
 * moving to a path that does not exist (ALREADY_EXISTS otherwise).
 */
export interface LayoutStore<E extends LayoutEntry>
  extends Pick<BucketTree<E>, 'stat' | 'children' | 'delete'> {
  mkdirs(path: string): Promise<void>;
  rename(source: string, destination: string): Promise<void>;
}

/** An UnderStore as a LayoutStore. */
export function underStoreLayout(store: UnderStore): LayoutStore<UfsStatus> {
  return {
    async stat(path) {
      try {
        return await store.getStatus(path);
      } catch (error) {
        if (isTierfsError(error, 'NOT_FOUND') || isTierfsError(error, 'NOT_A_DIRECTORY')) return undefined;
        throw error;
      }
    },
    children: (path) => walk(store, path),
    mkdirs: (path) => store.mkdirs(path),
    rename: (source, destination) => store.rename(source, destination),
    delete: (path) => store.delete(path),
  };
}

/** What a key names in the tree. */
export type Located<E> =
  /** The object's bytes: `entry` at `dataPath`. */
  | { readonly kind: 'data'; readonly entry: E; readonly dataPath: string }
  /** A marker without a body: its directory. */
  | { readonly kind: 'directory'; readonly entry: E };

export interface LayoutHooks<E> {
  /** The store path of a bucket's directory (`''`: the store's root). */
  rootOf(bucket: string): string;
  /** Whether the directory at `path` (below the bucket) carries a marker. */
  hasMarker(bucket: string, path: string): boolean | Promise<boolean>;
  /**
   * An object's bytes moved (its fingerprint may have changed): `before` was at `key`, now
   * `after`. The caller keeps a record of it, so that listings know to look inside the directory
   * (BucketTree.hasObject).
   */
  moved?(bucket: string, key: string, before: E, after: E): void;
}

function joinPath(root: string, path: string): string {
  return root === '' ? path : path === '' ? root : `${root}/${path}`;
}

/** Beside `full`: where a file waits while it moves into or out of the directory of its name. */
function movingPath(full: string): string {
  const slash = full.lastIndexOf('/');
  return `${full.slice(0, slash + 1)}${MOVING_PREFIX}${full.slice(slash + 1)}`;
}

function isConflict(error: unknown): boolean {
  return isTierfsError(error, 'NOT_A_DIRECTORY') || isTierfsError(error, 'ALREADY_EXISTS');
}

export class KeyLayout<E extends LayoutEntry> {
  /** Paths being moved into or out of the directory of their name. */
  private readonly moves = new Map<string, Promise<void>>();

  constructor(
    private readonly store: LayoutStore<E>,
    private readonly hooks: LayoutHooks<E>,
  ) {}

  /**
   * What the key at `path` (below the bucket's directory) names: its bytes, the directory of
   * a marker without a body (whether the marker exists is the caller's record to say), or nothing.
   */
  async locate(bucket: string, path: string, isMarker: boolean): Promise<Located<E> | undefined> {
    const full = joinPath(this.hooks.rootOf(bucket), path);
    const found = await this.find(full, isMarker);
    const moving = this.moves.get(full);
    if (found || !moving) return found;
    await moving.catch(() => undefined);
    return this.find(full, isMarker);
  }

  private async find(full: string, isMarker: boolean): Promise<Located<E> | undefined> {
    const entry = await this.store.stat(full);
    if (!entry) return undefined;
    if (isMarker) {
      if (!entry.isDirectory) return undefined;
      const bodyPath = `${full}/${MARKER_BODY_FILE}`;
      const body = await this.store.stat(bodyPath);
      return body && !body.isDirectory
        ? { kind: 'data', entry: body, dataPath: bodyPath }
        : { kind: 'directory', entry };
    }
    if (!entry.isDirectory) return { kind: 'data', entry, dataPath: full };
    const innerPath = `${full}/${OBJECT_FILE}`;
    const inner = await this.store.stat(innerPath);
    return inner && !inner.isDirectory ? { kind: 'data', entry: inner, dataPath: innerPath } : undefined;
  }

  /** Where a listed entry's bytes are: `key`'s own path, or inside its directory (OBJECT_FILE). */
  dataPathOf(bucket: string, path: string, entry: LayoutEntry): string {
    const full = joinPath(this.hooks.rootOf(bucket), path);
    return entry.name === OBJECT_FILE ? `${full}/${OBJECT_FILE}` : full;
  }

  /**
   * Opens the writer of the key at `path`: for a marker, its directory is made and the body goes
   * to MARKER_BODY_FILE (the caller drops it when empty, see settleMarker); an object whose path is
   * a directory goes inside it; objects among the parents move into their directories first.
   */
  async openWriter<W extends Writable>(
    bucket: string,
    path: string,
    isMarker: boolean,
    create: (target: string) => Promise<W>,
  ): Promise<{ target: string; out: W }> {
    const full = joinPath(this.hooks.rootOf(bucket), path);
    if (isMarker) {
      await this.retrying(bucket, `${path}/${MARKER_BODY_FILE}`, () => this.store.mkdirs(full));
      const target = `${full}/${MARKER_BODY_FILE}`;
      return { target, out: await create(target) };
    }
    const existing = await this.store.stat(full);
    const target = existing?.isDirectory ? `${full}/${OBJECT_FILE}` : full;
    return { target, out: await this.retrying(bucket, path, () => create(target)) };
  }

  /** After a marker's body was written: an empty one is removed, the marker being its directory alone. */
  async settleMarker(target: string, size: number): Promise<void> {
    if (size === 0) await this.store.delete(target).catch(() => undefined);
  }

  private async retrying<T>(bucket: string, path: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (!isConflict(error)) throw error;
      await this.moveParentsIn(bucket, path);
      return work();
    }
  }

  /** Moves every object that is a parent directory of `path` into its directory. */
  private async moveParentsIn(bucket: string, path: string): Promise<void> {
    const segments = path.split('/');
    for (let i = 1; i < segments.length; i++) {
      const dir = segments.slice(0, i).join('/');
      const entry = await this.store.stat(joinPath(this.hooks.rootOf(bucket), dir));
      if (!entry) return;
      if (!entry.isDirectory) await this.moveIn(bucket, dir);
    }
  }

  /** The object `a` (a file) becomes `a/OBJECT_FILE`, so that `a` can be a directory. */
  private moveIn(bucket: string, path: string): Promise<void> {
    const full = joinPath(this.hooks.rootOf(bucket), path);
    return this.exclusive(full, async () => {
      const entry = await this.store.stat(full);
      if (!entry || entry.isDirectory) return;
      const moving = movingPath(full);
      const inner = `${full}/${OBJECT_FILE}`;
      await this.store.rename(full, moving);
      try {
        await this.store.mkdirs(full);
      } catch (error) {
        // A newer write of `a` took the path meanwhile: the older copy is dropped.
        await this.store.delete(moving).catch(() => undefined);
        throw error;
      }
      await this.place(bucket, path, entry, moving, [inner]);
    });
  }

  /** The directory `a` holding nothing but the object `a` (and no marker) becomes that file again. */
  async moveOut(bucket: string, path: string): Promise<void> {
    if (path === '' || (await this.hooks.hasMarker(bucket, path))) return;
    const full = joinPath(this.hooks.rootOf(bucket), path);
    await this.exclusive(full, async () => {
      const names: string[] = [];
      try {
        for await (const child of this.store.children(full)) {
          names.push(child.isDirectory ? '' : child.name);
          if (names.length > 1) return;
        }
      } catch (error) {
        if (isTierfsError(error, 'NOT_FOUND') || isTierfsError(error, 'NOT_A_DIRECTORY')) return;
        throw error;
      }
      if (names[0] !== OBJECT_FILE) return;
      const inner = `${full}/${OBJECT_FILE}`;
      const entry = await this.store.stat(inner);
      if (!entry) return;
      const moving = movingPath(full);
      await this.store.rename(inner, moving);
      // Not empty any more (a key arrived below it): the object goes back inside.
      await this.store.delete(full).catch(() => undefined);
      await this.place(bucket, path, entry, moving, [full, inner]);
    });
  }

  /** Renames `moving` to the first destination free; none free: a newer write took them, drop it. */
  private async place(
    bucket: string,
    path: string,
    before: E,
    moving: string,
    destinations: readonly string[],
  ): Promise<void> {
    for (const destination of destinations) {
      try {
        await this.store.rename(moving, destination);
      } catch (error) {
        if (isConflict(error) || isTierfsError(error, 'IS_A_DIRECTORY')) continue;
        throw error;
      }
      const after = await this.store.stat(destination);
      if (after) this.hooks.moved?.(bucket, path, before, after);
      return;
    }
    await this.store.delete(moving).catch(() => undefined);
  }

  private async exclusive(full: string, work: () => Promise<void>): Promise<void> {
    const previous = this.moves.get(full) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.moves.set(full, next);
    try {
      await next;
    } finally {
      if (this.moves.get(full) === next) this.moves.delete(full);
    }
  }

  /**
   * Removes the bytes of the key at `path` once its record is forgotten, then the directories that
   * leaves empty (unless marked) up to the bucket; a directory left holding only the object of its
   * name becomes that object again. A missing key changes nothing.
   */
  async remove(bucket: string, tree: BucketTree<E>, path: string, isMarker: boolean): Promise<void> {
    const entry = await tree.stat(path);
    if (!entry) return;
    let stop: string;
    if (!entry.isDirectory) {
      if (isMarker) return;
      try {
        await tree.delete(path);
      } catch (error) {
        if (isTierfsError(error, 'NOT_FOUND')) return;
        throw error;
      }
      stop = await pruneEmptyParents(tree, path);
    } else {
      const inner = `${path}/${isMarker ? MARKER_BODY_FILE : OBJECT_FILE}`;
      const removed = await tree.delete(inner).then(
        () => true,
        (error: unknown) => {
          if (isTierfsError(error, 'NOT_FOUND')) return false;
          throw error;
        },
      );
      if (!isMarker && !removed) return;
      if (!(await tree.hasMarker(path)) && (await removeIfEmpty(tree, path))) {
        stop = await pruneEmptyParents(tree, path);
      } else {
        stop = path;
      }
    }
    await this.moveOut(bucket, stop);
  }
}
