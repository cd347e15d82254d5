// The futex wait driver between processes (it needs the addon; test/unit/wait-drivers.test.ts has the rest).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { driveAsync, driveSync, type WaitSteps } from '../src/sync/wait.js';
import { futexWaiter } from '../src/wire/futex-word-waiter.js';
import { waitOver } from '../src/wire/word-waiter.js';

const futexModule = new URL('../src/wire/futex-word-waiter.js', import.meta.url).href;

function word(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(8));
}

/** A thread that sets word 0 to 1 and wakes it with `futexWaiter.wake`. */
function waker(i32: Int32Array): Worker {
  const code = `const { workerData } = require('node:worker_threads');
    import(${JSON.stringify(futexModule)}).then(({ futexWaiter }) => {
      Atomics.store(workerData, 0, 1);
      futexWaiter.wake(workerData, 0);
    });`;
  return new Worker(code, { eval: true, workerData: i32 });
}

async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true), () => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('futexWaiter', () => {
  it('wait returns at once when the word differs, and after its time when nobody wakes it', () => {
    const i32 = word();
    futexWaiter.wait(i32, 0, 1, 60_000);
    futexWaiter.wait(i32, 0, 0, 1);
  });

  it('a blocking wait is woken by another thread changing the word', async () => {
    const i32 = word();
    const worker = waker(i32);
    const exited = once(worker, 'exit');
    futexWaiter.wait(i32, 0, 0, 30_000);
    assert.equal(Atomics.load(i32, 0), 1);
    await exited;
  });

  it('waitAsync resolves once woken, not before', async () => {
    const i32 = word();
    const controller = new AbortController();
    const pending = futexWaiter.waitAsync(i32, 0, 0, controller.signal);
    assert.equal(await settled(pending), false);
    const exited = once(waker(i32), 'exit');
    await pending;
    assert.equal(Atomics.load(i32, 0), 1);
    await exited;
  });

  it('an abort ends waitAsync by resolving (the caller looks at its own state), never rejecting', async () => {
    const i32 = word();
    const controller = new AbortController();
    const pending = futexWaiter.waitAsync(i32, 0, 0, controller.signal);
    controller.abort(waitOver);
    assert.equal(await pending, undefined);
    assert.equal(Atomics.load(i32, 0), 0, 'the word is as it was');
  });
});

describe('driveSync and driveAsync over the futex', () => {
  function* untilSet(i32: Int32Array, log: string[]): WaitSteps<number> {
    try {
      while (Atomics.load(i32, 0) === 0) {
        yield { i32, index: 0, value: 0, ms: 1000 };
        log.push('looked');
      }
      return Atomics.load(i32, 0);
    } finally {
      log.push('cleaned up');
    }
  }

  it('driveSync sleeps until another thread sets the word', async () => {
    const i32 = word();
    const log: string[] = [];
    const worker = waker(i32);
    const exited = once(worker, 'exit');
    assert.equal(driveSync(untilSet(i32, log)), 1);
    assert.equal(log.at(-1), 'cleaned up');
    await exited;
  });

  it('driveAsync sleeps without blocking the event loop, and an abort rejects after the clean-up', async () => {
    const i32 = word();
    const log: string[] = [];
    const result = driveAsync(untilSet(i32, log), undefined);
    assert.ok(result instanceof Promise);
    assert.equal(await settled(result), false);
    // Listen for the exit before anything is awaited: the waker may be gone by the time the wait resolves.
    const exited = once(waker(i32), 'exit');
    assert.equal(await result, 1);
    await exited;

    const controller = new AbortController();
    const reason = new Error('stop');
    const abortedLog: string[] = [];
    const aborted = driveAsync(untilSet(word(), abortedLog), controller.signal) as Promise<number>;
    assert.equal(await settled(aborted), false);
    controller.abort(reason);
    await assert.rejects(aborted, (error) => error === reason);
    assert.deepEqual(abortedLog, ['cleaned up'], 'not resumed as if woken');
  });
});
