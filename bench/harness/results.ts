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
  /** The link the run crossed, e.g. 'no delay' or '20 ms RTT'; comparisons stay within one link. */
  readonly link?: string;
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
  readonly link?: string;
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
    const all = results.filter((p) => p.scenario === r.scenario && p.link === r.link && p.role === 'peer');
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

/** Worker peak RSS allowed while writing the big file (issue 17). */
export const WRITE_WORKER_RSS_LIMIT = 400e6;

/** The targets ("Must show" of issue 17), checked against every tierfs row they apply to. */
export function targets(all: readonly Row[]): Target[] {
  const out: Target[] = [];
  const add = (row: Row, description: string, ratio: number, goal: number) =>
    out.push({
      scenario: row.scenario,
      link: row.link,
      temperature: row.temperature,
      tool: row.tool,
      description,
      ratio,
      goal,
      met: ratio >= goal,
    });
  const localCat = all.find((r) => r.scenario === 'limits' && r.tool === 'cat (local disk, page cache)');
  for (const row of all) {
    if (row.role !== 'tierfs') continue;
    if (row.scenario === 'seq-read' && row.temperature === 'warm' && localCat && row.bytes !== undefined) {
      const catRate = (localCat.bytes ?? row.bytes) / localCat.summary.median;
      const goal = row.tool.includes('fs cat') ? 0.8 : 0.9;
      add(row, `warm read ≥${goal}× local cat`, row.bytes / row.summary.median / catRate, goal);
    }
    if (row.scenario === 'write' && row.peakRss && Number.isFinite(row.peakRss.worker)) {
      add(row, 'worker peak RSS under 400 MB while writing', WRITE_WORKER_RSS_LIMIT / row.peakRss.worker, 1);
    }
    if (row.vsBestPeer === undefined) continue;
    const peer = row.bestPeer;
    if (row.scenario === 'small-read' && row.temperature === 'warm') {
      add(row, `warm small objects ≥20× the best peer (${peer})`, row.vsBestPeer, 20);
    }
    if ((row.scenario === 'seq-read' || row.scenario === 'small-read') && row.temperature === 'cold') {
      add(row, `cold read ≥1× the best peer (${peer})`, row.vsBestPeer, 1);
    }
    if (row.scenario === 'list' && row.temperature === 'cold') {
      add(row, `cold listing ≥1× the best peer (${peer})`, row.vsBestPeer, 1);
    }
    if (row.scenario === 'list' && row.temperature === 'warm' && row.tool.includes('fs ls')) {
      add(row, `warm fs ls ≥5× the best peer (${peer})`, row.vsBestPeer, 5);
    }
    if ((row.scenario === 'fuse-read' || row.scenario === 'fuse-tree') && row.temperature === 'warm') {
      add(row, `warm read through the mount ≥3× the best mount (${peer})`, row.vsBestPeer, 3);
    }
    if ((row.scenario === 'fuse-read' || row.scenario === 'fuse-tree') && row.temperature === 'cold') {
      add(row, `cold read through the mount ≥1.0× the best mount (${peer})`, row.vsBestPeer, 1);
    }
    if (row.scenario === 'write') {
      add(row, `write ≥1× the best peer (${peer})`, row.vsBestPeer, 1);
    }
  }
  return out;
}
