// The dashboard in a real browser (Chromium, headless, driven by playwright-core): the page loads and goes
// live, a running map's bar advances as it runs, a crash and a task error show with their stacks, a task's
// argument holding markup shows as text and runs nothing, a second pool appears; then the standalone
// `multiproc dashboard` with a pool from another Node process linked to it.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { Pool } from '../src/pool/pool.js';
import { shownDone, shownUpdates, withPage } from './dashboard-harness.js';
import { finish, firstLine, fixture, startNode } from './helpers/spawn.js';

const tasksUrl = new URL('./fixtures/dashboard-tasks.js', import.meta.url);
type Tasks = typeof import('./fixtures/dashboard-tasks.js');

/** Polls the page until `check` holds (each look under the page's own time limits). */
async function until(check: () => Promise<boolean>, what: string, timeout = 20_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function live(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.locator('#status[data-state="live"]').waitFor();
}

/** The dashboard id of the pool shown for `pid` whose map runs `name` (the page shows pools by `pid-poolId`). */
async function poolShowing(page: Page, text: string): Promise<string> {
  const card = page.locator('section.pool', { hasText: text }).first();
  await card.waitFor();
  return (await card.getAttribute('data-pool-id')) ?? '';
}

describe('the dashboard in a browser', () => {
  it('shows a live map, a crash and an error with their stacks, markup as text, and a second pool', async () => {
    const pool = new Pool({ workers: 2 });
    let second: Pool | undefined;
    const dashboard = await pool.dashboard();
    try {
      const tasks = pool.load<Tasks>(tasksUrl);
      await withPage(async (page) => {
        const errors: string[] = [];
        page.on('pageerror', (error) => errors.push(error.message));
        await live(page, dashboard.url);

        // A map of 60 tasks of ~25 ms on 2 workers runs for about a second: the bar is read twice as it runs.
        const before = await shownUpdates(page);
        const map = tasks.spin.map(Array<number>(60).fill(25), { chunksize: 1 });
        let settled = false;
        void map.finally(() => (settled = true));
        const poolId = await poolShowing(page, 'map spin');
        const mapId = Number(await page.locator(`[data-pool-id="${poolId}"] .map`).first().getAttribute('data-map-id'));
        await until(async () => (await shownDone(page, poolId, mapId)) > 0, 'the bar to move off zero');
        const first = await shownDone(page, poolId, mapId);
        await until(async () => (await shownDone(page, poolId, mapId)) > first || settled, 'the bar to advance');
        const later = await shownDone(page, poolId, mapId);
        assert.ok(later > first || settled, `the bar went from ${first} to ${later}`);
        assert.ok(!settled || later > first, 'the map ended before the page showed it advance');
        await map;
        await until(async () => (await shownDone(page, poolId, mapId)) === 60, 'the bar to reach the end');
        assert.equal(await page.locator(`[data-pool-id="${poolId}"] [data-map-id="${mapId}"]`).getAttribute('data-state'), 'done');
        assert.ok((await shownUpdates(page)) - before >= 3, 'the page was updated as the map ran');
        // The task stream drew the map's tasks.
        assert.ok(Number(await page.locator(`[data-pool-id="${poolId}"] canvas.stream`).getAttribute('data-segments')) > 0);

        // A task error whose argument is markup: shown as text, nothing of it runs or becomes an element.
        const hostile = '<img src=x onerror="window.__dashboardPwned=1">';
        await assert.rejects(tasks.fail(hostile), TypeError);
        const error = page.locator(`[data-pool-id="${poolId}"] .errors .error`).first();
        await error.waitFor();
        assert.match((await error.textContent()) ?? '', /refused <img src=x onerror="window\.__dashboardPwned=1">/);
        await error.locator('summary').click();
        assert.match((await error.locator('pre').textContent()) ?? '', /\[cause\] TypeError: refused <img[^\n]*\n\s+at fail \(file:.*dashboard-tasks\.js/);
        assert.equal(await page.locator('main img').count(), 0, 'no element was made of the argument');
        assert.equal(await page.evaluate('typeof window.__dashboardPwned'), 'undefined', 'no script of the argument ran');

        // A crash: the worker's row says it restarted and keeps the crash's stack.
        await assert.rejects(tasks.crash('the crash test'), { code: 'ERR_MP_WORKER_CRASHED' });
        const crash = page.locator(`[data-pool-id="${poolId}"] tr[data-worker] .crash`).first();
        await crash.waitFor();
        await crash.locator('summary').click();
        assert.match((await crash.locator('pre').textContent()) ?? '', /RangeError: worker brought down by the crash test/);
        const restarted = page.locator(`[data-pool-id="${poolId}"] tr[data-worker]:has(.crash)`).first();
        await until(async () => Number(await restarted.getAttribute('data-restarts')) === 1, 'the crashed slot to count its restart');

        // A second pool of the process appears by itself.
        const pools = await page.locator('section.pool').count();
        second = new Pool({ workers: 1 });
        await until(async () => (await page.locator('section.pool').count()) > pools, 'the second pool');
        await second.close();
        second = undefined;
        assert.deepEqual(errors, [], 'the page threw nothing');
      });
    } finally {
      await second?.terminate();
      await pool.terminate();
      await dashboard.close();
    }
  });

  it('shows many short maps on the lines it has: the newest maps, no element made per map', async () => {
    const pool = new Pool({ workers: 2 });
    const dashboard = await pool.dashboard();
    try {
      const tasks = pool.load<Tasks>(tasksUrl);
      await withPage(async (page) => {
        await live(page, dashboard.url);
        // The page's own JavaScript (the tests compile without the DOM's types): what map lines it shows, and how
        // many of them carry the mark set on the lines there were before.
        // Only this pool's card: the pools of the test before are still shown, closed.
        const card = `[data-pool-id="${process.pid}-${pool.id}"]`;
        const lines = async (): Promise<{ tagged: number; ids: number[] }> =>
          JSON.parse(String(await page.evaluate(`JSON.stringify((() => {
            const shown = [...document.querySelectorAll('${card} .map')];
            return { tagged: shown.filter((line) => line.tag === true).length, ids: shown.map((line) => Number(line.dataset.mapId)) };
          })())`))) as { tagged: number; ids: number[] };
        // Enough maps to fill every line (8 finished ones are shown), each ending before the next starts.
        for (let i = 0; i < 12; i++) await tasks.inc.map([1, 2, 3, 4]);
        await until(async () => (await lines()).ids.length === 8, 'eight map lines');
        const before = await lines();
        await page.evaluate(`for (const line of document.querySelectorAll('${card} .map')) line.tag = true;`);
        for (let i = 0; i < 20; i++) await tasks.inc.map([1, 2, 3, 4]);
        const newest = Math.max(...before.ids) + 20;
        await until(async () => (await lines()).ids.includes(newest), `map ${newest} on the page`);
        const after = await lines();
        assert.equal(after.ids.length, 8, 'the page shows the last 8 maps, no more');
        assert.deepEqual([...after.ids].sort((a, b) => a - b), Array.from({ length: 8 }, (_, i) => newest - 7 + i), 'the newest maps');
        assert.equal(after.tagged, 8, 'every line is an element that was there before the 20 maps');
      });
    } finally {
      await dashboard.close();
      await pool.close();
    }
  });

  it('shows on the standalone `multiproc dashboard` the pool of another process linked to it', async () => {
    const cli = fixture('../../pkg/main.js');
    const server = startNode(cli, ['dashboard', '--port', '0']);
    let child: ReturnType<typeof startNode> | undefined;
    try {
      const line = await firstLine(server, 20_000);
      const url = /^multiproc dashboard: (\S+)$/.exec(line)?.[1];
      assert.ok(url !== undefined, line);
      await withPage(async (page) => {
        await live(page, url);
        assert.equal(await page.locator('section.pool').count(), 0);
        child = startNode(fixture('dashboard-linked-main.js'), [], { ...process.env, MULTIPROC_DASHBOARD: url });
        const card = page.locator('section.process', { hasText: `pid ${child.pid}` }).locator('section.pool');
        await card.waitFor({ timeout: 20_000 });
        const map = card.locator('.map').first();
        await map.waitFor({ timeout: 20_000 });
        const first = Number(await map.getAttribute('data-done'));
        await until(async () => Number(await map.getAttribute('data-done')) > first, 'the linked map to advance');
        child.stdin?.end('stop\n');
        const result = await finish(child, 30_000);
        assert.equal(result.code, 0, result.stderr);
        await page.locator('section.process.gone', { hasText: `pid ${child.pid}` }).waitFor({ timeout: 20_000 });
        child = undefined;
      });
    } finally {
      child?.kill('SIGKILL');
      server.kill('SIGTERM');
      const [code] = (await once(server, 'exit')) as [number | null];
      assert.equal(code, 0, 'the standalone dashboard stopped on SIGTERM');
    }
  });
});
