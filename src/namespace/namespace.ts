/**
 * The namespace: inodes over the mount table, kept in step with the under stores.
 *
 * - A path missing from the metadata store is loaded from its under store on first access
 *   (`tierfs.user.file.metadata.load.type`); one already loaded is re-read when older than
 *   `tierfs.user.file.metadata.sync.interval` (-1 never, 0 every time).
 * - Listing a directory loads its children once (and again when stale), page by page from the
 *   under store, so a huge directory is never held in memory; children that vanished from the
 *   under store are dropped unless they exist only in tierfs (cache-only or not yet persisted).
 * - Files are created INCOMPLETE and become visible when completed; permissions are checked on
 *   every ancestor (traverse) and on the target; read-only mounts refuse every write.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Configuration } from '../config/configuration.js';
import {
  MASTER_PERSISTENCE_LEASE_DURATION,
  SECURITY_AUTHORIZATION_PERMISSION_ENABLED,
  SECURITY_AUTHORIZATION_PERMISSION_SUPERGROUP,
  SECURITY_AUTHORIZATION_PERMISSION_UMASK,
  USER_FILE_METADATA_LOAD_TYPE,
  USER_FILE_METADATA_SYNC_INTERVAL,
} from '../config/keys/core.js';
import { isTierfsError, TierfsError } from '../errors.js';
import {
  type Inode,
  type MetaStore,
  type MetaTransaction,
  nameOf,
  PARKED_RETRY_MS,
  type PersistenceState,
} from '../meta/store.js';
import type { ListPage, StoreLayer, UfsStatus } from '../ufs/contract.js';
import { isTemporaryName, isTemporaryPath, temporaryPathFor } from '../ufs/temporary.js';
import { type WalkedPage, walkPages } from '../ufs/walk.js';
import { type Coverage, compareBytes, DirectoryLoad } from './directory-load.js';
import { type MountPoint, MountTable, type Resolution } from './mount-table.js';
import { ancestorsOf, isUnder, joinNamespacePath, normalizeNamespacePath } from './path.js';
import { type Caller, PermissionChecker } from './permissions.js';
import { discardTemporary, WriteCommitter } from './write-commit.js';

export type WriteType = 'MUST_CACHE' | 'CACHE_THROUGH' | 'THROUGH' | 'ASYNC_THROUGH';

export interface FileStatus extends Inode {
  readonly name: string;
  readonly mountPoint: boolean;
  /** The mount the file belongs to, and its path inside that mount's under store. */
  readonly mountPath: string;
  readonly ufsPath: string;
  /** Where the data lives (or will live) in the under store. */
  readonly ufsUri: string;
}

/** A file being written. */
export interface CreatedFile extends FileStatus {
  /**
   * Where the worker writes the data in the under store: for CACHE_THROUGH and THROUGH into a
   * store with atomic renames (local directories) a temporary object beside the file, moved over
   * it when the write completes (write-commit.ts); else the file's own path.
   */
  readonly writeUfsPath: string;
  /** With a temporary writeUfsPath: the file's own path in the under store, which it is committed over. */
  readonly commitUfsPath?: string;
}

export interface ListResult {
  readonly entries: readonly FileStatus[];
  readonly continuationToken?: string;
}

export interface CreateFileOptions {
  overwrite?: boolean;
  writeType?: WriteType;
  mode?: number;
  /** Create missing parent directories (default true). */
  recursive?: boolean;
}

export interface CompleteFileOptions {
  contentId: string;
  size: number;
  /** The worker that received the data (it persists ASYNC_THROUGH files). */
  workerId?: string;
  /** Fingerprint of the object the worker wrote to the under store (synchronous write types). */
  ufsFingerprint?: string;
  /** The temporary object the worker wrote (CreatedFile.writeUfsPath), moved over the file now. */
  temporaryPath?: string;
  /**
   * Instead of an object at temporaryPath: the multipart upload the worker left open at the file's
   * key (UfsWriteStream.pendingUpload, from its signed receipt), completed now.
   */
  pendingUpload?: string;
}

const PERSISTENCE_OF: Record<WriteType, PersistenceState> = {
  MUST_CACHE: 'NOT_PERSISTED',
  CACHE_THROUGH: 'PERSISTED',
  THROUGH: 'PERSISTED',
  ASYNC_THROUGH: 'TO_BE_PERSISTED',
};

const LIST_PAGE_MAX = 1000;
/**
 * Children of a directory mirrored from the under store per statement (and transaction): the first
 * batch one listing page and one more (so a first page is complete after it), later ones growing
 * to SYNC_BATCH_MAX: a million children in 2,000 transactions of 500 spent 13% of the master's time
 * in BEGIN and COMMIT.
 */
const SYNC_BATCH_FIRST = LIST_PAGE_MAX + 1;
const SYNC_BATCH_MAX = 8_000;
/**
 * A batch smaller than that is mirrored anyway when the under store's next page has not arrived
 * and its oldest entry waited this long (or no page of the listing is complete yet): pages of the
 * listing are not held back while the store is slow.
 */
const SYNC_BATCH_WAIT_MS = 20;
/** A persist parked by an overwrite in progress: not claimed until the overwrite aborts. */
const PARKED = PARKED_RETRY_MS;
/** How long persists below a renamed path wait before they start over at the new path. */
const RENAME_PERSIST_DELAY_MS = 5_000;
/** Waits (20 ms doubling: about 5 s in all) for a persist moving its object into place. */
const COMMIT_WAIT_ATTEMPTS = 8;

export class Namespace {
  private readonly syncIntervalMs: number;
  private readonly loadType: 'ONCE' | 'ALWAYS' | 'NEVER';
  private readonly umask: number;
  /** Directories whose children are being loaded by this master, by path. */
  private readonly loads = new Map<string, DirectoryLoad>();
  private readonly writes: WriteCommitter;
  private closed = false;

  private constructor(
    conf: Configuration,
    private readonly meta: MetaStore,
    readonly mounts: MountTable,
    private readonly permissions: PermissionChecker,
  ) {
    this.syncIntervalMs = conf.require(USER_FILE_METADATA_SYNC_INTERVAL);
    this.loadType = conf.require(USER_FILE_METADATA_LOAD_TYPE);
    this.umask = conf.require(SECURITY_AUTHORIZATION_PERMISSION_UMASK);
    this.writes = new WriteCommitter(meta, conf.require(MASTER_PERSISTENCE_LEASE_DURATION));
  }

