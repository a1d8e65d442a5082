/**
 * The master web UI's pages as people use them, in real Chromium: Browse pages through a big
 * directory and keeps its columns with long names; Metrics charts a windowed hit ratio, writes and
 * round ticks; Overview counts files; Configuration filters and shows each component; Logs reads as
 * a table with a level filter, for the master and the workers. One cluster for the file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
