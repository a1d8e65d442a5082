/**
 * The last step of a CACHE_THROUGH or THROUGH write, whose worker wrote the data under a temporary
 * name beside the file (ufs/temporary.ts): the object is moved over the file only once the file is
 * known to still be this write's, and the write becomes visible in the same transaction that finds
 * it moved. A write whose completion fails leaves nothing in the under store, and never replaces
 * what another write or a delete did to the path meanwhile.
 *
 * 1. One transaction checks that the path still holds this write (`check`) and holds the path with
 *    a COMMITTING task owned by this master, leased; overwrites, deletes and renames of the path
 *    wait while it lives (MetaTransaction.cancelPersists). The lease is renewed while the object moves.
 * 2. The object is moved over the file.
 * 3. One transaction drops the hold and makes the file visible (`apply`), if the path still holds
 *    this write. If it does not (the hold's lease ran out and something changed the path), the
 *    moved object is removed again, unless something newer replaced it already.
 *
 * Until step 2 a failure removes the temporary object and gives the path back as it was (a persist
 * of the file being overwritten is queued again, parked while the overwrite is pending). A hold
 * whose master died is settled by recoverWriteCommits once its lease expired.
 *
 * On an object store a write that needed parts wrote no temporary object: its worker left a
 * multipart upload open at the file's own key (`pendingUpload`), and step 2 completes it (the
 * object appears, or replaces the old one, in that one request; no copy). A failure before it
 * aborts the upload instead of deleting the temporary object; an upload whose writer or master
 * died is aborted by the store's cleanup once older than its clean age.
 */
import { randomUUID } from 'node:crypto';
import { isTierfsError, TierfsError } from '../errors.js';
import type { MetaStore, MetaTransaction, PersistTask } from '../meta/store.js';
import { PARKED_RETRY_MS } from '../meta/store.js';
import type { UfsStatus, UnderStore } from '../ufs/contract.js';
import type { MountTable } from './mount-table.js';

/** The worker id of a hold: no worker is ever called that, so the persist scheduler never claims it. */
export const HOLD_WORKER = '';

export interface WriteToCommit {
  readonly path: string;
  readonly contentId: string;
  readonly mountPath: string;
  /** The file's path and the temporary object's path in the mount's under store. */
  readonly ufsPath: string;
  readonly temporaryPath: string;
  /** The bytes the worker wrote (from its signed receipt). */
  readonly size?: number;
  /** The multipart upload the worker left open at ufsPath, completed instead of a move (signed receipt). */
  readonly pendingUpload?: string;
}

export class WriteCommitter {
  /** This master's identity as the holder of paths being committed. */
  private readonly owner = `writer-${randomUUID()}`;

  constructor(
    private readonly meta: MetaStore,
    private readonly leaseMs: number,
  ) {}

  /**
   * Commits a write. `check` throws (inside the transaction) when the path no longer holds the
   * write; `apply` makes it visible, given the fingerprint of the object moved into place.
   */
  async commit<T>(
    write: WriteToCommit,
    store: UnderStore,
    check: (tx: MetaTransaction) => Promise<void>,
    apply: (tx: MetaTransaction, ufsFingerprint: string) => Promise<T>,
  ): Promise<T> {
    const claim = { owner: this.owner, contentId: write.contentId };
    const leaseUntilMs = () => Date.now() + this.leaseMs;
    let previous: PersistTask | undefined;
    // The same write held by another master: its completion is being sent again because that
    // master died mid-commit (the worker resends a completion only to the next master). What it
    // did to the under store stays; only what it did not do is done here.
    let resumed = false;
    try {
      previous = await this.meta.transaction(async (tx) => {
        await check(tx);
        const task = await tx.getPersistTask(write.path);
        resumed =
          task?.workerId === HOLD_WORKER && task.contentId === write.contentId && task.owner !== this.owner;
        await tx.cancelPersists(write.path, { recursive: false, nowMs: Date.now() });
        await tx.enqueuePersist({
          path: write.path,
          contentId: write.contentId,
          workerId: HOLD_WORKER,
          enqueuedMs: Date.now(),
          commit: { owner: this.owner, leaseUntilMs: leaseUntilMs(), temporaryPath: write.temporaryPath },
        });
        // A resumed write's hold replaced no persist of ours to give back on failure.
        return resumed ? undefined : task;
      });
    } catch (error) {
      // A persist moving its object into place makes this wait (retryable): the object stays for the next try.
      if (!(isTierfsError(error, 'CONFLICT') && error.retryable)) {
        await this.removeTemporary(write, store).catch(() => undefined);
      }
      throw error;
    }
    const renewal = setInterval(
      () =>
        void this.meta
          .updateClaimedPersist(write.path, claim, { state: 'COMMITTING', leaseUntilMs: leaseUntilMs() })
          .catch(() => undefined),
      Math.max(10, Math.floor(this.leaseMs / 3)),
    );
    renewal.unref();
    // A copied temporary object may be deleted after this returns (object stores delete them in
    // batches): its record, which the sweeper would remove it by, goes only once it is deleted.
    const byCopy = copiesOver(store, write);
    const sourceDeleted = () =>
      void this.meta.removeTemporary(write.mountPath, write.temporaryPath).catch(() => undefined);
    let moved: string;
    try {
      const done = resumed ? await movedAlready(store, write) : undefined;
      moved = (done ?? (await moveIntoPlace(store, write, sourceDeleted))).fingerprint;
    } catch (error) {
      clearInterval(renewal);
      await this.release(write, previous).catch(() => undefined);
      await this.removeTemporary(write, store).catch(() => undefined);
      throw error;
    }
    clearInterval(renewal);
    try {
      return await this.meta.transaction(async (tx) => {
        if (!byCopy) await tx.removeTemporary(write.mountPath, write.temporaryPath);
        await tx.removePersist(write.path, claim);
        return apply(tx, moved);
      });
    } catch (error) {
      // The path changed after the hold ran out: the object just moved is no one's.
      const there = await store.getStatus(write.ufsPath).catch(() => undefined);
      if (there?.fingerprint === moved) await store.delete(write.ufsPath).catch(() => undefined);
      await this.meta.removePersist(write.path, claim).catch(() => undefined);
      throw error;
    }
  }

