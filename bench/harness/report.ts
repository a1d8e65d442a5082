/** The results as a Markdown table (for the terminal and docs) and a self-contained HTML report with inline SVG charts. */
import type { Row, ScenarioId, Target } from './results.js';
import { formatRatio, formatSeconds, mibPerSecond } from './stats.js';

export const SCENARIO_TITLES: Record<ScenarioId, string> = {
  'seq-read': '1. Sequential read of one big object',
  'small-read': '2. Read every small object under a prefix',
  list: '3. List a prefix of many objects',
  write: '4. Write one big file',
  limits: '5. Physical limits of this machine',
  'fuse-read': '6. Sequential read of the big object through a FUSE mount (cat)',
  'fuse-tree': '7. find + cat of the small-object tree through a FUSE mount',
};

export interface ReportMeta {
  readonly title: string;
  readonly started: string;
  readonly lines: readonly string[];
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)}`;

function throughput(row: Row): string {
  return row.bytes === undefined
    ? ''
    : `${mibPerSecond(row.bytes, row.summary.median).toFixed(row.bytes / row.summary.median < 2 ** 20 ? 2 : 0)} MiB/s`;
}

function rss(row: Row): string {
  return row.peakRss ? `${mib(row.peakRss.master)} / ${mib(row.peakRss.worker)}` : '';
}

export function markdownTable(rows: readonly Row[]): string {
  const header = [
    'scenario',
    'link',
    'temp',
    'tool',
    'median',
    'min … max',
    'throughput',
    'vs best peer',
    'peak RSS MiB (master / worker)',
  ];
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const r of rows) {
    const cells = [
      r.scenario,
      r.link ?? '-',
      r.temperature,
      r.role === 'tierfs' ? `**${r.tool}**` : r.tool,
      formatSeconds(r.summary.median),
      `${formatSeconds(r.summary.min)} … ${formatSeconds(r.summary.max)}`,
      throughput(r),
      r.vsBestPeer === undefined ? '' : formatRatio(r.vsBestPeer),
      rss(r),
    ];
    lines.push(`| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`);
  }
  return lines.join('\n');
}

export function targetsTable(targets: readonly Target[]): string {
  const lines = [
    '| target | tool | link | temp | ratio | goal | met |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const t of targets) {
    lines.push(
      `| ${t.description} | ${t.tool} | ${t.link ?? '-'} | ${t.temperature} | ${formatRatio(t.ratio)} | ${formatRatio(t.goal)} | ${t.met ? 'yes' : '**no**'} |`,
    );
  }
  return lines.join('\n');
}

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

const COLORS = { tierfs: '#2b6cb0', peer: '#a0aec0', limit: '#38a169' } as const;

/** A horizontal bar chart of median seconds (shorter is better) with min…max whiskers. */
export function barChart(rows: readonly Row[]): string {
  const labelWidth = 330;
  const barWidth = 420;
  const rowHeight = 24;
  const height = rows.length * rowHeight + 24;
  const max = Math.max(...rows.map((r) => r.summary.max), 1e-9);
  const x = (s: number) => labelWidth + (s / max) * barWidth;
  const parts = rows.map((r, i) => {
    const y = 8 + i * rowHeight;
    const temperature = r.temperature === 'cold' || r.temperature === 'warm' ? r.temperature : '';
    const label = `${r.tool}${[temperature, r.link ?? ''].some((t) => t) ? ` (${[temperature, r.link].filter((t) => t).join(', ')})` : ''}`;
    return [
      `<text x="${labelWidth - 8}" y="${y + 14}" text-anchor="end" font-size="12">${escapeHtml(label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 3}" width="${Math.max(1, x(r.summary.median) - labelWidth).toFixed(1)}" height="${rowHeight - 8}" fill="${COLORS[r.role]}"><title>${escapeHtml(`${label}: median ${formatSeconds(r.summary.median)}`)}</title></rect>`,
      `<line x1="${x(r.summary.min).toFixed(1)}" x2="${x(r.summary.max).toFixed(1)}" y1="${y + 11}" y2="${y + 11}" stroke="#1a202c" stroke-width="1.5"/>`,
      `<text x="${(x(r.summary.max) + 6).toFixed(1)}" y="${y + 14}" font-size="11" fill="#4a5568">${escapeHtml(formatSeconds(r.summary.median))}${r.vsBestPeer !== undefined && r.role === 'tierfs' ? ` · ${escapeHtml(formatRatio(r.vsBestPeer))} vs best peer` : ''}</text>`,
    ].join('');
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + barWidth + 200}" height="${height}" role="img">${parts.join('')}<text x="${labelWidth}" y="${height - 4}" font-size="10" fill="#718096">median seconds (shorter is better); whiskers: min … max</text></svg>`;
}

function mdToHtmlTable(md: string): string {
  const [head, , ...body] = md.split('\n');
  const cells = (line: string) =>
    line
      .slice(2, -2)
      .split(/(?<!\\) \| /)
      .map((c) => escapeHtml(c.replaceAll('\\|', '|')).replace(/\*\*(.+?)\*\*/g, '<b>$1</b>'));
  return `<table><thead><tr>${cells(head!)
    .map((c) => `<th>${c}</th>`)
    .join('')}</tr></thead><tbody>${body
    .map(
      (l) =>
        `<tr>${cells(l)
          .map((c) => `<td>${c}</td>`)
          .join('')}</tr>`,
    )
    .join('')}</tbody></table>`;
}

export function renderHtml(
  meta: ReportMeta,
  rows: readonly Row[],
  targets: readonly Target[],
  notes: string,
): string {
  const scenarios = [...new Set(rows.map((r) => r.scenario))];
  const sections = scenarios.map((s) => {
    const these = rows.filter((r) => r.scenario === s);
    return `<h2>${escapeHtml(SCENARIO_TITLES[s])}</h2>${barChart(these)}${mdToHtmlTable(markdownTable(these))}`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(meta.title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #cbd5e0;padding:3px 8px;text-align:left}th{background:#edf2f7}pre{background:#f7fafc;padding:1em;white-space:pre-wrap}</style>
</head><body>
<h1>${escapeHtml(meta.title)}</h1>
<p>${escapeHtml(meta.started)}</p>
<pre>${escapeHtml(meta.lines.join('\n'))}</pre>
<h2>Targets</h2>
${targets.length ? mdToHtmlTable(targetsTable(targets)) : '<p>no targets apply to the scenarios run</p>'}
${sections.join('\n')}
<h2>What cold and warm mean</h2>
<pre>${escapeHtml(notes)}</pre>
</body></html>
`;
}
