/**
 * The master's web UI on port 19999. For now one server-rendered overview page (version, uptime,
 * workers, cache capacity) and its JSON; the full UI (browse, mounts, configuration, metrics,
 * logs) builds on these routes.
 */
import type { FastifyInstance } from 'fastify';
import { formatBytes } from '../config/types.js';
import type { ClusterInfo } from '../master/api-types.js';

export interface WebContext {
  readonly info: () => ClusterInfo;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const parts = [Math.floor(s / 86400) && `${Math.floor(s / 86400)}d`, `${Math.floor((s % 86400) / 3600)}h`];
  parts.push(`${Math.floor((s % 3600) / 60)}m`, `${s % 60}s`);
  return parts.filter(Boolean).join(' ');
}

export function overviewPage(info: ClusterInfo, now = Date.now()): string {
  const live = info.workers.filter((w) => w.state === 'LIVE');
  const tiers = new Map<string, { capacity: number; used: number }>();
  for (const worker of live) {
    for (const tier of worker.tiers) {
      const sum = tiers.get(tier.alias) ?? { capacity: 0, used: 0 };
      tiers.set(tier.alias, { capacity: sum.capacity + tier.capacityBytes, used: sum.used + tier.usedBytes });
    }
  }
  const tierRows = [...tiers]
    .map(
      ([alias, t]) =>
        `<tr><td>${escapeHtml(alias)}</td><td>${formatBytes(t.capacity)}</td><td>${formatBytes(t.used)}</td><td>${formatBytes(t.capacity - t.used)}</td></tr>`,
    )
    .join('');
  const workerRows = info.workers
    .map(
      (w) =>
        `<tr><td>${escapeHtml(w.id)}</td><td>${escapeHtml(w.address)}</td><td class="${w.state.toLowerCase()}">${w.state}</td><td>${duration(now - w.lastHeartbeatMs)} ago</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tierfs master</title>
<style>
body{font:14px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#1d2733}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}table{border-collapse:collapse;width:100%}
td,th{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #dde3ea}.live{color:#17803d}.lost{color:#b42318}
</style></head><body>
<h1>tierfs master</h1>
<table><tr><th>Version</th><td>${escapeHtml(info.version)}</td></tr>
<tr><th>Started</th><td>${new Date(info.startedMs).toISOString()} (up ${duration(now - info.startedMs)})</td></tr>
<tr><th>Master address</th><td>${escapeHtml(info.masterAddress)}</td></tr>
<tr><th>Live workers</th><td>${live.length}</td></tr>
<tr><th>Lost workers</th><td>${info.workers.length - live.length}</td></tr></table>
<h2>Cache capacity</h2>
<table><tr><th>Tier</th><th>Capacity</th><th>Used</th><th>Free</th></tr>${tierRows || '<tr><td colspan="4">no live worker</td></tr>'}</table>
<h2>Workers</h2>
<table><tr><th>Id</th><th>Address</th><th>State</th><th>Last heartbeat</th></tr>${workerRows}</table>
</body></html>`;
}

export function registerWebRoutes(app: FastifyInstance, context: WebContext): void {
  app.get('/', async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(overviewPage(context.info())),
  );
  app.get('/api/v1/cluster', async () => context.info());
}
