/**
 * Prometheus metrics of the master (its own registry, never prom-client's global one, so several
 * masters and workers in one process keep apart) and the in-memory ring of cluster samples behind the web UI's Metrics page.
 */
import { Gauge, Registry } from 'prom-client';
import { clusterHeaders } from '../cluster/auth.js';
import { observedCounter, UfsMetrics } from '../cluster/metrics.js';
import { callJson } from '../cluster/rpc.js';
import type { MetricsSample, WorkerStats } from '../cluster/wire.js';
import type { MetaStore } from '../meta/store.js';
import type { WorkerRegistry } from './worker-registry.js';

const RING_SIZE = 360;

const ZERO: WorkerStats = {
  cacheHits: 0,
  cacheMisses: 0,
  cacheBytesRead: 0,
  cacheEvictions: 0,
  ufsBytesRead: 0,
  ufsOperations: 0,
  bytesWritten: 0,
};

/** Sums the live workers' totals every interval into a ring of samples. */
export class MetricsSampler {
  private readonly ring: MetricsSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly workers: WorkerRegistry,
    private readonly clusterToken: string,
    private readonly ufs: UfsMetrics,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  samples(): readonly MetricsSample[] {
    return [...this.ring];
  }

  latest(): MetricsSample | undefined {
    return this.ring.at(-1);
  }

  /** Takes one sample now (rounds never overlap). */
  sample(): Promise<void> {
    this.running ??= this.collect().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async collect(): Promise<void> {
    const live = this.workers.live();
    const stats = await Promise.all(
      live.map((w) =>
        callJson<WorkerStats>('GET', `${w.address}/internal/stats`, {
          headers: clusterHeaders(this.clusterToken),
          timeoutMs: 2000,
        }).catch(() => ZERO),
      ),
    );
    const own = this.ufs.totals();
    const sum = (field: keyof WorkerStats) => stats.reduce((total, s) => total + s[field], 0);
    this.ring.push({
      timeMs: Date.now(),
      workers: live.length,
      cacheHits: sum('cacheHits'),
      cacheMisses: sum('cacheMisses'),
      cacheBytesRead: sum('cacheBytesRead'),
      cacheEvictions: sum('cacheEvictions'),
      ufsBytesRead: sum('ufsBytesRead') + own.ufsBytesRead,
      ufsOperations: sum('ufsOperations') + own.ufsOperations,
      bytesWritten: sum('bytesWritten'),
    });
    if (this.ring.length > RING_SIZE) this.ring.shift();
  }
}

export interface MasterMetrics {
  readonly registry: Registry;
  readonly ufs: UfsMetrics;
  readonly sampler: MetricsSampler;
}

export function createMasterMetrics(
  meta: MetaStore,
  workers: WorkerRegistry,
  clusterToken: string,
  sampleIntervalMs: number,
): MasterMetrics {
  const registry = new Registry();
  const ufs = new UfsMetrics(registry);
  const sampler = new MetricsSampler(workers, clusterToken, ufs, sampleIntervalMs);
  const latest = () => sampler.latest() ?? { ...ZERO, timeMs: 0, workers: 0 };
  new Gauge({
    name: 'tierfs_persistence_queue_length',
    help: 'Files waiting to be persisted, by task state.',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const state of ['PENDING', 'RUNNING', 'FAILED'] as const) this.set({ state }, 0);
      for (const task of await meta.listPersistTasks()) this.inc({ state: task.state });
    },
  });
  new Gauge({
    name: 'tierfs_workers',
    help: 'Workers known to the master, by state.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const list = workers.list();
      this.set({ state: 'LIVE' }, list.filter((w) => w.state === 'LIVE').length);
      this.set({ state: 'LOST' }, list.filter((w) => w.state === 'LOST').length);
    },
  });
  observedCounter(
    registry,
    'tierfs_cluster_cache_bytes_read_total',
    'Bytes the live workers served from their caches (last sample).',
    () => latest().cacheBytesRead,
  );
  observedCounter(
    registry,
    'tierfs_cluster_ufs_bytes_read_total',
    'Bytes the live workers and the master read from under stores (last sample).',
    () => latest().ufsBytesRead,
  );
  new Gauge({
    name: 'tierfs_cluster_cache_hit_ratio',
    help: 'Page cache hits over lookups across the live workers since they started (last sample).',
    registers: [registry],
    collect() {
      const { cacheHits, cacheMisses } = latest();
      this.set(cacheHits + cacheMisses === 0 ? 0 : cacheHits / (cacheHits + cacheMisses));
    },
  });
  return { registry, ufs, sampler };
}
