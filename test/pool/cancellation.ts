// Cooperative cancellation: a task that sees its abort or time limit (currentTask()) stops by itself and
// keeps its worker; one that ignores it is terminated after the grace period and its worker replaced.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { currentTask, Pool, type BackendName, type LoadedTasks, type WorkerInfo } from '../../src/index.js';
import { waitUntil } from '../helpers/spawn.js';
import { rejection, withPool, within, type TaskModule } from './harness.js';

function sameWorker(a: WorkerInfo | undefined, b: WorkerInfo | undefined): boolean {
  return a !== undefined && b !== undefined && a.pid === b.pid && a.threadId === b.threadId;
}

/** Resolves once a worker of `pool` runs a task named `name`. */
function running(pool: Pool, name: string): Promise<void> {
  return waitUntil(() => pool.stats().workers.some((worker) => worker.current?.name === name), 10_000, `${name} to start`);
}

export function poolCancellation(backend: BackendName): void {
  describe(`Pool cooperative cancellation (${backend})`, { timeout: 120_000 }, () => {
    /** Starts a cooperative task, aborts it (or lets its time limit pass), checks it stopped by itself on the same worker. */
    async function keepsWorker(pool: Pool, tasks: LoadedTasks<TaskModule>, call: (signal: AbortSignal) => Promise<unknown>, name: string,
      abort: ((controller: AbortController) => void) | undefined, expected: { code?: string; message?: string; seen: string }): Promise<void> {
      const before = await within(tasks.whoAmI());
      const controller = new AbortController();
      const stopped = rejection(call(controller.signal));
      const queuedBehind = tasks.square(3);
      if (abort !== undefined) {
        await running(pool, name);
        abort(controller);
      }
      const error = await stopped;
      if (expected.code !== undefined) assert.equal(error.code, expected.code);
      if (expected.message !== undefined) assert.equal(error.message, expected.message);
      assert.equal(await within(queuedBehind), 9, 'the task queued behind it runs');
      const after = await within(tasks.lastAbortSeen());
      assert.equal(after.name, expected.seen, 'the task saw why it was stopped');
      assert.ok(sameWorker(before, after.worker), `the same worker runs on: ${JSON.stringify([before, after.worker])}`);
      assert.equal(pool.stats().replaced, 0);
    }

    it('a synchronous loop polling throwIfAborted stops on abort and keeps its worker', () => withPool(backend, { workers: 1 }, (pool, tasks) =>
      keepsWorker(pool, tasks, (signal) => pool.apply(tasks.cooperativeSpin, [30_000], { signal }), 'cooperativeSpin',
        (controller) => controller.abort(new Error('stop please')), { message: 'stop please', seen: 'AbortError' })));

    it('an asynchronous task listening to its signal stops on abort and keeps its worker', () => withPool(backend, { workers: 1 }, (pool, tasks) =>
      keepsWorker(pool, tasks, (signal) => pool.apply(tasks.cooperativeWait, [30_000], { signal }), 'cooperativeWait',
        (controller) => controller.abort(), { seen: 'AbortError' })));

    it('a time limit takes the same path: the task sees a TimeoutError and keeps its worker', () => withPool(backend, { workers: 1 }, async (pool, tasks) => {
      await keepsWorker(pool, tasks, () => pool.apply(tasks.cooperativeSpin, [30_000], { timeout: 200 }), 'cooperativeSpin',
        undefined, { code: 'ERR_MP_TASK_TIMEOUT', seen: 'TimeoutError' });
      await keepsWorker(pool, tasks, () => pool.apply(tasks.cooperativeWait, [30_000], { timeout: 200 }), 'cooperativeWait',
        undefined, { code: 'ERR_MP_TASK_TIMEOUT', seen: 'TimeoutError' });
    }));

    it('a task ignoring the abort is terminated after the grace period and its worker replaced', () => withPool(backend, { workers: 1, abortGraceMs: 300 }, async (pool, tasks) => {
      const before = await within(tasks.whoAmI());
      const controller = new AbortController();
      const stopped = rejection(pool.apply(tasks.spin, [30_000], { signal: controller.signal }));
      await running(pool, 'spin');
      controller.abort(new Error('stop now'));
      assert.equal((await stopped).message, 'stop now');
      assert.equal(pool.stats().replaced, 0, 'the caller is answered at abort time, before the grace period ends');
      await waitUntil(() => pool.stats().replaced === 1, 10_000, 'the worker to be replaced');
      const after = await within(tasks.whoAmI());
      assert.ok(!sameWorker(before, after), 'the next task runs on a new worker');
      const timedOut = await rejection(pool.apply(tasks.sleep, [30_000], { timeout: 100 }));
      assert.equal(timedOut.code, 'ERR_MP_TASK_TIMEOUT');
      await waitUntil(() => pool.stats().replaced === 2, 10_000, 'the timed-out worker to be replaced');
      assert.equal(await within(tasks.square(4)), 16);
    }));

    it('abortGraceMs: 0 terminates at once, even a cooperative task', () => withPool(backend, { workers: 1, abortGraceMs: 0 }, async (pool, tasks) => {
      const before = await within(tasks.whoAmI());
      assert.equal((await rejection(pool.apply(tasks.cooperativeSpin, [30_000], { timeout: 100 }))).code, 'ERR_MP_TASK_TIMEOUT');
      await waitUntil(() => pool.stats().replaced === 1, 10_000, 'the worker to be replaced');
      assert.ok(!sameWorker(before, await within(tasks.whoAmI())));
    }));

    it('currentTask() is undefined outside a task; abortGraceMs is validated', () => {
      assert.equal(currentTask(), undefined);
      assert.throws(() => new Pool({ backend, abortGraceMs: -1 }), { name: 'RangeError', message: /`abortGraceMs` to be a non-negative finite number/ });
      assert.throws(() => new Pool({ backend, abortGraceMs: Infinity }), /abortGraceMs/);
    });
  });
}
