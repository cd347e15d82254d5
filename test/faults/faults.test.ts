// Crash accounting, exactly once, on both backends: the cases from the issue, then the seeded fault injector
// (injector.ts) in a short run per backend. `npm run soak` runs the same injector for thousands of crashes.
// FAULT_SEED=<n> replays the injector scenarios with other seeds (the seed is in each test's name).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Pool, RawArray, taskRef, type BackendName, type CallOptions, type CrashReport, type PoolOptions } from '../../src/index.js';
import { always, markSlots, valueOf, type Answer, type Plan } from '../fixtures/fault-tasks.js';
import { waitUntil } from '../helpers/spawn.js';
import { within } from '../pool/harness.js';
import { describeScenario, faultTasksUrl, runScenario, type ScenarioOptions } from './injector.js';
import { report } from './verdict.js';

const baseSeed = Number(process.env['FAULT_SEED'] ?? 20_240_611);
const run = taskRef<(id: number, plan: Plan) => Answer>(faultTasksUrl, 'run');
const runItem = taskRef<(item: { id: number; plan: Plan }) => Answer>(faultTasksUrl, 'runItem');
const ok: Plan = { kind: 'ok', ms: 0, async: false };

interface FaultPool {
  pool: Pool;
  /** Runs of each call id so far. */
  runs: (ids: readonly number[]) => number[];
}

/** A pool whose workers count runs into shared memory (as the injector's do), terminated whatever happens. */
async function withFaultPool(backend: BackendName, options: PoolOptions, body: (fault: FaultPool) => Promise<void>): Promise<void> {
  using counts = new RawArray('i', 256);
  using marks = new RawArray('d', 256 * markSlots);
  const pool = new Pool({ workers: 1, ...options, backend, initializer: taskRef(faultTasksUrl, 'attachCounters'), initargs: [counts, marks] });
  try {
    await within(body({ pool, runs: (ids) => ids.map((id) => Atomics.load(counts.view, id)) }), 60_000, 'the test body');
  } finally {
    await within(pool.terminate(), 15_000, 'terminate()');
  }
}

function outcomeOf(outcome: PromiseSettledResult<unknown>): string {
  if (outcome.status === 'fulfilled') return `fulfilled ${JSON.stringify((outcome.value as Answer)[0])}`;
  const error = outcome.reason as { code?: string; exitCode?: number | null; message?: string };
  return `rejected ${error.code ?? error.message ?? 'without a code or message'}${error.exitCode === undefined ? '' : ` exit ${String(error.exitCode)}`}`;
}

async function workersBack(pool: Pool, workers: number): Promise<void> {
  await waitUntil(() => pool.stats().workers.filter((worker) => worker.state === 'ready').length === workers, 10_000, `${workers} ready worker(s)`);
}

/** The short run of the injector for one backend: a few hundred calls, a few dozen crashes. */
function scenarios(backend: BackendName): ScenarioOptions[] {
  const kinds = ['exit', 'kill', 'uncaught'] as const;
  const base = { backend, kinds, smallHeap: false, hangRate: 0, faultRate: 0.08 };
  return [
    { ...base, mode: 'apply', timeouts: false, retries: 0, calls: 160, seed: baseSeed + 1 },
    { ...base, mode: 'apply', timeouts: true, retries: 0, calls: 100, faultRate: 0.06, hangRate: 0.03, seed: baseSeed + 2 },
    { ...base, mode: 'apply', timeouts: false, retries: 2, calls: 80, seed: baseSeed + 3 },
    { ...base, mode: 'map', timeouts: false, retries: 0, calls: 160, seed: baseSeed + 4 },
    { ...base, mode: 'map', timeouts: true, retries: 1, calls: 100, hangRate: 0.03, seed: baseSeed + 5 },
    { ...base, mode: 'apply', timeouts: false, retries: 0, calls: 50, kinds: ['oom'], faultRate: 0.1, smallHeap: true, seed: baseSeed + 6 },
  ];
}

