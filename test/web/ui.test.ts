/**
 * The master web UI in real Chromium (Debian's `chromium` driven by playwright-core): every page
 * loads without console errors, shows what it is for, and is saved as a screenshot under
 * test-results/ui/. Without Chromium the tests skip locally and fail under CI.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layoutOf } from '../../src/config/layout.js';
import { REPO_ROOT, runTierfs } from '../support/cli.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { chromiumAvailable as available, openBrowser, type TestBrowser } from './browser.js';

const SCREENSHOTS = join(REPO_ROOT, 'test-results', 'ui');
const SECRET = 'sekr3t-do-not-show';

let cluster: TestCluster;
let browser: TestBrowser;
let page: Page;
let errors: string[];

beforeAll(async () => {
  if (!available) return;
  cluster = await startCluster({ 'aws.secretKey': SECRET, 'tierfs.master.metrics.sample.interval': '300ms' });
  browser = await openBrowser();
  ({ page, errors } = browser);
  mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  if (!available) return;
  await browser?.close();
  await cluster?.stop();
});

/** Opens a page, checks it answered 200 without console errors, and saves its screenshot. */
async function visit(path: string, name: string): Promise<void> {
  const response = await page.goto(`${cluster.master.webAddress}${path}`);
  expect(response?.status(), path).toBe(200);
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  expect(errors).toEqual([]);
}

describe.skipIf(!available)('web UI in Chromium', () => {
  it('Overview shows the live worker and the capacity', async () => {
    await visit('/', 'overview');
    expect(await page.title()).toBe('Overview · tierfs');
    expect(await page.textContent('#live-workers')).toBe('1');
    const capacity = await page.textContent('#capacity');
    expect(capacity).toMatch(/MEM|DISK/);
    expect(capacity).toMatch(/\d+(\.\d+)?MB/);
    expect(await page.textContent('body')).toContain(cluster.worker.id);
  });

  it('Browse enters a mounted directory and previews a text file', async () => {
    const second = join(cluster.home, 'second-ufs');
    mkdirSync(join(second, 'reports'), { recursive: true });
    writeFileSync(join(second, 'reports', 'notes.txt'), 'line one\n<script>alert("not run")</script>\n');
    const client = cluster.client();
    await client.mount('/data', second);
    await pipeline(Readable.from([Buffer.from('cached text')]), await client.createFile('/data/cached.txt'));

    await visit('/browse', 'browse');
    await page.click('#listing a:text-is("data/")');
    await page.waitForURL(/path=%2Fdata$/);
    expect(await page.textContent('#listing')).toContain('cached.txt');
    expect(await page.textContent('#listing')).toContain('100%');
    await page.click('#listing a:text-is("reports/")');
    await page.click('#listing a:text-is("notes.txt")');
    await page.waitForSelector('#preview');
    expect(await page.textContent('#preview')).toBe('line one\n<script>alert("not run")</script>\n');
    await page.screenshot({ path: join(SCREENSHOTS, 'browse-file.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('Mount table shows a mount added with the tierfs CLI', async () => {
    const third = mkdtempSync(join(tmpdir(), 'tierfs-ui-mount-'));
    const port = new URL(cluster.master.rpcAddress).port;
    const result = await runTierfs(
      [
        '-Dtierfs.master.hostname=127.0.0.1',
        `-Dtierfs.master.rpc.port=${port}`,
        // Mounting is the superuser's: the in-process master runs as 'admin', believed on loopback.
        '-Dtierfs.security.login.username=admin',
        'fs',
        'mount',
        '--readonly',
        '/cli-mount',
        third,
      ],
      { cwd: cluster.home, env: { HOME: cluster.home } },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    await visit('/mounts', 'mounts');
    const table = await page.textContent('#mounts');
    expect(table).toContain('/cli-mount');
    expect(table).toContain(third);
    rmSync(third, { recursive: true, force: true });
  });

  it("an unknown URL shows the UI's own 404 page; the API keeps its JSON error", async () => {
    const response = await page.goto(`${cluster.master.webAddress}/no/such/page?x=1`);
    expect(response?.status()).toBe(404);
    expect(response?.headers()['content-type']).toMatch(/^text\/html/);
    expect(await page.title()).toBe('Page not found · tierfs');
    expect(await page.textContent('main')).toContain('There is no page at /no/such/page.');
    expect(await page.locator('nav a').count()).toBeGreaterThan(3);
    await page.screenshot({ path: join(SCREENSHOTS, 'not-found.png'), fullPage: true });
    // Chromium logs the 404 status of the page itself, and nothing else may fail (its stylesheet).
    expect(errors.splice(0)).toEqual([
      `${cluster.master.webAddress}/no/such/page?x=1: Failed to load resource: the server responded with a status of 404 (Not Found)`,
    ]);
    expect(await page.evaluate<number>('document.styleSheets[0]?.cssRules.length ?? 0')).toBeGreaterThan(10);
    expect(await page.locator('header nav').isVisible()).toBe(true);
    const api = await fetch(`${cluster.master.webAddress}/api/v1/nope`, { headers: { accept: 'text/html' } });
    expect(api.status).toBe(404);
    expect(await api.json()).toEqual({ code: 'NOT_FOUND', message: 'no endpoint GET /api/v1/nope' });
  });

  it('Workers lists the worker', async () => {
    await visit('/workers', 'workers');
    expect(await page.textContent('#workers')).toContain(cluster.worker.address);
    expect(await page.textContent('#workers')).toContain('LIVE');
  });

  it('Configuration masks secrets and shows sources', async () => {
    await visit('/configuration', 'configuration');
    const row = await page.textContent('#configuration tr:has(td:text-is("aws.secretKey"))');
    expect(row).toContain('******');
    expect(row).toContain('SYSTEM_PROPERTY');
    expect(await page.content()).not.toContain(SECRET);
  });

  it('Metrics draws charts from the samples', async () => {
    await visit('/charts', 'metrics-loading');
    await page.waitForFunction("Number(document.getElementById('charts-status').dataset.samples) >= 3");
    expect(await page.locator('#chart-throughput polyline').count()).toBe(2);
    expect(await page.locator('#chart-writes polyline').count()).toBe(1);
    expect(await page.locator('#chart-ufs-ops polyline').count()).toBe(1);
    await page.screenshot({ path: join(SCREENSHOTS, 'metrics.png'), fullPage: true });
    rmSync(join(SCREENSHOTS, 'metrics-loading.png'), { force: true });
    expect(errors).toEqual([]);
  });

  it('Logs shows the tail of the master log, escaped', async () => {
    const file = layoutOf(cluster.conf).logFile('master');
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, '{"level":30,"msg":"master started <b>not bold</b>"}\n');
    await visit('/logs', 'logs');
    expect(await page.textContent('#log')).toContain('master started <b>not bold</b>');
  });
});
