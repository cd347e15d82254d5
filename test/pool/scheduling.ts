// The pool's scheduling contract, run once per backend: no task that has not started waits in one worker
// while another worker is idle; a new pool spreads its first long tasks over its workers as soon as they
// are up; a function's measured speed is not trusted when a call of it blocks.
// Deadlines are generous but discriminating: each bound sits well below what the bad behaviour takes
// (a task queued behind a 1 s or 2 s task), never at a fine timing, since the machines are shared and noisy.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Barrier, Event, Pool, Queue, type BackendName, type LoadedTasks } from '../../src/index.js';
import type * as ScheduleTasks from '../fixtures/schedule-tasks.js';
import { fixture, waitUntil } from '../helpers/spawn.js';
import { within } from './harness.js';

type Tasks = LoadedTasks<typeof ScheduleTasks>;
const scheduleUrl = new URL(`file://${fixture('schedule-tasks.js')}`);
const workers = 2;
/** How long a party of a pair waits for the other before giving up (the bad behaviour: it waits forever). */
const meetTimeoutMs = 4000;
const rounds = 8;

async function withSchedulePool(backend: BackendName, body: (pool: Pool, tasks: Tasks) => Promise<void>): Promise<void> {
  const pool = new Pool({ workers, backend });
  try {
    await within(body(pool, pool.load<typeof ScheduleTasks>(scheduleUrl)), 90_000, 'the test body');
  } finally {
    await within(pool.terminate(), 15_000, 'terminate()');
  }
}

/** Waits until every worker of the pool is up, without giving it any task. */
async function allReady(pool: Pool): Promise<void> {
  await waitUntil(() => pool.stats().workers.filter((worker) => worker.state === 'ready').length === workers, 20_000, 'the workers to start');
}

/** Runs `count` calls of a fast function together, so that the pool measures it as fast (and would batch it). */
async function warm(count: number, call: () => Promise<unknown>): Promise<void> {
  await within(Promise.all(Array.from({ length: count }, call)), 30_000, 'the warm-up calls');
}

function describeOutcomes(outcomes: PromiseSettledResult<unknown>[]): string {
  return outcomes.map((outcome) => (outcome.status === 'fulfilled' ? `fulfilled ${JSON.stringify(outcome.value)}`
    : `rejected ${(outcome.reason as { code?: string }).code ?? ''} ${(outcome.reason as Error).message}`)).join('; ');
}

