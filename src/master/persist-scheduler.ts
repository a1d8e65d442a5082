/**
 * Persists ASYNC_THROUGH files: each queued file is sent to the worker that holds its data, which
 * writes it to the under store; the inode is then marked PERSISTED. The queue lives in the
 * metadata store, so pending work survives a master restart; a task whose worker is away waits
 * for it, a failed one is retried with backoff and keeps its last error for `fs stat`.
 */
import type { Logger } from 'pino';
import { clusterHeaders } from '../cluster/auth.js';
import { callJson } from '../cluster/rpc.js';
import type { MetaStore, PersistTask } from '../meta/store.js';
import type { Namespace } from '../namespace/namespace.js';
import type { WorkerRegistry } from './worker-registry.js';

export interface PersistRequest {
  readonly path: string;
  readonly contentId: string;
  readonly size: number;
  readonly mountPath: string;
  readonly ufsPath: string;
}

const MAX_BACKOFF_MS = 60_000;

export class PersistScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly retryAt = new Map<string, number>();

  constructor(
    private readonly meta: MetaStore,
    private readonly namespace: Namespace,
    private readonly workers: WorkerRegistry,
    private readonly clusterToken: string,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    // Tasks that were running when the master stopped start over.
    for (const task of await this.meta.listPersistTasks('RUNNING')) {
      await this.meta.updatePersistTask(task.path, { state: 'PENDING' });
    }
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
    clearInterval(this.timer);
    await this.running;
  }

  private async round(): Promise<void> {
    const now = Date.now();
    const tasks = (await this.meta.listPersistTasks()).filter(
      (t) => t.state !== 'RUNNING' && (this.retryAt.get(t.path) ?? 0) <= now,
    );
    for (const task of tasks) await this.persist(task);
  }

  private async persist(task: PersistTask): Promise<void> {
    const worker = this.workers.get(task.workerId);
    if (worker?.state !== 'LIVE') return; // Its data is on that worker: wait for it to come back.
    const { mount, ufsPath } = this.namespace.resolve(task.path);
    const inode = await this.meta.getInode(task.path);
    if (!inode || inode.contentId !== task.contentId) {
      await this.meta.removePersistTask(task.path); // Deleted or replaced meanwhile.
      return;
    }
    await this.meta.updatePersistTask(task.path, { state: 'RUNNING' });
    try {
      const request: PersistRequest = {
        path: task.path,
        contentId: task.contentId,
        size: inode.size,
        mountPath: mount.path,
        ufsPath,
      };
      const { ufsFingerprint } = await callJson<{ ufsFingerprint: string }>(
        'POST',
        `${worker.address}/internal/persist`,
        {
          body: request,
          headers: clusterHeaders(this.clusterToken),
        },
      );
      await this.namespace.markPersisted(task.path, task.contentId, ufsFingerprint);
      await this.meta.removePersistTask(task.path);
      this.retryAt.delete(task.path);
      await callJson('POST', `${worker.address}/internal/persisted`, {
        body: { contentId: task.contentId },
        headers: clusterHeaders(this.clusterToken),
      }).catch(() => undefined);
      this.log.info({ path: task.path }, 'persisted');
    } catch (error) {
      const message = (error as Error).message;
      await this.meta.updatePersistTask(task.path, { state: 'FAILED', lastError: message });
      this.retryAt.set(task.path, Date.now() + Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (task.attempts + 1)));
      this.log.warn({ path: task.path, err: message }, 'persist failed; will retry');
    }
  }
}
