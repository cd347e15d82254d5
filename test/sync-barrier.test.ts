// Barrier across threads and processes, ported from CPython's _TestBarrier: the action runs once per cycle in
// one of the parties, and the default timeout holds in every party, because both travel with the barrier.
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { Barrier, encode, RawValue } from '../src/index.js';
import { countInto, countRun } from './fixtures/sync-actions.js';
import { inProcess, inThread } from './helpers/agents.js';
import { waitUntil } from './helpers/spawn.js';

type Place = 'thread' | 'process';
const run = (place: Place, scenario: string, payload: Record<string, unknown>, timeout = 60_000): Promise<unknown> =>
  (place === 'thread' ? inThread(scenario, payload, timeout) : inProcess(scenario, payload, timeout)).then(([result]) => result);
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const codeOf = (error: unknown): string => (error as { code?: string }).code ?? String(error);

const N = 4;

describe('Barrier (CPython _TestBarrier)', { timeout: 120_000 }, () => {
  for (const place of ['thread', 'process'] as const) {
    it(`test_action (${place === 'thread' ? 'threads' : 'processes'}): the action runs exactly once per cycle, before any party is released`, async () => {
      using counter = new RawValue('i', 0);
      countInto(counter);
      using barrier = new Barrier(N, { action: countRun });
      const passes = 3;
      const parties = Array.from({ length: N - 1 }, () => run(place, 'barrier-action', { barrier, counter, passes }));
      const seen: number[] = [];
      for (let i = 0; i < passes; i++) {
        await barrier.wait({ timeout: 30_000 });
        seen.push(counter.value);
      }
      const expected = Array.from({ length: passes }, (_, i) => i + 1);
      assert.deepEqual(seen, expected);
      for (const party of await Promise.all(parties)) assert.deepEqual(party, { seen: expected });
      assert.equal(counter.value, passes, 'one run per cycle, wherever the last party arrived');
    });

    it(`test_default_timeout (${place === 'thread' ? 'threads' : 'processes'}): a party later than the barrier's timeout breaks it for everyone`, async () => {
      using barrier = new Barrier(N, { timeout: 500 });
      const late = Math.floor(N / 2);
      const parties = Array.from({ length: N - 1 }, () => run(place, 'barrier-late', { barrier, late, lateMs: 1000 }));
      const index = await barrier.wait({ timeout: 30_000 });
      if (index === late) await pause(1000);
      const mine = await barrier.wait().then(() => ({ passed: true }), (error: unknown) => ({ error: codeOf(error) }));
      assert.deepEqual([mine, ...await Promise.all(parties)], Array(N).fill({ error: 'ERR_MP_BROKEN_BARRIER' }));
    });

    it(`test_timeout (${place === 'thread' ? 'threads' : 'processes'}): wait(timeout) breaks the barrier for every party when one is late`, async () => {
      using barrier = new Barrier(N);
      const late = Math.floor(N / 2);
      const parties = Array.from({ length: N - 1 }, () => run(place, 'barrier-late', { barrier, late, lateMs: 1000, timeout: 500 }));
      const index = await barrier.wait({ timeout: 30_000 });
      if (index === late) await pause(1000);
      const mine = await barrier.wait({ timeout: 500 }).then(() => ({ passed: true }), (error: unknown) => ({ error: codeOf(error) }));
      assert.deepEqual([mine, ...await Promise.all(parties)], Array(N).fill({ error: 'ERR_MP_BROKEN_BARRIER' }));
    });

    it(`a worker's wait() on Barrier(2, { timeout: 300 }) times out (${place})`, async () => {
      using barrier = new Barrier(2, { timeout: 300 });
      const result = await run(place, 'barrier-timed', { barrier }, 15_000) as { error: string; ms: number };
      assert.equal(result.error, 'ERR_MP_BROKEN_BARRIER');
      assert.ok(result.ms >= 280 && result.ms < 10_000, `it gave up after ${result.ms} ms`);
      assert.equal(barrier.broken, true);
    });
  }

  it('a barrier whose action is not a registered function refuses to travel, saying why', () => {
    using barrier = new Barrier(2, { action: () => undefined });
    assert.throws(() => encode(barrier), (error: Error & { code?: string }) => error.code === 'ERR_MP_ENCODE' && /registerFunction/.test(error.message));
  });

  it('an attached handle may override what the reference carries', async () => {
    using barrier = new Barrier(1, { timeout: 300, action: countRun });
    using counter = new RawValue('i', 0);
    countInto(counter);
    using other = Barrier.fromRef(barrier.toRef(), { action: () => undefined });
    assert.equal(await other.wait(), 0);
    assert.equal(counter.value, 0, 'the override ran instead');
    assert.equal(await barrier.wait(), 0);
    assert.equal(counter.value, 1);
  });

  it('prints its parties and waiters, not its words', async () => {
    using barrier = new Barrier(3);
    assert.equal(inspect(barrier), '<Barrier parties=3 waiting=0>');
    const pending = barrier.wait({ timeout: 10_000 }).catch(codeOf);
    await waitUntil(() => barrier.nWaiting === 1, 5000, 'the wait to start');
    assert.equal(inspect(barrier), '<Barrier parties=3 waiting=1>');
    barrier.abort();
    assert.equal(await pending, 'ERR_MP_BROKEN_BARRIER');
    assert.equal(inspect(barrier), '<Barrier parties=3 waiting=0 broken>');
    barrier.close();
    assert.equal(inspect(barrier), '<Barrier closed>');
  });
});
