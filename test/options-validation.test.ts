// Every public option and argument is checked by the call that takes it: a TypeError for a wrong type, a
// RangeError for a value out of range, with a message naming the option. Valid values still work, and a pool
// whose workers cannot start (a flag Node refuses) fails clearly, leaving no worker behind.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  Array as SharedArray, AsyncResult, futexWait, futexWaitAsync, futexWake, Barrier, BoundedSemaphore, Condition, encode, decodeSync, Event, JoinableQueue, listSegments, Lock, packetToBytes,
  bytesToPacket, Pipe, Pool, Process, Queue, RawArray, RawValue, RLock, Semaphore, ShareableList, SharedMemory, SharedMemoryManager, SimpleQueue,
  taskRef, Value, type PoolOptions,
} from '../src/index.js';
import type * as Tasks from './fixtures/pool-tasks.js';
import { fixture, runNode } from './helpers/spawn.js';

const tasksUrl = new URL('./fixtures/pool-tasks.js', import.meta.url);
const square = taskRef<typeof Tasks.square>(tasksUrl, 'square');
const add = taskRef<typeof Tasks.add>(tasksUrl, 'add');

type ErrorClass = typeof TypeError | typeof RangeError;
interface Case {
  /** What is wrong, as the test's name. */
  what: string;
  /** The call; it throws, or returns a promise that rejects. */
  call: (pool: Pool) => unknown;
  error: ErrorClass;
  /** Must name the option (and say what was expected). */
  message: RegExp;
}

