/** The Mount table and Workers pages, the 404 and error pages: tables and text over master data. */
import type { MountInfo, WorkerInfo } from '../../cluster/wire.js';
import { formatBytes, formatDuration, formatTime } from '../format.js';
import { html } from '../html.js';
import { layout, meter } from '../layout.js';

export function mountsPage(mounts: readonly MountInfo[]): string {
  const rows = mounts.map((m) => {
    const options = Object.entries(m.options).map(([k, v]) => html`<div class="mono">${k}=${v}</div>`);
    return html`<tr><td class="mono">${m.path}</td><td class="mono">${m.ufsUri}</td>
<td>${m.readOnly ? 'yes' : 'no'}</td><td>${m.shared ? 'yes' : 'no'}</td><td>${options.length > 0 ? options : '–'}</td></tr>`;
  });
  return layout(
    'mounts',
    'Mount table',
    html`<table id="mounts"><thead><tr><th>Path</th><th>Under storage</th><th>Read-only</th><th>Shared</th><th>Options</th></tr></thead>
<tbody>${rows}</tbody></table>`,
  );
}

export function workersPage(workers: readonly WorkerInfo[], now = Date.now()): string {
  const rows = workers.map(
    (
      w,
    ) => html`<tr><td>${w.id}</td><td class="mono">${w.address}</td><td class="state-${w.state}">${w.state}</td>
<td>${formatTime(w.startedMs)}</td><td>${formatDuration(now - w.lastHeartbeatMs)} ago</td>
<td>${w.tiers.map((t) => html`<div>${t.alias}: ${meter(t.usedBytes, t.capacityBytes)}${formatBytes(t.usedBytes)} of ${formatBytes(t.capacityBytes)}</div>`)}</td></tr>`,
  );
  return layout(
    'workers',
    'Workers',
    html`<table id="workers"><thead><tr><th>Id</th><th>Address</th><th>State</th><th>Started</th><th>Last heartbeat</th><th>Cache</th></tr></thead>
<tbody>${rows}${workers.length === 0 ? html`<tr><td colspan="6">No worker has registered.</td></tr>` : ''}</tbody></table>`,
  );
}

/** What a browser gets for a URL the web port does not serve. */
export function notFoundPage(path: string, options: { worker?: boolean } = {}): string {
  return layout(
    undefined,
    'Page not found',
    options.worker
      ? html`<p class="error">There is no page at <code>${path}</code>.</p>
<p><a href="/">The worker's page</a> shows its tiers, pages and under store calls.</p>`
      : html`<p class="error">There is no page at <code>${path}</code>.</p>
<p>The pages are listed above; <a href="/overview">Overview</a> shows the cluster, <a href="/browse">Browse</a> the namespace.</p>`,
    options,
  );
}

export function errorPage(
  status: number,
  code: string,
  message: string,
  options: { worker?: boolean } = {},
): string {
  return layout(
    options.worker ? undefined : 'overview',
    `Error ${status}`,
    html`<p class="error"><strong>${code}</strong>: ${message}</p>`,
    options,
  );
}
