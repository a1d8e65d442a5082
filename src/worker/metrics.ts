/**
 * Prometheus metrics of a worker, in its own registry: the page cache (hits, misses, bytes read,
 * hit ratio, usage and evictions per tier), the under store calls it makes, and the files staged
 * for persistence. The same figures, as totals, feed the master's Metrics page.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { PageStore } from '../cache/page-store.js';
import { observedCounter, UfsMetrics } from '../cluster/metrics.js';
import type { WorkerStats } from '../cluster/wire.js';
import type { StagingArea } from './staging.js';

export class WorkerMetrics {
  readonly registry = new Registry();
  readonly ufs = new UfsMetrics(this.registry);
  private written = 0;
  readonly dataRequests = new Counter({
    name: 'tierfs_worker_data_requests_total',
    help: 'Requests to the data port, by kind: read (GET /data), batch (POST /data/batch, many small reads), write (PUT /data), short-circuit (opens).',
    labelNames: ['kind'],
    registers: [this.registry],
  });

  constructor(
    private readonly pages: PageStore,
    staging: StagingArea,
  ) {
    const registry = this.registry;
    observedCounter(
      registry,
      'tierfs_cache_hits_total',
      'Page lookups served from the cache.',
      () => this.stats().cacheHits,
    );
    observedCounter(
      registry,
      'tierfs_cache_misses_total',
      'Page lookups not found in the cache.',
      () => this.stats().cacheMisses,
    );
    observedCounter(
      registry,
      'tierfs_cache_bytes_read_total',
      'Bytes served from the page cache.',
      () => this.stats().cacheBytesRead,
    );
    observedCounter(
      registry,
      'tierfs_worker_bytes_written_total',
      'File bytes clients wrote through this worker.',
      () => this.written,
    );
    new Gauge({
      name: 'tierfs_cache_hit_ratio',
      help: 'Page cache hits over lookups since the worker started.',
      registers: [registry],
      collect() {
        const { hits, misses } = pages.stats();
        this.set(hits + misses === 0 ? 0 : hits / (hits + misses));
      },
    });
    new Counter({
      name: 'tierfs_cache_evictions_total',
      help: 'Pages evicted (demoted or dropped), by tier.',
      labelNames: ['tier'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [tier, stats] of Object.entries(pages.stats().tiers)) this.inc({ tier }, stats.evictions);
      },
    });
    const usage = (name: string, help: string, field: 'used' | 'capacity' | 'pages') =>
      new Gauge({
        name,
        help,
        labelNames: ['tier'],
        registers: [registry],
        collect() {
          for (const [tier, u] of Object.entries(pages.usage())) this.set({ tier }, u[field]);
        },
      });
    usage('tierfs_cache_used_bytes', 'Bytes of page data held, by tier.', 'used');
    usage('tierfs_cache_capacity_bytes', 'Bytes of page data the tier may hold.', 'capacity');
    usage('tierfs_cache_pages', 'Pages held, by tier.', 'pages');
    new Gauge({
      name: 'tierfs_worker_staged_files',
      help: 'ASYNC_THROUGH files staged on this worker and not yet persisted.',
      registers: [registry],
      async collect() {
        this.set(staging.count());
      },
    });
  }

  /** Counts bytes a client wrote. */
  readonly bytesWritten = (bytes: number): void => {
    this.written += bytes;
  };

  stats(): WorkerStats {
    const stats = this.pages.stats();
    const tiers = Object.values(stats.tiers);
    return {
      cacheHits: stats.hits,
      cacheMisses: stats.misses,
      cacheBytesRead: tiers.reduce((total, t) => total + t.bytesRead, 0),
      cacheEvictions: tiers.reduce((total, t) => total + t.evictions, 0),
      ...this.ufs.totals(),
      bytesWritten: this.written,
    };
  }
}
