/**
 * The Configuration and Logs pages: one component at a time (the master, or a worker whose
 * configuration and log the master fetched from it), with a filter box and a level filter.
 */
import type { ConfigurationEntry } from '../../cluster/component-info.js';
import type { WorkerInfo } from '../../cluster/wire.js';
import { formatTime } from '../format.js';
import { html, type SafeHtml } from '../html.js';
import { layout } from '../layout.js';
import { LEVELS, type LogLine } from '../log-lines.js';

export interface ComponentChoice {
  /** `master` or a worker id. */
  readonly component: string;
  readonly workers: readonly WorkerInfo[];
}

/** Tabs naming the master and every worker; the current one marked. */
function componentTabs(base: string, choice: ComponentChoice, extra: Record<string, string>): SafeHtml {
  const tab = (id: string, label: string) => {
    const query = new URLSearchParams({ ...extra, component: id }).toString();
    return html`<a href="${base}?${query}" data-component="${id}"${id === choice.component ? html` class="active" aria-current="true"` : ''}>${label}</a>`;
  };
  return html`<nav class="tabs" aria-label="component">${tab('master', 'master')}${choice.workers.map((w) => tab(w.id, `${w.id} (${w.address})`))}</nav>`;
}

export interface ConfigurationView extends ComponentChoice {
  readonly entries: readonly ConfigurationEntry[];
  /** The filter box's text: matched against key, value and source, case-insensitively. */
  readonly filter: string;
}

export function configurationPage(view: ConfigurationView): string {
  const set = view.entries.filter((e) => e.value !== undefined);
  const needle = view.filter.trim().toLowerCase();
  const shown = needle
    ? set.filter((e) => [e.key, e.value ?? '', e.source ?? ''].some((t) => t.toLowerCase().includes(needle)))
    : set;
  const rows = shown.map(
    (e) => html`<tr><td class="mono" title="${e.description ?? ''}">${e.key}</td>
<td class="mono">${e.value}</td><td>${e.source ?? ''}</td></tr>`,
  );
  return layout(
    'configuration',
    'Configuration',
    html`${componentTabs('/configuration', view, view.filter ? { q: view.filter } : {})}
<form class="filter" method="get" action="/configuration"><input type="hidden" name="component" value="${view.component}">
<label>Filter <input type="search" name="q" id="filter" value="${view.filter}" placeholder="key, value or source"></label> <button type="submit">Filter</button></form>
<p class="legend" id="config-count">${needle ? `${shown.length} of ${set.length}` : set.length} properties with a value on ${view.component}; secrets are shown as ******. Hover a key for its description.</p>
<table id="configuration"><thead><tr><th>Key</th><th>Value</th><th>Source</th></tr></thead><tbody>${rows}${shown.length === 0 ? html`<tr><td colspan="3">No property matches.</td></tr>` : ''}</tbody></table>`,
  );
}

export interface LogsView extends ComponentChoice {
  readonly file: string;
  /** Undefined when the component has no log file. */
  readonly lines: readonly LogLine[] | undefined;
  readonly level: keyof typeof LEVELS;
}

function localTime(ms: number): string {
  return new Date(ms).toString();
}

export function logsPage(view: LogsView): string {
  const levels = Object.keys(LEVELS).map(
    (name) =>
      html`<option value="${name}"${name === view.level ? ' selected' : ''}>${name} and above</option>`,
  );
  const rows = (view.lines ?? [])
    .slice()
    .reverse()
    .map(
      (
        l,
      ) => html`<tr class="level-${l.levelName}"><td class="time">${l.timeMs === undefined ? '' : html`<time datetime="${new Date(l.timeMs).toISOString()}" title="${localTime(l.timeMs)}">${formatTime(l.timeMs, true)}</time>`}</td>
<td class="level">${l.levelName}</td><td class="message">${l.message}</td><td class="fields mono">${l.fields.map((f) => html`<span>${f}</span> `)}</td></tr>`,
    );
  return layout(
    'logs',
    'Logs',
    html`${componentTabs('/logs', view, { level: view.level })}
<form class="filter" method="get" action="/logs"><input type="hidden" name="component" value="${view.component}">
<label>Level <select name="level" id="level">${levels}</select></label> <button type="submit">Show</button></form>
<p class="legend">The end of ${view.file} on ${view.component}, newest first; times in UTC (hover for local time).</p>
${
  view.lines === undefined
    ? html`<p class="notice">${view.component} has not written a log file here (it logs elsewhere when run in-process).</p>`
    : html`<table id="log"><thead><tr><th>Time</th><th>Level</th><th>Message</th><th>Fields</th></tr></thead><tbody>${rows}${rows.length === 0 ? html`<tr><td colspan="4">No line at this level.</td></tr>` : ''}</tbody></table>`
}`,
  );
}
