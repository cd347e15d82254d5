import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { futexWake } from '../src/native/futex.js';
import { newThreadInFutexWait, ownThreads } from './helpers/kernel-wait.js';
import { fixture, waitUntil } from './helpers/spawn.js';

async function parkedWorker(mode: 'blocking' | 'async'): Promise<{ worker: Worker; words: Int32Array }> {
  const buf = new SharedArrayBuffer(8);
  const before = ownThreads();
  const worker = new Worker(fixture('futex-waiter-worker.js'), { workerData: { buf, mode } });
  const [message] = (await Promise.race([once(worker, 'message'), sleep(15_000).then(() => ['timeout'])])) as [string];
  assert.equal(message, 'parked');
  // Blocking: the worker's own thread; async: a waiter thread the addon started for it.
  await waitUntil(() => newThreadInFutexWait(before), 10_000, 'the worker asleep in the kernel');
  return { worker, words: new Int32Array(buf) };
}

describe('futex waits in worker threads', () => {
  for (const mode of ['blocking', 'async'] as const) {
    it(`worker.terminate() ends a ${mode} wait with no limit, and the process carries on`, async () => {
      const { worker } = await parkedWorker(mode);
      const exited = once(worker, 'exit');
      await worker.terminate();
      const outcome = await Promise.race([exited.then(() => 'exited'), sleep(10_000).then(() => 'stuck')]);
      assert.equal(outcome, 'exited');
    });

    it(`a ${mode} wait in a worker is woken by futexWake from the main thread`, async () => {
      const { worker, words } = await parkedWorker(mode);
      const woke = once(worker, 'message');
      Atomics.store(words, 0, 1);
      futexWake(words, 0);
      const [message] = (await Promise.race([woke, sleep(10_000).then(() => ['timeout'])])) as [string];
      assert.equal(message, 'woke');
      await worker.terminate();
    });
  }
});
