/**
 * Metrics both daemons keep: the Prometheus text format, counters read at scrape time, and the
 * under store calls a process makes (counted by a StoreLayer around its stores).
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { StoreLayer } from '../ufs/contract.js';
import { MeteredUnderStore, type UfsObserver, type UfsOperation } from '../ufs/metered-store.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** UFS calls by store scheme and operation: counts, failures, latency and bytes read. */
export class UfsMetrics implements UfsObserver {
  private readonly calls: Counter<'scheme' | 'operation' | 'outcome'>;
  private readonly latency: Histogram<'scheme' | 'operation'>;
  private readonly bytes: Counter<'scheme'>;
  private operationCount = 0;
  private byteCount = 0;
  readonly layer: StoreLayer = (store) => new MeteredUnderStore(store, this);

  constructor(registry: Registry) {
    this.calls = new Counter({
      name: 'tierfs_ufs_operations_total',
      help: 'Under store calls by scheme, operation and outcome (ok or error).',
      labelNames: ['scheme', 'operation', 'outcome'],
      registers: [registry],
    });
    this.latency = new Histogram({
      name: 'tierfs_ufs_operation_duration_seconds',
      help: 'Latency of under store calls by scheme and operation.',
      labelNames: ['scheme', 'operation'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: [registry],
    });
    this.bytes = new Counter({
      name: 'tierfs_ufs_bytes_read_total',
      help: 'Bytes read from under stores by scheme.',
      labelNames: ['scheme'],
      registers: [registry],
    });
  }

  operation(scheme: string, operation: UfsOperation, seconds: number, failed: boolean): void {
    this.operationCount++;
    this.calls.inc({ scheme, operation, outcome: failed ? 'error' : 'ok' });
    this.latency.observe({ scheme, operation }, seconds);
  }

  bytesRead(scheme: string, bytes: number): void {
    this.byteCount += bytes;
    this.bytes.inc({ scheme }, bytes);
  }

  /** Calls so far by scheme, operation and outcome. */
  async operations(): Promise<{ scheme: string; operation: string; outcome: string; count: number }[]> {
    return (await this.calls.get()).values.map((v) => ({
      scheme: String(v.labels.scheme),
      operation: String(v.labels.operation),
      outcome: String(v.labels.outcome),
      count: v.value,
    }));
  }

  totals(): { ufsOperations: number; ufsBytesRead: number } {
    return { ufsOperations: this.operationCount, ufsBytesRead: this.byteCount };
  }
}

/** A counter whose value is read from elsewhere at scrape time. */
export function observedCounter(
  registry: Registry,
  name: string,
  help: string,
  read: () => number | Promise<number>,
): Counter {
  return new Counter({
    name,
    help,
    registers: [registry],
    async collect() {
      this.reset();
      this.inc(await read());
    },
  });
}
