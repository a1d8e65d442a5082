/**
 * What every MetaStore does alike: each operation of a transaction, called on the store itself, is
 * that one operation in a transaction of its own. A store supplies `transaction`; this supplies the
 * rest of MetaTransaction on top of it.
 */
import type {
  AttributePatch,
  ChildPage,
  ClaimOptions,
  Inode,
  InodeGuard,
  InodePatch,
  MetaTransaction,
  NameRange,
  PersistEnqueue,
  PersistTask,
  PersistTaskState,
  TemporaryObject,
} from './store.js';

export abstract class TransactionalStore implements MetaTransaction {
  abstract transaction<T>(fn: (tx: MetaTransaction) => Promise<T>): Promise<T>;

  getInode(path: string): Promise<Inode | undefined> {
    return this.transaction((tx) => tx.getInode(path));
  }
  getAncestry(path: string): Promise<Inode[]> {
    return this.transaction((tx) => tx.getAncestry(path));
  }
  listChildren(path: string, options: { after?: string; limit: number }): Promise<ChildPage> {
    return this.transaction((tx) => tx.listChildren(path, options));
  }
  countChildren(path: string): Promise<number> {
    return this.transaction((tx) => tx.countChildren(path));
  }
  countFiles(): Promise<number> {
    return this.transaction((tx) => tx.countFiles());
  }
  listDescendants(path: string, options: { after?: string; limit: number }): Promise<readonly Inode[]> {
    return this.transaction((tx) => tx.listDescendants(path, options));
  }
  createInode(inode: Inode): Promise<boolean> {
    return this.transaction((tx) => tx.createInode(inode));
  }
  putInodes(inodes: readonly Inode[]): Promise<void> {
    return this.transaction((tx) => tx.putInodes(inodes));
  }
  mirrorInodes(inodes: readonly Inode[]): Promise<void> {
    return this.transaction((tx) => tx.mirrorInodes(inodes));
  }
  patchInode(path: string, guard: InodeGuard, patch: InodePatch): Promise<boolean> {
    return this.transaction((tx) => tx.patchInode(path, guard, patch));
  }
  patchTree(path: string, patch: AttributePatch): Promise<number> {
    return this.transaction((tx) => tx.patchTree(path, patch));
  }
  deleteTree(path: string, guard?: InodeGuard): Promise<number> {
    return this.transaction((tx) => tx.deleteTree(path, guard));
  }
  deleteStaleChildren(
    path: string,
    syncedBeforeMs: number,
    keep: readonly string[],
    names?: NameRange,
  ): Promise<number> {
    return this.transaction((tx) => tx.deleteStaleChildren(path, syncedBeforeMs, keep, names));
  }
  renameTree(source: string, destination: string, guard?: InodeGuard): Promise<boolean> {
    return this.transaction((tx) => tx.renameTree(source, destination, guard));
  }
  putPendingWrite(inode: Inode): Promise<void> {
    return this.transaction((tx) => tx.putPendingWrite(inode));
  }
  takePendingWrite(path: string, contentId: string): Promise<Inode | undefined> {
    return this.transaction((tx) => tx.takePendingWrite(path, contentId));
  }
  enqueuePersist(task: PersistEnqueue): Promise<void> {
    return this.transaction((tx) => tx.enqueuePersist(task));
  }
  getPersistTask(path: string): Promise<PersistTask | undefined> {
    return this.transaction((tx) => tx.getPersistTask(path));
  }
  listPersistTasks(state?: PersistTaskState): Promise<PersistTask[]> {
    return this.transaction((tx) => tx.listPersistTasks(state));
  }
  cancelPersists(
    path: string,
    options: { recursive: boolean; nowMs: number; requeueAtMs?: number },
  ): Promise<number> {
    return this.transaction((tx) => tx.cancelPersists(path, options));
  }
  claimPersists(options: ClaimOptions): Promise<PersistTask[]> {
    return this.transaction((tx) => tx.claimPersists(options));
  }
  updateClaimedPersist(
    path: string,
    claim: { owner: string; contentId: string },
    change: Parameters<MetaTransaction['updateClaimedPersist']>[2],
  ): Promise<boolean> {
    return this.transaction((tx) => tx.updateClaimedPersist(path, claim, change));
  }
  removePersist(path: string, claim?: { owner?: string; contentId?: string }): Promise<boolean> {
    return this.transaction((tx) => tx.removePersist(path, claim));
  }
  dropAbandonedWrites(startedBeforeMs: number): Promise<number> {
    return this.transaction((tx) => tx.dropAbandonedWrites(startedBeforeMs));
  }
  addTemporary(temporary: TemporaryObject): Promise<void> {
    return this.transaction((tx) => tx.addTemporary(temporary));
  }
  removeTemporary(mountPath: string, ufsPath: string): Promise<void> {
    return this.transaction((tx) => tx.removeTemporary(mountPath, ufsPath));
  }
  listLeftoverTemporaries(options: {
    createdBeforeMs: number;
    nowMs: number;
    limit: number;
  }): Promise<TemporaryObject[]> {
    return this.transaction((tx) => tx.listLeftoverTemporaries(options));
  }
  neededStagedContent(contentIds: readonly string[]): Promise<string[]> {
    return this.transaction((tx) => tx.neededStagedContent(contentIds));
  }
}
