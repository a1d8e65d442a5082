/** Browse: the namespace, a directory at a time, with each file's share in cache; file details and preview. */
import type { FileStatus } from '../../cluster/wire.js';
import { modeString } from '../../namespace/permissions.js';
import { formatBytes, formatPercent, formatTime } from '../format.js';
import { html, type SafeHtml } from '../html.js';
import { facts, layout, meter } from '../layout.js';

/** Bytes shown of a file's beginning. */
export const PREVIEW_BYTES = 4096;

export interface DirectoryView {
  readonly status: FileStatus;
  readonly entries: readonly FileStatus[];
  /** Cached bytes of each entry (0 for directories). */
  readonly cached: readonly number[];
  /** Index of the first entry shown (0 on the first page). */
  readonly first: number;
  /** The continuation token of the next page, when there is one. */
  readonly next: string | undefined;
}

export interface FileView {
  readonly status: FileStatus;
  readonly cachedBytes: number;
  /** The first bytes when they are text; undefined for binary data or when unreadable. */
  readonly preview: string | undefined;
  readonly previewNote: string;
}

const link = (path: string) => `/browse?path=${encodeURIComponent(path)}`;
const typedMode = (s: FileStatus) => `${s.isDirectory ? 'd' : '-'}${modeString(s.mode)}`;

function breadcrumbs(path: string): SafeHtml {
  const parts = path.split('/').filter(Boolean);
  const crumbs = parts.map(
    (part, i) => html` / <a href="${link(`/${parts.slice(0, i + 1).join('/')}`)}">${part}</a>`,
  );
  return html`<div class="crumbs"><a href="${link('/')}">root</a>${crumbs}</div>`;
}

/** Bytes that never appear in text: controls other than tab, newline, form feed and carriage return. */
function isBinaryByte(byte: number): boolean {
  return byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0c && byte !== 0x0d;
}

/** The bytes as text when they are UTF-8 (a character cut at the end of the window is dropped). */
export function textPreview(bytes: Buffer): string | undefined {
  if (bytes.some(isBinaryByte)) return undefined;
  for (let cut = 0; cut <= Math.min(3, bytes.length); cut++) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, bytes.length - cut));
    } catch {
      // Try without the last bytes: they may be the start of a character cut by the window.
    }
  }
  return undefined;
}

/** "Entries 501–1000", with links to the first and the next page. */
function pager(view: DirectoryView): SafeHtml {
  const count = view.entries.length;
  if (view.first === 0 && view.next === undefined) {
    return html`<p class="legend pager">${count} ${count === 1 ? 'entry' : 'entries'}.</p>`;
  }
  const from = view.first + (count > 0 ? 1 : 0);
  const nextLink =
    view.next === undefined
      ? html`<span class="legend">last page</span>`
      : html`<a rel="next" class="next" href="${link(view.status.path)}&amp;after=${encodeURIComponent(view.next)}&amp;from=${view.first + count}">Next page →</a>`;
  const firstLink =
    view.first === 0 ? '' : html`<a class="first" href="${link(view.status.path)}">← First page</a> · `;
  return html`<p class="pager">Entries <span class="range">${from}–${view.first + count}</span> · ${firstLink}${nextLink}</p>`;
}

export function directoryPage(view: DirectoryView): string {
  const rows = view.entries.map((e, i) => {
    const cached = view.cached[i] ?? 0;
    const name = `${e.name}${e.isDirectory ? '/' : ''}`;
    return html`<tr>
<td class="name" title="${name}"><a href="${link(e.path)}">${name}</a>${e.mountPoint ? html` <span class="legend">(mount point)</span>` : ''}</td>
<td class="num">${e.isDirectory ? '' : formatBytes(e.size)}</td>
<td>${e.isDirectory ? '' : html`${meter(cached, e.size)}${formatPercent(cached, e.size)}`}</td>
<td title="${e.owner}">${e.owner}</td><td title="${e.group}">${e.group}</td><td class="mono">${typedMode(e)}</td>
<td title="${e.isDirectory ? '' : e.persistence}">${e.isDirectory ? '' : e.persistence}</td><td>${formatTime(e.mtimeMs)}</td></tr>`;
  });
  const body = html`${breadcrumbs(view.status.path)}
${pager(view)}
<table id="listing"><colgroup><col class="c-name"><col class="c-size"><col class="c-cache"><col class="c-owner"><col class="c-group"><col class="c-mode"><col class="c-persist"><col class="c-time"></colgroup>
<thead><tr><th>Name</th><th class="num">Size</th><th>In cache</th><th>Owner</th><th>Group</th><th>Mode</th><th>Persistence</th><th>Modified</th></tr></thead>
<tbody>${rows}${view.entries.length === 0 ? html`<tr><td colspan="8">This directory is empty.</td></tr>` : ''}</tbody></table>
${view.next === undefined && view.first === 0 ? '' : pager(view)}`;
  return layout('browse', 'Browse', body);
}

export function filePage(view: FileView): string {
  const s = view.status;
  const body = html`${breadcrumbs(s.path)}
${facts([
  ['Path', s.path],
  ['Size', `${formatBytes(s.size)} (${s.size} bytes)`],
  [
    'In cache',
    html`${meter(view.cachedBytes, s.size)}${formatBytes(view.cachedBytes)} (${formatPercent(view.cachedBytes, s.size)})`,
  ],
  ['Owner', s.owner],
  ['Group', s.group],
  ['Mode', typedMode(s)],
  ['Persistence', s.persistence],
  ['Modified', formatTime(s.mtimeMs)],
  ['Mount', s.mountPath],
  ['UFS location', s.ufsUri],
])}
<h2>Preview</h2>
<p class="legend">${view.previewNote}</p>
${view.preview === undefined ? '' : html`<pre id="preview">${view.preview}</pre>`}`;
  return layout('browse', 'Browse', body);
}