for (const backend of ['thread', 'process'] as const) {
  describe(`Pool crash accounting (${backend})`, { timeout: 120_000 }, () => {
    for (const variant of ['cold', 'warm plain (batched)', 'warm with time limits (not batched)'] as const) {
      it(`1 worker, three calls submitted together, the middle one exits: ${variant}`, () => withFaultPool(backend, {}, async ({ pool, runs }) => {
        const options: CallOptions = variant.includes('time limits') ? { timeout: 10_000 } : {};
        if (variant !== 'cold') await within(Promise.all(Array.from({ length: 20 }, (_, i) => pool.apply(run, [10 + i, ok], options))));
        const calls = [
          pool.apply(run, [0, ok], options),
          pool.apply(run, [1, { kind: 'exit', crashRuns: always, ms: 0, async: false, exitCode: 3 }], options),
          pool.apply(run, [2, ok], options),
        ];
        const outcomes = (await within(Promise.allSettled(calls), 20_000, 'the three calls')).map(outcomeOf);
        await workersBack(pool, 1).catch(() => {});
        assert.deepEqual({ outcomes, runs: runs([0, 1, 2]), replaced: pool.stats().replaced }, {
          outcomes: [`fulfilled ${valueOf(0)}`, 'rejected ERR_MP_WORKER_CRASHED exit 3', `fulfilled ${valueOf(2)}`], runs: [1, 1, 1], replaced: 1,
        });
      }));
    }

    it('a timer that throws after its call returned, while the worker is idle, fails no call', () => withFaultPool(backend, {}, async ({ pool, runs }) => {
      const crashes: CrashReport[] = [];
      pool.on('workerError', (crash) => crashes.push(crash));
      const first = await within(pool.apply(run, [0, { kind: 'throw-later', ms: 20 }]));
      assert.equal(first[0], valueOf(0));
      await new Promise((resolve) => setTimeout(resolve, 150));
      const next = await within(Promise.allSettled([pool.apply(run, [1, ok])]));
      assert.deepEqual(next.map(outcomeOf), [`fulfilled ${valueOf(1)}`]);
      assert.deepEqual(runs([0, 1]), [1, 1]);
      await workersBack(pool, 1);
      assert.ok(pool.stats().replaced <= 1, `replaced ${pool.stats().replaced}`);
      // The worker's death is reported as such, with its error and no task to blame.
      assert.equal(crashes.length, 1);
      assert.equal(crashes[0]!.task, undefined);
      assert.match(String((crashes[0]!.error as Error).message), /injected error of call 0, thrown after it returned/);
      assert.equal(crashes[0]!.exitCode, 1);
      assert.equal(pool.stats().crashes, 1);
      assert.equal(pool.stats().lastCrash, crashes[0]);
    }));

    it('a timer that throws after its call returned fails no later call, however soon that call comes', () => withFaultPool(backend, {}, async ({ pool, runs }) => {
      // The next call arrives before, as or after the worker dies: it never runs when the worker dies
      // (it is synchronous and instant), so it must always be fulfilled, having run once.
      const delays = [0, 5, 10, 15, 18, 20, 22, 25, 30, 40, 60];
      const seen: string[] = [];
      for (const [round, delay] of delays.entries()) {
        await within(pool.apply(run, [2 * round, { kind: 'throw-later', ms: 20 }]));
        await new Promise((resolve) => setTimeout(resolve, delay));
        const [next] = await within(Promise.allSettled([pool.apply(run, [2 * round + 1, ok])]), 20_000, `the call after ${delay} ms`);
        seen.push(`${delay} ms: ${outcomeOf(next)}, ran ${runs([2 * round + 1])[0]}x`);
      }
      assert.deepEqual(seen, delays.map((delay, round) => `${delay} ms: fulfilled ${valueOf(2 * round + 1)}, ran 1x`));
      await workersBack(pool, 1);
      assert.ok(pool.stats().replaced <= delays.length, `replaced ${pool.stats().replaced}`);
    }));

    it('a map that a crash rejects starts none of its chunks that were still waiting', () => withFaultPool(backend, { workers: 2 }, async ({ pool, runs }) => {
      // Items of 100 ms, measured as such first, so that each worker holds a few chunks (of one item) ahead.
      // Item 0 exits 250 ms in: by then the other worker runs its third chunk and holds more, which must
      // not start once the map has rejected (one chunk racing the rejection is let through, as in the injector).
      const slow: Plan = { kind: 'ok', ms: 100, async: true };
      await within(Promise.all(Array.from({ length: 6 }, (_, i) => pool.apply(runItem, [{ id: 200 + i, plan: slow }]))));
      const ids = Array.from({ length: 20 }, (_, i) => i);
      const items = ids.map((id) => ({ id, plan: id === 0 ? { kind: 'exit', crashRuns: always, ms: 250, async: true, exitCode: 5 } as const : slow }));
      let atRejection: number[] = [];
      const error = await within(pool.map(runItem, items, { chunksize: 1 }).then(() => undefined, (reason: unknown) => {
        atRejection = runs(ids);
        return reason as { code?: string };
      }), 20_000, 'the map');
      assert.equal(error?.code, 'ERR_MP_WORKER_CRASHED');
      await waitUntil(() => pool.stats().inflight === 0 && pool.stats().queued === 0, 10_000, 'the pool to go quiet');
      await new Promise((resolve) => setTimeout(resolve, 50));
      const after = runs(ids);
      const late = ids.filter((id) => atRejection[id] === 0 && after[id]! > 0);
      const counts = `runs when the map rejected ${atRejection.join('')}, after ${after.join('')}`;
      assert.ok(after.every((ran) => ran <= 1), `an item ran twice: ${counts}`);
      assert.ok(late.length <= 1, `items that had not started when the map rejected ran afterwards: ${late.join(', ')} (${counts})`);
    }));

    it('a running chunk of a map that a crash rejected is still held to its time limit', () => withFaultPool(backend, { workers: 2 }, async ({ pool, runs }) => {
      // Chunk 0 loops (never checking for an abort); chunk 1, on the other worker, exits 100 ms in and rejects
      // the map. The loop's result no longer matters, but its worker must not stay taken past the time limit
      // and grace period.
      await workersBack(pool, 2);
      const items = [
        { id: 0, plan: { kind: 'hang', cooperative: false } as const },
        { id: 1, plan: { kind: 'exit', crashRuns: always, ms: 100, async: true, exitCode: 9 } as const },
      ];
      const error = await within(pool.map(runItem, items, { chunksize: 1, timeout: 1000 }).then(() => undefined, (reason: unknown) => reason as { code?: string }), 20_000, 'the map');
      assert.equal(error?.code, 'ERR_MP_WORKER_CRASHED', `the map settled with ${JSON.stringify(error)}; runs ${runs([0, 1]).join(', ')}`);
      const rejected = Date.now();
      // 1 s limit (counted from the chunk's start, before the rejection) and 1 s of grace (the pool's default): 5 s is ample.
      const freed = await waitUntil(() => pool.stats().workers.every((worker) => worker.current === undefined) && pool.stats().inflight === 0, 5000, 'the looping chunk to be stopped')
        .then(() => true, () => false);
      const running = pool.stats().workers.filter((worker) => worker.current !== undefined).map((worker) => `${worker.index}: ${worker.current!.name} for ${worker.current!.runningMs} ms`);
      assert.ok(freed, `${Date.now() - rejected} ms after the map rejected, still running: ${running.join('; ')}`);
      assert.deepEqual(runs([0, 1]), [1, 1]);
    }));

    for (const scenario of scenarios(backend)) {
      it(`injected faults: ${describeScenario(scenario)}`, async () => {
        const verdict = await runScenario(scenario);
        assert.ok(verdict.figures.crashCalls > 0, `the scenario injected no crash: ${report(verdict)}`);
        assert.equal(verdict.violations.length, 0, report(verdict));
      });
    }
  });
}