/** Bad values that reach no worker: each fails at the call that took it. */
const cases: Case[] = [
  // Pool constructor
  { what: 'options not an object', call: () => new Pool('x' as unknown as PoolOptions), error: TypeError, message: /^Expected `options` to be an object/ },
  { what: 'workers a string', call: () => new Pool({ workers: '2' as unknown as number }), error: TypeError, message: /`workers` to be a positive integer/ },
  { what: 'workers 1.5', call: () => new Pool({ workers: 1.5 }), error: RangeError, message: /`workers` to be a positive integer, got `1.5`/ },
  { what: 'workers NaN', call: () => new Pool({ workers: NaN }), error: RangeError, message: /`workers`.*`NaN`/ },
  { what: 'backend unknown', call: () => new Pool({ backend: 'fiber' as 'thread' }), error: TypeError, message: /`backend` to be 'thread' or 'process'/ },
  { what: 'initargs not an array', call: () => new Pool({ initargs: 'x' as unknown as [] }), error: TypeError, message: /`initargs` to be an array/ },
  { what: 'maxTasksPerWorker 0', call: () => new Pool({ maxTasksPerWorker: 0 }), error: RangeError, message: /`maxTasksPerWorker` to be a positive integer or Infinity/ },
  { what: 'chunksize 0', call: () => new Pool({ chunksize: 0 }), error: RangeError, message: /`chunksize` to be a positive integer/ },
  { what: 'chunksize a string', call: () => new Pool({ chunksize: 'big' as 'auto' }), error: TypeError, message: /`chunksize` to be a positive integer or 'auto'/ },
  { what: 'order unknown', call: () => new Pool({ order: 'lifo' as 'fifo' }), error: TypeError, message: /`order` to be one of 'fifo', 'shuffle', 'longest-first'/ },
  { what: 'taskTimeout NaN', call: () => new Pool({ taskTimeout: NaN }), error: RangeError, message: /`taskTimeout` to be a positive number of milliseconds/ },
  { what: 'taskTimeout a string', call: () => new Pool({ taskTimeout: '5' as unknown as number }), error: TypeError, message: /`taskTimeout`/ },
  { what: 'retries -1', call: () => new Pool({ retries: -1 }), error: RangeError, message: /`retries` to be a non-negative integer/ },
  { what: 'spinMicros past the bound', call: () => new Pool({ spinMicros: 1e6 }), error: RangeError, message: /`spinMicros` to be a number of microseconds from 0 to 100000/ },
  { what: 'abortGraceMs Infinity', call: () => new Pool({ abortGraceMs: Infinity }), error: RangeError, message: /`abortGraceMs` to be a non-negative finite number/ },
  { what: 'insights a string', call: () => new Pool({ insights: 'yes' as unknown as boolean }), error: TypeError, message: /^Expected `insights` to be a boolean, got `"yes"` \(string\)/ },
  { what: 'resourceLimits a string', call: () => new Pool({ resourceLimits: 'x' as never }), error: TypeError, message: /`resourceLimits` to be an object/ },
  { what: 'resourceLimits negative', call: () => new Pool({ resourceLimits: { maxOldGenerationSizeMb: -1 } }), error: RangeError,
    message: /`resourceLimits.maxOldGenerationSizeMb` to be a non-negative finite number of MB/ },
  { what: 'resourceLimits NaN', call: () => new Pool({ resourceLimits: { stackSizeMb: NaN } }), error: RangeError, message: /`resourceLimits.stackSizeMb`/ },
  { what: 'resourceLimits a string value', call: () => new Pool({ resourceLimits: { maxYoungGenerationSizeMb: '8' as unknown as number } }), error: TypeError,
    message: /`resourceLimits.maxYoungGenerationSizeMb`/ },
  { what: 'resourceLimits unknown key', call: () => new Pool({ resourceLimits: { maxHeapMb: 64 } as never }), error: TypeError, message: /`resourceLimits` to have only the keys .*got the key `maxHeapMb`/ },
  { what: 'execArgv a string', call: () => new Pool({ execArgv: '--x' as unknown as string[] }), error: TypeError, message: /`execArgv` to be an array of strings/ },
  { what: 'execArgv holding a number', call: () => new Pool({ execArgv: ['--expose-gc', 1] as unknown as string[] }), error: TypeError, message: /`execArgv\[1\]` to be a string/ },
  { what: 'env a string', call: () => new Pool({ env: 'x' as never }), error: TypeError, message: /`env` to be an object/ },
  { what: 'env holding a number', call: () => new Pool({ env: { PORT: 80 } as never }), error: TypeError, message: /`env.PORT` to be a string or undefined/ },
  // Calls
  { what: 'apply options null', call: (pool) => pool.apply(square, [1], null as never), error: TypeError, message: /`options` to be an object/ },
  { what: 'apply transfer not an array', call: (pool) => pool.apply(square, [1], { transfer: new ArrayBuffer(1) as unknown as [] }), error: TypeError, message: /`transfer` to be an array of ArrayBuffers/ },
  { what: 'apply timeout 0', call: (pool) => pool.apply(square, [1], { timeout: 0 }), error: RangeError, message: /`timeout` to be a positive number/ },
  { what: 'apply retries 0.5', call: (pool) => pool.apply(square, [1], { retries: 0.5 }), error: RangeError, message: /`retries` to be a non-negative integer/ },
  { what: 'map progress a string', call: (pool) => pool.map(square, [1], { progress: 'yes' as unknown as boolean }), error: TypeError, message: /`progress` to be a boolean/ },
  { what: 'map cost a string', call: (pool) => pool.map(square, [1, 2], { order: 'longest-first', cost: 'x' as unknown as () => number }), error: TypeError,
    message: /`cost` to be a function/ },
  { what: 'map cost returning NaN', call: (pool) => pool.map(square, [1, 2], { order: 'longest-first', cost: () => NaN }), error: TypeError, message: /`cost\(item\)` to be a finite number, got `NaN` \(number\) for item 0/ },
  { what: 'map onProgress not a function', call: (pool) => pool.map(square, [1], { onProgress: 1 as unknown as () => void }), error: TypeError, message: /`onProgress` to be a function/ },
  { what: 'map orderWindow on an array', call: (pool) => pool.map(square, [1], { orderWindow: -2 }), error: RangeError, message: /`orderWindow` to be a positive integer/ },
  { what: 'map items not iterable', call: (pool) => pool.map(square, 5 as unknown as number[]), error: TypeError, message: /`items` to be an iterable/ },
  { what: 'imap progress a number', call: (pool) => pool.imap(square, [1], { progress: 1 as unknown as boolean }), error: TypeError, message: /`progress` to be a boolean/ },
  { what: 'starmap items not argument arrays', call: (pool) => pool.starmap(add, [1, 2] as unknown as [number, number][]), error: TypeError,
    message: /`items\[0\]` to be an array of the task's arguments \(starmap spreads each item\), got `1` \(number\)/ },
  { what: 'AsyncResult.get timeout a string', call: (pool) => pool.applyAsync(square, [1]).get('5' as unknown as number), error: TypeError, message: /`timeout`/ },
  { what: 'AsyncResult.wait timeout -1', call: () => new AsyncResult(Promise.resolve(1)).wait(-1), error: RangeError, message: /`timeout` to be a non-negative number/ },
  // Process
  { what: 'Process daemon a string', call: () => new Process({ target: square, daemon: 'yes' as unknown as boolean }), error: TypeError, message: /`daemon` to be a boolean/ },
  { what: 'Process.join timeout NaN', call: () => new Process({ target: square }).join(NaN), error: RangeError, message: /`timeout` to be a non-negative number of ms/ },
  // Shared memory
  { what: 'SharedMemory create a string', call: () => new SharedMemory({ create: 'yes' as unknown as boolean, size: 16 }), error: TypeError, message: /`create` to be a boolean/ },
  { what: 'SharedMemory track a string', call: () => SharedMemory.create(16, { track: 'no' as unknown as boolean }), error: TypeError, message: /`track` to be a boolean/ },
  { what: 'SharedMemory openExisting 1', call: () => new SharedMemory({ create: true, size: 16, openExisting: 1 as unknown as boolean }), error: TypeError,
    message: /`openExisting` to be a boolean/ },
  { what: 'SharedMemory.create options null', call: () => SharedMemory.create(16, null as never), error: TypeError, message: /`options` to be an object/ },
  { what: 'SharedMemory.attach name a number', call: () => SharedMemory.attach(5 as unknown as string), error: TypeError, message: /`name` to be a string/ },
  { what: 'SharedMemoryManager dir a number', call: () => new SharedMemoryManager({ dir: 5 as unknown as string }), error: TypeError, message: /`dir` to be a folder path/ },
  { what: 'ShareableList options a string', call: () => new ShareableList([1], 'x' as never), error: TypeError, message: /`options` to be an object/ },
  { what: 'ShareableList name a number', call: () => new ShareableList([1], { name: 7 as unknown as string }), error: TypeError, message: /`name` to be a segment name/ },
  { what: 'ShareableList.attach options null', call: () => ShareableList.attach('x', null as never), error: TypeError, message: /`options` to be an object/ },
  { what: 'listSegments options null', call: () => listSegments(null as never), error: TypeError, message: /`options` to be an object/ },
  // Shared ctypes
  { what: "Value('i', NaN)", call: () => new Value('i', NaN), error: RangeError, message: /`initial` to be an integer for typecode 'i'/ },
  { what: "RawValue('h', 1.5)", call: () => new RawValue('h', 1.5), error: RangeError, message: /`initial` to be an integer for typecode 'h'/ },
  { what: "Value('i', 0, null)", call: () => new Value('i', 0, null as never), error: TypeError, message: /`options` to be an object/ },
  { what: 'Value lock a string', call: () => new Value('i', 0, { lock: 'yes' as unknown as boolean }), error: TypeError, message: /`lock` to be a boolean, a Lock or an RLock/ },
  { what: 'Value internal parts', call: () => new Value('i', 0, {}, 'x' as never), error: TypeError, message: /`parts` to be nothing/ },
  { what: "Array('i', [1, NaN])", call: () => new SharedArray('i', [1, NaN]), error: RangeError, message: /`sizeOrInitializer\[1\]` to be an integer/ },
  { what: 'Array options a boolean', call: () => new SharedArray('d', 2, false as never), error: TypeError, message: /`options` to be an object/ },
  { what: 'RawArray internal parts', call: () => new RawArray('i', 2, 'x' as never), error: TypeError, message: /`parts` to be nothing/ },
  { what: 'Value setter NaN', call: () => {
    const value = new RawValue('i', 1);
    try {
      value.value = NaN;
    } finally {
      value.close();
    }
  }, error: RangeError, message: /`value` to be an integer/ },
  // Synchronization
  { what: "new Lock('x')", call: () => new Lock('x' as never), error: TypeError, message: /`placement` to be nothing: Lock's last parameter is internal/ },
  { what: 'new RLock(1)', call: () => new RLock(1 as never), error: TypeError, message: /`placement` to be nothing: RLock's/ },
  { what: 'new Event({})', call: () => new Event({} as never), error: TypeError, message: /`placement` to be nothing: Event's/ },
  { what: "new Semaphore('2')", call: () => new Semaphore('2' as unknown as number), error: TypeError, message: /`value` to be an integer from 0 to 2\^30-1/ },
  { what: 'new BoundedSemaphore(1.5)', call: () => new BoundedSemaphore(1.5), error: RangeError, message: /`value` to be an integer/ },
  { what: 'new Condition(lock, placement)', call: () => new Condition(undefined, 'x' as never), error: TypeError, message: /`placement` to be nothing: Condition's/ },
  { what: 'Condition.waitFor predicate not a function', call: () => {
    const condition = new Condition();
    try {
      return condition.waitForSync(true as never);
    } finally {
      condition.close();
    }
  }, error: TypeError, message: /`predicate` to be a function/ },
  { what: 'Barrier options null', call: () => new Barrier(2, null as never), error: TypeError, message: /`options` to be an object/ },
  { what: "Barrier parties '2'", call: () => new Barrier('2' as unknown as number), error: TypeError, message: /`parties` to be a positive integer/ },
  { what: "acquire timeout '5'", call: () => {
    const lock = new Lock();
    try {
      return lock.acquireSync({ timeout: '5' as unknown as number });
    } finally {
      lock.close();
    }
  }, error: TypeError, message: /`timeout` to be a non-negative number of milliseconds/ },
  // Queues and pipes
  { what: 'Pipe bufferSize -1', call: () => Pipe({ bufferSize: -1 }), error: RangeError, message: /`bufferSize` to be an integer from 1 to 2\^30 bytes/ },
  { what: 'Pipe options null', call: () => Pipe(null as never), error: TypeError, message: /`options` to be an object/ },
  { what: "Pipe bufferSize '1k'", call: () => Pipe({ bufferSize: '1k' as unknown as number }), error: TypeError, message: /`bufferSize`/ },
  { what: "Connection.send options 'x'", call: () => {
    const [left, right] = Pipe();
    return left.send(1, 'x' as never).finally(() => {
      left.close();
      right.close();
    });
  }, error: TypeError, message: /`options` to be an object/ },
  { what: "Queue maxsize 'x'", call: () => new Queue('x' as unknown as number), error: TypeError, message: /`maxsize` to be a non-negative integer/ },
  { what: 'Queue bufferSize NaN', call: () => new Queue(0, { bufferSize: NaN }), error: RangeError, message: /`bufferSize`/ },
  { what: 'JoinableQueue internal region', call: () => new JoinableQueue(0, {}, 'x' as never), error: TypeError, message: /`region` to be nothing: JoinableQueue's/ },
  { what: 'SimpleQueue options null', call: () => new SimpleQueue(null as never), error: TypeError, message: /`options` to be an object/ },
  // Futex
  { what: "futexWait value 'x'", call: () => futexWait(new Int32Array(new SharedArrayBuffer(4)), 0, 'x' as never, 0), error: TypeError, message: /`value` to be an integer/ },
  { what: 'futexWaitAsync options null', call: () => futexWaitAsync(new Int32Array(new SharedArrayBuffer(4)), 0, 0, null as never), error: TypeError,
    message: /`options` to be an object/ },
  { what: "futexWake count '1'", call: () => futexWake(new Int32Array(new SharedArrayBuffer(4)), 0, '1' as never), error: TypeError, message: /`count`/ },
  // Codec
  { what: "encode options 'x'", call: () => encode(1, 'x' as never), error: TypeError, message: /`options` to be an object/ },
  { what: 'packetToBytes(null)', call: () => packetToBytes(null as never), error: TypeError, message: /`packet` to be a packet from encode\(\)/ },
  { what: 'packetToBytes without buffers', call: () => packetToBytes({ data: new Uint8Array(2) } as never), error: TypeError, message: /`packet.buffers` to be an array/ },
  { what: 'decodeSync data a string', call: () => decodeSync({ data: 'x', buffers: [] } as never), error: TypeError, message: /`packet.data` to be a Uint8Array/ },
  { what: "bytesToPacket('x')", call: () => bytesToPacket('x' as never), error: TypeError, message: /`bytes` to be a Uint8Array/ },
];

/** Runs a case: a throw or a rejection; the pool is the shared one (the constructor cases make none). */
async function failure(call: () => unknown): Promise<unknown> {
  try {
    const result = call();
    if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') await (result as Promise<unknown>);
    else if (result !== null && typeof result === 'object' && typeof (result as AsyncGenerator).next === 'function') await (result as AsyncGenerator).next();
  } catch (error) {
    return error;
  }
  throw new assert.AssertionError({ message: 'the call was accepted' });
}

describe('argument checks', () => {
  let pool: Pool;
  before(() => {
    pool = new Pool({ workers: 1 });
  });
  after(() => pool.terminate());

  for (const { what, call, error, message } of cases) {
    it(`${what}: ${error.name}`, async () => {
      const thrown = await failure(() => call(pool));
      assert.ok(thrown instanceof error, `${what}: got ${String(thrown)}`);
      assert.match(thrown.message, message);
    });
  }

  it('a bad item of a lazy starmap input still fails only its call', async () => {
    assert.deepEqual(await pool.starmap(add, [[1, 2], [3, 4]]), [3, 7], 'the pool keeps working after the bad starmap cases');
  });
});

describe('valid values still work', () => {
  for (const backend of ['thread', 'process'] as const) {
    it(`a ${backend} pool with every option set runs calls and maps`, async () => {
      const pool = new Pool({
        workers: 2, backend, initargs: [], maxTasksPerWorker: 100, chunksize: 2, order: 'shuffle', taskTimeout: 30_000, retries: 1, spinMicros: 0,
        abortGraceMs: 0, resourceLimits: { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 0, stackSizeMb: 4 }, execArgv: ['--no-warnings'],
        env: { ...process.env, MULTIPROC_TEST: '1', UNSET: undefined }, insights: true,
      });
      try {
        const tasks = pool.load<typeof Tasks>(tasksUrl);
        assert.equal(await tasks.square(7), 49);
        assert.equal(await pool.apply(add, [2, 3], { timeout: 10_000, retries: 0, transfer: [] }), 5);
        assert.equal(await pool.applyAsync(square, [3]).get(10_000), 9);
        const seen: number[] = [];
        assert.deepEqual(await pool.map(square, [1, 2, 3, 4, 5], {
          chunksize: 'auto', order: 'longest-first', cost: (x) => x, progress: false, onProgress: (p) => seen.push(p.done),
        }), [1, 4, 9, 16, 25]);
        assert.equal(seen.at(-1), 5);
        assert.deepEqual(await pool.starmap(add, [[1, 1], [2, 2]], { order: 'fifo', chunksize: 1 }), [2, 4]);
        const lazy: number[] = [];
        for await (const x of pool.imap(square, (function* () { yield* [1, 2, 3]; })(), { order: 'shuffle', orderWindow: 2 })) lazy.push(x);
        assert.deepEqual(lazy, [1, 4, 9]);
        assert.ok(pool.insights().tasksCompleted >= 5);
      } finally {
        await pool.terminate();
      }
    });
  }

  it('shared values, primitives, queues and the codec take their valid options', () => {
    const lock = new Lock();
    const value = new Value('i', 3, { lock });
    const floats = new SharedArray('d', [NaN, Infinity, 1.5], { lock: false });
    assert.equal(value.value, 3);
    assert.ok(Number.isNaN(floats.get(0)) && floats.get(1) === Infinity, 'floats take NaN and Infinity, as Python does');
    const semaphore = new BoundedSemaphore(2);
    assert.equal(semaphore.acquireSync({ timeout: 0 }), true);
    const barrier = new Barrier(1, { timeout: 1000 });
    assert.equal(barrier.waitSync(), 0);
    const [a, b] = Pipe<number>({ duplex: true, bufferSize: 4096 });
    a.send(1);
    assert.equal(b.recvSync({ timeout: 1000 }), 1);
    const queue = new Queue<number>(2, { bufferSize: 4096 });
    queue.putSync(1);
    assert.equal(queue.getSync({ timeout: 1000 }), 1);
    const shm = new SharedMemory({ create: true, size: 16, track: true, openExisting: false });
    const bytes = packetToBytes(encode({ x: 1 }, { transfer: [] }));
    assert.deepEqual(decodeSync(bytesToPacket(bytes)), { x: 1 });
    for (const handle of [value, floats, semaphore, barrier, a, b, queue, lock]) handle.close();
    shm.close();
    shm.unlink();
  });
});

describe('a pool whose workers cannot start', () => {
  it('the thread backend refuses a bad execArgv flag at construction, naming execArgv', () => {
    assert.throws(() => new Pool({ workers: 2, execArgv: ['--no-such-flag'] }),
      (error: Error) => error instanceof TypeError && /^Expected `execArgv` to be flags Node accepts for a worker thread, got \["--no-such-flag"\]: .*--no-such-flag/.test(error.message));
  });

  it('the thread backend, run in a child: the child exits by itself after the refusal', async () => {
    const result = await runNode(fixture('pool-bad-options-main.js'), ['thread', 'flag'], 30_000);
    assert.equal(result.code, 0, result.stderr);
    const outcome = JSON.parse(result.stdout) as { at: string; name: string; message: string };
    assert.equal(outcome.at, 'constructor');
    assert.equal(outcome.name, 'TypeError');
    assert.match(outcome.message, /`execArgv`/);
  });

  it('the process backend breaks the pool with an error naming execArgv and quoting Node; no worker is left', async () => {
    const result = await runNode(fixture('pool-bad-options-main.js'), ['process', 'flag'], 60_000);
    assert.equal(result.code, 0, result.stderr);
    const outcome = JSON.parse(result.stdout) as { at: string; code: string; message: string; state: string; workers: string[] };
    assert.equal(outcome.at, 'call');
    assert.equal(outcome.code, 'ERR_MP_WORKER_CRASHED');
    assert.match(outcome.message, /keep exiting during start-up/);
    assert.match(outcome.message, /code 9/);
    assert.match(outcome.message, /Node says of its flags: .*bad option: --no-such-flag/);
    assert.match(outcome.message, /`execArgv` \(\["--no-such-flag"\]\) is the likely cause/);
    assert.equal(outcome.state, 'broken');
    assert.deepEqual(outcome.workers, ['gone', 'gone'], 'join() resolved: every worker is gone');
    assert.match(result.stderr, /bad option: --no-such-flag/, "the workers' own stderr still reaches this process's stderr");
  });

  it('a heap limit too small to start a worker thread breaks the pool with an error naming resourceLimits; the workers are gone', async () => {
    const pool = new Pool({ workers: 1, resourceLimits: { maxOldGenerationSizeMb: 1 } });
    await assert.rejects(pool.apply(square, [2]), (error: Error & { code?: string }) => error.code === 'ERR_MP_WORKER_CRASHED' &&
      /keep exiting during start-up .*memory limit.*`resourceLimits` \(\{"maxOldGenerationSizeMb":1\}\) is the likely cause/.test(error.message));
    await pool.join();
    assert.equal(pool.stats().state, 'broken');
    assert.ok(pool.stats().workers.every((worker) => worker.state === 'gone'));
  });

  for (const backend of ['thread', 'process'] as const) {
    it(`a negative heap limit is refused at construction (${backend}), in a child that then exits by itself`, async () => {
      const result = await runNode(fixture('pool-bad-options-main.js'), [backend, 'heap'], 30_000);
      assert.equal(result.code, 0, result.stderr);
      const outcome = JSON.parse(result.stdout) as { at: string; name: string; message: string };
      assert.deepEqual([outcome.at, outcome.name], ['constructor', 'RangeError']);
      assert.match(outcome.message, /`resourceLimits.maxOldGenerationSizeMb` to be a non-negative finite number of MB.*, got `-1`/);
    });
  }
});

describe('a call on a pool that is not running', () => {
  it('after close() says closed (ERR_MP_POOL_CLOSED), even for a call with nothing to run; after terminate() says terminated', async () => {
    const pool = new Pool({ workers: 1 });
    assert.equal(await pool.apply(square, [2]), 4);
    const closing = pool.close();
    for (const call of [() => pool.apply(square, [1]), () => pool.map(square, []), () => pool.starmap(add, [])]) {
      await assert.rejects(call(), { code: 'ERR_MP_POOL_CLOSED', message: /closed/ });
    }
    assert.throws(() => pool.imap(square, [1]), { code: 'ERR_MP_POOL_CLOSED' });
    await closing;
    await assert.rejects(pool.apply(square, [1]), { code: 'ERR_MP_POOL_CLOSED', message: /closed/ });
    const other = new Pool({ workers: 1 });
    await other.terminate();
    await assert.rejects(other.apply(square, [1]), { code: 'ERR_MP_POOL_TERMINATED', message: /terminated/ });
    await assert.rejects(other.map(square, []), { code: 'ERR_MP_POOL_TERMINATED' });
  });
});
