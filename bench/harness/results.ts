/** What a scenario records, and the comparisons and targets computed from it. */
import { type Summary, speedup, summarize } from './stats.js';

export type ScenarioId = 'seq-read' | 'small-read' | 'list' | 'write' | 'limits' | 'fuse-read' | 'fuse-tree';
/** Peers have no cache: one set of runs stands for both cold and warm. */
export type Temperature = 'cold' | 'warm' | 'no cache' | '-';
export type Role = 'tierfs' | 'peer' | 'limit';

export interface Result {
  readonly scenario: ScenarioId;
  readonly temperature: Temperature;
  readonly tool: string;
  readonly role: Role;
  /** Seconds per run. */
  readonly samples: readonly number[];
  /** Bytes moved per run, when throughput means something. */
  readonly bytes?: number;
  /** Peak RSS of the tierfs master and worker during these runs (bytes). */
  readonly peakRss?: { readonly master: number; readonly worker: number };
}

export interface Row extends Result {
  readonly summary: Summary;
  /** Best peer's median / this median: >1 means faster than the best peer. */
  readonly vsBestPeer?: number;
  readonly bestPeer?: string;
}

export interface Target {
  readonly scenario: ScenarioId;
  readonly temperature: Temperature;
  readonly tool: string;
  readonly description: string;
  readonly ratio: number;
  readonly goal: number;
  readonly met: boolean;
}

export function rows(results: readonly Result[]): Row[] {
  return results.map((r) => {
    const summary = summarize(r.samples);
    const all = results.filter((p) => p.scenario === r.scenario && p.role === 'peer');
    // Peers measured cold and warm (the FUSE mounts, which cache) are compared at the same temperature.
    const same = all.filter((p) => p.temperature === r.temperature);
    const peers = same.length > 0 ? same : all;
    if (peers.length === 0 || r.role === 'limit') return { ...r, summary };
    const best = peers
      .map((p) => ({ tool: p.tool, median: summarize(p.samples).median }))
      .reduce((a, b) => (b.median < a.median ? b : a));
    return { ...r, summary, vsBestPeer: speedup(summary.median, best.median), bestPeer: best.tool };
  });
}

/** The targets, checked against every tierfs row they apply to. */
export function targets(all: readonly Row[]): Target[] {
  const out: Target[] = [];
  const add = (row: Row, description: string, ratio: number, goal: number) =>
    out.push({
      scenario: row.scenario,
      temperature: row.temperature,
      tool: row.tool,
      description,
      ratio,
      goal,
      met: ratio >= goal,
    });
  const localCat = all.find((r) => r.scenario === 'limits' && r.tool === 'cat (local disk, page cache)');
  for (const row of all) {
    if (row.role !== 'tierfs' || row.vsBestPeer === undefined) continue;
    const reads = row.scenario === 'seq-read' || row.scenario === 'small-read';
    if (reads && row.temperature === 'warm') {
      add(row, `warm read ≥10× every peer (best: ${row.bestPeer})`, row.vsBestPeer, 10);
      if (row.scenario === 'seq-read' && localCat && row.bytes !== undefined) {
        const catRate = (localCat.bytes ?? row.bytes) / localCat.summary.median;
        add(row, 'warm read ≥0.5× local cat', row.bytes / row.summary.median / catRate, 0.5);
      }
    }
    if (reads && row.temperature === 'cold') {
      add(row, `cold read within 1.1× of the best peer (${row.bestPeer})`, row.vsBestPeer, 1 / 1.1);
    }
    if (row.scenario === 'list' && row.temperature === 'warm') {
      add(row, `warm listing ≥20× the best peer (${row.bestPeer})`, row.vsBestPeer, 20);
    }
    if ((row.scenario === 'fuse-read' || row.scenario === 'fuse-tree') && row.temperature === 'warm') {
      add(row, `warm read through the mount ≥3× the best mount (${row.bestPeer})`, row.vsBestPeer, 3);
    }
    if ((row.scenario === 'fuse-read' || row.scenario === 'fuse-tree') && row.temperature === 'cold') {
      add(row, `cold read through the mount ≥1.0× the best mount (${row.bestPeer})`, row.vsBestPeer, 1);
    }
    if (row.scenario === 'write') {
      add(row, `write at least as fast as the best peer (${row.bestPeer})`, row.vsBestPeer, 1);
    }
  }
  return out;
}
