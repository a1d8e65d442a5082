/**
 * The master web UI's pages as people use them, in real Chromium: Browse pages through a big
 * directory and keeps its columns with long names; Metrics charts a windowed hit ratio, writes and
 * round ticks; Overview counts files; Configuration filters and shows each component; Logs reads as
 * a table with a level filter, for the master and the workers. One cluster for the file.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Configuration } from '../../src/config/configuration.js';
import { layoutOf } from '../../src/config/layout.js';
import { readStream } from '../../src/ufs/io.js';
import { Worker } from '../../src/worker/worker.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { chromiumAvailable, openBrowser, type TestBrowser } from './browser.js';

let cluster: TestCluster;
let browser: TestBrowser;

beforeAll(async () => {
  if (!chromiumAvailable) return;
  cluster = await startCluster({ 'tierfs.master.metrics.sample.interval': '200ms' });
  browser = await openBrowser();
});

afterAll(async () => {
  await browser?.close();
  await cluster?.stop();
});

async function visit(path: string): Promise<void> {
  const response = await browser.page.goto(`${cluster.master.webAddress}${path}`);
  expect(response?.status(), path).toBe(200);
  await browser.page.waitForLoadState('networkidle');
}

describe.skipIf(!chromiumAvailable)('Browse', () => {
  it('pages through a directory of 1,500 files, every one of them once', async () => {
    const big = join(cluster.home, 'big-ufs');
    mkdirSync(big, { recursive: true });
    for (let i = 0; i < 1500; i++) writeFileSync(join(big, `f-${String(i).padStart(4, '0')}.txt`), '');
    await cluster.client().mount('/big', big);

    const { page } = browser;
    await visit('/browse?path=%2Fbig');
    const seen: string[] = [];
    const ranges: string[] = [];
    for (;;) {
      ranges.push((await page.locator('.pager .range').first().textContent()) ?? '');
      seen.push(...(await page.locator('#listing td.name a').allTextContents()));
      expect(await page.textContent('main')).not.toContain('Only the first');
      const next = page.locator('.pager a.next').first();
      if ((await next.count()) === 0) break;
      if (seen.length === 500) await browser.screenshot('browse-paged');
      await next.click();
      await page.waitForLoadState('networkidle');
    }
    expect(ranges).toEqual(['1–500', '501–1000', '1001–1500']);
    expect(seen).toHaveLength(1500);
    expect(new Set(seen).size).toBe(1500);
    expect(seen[1499]).toBe('f-1499.txt');
    expect(await page.textContent('.pager')).toContain('last page');
    await page.click('.pager a.first');
    await page.waitForLoadState('networkidle');
    expect(await page.locator('#listing td.name a').first().textContent()).toBe('f-0000.txt');
    expect(browser.errors).toEqual([]);
  });

  it('keeps the mode and date columns on one line next to a long name, the name whole in its title', async () => {
    const wide = join(cluster.home, 'wide-ufs');
    mkdirSync(wide, { recursive: true });
    const long = `${'a-very-long-report-name with spaces '.repeat(6)}end.csv`;
    writeFileSync(join(wide, long), 'x');
    writeFileSync(join(wide, 'short.txt'), 'y');
    await cluster.client().mount('/wide', wide);
    const { page } = browser;
    await visit('/browse?path=%2Fwide');
    await browser.screenshot('browse-long-names');
    const rows = page.locator('#listing tbody tr');
    const heights = async (index: number) =>
      rows
        .nth(index)
        .locator('td')
        .evaluateAll((cells) => cells.map((c) => Math.round(c.getBoundingClientRect().height)));
    const longRow = await heights(0);
    const shortRow = await heights(1);
    // The long name's row is as tall as the short one's: nothing wrapped.
    expect(longRow).toEqual(shortRow);
    const name = page.locator('#listing tbody tr').first().locator('td.name');
    expect(await name.getAttribute('title')).toBe(long);
    expect(await name.evaluate((c) => c.scrollWidth > c.clientWidth)).toBe(true);
    expect(await name.evaluate((c) => c.ownerDocument.defaultView?.getComputedStyle(c).textOverflow)).toBe(
      'ellipsis',
    );
    expect(browser.errors).toEqual([]);
  });
});

/** Whether axis ticks go 0, s, 2s, … with s one of 1, 2, 5 × 10^n, all in one unit. */
function roundTicks(labels: string[]): { step: number; unit: string } {
  const parsed = labels.map((l) => /^(\d+(?:\.\d+)?)(%| B| KiB| MiB| GiB)?$/.exec(l));
  expect(parsed.every(Boolean), labels.join(' ')).toBe(true);
  const values = parsed.map((m) => Number(m![1]));
  const units = new Set(parsed.map((m) => m![2] ?? ''));
  expect(units.size, labels.join(' ')).toBe(1);
  expect(values[0]).toBe(0);
  const step = values[1]! - values[0]!;
  for (const [i, v] of values.entries()) expect(v).toBeCloseTo(i * step, 9);
  const mantissa = Number((step / 10 ** Math.floor(Math.log10(step))).toPrecision(6));
  expect([1, 2, 5], `step ${step} of ${labels.join(' ')}`).toContain(mantissa);
  return { step, unit: [...units][0]! };
}

