// The dashboard benchmark's browser (URL): the page in headless Chromium (Debian's, never a downloaded one);
// each line on stdin is answered with the updates the page drew so far (the first once it is live); closes
// the browser and exits when stdin ends.
import { chromium } from 'playwright-core';

const [url = ''] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, timeout: 30_000 });
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
await page.goto(url);
await page.locator('#status[data-state="live"]').waitFor({ timeout: 15_000 });
let queue = Promise.resolve();
process.stdin.setEncoding('utf8').on('data', () => {
  queue = queue.then(async () => {
    process.stdout.write(`${(await page.locator('body').getAttribute('data-updates')) ?? '0'}\n`);
  });
});
process.stdin.on('end', () => {
  void queue.then(() => browser.close()).then(() => process.exit(0));
});
