/**
 * The cache hit ratio over a window of the master's metrics samples, as the Overview shows it and
 * the Metrics page charts it (charts-script.ts computes the same in the browser): hits over page
 * lookups between the sample `HIT_RATIO_WINDOW` back and the last one. An idle window has no
 * ratio ("no reads"), never 0%.
 */
import type { MetricsSample } from '../cluster/wire.js';

/** Samples in a window: a minute at the default interval of 5 s. */
export const HIT_RATIO_WINDOW = 12;

export interface WindowedHitRatio {
  /** Hits over lookups in the window, 0..1; undefined when the window saw no lookup. */
  readonly ratio: number | undefined;
  readonly lookups: number;
  /** How long the window spans. */
  readonly spanMs: number;
  /** Hits over lookups since the workers started (the last sample's totals), when there were any. */
  readonly sinceStart: number | undefined;
}

export function windowedHitRatio(
  samples: readonly MetricsSample[],
  window = HIT_RATIO_WINDOW,
): WindowedHitRatio | undefined {
  const last = samples.at(-1);
  if (!last) return undefined;
  const first = samples[Math.max(0, samples.length - 1 - window)]!;
  const hits = Math.max(0, last.cacheHits - first.cacheHits);
  const lookups = hits + Math.max(0, last.cacheMisses - first.cacheMisses);
  const total = last.cacheHits + last.cacheMisses;
  return {
    ratio: lookups > 0 ? hits / lookups : undefined,
    lookups,
    spanMs: last.timeMs - first.timeMs,
    sinceStart: total > 0 ? last.cacheHits / total : undefined,
  };
}
