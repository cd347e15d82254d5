// Pool insights on both backends, with real workers: the figures agree with what ran (tasks, items, times
// of tasks known to take at least so long, the longest tasks), crashes with their stacks, restarts, memory,
// the printed table, and a pool without insights refusing with its code.
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { Pool, type BackendName, type LoadedTasks, type PoolInsights, type PoolOptions } from '../src/index.js';
import { fixture, waitUntil } from './helpers/spawn.js';
import { rejection, within } from './pool/harness.js';
import type * as Tasks from './fixtures/insights-tasks.js';

const tasksUrl = new URL(`file://${fixture('insights-tasks.js')}`);
/** A timer may fire up to a millisecond early by the worker's finer clock. */
const timerSlackMs = 2;

async function withInsights(backend: BackendName, options: PoolOptions, body: (pool: Pool, tasks: LoadedTasks<typeof Tasks>) => Promise<void>): Promise<void> {
  const pool = new Pool({ workers: 2, ...options, backend, insights: true });
  try {
    await within(body(pool, pool.load<typeof Tasks>(tasksUrl)), 60_000, 'the test body');
  } finally {
    await within(pool.terminate(), 10_000, 'terminate()');
  }
}

/** Only plain data: numbers, strings, booleans, null, undefined, arrays and plain objects, all the way down. */
function assertPlain(value: unknown, where = 'insights'): void {
  if (value === null || value === undefined || ['number', 'string', 'boolean'].includes(typeof value)) return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => assertPlain(item, `${where}[${i}]`));
    return;
  }
  assert.equal(typeof value, 'object', `${where} is ${typeof value}`);
  assert.equal(Object.getPrototypeOf(value), Object.prototype, `${where} is a plain object`);
  for (const [key, item] of Object.entries(value)) assertPlain(item, `${where}.${key}`);
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** The totals, means and ratios agree with the worker rows (when no row was dropped). */
function assertConsistent(insights: PoolInsights): void {
  const rows = insights.workers;
  assert.equal(insights.tasksCompleted, sum(rows.map((row) => row.tasksCompleted)), 'tasks completed per worker sum to the total');
  assert.equal(insights.tasksPerWorker.total, insights.tasksCompleted);
  assert.equal(insights.items, sum(rows.map((row) => row.items)));
  const parts = [['startup', 'startupMs'], ['init', 'initMs'], ['waiting', 'waitingMs'], ['working', 'workingMs'], ['exit', 'exitMs']] as const;
  let ratios = 0;
  for (const [part, field] of parts) {
    const figure = insights[part];
    const total = sum(rows.map((row) => row[field]));
    assert.ok(Math.abs(figure.totalMs - total) < 1e-6 * Math.max(1, total), `${part}: ${figure.totalMs} = ${total}`);
    assert.ok(Math.abs(figure.meanMs - total / rows.length) < 1e-6 * Math.max(1, total), `${part} mean`);
    assert.ok(figure.stdMs >= 0);
    assert.ok(figure.ratio >= 0 && figure.ratio <= 1);
    ratios += figure.ratio;
  }
  assert.ok(Math.abs(ratios - 1) < 1e-9, `the five ratios make the whole (${ratios})`);
  assert.ok(Math.abs(insights.totalMs - sum(parts.map(([part]) => insights[part].totalMs))) < 1e-6 * Math.max(1, insights.totalMs));
  for (const row of rows) {
    assert.ok(row.busyRatio >= 0 && row.busyRatio <= 1);
    assert.ok(row.waitingMs >= 0 && row.workingMs >= 0 && row.startupMs >= 0);
  }
}

