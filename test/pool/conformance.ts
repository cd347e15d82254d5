// The pool's conformance suite: every behaviour a user relies on, run once per backend.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AsyncResult, currentWorker, Event, Pool, RemoteError, RemoteStack, taskRef, type BackendName, type Progress,
} from '../../src/index.js';
import { ValidationError } from '../fixtures/pool-tasks.js';
import { fixture, runNode, waitUntil } from '../helpers/spawn.js';
import { rejection, tasksUrl, withPool, within } from './harness.js';

export function poolConformance(backend: BackendName): void {
  describe(`Pool conformance (${backend})`, { timeout: 120_000 }, () => {
    it('applies typed tasks, sync and async, and a decorated export', () => withPool(backend, {}, async (pool, tasks) => {
      assert.equal(await tasks.add(2, 3), 5);
      const squared: number = await tasks.slowSquare(7, 1);
      assert.equal(squared, 49);
      assert.equal(await pool.apply(taskRef<(a: number, b: number) => number>(tasksUrl, 'add'), [40, 2]), 42);
      const timed = await tasks.timedSquare(9);
      assert.equal(timed.result, 81);
      assert.ok(timed.ms >= 0 && timed.ms < 60_000, `measured ${timed.ms} ms`);
      const spun = await tasks.timedSpin(25);
      assert.ok(spun.result > 0, 'the wrapped function ran');
      assert.ok(spun.ms >= 25, `the wrapper measured the whole 25 ms spin, got ${spun.ms} ms`);
      assert.equal(currentWorker(), undefined, 'the main thread is not a pool worker');
    }));

    it('maps with automatic and fixed chunks, starmaps, and accepts async iterables', () => withPool(backend, {}, async (pool, tasks) => {
      const items = Array.from({ length: 1000 }, (_, i) => i);
      assert.deepEqual(await tasks.square.map(items), items.map((x) => x * x));
      assert.deepEqual(await tasks.square.map(items, { chunksize: 7 }), items.map((x) => x * x));
      assert.deepEqual(await tasks.slowSquare.map([1, 2, 3], { chunksize: 2 }), [1, 4, 9]);
      assert.deepEqual(await tasks.add.starmap([[1, 2], [3, 4], [5, 6]]), [3, 7, 11]);
      assert.deepEqual(await pool.starmap(tasks.add, [[10, 1]]), [11]);
      assert.deepEqual(await tasks.square.map([]), []);
      async function* numbers(): AsyncGenerator<number> {
        for (let i = 0; i < 50; i++) yield await Promise.resolve(i);
      }
      assert.deepEqual(await tasks.square.map(numbers()), items.slice(0, 50).map((x) => x * x));
      const mapped = pool.mapAsync(tasks.square, [2, 3]);
      assert.ok(mapped instanceof AsyncResult);
      assert.deepEqual(await mapped.get(10_000), [4, 9]);
    }));

    it('completes bursts of short calls mixed with sequential ones (batched and single frames)', () => withPool(backend, {}, async (_pool, tasks) => {
      for (let round = 0; round < 4; round++) {
        const burst = await Promise.all(Array.from({ length: 5000 }, (_, i) => tasks.increment(i)));
        assert.equal(burst[4999], 5000);
        for (let i = 0; i < 50; i++) assert.equal(await tasks.increment(i), i + 1);
        await new Promise((resolve) => setTimeout(resolve, 5 * round));
      }
      const mixed = await Promise.all([tasks.add(1, 2), tasks.increment(1), tasks.square(3), tasks.increment(2), tasks.fail('x').catch(() => 'failed')]);
      assert.deepEqual(mixed, [3, 2, 9, 3, 'failed']);
    }));

    it('settles each of a burst of millisecond calls (batched up to 12 ms) on its own', () => withPool(backend, {}, async (_pool, tasks) => {
      // A few calls first, so the pool knows the function's calls are short.
      for (let i = 0; i < 3; i++) await tasks.spinThenId(1, i);
      const settled = await Promise.allSettled(Array.from({ length: 60 }, (_, i) => tasks.spinThenId(1, i)));
      const ids = settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
      assert.equal(ids.length, 59);
      assert.equal(new Set(ids).size, 59, 'every call ran as its own task');
      const failed = settled[13]!;
      assert.ok(failed.status === 'rejected' && failed.reason instanceof RangeError && failed.reason.message === 'unlucky 13');
    }));

    it('imap reads an endless generator lazily, in order, with a bounded number in flight', () => withPool(backend, {}, async (_pool, tasks) => {
      let produced = 0;
      function* endless(): Generator<number> {
        for (;;) yield produced++;
      }
      const seen: number[] = [];
      for await (const value of tasks.square.imap(endless())) {
        seen.push(value);
        if (seen.length === 300) break;
      }
      assert.deepEqual(seen, Array.from({ length: 300 }, (_, i) => i * i));
      assert.ok(produced < 300 + 6 * 4096, `read ${produced} items for 300 results`);
      const small: number[] = [];
      for await (const value of tasks.slowSquare.imap([3, 1, 2], { chunksize: 1 })) small.push(value);
      assert.deepEqual(small, [9, 1, 4]);
    }));

    it('imapUnordered yields every result as it completes', () => withPool(backend, {}, async (_pool, tasks) => {
      const results: number[] = [];
      for await (const value of tasks.square.imapUnordered(Array.from({ length: 200 }, (_, i) => i), { chunksize: 3 })) results.push(value);
      assert.deepEqual(results.sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i * i).sort((a, b) => a - b));
      const shuffled: number[] = [];
      for await (const value of tasks.square.imapUnordered([1, 2, 3, 4], { order: 'shuffle' })) shuffled.push(value);
      assert.deepEqual(shuffled.sort((a, b) => a - b), [1, 4, 9, 16]);
    }));

    it('returns task errors as their own class with the worker stack as cause', () => withPool(backend, {}, async (_pool, tasks) => {
      const error = await rejection(tasks.fail('bad input'));
      assert.ok(error instanceof RangeError);
      assert.equal(error.message, 'bad input');
      assert.ok(error.cause instanceof RemoteStack);
      assert.match((error.cause).stack ?? '', /fail/);
      const later = await rejection(tasks.failLater('async bad'));
      assert.ok(later instanceof TypeError);
      const thrown = await rejection(tasks.throwString());
      assert.ok(thrown instanceof RemoteError);
      assert.equal((thrown).value, 'just a string');
      assert.equal((await rejection(tasks.failOn.map([1, 2, 13, 4], { chunksize: 1 }))).message, 'unlucky 13');
      const custom = await rejection(tasks.failValidation('field x'));
      assert.ok(custom instanceof ValidationError, `a ${custom.constructor.name}`);
      assert.equal(custom.field, 'field x');
      const untyped = tasks as unknown as Record<string, () => Promise<unknown>>;
      const missing = await rejection(untyped['nothingHere']!());
      assert.equal(missing.code, 'ERR_MP_TASK_NOT_FOUND');
      assert.match(missing.message, /no exported function `nothingHere`/);
      assert.match((await rejection(untyped['notAFunction']!())).message, /no exported function `notAFunction` \(found number\)/);
      assert.equal(await tasks.add(1, 1), 2, 'the workers go on');
    }));

    it('moves big and transferred payloads through the slow lane', () => withPool(backend, {}, async (pool, tasks) => {
      const big = new Float64Array(1 << 18).fill(1);
      assert.equal(await tasks.sum(big), big.length);
      const moved = new Float64Array(1000).fill(2);
      assert.equal(await pool.apply(tasks.sum, [moved], { transfer: [moved.buffer] }), 2000);
      if (backend === 'thread') assert.equal(moved.buffer.byteLength, 0, 'a transferred buffer is detached');
      const results = await tasks.sum.map(Array.from({ length: 4 }, () => new Float64Array(100_000).fill(3)), { chunksize: 1 });
      assert.deepEqual(results, [300_000, 300_000, 300_000, 300_000]);
      await tasks.increment(1);
      const burst = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => tasks.sum(new Float64Array(50_000).fill(n))));
      assert.deepEqual(burst, [50_000, 100_000, 150_000, 200_000, 250_000, 300_000], 'calls with out-of-band buffers are never batched');
    }));

    it('tells a task which worker runs it', () => withPool(backend, {}, async (_pool, tasks) => {
      const infos = await tasks.whoAmI.map(Array.from({ length: 40 }, () => undefined), { chunksize: 1 });
      for (const info of infos) {
        assert.ok(info !== undefined && (info.index === 0 || info.index === 1));
        if (backend === 'process') assert.notEqual(info.pid, process.pid);
        else assert.ok(info.pid === process.pid && info.threadId > 0);
      }
    }));

    it('runs the initializer once per worker with its initargs', () => withPool(backend, {
      initializer: taskRef(tasksUrl, 'init'), initargs: ['port', 8080],
    }, async (_pool, tasks) => {
      const states = await tasks.initState.map(Array.from({ length: 20 }, () => undefined), { chunksize: 1 });
      for (const state of states) {
        assert.deepEqual(state.args, ['port', 8080]);
        assert.equal(state.count, 1);
      }
    }));

    it('recycles workers after maxTasksPerWorker without losing queued work', () => withPool(backend, { maxTasksPerWorker: 2 }, async (pool, tasks) => {
      const infos = await Promise.all(Array.from({ length: 8 }, () => tasks.whoAmI()));
      const ids = new Set(infos.map((info) => `${info?.pid}:${info?.threadId}`));
      assert.ok(ids.size >= 4, `8 tasks at 2 per worker need at least 4 workers, saw ${ids.size}`);
      assert.deepEqual(await tasks.square.map([1, 2, 3, 4, 5], { chunksize: 1 }), [1, 4, 9, 16, 25]);
      assert.equal(pool.stats().workers.length, 2);
    }));

    it('gives async results with get(timeout), ready() and successful()', () => withPool(backend, {}, async (_pool, tasks) => {
      const result = tasks.slowSquare.applyAsync(4, 50);
      assert.equal(result.ready(), false);
      assert.throws(() => result.successful(), { code: 'ERR_MP_NOT_READY' });
      assert.equal(await result.get(10_000), 16);
      assert.equal(result.ready(), true);
      assert.equal(result.successful(), true);
      const slow = tasks.sleep.applyAsync(500);
      assert.equal((await rejection(slow.get(20))).code, 'ERR_MP_TIMEOUT');
      assert.equal(await slow.get(), 500);
      const failed = tasks.fail.applyAsync('no');
      assert.equal(await failed.wait(10_000), true);
      assert.equal(failed.successful(), false);
    }));

    it('orders submissions: longest-first by cost, shuffle, results still in input order', async () => {
      const pool = new Pool({ workers: 1, backend });
      try {
        const tasks = pool.load<import('./harness.js').TaskModule>(tasksUrl);
        const items = ['a', 'bbbb', 'cc', 'ddddddd', 'eee'];
        const ranks = await within(tasks.nextNumber.map(items, { order: 'longest-first', chunksize: 1 }));
        const byRank = items.map((item, i) => [ranks[i]!, item] as const).sort((a, b) => a[0] - b[0]).map(([, item]) => item);
        assert.deepEqual(byRank, ['ddddddd', 'bbbb', 'eee', 'cc', 'a']);
        const costRanks = await within(tasks.nextNumber.map([1, 2, 3], { order: 'longest-first', cost: (x) => -(x as number), chunksize: 1 }));
        assert.ok(costRanks[0]! < costRanks[1]! && costRanks[1]! < costRanks[2]!);
        assert.deepEqual(await within(tasks.square.map([1, 2, 3, 4, 5, 6], { order: 'shuffle', chunksize: 1 })), [1, 4, 9, 16, 25, 36]);
      } finally {
        await within(pool.terminate());
      }
    });

    it('reports progress and stats', () => withPool(backend, {}, async (pool, tasks) => {
      {
        // Both workers blocked with more tasks behind them: each submitted task is queued or handed out, none done.
        using go = new Event();
        const blocked = [tasks.blockUntil(go, 30_000), tasks.blockUntil(go, 30_000)];
        await waitUntil(() => pool.stats().workers.every((worker) => worker.current?.name === 'blockUntil'), 15_000, 'both workers blocked');
        const waiting = Array.from({ length: 20 }, (_, i) => tasks.square(i));
        const stats = pool.stats();
        assert.equal(stats.backend, backend);
        assert.equal(stats.workers.length, 2);
        assert.equal(stats.queued + stats.inflight, 22, JSON.stringify(stats));
        assert.ok(stats.inflight >= 2, 'the two running tasks are in flight');
        assert.ok(stats.queued >= 20 - 2 * 2, `workers take at most two tasks ahead before any has finished: ${JSON.stringify(stats)}`);
        assert.equal(stats.workers.reduce((sum, worker) => sum + worker.tasksDone, 0), 0, 'nothing finished while they block');
        go.set();
        assert.deepEqual(await within(Promise.all(blocked)), [true, true]);
        assert.deepEqual(await within(Promise.all(waiting)), Array.from({ length: 20 }, (_, i) => i * i));
        const after = pool.stats();
        assert.deepEqual([after.queued, after.inflight], [0, 0]);
        assert.equal(after.workers.reduce((sum, worker) => sum + worker.tasksDone, 0), 22);
      }
      const updates: Progress[] = [];
      await tasks.square.map(Array.from({ length: 100 }, (_, i) => i), { chunksize: 10, onProgress: (p) => updates.push(p) });
      assert.equal(updates.length, 10);
      assert.deepEqual(updates.at(-1) && [updates.at(-1)!.done, updates.at(-1)!.total], [100, 100]);
      const lazy: Progress[] = [];
      for await (const _ of tasks.square.imap([1, 2, 3], { chunksize: 1, onProgress: (p) => lazy.push(p) })) void _;
      assert.equal(lazy.at(-1)?.done, 3);
      assert.equal(pool.stats().workers.reduce((sum, worker) => sum + worker.tasksDone, 0), 22 + 10 + 3, 'chunks count once');
    }));

    it('passes env to the workers', () => withPool(backend, { env: { ...process.env, MP_TEST_VALUE: 'from-options' } }, async (_pool, tasks) => {
      assert.equal(await tasks.env('MP_TEST_VALUE'), 'from-options');
    }));

    it('close() waits for running work; calls after it reject; join() needs close first', async () => {
      const pool = new Pool({ workers: 2, backend });
      const tasks = pool.load<import('./harness.js').TaskModule>(tasksUrl);
      assert.equal((await rejection(pool.join())).code, 'ERR_MP_POOL_RUNNING');
      const pending = [tasks.sleep(200), tasks.sleep(100), tasks.square(3)];
      const closed = pool.close();
      assert.equal((await rejection(tasks.square(2))).code, 'ERR_MP_POOL_CLOSED');
      assert.deepEqual(await within(Promise.all(pending)), [200, 100, 9]);
      await within(closed);
      await within(pool.join());
    });

    it('terminate() rejects running and queued tasks with ERR_MP_POOL_TERMINATED', async () => {
      const pool = new Pool({ workers: 1, backend });
      const tasks = pool.load<import('./harness.js').TaskModule>(tasksUrl);
      await within(tasks.square(1));
      const running = rejection(tasks.sleep(5000));
      const queued = rejection(tasks.square(2));
      await waitUntil(() => pool.stats().workers[0]?.current?.name === 'sleep', 15_000, 'the sleep running');
      await within(pool.terminate());
      assert.equal((await running).code, 'ERR_MP_POOL_TERMINATED');
      assert.equal((await queued).code, 'ERR_MP_POOL_TERMINATED');
      assert.equal((await rejection(tasks.square(3))).code, 'ERR_MP_POOL_TERMINATED');
    });

    it('lets the program exit by itself, closed or forgotten', async () => {
      for (const mode of ['close', 'forget']) {
        const result = await runNode(fixture('pool-exit-main.js'), [backend, mode], 30_000);
        assert.equal(result.code, 0, `${mode}: ${result.stderr}`);
        assert.equal(result.stdout.trim(), '81');
      }
    });

    it('await using terminates at the end of the block: a stuck task is rejected and its worker is gone', async () => {
      let pool: Pool | undefined;
      let stuck: Promise<unknown> | undefined;
      let left = 0;
      {
        await using scoped = new Pool({ workers: 1, backend });
        pool = scoped;
        assert.equal(await within(scoped.apply(taskRef(tasksUrl, 'square'), [5])), 25);
        stuck = scoped.apply(taskRef(tasksUrl, 'spin'), [60_000]);
        stuck.catch(() => {});
        await waitUntil(() => scoped.stats().workers[0]?.current?.name === 'spin', 10_000, 'the stuck task to start');
        left = Date.now();
      }
      const ms = Date.now() - left;
      assert.ok(ms < 3000, `leaving the block took ${ms} ms`);
      assert.equal((await rejection(stuck)).code, 'ERR_MP_POOL_TERMINATED');
      assert.equal(pool.stats().state, 'terminated');
      const [worker] = pool.stats().workers;
      assert.equal(worker?.state, 'gone');
      if (backend === 'process') assert.throws(() => process.kill(worker.pid, 0), { code: 'ESRCH' }, 'the worker process is gone');
    });

    it('await using after close() only waits: the queued work finished and the pool stays closed', async () => {
      let pool: Pool | undefined;
      let queued: Promise<unknown>[] = [];
      {
        await using scoped = new Pool({ workers: 1, backend });
        pool = scoped;
        queued = [1, 2, 3].map((x) => scoped.apply(taskRef(tasksUrl, 'slowSquare'), [x, 50]));
        await within(scoped.close());
      }
      assert.deepEqual(await Promise.all(queued), [1, 4, 9]);
      assert.equal(pool.stats().state, 'closed');
    });

    it('validates its arguments', async () => {
      assert.throws(() => new Pool({ workers: 0, backend }), { name: 'RangeError', message: 'Expected `workers` to be a positive integer, got `0` (number)' });
      assert.throws(() => new Pool({ backend: 'fiber' as BackendName }), TypeError);
      assert.throws(() => new Pool({ backend, chunksize: 0 }), /chunksize/);
      assert.throws(() => new Pool({ backend, order: 'random' as 'fifo' }), /order/);
      assert.throws(() => new Pool({ backend, taskTimeout: -1 }), /taskTimeout/);
      await withPool(backend, { workers: 1 }, async (pool, tasks) => {
        await assert.rejects(pool.apply((() => 1) as never, [] as never), /task reference/);
        await assert.rejects(tasks.square.map([1], { chunksize: -2 }), /chunksize/);
        await assert.rejects(pool.map(tasks.square, 5 as never), /iterable/);
        assert.throws(() => tasks.square.imap([1], { order: 'random' as 'fifo' }), /order/);
      });
    });
  });
}
