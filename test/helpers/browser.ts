/**
 * Opens an HTML file in headless Chromium (Debian `chromium`, or CHROMIUM=path) through
 * playwright-core, collects console errors and page errors, and saves a screenshot.
 * When no browser is installed the caller skips, unless NEUROBRIDGE_REQUIRE_BROWSER=1
 * (set by CI, whose bootstrap installs chromium) makes that a failure.
 */
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

export function browserPath(): string | null {
  const candidates = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  const found = candidates.find((p): p is string => !!p && existsSync(p)) ?? null;
  if (!found && process.env.NEUROBRIDGE_REQUIRE_BROWSER === '1')
    throw new Error('no Chromium found (install the Debian package `chromium` or set CHROMIUM)');
  return found;
}

export interface PageVisit {
  errors: string[];
  /** Evaluated in the page after load. */
  probe: unknown;
}

export async function visit(
  executablePath: string,
  file: string,
  screenshot: string,
  probe: string,
): Promise<PageVisit> {
  const browser = await chromium.launch({
    executablePath,
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
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    // Any network request would mean the report is not self-contained.
    page.on('request', (r) => {
      if (!r.url().startsWith('file:') && !r.url().startsWith('data:'))
        errors.push(`network request: ${r.url()}`);
    });
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    await page.waitForTimeout(500);
    await page.screenshot({ path: screenshot, fullPage: true });
    return { errors, probe: await page.evaluate(probe) };
  } finally {
    await browser.close();
  }
}
