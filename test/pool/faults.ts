// The pool's fault suite: crashes, kills, out-of-memory, uncaught errors, timeouts, aborts, a failing
// initializer. Each must reject the affected task with a clear code, replace the worker, and never hang.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Event, Pool, taskRef, WorkerCrashedError, type BackendName } from '../../src/index.js';
import { fixture, waitUntil } from '../helpers/spawn.js';
import { rejection, tasksUrl, withPool, within } from './harness.js';

export function poolFaults(backend: BackendName): void {
  describe(`Pool faults (${backend})`, { timeout: 120_000 }, () => {
    it('a worker that exits fails its task with ERR_MP_WORKER_CRASHED; others go on', () => withPool(backend, {}, async (pool, tasks) => {
      const others = Array.from({ length: 6 }, (_, i) => tasks.slowSquare(i, 20));
      const error = await rejection(tasks.exit(3));
      assert.ok(error instanceof WorkerCrashedError);
      assert.equal(error.code, 'ERR_MP_WORKER_CRASHED');
      assert.equal(error.exitCode, 3);
      assert.deepEqual(await within(Promise.all(others)), [0, 1, 4, 9, 16, 25]);
      assert.equal(await tasks.add(1, 2), 3);
      assert.ok(pool.stats().replaced >= 1);
      assert.equal(pool.stats().workers.filter((worker) => worker.state !== 'gone').length, 2);
    }));

    it('a task module that throws on import fails each of its calls with that error; the pool goes on', () => withPool(backend, {}, async (pool, tasks) => {
      const broken = taskRef(new URL(`file://${fixture('pool-throws-on-import.js')}`), 'never');
      for (let i = 0; i < 3; i++) {
        const error = await rejection(pool.apply(broken, []));
        assert.match(error.message, /this module cannot be imported/);
      }
      assert.equal(await tasks.square(7), 49);
      assert.equal(pool.stats().replaced, 0);
    }));

    it('a result on the slow lane reaches the caller while its worker blocks in the next task', () => withPool(backend, { workers: 1 }, async (_pool, tasks) => {
      // The worker must finish writing the first result before it blocks in the second task: the second
      // task waits for an event set only once the first result has arrived.
      using go = new Event();
      const big = tasks.bigResult(4 << 20, 7);
      const blocked = tasks.blockUntil(go, 15_000);
      const result = await within(big, 10_000, 'the big result');
      assert.equal(result.length, 4 << 20);
      assert.equal(result[result.length - 1], 7);
      go.set();
      assert.equal(await within(blocked), true);
    }));

    it('an uncaught asynchronous error while running crashes only that task', () => withPool(backend, {}, async (_pool, tasks) => {
      const error = await rejection(tasks.uncaughtLater());
      assert.equal(error.code, 'ERR_MP_WORKER_CRASHED');
      assert.equal(await tasks.square(6), 36);
    }));

    it('a worker out of memory fails its task and is replaced', () => withPool(backend, {
      workers: 1, resourceLimits: { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 },
    }, async (_pool, tasks) => {
      const error = await rejection(tasks.allocateForever(), 60_000);
      assert.equal(error.code, 'ERR_MP_WORKER_CRASHED');
      assert.equal(await tasks.square(5), 25);
    }));

    if (backend === 'process') {
      it('a worker process killed with SIGKILL fails its task with the signal', () => withPool(backend, {}, async (_pool, tasks) => {
        const info = await tasks.whoAmI();
        const running = tasks.sleep(10_000);
        await waitUntil(() => _pool.stats().workers.some((worker) => worker.current?.name === 'sleep'), 15_000, 'the task running');
        const stats = _pool.stats();
        const victim = stats.workers.find((worker) => worker.current?.name === 'sleep');
        assert.ok(victim !== undefined && info !== undefined);
        process.kill(victim.pid, 'SIGKILL');
        const error = await rejection(running);
        assert.equal(error.code, 'ERR_MP_WORKER_CRASHED');
        assert.equal((error as WorkerCrashedError).signal, 'SIGKILL');
        assert.equal(await tasks.square(4), 16);
      }));
    }

    it('retries a crashed idempotent task when asked', () => withPool(backend, {}, async (pool, tasks) => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'mp-retry-'));
      try {
        assert.equal(await pool.apply(tasks.exitOnce, [path.join(dir, 'a')], { retries: 1 }), 'done');
        assert.equal((await rejection(tasks.exitOnce(path.join(dir, 'b')))).code, 'ERR_MP_WORKER_CRASHED');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }));

    it('taskTimeout stops an overdue task and replaces its worker', () => withPool(backend, { taskTimeout: 10_000 }, async (pool, tasks) => {
      const started = Date.now();
      const error = await rejection(pool.apply(tasks.sleep, [30_000], { timeout: 150 }));
      assert.equal(error.code, 'ERR_MP_TASK_TIMEOUT');
      assert.ok(Date.now() - started < 5000);
      const spinning = await rejection(pool.apply(tasks.spin, [30_000], { timeout: 150 }));
      assert.equal(spinning.code, 'ERR_MP_TASK_TIMEOUT', 'a busy synchronous task is stopped too');
      assert.equal(await tasks.square(3), 9);
    }));

    it('a result is not held back while its worker runs a task that may be long', () => withPool(backend, { workers: 1, spinMicros: 0 }, async (pool, tasks) => {
      // Known to be short, `square` may be queued deep. The worker holds all three calls; results held back
      // for one wake must be announced before the long spin starts, not after it.
      for (let i = 0; i < 5; i++) await tasks.square(i);
      let longDone = false;
      const first = pool.apply(tasks.spin, [50]);
      const long = pool.apply(tasks.spin, [3000]).then((n) => {
        longDone = true;
        return n;
      });
      const after = pool.apply(tasks.square, [3]);
      assert.equal(typeof (await within(first)), 'number');
      assert.equal(longDone, false, 'the first result came only with the long task\'s');
      assert.equal(typeof (await within(long)), 'number');
      assert.equal(await within(after), 9);
    }));

    it('a signal drops queued work and stops running work', () => withPool(backend, { workers: 1 }, async (pool, tasks) => {
      const controller = new AbortController();
      const running = rejection(pool.apply(tasks.spin, [30_000], { signal: controller.signal }));
      const queued = rejection(pool.apply(tasks.square, [2], { signal: controller.signal }));
      const unrelated = tasks.square(3);
      await waitUntil(() => pool.stats().workers[0]?.current?.name === 'spin', 15_000, 'the spin running');
      controller.abort(new Error('changed my mind'));
      assert.equal((await running).message, 'changed my mind');
      assert.equal((await queued).message, 'changed my mind');
      assert.equal(await within(unrelated), 9);
      const aborted = await rejection(tasks.square.map([1, 2, 3], { signal: AbortSignal.abort() }));
      assert.equal(aborted.name, 'AbortError');
    }));

    it('an initializer that throws fails the calls with a clear error instead of looping', async () => {
      const pool = new Pool({ workers: 2, backend, initializer: taskRef(tasksUrl, 'initThrows') });
      try {
        const error = await rejection(pool.apply(taskRef(tasksUrl, 'square'), [2]));
        assert.equal(error.code, 'ERR_MP_INITIALIZER_FAILED');
        assert.match(error.message, /initializer refused/);
        assert.equal((await rejection(pool.apply(taskRef(tasksUrl, 'square'), [3]))).code, 'ERR_MP_INITIALIZER_FAILED');
        await within(pool.close());
      } finally {
        await within(pool.terminate());
      }
    });

    it('workers that die during start-up fail the pool after a few attempts', async () => {
      const pool = new Pool({ workers: 1, backend, execArgv: ['--require', '/nonexistent/multiproc-preload.cjs'] });
      try {
        const error = await rejection(pool.apply(taskRef(tasksUrl, 'square'), [2]), 30_000);
        assert.equal(error.code, 'ERR_MP_WORKER_CRASHED');
        assert.match(error.message, /start-up/);
      } finally {
        await within(pool.terminate());
      }
    });
  });
}
