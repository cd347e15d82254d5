// Takes docs/dashboard.png: a pool with insights on running a map of uneven tasks, with a task error and a
// crash behind it, drawn by the dashboard in headless Chromium (Debian's, /usr/bin/chromium: never a
// downloaded browser). Run after a build: `node scripts/dashboard-screenshot.mjs`.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { Pool } = await import(pathToFileURL(path.join(root, 'dist', 'pkg', 'index.js')).href);
const tasksUrl = pathToFileURL(path.join(root, 'dist', 'test', 'fixtures', 'dashboard-tasks.js'));
const out = path.join(root, 'docs', 'dashboard.png');

// Nothing here may outlive a minute.
setTimeout(() => {
  process.stderr.write('dashboard-screenshot: timed out\n');
  process.exit(1);
}, 60_000).unref();

const pool = new Pool({ workers: 3, insights: true });
const dashboard = await pool.dashboard();
const browser = await chromium.launch({ executablePath: process.env.MULTIPROC_CHROMIUM ?? '/usr/bin/chromium', headless: true, timeout: 30_000 });
try {
  const tasks = pool.load(tasksUrl);
  await tasks.spin.map([5, 8, 3, 120, 6, 4, 9, 7], { chunksize: 1 });
  await tasks.fail('{"id": 42, "path": "/data/part-0042.csv"}', 30).catch(() => undefined);
  await tasks.crash('a corrupt frame').catch(() => undefined);
  const page = await browser.newPage({ viewport: { width: 1280, height: 1100 }, deviceScaleFactor: 1 });
  await page.goto(dashboard.url);
  await page.locator('#status[data-state="live"]').waitFor({ timeout: 15_000 });
  // A map of uneven tasks, caught while it runs.
  const lengths = Array.from({ length: 400 }, (_, i) => 4 + ((i * 37) % 23) + (i % 50 === 0 ? 60 : 0));
  const running = tasks.spin.map(lengths, { chunksize: 1 });
  const bar = page.locator('.map.running').first();
  for (const deadline = Date.now() + 30_000; Number(await bar.getAttribute('data-done', { timeout: 15_000 })) <= 120;) {
    if (Date.now() > deadline) throw new Error('the map did not get far enough');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await page.locator('.errors details summary').first().click();
  await page.screenshot({ path: out, fullPage: true });
  await running;
  process.stdout.write(`wrote ${path.relative(root, out)}\n`);
} finally {
  await browser.close();
  await pool.terminate();
  await dashboard.close();
}
