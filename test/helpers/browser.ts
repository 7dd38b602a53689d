// Real-browser tests: playwright-core driving Debian's Chromium (/usr/bin/chromium), headless, with a
// fresh profile per browser and every request outside the page's own origin refused and recorded
// (the pages must work with no network; the benchmarks only watch for them). Screenshots go to
// test/artifacts/ (gitignored).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.MODERNPOS_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;

/** Why the browser suites cannot run here, or undefined. Under CI a missing browser is an error. */
export const NO_BROWSER: string | undefined = existsSync(CHROMIUM)
  ? undefined
  : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set MODERNPOS_CHROMIUM)`;
if (NO_BROWSER && process.env.CI)
  throw new Error(`CI=true but ${NO_BROWSER}: the browser suites must run in CI`);
if (NO_BROWSER) console.warn(`browser tests skipped: ${NO_BROWSER}`);

export interface TestBrowser {
  context: BrowserContext;
  /** A new tab; its uncaught errors and console errors are collected in `problems`. */
  page(): Promise<Page>;
  /** Uncaught page errors, console errors and refused outside requests, in order. */
  problems: string[];
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

export interface BrowserOptions {
  /**
   * Watch outside requests instead of routing every request through playwright to refuse them
   * (default false). Routing adds a round trip to the test process per request, so the benchmarks,
   * which time the pages' own requests, only watch; the network here is closed either way.
   */
  watchOnly?: boolean;
}

export async function openBrowser(origin: string, options: BrowserOptions = {}): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'modernpos-chromium-'));
  const downloads = mkdtempSync(join(tmpdir(), 'modernpos-downloads-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    acceptDownloads: true,
    downloadsPath: downloads,
    viewport: { width: 1280, height: 900 },
    locale: 'en-GB',
  });
  const problems: string[] = [];
  const inside = (url: string) =>
    url.startsWith(`${origin}/`) || url.startsWith('blob:') || url.startsWith('data:');
  if (options.watchOnly) {
    context.on('request', (req) => {
      if (!inside(req.url())) problems.push(`request outside ${origin}: ${req.url()}`);
    });
  } else {
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (inside(url)) return route.continue();
      problems.push(`request outside ${origin}: ${url}`);
      return route.abort();
    });
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    context,
    problems,
    async page() {
      const page = await context.newPage();
      page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
      page.on('console', (msg) => {
        // A refused request (401 at a wrong password, 404…) is logged by Chromium as a console error;
        // those are expected answers the page handles, everything else is a problem.
        if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) {
          problems.push(`console error: ${msg.text()}`);
        }
      });
      return page;
    },
    async screenshot(page, name) {
      const file = join(ARTIFACTS, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
      rmSync(downloads, { recursive: true, force: true });
    },
  };
}

// Evaluated in the page as text: the project's type-check has no DOM library, and needs none.

/** The visible form controls of a page that no label names (labelled inputs, checked per view). */
export function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(`[...document.querySelectorAll('input, select, textarea')]
    .filter((el) => el.offsetParent !== null && el.type !== 'hidden')
    .filter((el) => (el.labels?.length ?? 0) === 0 && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
    .map((el) => el.outerHTML.slice(0, 120))`);
}

/** The focused element and its outline, to check that keyboard focus is visible. */
export function focusOutline(page: Page): Promise<{ tag: string; id: string; style: string; width: string }> {
  return page.evaluate(`(() => {
    const el = document.activeElement;
    const s = getComputedStyle(el);
    return { tag: el.tagName, id: el.id, style: s.outlineStyle, width: s.outlineWidth };
  })()`);
}
