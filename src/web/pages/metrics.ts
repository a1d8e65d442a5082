/**
 * Metrics: charts of read throughput, writes, the cache hit ratio over a window and UFS operations
 * over the master's in-memory samples. The page is a frame; /static/charts.js fetches
 * /api/v1/metrics and draws the SVG.
 */
import { HIT_RATIO_WINDOW } from '../hit-ratio.js';
import { html } from '../html.js';
import { layout } from '../layout.js';

const CHARTS = [
  { id: 'throughput', title: 'Reads (bytes/s)', legend: ['from cache', 'from UFS'] },
  { id: 'writes', title: 'Writes (bytes/s)', legend: ['written by clients'] },
  { id: 'hit-ratio', title: 'Cache hit ratio', legend: ['hits over page lookups in the window'] },
  { id: 'ufs-ops', title: 'UFS operations (per second)', legend: ['operations'] },
] as const;

export function metricsPage(sampleIntervalMs: number): string {
  const windowSeconds = Math.round((HIT_RATIO_WINDOW * sampleIntervalMs) / 100) / 10;
  const figures = CHARTS.map(
    (
      c,
    ) => html`<figure><figcaption>${c.title}${c.id === 'hit-ratio' ? html`: <span id="hit-ratio-now">…</span>` : ''}</figcaption>
<svg class="chart" id="chart-${c.id}" data-chart="${c.id}" viewBox="0 0 400 160" preserveAspectRatio="none" role="img" aria-label="${c.title}"></svg>
<div class="legend">${c.legend.map((l, i) => html`<i class="series-${i}"></i>${l}`)}</div></figure>`,
  );
  return layout(
    'metrics',
    'Metrics',
    html`<p class="legend" id="charts-status" data-interval="${sampleIntervalMs}" data-window="${HIT_RATIO_WINDOW}">Loading samples…</p>
<div class="charts">${figures}</div>
<p class="legend">Samples are taken every ${Math.round(sampleIntervalMs / 100) / 10}s by the master from every live worker and kept in memory (the last 360).
The hit ratio is taken over the last ${HIT_RATIO_WINDOW} samples (${windowSeconds}s); when they saw no read the chart keeps the last ratio and says so.
Prometheus metrics are at <a href="/metrics">/metrics</a>.</p>`,
    { scripts: ['/static/charts.js'] },
  );
}
