// Condition across threads, processes and the main thread, ported from CPython's _TestCondition: notify(n)
// wakes at most n waiters and the others keep waiting, counted with a shared semaphore.
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { Condition, Lock, Semaphore, type RLock } from '../src/index.js';
import { inProcess, inThread, startThread } from './helpers/agents.js';
import { waitUntil } from './helpers/spawn.js';

type Place = 'thread' | 'process' | 'main';

/** Long enough for an over-woken waiter to have reported itself (blocking waits re-check every 50 ms). */
const settleMs = 250;
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Waiters {
  cond: Condition;
  sleeping: Semaphore;
  woken: Semaphore;
}

/** CPython's `f`: runs in a thread, a process, or as an async waiter on this thread. */
function waiter(place: Place, shared: Waiters, timeout: number): Promise<unknown> {
  const payload = { ...shared, timeout };
  if (place === 'thread') return inThread('condition-f', payload).then(([result]) => result);
  if (place === 'process') return inProcess('condition-f', payload).then(([result]) => result);
  return (async () => {
    const { cond, sleeping, woken } = shared;
    await cond.acquire();
    sleeping.release();
    const result = await cond.wait({ timeout });
    woken.release();
    cond.release();
    return { result };
  })();
}

/** A Condition the places can share: the main thread's async waiter needs a plain Lock (an RLock is per thread). */
function conditionFor(places: readonly Place[], lock: Lock): Condition {
  return places.includes('main') ? new Condition(lock) : new Condition();
}

async function startSleeping(places: readonly Place[], shared: Waiters, timeout: number): Promise<Promise<unknown>[]> {
  const waiters = places.map((place) => waiter(place, shared, timeout));
  for (let i = 0; i < places.length; i++) assert.equal(await shared.sleeping.acquire({ timeout: 30_000 }), true, 'every waiter started');
  return waiters;
}

async function notifyUnderLock(cond: Condition, n: number | 'all'): Promise<void> {
  await cond.acquire();
  if (n === 'all') cond.notifyAll();
  else cond.notify(n);
  cond.release();
}

/** The count reaches `value` and stays there: a notify that woke more than it should shows up here. */
async function wokenSettles(woken: Semaphore, value: number): Promise<void> {
  await waitUntil(() => woken.value >= value, 20_000, `${value} waiters to wake`);
  await pause(settleMs);
  assert.equal(woken.value, value, `exactly ${value} waiters woke`);
}

const layouts: Record<string, readonly Place[]> = {
  threads: ['thread', 'thread', 'thread', 'thread', 'thread', 'thread'],
  processes: ['process', 'process', 'process', 'process', 'process', 'process'],
  mixed: ['process', 'thread', 'process', 'thread', 'main', 'process'],
};

