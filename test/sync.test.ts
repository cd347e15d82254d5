import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  Barrier, BoundedSemaphore, Condition, Event, Lock, RawValue, RLock, Semaphore, SyncSegmentError,
} from '../src/index.js';
import { countInto, countRun } from './fixtures/sync-actions.js';
import { inProcess, inThread, nextMessage, startProcess, startThread } from './helpers/agents.js';
import { inFutexWait } from './helpers/kernel-wait.js';
import { finish, firstLine, waitUntil } from './helpers/spawn.js';
import { rejectsWithCode, throwsCode } from './helpers/codes.js';


/** Starts an agent in a child process; resolves once its main thread sleeps in a futex wait, with its JSON lines to come. */
async function asleepInProcess(scenario: string, payload: Record<string, unknown>): Promise<{ lines: Promise<unknown[]> }> {
  const child = startProcess(scenario, payload);
  const result = finish(child, 60_000);
  await waitUntil(() => inFutexWait(child.pid!), 15_000, `the ${scenario} agent asleep`);
  const lines = result.then(({ code, signal, stdout, stderr }) => {
    if (code !== 0) throw new Error(`agent ${scenario} exited ${String(code ?? signal)}: ${stderr}`);
    return stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as unknown);
  });
  return { lines };
}
describe('Lock and RLock', () => {
  it('keep an exact total under contention from processes, threads and the main thread', async () => {
    for (const lock of [new Lock(), new RLock()]) {
      using counter = new RawValue('i', 0);
      const n = 3000;
      const mainLoop = (async () => {
        for (let i = 0; i < n; i++) {
          await using _held = await lock.guard();
          counter.value = counter.value + 1;
        }
      })();
      await Promise.all([
        inProcess('lock-count', { lock, counter, n }),
        inProcess('lock-count', { lock, counter, n }),
        inThread('lock-count', { lock, counter, n }),
        inThread('lock-count', { lock, counter, n }),
        mainLoop,
      ]);
      assert.equal(counter.value, 5 * n, `${lock.constructor.name}`);
      lock.close();
    }
  });

  it('returns false on timeout, throws from a guard, and rejects on abort', async () => {
    using lock = new Lock();
    assert.equal(await lock.acquire(), true);
    const started = performance.now();
    assert.equal(await lock.acquire({ timeout: 60 }), false);
    assert.ok(performance.now() - started >= 55);
    assert.equal(lock.acquireSync({ timeout: 10 }), false);
    assert.equal(lock.tryAcquire(), false);
    await rejectsWithCode(lock.guard({ timeout: 10 }), 'ERR_MP_SYNC_TIMEOUT');
    throwsCode(() => lock.guardSync({ timeout: 0 }), 'ERR_MP_SYNC_TIMEOUT');
    const controller = new AbortController();
    const pending = lock.acquire({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stop')), 20);
    await assert.rejects(pending, /stop/);
    await assert.rejects(lock.acquire({ signal: AbortSignal.abort(new Error('already')) }), /already/);
    await assert.rejects(lock.acquire({ timeout: -1 }), RangeError);
    lock.release();
    throwsCode(() => lock.release(), 'ERR_MP_LOCK_NOT_OWNED');
    {
      using _held = lock.guardSync();
      assert.equal(lock.locked, true);
    }
    assert.equal(lock.locked, false);
  });

  it('wakes an async and a blocking waiter when another process releases', async () => {
    using lock = new Lock();
    const child = startProcess('hold-then-release', { lock, ms: 200 });
    assert.deepEqual(JSON.parse(await firstLine(child)), { held: true });
    const started = performance.now();
    assert.equal(await lock.acquire({ timeout: 20_000 }), true);
    assert.ok(performance.now() - started >= 100, 'it waited for the release');
    await new Promise((resolve) => child.once('exit', resolve));
    lock.release();
    const again = startProcess('hold-then-release', { lock, ms: 200 });
    await firstLine(again);
    assert.equal(lock.acquireSync({ timeout: 20_000 }), true);
    lock.release();
    await new Promise((resolve) => again.once('exit', resolve));
  });

  it('rejects an async waiter when the holder process dies while it waits', async () => {
    using lock = new Lock();
    const child = startProcess('hold', { lock });
    try {
      assert.deepEqual(JSON.parse(await firstLine(child)), { held: true });
      const waiting = lock.acquire({ timeout: 20_000 });
      setTimeout(() => child.kill('SIGKILL'), 50);
      await rejectsWithCode(waiting, 'ERR_MP_LOCK_OWNER_DIED');
    } finally {
      child.kill('SIGKILL');
    }
    assert.equal(lock.recover(), true);
    assert.equal(await lock.acquire({ timeout: 1000 }), true);
    lock.release();
  });

  it('reports a holder that died instead of deadlocking, for blocking waiters too', async () => {
    using lock = new Lock();
    const child = startProcess('hold', { lock });
    await firstLine(child);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    throwsCode(() => lock.acquireSync({ timeout: 5000 }), 'ERR_MP_LOCK_OWNER_DIED');
    await rejectsWithCode(lock.acquire(), 'ERR_MP_LOCK_OWNER_DIED');
    assert.equal(lock.recover(), true);
    assert.equal(lock.recover(), false);
    assert.equal(lock.tryAcquire(), true);
  });

  it('RLock re-enters for its holder and refuses release by another thread', async () => {
    using lock = new RLock();
    assert.equal(await lock.acquire(), true);
    assert.equal(lock.acquireSync(), true);
    assert.equal(lock.count, 2);
    assert.deepEqual(await inThread('release', { lock }), [{ error: 'ERR_MP_LOCK_NOT_OWNED' }]);
    assert.deepEqual(await inProcess('release', { lock }), [{ error: 'ERR_MP_LOCK_NOT_OWNED' }]);
    lock.release();
    lock.release();
    assert.equal(lock.locked, false);
    throwsCode(() => lock.release(), 'ERR_MP_LOCK_NOT_OWNED');
  });

  it('a closed handle refuses use; the creator removes the segment', () => {
    const lock = new Lock();
    const ref = lock.toRef();
    const other = Lock.fromRef(ref);
    lock.close();
    assert.equal(existsSync(`/dev/shm/${ref.name}`), false);
    throwsCode(() => lock.tryAcquire(), 'ERR_MP_SYNC_CLOSED');
    assert.equal(other.tryAcquire(), true, 'an attached handle keeps working');
    other.close();
    assert.throws(() => Lock.fromRef(ref), SyncSegmentError);
    using event = new Event();
    throwsCode(() => Lock.fromRef(event.toRef()), 'ERR_MP_SYNC_BAD_SEGMENT');
    throwsCode(() => Event.fromRef({ ...event.toRef(), dir: '/etc' }), 'ERR_MP_SYNC_BAD_SEGMENT');
  });
});

describe('Semaphore and BoundedSemaphore', () => {
  it('counts, times out, and wakes a sleeper in another process', async () => {
    using semaphore = new Semaphore(2);
    assert.equal(semaphore.tryAcquire(), true);
    assert.equal(await semaphore.acquire(), true);
    assert.equal(semaphore.value, 0);
    assert.equal(await semaphore.acquire({ timeout: 30 }), false);
    assert.equal(semaphore.acquireSync({ timeout: 0 }), false);
    await rejectsWithCode(semaphore.guard({ timeout: 5 }), 'ERR_MP_SYNC_TIMEOUT');
    const child = await asleepInProcess('semaphore-hold', { semaphore, timeout: 20_000 });
    semaphore.release();
    assert.deepEqual(await child.lines, [{ got: true }]);
    semaphore.release(3);
    assert.equal(semaphore.value, 3);
    assert.throws(() => semaphore.release(0), RangeError);
    assert.throws(() => new Semaphore(-1), RangeError);
  });

  it('BoundedSemaphore refuses to pass its initial value', async () => {
    using bounded = new BoundedSemaphore(1);
    throwsCode(() => bounded.release(), 'ERR_MP_SEMAPHORE_OVERFLOW');
    {
      await using _unit = await bounded.guard();
      assert.equal(bounded.value, 0);
    }
    assert.equal(bounded.value, 1);
    const [result] = await inThread('semaphore-hold', { semaphore: bounded, timeout: 1000 });
    assert.deepEqual(result, { got: true });
    bounded.release();
    throwsCode(() => bounded.release(), 'ERR_MP_SEMAPHORE_OVERFLOW');
  });
});

describe('aborting waits', () => {
  it('rejects with the signal\'s reason and leaves every primitive usable', async () => {
    using event = new Event();
    using semaphore = new Semaphore(0);
    using barrier = new Barrier(2);
    const controller = new AbortController();
    const waits = [event.wait({ signal: controller.signal }), semaphore.acquire({ signal: controller.signal }), barrier.wait({ signal: controller.signal })];
    setTimeout(() => controller.abort(new Error('enough')), 30);
    for (const wait of waits) await assert.rejects(wait, /enough/);
    assert.equal(barrier.broken, true, 'a party that gives up breaks the barrier, as a timeout does');
    semaphore.release();
    assert.equal(await semaphore.acquire({ timeout: 1000 }), true, 'the aborted acquire took nothing');
    event.set();
    assert.equal(await event.wait({ signal: new AbortController().signal }), true);
    await assert.rejects(event.wait({ signal: 'no' as unknown as AbortSignal }), TypeError);
  });
});

describe('Event', () => {
  it('wakes waiters in other processes and threads, and times out', async () => {
    using event = new Event();
    const thread = inThread('event-wait', { event, timeout: 20_000 });
    const waiters = [(await asleepInProcess('event-wait', { event, timeout: 20_000 })).lines, thread];
    event.set();
    for (const [result] of await Promise.all(waiters)) assert.equal((result as { result: boolean }).result, true);
    event.clear();
    assert.equal(event.isSet(), false);
    const [timedOut] = await inProcess('event-wait', { event, timeout: 100 });
    assert.equal((timedOut as { result: boolean }).result, false);
    assert.ok((timedOut as { ms: number }).ms >= 95);
    assert.equal(await event.wait({ timeout: 20 }), false);
    const setter = startProcess('event-set', { event, delay: 100 });
    assert.equal(await event.wait({ timeout: 20_000 }), true, 'the main thread is woken by another process');
    setter.kill();
  });
});

describe('Condition', () => {
  it('notifies a waiter in another process and honours timeouts', async () => {
    using cond = new Condition();
    using flag = new RawValue('i', 0);
    const child = startProcess('condition-wait', { cond, flag, timeout: 20_000 });
    const lines: string[] = [];
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => lines.push(...chunk.trim().split('\n')));
    await firstLine(child);
    {
      await using _held = await cond.guard();
      flag.value = 1;
      cond.notifyAll();
    }
    await new Promise((resolve) => child.once('exit', resolve));
    assert.deepEqual(lines.map((line) => JSON.parse(line) as unknown).at(-1), { result: true });

    await cond.acquire();
    assert.equal(await cond.wait({ timeout: 30 }), false);
    assert.equal(cond.waitForSync(() => flag.value === 2, { timeout: 20 }), false);
    assert.equal(await cond.waitFor(() => flag.value === 1), true);
    cond.release();
    assert.throws(() => cond.notify(), (error: { code?: string }) => error.code === 'ERR_MP_LOCK_NOT_OWNED');
    await rejectsWithCode(cond.wait(), 'ERR_MP_LOCK_NOT_OWNED');
  });

  it('works over a plain Lock passed in', async () => {
    using lock = new Lock();
    using cond = new Condition(lock);
    using flag = new RawValue('i', 0);
    const worker = startThread('condition-wait', { cond, flag, timeout: 20_000 });
    assert.deepEqual(await nextMessage(worker), { waiting: true });
    const done = nextMessage(worker);
    await lock.acquire();
    flag.value = 1;
    cond.notify();
    lock.release();
    assert.deepEqual(await done, { result: true });
    await worker.terminate();
    assert.throws(() => new Condition({} as Lock), TypeError);
  });
});

describe('Barrier', () => {
  it('releases all parties across a process, a thread and the main thread', async () => {
    using barrier = new Barrier(3);
    const results = await Promise.all([
      inProcess('barrier', { barrier }), inThread('barrier', { barrier }), barrier.wait().then((index) => [{ index }]),
    ]);
    assert.deepEqual(results.map(([r]) => (r as { index: number }).index).sort(), [0, 1, 2]);
  });

  it('breaks for every party when one times out, until reset', async () => {
    using barrier = new Barrier(4);
    const results = await Promise.all([
      inProcess('barrier', { barrier, timeout: 300 }),
      inThread('barrier', { barrier }),
      barrier.wait().then((index) => [{ index }], (error: { code: string }) => [{ error: error.code }]),
    ]);
    assert.deepEqual(results.map(([r]) => r), Array(3).fill({ error: 'ERR_MP_BROKEN_BARRIER' }));
    assert.equal(barrier.broken, true);
    await rejectsWithCode(barrier.wait(), 'ERR_MP_BROKEN_BARRIER');
    barrier.reset();
    assert.equal(barrier.broken, false);
    using actions = new RawValue('i', 0);
    countInto(actions);
    using two = new Barrier(2, { action: countRun });
    const thread = inThread('barrier', { barrier: two });
    await waitUntil(() => two.nWaiting === 1, 10_000, 'the thread to arrive');
    assert.equal(await two.wait(), 1);
    assert.deepEqual(await thread, [{ index: 0 }]);
    assert.equal(actions.value, 1, 'the action runs once, where the last party arrives');
    const pending = two.wait();
    two.abort();
    await rejectsWithCode(pending, 'ERR_MP_BROKEN_BARRIER');
    assert.throws(() => new Barrier(0), RangeError);
  });
});