export function poolScheduling(backend: BackendName): void {
  describe(`Pool scheduling (${backend})`, { timeout: 180_000 }, () => {
    for (const how of ['sleep', 'spin'] as const) {
      it(`a fresh pool runs two 1 s tasks (${how}) on its two workers at once`, async () => {
        const created = Date.now();
        const pool = new Pool({ workers, backend });
        try {
          const tasks = pool.load<typeof ScheduleTasks>(scheduleUrl);
          const both = await within(Promise.all([tasks.hold(1000, how), tasks.hold(1000, how)]), 20_000, 'the two tasks');
          const [first, second] = [...both].sort((a, b) => a.startedAt - b.startedAt) as [ScheduleTasks.Held, ScheduleTasks.Held];
          // Start-up is not the pool's scheduling and varies a lot on a busy machine: count from the moment
          // the later worker was up. One after the other, the second task ends 2 s after the first started.
          const lastUp = created + Math.max(...pool.stats().workers.map((worker) => worker.initMs));
          const afterUp = Math.max(first.endedAt, second.endedAt) - lastUp;
          const timeline = `started ${first.startedAt - created} and ${second.startedAt - created} ms after new Pool(), ` +
            `ended ${first.endedAt - created} and ${second.endedAt - created}, workers up at ${pool.stats().workers.map((worker) => Math.round(worker.initMs)).join(' and ')}`;
          assert.notEqual(first.index, second.index, `both tasks ran on worker ${first.index}: ${timeline}`);
          assert.ok(second.startedAt < first.endedAt, `the second task waited for the first: ${timeline}`);
          assert.ok(afterUp < 1600, `both ended ${afterUp} ms after the second worker was up: ${timeline}`);
        } finally {
          await within(pool.terminate(), 15_000, 'terminate()');
        }
      });
    }

    it('while one worker runs a 2 s task, four 100 ms tasks submitted with it all run on the other (cold function)', () => withSchedulePool(backend, async (pool, tasks) => {
      await allReady(pool);
      const submitted = Date.now();
      const long = tasks.hold(2000, 'sleep');
      const shorts = Array.from({ length: 4 }, () => tasks.hold(100, 'sleep'));
      const ended = await within(Promise.all(shorts.map((short) => short.then(() => Date.now()))), 20_000, 'the short tasks');
      const longHeld = await within(long, 20_000, 'the long task');
      const latest = Math.max(...ended) - submitted;
      // Two of them behind the long task: they end after it, 2 s in.
      assert.ok(latest < 1200, `the last 100 ms task ended ${latest} ms after submission (the 2 s task ran on worker ${longHeld.index}; `
        + `short tasks ended at ${ended.map((at) => at - submitted).join(', ')} ms)`);
    }));

    it('while one worker runs a 2 s task, four 100 ms tasks of the same warm (fast-measured) function run on the other', () => withSchedulePool(backend, async (pool, tasks) => {
      await allReady(pool);
      await warm(300, () => tasks.hold(0, 'spin'));
      const submitted = Date.now();
      const long = tasks.hold(2000, 'spin');
      const shorts = Array.from({ length: 4 }, () => tasks.hold(100, 'spin'));
      const ended = await within(Promise.all(shorts.map((short) => short.then(() => Date.now()))), 20_000, 'the short tasks');
      const longHeld = await within(long, 20_000, 'the long task');
      const latest = Math.max(...ended) - submitted;
      assert.ok(latest < 1200, `the last 100 ms task ended ${latest} ms after submission (the 2 s task ran on worker ${longHeld.index}; `
        + `short tasks ended at ${ended.map((at) => at - submitted).join(', ')} ms)`);
    }));

    it('four 100 ms tasks submitted once a 2 s task runs all run on the idle worker', () => withSchedulePool(backend, async (pool, tasks) => {
      await allReady(pool);
      await warm(300, () => tasks.hold(0, 'sleep'));
      const long = tasks.hold(2000, 'sleep');
      await waitUntil(() => pool.stats().workers.some((worker) => worker.current !== undefined), 10_000, 'the 2 s task to start');
      const submitted = Date.now();
      const shorts = Array.from({ length: 4 }, () => tasks.hold(100, 'sleep'));
      const ended = await within(Promise.all(shorts.map((short) => short.then(() => Date.now()))), 20_000, 'the short tasks');
      await within(long, 20_000, 'the long task');
      const latest = Math.max(...ended) - submitted;
      assert.ok(latest < 1200, `the last 100 ms task ended ${latest} ms after submission (ended at ${ended.map((at) => at - submitted).join(', ')} ms)`);
    }));

    for (const blocking of [true, false]) {
      const waiting = blocking ? 'blocked (waitSync)' : 'awaiting (wait)';
      it(`two calls of a warm function meet at a 2-party Barrier, ${waiting}`, () => withSchedulePool(backend, async (pool, tasks) => {
        await allReady(pool);
        await warm(300, () => tasks.barrierParty(null, blocking, meetTimeoutMs));
        for (let round = 0; round < rounds; round++) {
          await warm(50, () => tasks.barrierParty(null, blocking, meetTimeoutMs));
          using barrier = new Barrier(2);
          // Submitted in one turn, as a caller would: the pool sees both waiting together.
          const pair = round % 2 === 0
            ? [tasks.barrierParty(barrier, blocking, meetTimeoutMs), tasks.barrierParty(barrier, blocking, meetTimeoutMs)]
            : [tasks.barrierParty.applyAsync(barrier, blocking, meetTimeoutMs).get(), tasks.barrierParty.applyAsync(barrier, blocking, meetTimeoutMs).get()];
          const outcomes = await within(Promise.allSettled(pair), 20_000, 'the barrier pair');
          assert.ok(outcomes.every((outcome) => outcome.status === 'fulfilled'), `round ${round}: ${describeOutcomes(outcomes)}`);
          const arrivals = outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : -1)).sort();
          assert.deepEqual(arrivals, [0, 1], `round ${round}`);
        }
      }));

      it(`a writer and a reader of a warm function exchange two Events, ${waiting}`, () => withSchedulePool(backend, async (pool, tasks) => {
        await allReady(pool);
        await warm(300, () => tasks.exchange('warm', null, null, blocking, meetTimeoutMs));
        for (let round = 0; round < rounds; round++) {
          await warm(50, () => tasks.exchange('warm', null, null, blocking, meetTimeoutMs));
          using first = new Event();
          using second = new Event();
          // Either order deadlocks on one worker: alternate which one is submitted first.
          const roles = round % 2 === 0 ? (['writer', 'reader'] as const) : (['reader', 'writer'] as const);
          const pair = roles.map((role) => tasks.exchange.applyAsync(role, first, second, blocking, meetTimeoutMs).get());
          const outcomes = await within(Promise.allSettled(pair), 20_000, 'the event pair');
          assert.deepEqual(outcomes.map((outcome) => outcome.status === 'fulfilled' && outcome.value), [true, true],
            `round ${round} (${roles.join(' then ')}): ${describeOutcomes(outcomes)}`);
        }
      }));

      it(`a consumer and a producer of a warm function share a Queue, ${waiting}`, () => withSchedulePool(backend, async (pool, tasks) => {
        await allReady(pool);
        await warm(300, () => tasks.queueRole('warm', null, '', blocking, meetTimeoutMs));
        for (let round = 0; round < rounds; round++) {
          await warm(50, () => tasks.queueRole('warm', null, '', blocking, meetTimeoutMs));
          using queue = new Queue<string>();
          const item = `item ${round}`;
          // The consumer first: on one worker it waits for a producer that never starts.
          const pair = [tasks.queueRole('consumer', queue, '', blocking, meetTimeoutMs), tasks.queueRole('producer', queue, item, blocking, meetTimeoutMs)];
          const outcomes = await within(Promise.allSettled(pair), 20_000, 'the queue pair');
          assert.deepEqual(outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : 'rejected')), [item, 'put'],
            `round ${round}: ${describeOutcomes(outcomes)}`);
        }
      }));
    }

    it('200 quick tasks of map(chunksize: 1) run on both workers', () => withSchedulePool(backend, async (pool, tasks) => {
      await allReady(pool);
      const durations = Array.from({ length: 200 }, (_, i) => 1 + (i % 3) / 2);
      const indices = await within(tasks.workerAfter.map(durations, { chunksize: 1 }), 30_000, 'the map');
      assertBothTookPart(indices);
    }));

    it('200 quick individual calls run on both workers', () => withSchedulePool(backend, async (pool, tasks) => {
      await allReady(pool);
      const indices = await within(Promise.all(Array.from({ length: 200 }, (_, i) => tasks.workerAfter(1 + (i % 3) / 2))), 30_000, 'the calls');
      assertBothTookPart(indices);
    }));
  });
}

/** 200 tasks of 1-2 ms over two idle workers: each should run about half; at least 10 is "took part". */
function assertBothTookPart(indices: number[]): void {
  const perWorker = Array.from({ length: workers }, (_, index) => indices.filter((ran) => ran === index).length);
  assert.ok(perWorker.every((count) => count >= 10), `tasks per worker: ${perWorker.join(', ')}`);
}
