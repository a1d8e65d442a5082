/** The worker's own page: its tiers and pages, its hit ratio, its writes and its under store calls. */
import type { WorkerView } from '../../worker/worker.js';
import { formatBytes, formatDuration, formatPercent, formatTime } from '../format.js';
import { html } from '../html.js';
import { facts, layout, meter } from '../layout.js';

export function workerPage(v: WorkerView, now = Date.now()): string {
  const lookups = v.cacheHits + v.cacheMisses;
  const tiers = v.tiers.map(
    (
      t,
    ) => html`<tr><td>${t.alias}</td><td class="num">${formatBytes(t.capacityBytes)}</td><td class="num">${formatBytes(t.usedBytes)}</td>
<td>${meter(t.usedBytes, t.capacityBytes)}</td><td class="num pages">${t.pages}</td><td class="num">${t.evictions}</td><td class="num">${formatBytes(t.bytesRead)}</td></tr>`,
  );
  const operations = [...v.ufsOperations]
    .sort((a, b) => b.count - a.count || a.operation.localeCompare(b.operation))
    .map(
      (o) =>
        html`<tr><td>${o.scheme}</td><td>${o.operation}</td><td class="${o.outcome === 'error' ? 'bad' : ''}">${o.outcome}</td><td class="num">${o.count}</td></tr>`,
    );
  const body = html`${facts([
    ['Id', v.id],
    ['Address', html`<span class="mono" id="worker-address">${v.address}</span>`],
    ['Masters', v.masterAddresses.join(', ')],
    ['Started', formatTime(v.startedMs)],
    ['Uptime', formatDuration(now - v.startedMs)],
    ['Page size', formatBytes(v.pageSize)],
    [
      'Cache hit ratio',
      html`<span id="worker-hit-ratio">${lookups > 0 ? formatPercent(v.cacheHits, lookups) : 'no reads yet'}</span> <span class="legend">(${v.cacheHits} hits, ${v.cacheMisses} misses since the worker started)</span>`,
    ],
    ['Written by clients', formatBytes(v.bytesWritten)],
    ['Read from under stores', formatBytes(v.ufsBytesRead)],
    ['Files staged for persistence', v.stagedFiles],
    ['Short-circuit leases open', v.shortCircuitLeases],
  ])}
<h2>Tiers</h2>
<table id="tiers"><thead><tr><th>Tier</th><th class="num">Capacity</th><th class="num">Used</th><th>Usage</th><th class="num">Pages</th><th class="num">Evictions</th><th class="num">Bytes read</th></tr></thead>
<tbody>${tiers}</tbody></table>
<h2>Under store operations</h2>
<table id="ufs-operations"><thead><tr><th>Scheme</th><th>Operation</th><th>Outcome</th><th class="num">Calls</th></tr></thead>
<tbody>${operations}${operations.length === 0 ? html`<tr><td colspan="4">No call yet.</td></tr>` : ''}</tbody></table>`;
  return layout(undefined, `Worker ${v.id}`, body, { worker: true });
}
