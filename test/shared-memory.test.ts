import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { native } from '../src/native/binding.js';
import { futexWaitAsync, futexWake } from '../src/native/futex.js';
import { SharedMemory } from '../src/shm/shared-memory.js';
import { SharedMemoryManager } from '../src/shm/shared-memory-manager.js';
import { inFutexWait } from './helpers/kernel-wait.js';
import { firstLine, finish, fixture, runNode, startNode, waitUntil } from './helpers/spawn.js';

const child = fixture('shm-child.js');
const text = (buf: SharedArrayBuffer, offset: number): string => {
  const bytes = new Uint8Array(buf, offset);
  return new TextDecoder().decode(bytes.subarray(0, bytes.indexOf(0)));
};

describe('SharedMemory', () => {
  it('creates a Python-named segment of exactly the requested size, as a real SharedArrayBuffer', () => {
    using shm = SharedMemory.create(4097);
    try {
      assert.match(shm.name, /^psm_[0-9a-f]{8}$/);
      assert.equal(shm.size, 4097);
      assert.ok(shm.buf instanceof SharedArrayBuffer);
      assert.equal(shm.buf.byteLength, 4097);
      assert.equal(statSync(`/dev/shm/${shm.name}`).size, 4097);
      assert.equal(statSync(`/dev/shm/${shm.name}`).mode & 0o777, 0o600);
      assert.equal(shm.created, true);
    } finally {
      shm.unlink();
    }
  });

  it('attaches by name and sees the same memory', () => {
    const a = SharedMemory.create(64, { name: `mp_test_${process.pid}_attach` });
    try {
      using b = SharedMemory.attach(a.name);
      assert.equal(b.size, 64);
      assert.equal(b.created, false);
      new Uint8Array(a.buf)[10] = 99;
      assert.equal(new Uint8Array(b.buf)[10], 99);
    } finally {
      a.close();
      a.unlink();
    }
  });

  it('shares writes between two Node processes and a worker thread', async () => {
    using shm = SharedMemory.create(4096);
    try {
      new Uint8Array(shm.buf).set(new TextEncoder().encode('parent'), 0);
      const first = await runNode(child, ['write', shm.name, '1000', 'first child']);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.stdout.trim(), 'parent');
      const second = await runNode(child, ['write', shm.name, '2000', 'second child']);
      assert.equal(second.code, 0, second.stderr);
      assert.equal(text(shm.buf, 1000), 'first child');

      const worker = new Worker(fixture('shm-worker.js'), { workerData: { buf: shm.buf, offset: 3000, text: 'worker thread' } });
      const [reply] = (await Promise.race([
        new Promise((resolve, reject) => {
          worker.once('message', (message) => resolve([message]));
          worker.once('error', reject);
        }),
        sleep(15_000).then(() => {
          throw new Error('worker did not answer');
        }),
      ])) as [{ sawAtZero: string; isShared: boolean }];
      await worker.terminate();
      assert.deepEqual(reply, { sawAtZero: 'parent', isShared: true });
      assert.equal(text(shm.buf, 2000), 'second child');
      assert.equal(text(shm.buf, 3000), 'worker thread', 'the worker wrote into the very same memory (no copy)');
    } finally {
      shm.unlink();
    }
  });

  it('keeps Atomics.add exact across two processes', async () => {
    using shm = SharedMemory.create(8);
    try {
      const n = 1_000_000;
      const results = await Promise.all([runNode(child, ['add', shm.name, String(n)]), runNode(child, ['add', shm.name, String(n)])]);
      for (const result of results) assert.equal(result.code, 0, result.stderr);
      assert.equal(Atomics.load(new Int32Array(shm.buf), 0), 2 * n);
    } finally {
      shm.unlink();
    }
  });

  it('close() releases the handle: buf throws ERR_MP_SHM_CLOSED, old buffers read zeros, never crash', () => {
    const shm = SharedMemory.create(4096);
    try {
      const before = native().mappedCount();
      const view = new Uint8Array(shm.buf);
      view[0] = 42;
      shm.close();
      assert.equal(native().mappedCount(), before - 1);
      assert.equal(shm.closed, true);
      assert.throws(() => shm.buf, { code: 'ERR_MP_SHM_CLOSED' });
      assert.equal(view[0], 0, 'an old view reads private zero pages, not the segment');
      view[1] = 5; // writing is harmless too
      shm.close(); // twice is fine
      using again = SharedMemory.attach(shm.name);
      assert.equal(new Uint8Array(again.buf)[0], 42, 'the segment itself kept its data');
    } finally {
      shm.unlink();
    }
  });

  it('unlink() removes the name; existing mappings stay valid; a second unlink is ERR_MP_SHM_NOT_FOUND', () => {
    using shm = SharedMemory.create(16);
    new Uint8Array(shm.buf)[3] = 3;
    shm.unlink();
    assert.equal(existsSync(`/dev/shm/${shm.name}`), false);
    assert.equal(new Uint8Array(shm.buf)[3], 3);
    assert.throws(() => SharedMemory.attach(shm.name), { code: 'ERR_MP_SHM_NOT_FOUND' });
    assert.throws(() => shm.unlink(), { code: 'ERR_MP_SHM_NOT_FOUND' });
  });

  it('keeps segments as files in a chosen folder with the dir option', async () => {
    const dir = `/tmp/mp-test-dir-${process.pid}`;
    const { mkdirSync, rmSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    try {
      using shm = SharedMemory.create(1000, { dir });
      assert.equal(statSync(`${dir}/${shm.name}`).size, 1000);
      assert.equal(existsSync(`/dev/shm/${shm.name}`), false);
      using other = SharedMemory.attach(shm.name, { dir });
      new Int32Array(shm.buf)[0] = 17;
      assert.equal(new Int32Array(other.buf)[0], 17);
      shm.unlink();
      assert.equal(existsSync(`${dir}/${shm.name}`), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('SharedMemoryManager unlinks everything it made at shutdown, also through await using', async () => {
    let names: string[];
    {
      await using manager = new SharedMemoryManager().start();
      const a = manager.sharedMemory(100);
      const b = manager.sharedMemory(200);
      names = manager.listSegments();
      assert.deepEqual(names.sort(), [a.name, b.name].sort());
      assert.ok(names.every((name) => existsSync(`/dev/shm/${name}`)));
    }
    assert.ok(names.every((name) => !existsSync(`/dev/shm/${name}`)));
    const manager = new SharedMemoryManager();
    manager.shutdown();
    assert.throws(() => manager.sharedMemory(10), { code: 'ERR_MP_MANAGER_SHUT_DOWN' });
  });
});

describe('futex across processes', () => {
  it('wakes a waiter in another Node process', async () => {
    using shm = SharedMemory.create(8);
    try {
      const words = new Int32Array(shm.buf);
      const waiter = startNode(child, ['futex-wait', shm.name]);
      const done = finish(waiter, 20_000);
      assert.equal(await firstLine(waiter), 'waiting');
      await waitUntil(() => Atomics.load(words, 1) === 1, 10_000, 'the waiter to attach');
      await waitUntil(() => inFutexWait(waiter.pid!), 10_000, 'the waiter asleep in the kernel');
      Atomics.store(words, 0, 42);
      assert.equal(futexWake(words, 0), 1, 'one waiter was asleep on the word and woke');
      const result = await done;
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /ok 42/);
    } finally {
      shm.unlink();
    }
  });

  it('is woken in this process (futexWaitAsync) by another process', async () => {
    using shm = SharedMemory.create(8);
    try {
      const words = new Int32Array(shm.buf);
      const waiting = futexWaitAsync(words, 0, 0, { timeout: 15_000 });
      const result = await runNode(child, ['futex-wake', shm.name, '7']);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(await waiting, 'ok');
      assert.equal(Atomics.load(words, 0), 7);
    } finally {
      shm.unlink();
    }
  });

  it('futexWaitAsync times out, honours an AbortSignal, and leaves the libuv threadpool free', async () => {
    using shm = SharedMemory.create(8);
    try {
      const words = new Int32Array(shm.buf);
      assert.equal(await futexWaitAsync(words, 0, 1), 'not-equal');
      assert.equal(await futexWaitAsync(words, 0, 0, { timeout: 50 }), 'timed-out');
      // Waits live on the addon's own threads: with more of them pending than libuv has threadpool
      // threads (4), file reads must still complete.
      const controller = new AbortController();
      const pending = Array.from({ length: 8 }, () => futexWaitAsync(words, 0, 0, { signal: controller.signal }));
      const { readFile } = await import('node:fs/promises');
      const read = await Promise.race([readFile(new URL(import.meta.url)).then(() => 'read'), sleep(10_000).then(() => 'starved')]);
      assert.equal(read, 'read');
      assert.ok(native().waiterThreads() >= 8);
      controller.abort(new Error('stop waiting'));
      const outcomes = await Promise.allSettled(pending);
      assert.ok(outcomes.every((outcome) => outcome.status === 'rejected' && /stop waiting/.test(String(outcome.reason))));
    } finally {
      shm.unlink();
    }
  });
});
