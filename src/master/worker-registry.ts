/**
 * Worker membership, kept in the metadata store so that every master knows every worker, whichever
 * master its heartbeats reach: a heartbeat is written to the store; each master reads the table
 * back every `refreshMs` (a few rows) into the view its hot paths read synchronously. A worker
 * whose last heartbeat is older than its lease is LOST.
 *
 * The masters compare heartbeat times taken on different hosts: their clocks must agree to well
 * within the lease (NTP), as for every lease in the store.
 */
import type { HeartbeatRequest, WorkerInfo } from '../cluster/wire.js';
import type { MetaStore, WorkerRecord } from '../meta/store.js';

export class WorkerRegistry {
  private workers = new Map<string, Omit<WorkerInfo, 'state'>>();
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly meta: MetaStore,
    readonly leaseMs: number,
    private readonly refreshMs = Math.min(1000, leaseMs / 4),
  ) {}

  /** Loads the membership now and keeps it fresh. */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Reads the membership from the store (concurrent calls share one read). */
  refresh(): Promise<void> {
    this.refreshing ??= this.meta
      .listWorkers()
      .then((records) => {
        this.workers = new Map(records.map((r) => [r.id, fromRecord(r)]));
      })
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  /** Records a heartbeat; true when the worker is new, restarted or back from LOST. */
  async heartbeat(request: HeartbeatRequest, now = Date.now()): Promise<boolean> {
    const { id, address, startedMs, ...detail } = request;
    const record: WorkerRecord = { id, address, startedMs, lastHeartbeatMs: now, detail };
    const joined = await this.meta.heartbeatWorker(record, this.leaseMs);
    this.workers.set(id, fromRecord(record));
    return joined;
  }

  async remove(id: string): Promise<void> {
    await this.meta.removeWorker(id);
    this.workers.delete(id);
  }

  list(now = Date.now()): WorkerInfo[] {
    return [...this.workers.values()]
      .map((w) => ({
        ...w,
        state: now - w.lastHeartbeatMs <= this.leaseMs ? ('LIVE' as const) : ('LOST' as const),
      }))
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  live(now = Date.now()): WorkerInfo[] {
    return this.list(now).filter((w) => w.state === 'LIVE');
  }

  get(id: string): WorkerInfo | undefined {
    return this.list().find((w) => w.id === id);
  }
}

function fromRecord(record: WorkerRecord): Omit<WorkerInfo, 'state'> {
  return {
    ...(record.detail as Omit<HeartbeatRequest, 'id' | 'address' | 'startedMs'>),
    id: record.id,
    address: record.address,
    startedMs: record.startedMs,
    lastHeartbeatMs: record.lastHeartbeatMs,
  };
}
