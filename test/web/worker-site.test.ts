/**
 * The worker's own web page on tierfs.worker.web.port, in real Chromium: its tiers and pages, hit
 * ratio and under store calls; the master UI's authentication (a user token checked with the
 * master, as the Basic password) and bind policy. One cluster for the file.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Configuration } from '../../src/config/configuration.js';
import { layoutOf } from '../../src/config/layout.js';
import { readStream } from '../../src/ufs/io.js';
import { startWorkerSite, type WorkerSite } from '../../src/web/worker-site.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { chromiumAvailable, openBrowser, type TestBrowser } from './browser.js';

let cluster: TestCluster;
let browser: TestBrowser;
let site: WorkerSite;
const log = pino({ level: 'silent' });

/** The site over the cluster's worker, with the cluster's settings and these. */
function siteConf(values: Record<string, string>): Configuration {
  return Configuration.of({
    'tierfs.work.dir': cluster.home,
    'tierfs.master.hostname': '127.0.0.1',
    'tierfs.worker.web.port': '0',
    ...values,
  });
}

beforeAll(async () => {
  if (!chromiumAvailable) return;
  cluster = await startCluster();
  site = await startWorkerSite(siteConf({}), cluster.worker, {
    log,
    masterAddress: cluster.master.rpcAddress,
  });
  browser = await openBrowser();
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await cluster?.stop();
});

describe.skipIf(!chromiumAvailable)("the worker's web page", () => {
  it('shows its tiers, pages, hit ratio and under store operations', async () => {
    const client = cluster.client();
    const data = randomBytes(3 * 1024 * 1024 + 5);
    await pipeline(Readable.from([data]), await client.createFile('/w/data.bin', { writeType: 'THROUGH' }));
    for (let i = 0; i < 2; i++) {
      const read = await readStream(await client.openFile('/w/data.bin', { readType: 'CACHE' }));
      expect(read.equals(data)).toBe(true);
    }
    const { page } = browser;
    const response = await page.goto(`${site.address}/`);
    expect(response?.status()).toBe(200);
    expect(await page.title()).toBe(`Worker ${cluster.worker.id} · tierfs`);
    expect(await page.textContent('#worker-address')).toBe(cluster.worker.address);
    const view = await cluster.worker.view();
    const pages = view.tiers.reduce((n, t) => n + t.pages, 0);
    expect(pages).toBeGreaterThan(0);
    const shown = (await page.locator('#tiers td.pages').allTextContents()).map(Number);
    expect(shown.reduce((a, b) => a + b, 0)).toBe(pages);
    expect(await page.textContent('#tiers')).toMatch(/MEM/);
    const lookups = view.cacheHits + view.cacheMisses;
    expect(view.cacheHits).toBeGreaterThan(0);
    const ratio = (100 * view.cacheHits) / lookups;
    expect(await page.textContent('#worker-hit-ratio')).toBe(
      `${ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(1)}%`,
    );
    const operations = await page.textContent('#ufs-operations');
    expect(operations).toContain('create');
    expect(operations).toContain('open');
    await browser.screenshot('worker-page');
    const missing = await page.goto(`${site.address}/nope`);
    expect(missing?.status()).toBe(404);
    expect(missing?.headers()['content-type']).toMatch(/^text\/html/);
    expect(await page.textContent('main')).toContain('There is no page at /nope.');
    browser.errors.splice(0);
  });

  it('asks for a token under TOKEN and takes a user token, checked with the master, as the Basic password', async () => {
    const tokenSite = await startWorkerSite(
      siteConf({ 'tierfs.security.authentication.type': 'TOKEN' }),
      cluster.worker,
      { log, masterAddress: cluster.master.rpcAddress },
    );
    try {
      const anonymous = await fetch(`${tokenSite.address}/`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
      const basic = (password: string) => `Basic ${Buffer.from(`someone:${password}`).toString('base64')}`;
      const forged = await fetch(`${tokenSite.address}/`, {
        headers: { authorization: basic('tfs_not-a-token') },
      });
      expect(forged.status).toBe(401);
      expect(await forged.text()).not.toContain(cluster.worker.id);

      const secret = readFileSync(layoutOf(cluster.conf).clusterTokenFile, 'utf8').trim();
      const created = await fetch(`${cluster.master.webAddress}/api/v1/auth/tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ user: 'alice' }),
      });
      expect(created.status).toBe(200);
      const { token } = (await created.json()) as { token: string };
      const signedIn = await openBrowser({ httpCredentials: { username: 'alice', password: token } });
      try {
        const answer = await signedIn.page.goto(`${tokenSite.address}/`);
        expect(answer?.status()).toBe(200);
        expect(await signedIn.page.textContent('#worker-address')).toBe(cluster.worker.address);
        expect(signedIn.errors).toEqual([]);
      } finally {
        await signedIn.close();
      }
    } finally {
      await tokenSite.close();
    }
  });

  it("keeps the master's bind policy: beyond loopback only with TOKEN (or SIMPLE's remote opt-in)", async () => {
    await expect(
      startWorkerSite(siteConf({ 'tierfs.worker.web.bind.host': '0.0.0.0' }), cluster.worker, { log }),
    ).rejects.toThrow(
      'the worker refuses to listen beyond loopback (tierfs.worker.web.bind.host=0.0.0.0) with tierfs.security.authentication.type=SIMPLE',
    );
  });
});
