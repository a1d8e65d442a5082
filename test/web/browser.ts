/**
 * Chromium for the web UI tests: Debian's `chromium` driven by playwright-core, one headless
 * browser per test file, console errors collected, screenshots saved into a temp directory.
 * Without Chromium the tests skip locally and fail under CI.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
export const chromiumAvailable = existsSync(CHROMIUM);
if (!chromiumAvailable && process.env.CI) {
  throw new Error(
    `${CHROMIUM} is missing: CI installs the chromium package (.ci/run); the UI tests cannot run`,
  );
}
if (!chromiumAvailable)
  console.warn(`skipping the web UI browser tests: ${CHROMIUM} is not installed (apt-get install chromium)`);

export interface TestBrowser {
  readonly page: Page;
  /** Console errors and page errors seen so far (a test empties it when it expects some). */
  readonly errors: string[];
  /** Where screenshots go. */
  readonly screenshots: string;
  /** Saves a full-page screenshot named `name`.png and returns its path. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function openBrowser(
  options: { httpCredentials?: { username: string; password: string } } = {},
): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'tierfs-chromium-'));
  const screenshots = mkdtempSync(join(tmpdir(), 'tierfs-ui-screens-'));
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    viewport: { width: 1280, height: 900 },
    ...(options.httpCredentials ? { httpCredentials: options.httpCredentials } : {}),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`${page.url()}: ${error.message}`));
  return {
    page,
    errors,
    screenshots,
    async screenshot(name) {
      const path = join(screenshots, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
      // Screenshots stay when TIERFS_KEEP_SCREENSHOTS is set, to be looked at.
      if (!process.env.TIERFS_KEEP_SCREENSHOTS) rmSync(screenshots, { recursive: true, force: true });
      else console.log(`screenshots kept in ${screenshots}`);
    },
  };
}
