/** The row of a worker in the `workers` table, as both stores read it back. */
import type { WorkerRecord } from './store.js';

export interface WorkerRow {
  id: string;
  address: string;
  started_ms: number;
  last_heartbeat_ms: number;
  detail: string;
}

export function toWorker(row: WorkerRow): WorkerRecord {
  return {
    id: row.id,
    address: row.address,
    startedMs: Number(row.started_ms),
    lastHeartbeatMs: Number(row.last_heartbeat_ms),
    detail: JSON.parse(row.detail) as Record<string, unknown>,
  };
}