describe.skipIf(!chromiumAvailable)('Metrics and Overview', () => {
  it('charts writes, a windowed hit ratio that stays when idle, and round ticks', async () => {
    const client = cluster.client();
    const data = randomBytes(6 * 1024 * 1024);
    await pipeline(Readable.from([data]), await client.createFile('/metrics/written.bin'));
    await client.free('/metrics/written.bin');
    for (let i = 0; i < 2; i++) {
      const read = await readStream(await client.openFile('/metrics/written.bin', { readType: 'CACHE' }));
      expect(read.equals(data)).toBe(true);
    }
    const { page } = browser;
    await visit('/charts');
    await page.locator('#hit-ratio-now[data-state="reads"]').waitFor();
    const writes = Number(await page.getAttribute('#chart-writes', 'data-max'));
    expect(writes).toBeGreaterThan(0);
    await browser.screenshot('metrics-reads');

    for (const id of ['throughput', 'writes', 'hit-ratio', 'ufs-ops']) {
      const labels = await page.locator(`#chart-${id} text.tick`).allTextContents();
      const { unit } = roundTicks(labels);
      if (id === 'throughput' || id === 'writes') expect(unit).toMatch(/B|KiB|MiB|GiB/);
      if (id === 'hit-ratio') expect(labels.at(-1)).toBe('100%');
    }
    // The writes chart's top tick is the first round value at or above the highest rate.
    const ticks = await page
      .locator('#chart-writes text.tick')
      .evaluateAll((t) => t.map((e) => Number(e.getAttribute('data-value'))));
    expect(ticks.at(-1)!).toBeGreaterThanOrEqual(writes);
    expect(ticks.at(-2)!).toBeLessThan(writes);

    // Idle for longer than the window: the chart keeps the last ratio and says there were no reads.
    await page.locator('#hit-ratio-now[data-state="idle"]').waitFor({ timeout: 20_000 });
    expect(await page.textContent('#hit-ratio-now')).toMatch(
      /^no reads in the last \d+ s \(\d+(\.\d)?% since the workers started\)$/,
    );
    const kept = Number(await page.getAttribute('#chart-hit-ratio', 'data-last'));
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(100);
    await browser.screenshot('metrics-idle');
    expect(browser.errors).toEqual([]);
  });

  it('Overview counts the files and shows the hit ratio', async () => {
    const { page } = browser;
    await visit('/overview');
    const before = Number((await page.textContent('#file-count'))!.replace(/,/g, ''));
    const client = cluster.client();
    for (const name of ['a', 'b', 'c']) {
      await pipeline(Readable.from([Buffer.from(name)]), await client.createFile(`/counted/${name}.txt`));
    }
    await client.mkdir('/counted/not-a-file');
    expect(await readStream(await client.openFile('/counted/a.txt', { readType: 'CACHE' }))).toEqual(
      Buffer.from('a'),
    );
    await cluster.master.sampleMetrics();
    await visit('/overview');
    expect(Number((await page.textContent('#file-count'))!.replace(/,/g, ''))).toBe(before + 3);
    expect(await page.getAttribute('#hit-ratio', 'data-state')).toBe('reads');
    expect(await page.textContent('#hit-ratio')).toMatch(/^\d+(\.\d)?%$/);
    await browser.screenshot('overview');
    expect(browser.errors).toEqual([]);
  });
});

