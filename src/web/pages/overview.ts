/** Overview: version, uptime, workers, cache capacity per tier, UFS capacity, warnings. */
import type { ClusterOverview } from '../../cluster/wire.js';
import { formatBytes, formatDuration, formatTime } from '../format.js';
import type { WindowedHitRatio } from '../hit-ratio.js';
import { html, type SafeHtml } from '../html.js';
import { facts, layout, meter } from '../layout.js';

export interface OverviewFigures {
  /** Files in the namespace. */
  readonly files: number;
  /** The cache hit ratio over the Metrics page's window; undefined before the first sample. */
  readonly hitRatio: WindowedHitRatio | undefined;
}

const percent = (ratio: number) => `${(100 * ratio).toFixed(ratio >= 0.1 || ratio === 0 ? 0 : 1)}%`;

function hitRatioText(h: WindowedHitRatio | undefined): SafeHtml {
  if (!h) return html`<span id="hit-ratio" data-state="none">no sample yet</span>`;
  const span = `${Math.round(h.spanMs / 1000)} s`;
  if (h.ratio !== undefined) {
    return html`<span id="hit-ratio" data-state="reads">${percent(h.ratio)}</span> <span class="legend">over the last ${span} (${h.lookups} page lookups)</span>`;
  }
  return html`<span id="hit-ratio" data-state="idle">no reads in the last ${span}</span>${
    h.sinceStart === undefined
      ? ''
      : html` <span class="legend">(${percent(h.sinceStart)} since the workers started)</span>`
  }`;
}

export function overviewPage(o: ClusterOverview, figures: OverviewFigures): string {
  const live = o.workers.filter((w) => w.state === 'LIVE').length;
  const lost = o.workers.length - live;
  const warnings =
    o.warnings.length > 0
      ? html`<ul class="warnings">${o.warnings.map((w) => html`<li>${w}</li>`)}</ul>`
      : html`<p class="notice ok">No warnings.</p>`;
  const tiers =
    o.tiers.length > 0
      ? o.tiers.map(
          (t) => html`<tr><td>${t.alias}</td><td class="num">${formatBytes(t.capacityBytes)}</td>
<td class="num">${formatBytes(t.usedBytes)}</td><td class="num">${formatBytes(t.freeBytes)}</td>
<td>${meter(t.usedBytes, t.capacityBytes)}</td></tr>`,
        )
      : html`<tr><td colspan="5">No live worker: no cache capacity.</td></tr>`;
  const ufs =
    o.ufs.capacityBytes === undefined
      ? html`${o.ufs.uri} <span class="legend">(the store does not report its capacity)</span>`
      : html`${o.ufs.uri}<br>${formatBytes(o.ufs.usedBytes ?? 0)} used of ${formatBytes(o.ufs.capacityBytes)},
${formatBytes(o.ufs.freeBytes ?? 0)} free ${meter(o.ufs.usedBytes ?? 0, o.ufs.capacityBytes)}`;
  const body = html`${warnings}
${facts([
  ['Version', o.version],
  ['Started', formatTime(o.startedMs)],
  ['Uptime', formatDuration(o.uptimeMs)],
  ['Master RPC address', o.masterAddress],
  ['Live workers', html`<span class="${live > 0 ? 'ok' : 'bad'}" id="live-workers">${live}</span>`],
  ['Lost workers', html`<span class="${lost > 0 ? 'bad' : ''}">${lost}</span>`],
  ['Files', html`<span id="file-count">${figures.files.toLocaleString('en-US')}</span>`],
  ['Cache hit ratio', hitRatioText(figures.hitRatio)],
  [
    'Persist queue',
    `${o.persistQueue.pending} pending, ${o.persistQueue.running} running, ${o.persistQueue.failed} failed`,
  ],
])}
<h2>Cache capacity</h2>
<table id="capacity"><thead><tr><th>Tier</th><th class="num">Capacity</th><th class="num">Used</th><th class="num">Free</th><th>Usage</th></tr></thead>
<tbody>${tiers}</tbody></table>
<h2>Under storage</h2>
${facts([['Root UFS', ufs]])}
<h2>Workers</h2>
<table><thead><tr><th>Id</th><th>Address</th><th>State</th></tr></thead><tbody>
${o.workers.map((w) => html`<tr><td>${w.id}</td><td class="mono">${w.address}</td><td class="state-${w.state}">${w.state}</td></tr>`)}
${o.workers.length === 0 ? html`<tr><td colspan="3">No worker has registered.</td></tr>` : ''}
</tbody></table>`;
  return layout('overview', 'Overview', body);
}
