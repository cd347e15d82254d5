// The parts of Python's Pool API beyond task references: functions passed as they are, per-call options on
// bound tasks, starmapAsync and the callbacks, 'auto' chunks for long tasks, and a pool dropped unclosed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Pool, RawArray, type BackendName } from '../src/index.js';
import { autoChunks, measuredChunksize } from '../src/pool/chunking.js';
import { cube, countedSleep, echoArgs, pair, unregistered } from './fixtures/pool-api-tasks.js';
import { fixture, runNode } from './helpers/spawn.js';
import { rejection, withPool, within } from './pool/harness.js';

const backends: BackendName[] = ['thread', 'process'];
const tasksDone = (pool: Pool): number => pool.stats().workers.reduce((sum, worker) => sum + worker.tasksDone, 0);

for (const backend of backends) {
  describe(`pool API (${backend})`, () => {
    it('takes an exported, registered function where it takes a task reference', async () => {
      await withPool(backend, {}, async (pool) => {
        assert.equal(await pool.apply(cube, [3]), 27);
        assert.deepEqual(await pool.map(cube, [1, 2, 3, 4]), [1, 8, 27, 64]);
        assert.deepEqual(await pool.starmap(pair, [[1, 'a'], [2, 'b']]), ['a1', 'b2']);
        const lazy: number[] = [];
        for await (const value of pool.imap(cube, [5, 6])) lazy.push(value);
        assert.deepEqual(lazy, [125, 216]);
        assert.deepEqual(await pool.bind(cube).map([7]), [343]);
        assert.equal(await pool.applyAsync(cube, [2]).get(), 8);
      });
    });

    it('rejects a closure or an unregistered function, naming it and the fix; an initializer says initializer', async () => {
      await withPool(backend, {}, async (pool) => {
        const offset = 1;
        const closure = (x: number): number => x + offset;
        const error = await rejection(pool.apply(closure, [1]));
        assert.ok(error instanceof TypeError);
        assert.match(error.message, /`task` is the function `closure`.*registerFunction\(closure, import\.meta\.url\).*taskRef\(moduleUrl, 'closure'\)/);
        await assert.rejects(pool.map(unregistered, [1]), { name: 'TypeError', message: /`task` is the function `unregistered`/ });
        assert.throws(() => pool.bind(closure), { message: /`task` is the function `closure`/ });
        assert.equal(tasksDone(pool), 0, 'nothing ran');
      });
      const setUp = (): void => undefined;
      assert.throws(() => new Pool({ workers: 1, initializer: setUp as never }), { name: 'TypeError', message: /`initializer` is the function `setUp`/ });
    });

    it('bound tasks take per-call options through with(), and the arguments stay the arguments', async () => {
      await withPool(backend, {}, async (pool, tasks) => {
        // An options object passed to a bound task is an argument, as any other value.
        assert.deepEqual(await pool.bind(echoArgs).with({ timeout: 10_000 })(1, { timeout: 5 }), [1, { timeout: 5 }]);
        const timedOut = await rejection(tasks.sleep.with({ timeout: 150 })(5_000));
        assert.equal(timedOut.code, 'ERR_MP_TASK_TIMEOUT');
        const controller = new AbortController();
        const aborted = tasks.sleep.with({ signal: controller.signal }).map([5_000, 5_000]);
        controller.abort(new Error('stop'));
        assert.equal((await rejection(aborted)).message, 'stop');
        // Options of a map-like member add to those of with(); with() itself adds to an earlier with().
        const runs = new RawArray('i', 8);
        const items = Array.from({ length: 8 }, (_, item) => ({ item, ms: 1, runs }));
        const before = tasksDone(pool);
        assert.deepEqual(await pool.bind(countedSleep).with({ chunksize: 4 }).with({ timeout: 10_000 }).map(items), [0, 1, 2, 3, 4, 5, 6, 7]);
        assert.equal(tasksDone(pool) - before, 2, 'two chunks of 4');
        assert.deepEqual(await pool.bind(countedSleep).with({ chunksize: 4 }).map(items, { chunksize: 1 }), [0, 1, 2, 3, 4, 5, 6, 7]);
        assert.equal(tasksDone(pool) - before, 10, 'then eight chunks of 1');
        assert.deepEqual([...runs], Array(8).fill(2), 'each item ran once per map');
        // Options are checked when with() is called, not when the first call fails.
        assert.throws(() => tasks.sleep.with({ timeout: -1 }), { name: 'RangeError', message: /`timeout`/ });
        assert.throws(() => tasks.sleep.with({ signal: 'x' as never }), { name: 'TypeError', message: /`signal`/ });
        // Binding is no call: on a closed pool a task is still bound, and its call says the pool is closed.
        const closing = pool.close();
        const late = pool.bind(echoArgs).with({ timeout: 1000 });
        assert.equal((await rejection(late(1))).code, 'ERR_MP_POOL_CLOSED');
        assert.equal((await rejection(tasks.square(2))).code, 'ERR_MP_POOL_CLOSED');
        await within(closing);
      });
    });

    it('applyAsync, mapAsync and starmapAsync call callback or errorCallback once, before get() settles', async () => {
      await withPool(backend, {}, async (pool, tasks) => {
        const seen: string[] = [];
        const apply = pool.applyAsync(tasks.square, [4], { callback: (value) => seen.push(`apply ${value} ready=${String(apply.ready())}`) });
        const map = pool.mapAsync(tasks.square, [1, 2], { callback: (values) => seen.push(`map ${values.join(',')}`), errorCallback: () => seen.push('map error') });
        const starmap = pool.starmapAsync(tasks.add, [[1, 2], [3, 4]], { callback: (values) => seen.push(`starmap ${values.join(',')}`) });
        const failing = pool.starmapAsync(tasks.failOn, [[1], [13]], {
          callback: () => seen.push('failing callback'),
          errorCallback: (error) => seen.push(`failing error ${(error as Error).message}`),
        });
        assert.equal(await within(apply.get()), 16);
        seen.push('apply get');
        assert.deepEqual(await within(map.get()), [1, 4]);
        assert.deepEqual(await within(starmap.get()), [3, 7]);
        await within(failing.wait());
        assert.equal(failing.successful(), false);
        assert.ok(seen.indexOf('apply 16 ready=false') >= 0 && seen.indexOf('apply 16 ready=false') < seen.indexOf('apply get'), seen.join('; '));
        assert.ok(seen.includes('map 1,4') && seen.includes('starmap 3,7'), seen.join('; '));
        assert.deepEqual(seen.filter((line) => line.startsWith('failing')), [`failing error ${(await rejection(failing.get())).message}`]);
        assert.equal(seen.length, 5, seen.join('; '));
        // A callback that is not a function is refused at the call, before anything runs.
        const before = tasksDone(pool);
        assert.throws(() => pool.applyAsync(tasks.square, [1], { callback: 'x' as never }), { name: 'TypeError', message: /`callback`/ });
        assert.throws(() => pool.mapAsync(tasks.square, [1], { errorCallback: 1 as never }), { name: 'TypeError', message: /`errorCallback`/ });
        assert.equal(tasksDone(pool), before);
      });
    });

    it("'auto' chunks do not batch long tasks: 10 tasks of 300 ms on 2 workers run as 10 tasks, each once", async () => {
      await withPool(backend, {}, async (pool) => {
        const runs = new RawArray('i', 10);
        const items = Array.from({ length: 10 }, (_, item) => ({ item, ms: 300, runs }));
        assert.deepEqual(await pool.map(countedSleep, items), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert.equal(tasksDone(pool), 10, "Python's rule alone would make 5 chunks of 2");
        assert.deepEqual([...runs], Array(10).fill(1));
        // Measured now: a second map of the same task is cut as measured from its first chunk on.
        const more = Array.from({ length: 10 }, (_, item) => ({ item, ms: 300, runs }));
        await pool.map(countedSleep, more, { order: 'shuffle' });
        assert.equal(tasksDone(pool), 20);
        assert.deepEqual([...runs], Array(10).fill(2));
      });
    });

    it("'auto' chunks keep Python's rule for quick tasks", async () => {
      await withPool(backend, {}, async (pool, tasks) => {
        const items = Array.from({ length: 10_000 }, (_, i) => i);
        // The first map measures the task (its first calls pay a cold start); the second is cut by Python's
        // rule, 8 chunks of 1250, unless chunks of 1250 squares took over 20 ms each.
        for (let round = 0; round < 2; round++) {
          const before = tasksDone(pool);
          const squares = await pool.map(tasks.square, items);
          assert.equal(squares.length, 10_000);
          assert.ok(squares.every((value, i) => value === i * i));
          if (round === 1) assert.ok(tasksDone(pool) - before <= 16, `${tasksDone(pool) - before} chunks`);
        }
      });
    });
  });
}

describe('imap with a progress bar', () => {
  it('draws nothing before the caller starts iterating, then its frames', async () => {
    await withPool('thread', {}, async (_pool, tasks) => {
      const written: string[] = [];
      const write = process.stderr.write.bind(process.stderr);
      const capture = (chunk: string | Uint8Array): boolean => written.push(String(chunk)) > 0;
      process.stderr.write = capture;
      try {
        const results = tasks.square.imap([1, 2, 3], { progress: true });
        await new Promise((resolve) => setImmediate(resolve));
        assert.deepEqual(written, [], 'no frame for an imap nobody iterates');
        const values: number[] = [];
        for await (const value of results) values.push(value);
        assert.deepEqual(values, [1, 4, 9]);
      } finally {
        process.stderr.write = write;
      }
      assert.match(written[0] ?? '', /square\s+0%/);
      assert.match(written.at(-1) ?? '', /100%/);
    });
  });
});

describe("'auto' chunk sizes", () => {
  it("bound Python's rule by the measured time per item", () => {
    assert.equal(measuredChunksize(10, 2, 1_000_000), 1);
    assert.equal(measuredChunksize(200_000, 2, 1), 20_000);
    assert.equal(measuredChunksize(200_000, 2, 0.01), 25_000);
    assert.equal(measuredChunksize(1000, 2, 2000), 10);
    assert.deepEqual(autoChunks(10, 2, 1), [2, 2, 2, 2, 2]);
    assert.deepEqual(autoChunks(7, 1, 10_000), [2, 2, 2, 1]);
    assert.deepEqual(autoChunks(20, 2, 7000), Array(10).fill(2));
  });

  it('cut costly items into smaller chunks when costs are known', () => {
    // Mean cost 1: an item of cost 4 counts for 4 x 5 ms, so it goes alone; the cheap ones (1.25 ms each)
    // go by 3, Python's rule for 10 items on one worker.
    const costs = [4, 4, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25];
    const sizes = autoChunks(costs.length, 1, 5000, costs);
    assert.deepEqual(sizes, [1, 1, 3, 3, 2]);
    // Costs 3:1 around a measured 10 ms mean: 18 ms items alone, 6 ms items in pairs (at most 2 by Python's rule).
    assert.deepEqual(autoChunks(6, 1, 10_000, [3, 3, 1, 1, 1, 1]), [1, 1, 2, 2]);
    assert.equal(sizes.reduce((a, b) => a + b), costs.length);
    assert.deepEqual(autoChunks(4, 1, 0, [0, 0, 0, 0]), [1, 1, 1, 1]);
    // Negative costs order items but say nothing about their work: the uniform rule stands.
    assert.deepEqual(autoChunks(6, 1, 10_000, [-3, -3, -1, -1, -1, -1]), [2, 2, 2]);
  });
});

for (const backend of backends) {
  describe(`a pool dropped without close() (${backend})`, () => {
    it('warns with a ResourceWarning once collected, and closes itself so the program exits', async () => {
      const result = await runNode(fixture('pool-api-main.js'), ['dropped', backend], 30_000);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^square 49\nwarning ResourceWarning MP_POOL_UNCLOSED\nend\n$/);
      assert.match(result.stderr, /A running Pool \(2 \w+ workers\) was garbage-collected without close\(\) or terminate\(\)/);
    });

    it('does not warn about a pool that was closed', async () => {
      const result = await runNode(fixture('pool-api-main.js'), ['closed', backend], 30_000);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, 'square 49\nend\n');
      assert.doesNotMatch(result.stderr, /ResourceWarning/);
    });

    it('still ends a call that was running when its pool became unreachable', async () => {
      const result = await runNode(fixture('pool-api-main.js'), ['pending', backend], 30_000);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /pending 300\nend\n$/);
    });
  });
}

describe('a callback that throws', () => {
  it('does not change the result; its error is thrown outside the promise chain', async () => {
    const result = await runNode(fixture('pool-api-main.js'), ['callback-throws', 'thread'], 30_000);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /result 25\n/);
    assert.match(result.stdout, /uncaught from the callback\n/);
  });
});
