// A real browser for the dashboard tests: Debian's Chromium driven by playwright-core, headless, never a
// downloaded browser; every step under a time limit, and the browser closed whatever happens.
import { chromium, type Browser, type Page } from 'playwright-core';

export const chromiumPath = process.env['MULTIPROC_CHROMIUM'] ?? '/usr/bin/chromium';

/** Runs `use` with a fresh page in a fresh browser, then closes the browser (also on failure or time-out). */
export async function withPage<T>(use: (page: Page, browser: Browser) => Promise<T>, timeout = 60_000): Promise<T> {
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, timeout: 30_000 });
  let timer: NodeJS.Timeout | undefined;
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.setDefaultTimeout(15_000);
    const overtime = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the browser test ran past ${timeout} ms`)), timeout);
    });
    return await Promise.race([use(page, browser), overtime]);
  } finally {
    clearTimeout(timer);
    await browser.close();
  }
}

/** The number of the map's items the page shows done (its bar's `data-done`), or -1 when it shows no such map. */
export async function shownDone(page: Page, poolId: string, mapId: number): Promise<number> {
  const line = page.locator(`[data-pool-id="${poolId}"] [data-map-id="${mapId}"]`);
  if ((await line.count()) === 0) return -1;
  return Number(await line.getAttribute('data-done'));
}

/** Updates the page has drawn so far. */
export async function shownUpdates(page: Page): Promise<number> {
  return Number((await page.locator('body').getAttribute('data-updates')) ?? '0');
}
