/**
 * The master's web UI on port 19999: server-rendered pages over the master's services, with a
 * stylesheet and one small script served from here (nothing is fetched from the internet).
 * Every request is authenticated by the master (master/authenticator.ts) before any route runs;
 * browsing and previews act as the viewer: the token's user, or the anonymous user without one
 * (world-readable files only).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TierfsError, toTierfsError } from '../errors.js';
import { configurationEntries } from '../master/rest-routes.js';
import { mountInfo } from '../master/routes.js';
import type { MasterServices } from '../master/services.js';
import type { Caller } from '../namespace/permissions.js';
import { CHARTS_SCRIPT } from './charts-script.js';
import { windowedHitRatio } from './hit-ratio.js';
import { STYLESHEET } from './layout.js';
import { LEVELS, type LevelName, logLines } from './log-lines.js';
import { directoryPage, filePage, PREVIEW_BYTES, textPreview } from './pages/browse.js';
import { configurationPage, logsPage } from './pages/components.js';
import { metricsPage } from './pages/metrics.js';
import { overviewPage } from './pages/overview.js';
import { errorPage, mountsPage, workersPage } from './pages/tables.js';
import { registerSecurityHeaders } from './security-headers.js';

/** Entries shown on one page of a directory (the page links go on from there). */
export const BROWSE_PAGE_SIZE = 500;

/** Where a page of a directory starts, as its link says: only for the "entries 501–1000" caption. */
function pageStart(from: string | undefined): number {
  const n = Number(from);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

function sendPage(reply: FastifyReply, page: string): FastifyReply {
  return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page);
}

export function registerWebRoutes(
  app: FastifyInstance,
  services: MasterServices,
  viewerOf: (request: FastifyRequest) => Caller,
): void {
  const { namespace } = services;
  registerSecurityHeaders(app);
  const page = (
    url: string,
    render: (query: Record<string, string | undefined>, viewer: Caller) => Promise<string>,
  ) =>
    app.get(url, async (request, reply) => {
      try {
        const query = request.query as Record<string, string | undefined>;
        return sendPage(reply, await render(query, viewerOf(request)));
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

  page('/overview', async () =>
    overviewPage(await services.overview(), {
      files: await services.countFiles(),
      hitRatio: windowedHitRatio(services.metrics.sampler.samples()),
    }),
  );

  /** Asks the browser for credentials (a Basic challenge) until it sends some, then shows the overview. */
  app.get('/login', async (request, reply) => {
    if (request.headers.authorization !== undefined) return reply.redirect('/overview');
    const message =
      'sign in with any user name and your token (from `tierfs auth token create <user>`) as the password';
    return sendPage(reply.status(401), errorPage(401, 'UNAUTHENTICATED', message));
  });

  page('/browse', async (query, viewer) => {
    const status = await namespace.getStatus(query.path || '/', viewer);
    if (status.isDirectory) {
      const list = await namespace.listStatus(status.path, viewer, {
        pageSize: BROWSE_PAGE_SIZE,
        ...(query.after ? { continuationToken: query.after } : {}),
      });
      const files = list.entries.filter((e) => !e.isDirectory);
      const cachedFiles = await services.cachedBytes(files);
      const cachedByPath = new Map(files.map((f, i) => [f.path, cachedFiles[i] ?? 0]));
      const cached = list.entries.map((e) => cachedByPath.get(e.path) ?? 0);
      return directoryPage({
        status,
        entries: list.entries,
        cached,
        first: pageStart(query.from),
        next: list.continuationToken,
      });
    }
    const [cachedBytes] = await services.cachedBytes([status]);
    let preview: string | undefined;
    let previewNote: string;
    try {
      preview = textPreview(await services.head(status.path, viewer, PREVIEW_BYTES));
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
  /** The master, or the worker the query names (which must be one the master knows). */
  const componentOf = (query: Record<string, string | undefined>) => {
    const component = query.component || 'master';
    return { component, worker: component === 'master' ? undefined : services.worker(component) };
  };
  page('/configuration', async (query) => {
    const { component, worker } = componentOf(query);
    const entries = worker ? await services.workerConfiguration(worker) : configurationEntries(services);
    return configurationPage({ component, workers: services.workers.list(), entries, filter: query.q ?? '' });
  });
  page('/charts', async () => metricsPage(services.sampleIntervalMs));
  page('/logs', async (query) => {
    const { component, worker } = componentOf(query);
    const level = (query.level ?? 'trace') as LevelName;
    if (!(level in LEVELS)) {
      throw new TierfsError(
        'INVALID_ARGUMENT',
        `level must be one of ${Object.keys(LEVELS).join(', ')}, got ${JSON.stringify(query.level)}`,
      );
    }
    const { file, text } = worker ? await services.workerLog(worker) : await services.logTail();
    const lines = text === undefined ? undefined : logLines(text, LEVELS[level]);
    return logsPage({ component, workers: services.workers.list(), file, lines, level });
  });
}