  /** Drops the hold and queues again the persist it replaced (parked while the overwrite is pending). */
  private async release(write: WriteToCommit, previous: PersistTask | undefined): Promise<void> {
    await this.meta.transaction(async (tx) => {
      if (!(await tx.removePersist(write.path, { owner: this.owner, contentId: write.contentId }))) return;
      if (!previous) return;
      await tx.enqueuePersist({
        path: previous.path,
        contentId: previous.contentId,
        workerId: previous.workerId,
        enqueuedMs: previous.enqueuedMs,
      });
      if (previous.retryAtMs === PARKED_RETRY_MS) {
        await tx.cancelPersists(write.path, {
          recursive: false,
          nowMs: Date.now(),
          requeueAtMs: PARKED_RETRY_MS,
        });
      }
    });
  }

  private async removeTemporary(write: WriteToCommit, store: UnderStore): Promise<void> {
    if (write.pendingUpload !== undefined) {
      await store.abortUpload?.(write.ufsPath, write.pendingUpload).catch(() => undefined);
    }
    await discardTemporary(this.meta, store, write.mountPath, write.temporaryPath);
  }
}

/** Removes the temporary object of a write that will not complete (what cannot be removed now is swept). */
export async function discardTemporary(
  meta: MetaStore,
  store: UnderStore,
  mountPath: string,
  temporaryPath: string,
): Promise<void> {
  await store.delete(temporaryPath).catch(ignoreNotFound);
  await meta.removeTemporary(mountPath, temporaryPath);
}

/**
 * Moves a write's object over its file. An object store completes the write's open multipart
 * upload, or copies its temporary object over the file, in one request, so the old version stays
 * readable until the new one replaces it; a local store's rename needs a free destination, so the
 * version being replaced goes first.
 */
export async function moveIntoPlace(
  store: UnderStore,
  write: Pick<WriteToCommit, 'path' | 'ufsPath' | 'temporaryPath' | 'size' | 'pendingUpload'>,
  sourceDeleted: () => void,
): Promise<UfsStatus> {
  const { temporaryPath, ufsPath, size, pendingUpload } = write;
  if (pendingUpload !== undefined) {
    if (!store.completeUpload) {
      throw new TierfsError(
        'INVALID_ARGUMENT',
        `${store.uri} cannot complete an open upload: the write of ${write.path} must be sent again`,
      );
    }
    return store.completeUpload(ufsPath, pendingUpload, { size });
  }
  if (copiesOver(store, write)) return store.moveOver!(temporaryPath, ufsPath, { size, sourceDeleted });
  await store.delete(ufsPath).catch(ignoreNotFound);
  await store.rename(temporaryPath, ufsPath);
  return store.getStatus(ufsPath);
}

