/** The frame every page shares: head, navigation, stylesheet link, footer. */
import { VERSION } from '../version.js';
import { html, type SafeHtml } from './html.js';

export const PAGES = [
  { path: '/overview', name: 'overview', title: 'Overview' },
  { path: '/browse', name: 'browse', title: 'Browse' },
  { path: '/mounts', name: 'mounts', title: 'Mount table' },
  { path: '/workers', name: 'workers', title: 'Workers' },
  { path: '/configuration', name: 'configuration', title: 'Configuration' },
  { path: '/charts', name: 'metrics', title: 'Metrics' },
  { path: '/logs', name: 'logs', title: 'Logs' },
] as const;

export type PageName = (typeof PAGES)[number]['name'];

export function layout(
  active: PageName | undefined,
  title: string,
  body: SafeHtml,
  options: {
    scripts?: string[];
    /** The worker's own page: its brand, no master navigation, no master links in the footer. */
    worker?: boolean;
  } = {},
): string {
  const pages = options.worker ? [] : PAGES;
  const nav = pages.map(
    (p) =>
      html`<a href="${p.path}"${p.name === active ? html` class="active" aria-current="page"` : ''}>${p.title}</a>`,
  );
  const scripts = (options.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`);
  return `<!doctype html>\n${html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · tierfs</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/tierfs.css">
${scripts}
</head>
<body>
<header><div class="brand">tierfs <span>${options.worker ? 'worker' : 'master'}</span></div><nav>${nav}</nav></header>
<main>
<h1>${title}</h1>
${body}
</main>
<footer>tierfs ${VERSION} · ${options.worker ? 'worker web page · Prometheus metrics are on the worker RPC port, /metrics' : html`<a href="/login">Sign in with a token</a> · <a href="/api/v1/openapi.json">REST API</a> · <a href="/metrics">Prometheus metrics</a>`}</footer>
</body>
</html>`}`;
}

/** A two-column table of label/value rows. */
export function facts(rows: readonly [string, SafeHtml | string | number][]): SafeHtml {
  return html`<table class="facts">${rows.map(([label, value]) => html`<tr><th>${label}</th><td>${value}</td></tr>`)}</table>`;
}

/** A horizontal bar showing how full something is. */
export function meter(used: number, total: number): SafeHtml {
  const share = total > 0 ? Math.min(100, (100 * used) / total) : 0;
  // SVG attributes, not a style attribute: the Content-Security-Policy allows no inline style.
  return html`<svg class="meter" role="img" aria-label="${share.toFixed(0)}% used" viewBox="0 0 100 1" preserveAspectRatio="none"><rect width="${share.toFixed(1)}" height="1"></rect></svg>`;
}

export const STYLESHEET = `
:root{--ink:#1d2733;--muted:#5b6b7c;--line:#dde3ea;--bg:#f6f8fa;--accent:#1f5fa8;--ok:#17803d;--bad:#b42318;--warn:#9a6700}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--ink);background:var(--bg)}
header{display:flex;align-items:center;gap:2rem;padding:.6rem 2rem;background:#14202e;color:#fff}
.brand{font-weight:700;font-size:1.1rem;letter-spacing:.02em}.brand span{font-weight:400;color:#9fb3c8}
nav{display:flex;flex-wrap:wrap;gap:.2rem}
nav a{color:#cfd9e3;text-decoration:none;padding:.35rem .7rem;border-radius:4px}
nav a:hover{background:#22334a;color:#fff}nav a.active{background:var(--accent);color:#fff}
main{max-width:80rem;margin:1.5rem auto;padding:0 2rem}
h1{font-size:1.4rem;margin:.2rem 0 1rem}h2{font-size:1.05rem;margin:1.8rem 0 .6rem}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line);border-radius:4px}
th,td{text-align:left;padding:.4rem .7rem;border-bottom:1px solid var(--line);vertical-align:top}
thead th{background:#eef2f6;font-weight:600;color:var(--muted);font-size:.85rem;text-transform:uppercase;letter-spacing:.03em}
table.facts th{width:14rem;color:var(--muted);font-weight:500}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem}
pre{background:#fff;border:1px solid var(--line);border-radius:4px;padding:.8rem;overflow:auto;max-height:36rem;white-space:pre-wrap;word-break:break-all}
a{color:var(--accent)}
.state-LIVE,.ok{color:var(--ok);font-weight:600}.state-LOST,.bad{color:var(--bad);font-weight:600}
.warnings{list-style:none;padding:0;margin:0 0 1rem}
.warnings li{background:#fff8e5;border:1px solid #f0d58a;color:var(--warn);padding:.5rem .8rem;border-radius:4px;margin-bottom:.4rem}
.notice{background:#fff;border:1px solid var(--line);padding:.8rem;border-radius:4px;color:var(--muted)}
.error{background:#fdecea;border:1px solid #f3b8b2;color:var(--bad);padding:.8rem;border-radius:4px}
.meter{display:inline-block;width:8rem;height:.6rem;background:#e4e9ef;border-radius:3px;overflow:hidden;vertical-align:middle;margin-right:.5rem}
.meter rect{fill:var(--accent)}
table#listing{table-layout:fixed}
table#listing td{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
table#listing col.c-size{width:5.5rem}table#listing col.c-cache{width:8rem}table#listing col.c-owner,table#listing col.c-group{width:6rem}
table#listing col.c-mode{width:7rem}table#listing col.c-persist{width:9.5rem}table#listing col.c-time{width:14rem}
table#listing .meter{width:3.5rem}
.pager{margin:.5rem 0}.pager a{margin:0 .2rem}
.tabs{display:flex;flex-wrap:wrap;gap:.3rem;margin-bottom:.8rem}.tabs a{color:var(--accent);padding:.25rem .7rem;border:1px solid var(--line);border-radius:4px;background:#fff;text-decoration:none}
.tabs a.active{background:var(--accent);color:#fff;border-color:var(--accent)}
form.filter{margin:.4rem 0 .6rem}form.filter input[type=search]{width:22rem;padding:.3rem .5rem}
table#log td.time{white-space:nowrap;width:15rem}table#log td.level{width:4rem;font-weight:600}
table#log tr.level-warn td.level{color:var(--warn)}table#log tr.level-error td.level,table#log tr.level-fatal td.level{color:var(--bad)}
table#log td.fields{color:var(--muted);word-break:break-all}
.crumbs{margin-bottom:.8rem}.crumbs a{text-decoration:none}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(22rem,1fr));gap:1rem}
figure{margin:0;background:#fff;border:1px solid var(--line);border-radius:4px;padding:.6rem}
figcaption{font-weight:600;margin-bottom:.3rem}
svg.chart{width:100%;height:11rem;display:block}
svg.chart .axis{stroke:#c5ced8;stroke-width:1}svg.chart .grid{stroke:#eef2f6;stroke-width:1}
svg.chart text{font-size:10px;fill:var(--muted)}
svg.chart polyline{fill:none;stroke-width:2}
.legend{font-size:.8rem;color:var(--muted)}.legend i{display:inline-block;width:.8rem;height:.2rem;margin:0 .3rem .2rem .6rem;vertical-align:middle;background:#555}
.legend i.series-0{background:#1f5fa8}.legend i.series-1{background:#d9822b}
footer{max-width:80rem;margin:2rem auto;padding:0 2rem;color:var(--muted);font-size:.8rem}
`;
