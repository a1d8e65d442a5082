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
  readonly truncated: boolean;
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

export function directoryPage(view: DirectoryView): string {
  const rows = view.entries.map((e, i) => {
    const cached = view.cached[i] ?? 0;
    return html`<tr>
<td><a href="${link(e.path)}">${e.name}${e.isDirectory ? '/' : ''}</a>${e.mountPoint ? html` <span class="legend">(mount point)</span>` : ''}</td>
<td class="num">${e.isDirectory ? '' : formatBytes(e.size)}</td>
<td>${e.isDirectory ? '' : html`${meter(cached, e.size)}${formatPercent(cached, e.size)}`}</td>
<td>${e.owner}</td><td>${e.group}</td><td class="mono">${typedMode(e)}</td>
<td>${e.isDirectory ? '' : e.persistence}</td><td>${formatTime(e.mtimeMs)}</td></tr>`;
  });
  const body = html`${breadcrumbs(view.status.path)}
<table id="listing"><thead><tr><th>Name</th><th class="num">Size</th><th>In cache</th><th>Owner</th><th>Group</th><th>Mode</th><th>Persistence</th><th>Modified</th></tr></thead>
<tbody>${rows}${view.entries.length === 0 ? html`<tr><td colspan="8">This directory is empty.</td></tr>` : ''}</tbody></table>
${view.truncated ? html`<p class="notice">Only the first ${view.entries.length} entries are shown.</p>` : ''}`;
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