for (const backend of ['thread', 'process'] as BackendName[]) {
  describe(`pool insights (${backend})`, { timeout: 120_000 }, () => {
    it('counts every task once, times the known-long ones at least as long, and names them as the longest', () => withInsights(backend, {
      initializer: { url: tasksUrl.href, name: 'slowInit' }, initargs: [60],
    }, async (pool, tasks) => {
      const sleeps = [400, 300, 200, 150, 100];
      const calls: Promise<number>[] = sleeps.map((ms) => tasks.sleep(ms));
      for (let i = 0; i < 20; i++) calls.push(tasks.add(i, i));
      await within(Promise.all(calls));
      const items = Array.from({ length: 40 }, (_, i) => i);
      assert.deepEqual(await tasks.square.map(items, { chunksize: 4 }), items.map((x) => x * x));
      const insights = pool.insights();
      assertPlain(insights);
      assert.doesNotThrow(() => JSON.stringify(insights));
      assert.equal(insights.poolId, pool.id);
      assert.equal(insights.backend, backend);
      assert.equal(insights.workerCount, 2);
      assert.equal(insights.state, 'running');
      // 5 sleeps, 20 calls, 10 chunks of 4.
      assert.equal(insights.tasksCompleted, 35);
      assert.equal(insights.items, 65);
      assert.equal(insights.tasksFailed, 0);
      assertConsistent(insights);
      assert.ok(insights.working.totalMs >= sum(sleeps) - sleeps.length * timerSlackMs, `working ${insights.working.totalMs} ms covers the sleeps`);
      for (const row of insights.workers) {
        assert.equal(row.state, 'ready');
        assert.ok(row.initMs >= 60 - timerSlackMs, `the initializer slept 60 ms (${row.initMs})`);
        assert.ok(row.readyAt !== undefined && row.readyAt >= row.spawnedAt);
      }
      assert.deepEqual(insights.topTasks.map((task) => task.args), sleeps.map((ms) => `[ ${ms} ]`), 'the five sleeps, longest first');
      for (const task of insights.topTasks) {
        assert.equal(task.name, 'sleep');
        assert.ok(task.runMs >= Number(/\d+/.exec(task.args)![0]) - timerSlackMs);
      }
      assert.ok(insights.topTasks.every((task, i) => i === 0 || task.runMs <= insights.topTasks[i - 1]!.runMs));
      const [map] = insights.maps;
      assert.equal(map?.state, 'done');
      assert.equal(map?.name, 'square');
      assert.equal(map?.done, 40);
      assert.equal(map?.total, 40);
      assert.deepEqual(insights.restarts, { total: 0, retired: 0, crashed: 0, killed: 0 });
      assert.equal(insights.crashes.total, 0);
      assert.equal(insights.queue.waiting, 0);
      assert.equal(insights.queue.inflight, 0);
      assert.ok(insights.queue.peakWaiting >= 1);
      assert.ok(insights.eventLoop.utilization >= 0 && insights.eventLoop.utilization <= 1);
      assert.ok(insights.eventLoop.delayMaxMs >= insights.eventLoop.delayMeanMs);
    }));

    it('each worker reports its own memory; a thread shares its rss with the process', () => withInsights(backend, {}, async (pool, tasks) => {
      assert.equal(await tasks.add(1, 1), 2);
      await waitUntil(() => pool.insights().workers.every((row) => row.memory !== undefined), 20_000, 'a memory sample from every worker');
      const rows = pool.insights().workers;
      for (const row of rows) {
        assert.ok(row.memory!.rss > 0 && row.memory!.heapUsed > 0 && row.memory!.heapTotal >= row.memory!.heapUsed);
        assert.equal(row.memory!.rssScope, backend === 'thread' ? 'process' : 'worker');
      }
      if (backend === 'process') assert.notEqual(rows[0]!.pid, rows[1]!.pid);
    }));

    it('a crash is counted with its worker-side stack, and its replacement as a restart', () => withInsights(backend, {}, async (pool, tasks) => {
      assert.equal((await rejection(tasks.crashLater())).code, 'ERR_MP_WORKER_CRASHED');
      await waitUntil(() => pool.insights().restarts.total === 1, 20_000, 'the replacement');
      const insights = pool.insights();
      assert.equal(insights.crashes.total, 1);
      const [crash] = insights.crashes.recent;
      assert.equal(crash?.task?.name, 'crashLater');
      assert.equal(crash?.error?.message, 'crashed on purpose');
      assert.match(crash?.stack ?? '', /crashed on purpose/);
      assert.match(crash?.stack ?? '', /insights-tasks\.js/);
      assert.deepEqual(insights.restarts, { total: 1, retired: 0, crashed: 1, killed: 0 });
      const gone = insights.workers.filter((row) => row.state === 'gone');
      assert.equal(gone.length, 1);
      assert.equal(gone[0]?.exit?.reason, 'crashed');
      assert.equal(gone[0]?.workerId, crash?.workerId);
      assert.equal(insights.workers.filter((row) => row.state !== 'gone').length, 2);
      assert.equal(insights.tasksCompleted, 0, 'a crashed task is not completed');
    }));

    it('recycling by maxTasksPerWorker counts each replacement as a retired restart', () => withInsights(backend, { workers: 1, maxTasksPerWorker: 3 }, async (pool, tasks) => {
      for (let i = 0; i < 9; i++) assert.equal(await tasks.add(i, 1), i + 1);
      await waitUntil(() => pool.insights().restarts.total >= 3, 20_000, 'the third replacement');
      const insights = pool.insights();
      assert.equal(insights.restarts.retired, insights.restarts.total);
      assert.equal(insights.restarts.crashed, 0);
      assert.equal(insights.crashes.total, 0);
      assert.equal(insights.tasksCompleted, 9);
      assertConsistent(insights);
      const gone = insights.workers.filter((row) => row.state === 'gone');
      assert.equal(gone.length, 3);
      for (const row of gone) {
        assert.equal(row.exit?.reason, 'retired');
        assert.equal(row.tasksCompleted, 3);
      }
    }));

    it('a task killed at its time limit counts a killed restart, not a crash', () => withInsights(backend, { abortGraceMs: 0 }, async (pool, tasks) => {
      assert.equal((await rejection(tasks.sleep.with({ timeout: 100 })(30_000))).code, 'ERR_MP_TASK_TIMEOUT');
      await waitUntil(() => pool.insights().restarts.total === 1, 20_000, 'the replacement');
      const insights = pool.insights();
      assert.deepEqual(insights.restarts, { total: 1, retired: 0, crashed: 0, killed: 1 });
      assert.equal(insights.crashes.total, 0);
      assert.equal(insights.tasksFailed, 0, 'the worker never answered the task');
    }));

    it('stays readable after close: every worker gone with its exit time, the pool closed', () => withInsights(backend, {}, async (pool, tasks) => {
      await Promise.all([tasks.sleep(20), tasks.sleep(20), tasks.add(1, 2)]);
      await within(pool.close());
      const insights = pool.insights();
      assert.equal(insights.state, 'closed');
      assert.equal(insights.workers.length, 2);
      for (const row of insights.workers) {
        assert.equal(row.state, 'gone');
        assert.equal(row.exit?.reason, 'closed');
        assert.ok(row.exitedAt !== undefined && row.exitedAt >= row.spawnedAt);
      }
      assert.equal(insights.tasksCompleted, 3);
      assertConsistent(insights);
      const later = pool.insights();
      assert.equal(later.working.totalMs, insights.working.totalMs, 'nothing moves once the pool is gone');
      assert.equal(later.waiting.totalMs, insights.waiting.totalMs);
    }));

    it('printInsights() prints the table to stdout and returns the same text', () => withInsights(backend, {}, async (pool, tasks) => {
      await Promise.all([tasks.sleep(30), tasks.add(1, 2), tasks.crashLater().catch(() => undefined)]);
      const written: unknown[] = [];
      const write = mock.method(process.stdout, 'write', (chunk: unknown) => written.push(chunk) > 0);
      let text: string;
      try {
        text = pool.printInsights();
      } finally {
        write.mock.restore();
      }
      assert.deepEqual(written, [text]);
      assert.match(text, new RegExp(`^Pool ${pool.id} insights \\(${backend}, 2 workers, running\\)`));
      for (const title of ['Start-up time', 'Initializer time', 'Waiting time', 'Working time', 'Exit time', 'Top 5 longest tasks', 'Crashes']) {
        assert.ok(text.includes(title), `the text has ${title}`);
      }
      assert.match(text, /1\. \S+ sleep on worker \d+: \[ 30 \]/);
      assert.match(text, /crashed on purpose/);
    }));
  });
}

describe('pool insights off', () => {
  it('insights() and printInsights() throw ERR_MP_INSIGHTS_DISABLED on a pool created without insights: true', async () => {
    const pool = new Pool({ workers: 1 });
    try {
      assert.throws(() => pool.insights(), { code: 'ERR_MP_INSIGHTS_DISABLED' });
      assert.throws(() => pool.printInsights(), { code: 'ERR_MP_INSIGHTS_DISABLED' });
      // It stays off: running tasks does not turn it on.
      const tasks = pool.load<typeof Tasks>(tasksUrl);
      assert.equal(await within(tasks.add(1, 2)), 3);
      assert.throws(() => pool.insights(), { code: 'ERR_MP_INSIGHTS_DISABLED' });
    } finally {
      await within(pool.terminate());
    }
  });
});