/**
 * The file a resumed write's first master already renamed into place: on a store that renames
 * (deleted, then renamed), the file there with no temporary object left. Object stores need no
 * check: completing an upload twice, or copying the same temporary object again, makes the same
 * object (and a completion whose answer was lost is recognised by its ETag).
 */
async function movedAlready(store: UnderStore, write: WriteToCommit): Promise<UfsStatus | undefined> {
  if (write.pendingUpload !== undefined || copiesOver(store, write)) return undefined;
  if (await store.exists(write.temporaryPath)) return undefined;
  return store.getStatus(write.ufsPath).catch((error: unknown) => {
    ignoreNotFound(error);
    return undefined;
  });
}

/** Whether the write's temporary object is copied over the file (moveOver), not renamed nor completed. */
export function copiesOver(store: UnderStore, write: Pick<WriteToCommit, 'pendingUpload'>): boolean {
  return (
    write.pendingUpload === undefined && !store.capabilities.atomicRename && store.moveOver !== undefined
  );
}

function ignoreNotFound(error: unknown): void {
  if (!isTierfsError(error, 'NOT_FOUND')) throw error;
}

/**
 * Settles the holds of writes whose master died while committing them (their lease expired with
 * nothing having touched the path since: anything that did would have dropped the hold). The
 * client saw the completion fail, so a new file is undone: the hold goes, the object is removed if
 * it was moved, and the write is dropped (its temporary object swept). An overwrite whose old
 * version was already removed from the under store is finished instead (the object moved into
 * place if it was not yet, the write completed): its data is the only copy left. Returns how many
 * holds were settled.
 */
export async function recoverWriteCommits(
  meta: MetaStore,
  mounts: MountTable,
  nowMs: number,
): Promise<number> {
  const expired = (await meta.listPersistTasks('COMMITTING')).filter(
    (task) => task.workerId === HOLD_WORKER && (task.leaseUntilMs ?? 0) <= nowMs && task.temporaryPath,
  );
  let settled = 0;
  for (const hold of expired) {
    const { mount, ufsPath } = mounts.resolve(hold.path);
    const store = await mounts.store(mount);
    const claim = { owner: hold.owner!, contentId: hold.contentId };
    const temporaryPath = hold.temporaryPath!;
    const overwrite = await meta.transaction(async (tx) => {
      const pending = await tx.takePendingWrite(hold.path, hold.contentId);
      if (pending) await tx.putPendingWrite(pending);
      return pending !== undefined;
    });
    const temporaryThere = await store.exists(temporaryPath);
    const file = await store.getStatus(ufsPath).catch((error: unknown) => ignoreNotFound(error));
    let moved: boolean;
    let finish: boolean;
    if (store.capabilities.atomicRename || !store.moveOver) {
      // Deleted, then renamed: the file there with no temporary object left is this write's.
      moved = file !== undefined && !temporaryThere;
      finish = overwrite && (moved || (file === undefined && temporaryThere));
    } else {
      // Copied over, then the temporary object deleted; or (a write that needed parts, which left
      // no temporary object) its upload completed at the file's key. Either way the file changed
      // in one step: it is this write's when it is no longer the version being replaced (a new
      // file had none). An upload not completed stays open until the store's cleanup aborts it.
      const replaced = overwrite ? (await meta.getInode(hold.path))?.ufsFingerprint : undefined;
      moved = file !== undefined && (replaced === undefined || file.fingerprint !== replaced);
      finish = overwrite && moved;
    }
    if (finish && !moved) await store.rename(temporaryPath, ufsPath);
    if (finish && moved && temporaryThere) await store.delete(temporaryPath).catch(ignoreNotFound);
    const status = finish ? await store.getStatus(ufsPath) : undefined;
    const undo = await meta.transaction(async (tx) => {
      if (!(await tx.removePersist(hold.path, claim))) return false;
      settled++;
      if (status) {
        await tx.removeTemporary(mount.path, temporaryPath);
        const pending = await tx.takePendingWrite(hold.path, hold.contentId);
        if ((await tx.getInode(hold.path))?.state !== 'COMPLETE' || !pending) return false;
        await tx.putInodes([
          {
            ...pending,
            state: 'COMPLETE',
            size: status.size,
            mtimeMs: nowMs,
            syncedAtMs: nowMs,
            ufsFingerprint: status.fingerprint,
          },
        ]);
        return false;
      }
      if (overwrite || !moved) return false;
      return tx.deleteTree(hold.path, { contentId: hold.contentId, state: 'INCOMPLETE' }).then(() => true);
    });
    if (undo) await store.delete(ufsPath).catch(ignoreNotFound);
  }
  return settled;
}