  static async open(
    conf: Configuration,
    meta: MetaStore,
    superUser: string,
    layer?: StoreLayer,
  ): Promise<Namespace> {
    const mounts = await MountTable.load(conf, meta, layer);
    const permissions = new PermissionChecker(
      conf.require(SECURITY_AUTHORIZATION_PERMISSION_ENABLED),
      superUser,
      conf.require(SECURITY_AUTHORIZATION_PERMISSION_SUPERGROUP),
    );
    return new Namespace(conf, meta, mounts, permissions);
  }

  resolve(path: string): Resolution {
    return this.mounts.resolve(normalizeNamespacePath(path));
  }

  async getStatus(
    path: string,
    caller: Caller,
    options: { syncIntervalMs?: number } = {},
  ): Promise<FileStatus> {
    const target = normalizeNamespacePath(path);
    await this.checkTraverse(target, caller);
    return this.status(await this.visibleInode(target, options.syncIntervalMs));
  }

  /** A file about to be read: execute on every ancestor (getStatus), read on the file itself. */
  async openFile(
    path: string,
    caller: Caller,
    options: { syncIntervalMs?: number } = {},
  ): Promise<FileStatus> {
    const status = await this.getStatus(path, caller, options);
    if (status.isDirectory) throw new TierfsError('IS_A_DIRECTORY', `${status.path} is a directory`);
    this.permissions.check(status, caller, 'r', status.path);
    return status;
  }

  /** Whether `caller` may read the file `status` (what openFile checks, without throwing). */
  mayRead(status: FileStatus, caller: Caller): boolean {
    return !status.isDirectory && this.permissions.allows(status, caller, 'r');
  }

  async exists(path: string, caller: Caller): Promise<boolean> {
    try {
      await this.getStatus(path, caller);
      return true;
    } catch (error) {
      if (isTierfsError(error, 'NOT_FOUND')) return false;
      throw error;
    }
  }