describe.skipIf(!chromiumAvailable)('Configuration and Logs, per component', () => {
  const WORKER_SECRET = 'w0rker-secret-never-shown';
  let second: Worker;
  let secondHome: string;

  beforeAll(async () => {
    if (!chromiumAvailable) return;
    // A second worker with a configuration of its own: a secret, a cache size and a host name
    // the master's configuration does not have, and a log file.
    secondHome = mkdtempSync(join(tmpdir(), 'tierfs-second-worker-'));
    const conf = Configuration.of({
      'tierfs.work.dir': secondHome,
      'tierfs.master.metastore.dir': layoutOf(cluster.conf).metastoreDir,
      'tierfs.worker.rpc.port': '0',
      'tierfs.worker.hostname': 'localhost',
      'tierfs.worker.page.store.sizes': '48MB',
      'tierfs.worker.heartbeat.interval': '200ms',
      'aws.secretKey': WORKER_SECRET,
    });
    const logFile = layoutOf(conf).logFile('worker');
    mkdirSync(join(logFile, '..'), { recursive: true });
    const log = pino({ level: 'info' }, pino.destination({ dest: logFile, sync: true }));
    log.warn({ disk: '/cache', freeBytes: 1024 }, 'cache disk nearly full');
    second = await Worker.start(conf, { log, masterAddress: cluster.master.rpcAddress });
  });

  afterAll(async () => {
    await second?.stop();
    if (secondHome) rmSync(secondHome, { recursive: true, force: true });
  });

  it("shows a worker's own configuration, fetched from it, secrets masked; the filter box narrows by key, value or source", async () => {
    const { page } = browser;
    await visit('/configuration');
    const all = await page.locator('#configuration tbody tr').count();
    expect(all).toBeGreaterThan(20);
    // The filter box: by key, by value and by source.
    await page.fill('#filter', 'page.store.sizes');
    await page.press('#filter', 'Enter');
    await page.waitForURL(/q=page.store.sizes/);
    expect(await page.locator('#configuration tbody tr td:first-child').allTextContents()).toEqual([
      'tierfs.worker.page.store.sizes',
    ]);
    expect(await page.textContent('#config-count')).toMatch(/^1 of \d+ properties/);
    await visit('/configuration?q=underFSStorage');
    expect(await page.locator('#configuration tbody tr td:first-child').allTextContents()).toEqual([
      'tierfs.master.mount.table.root.ufs',
    ]);
    expect(await page.locator('#configuration tbody tr td:nth-child(2)').allTextContents()).toEqual([
      cluster.ufs,
    ]);
    await visit('/configuration?q=default');
    const sources = await page.locator('#configuration tbody tr td:nth-child(3)').allTextContents();
    expect(sources.length).toBeGreaterThan(5);
    expect(sources.length).toBeLessThan(all);
    expect(sources.every((t) => t.toLowerCase().includes('default'))).toBe(true);

    // The second worker, through its tab.
    await visit('/configuration');
    await page.click(`.tabs a[data-component="${second.id}"]`);
    await page.waitForURL(new RegExp(`component=${second.id}`));
    const value = async (key: string) =>
      page.textContent(`#configuration tr:has(td:text-is("${key}")) td:nth-child(2)`);
    expect(await value('tierfs.worker.page.store.sizes')).toBe('48MB');
    expect(await value('tierfs.worker.hostname')).toBe('localhost');
    expect(await value('aws.secretKey')).toBe('******');
    expect(await page.content()).not.toContain(WORKER_SECRET);
    await browser.screenshot('configuration-worker');
    // The master's own tab shows its values, not the worker's.
    await page.click('.tabs a[data-component="master"]');
    await page.waitForURL(/component=master/);
    expect(await value('tierfs.worker.page.store.sizes')).toBe('64MB');
    // Its address as the Workers page shows it: the configured tierfs.worker.hostname.
    expect(second.address).toMatch(/^http:\/\/localhost:\d+$/);
    await visit('/workers');
    expect(await page.textContent('#workers')).toContain(second.address);
    // An unknown component is an error page naming the known ones.
    const unknown = await page.goto(`${cluster.master.webAddress}/configuration?component=worker-nope`);
    expect(unknown?.status()).toBe(404);
    const message = await page.textContent('main');
    expect(message).toContain('no worker worker-nope: the components are master, ');
    expect(message).toContain(cluster.worker.id);
    expect(message).toContain(second.id);
    browser.errors.splice(0);
  });

  it("reads as time, level, message and fields, filters by level, and shows a worker's log fetched from it", async () => {
    const file = layoutOf(cluster.conf).logFile('master');
    mkdirSync(join(file, '..'), { recursive: true });
    const at = Date.UTC(2026, 11, 7, 4, 39, 36, 123);
    writeFileSync(
      file,
      [
        JSON.stringify({
          level: 30,
          time: at,
          pid: 1,
          hostname: 'vm',
          name: 'master',
          msg: 'master started',
          rpcAddress: 'http://127.0.0.1:19998',
        }),
        JSON.stringify({
          level: 40,
          time: at + 1000,
          pid: 1,
          hostname: 'vm',
          msg: 'heartbeat late <b>x</b>',
          worker: 'worker-1',
        }),
        JSON.stringify({
          level: 50,
          time: at + 2000,
          pid: 1,
          hostname: 'vm',
          msg: 'persist failed',
          err: { message: 'disk full' },
        }),
        'not json at all',
      ].join('\n'),
    );
    const { page } = browser;
    await visit('/logs');
    const rows = page.locator('#log tbody tr');
    expect(await rows.count()).toBe(4);
    // Newest first; the time in ISO form (UTC), the level by name, the message, the other fields.
    const cells = async (i: number) => rows.nth(i).locator('td').allTextContents();
    expect((await cells(1)).map((c) => c.trim())).toEqual([
      '2026-12-07 04:39:38.123 UTC',
      'error',
      'persist failed',
      'err={"message":"disk full"}',
    ]);
    expect((await cells(2)).map((c) => c.trim())).toEqual([
      '2026-12-07 04:39:37.123 UTC',
      'warn',
      'heartbeat late <b>x</b>',
      'worker=worker-1',
    ]);
    expect((await cells(3)).map((c) => c.trim())).toEqual([
      '2026-12-07 04:39:36.123 UTC',
      'info',
      'master started',
      'name=master rpcAddress=http://127.0.0.1:19998',
    ]);
    expect(await rows.nth(3).locator('time').getAttribute('datetime')).toBe('2026-12-07T04:39:36.123Z');
    expect((await cells(0))[2]).toBe('not json at all');
    await browser.screenshot('logs-master');

    await page.selectOption('#level', 'warn');
    await page.click('form.filter button');
    await page.waitForURL(/level=warn/);
    expect(await page.locator('#log tbody td.level').allTextContents()).toEqual(['–', 'error', 'warn']);

    await page.click(`.tabs a[data-component="${second.id}"]`);
    await page.waitForURL(new RegExp(`component=${second.id}.*|level=warn.*component`));
    expect(page.url()).toContain('level=warn');
    const text = await page.textContent('#log');
    expect(text).toContain('cache disk nearly full');
    expect(text).toContain('freeBytes=1024');
    expect(text).not.toContain('worker started'); // info, below the filter
    await visit(`/logs?component=${second.id}`);
    expect(await page.textContent('#log')).toContain('worker started');
    await browser.screenshot('logs-worker');
    expect(browser.errors).toEqual([]);
  });
});
