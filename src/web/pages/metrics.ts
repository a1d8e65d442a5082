/**
 * Metrics: charts of throughput, cache hit ratio and UFS operations over the master's in-memory
 * samples. The page is a frame; /static/charts.js fetches /api/v1/metrics and draws the SVG.
 */
import { html } from '../html.js';
import { layout } from '../layout.js';

const CHARTS = [
  { id: 'throughput', title: 'Throughput (bytes/s)', legend: ['from cache', 'from UFS'] },
  { id: 'hit-ratio', title: 'Cache hit ratio (%)', legend: ['hit ratio'] },
  { id: 'ufs-ops', title: 'UFS operations (per second)', legend: ['operations'] },
] as const;

export function metricsPage(sampleIntervalMs: number): string {
  const figures = CHARTS.map(
    (c) => html`<figure><figcaption>${c.title}</figcaption>
<svg class="chart" id="chart-${c.id}" data-chart="${c.id}" viewBox="0 0 400 160" preserveAspectRatio="none" role="img" aria-label="${c.title}"></svg>
<div class="legend">${c.legend.map((l, i) => html`<i class="series-${i}"></i>${l}`)}</div></figure>`,
  );
  return layout(
    'metrics',
    'Metrics',
    html`<p class="legend" id="charts-status" data-interval="${sampleIntervalMs}">Loading samples…</p>
<div class="charts">${figures}</div>
<p class="legend">Samples are taken every ${Math.round(sampleIntervalMs / 100) / 10}s by the master from every live worker and kept in memory (the last 360). Prometheus metrics are at <a href="/metrics">/metrics</a>.</p>`,
    { scripts: ['/static/charts.js'] },
  );
}