  async listStatus(
    path: string,
    caller: Caller,
    options: { pageSize?: number; continuationToken?: string; syncIntervalMs?: number } = {},
  ): Promise<ListResult> {
    const target = normalizeNamespacePath(path);
    await this.checkTraverse(target, caller);
    const firstPage = options.continuationToken ? undefined : await this.askFirstPage(target);
    const dir = await this.visibleInode(target, options.syncIntervalMs, firstPage?.page);
    if (!dir.isDirectory) throw new TierfsError('NOT_A_DIRECTORY', `${target} is a file, not a directory`);
    this.permissions.check(dir, caller, 'rx', target);
    const limit = Math.min(options.pageSize ?? LIST_PAGE_MAX, LIST_PAGE_MAX);
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new TierfsError(
        'INVALID_ARGUMENT',
        `page size must be a positive integer, got ${options.pageSize}`,
      );
    }
    // A first page starts the load of a stale or never-listed directory (or joins the one under
    // way); a page is returned as soon as the load has gone past its last entry, or with what the
    // load has gone past so far (a shorter page) when that is not the whole page.
    // A later page of a directory whose load is not running here (another master served the first
    // page, or the load was cut off) starts one when the children were never loaded in full: the
    // pages after the token would otherwise miss what the store has not mirrored yet.
    const load = options.continuationToken
      ? (this.loads.get(target) ?? (dir.childrenLoaded ? undefined : this.loadChildren(dir)))
      : this.loadChildren(dir, options.syncIntervalMs, firstPage);
    const after = decodeToken(options.continuationToken);
    // The load's progress is taken before each read of the page: a batch landing meanwhile may add
    // children the page read missed.
    let coverage = load?.coverage();
    let page = await this.meta.listChildren(target, { limit, after });
    // A full page is one with more children after it or `limit` of them (the load may not have
    // mirrored those after it yet).
    const full = () => page.after !== undefined || page.inodes.length === limit;
    while (load && coverage && !coverage.finished) {
      const last = page.inodes.at(-1);
      if (last && full() && coverage.covers(nameOf(last.path))) break;
      // What the load has gone past is complete: returned now as a shorter page, the rest of it
      // comes with the next one, so pages follow the under store's as they are mirrored.
      const covered = coveredCount(page.inodes, coverage);
      if (covered > 0) {
        const inodes = page.inodes.slice(0, covered);
        page = { inodes, after: nameOf(inodes.at(-1)!.path) };
        break;
      }
      await load.changed();
      coverage = load.coverage();
      page = await this.meta.listChildren(target, { limit, after });
    }
    load?.check();
    // Cut off by a load still under way, a full page goes on after its last entry, whether or not
    // the metadata store has the children after it yet.
    const last = page.inodes.at(-1);
    const cutOff = coverage !== undefined && !coverage.finished && full() && last !== undefined;
    const next = page.after ?? (cutOff ? nameOf(last.path) : undefined);
    const entries = this.childStatuses(target, page.inodes);
    if (next === undefined) return { entries };
    return { entries, continuationToken: encodeToken(next) };
  }

  async createFile(path: string, caller: Caller, options: CreateFileOptions = {}): Promise<CreatedFile> {
    const target = normalizeNamespacePath(path);
    if (target === '/') throw new TierfsError('IS_A_DIRECTORY', 'the root is a directory');
    const { mount, ufsPath } = this.writable(target);
    const writeType = options.writeType ?? 'CACHE_THROUGH';
    // Through a temporary object, moved over the file only once the write is known to complete:
    // by an atomic rename, or on object stores by a server-side copy (write-commit.ts). A store
    // that can do neither (a tierfs:// mount) still writes to the file.
    const store = await this.mounts.store(mount);
    const viaTemporary =
      (writeType === 'CACHE_THROUGH' || writeType === 'THROUGH') &&
      (store.capabilities.atomicRename || store.moveOver !== undefined);
    const temporaryPath = viaTemporary ? temporaryPathFor(ufsPath, 'write') : undefined;
    await this.parentDirectory(target, caller, options.recursive ?? true);
    await this.findInode(target); // Loads it from the under store when it is only there.
    const now = Date.now();
    const inode: Inode = {
      path: target,
      isDirectory: false,
      size: 0,
      mtimeMs: now,
      owner: caller.user,
      group: caller.groups[0] ?? caller.user,
      mode: (options.mode ?? 0o666) & ~this.umask,
      state: 'INCOMPLETE',
      persistence: PERSISTENCE_OF[writeType],
      contentId: randomUUID(),
      syncedAtMs: now,
      childrenLoaded: false,
    };
    await this.retryingWhileCommitting(() =>
      this.meta.transaction(async (tx) => {
        const parent = await this.directoryIn(tx, parentPathOf(target));
        this.permissions.check(parent, caller, 'wx', target);
        const existing = await tx.getInode(target);
        if (existing?.isDirectory) throw new TierfsError('IS_A_DIRECTORY', `${target} is a directory`);
        if (existing?.state === 'COMPLETE') {
          if (!options.overwrite) {
            throw new TierfsError('ALREADY_EXISTS', `${target} already exists (use overwrite to replace it)`);
          }
          this.permissions.check(existing, caller, 'w', target);
          // An overwrite leaves the old file readable until the new content is complete. Its
          // persist is parked: it must not land over the new data, and resumes if this write aborts.
          await tx.cancelPersists(target, { recursive: false, nowMs: Date.now(), requeueAtMs: PARKED });
          await tx.putPendingWrite(inode);
        } else {
          if (existing) {
            // An unfinished write is replaced, unless it is moving its object into place.
            await tx.cancelPersists(target, { recursive: false, nowMs: Date.now() });
            await tx.deleteTree(target, { contentId: existing.contentId, state: 'INCOMPLETE' });
          }
          await tx.createInode(inode);
        }
        if (temporaryPath)
          await tx.addTemporary({ mountPath: mount.path, ufsPath: temporaryPath, createdMs: now });
      }),
    );
    return temporaryPath
      ? { ...this.status(inode), writeUfsPath: temporaryPath, commitUfsPath: ufsPath }
      : { ...this.status(inode), writeUfsPath: ufsPath };
  }

  /** Makes a file visible; fails with CONFLICT when it was replaced or deleted meanwhile. */
  async completeFile(path: string, options: CompleteFileOptions): Promise<FileStatus> {
    const target = normalizeNamespacePath(path);
    if (options.temporaryPath !== undefined) {
      const { mount, ufsPath } = this.mounts.resolve(target);
      const write = {
        path: target,
        contentId: options.contentId,
        mountPath: mount.path,
        ufsPath,
        temporaryPath: options.temporaryPath,
        size: options.size,
        ...(options.pendingUpload === undefined ? {} : { pendingUpload: options.pendingUpload }),
      };
      const complete = await this.retryingWhileCommitting(async () =>
        this.writes.commit(
          write,
          await this.mounts.store(mount),
          (tx) => this.checkWriting(tx, target, options.contentId),
          (tx, ufsFingerprint) => this.applyCompletion(tx, target, { ...options, ufsFingerprint }),
        ),
      ).catch(async (error: unknown) => {
        // Sent again (its first copy reached a master that died before answering): done already.
        // Looked up only on this failure, not before every complete.
        const already = isTierfsError(error, 'CONFLICT') ? await this.meta.getInode(target) : undefined;
        if (already && completedBy(already, options.contentId)) return already;
        throw error;
      });
      return this.status(complete);
    }
    const complete = await this.retryingWhileCommitting(() =>
      this.meta.transaction((tx) => this.applyCompletion(tx, target, options)),
    );
    return this.status(complete);
  }

  /** Throws CONFLICT unless the path still holds a write of this content (a new file or an overwrite). */
  private async checkWriting(tx: MetaTransaction, target: string, contentId: string): Promise<void> {
    const current = await tx.getInode(target);
    const pending = await tx.takePendingWrite(target, contentId);
    if (pending) {
      await tx.putPendingWrite(pending);
      if (current?.state === 'COMPLETE' && !current.isDirectory) return;
    } else if (current?.state === 'INCOMPLETE' && current.contentId === contentId) return;
    throw new TierfsError('CONFLICT', `${target} was replaced or deleted while it was being written`);
  }

  /** Makes a write visible, inside a transaction; CONFLICT when the path no longer holds it. */
  private async applyCompletion(
    tx: MetaTransaction,
    target: string,
    options: CompleteFileOptions,
  ): Promise<Inode> {
    const replaced = () =>
      new TierfsError('CONFLICT', `${target} was replaced or deleted while it was being written`);
    const current = await tx.getInode(target);
    const pending = await tx.takePendingWrite(target, options.contentId);
    const now = Date.now();
    const done = {
      state: 'COMPLETE',
      size: options.size,
      mtimeMs: now,
      syncedAtMs: now,
      ...(options.ufsFingerprint ? { ufsFingerprint: options.ufsFingerprint } : {}),
    } as const;
    let inode: Inode;
    if (pending) {
      if (current?.state !== 'COMPLETE' || current.isDirectory) throw replaced();
      // The new content replaces the old, whose persist (parked or re-queued since) is dropped.
      await tx.cancelPersists(target, { recursive: false, nowMs: now });
      inode = { ...pending, ...done };
      await tx.putInodes([inode]);
    } else {
      // Sent again (its first copy reached a master that died before answering): done already.
      if (current && completedBy(current, options.contentId)) return current;
      if (current?.state !== 'INCOMPLETE' || current.contentId !== options.contentId) throw replaced();
      inode = { ...current, ...done };
      await tx.patchInode(target, { contentId: options.contentId, state: 'INCOMPLETE' }, done);
    }
    if (inode.persistence === 'TO_BE_PERSISTED') {
      if (!options.workerId)
        throw new TierfsError('INVALID_ARGUMENT', `completing ${target} needs the worker id`);
      await tx.enqueuePersist({
        path: target,
        contentId: inode.contentId,
        workerId: options.workerId,
        enqueuedMs: now,
      });
    }
    return inode;
  }

  /**
   * Drops an incomplete file after a failed write (no-op when it was replaced meanwhile), and the
   * temporary object its worker wrote, if any.
   */
  async abortFile(path: string, contentId: string, temporaryPath?: string): Promise<void> {
    const target = normalizeNamespacePath(path);
    if (temporaryPath !== undefined) {
      const { mount } = this.mounts.resolve(target);
      await discardTemporary(this.meta, await this.mounts.store(mount), mount.path, temporaryPath);
    }
    await this.meta.transaction(async (tx) => {
      if (await tx.takePendingWrite(target, contentId)) {
        // The file it would have replaced stays: so does its persist, parked by createFile.
        const task = await tx.getPersistTask(target);
        if (task && task.retryAtMs === PARKED) {
          await tx.cancelPersists(target, { recursive: false, nowMs: Date.now(), requeueAtMs: 0 });
        }
        return;
      }
      await tx.deleteTree(target, { contentId, state: 'INCOMPLETE' });
    });
  }

  /**
   * Queues a complete, not yet persisted file for persistence by the worker holding its data
   * (`workerFor` its content id, asked for the content actually queued: an overwrite completing
   * meanwhile puts its data on another worker). False when there is nothing to persist.
   */
  async schedulePersist(
    path: string,
    caller: Caller,
    workerFor: (contentId: string) => string | undefined,
  ): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      const status = await this.getStatus(path, caller);
      if (status.isDirectory || status.persistence === 'PERSISTED') return false;
      this.writable(status.path);
      const workerId = workerFor(status.contentId);
      if (!workerId) throw new TierfsError('UNAVAILABLE', 'no live worker holds the data to persist');
      const queued = await this.meta.transaction(async (tx) => {
        const marked = await tx.patchInode(
          status.path,
          { contentId: status.contentId, state: 'COMPLETE', persistence: status.persistence },
          { persistence: 'TO_BE_PERSISTED' },
        );
        if (!marked) return false;
        const task = await tx.getPersistTask(status.path);
        if (task?.contentId === status.contentId) return true; // Already queued (or parked by an overwrite).
        await tx.enqueuePersist({
          path: status.path,
          contentId: status.contentId,
          workerId,
          enqueuedMs: Date.now(),
        });
        return true;
      });
      // Replaced meanwhile: queue what the file holds now.
      if (queued || attempt >= 2) return queued;
    }
  }

  async mkdir(path: string, caller: Caller, options: { recursive?: boolean; allowExists?: boolean } = {}) {
    const target = normalizeNamespacePath(path);
    const existing = await this.findInode(target);
    if (existing?.state === 'COMPLETE') {
      if (existing.isDirectory && options.allowExists) return this.status(existing);
      throw new TierfsError('ALREADY_EXISTS', `${target} already exists`);
    }
    const { mount, ufsPath } = this.writable(target);
    const parent = await this.parentDirectory(target, caller, options.recursive ?? true);
    this.permissions.check(parent, caller, 'wx', target);
    await (await this.mounts.store(mount)).mkdirs(ufsPath);
    const now = Date.now();
    const inode: Inode = {
      path: target,
      isDirectory: true,
      size: 0,
      mtimeMs: now,
      owner: caller.user,
      group: caller.groups[0] ?? caller.user,
      mode: 0o777 & ~this.umask,
      state: 'COMPLETE',
      persistence: 'PERSISTED',
      contentId: randomUUID(),
      syncedAtMs: now,
      childrenLoaded: true,
    };
    const made = await this.meta.transaction(async (tx) => {
      this.permissions.check(await this.directoryIn(tx, parentPathOf(target)), caller, 'wx', target);
      if (await tx.createInode(inode)) return inode;
      const other = (await tx.getInode(target))!;
      if (other.state === 'COMPLETE' && other.isDirectory && options.allowExists) return other;
      throw new TierfsError('ALREADY_EXISTS', `${target} already exists`);
    });
    return this.status(made);
  }

  async delete(path: string, caller: Caller, options: { recursive?: boolean } = {}): Promise<void> {
    const target = normalizeNamespacePath(path);
    if (target === '/') throw new TierfsError('INVALID_ARGUMENT', 'the root cannot be deleted');
    if (this.mounts.get(target)) {
      throw new TierfsError(
        'INVALID_ARGUMENT',
        `${target} is a mount point: unmount it instead of deleting it`,
      );
    }
    const inner = this.mounts.list().find((m) => m.path !== target && isUnder(m.path, target));
    if (inner)
      throw new TierfsError('CONFLICT', `cannot delete ${target}: ${inner.path} is mounted inside it`);
    const { mount, ufsPath } = this.writable(target);
    const inode = await this.getStatus(target, caller);
    this.permissions.check(await this.visibleInode(parentPathOf(target)), caller, 'wx', target);
    if (inode.isDirectory && !options.recursive) {
      const children = await this.listStatus(target, caller, { pageSize: 1 });
      if (children.entries.length > 0) {
        throw new TierfsError('DIRECTORY_NOT_EMPTY', `${target} is not empty (delete it recursively)`);
      }
    }
    // The metadata goes first, in one transaction guarded by what was read: a file replaced
    // meanwhile is not deleted (its new data is in the under store too), and no persist below the
    // path can land after it (none may be committing; the others are dropped).
    await this.retryingWhileCommitting(() =>
      this.meta.transaction(async (tx) => {
        const current = await tx.getInode(target);
        if (current?.contentId !== inode.contentId) {
          throw new TierfsError(
            'CONFLICT',
            `${target} changed while it was being deleted; nothing was deleted`,
          );
        }
        if (inode.isDirectory && !options.recursive) {
          const children = await tx.listChildren(target, { limit: 1 });
          if (children.inodes.some((i) => i.state === 'COMPLETE')) {
            throw new TierfsError('DIRECTORY_NOT_EMPTY', `${target} is not empty (delete it recursively)`);
          }
        }
        await tx.cancelPersists(target, { recursive: true, nowMs: Date.now() });
        await tx.deleteTree(target, { contentId: inode.contentId });
      }),
    );
    // Whatever the file's persistence, an older version of it may be in the under store.
    const store = await this.mounts.store(mount);
    await store.delete(ufsPath, { recursive: true }).catch((error: unknown) => {
      if (!isTierfsError(error, 'NOT_FOUND')) throw error;
    });
  }

  async rename(source: string, destination: string, caller: Caller): Promise<FileStatus> {
    const from = normalizeNamespacePath(source);
    const to = normalizeNamespacePath(destination);
    if (from === '/' || to === '/') throw new TierfsError('INVALID_ARGUMENT', 'the root cannot be renamed');
    if (isUnder(to, from))
      throw new TierfsError('INVALID_ARGUMENT', `cannot move ${from} into itself (${to})`);
    if (this.mounts.list().some((m) => isUnder(m.path, from))) {
      throw new TierfsError('INVALID_ARGUMENT', `cannot rename ${from}: it is or contains a mount point`);
    }
    const src = this.writable(from);
    const dst = this.writable(to);
    if (src.mount.path !== dst.mount.path) {
      throw new TierfsError(
        'UNSUPPORTED',
        `cannot rename ${from} to ${to}: they are in different mounts (${src.mount.path} and ${dst.mount.path}); copy and delete instead`,
      );
    }
    const inode = await this.getStatus(from, caller);
    this.permissions.check(await this.visibleInode(parentPathOf(from)), caller, 'wx', from);
    if (await this.findInode(to)) throw new TierfsError('ALREADY_EXISTS', `${to} already exists`);
    const parent = await this.parentDirectory(to, caller, true);
    this.permissions.check(parent, caller, 'wx', to);
    // Running persists below the source start over (after the move): none may land at the old path.
    await this.retryingWhileCommitting(() =>
      this.meta.cancelPersists(from, {
        recursive: true,
        nowMs: Date.now(),
        requeueAtMs: Date.now() + RENAME_PERSIST_DELAY_MS,
      }),
    );
    if (inode.isDirectory || inode.persistence === 'PERSISTED') {
      await (await this.mounts.store(src.mount)).rename(src.ufsPath, dst.ufsPath);
    }
    const moved = await this.meta
      .transaction(async (tx) => {
        await this.directoryIn(tx, parentPathOf(to));
        return tx.renameTree(from, to, { contentId: inode.contentId });
      })
      .catch(() => false);
    if (!moved) {
      if (inode.isDirectory || inode.persistence === 'PERSISTED') {
        // Put the under store back as the metadata still has it.
        await (await this.mounts.store(src.mount)).rename(dst.ufsPath, src.ufsPath).catch(() => undefined);
      }
      throw new TierfsError('CONFLICT', `${from} or ${to} changed while ${from} was being renamed`);
    }
    return this.getStatus(to, caller);
  }

  /**
   * chmod, chown, chgrp and the modification time (touch, utimes): tierfs metadata only, never the
   * under store (seed 002). A time is set by the owner, the superuser, or whoever may write the file.
   */
  async setAttribute(
    path: string,
    caller: Caller,
    change: { mode?: number; owner?: string; group?: string; mtimeMs?: number; recursive?: boolean },
  ): Promise<void> {
    const target = normalizeNamespacePath(path);
    const inode = await this.getStatus(target, caller);
    if ((change.owner !== undefined || change.group !== undefined) && !this.permissions.isSuper(caller)) {
      if (
        change.owner !== undefined ||
        !caller.groups.includes(change.group!) ||
        caller.user !== inode.owner
      ) {
        throw new TierfsError('PERMISSION_DENIED', `only the superuser can change the owner of ${target}`);
      }
    }
    if (change.mode !== undefined && !this.permissions.isSuper(caller) && caller.user !== inode.owner) {
      throw new TierfsError('PERMISSION_DENIED', `only the owner of ${target} can change its mode`);
    }
    if (change.mtimeMs !== undefined) {
      if (!Number.isFinite(change.mtimeMs) || change.mtimeMs < 0) {
        throw new TierfsError(
          'INVALID_ARGUMENT',
          `mtimeMs must be a non-negative number of milliseconds since the epoch, got ${change.mtimeMs}`,
        );
      }
      if (!this.permissions.isSuper(caller) && caller.user !== inode.owner) {
        this.permissions.check(inode, caller, 'w', target);
      }
    }
    const patch = {
      ...(change.mtimeMs === undefined ? {} : { mtimeMs: Math.trunc(change.mtimeMs) }),
      ...(change.mode === undefined ? {} : { mode: change.mode }),
      ...(change.owner === undefined ? {} : { owner: change.owner }),
      ...(change.group === undefined ? {} : { group: change.group }),
    };
    if (!(change.recursive && inode.isDirectory)) {
      if (!(await this.meta.patchInode(target, { contentId: inode.contentId }, patch))) {
        throw new TierfsError('CONFLICT', `${target} changed while its attributes were being set`);
      }
      return;
    }
    // Load the whole tree first: the sync re-reads the target too, and must not undo the change.
    await this.loadMetadata(target, caller, { recursive: true });
    await this.meta.patchTree(target, patch);
  }

  async mount(
    path: string,
    ufsUri: string,
    caller: Caller,
    options: { readOnly?: boolean; shared?: boolean; options?: Record<string, string> } = {},
  ): Promise<FileStatus> {
    const target = normalizeNamespacePath(path);
    if (target === '/') throw new TierfsError('INVALID_ARGUMENT', 'the root is mounted by configuration');
    this.requireSuper(caller, `mount ${ufsUri} at ${target}`);
    if (await this.findInode(target)) {
      throw new TierfsError('ALREADY_EXISTS', `cannot mount at ${target}: the path already exists`);
    }
    // Missing parents of the mount point are made as `mkdir -p` would (Alluxio's `fs mount` and
    // seed 002 mount /mnt/s3 on a fresh namespace); they stay if the mount then fails, as they would.
    const parent = await this.parentDirectory(target, caller, true);
    this.permissions.check(parent, caller, 'wx', target);
    const mount = await this.mounts.add({
      path: target,
      ufsUri,
      readOnly: options.readOnly ?? false,
      shared: options.shared ?? false,
      options: options.options ?? {},
    });
    try {
      const root = await (await this.mounts.store(mount)).getStatus('');
      const inode = this.inodeFromUfs(target, root, mount, undefined, Date.now());
      const made = await this.meta.transaction(async (tx) => {
        await this.directoryIn(tx, parentPathOf(target));
        return tx.createInode(inode);
      });
      if (!made)
        throw new TierfsError('ALREADY_EXISTS', `cannot mount at ${target}: the path already exists`);
    } catch (error) {
      await this.mounts.remove(target);
      throw error;
    }
    return this.getStatus(target, caller);
  }

  async unmount(path: string, caller: Caller): Promise<void> {
    const target = normalizeNamespacePath(path);
    this.requireSuper(caller, `unmount ${target}`);
    const mountPoint = await this.getStatus(target, caller);
    this.permissions.check(await this.visibleInode(parentPathOf(target)), caller, 'wx', target);
    if (!mountPoint.mountPoint) throw new TierfsError('INVALID_ARGUMENT', `${target} is not a mount point`);
    await this.mounts.remove(target);
    await this.retryingWhileCommitting(() =>
      this.meta.transaction(async (tx) => {
        await tx.cancelPersists(target, { recursive: true, nowMs: Date.now() });
        await tx.deleteTree(target);
      }),
    );
  }

  /**
   * Every entry below a directory, a page at a time (depth-first when recursive); one entry, the
   * path itself, when it is a file.
   */
  async *walk(
    path: string,
    caller: Caller,
    options: { recursive?: boolean; syncIntervalMs?: number } = {},
  ): AsyncGenerator<FileStatus> {
    const status = await this.getStatus(path, caller, { syncIntervalMs: options.syncIntervalMs });
    if (!status.isDirectory) {
      yield status;
      return;
    }
    const pending = [status.path];
    while (pending.length > 0) {
      const dir = pending.pop()!;
      let token: string | undefined;
      do {
        const page = await this.listStatus(dir, caller, {
          continuationToken: token,
          syncIntervalMs: options.syncIntervalMs,
        });
        for (const entry of page.entries) {
          yield entry;
          if (options.recursive && entry.isDirectory) pending.push(entry.path);
        }
        token = page.continuationToken;
      } while (token);
    }
  }

  /** Re-reads metadata from the under store now (`fs loadMetadata`), recursively if asked. */
  async loadMetadata(path: string, caller: Caller, options: { recursive?: boolean } = {}): Promise<number> {
    const status = await this.getStatus(path, caller, { syncIntervalMs: 0 });
    if (!status.isDirectory) return 1;
    let count = 1;
    for await (const _ of this.walk(status.path, caller, { ...options, syncIntervalMs: 0 })) count++;
    return count;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.loads.values()].map((load) => load.done));
    await this.mounts.close();
  }

  // ---------------------------------------------------------------------------------------------

  private status(inode: Inode): FileStatus {
    const { mount, ufsPath } = this.mounts.resolve(inode.path);
    return {
      ...inode,
      name: inode.path === '/' ? '' : inode.path.slice(inode.path.lastIndexOf('/') + 1),
      mountPoint: mount.path === inode.path,
      mountPath: mount.path,
      ufsPath,
      ufsUri: `${mount.ufsUri}${ufsPath}`,
    };
  }

  /**
   * The statuses of a directory's complete children: the directory's mount is resolved once for
   * the page, not once per child (a child that is a mount point itself is resolved on its own).
   */
  private childStatuses(dir: string, inodes: readonly Inode[]): FileStatus[] {
    const { mount, ufsPath: dirUfsPath } = this.mounts.resolve(dir);
    const mountPoints = new Set(this.mountPaths());
    const base = dirUfsPath === '' ? '' : `${dirUfsPath}/`;
    const out: FileStatus[] = [];
    for (const inode of inodes) {
      if (inode.state !== 'COMPLETE') continue;
      if (mountPoints.has(inode.path)) {
        out.push(this.status(inode));
        continue;
      }
      const name = inode.path.slice(inode.path.lastIndexOf('/') + 1);
      const ufsPath = base + name;
      // Field by field, not a spread of the inode: a page is a thousand of them (a spread copies
      // through a slow generic path, and it showed as a tenth of a warm listing's master CPU).
      out.push({
        path: inode.path,
        isDirectory: inode.isDirectory,
        size: inode.size,
        mtimeMs: inode.mtimeMs,
        owner: inode.owner,
        group: inode.group,
        mode: inode.mode,
        state: inode.state,
        persistence: inode.persistence,
        ufsFingerprint: inode.ufsFingerprint,
        contentId: inode.contentId,
        syncedAtMs: inode.syncedAtMs,
        childrenLoaded: inode.childrenLoaded,
        name,
        mountPoint: false,
        mountPath: mount.path,
        ufsPath,
        ufsUri: mount.ufsUri + ufsPath,
      });
    }
    return out;
  }

  /**
   * Mounting reaches a store with the master's own credentials and identity (a local directory of
   * the master's host, a bucket its keys open): only the superuser and the supergroup may do it.
   */
  private requireSuper(caller: Caller, what: string): void {
    if (!this.permissions.isSuper(caller)) {
      throw new TierfsError(
        'PERMISSION_DENIED',
        `only the superuser (or a member of the supergroup) may ${what}; ${caller.user} is neither`,
      );
    }
  }

  /** The mount of a path that may be written; READ_ONLY for a read-only mount. */
  private writable(path: string): Resolution {
    const resolution = this.mounts.resolve(path);
    if (resolution.mount.readOnly) {
      throw new TierfsError(
        'READ_ONLY',
        `cannot write ${path}: the mount point ${resolution.mount.path} is read-only`,
      );
    }
    return resolution;
  }

  /** Checks execute permission on every ancestor of a path, read in one query, loading what is missing. */
  private async checkTraverse(path: string, caller: Caller): Promise<void> {
    if (this.permissions.isSuper(caller)) return;
    const known = new Map((await this.meta.getAncestry(path)).map((i) => [i.path, i]));
    for (const ancestor of ancestorsOf(path)) {
      const inode = known.get(ancestor);
      const usable = inode && (!isMirror(inode) || !isStale(inode, this.syncIntervalMs));
      if (usable && inode.state !== 'COMPLETE')
        throw new TierfsError('NOT_FOUND', `${ancestor} does not exist`);
      this.permissions.check(usable ? inode : await this.visibleInode(ancestor), caller, 'x', path);
    }
  }

  /** The parent directory of `path`, created (with its parents) when `create` and missing. */
  private async parentDirectory(path: string, caller: Caller, create: boolean): Promise<Inode> {
    const parentPath = parentPathOf(path);
    await this.checkTraverse(parentPath, caller);
    const parent = await this.findInode(parentPath);
    if (parent && parent.state === 'COMPLETE') {
      if (!parent.isDirectory)
        throw new TierfsError('NOT_A_DIRECTORY', `${parentPath} is a file, not a directory`);
      return parent;
    }
    if (!create) throw new TierfsError('NOT_FOUND', `parent directory ${parentPath} does not exist`);
    await this.mkdir(parentPath, caller, { recursive: true, allowExists: true });
    return this.visibleInode(parentPath);
  }

  /** A complete directory, read inside a transaction (it may have gone since it was checked). */
  private async directoryIn(tx: MetaTransaction, path: string): Promise<Inode> {
    const dir = await tx.getInode(path);
    if (dir?.state !== 'COMPLETE') throw new TierfsError('NOT_FOUND', `directory ${path} does not exist`);
    if (!dir.isDirectory) throw new TierfsError('NOT_A_DIRECTORY', `${path} is a file, not a directory`);
    return dir;
  }

  /**
   * Runs a change again while it meets a persist moving its object into place (a retryable
   * CONFLICT): that takes one under store rename, so a few short waits cover it.
   */
  private async retryingWhileCommitting<T>(change: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await change();
      } catch (error) {
        if (!isTierfsError(error, 'CONFLICT') || !error.retryable || attempt >= COMMIT_WAIT_ATTEMPTS)
          throw error;
        await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
      }
    }
  }

  /**
   * A complete inode, loaded or re-synced from the under store as the sync settings require.
   * `listed`: the under store's first page of the path's listing, asked for already (askFirstPage).
   */
  private async visibleInode(
    path: string,
    syncIntervalMs?: number,
    listed?: Promise<ListPage>,
  ): Promise<Inode> {
    const inode = await this.findInode(path, syncIntervalMs, listed);
    if (inode?.state !== 'COMPLETE') throw new TierfsError('NOT_FOUND', `${path} does not exist`);
    return inode;
  }

  /**
   * The inode of a path, if any: from the metadata store, or loaded from the under store. When
   * `listed`, the first page of the path's listing, brings the directory's status (an object
   * store's lookup went with it: `firstPageHasDirectory`), that is the status: the lookup is not
   * asked for twice. A page without it, or that failed, leaves the answer to `getStatus` (a file, a
   * missing path, an error); other stores are asked at once, not after their page.
   */
  private async findInode(
    path: string,
    syncIntervalMs = this.syncIntervalMs,
    listed?: Promise<ListPage>,
  ): Promise<Inode | undefined> {
    const existing = await this.meta.getInode(path);
    if (existing && !isMirror(existing)) return existing;
    if (existing && !isStale(existing, syncIntervalMs)) return existing;
    if (!existing && !(await this.mayLoad(path))) return undefined;
    const { mount, ufsPath } = this.mounts.resolve(path);
    if (isTemporaryPath(ufsPath)) return undefined;
    let status: UfsStatus;
    try {
      const store = await this.mounts.store(mount);
      const known = store.capabilities.firstPageHasDirectory
        ? await listed?.then(
            (page) => page.directory,
            () => undefined,
          )
        : undefined;
      status = known ?? (await store.getStatus(ufsPath));
    } catch (error) {
      if (!isTierfsError(error, 'NOT_FOUND')) throw error;
      if (existing && !this.mounts.get(path)) {
        // Gone from the under store: forget it, unless it changed in tierfs meanwhile.
        await this.meta.deleteTree(path, {
          contentId: existing.contentId,
          state: 'COMPLETE',
          persistence: 'PERSISTED',
        });
        return this.meta.getInode(path);
      }
      return undefined;
    }
    if (path !== '/' && !existing) {
      // Load the parents too, so the tree in the metadata store has no holes.
      const parent = await this.findInode(parentPathOf(path));
      if (!parent?.isDirectory) return undefined;
    }
    const inode = this.inodeFromUfs(path, status, mount, existing, Date.now());
    return this.meta.transaction(async (tx) => {
      if (path !== '/' && !(await tx.getInode(parentPathOf(path)))?.isDirectory) return undefined;
      await tx.mirrorInodes([inode]);
      return tx.getInode(path);
    });
  }

  /** Whether a path missing from the metadata store should be looked up in the under store. */
  private async mayLoad(path: string): Promise<boolean> {
    if (this.loadType === 'NEVER' && path !== '/' && !this.mounts.get(path)) return false;
    if (this.loadType === 'ALWAYS' || path === '/') return true;
    // ONCE: a fresh listing of the parent already told us everything it holds.
    const parent = await this.meta.getInode(parentPathOf(path));
    return !(parent?.childrenLoaded && !isStale(parent, this.syncIntervalMs));
  }

  /**
   * The first page of the under store's listing of `path`, asked for now when the metadata store
   * does not know the path at all: its lookup in the under store (one round trip) and the first
   * request of its load then go out together instead of one after the other. Only the load uses
   * the answer, once the lookup found a directory the caller may list; otherwise it is dropped.
   */
  private async askFirstPage(path: string): Promise<FirstPage | undefined> {
    if (path === '/' || (await this.meta.getInode(path)) !== undefined) return undefined;
    if (!(await this.mayLoad(path))) return undefined;
    const { mount, ufsPath } = this.mounts.resolve(path);
    if (isTemporaryPath(ufsPath)) return undefined;
    const store = await this.mounts.store(mount);
    const askedAtMs = Date.now();
    const page = store.list(ufsPath);
    page.catch(() => undefined); // a page nobody uses may fail unseen; the load sees its error
    return { page, askedAtMs }; // wrapped: an async function returning the promise would wait for it
  }

  /**
   * Starts loading a directory's children from the under store when never loaded or stale (or
   * joins the load under way); undefined when they are fresh. `firstPage`, the under store's first
   * page of the listing already asked for, is used by a load started here.
   */
  private loadChildren(
    dir: Inode,
    syncIntervalMs = this.syncIntervalMs,
    firstPage?: FirstPage,
  ): DirectoryLoad | undefined {
    if (dir.childrenLoaded && !isStale(dir, syncIntervalMs)) return undefined;
    if (dir.persistence !== 'PERSISTED') return undefined;
    const running = this.loads.get(dir.path);
    if (running && !running.finished) return running;
    const load = new DirectoryLoad((progress) => this.syncChildren(dir, progress, firstPage));
    this.loads.set(dir.path, load);
    void load.done.then(() => {
      if (this.loads.get(dir.path) === load) this.loads.delete(dir.path);
    });
    return load;
  }

  /** Mirrors a directory's children from the under store, a batch at a time, reporting progress. */
  private async syncChildren(dir: Inode, progress: DirectoryLoad, firstPage?: FirstPage): Promise<void> {
    const { mount, ufsPath } = this.mounts.resolve(dir.path);
    const store = await this.mounts.store(mount);
    // Children not in the listing and last synced before it was asked for are dropped: with a
    // first page asked for earlier, that is when (what tierfs made since then is kept). While the
    // store lists in byte order, each batch drops those between the one before it and its own last
    // child, so that no page of the listing shows them; the rest go at the end.
    const started = firstPage?.askedAtMs ?? Date.now();
    let ordered = true;
    let flushedUpTo: string | undefined;
    const batch: Inode[] = [];
    let batchSize = SYNC_BATCH_FIRST;
    let batchStartedMs = 0;
    let mirrored = 0;
    let previous: string | undefined;
    // Each batch of children is one statement, in a transaction that finds the directory still there.
    const flush = async () => {
      if (this.closed) throw new TierfsError('UNAVAILABLE', 'the namespace was closed while listing');
      if (batch.length === 0) return;
      const children = batch.splice(0);
      batchSize = Math.min(batchSize * 2, SYNC_BATCH_MAX);
      mirrored += children.length;
      const upTo = nameOf(children.at(-1)!.path);
      const present = await this.meta.transaction(async (tx) => {
        if (!(await tx.getInode(dir.path))?.isDirectory) return false;
        await tx.mirrorInodes(children);
        if (ordered)
          await tx.deleteStaleChildren(dir.path, started, this.mountPaths(), { after: flushedUpTo, upTo });
        return true;
      });
      if (!present) throw new TierfsError('NOT_FOUND', `${dir.path} was deleted while it was being listed`);
      flushedUpTo = upTo;
      progress.advanced(upTo);
    };
    try {
      for await (const page of walkPages(store, ufsPath, {}, firstPage?.page)) {
        if (batch.length === 0) batchStartedMs = Date.now();
        for (const status of page.entries) {
          if (isTemporaryName(status.name)) continue;
          if (previous !== undefined && compareBytes(status.name, previous) < 0) {
            ordered = false;
            progress.unordered();
          }
          previous = status.name;
          batch.push(
            this.inodeFromUfs(joinNamespacePath(dir.path, status.name), status, mount, undefined, started),
          );
        }
        if (batch.length >= batchSize || (await this.storeHoldsBack(page, mirrored, batchStartedMs))) {
          await flush();
        }
      }
    } catch (error) {
      if (!isTierfsError(error, 'NOT_FOUND')) throw error;
    }
    await flush();
    // Children the under store no longer has (after the last batch, or all of them when the store
    // did not list in byte order): drop those that only mirrored it, in one transaction.
    await this.meta.transaction(async (tx) => {
      await tx.deleteStaleChildren(
        dir.path,
        started,
        this.mountPaths(),
        ordered ? { after: flushedUpTo } : {},
      );
      await tx.patchInode(
        dir.path,
        { contentId: dir.contentId },
        { childrenLoaded: true, syncedAtMs: started },
      );
    });
  }

  /** Mount points: never dropped as stale children of the directory they are in. */
  private mountPaths(): string[] {
    return this.mounts.list().map((m) => m.path);
  }

  /**
   * Whether a batch should be mirrored now because the under store holds back the page after it:
   * until a first page of the listing is complete at once, later when its oldest entry has waited
   * SYNC_BATCH_WAIT_MS (waiting at most that long for the page to arrive). The pages the listing
   * waits for then trail the store's by one batch, not by the store's next answer.
   */
  private async storeHoldsBack(page: WalkedPage, mirrored: number, batchStartedMs: number): Promise<boolean> {
    if (page.nextReady()) return false;
    if (mirrored < SYNC_BATCH_FIRST) return true;
    const left = SYNC_BATCH_WAIT_MS - (Date.now() - batchStartedMs);
    if (left <= 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), left);
    });
    try {
      return await Promise.race([page.nextArrival().then(() => false), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  private inodeFromUfs(
    path: string,
    status: UfsStatus,
    mount: MountPoint,
    existing: Inode | undefined,
    now: number,
  ): Inode {
    const sameContent = existing?.ufsFingerprint === status.fingerprint;
    // chmod/chown live in tierfs only: keep them across syncs of an unchanged object, and of a
    // directory (still a directory) whatever its fingerprint does when children come and go.
    const keepAttributes =
      existing !== undefined && (sameContent || (existing.isDirectory && status.isDirectory));
    return {
      path,
      isDirectory: status.isDirectory,
      size: status.size,
      mtimeMs: status.mtimeMs ?? existing?.mtimeMs ?? now,
      owner: keepAttributes ? existing.owner : status.owner,
      group: keepAttributes ? existing.group : status.group,
      mode: keepAttributes ? existing.mode : this.sharedMode(mount, status.mode),
      state: 'COMPLETE',
      persistence: 'PERSISTED',
      ufsFingerprint: status.fingerprint,
      contentId:
        sameContent && existing
          ? existing.contentId
          : createHash('sha256')
              .update(`${mount.ufsUri}\0${path}\0${status.fingerprint}`)
              .digest('hex')
              .slice(0, 32),
      syncedAtMs: now,
      childrenLoaded: sameContent && existing ? existing.childrenLoaded : false,
    };
  }

  /**
   * Shared mounts give every user what the owner has: Alluxio ORs the owner bits into "other" when
   * it loads metadata from the under store; what is created through tierfs keeps mode & ~umask.
   */
  private sharedMode(mount: MountPoint, mode: number): number {
    return mount.shared ? mode | ((mode >> 6) & 0o7) : mode;
  }
}

/** The under store's first page of a directory's listing, asked for before its load started. */
interface FirstPage {
  readonly page: Promise<ListPage>;
  /** When it was asked for (before the request went out). */
  readonly askedAtMs: number;
}

/** How many of a page's children (in byte order) the load has mirrored everything up to. */
function coveredCount(inodes: readonly Inode[], coverage: Coverage): number {
  let count = inodes.length;
  while (count > 0 && !coverage.covers(nameOf(inodes[count - 1]!.path))) count--;
  return count;
}

/** An inode that only mirrors its under store object (and may be re-read from it). */
function isMirror(inode: Inode): boolean {
  return inode.persistence === 'PERSISTED' && inode.state === 'COMPLETE';
}

function isStale(inode: Inode, syncIntervalMs: number): boolean {
  if (syncIntervalMs < 0) return false;
  return Date.now() - inode.syncedAtMs >= syncIntervalMs;
}

function parentPathOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

function encodeToken(after: string): string {
  return Buffer.from(after, 'utf8').toString('base64url');
}

function decodeToken(token: string | undefined): string | undefined {
  return token === undefined ? undefined : Buffer.from(token, 'base64url').toString('utf8');
}

/** Whether a file is complete with the content of the write `contentId` (content ids are unique). */
function completedBy(inode: Inode | undefined, contentId: string): boolean {
  return inode?.state === 'COMPLETE' && !inode.isDirectory && inode.contentId === contentId;
}