describe('Condition (CPython _TestCondition)', { timeout: 120_000 }, () => {
  it('test_notify: each notify() wakes one waiter, a process and a thread', async () => {
    const places: Place[] = ['process', 'thread'];
    using lock = new Lock();
    using cond = conditionFor(places, lock);
    using sleeping = new Semaphore(0);
    using woken = new Semaphore(0);
    const waiters = await startSleeping(places, { cond, sleeping, woken }, 30_000);
    await pause(settleMs);
    assert.equal(woken.value, 0, 'no waiter woke by itself');
    await notifyUnderLock(cond, 1);
    await wokenSettles(woken, 1);
    await notifyUnderLock(cond, 1);
    await wokenSettles(woken, 2);
    assert.deepEqual(await Promise.all(waiters), [{ result: true }, { result: true }]);
    assert.equal(cond.waiters, 0);
  });

  for (const [name, places] of Object.entries(layouts)) {
    it(`test_notify_n (${name}): notify(2) wakes two of six, notify(4) the rest, notify(3) nobody`, async () => {
      using lock = new Lock();
      using cond = conditionFor(places, lock);
      using sleeping = new Semaphore(0);
      using woken = new Semaphore(0);
      const waiters = await startSleeping(places, { cond, sleeping, woken }, 30_000);
      await pause(settleMs);
      assert.equal(woken.value, 0);
      await notifyUnderLock(cond, 2);
      await wokenSettles(woken, 2);
      assert.equal(cond.waiters, 4, 'the other four still wait');
      await notifyUnderLock(cond, 4);
      await wokenSettles(woken, 6);
      await notifyUnderLock(cond, 3);
      await pause(50);
      assert.equal(woken.value, 6);
      assert.deepEqual(await Promise.all(waiters), Array(6).fill({ result: true }), 'every woken wait() returned true');
      assert.equal(cond.waiters, 0);
    });
  }

  it('test_notify_all: waiters that timed out leave no trace; notifyAll then wakes every waiter', async () => {
    const places: Place[] = ['process', 'thread', 'process', 'thread'];
    using cond = new Condition();
    using sleeping = new Semaphore(0);
    using woken = new Semaphore(0);
    const timingOut = await startSleeping(places, { cond, sleeping, woken }, 100);
    assert.deepEqual(await Promise.all(timingOut), Array(4).fill({ result: false }));
    for (let i = 0; i < 4; i++) assert.equal(woken.tryAcquire(), true);
    assert.equal(cond.waiters, 0, 'the timed-out waiters left the count');
    assert.equal(inspect(cond), '<Condition(<RLock(owner=none, count=0)>, 0)>');

    const waiters = await startSleeping(places, { cond, sleeping, woken }, 30_000);
    await pause(settleMs);
    assert.equal(woken.value, 0);
    await notifyUnderLock(cond, 'all');
    assert.deepEqual(await Promise.all(waiters), Array(4).fill({ result: true }));
    assert.equal(woken.value, 4);
    assert.equal(cond.waiters, 0);
  });

  it('test_timeout: wait(timeout) returns false after the timeout, async and blocking', async () => {
    using cond = new Condition();
    await cond.acquire();
    let started = performance.now();
    assert.equal(await cond.wait({ timeout: 100 }), false);
    assert.ok(performance.now() - started >= 95);
    started = performance.now();
    assert.equal(cond.waitSync({ timeout: 100 }), false);
    assert.ok(performance.now() - started >= 95);
    assert.equal((cond.lock as RLock).count, 1, 'the lock is held again');
    cond.release();
    assert.equal(cond.waiters, 0);
  });

  for (const place of ['thread', 'process'] as const) {
    it(`a waiter that starts after a notify cannot take the wake meant for an earlier one (${place})`, async () => {
      using lock = new Lock();
      using cond = new Condition(lock);
      using sleeping = new Semaphore(0);
      using woken = new Semaphore(0);
      const [early] = await startSleeping([place], { cond, sleeping, woken }, 30_000);
      await cond.acquire();
      cond.notify();
      // This wait starts with the notify already made: the token is the early waiter's.
      const late = cond.wait({ timeout: 300 });
      assert.deepEqual(await early, { result: true });
      assert.equal(await late, false);
      lock.release();
      assert.equal(cond.waiters, 0);
    });
  }

  it('keeps its counts exact while timeouts race notifies, and works normally afterwards', async () => {
    using cond = new Condition();
    const rounds = 300;
    const loops = [inThread('condition-loop', { cond, rounds }), inThread('condition-loop', { cond, rounds }), inProcess('condition-loop', { cond, rounds })];
    let notifies = 0;
    let running = true;
    const all = Promise.all(loops).finally(() => (running = false));
    while (running) {
      await notifyUnderLock(cond, 1);
      notifies++;
      await pause(1);
    }
    const woken = (await all).reduce((sum: number, [result]) => sum + (result as { woken: number }).woken, 0);
    assert.ok(woken <= notifies, `${woken} wakes from ${notifies} notify() calls`);
    assert.equal(cond.waiters, 0);
    // No token or count left over: a new waiter is woken by one notify, and nothing wakes one without it.
    using sleeping = new Semaphore(0);
    using counted = new Semaphore(0);
    const next = startThread('condition-f', { cond, sleeping, woken: counted, timeout: 20_000 });
    const result = new Promise((resolve) => next.once('message', resolve));
    assert.equal(await sleeping.acquire({ timeout: 20_000 }), true);
    await notifyUnderLock(cond, 1);
    assert.deepEqual(await result, { result: true });
    await cond.acquire();
    assert.equal(await cond.wait({ timeout: 100 }), false);
    cond.release();
    await next.terminate();
  });
});
