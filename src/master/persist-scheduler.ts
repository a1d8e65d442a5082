/**
 * Persists ASYNC_THROUGH files, so that no acknowledged write is ever lost or undone:
 *
 * 1. A master claims a task in the metadata store with a lease (its id, an expiry it renews while
 *    it works): two masters never run one task, and the task of a master that died is taken over
 *    once its lease expires. There is no "reset every RUNNING task at start".
 * 2. The worker holding the data writes it under a temporary name in the file's mount; on an
 *    object store a file that needs parts goes up instead as a multipart upload left open at the
 *    file's own key (nothing visible yet), whose token the worker answers with.
 * 3. One transaction checks that the file still holds the content being persisted and that the
 *    task is still this master's, and marks the task COMMITTING; overwrites and deletes of the
 *    path wait while it is (namespace.ts). Otherwise the temporary object is removed (the open
 *    upload aborted): the file was overwritten or deleted meanwhile and its new state wins.
 * 4. The data is moved over the file as a CACHE_THROUGH write's is (write-commit.ts moveIntoPlace):
 *    the open upload completed (no copy), or the temporary object copied over the file in one
 *    step (object stores; the temporary deleted in the next batch), or renamed (local); one
 *    transaction marks the inode PERSISTED (if it still holds that content) and drops the task.
 *
 * A failed attempt removes its temporary object (aborts its upload) and is retried with backoff
 * (kept in the store, with its last error for `fs stat`). Temporary objects of attempts that died
 * with their master are swept by persist-sweeper.ts, their open uploads by the store's cleanup
 * once older than its clean age.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { clusterHeaders } from '../cluster/auth.js';
import { callJson } from '../cluster/rpc.js';
import type { PersistRequest, PersistResponse } from '../cluster/wire.js';
import { isTierfsError } from '../errors.js';
import type { MetaStore, PersistTask } from '../meta/store.js';
import type { Namespace } from '../namespace/namespace.js';
import { copiesOver, moveIntoPlace } from '../namespace/write-commit.js';
import type { UnderStore } from '../ufs/contract.js';
import { temporaryPathFor } from '../ufs/temporary.js';
import type { WorkerRegistry } from './worker-registry.js';

const MAX_BACKOFF_MS = 60_000;
/** Tasks claimed at a time: each one's lease runs while the ones before it are persisted. */
const CLAIM_BATCH = 1;

