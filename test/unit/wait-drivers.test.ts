// The wait drivers, as far as they run without the addon: V8's Atomics between threads, the deadline helpers,
// and the two generator drivers when no sleep reaches the futex. The futex side is in test/wait-drivers.test.ts.
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { checkSignal, deadlineOf, driveAsync, driveSync, left, spinFor, spinWhile, type WaitSteps } from '../../src/sync/wait.js';
import { atomicsWaiter, waitOver } from '../../src/wire/word-waiter.js';

function word(value = 0): Int32Array {
  const i32 = new Int32Array(new SharedArrayBuffer(8));
  i32[1] = value;
  return i32;
}

/** Whether a promise has settled by the time the event loop has run everything already due. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true), () => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('atomicsWaiter', () => {
  it('wait returns at once when the word no longer holds the value', () => {
    const i32 = word(1);
    atomicsWaiter.wait(i32, 1, 0, Infinity);
    atomicsWaiter.wait(i32, 1, 1, 0);
  });

  it('waitAsync resolves at once when the word differs, and otherwise only once woken', async () => {
    const i32 = word(5);
    const controller = new AbortController();
    assert.equal(await settled(atomicsWaiter.waitAsync(i32, 1, 4, controller.signal)), true);
    const pending = atomicsWaiter.waitAsync(i32, 1, 5, controller.signal);
    assert.equal(await settled(pending), false, 'still waiting while the word holds the value');
    Atomics.store(i32, 1, 6);
    atomicsWaiter.wake(i32, 1);
    assert.equal(await settled(pending), true);
  });

  it('an abort wakes the waits of its signal, adding one listener however many waits it serves', async () => {
    const i32 = word(0);
    const controller = new AbortController();
    const waits = [0, 1, 2].map(() => atomicsWaiter.waitAsync(i32, 1, 0, controller.signal));
    assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
    assert.deepEqual(await Promise.all(waits.map(settled)), [false, false, false]);
    controller.abort(waitOver);
    await Promise.all(waits);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0, 'the listener was once-only');
  });

  it('an abort wakes only its word: a wait on another word of the same buffer keeps waiting', async () => {
    const i32 = word(0);
    const controller = new AbortController();
    const other = new AbortController();
    const mine = atomicsWaiter.waitAsync(i32, 1, 0, controller.signal);
    const theirs = atomicsWaiter.waitAsync(i32, 0, 0, other.signal);
    controller.abort(waitOver);
    await mine;
    assert.equal(await settled(theirs), false);
    other.abort(waitOver);
    await theirs;
  });
});

describe('wait helpers', () => {
  it('deadlineOf: no options or no timeout is no deadline; a timeout counts from now', () => {
    assert.equal(deadlineOf(undefined), Infinity);
    assert.equal(deadlineOf({}), Infinity);
    assert.equal(deadlineOf({ timeout: Infinity }), Infinity);
    const before = performance.now();
    const deadline = deadlineOf({ timeout: 250 });
    assert.ok(deadline >= before + 250 && deadline <= performance.now() + 250);
    assert.ok(deadlineOf({ timeout: 0 }) <= performance.now());
  });

  it('deadlineOf: bad options are argument errors', () => {
    for (const timeout of [-1, Number.NaN]) {
      assert.throws(() => deadlineOf({ timeout }), (error: Error) => error instanceof RangeError && /^Expected `timeout` to be/.test(error.message));
    }
    // A wrong type is a TypeError, a number out of range a RangeError.
    assert.throws(() => deadlineOf({ timeout: '5' } as unknown as { timeout: number }), (error: Error) => error instanceof TypeError && /^Expected `timeout` to be/.test(error.message));
    for (const options of [null, 5, 'x'] as unknown[]) {
      assert.throws(() => deadlineOf(options as object), (error: Error) => error instanceof TypeError && /^Expected `options` to be an object/.test(error.message));
    }
  });

  it('left: the time before a deadline, capped, and never below 0', () => {
    assert.equal(left(performance.now() - 10), 0);
    assert.equal(left(Infinity), Infinity);
    assert.equal(left(Infinity, 200), 200);
    const ms = left(performance.now() + 10_000, 500);
    assert.equal(ms, 500);
    assert.ok(left(performance.now() + 10_000) <= 10_000);
  });

  it('spinWhile and spinFor: true only when the word changed', () => {
    const i32 = word(3);
    assert.equal(spinWhile(i32, 1, 3), false);
    assert.equal(spinWhile(i32, 1, 2), true);
    assert.equal(spinFor(i32, 1, 3, 50), false);
    assert.equal(spinFor(i32, 1, 4, 50), true);
  });

  it('checkSignal: nothing to check, a bad signal, an aborted one', () => {
    checkSignal(undefined);
    checkSignal(new AbortController().signal);
    assert.throws(() => checkSignal({} as AbortSignal), (error: Error) => error instanceof TypeError && /^Expected `signal` to be an AbortSignal/.test(error.message));
    const reason = new Error('stop');
    assert.throws(() => checkSignal(AbortSignal.abort(reason)), (error) => error === reason);
  });
});

describe('driveSync and driveAsync', () => {
  /** Sleeps on a word that already moved on `sleeps` times, then returns; records its own clean-up. */
  function* moving(i32: Int32Array, sleeps: number, log: string[]): WaitSteps<string> {
    try {
      for (let n = 0; n < sleeps; n++) {
        yield { i32, index: 1, value: Atomics.load(i32, 1) + 1, ms: 1000 };
        log.push(`woke ${n}`);
      }
      return 'done';
    } finally {
      log.push('cleaned up');
    }
  }

  it('a waiting that never sleeps gives its value, and driveAsync makes no Promise for it', () => {
    assert.equal(driveSync(moving(word(), 0, [])), 'done');
    const value = driveAsync(moving(word(), 0, []), undefined);
    assert.equal(value, 'done', 'the value itself, not a Promise');
  });

  it('driveAsync resumes the waiting after each sleep whose word already moved on', async () => {
    const log: string[] = [];
    const result = driveAsync(moving(word(), 3, log), new AbortController().signal);
    assert.ok(result instanceof Promise);
    assert.equal(await result, 'done');
    assert.deepEqual(log, ['woke 0', 'woke 1', 'woke 2', 'cleaned up']);
  });

  it('an aborted signal rejects with its reason, after the waiting undid its bookkeeping', async () => {
    const log: string[] = [];
    const reason = new Error('aborted');
    const i32 = word();
    function* sleeper(): WaitSteps<string> {
      try {
        yield { i32, index: 1, value: 0, ms: 1000 };
        log.push('resumed');
        return 'done';
      } finally {
        log.push('cleaned up');
      }
    }
    await assert.rejects(Promise.resolve(driveAsync(sleeper(), AbortSignal.abort(reason))), (error) => error === reason);
    assert.deepEqual(log, ['cleaned up'], 'not resumed as if woken');
  });

  it('an error thrown by the waiting itself rejects too', async () => {
    const boom = new Error('broken');
    function* brokenAt(step: number): WaitSteps<never> {
      for (let n = 0; ; n++) {
        if (n === step) throw boom;
        yield { i32: word(1), index: 1, value: 0, ms: 1000 };
      }
    }
    await assert.rejects(Promise.resolve(driveAsync(brokenAt(1), undefined)), (error) => error === boom);
    assert.throws(() => driveAsync(brokenAt(0), undefined), (error) => error === boom, 'thrown before any sleep: at once');
    assert.throws(() => driveSync(brokenAt(0)), (error) => error === boom);
  });
});
