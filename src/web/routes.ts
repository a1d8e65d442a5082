/**
 * The master's web UI on port 19999: server-rendered pages over the master's services, with a
 * stylesheet and one small script served from here (nothing is fetched from the internet).
 * Access to the port is checked by the master (web-access.ts) before any route runs.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { toTierfsError } from '../errors.js';
import { configurationEntries } from '../master/rest-routes.js';
import { mountInfo } from '../master/routes.js';
import type { MasterServices } from '../master/services.js';
import { CHARTS_SCRIPT } from './charts-script.js';
import { STYLESHEET } from './layout.js';
import { directoryPage, filePage, PREVIEW_BYTES, textPreview } from './pages/browse.js';
import { metricsPage } from './pages/metrics.js';
import { overviewPage } from './pages/overview.js';
import { configurationPage, errorPage, logsPage, mountsPage, workersPage } from './pages/tables.js';

/** Entries shown of one directory. */
const BROWSE_LIMIT = 1000;

function sendPage(reply: FastifyReply, page: string): FastifyReply {
  return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page);
}

export function registerWebRoutes(app: FastifyInstance, services: MasterServices): void {
  const { namespace } = services;
  const admin = services.admin;
  const page = (url: string, render: (query: Record<string, string | undefined>) => Promise<string>) =>
    app.get(url, async (request, reply) => {
      try {
        return sendPage(reply, await render(request.query as Record<string, string | undefined>));
      } catch (error) {
        const failure = toTierfsError(error);
        if (failure.code === 'INTERNAL') request.log.error({ err: error }, 'page failed');
        return sendPage(
          reply.status(failure.status),
          errorPage(failure.status, failure.code, failure.message),
        );
      }
    });

  app.get('/', async (_request, reply) => reply.redirect('/overview'));
  app.get('/static/tierfs.css', async (_request, reply) =>
    reply.type('text/css; charset=utf-8').send(STYLESHEET),
  );
  app.get('/static/charts.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').send(CHARTS_SCRIPT),
  );

  page('/overview', async () => overviewPage(await services.overview()));

  page('/browse', async (query) => {
    const status = await namespace.getStatus(query.path || '/', admin);
    if (status.isDirectory) {
      const list = await namespace.listStatus(status.path, admin, { pageSize: BROWSE_LIMIT });
      const files = list.entries.filter((e) => !e.isDirectory);
      const cachedFiles = await services.cachedBytes(files);
      const cachedByPath = new Map(files.map((f, i) => [f.path, cachedFiles[i] ?? 0]));
      const cached = list.entries.map((e) => cachedByPath.get(e.path) ?? 0);
      return directoryPage({
        status,
        entries: list.entries,
        cached,
        truncated: list.continuationToken !== undefined,
      });
    }
    const [cachedBytes] = await services.cachedBytes([status]);
    let preview: string | undefined;
    let previewNote: string;
    try {
      preview = textPreview(await services.head(status.path, admin, PREVIEW_BYTES));
      previewNote =
        preview === undefined
          ? 'Binary data: no preview.'
          : status.size > PREVIEW_BYTES
            ? `The first ${PREVIEW_BYTES} bytes of ${status.size}.`
            : 'The whole file.';
    } catch (error) {
      previewNote = `No preview: ${toTierfsError(error).message}`;
    }
    return filePage({ status, cachedBytes: cachedBytes ?? 0, preview, previewNote });
  });

  page('/mounts', async () => mountsPage(namespace.mounts.list().map((m) => mountInfo(m, false))));
  page('/workers', async () => workersPage(services.workers.list()));
  page('/configuration', async () => configurationPage(configurationEntries(services)));
  page('/charts', async () => metricsPage(services.sampleIntervalMs));
  page('/logs', async () => {
    const { file, text } = await services.logTail();
    return logsPage(file, text);
  });
}
