/** Live workers, known by their heartbeats; a worker that misses its lease is LOST. */
import type { HeartbeatRequest, WorkerInfo } from '../cluster/wire.js';

export class WorkerRegistry {
  private readonly workers = new Map<string, Omit<WorkerInfo, 'state'>>();

  constructor(readonly leaseMs: number) {}

  /** Records a heartbeat; true when the worker is new, restarted or back from LOST. */
  heartbeat(request: HeartbeatRequest, now = Date.now()): boolean {
    const previous = this.workers.get(request.id);
    this.workers.set(request.id, { ...request, lastHeartbeatMs: now });
    return (
      previous === undefined ||
      previous.startedMs !== request.startedMs ||
      now - previous.lastHeartbeatMs > this.leaseMs
    );
  }

  remove(id: string): void {
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