export class PersistScheduler {
  /** This master's identity as a claimant. */
  readonly owner = `master-${randomUUID()}`;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly meta: MetaStore,
    private readonly namespace: Namespace,
    private readonly workers: WorkerRegistry,
    private readonly clusterToken: string,
    private readonly intervalMs: number,
    private readonly leaseMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** Runs one round now (and waits for it); rounds never overlap. */
  tick(): Promise<void> {
    this.running ??= this.round().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  private async round(): Promise<void> {
    await this.namespace.mounts.refresh();
    while (!this.stopped) {
      const live = this.workers.list().filter((w) => w.state === 'LIVE');
      const claimed = await this.meta.claimPersists({
        owner: this.owner,
        nowMs: Date.now(),
        leaseMs: this.leaseMs,
        limit: CLAIM_BATCH,
        workerIds: live.map((w) => w.id),
      });
      if (claimed.length === 0) return;
      for (const task of claimed) await this.persist(task);
    }
  }

  private async persist(task: PersistTask): Promise<void> {
    const claim = { owner: this.owner, contentId: task.contentId };
    const inode = await this.meta.getInode(task.path);
    if (inode?.contentId !== task.contentId || inode.state !== 'COMPLETE') {
      await this.meta.removePersist(task.path, claim); // Deleted or replaced meanwhile.
      return;
    }
    const worker = this.workers.get(task.workerId);
    const { mount, ufsPath } = this.namespace.resolve(task.path);
    const temporaryPath = temporaryPathFor(ufsPath);
    const lease = () => ({ leaseUntilMs: Date.now() + this.leaseMs });
    const recorded = await this.meta.transaction(async (tx) => {
      const running = { state: 'RUNNING', temporaryPath, ...lease() } as const;
      if (!(await tx.updateClaimedPersist(task.path, claim, running))) return false;
      await tx.addTemporary({ mountPath: mount.path, ufsPath: temporaryPath, createdMs: Date.now() });
      return true;
    });
    if (!recorded) return;
    // The multipart upload the worker left open at the file's key (a file that needed parts).
    let pendingUpload: string | undefined;
    const removeTemporary = async (store: UnderStore) => {
      if (pendingUpload !== undefined)
        await store.abortUpload?.(ufsPath, pendingUpload).catch(() => undefined);
      await store.delete(temporaryPath).catch((error: unknown) => {
        if (!isTierfsError(error, 'NOT_FOUND')) throw error;
      });
      await this.meta.removeTemporary(mount.path, temporaryPath);
    };
    // Renewed while the worker writes (a big file may take longer than one lease) and while the
    // object is moved into place (a slow store's rename), three times per lease: an overwrite or a
    // delete of the path waits for a COMMITTING task only while its lease lives.
    let phase: 'RUNNING' | 'COMMITTING' = 'RUNNING';
    const renewal = setInterval(
      () =>
        void this.meta.updateClaimedPersist(task.path, claim, { state: phase, ...lease() }).catch(() => {}),
      Math.max(10, Math.floor(this.leaseMs / 3)),
    );
    renewal.unref();
    let store: UnderStore | undefined;
    try {
      store = await this.namespace.mounts.store(mount);
      if (!worker) throw new Error(`worker ${task.workerId} is not registered`);
      const request: PersistRequest = {
        path: task.path,
        contentId: task.contentId,
        size: inode.size,
        mountPath: mount.path,
        ufsPath: temporaryPath,
        commitTo: ufsPath,
      };
      const written = await callJson<PersistResponse>('POST', `${worker.address}/internal/persist`, {
        body: request,
        headers: clusterHeaders(this.clusterToken),
      });
      pendingUpload = written.pendingUpload;
      const committing = await this.meta.transaction(async (tx) => {
        const current = await tx.getInode(task.path);
        const unchanged =
          current?.contentId === task.contentId &&
          current.state === 'COMPLETE' &&
          current.persistence === 'TO_BE_PERSISTED';
        if (!unchanged) {
          await tx.removePersist(task.path, claim);
          return false;
        }
        return tx.updateClaimedPersist(task.path, claim, { state: 'COMMITTING', ...lease() });
      });
      if (committing) phase = 'COMMITTING';
      if (!committing) {
        await removeTemporary(store);
        this.log.info({ path: task.path }, 'persist dropped: the file was replaced or deleted meanwhile');
        return;
      }
      // As a CACHE_THROUGH write commits: the open upload completed, or the temporary object
      // copied over the file (its record goes once the batch deleting it went), or renamed.
      const commit = { path: task.path, ufsPath, temporaryPath, size: inode.size, pendingUpload };
      const byCopy = copiesOver(store, commit);
      const sourceDeleted = () =>
        void this.meta.removeTemporary(mount.path, temporaryPath).catch(() => undefined);
      const ufsFingerprint = (await moveIntoPlace(store, commit, sourceDeleted)).fingerprint;
      pendingUpload = undefined; // completed: nothing to abort any more
      const committed = await this.meta.transaction(async (tx) => {
        if (!byCopy) await tx.removeTemporary(mount.path, temporaryPath);
        const current = await tx.getPersistTask(task.path);
        if (current?.owner !== this.owner || current.contentId !== task.contentId) return false;
        await tx.removePersist(task.path, claim);
        return tx.patchInode(
          task.path,
          { contentId: task.contentId, state: 'COMPLETE', persistence: 'TO_BE_PERSISTED' },
          { persistence: 'PERSISTED', ufsFingerprint, syncedAtMs: Date.now() },
        );
      });
      if (!committed) {
        await this.undoLateCommit(store, task, ufsPath, ufsFingerprint);
        return;
      }
      await callJson('POST', `${worker.address}/internal/persisted`, {
        body: { contentId: task.contentId },
        headers: clusterHeaders(this.clusterToken),
      }).catch(() => undefined);
      this.log.info({ path: task.path }, 'persisted');
    } catch (error) {
      const message = (error as Error).message;
      // What cannot be removed now stays recorded, for the sweeper.
      if (store) await removeTemporary(store).catch(() => undefined);
      await this.meta.updateClaimedPersist(task.path, claim, {
        state: 'FAILED',
        lastError: message,
        retryAtMs: Date.now() + Math.min(MAX_BACKOFF_MS, 1000 * 2 ** task.attempts),
      });
      this.log.warn({ path: task.path, err: message }, 'persist failed; will retry');
    } finally {
      clearInterval(renewal);
    }
  }

  /**
   * The claim was lost while the object was moved into place (this master stalled past its lease,
   * and an overwrite or a delete went ahead meanwhile): the object just moved may be older than
   * what the path now holds. Removes it when the file is gone or holds content not in the under
   * store; a file persisted meanwhile whose object this move replaced cannot be restored here and
   * is reported.
   */
  private async undoLateCommit(
    store: UnderStore,
    task: PersistTask,
    ufsPath: string,
    moved: string,
  ): Promise<void> {
    const current = await this.meta.getInode(task.path);
    if (current?.contentId === task.contentId) {
      // Taken over by another attempt of the same content: what was moved is the right data.
      this.log.warn(
        { path: task.path },
        'persist lost its claim while committing; another attempt finishes it',
      );
      return;
    }
    const there = await store.getStatus(ufsPath).catch(() => undefined);
    if (there?.fingerprint !== moved) return; // Something newer replaced it already.
    if (current?.persistence === 'PERSISTED' && !current.isDirectory) {
      this.log.error(
        { path: task.path },
        'persist lost its claim while committing and its late move replaced a newer persisted version in the under store',
      );
      return;
    }
    await store.delete(ufsPath).catch((error: unknown) => {
      if (!isTierfsError(error, 'NOT_FOUND')) throw error;
    });
    this.log.warn(
      { path: task.path },
      'persist lost its claim while committing (lease expired); its late object was removed',
    );
  }
}
