// Process: a target or a subclass with run() in a child process or a worker thread, with Python's start,
// join, exit codes, current_process() / parent_process(), and the seed patterns.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activeChildren, cpuCount, currentProcess, Event, parentProcess, Process, ProcessStateError, Queue, RawArray, taskRef, type BackendName } from '../src/index.js';
import { fixture, runNode } from './helpers/spawn.js';
import { within } from './pool/harness.js';
import { Producer } from './fixtures/process-targets.js';

const targets = new URL(`file://${fixture('process-targets.js')}`);
const target = (name: string): ReturnType<typeof taskRef> => taskRef(targets, name);

for (const backend of ['process', 'thread'] as BackendName[]) {
  describe(`Process (${backend})`, { timeout: 60_000 }, () => {
    it('runs its target once with its arguments, then exits 0', async () => {
      using counts = new RawArray('i', 1);
      const child = new Process({ target: target('addTo'), args: [counts, 5], backend });
      assert.equal(child.exitcode, null);
      assert.equal(child.isAlive(), false);
      child.start();
      assert.equal(child.isAlive(), true);
      assert.ok(activeChildren().includes(child));
      await within(child.join(), 20_000, 'join()');
      assert.equal(child.exitcode, 0);
      assert.equal(child.isAlive(), false);
      assert.equal(counts.get(0), 5, 'the target ran exactly once');
      assert.ok(!activeChildren().includes(child));
      assert.throws(() => child.start(), (error: unknown) => error instanceof ProcessStateError && error.code === 'ERR_MP_PROCESS_STATE');
      child.close();
    });

    it('a target that throws exits 1; process.exit(n) gives n', async () => {
      const failing = new Process({ target: target('fail'), args: ['no good'], backend });
      const exiting = new Process({ target: target('exitWith'), args: [7], backend });
      failing.start();
      exiting.start();
      assert.equal(await within(failing.sentinel), 1);
      assert.equal(await within(exiting.sentinel), 7);
    });

    it('join(timeout) returns while it runs; terminate() ends it' + (backend === 'process' ? ' with -SIGTERM' : ''), async () => {
      const child = new Process({ target: target('sleepForever'), backend });
      await assert.rejects(child.join(), ProcessStateError);
      child.start();
      await within(child.join(200));
      assert.equal(child.exitcode, null);
      assert.throws(() => child.close(), ProcessStateError);
      child.terminate();
      await within(child.join(), 10_000);
      assert.equal(child.exitcode, backend === 'process' ? -15 : 1);
    });

    it('the seed pattern: a writer fills shared memory and sets an Event, a reader waits and sums', async () => {
      using frame = new RawArray('i', 1000);
      using total = new RawArray('i', 1);
      using ready = new Event();
      const reader = new Process({ target: target('waitThenSum'), args: [frame, ready, total], backend });
      const writer = new Process({ target: target('writeThenSet'), args: [frame, ready], backend });
      reader.start();
      writer.start();
      await within(Promise.all([reader.join(), writer.join()]));
      assert.deepEqual([reader.exitcode, writer.exitcode], [0, 0]);
      assert.equal(total.get(0), (3 * 999 * 1000) / 2);
    });

    it('a subclass with run() travels with its fields; two producers fill one queue', async () => {
      using queue = new Queue<number>();
      const started = [new Producer(queue, 50, backend), new Producer(queue, 50, backend)];
      for (const child of started) child.start();
      const got: number[] = [];
      for (let i = 0; i < 100; i++) got.push(await within(queue.get({ timeout: 10_000 })));
      await within(Promise.all(started.map((child) => child.join())));
      assert.deepEqual(started.map((child) => child.exitcode), [0, 0]);
      assert.deepEqual(got.sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => Math.floor(i / 2)));
    });

    it('current and parent process, as Python names them', async () => {
      using queue = new Queue<unknown>();
      const child = new Process({ target: target('tellWho'), args: [queue], name: 'who', backend });
      child.start();
      const seen = (await within(queue.get({ timeout: 10_000 }))) as { current: { name: string }; parent: { name: string; pid: number } };
      await within(child.join());
      assert.equal(seen.current.name, 'who');
      assert.equal(seen.parent.name, 'MainProcess');
      assert.equal(seen.parent.pid, process.pid);
      assert.equal(currentProcess().name, 'MainProcess');
      assert.equal(parentProcess(), undefined);
      assert.ok(cpuCount() >= 1);
    });
  });
}

describe('Process: bad input', () => {
  it('refuses a closure, a Process without target or run(), and bad options, with what was expected', () => {
    assert.throws(() => new Process({ target: () => 1 }), { code: 'ERR_MP_PROCESS_TARGET', message: /registerFunction/ });
    assert.throws(() => new Process().start(), { code: 'ERR_MP_PROCESS_TARGET', message: /no target/ });
    assert.throws(() => new Process({ args: 'x' as never }), { name: 'TypeError', message: /`args`/ });
    assert.throws(() => new Process({ backend: 'x' as never }), { name: 'TypeError', message: /`backend`/ });
    assert.throws(() => new Process({ daemon: 'yes' as never }), { name: 'TypeError', message: /`daemon`/ });
  });
});

describe('Process: the main guard', () => {
  it('a child importing an unguarded module that starts a Process gets ERR_MP_POOL_IN_BOOTSTRAP, not a child of its own', async () => {
    const result = await runNode(fixture('process-unguarded.js'), [], 30_000);
    assert.equal(result.code, 0, result.stderr);
    // The main program's child failed at its import and exited 1; no grandchild ever ran the target.
    assert.equal(result.stdout, 'exitcode 1 in main\n');
    assert.match(result.stderr, /ERR_MP_POOL_IN_BOOTSTRAP|Process `Process-\d+` was started while a task module was being imported/);
  });
});
