import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { futexWaitAsync, futexWake } from '../src/native/futex.js';
import { SharedMemory } from '../src/shm/shared-memory.js';
import { inFutexWait } from './helpers/kernel-wait.js';
import { finish, firstLine, python, pythonScript, runPython, startPython, waitUntil } from './helpers/spawn.js';

const peer = pythonScript('shm_peer.py');

describe('SharedMemory with a real Python process', () => {
  it('Python attaches to a multiproc segment by name, reads and writes it', async () => {
    using shm = SharedMemory.create(4096);
    try {
      new Uint8Array(shm.buf).set(new TextEncoder().encode('hello from node'));
      const result = await runPython(peer, ['read-write', shm.name]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout.trim(), 'hello from node 4096');
      assert.equal(new TextDecoder().decode(new Uint8Array(shm.buf, 100, 15)), 'python was here');
      assert.ok(existsSync(`/dev/shm/${shm.name}`), 'unregistered from Python\'s tracker, the segment outlives Python');
    } finally {
      shm.unlink();
    }
  });

  it('shows the caveat: without unregister, Python\'s tracker unlinks a segment it only attached', () => {
    using shm = SharedMemory.create(64);
    const code = `from multiprocessing import shared_memory\ns = shared_memory.SharedMemory(${JSON.stringify(shm.name)})\ns.close()`;
    const result = spawnSync(python, ['-W', 'ignore', '-c', code], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(existsSync(`/dev/shm/${shm.name}`), false, 'Python 3.8-3.12 unlink attached segments at exit');
    assert.throws(() => shm.unlink(), { code: 'ERR_MP_SHM_NOT_FOUND' });
  });

  it('Node attaches to a segment Python created', async () => {
    const creator = startPython(peer, ['create', '4096']);
    const done = finish(creator, 30_000);
    const name = await firstLine(creator);
    {
      using shm = SharedMemory.attach(name);
      assert.equal(shm.size, 4096);
      assert.equal(new TextDecoder().decode(new Uint8Array(shm.buf, 0, 17)), 'made by python3.x');
      new Uint8Array(shm.buf).set(new TextEncoder().encode('node was here'), 200);
    }
    creator.stdin?.end();
    const result = await done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.split('\n')[1], 'node was here');
    assert.equal(existsSync(`/dev/shm/${name}`), false, 'Python unlinked it');
  });

  it('a futex wake from Node wakes a Python waiter (ctypes)', async () => {
    using shm = SharedMemory.create(8);
    try {
      const words = new Int32Array(shm.buf);
      const waiter = startPython(peer, ['futex-wait', shm.name]);
      const done = finish(waiter, 20_000);
      assert.equal(await firstLine(waiter), 'waiting');
      await waitUntil(() => Atomics.load(words, 1) === 1, 10_000, 'Python to attach');
      await waitUntil(() => inFutexWait(waiter.pid!), 10_000, 'Python asleep in the kernel');
      Atomics.store(words, 0, 42);
      assert.equal(futexWake(words, 0), 1);
      const result = await done;
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /woke 42/);
    } finally {
      shm.unlink();
    }
  });

  it('a futex wake from Python wakes futexWaitAsync in Node', async () => {
    using shm = SharedMemory.create(8);
    try {
      const words = new Int32Array(shm.buf);
      const waiting = futexWaitAsync(words, 0, 0, { timeout: 15_000 });
      const result = await runPython(peer, ['futex-wake', shm.name, '9']);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(await waiting, 'ok');
      assert.equal(Atomics.load(words, 0), 9);
    } finally {
      shm.unlink();
    }
  });
});
