// CPython's queue and connection tests (Lib/test/_test_multiprocessing.py, Lib/test/test_queue.py), ported:
// get, put, empty, shutdown, close with a call waiting, poll, send_bytes and recv_bytes_into.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BufferTooShortError, JoinableQueue, Pipe, Queue } from '../src/index.js';
import { rejectsWithCode, throwsCode } from './helpers/codes.js';
import { fixture, runNode } from './helpers/spawn.js';

async function timed<T>(promise: Promise<T>): Promise<[T | Error, number]> {
  const started = performance.now();
  try {
    return [await promise, performance.now() - started];
  } catch (error) {
    return [error as Error, performance.now() - started];
  }
}

describe('Queue, as CPython tests it', () => {
  it('test_put: fills to maxsize, then Full at once or after the timeout', async () => {
    using queue = new Queue<number>(6);
    queue.putSync(1);
    await queue.put(2);
    await queue.put(3, { timeout: 1000 });
    queue.putNowait(4);
    queue.putSync(5, { timeout: 0 });
    await queue.put(6, { timeout: 0 });
    assert.equal(queue.qsize(), 6);
    assert.equal(queue.full(), true);
    assert.equal(queue.empty(), false);
    throwsCode(() => queue.putNowait(7), 'ERR_MP_QUEUE_FULL');
    throwsCode(() => queue.putSync(7, { timeout: 0 }), 'ERR_MP_QUEUE_FULL');
    const [error, ms] = await timed(queue.put(7, { timeout: 100 }));
    assert.equal((error as { code?: string }).code, 'ERR_MP_QUEUE_FULL');
    assert.ok(ms >= 90 && ms < 2000, `waited ${ms} ms`);
    for (let i = 1; i <= 6; i++) assert.equal(queue.getSync(), i);
    assert.equal(queue.full(), false);
    assert.equal(queue.empty(), true);
  });

  it('test_get: items in order, then Empty at once or after the timeout', async () => {
    using queue = new Queue<number>();
    for (let i = 1; i <= 5; i++) await queue.put(i);
    assert.equal(queue.qsize(), 5);
    assert.equal(await queue.get(), 1);
    assert.equal(await queue.get({ timeout: 1000 }), 2);
    assert.equal(queue.getNowait(), 3);
    assert.equal(queue.getSync({ timeout: 0 }), 4);
    assert.equal(queue.getSync(), 5);
    assert.equal(queue.empty(), true);
    throwsCode(() => queue.getNowait(), 'ERR_MP_QUEUE_EMPTY');
    const [error, ms] = await timed(queue.get({ timeout: 100 }));
    assert.equal((error as { code?: string }).code, 'ERR_MP_QUEUE_EMPTY');
    assert.ok(ms >= 90 && ms < 2000, `waited ${ms} ms`);
  });

  it('test_closed_queue_empty_exceptions: a closed, unused queue is empty; a used one raises', async () => {
    for (const queue of [new Queue(), new JoinableQueue()]) {
      queue.close();
      assert.equal(queue.empty(), true);
    }
    for (const queue of [new Queue(), new JoinableQueue()]) {
      await queue.put('foo');
      queue.close();
      throwsCode(() => queue.empty(), 'ERR_MP_QUEUE_CLOSED');
      await rejectsWithCode(queue.put('x'), 'ERR_MP_QUEUE_CLOSED');
      await rejectsWithCode(queue.get(), 'ERR_MP_QUEUE_CLOSED');
    }
  });

  it('close() rejects a get (or put) waiting on the same handle, and the process can exit', async () => {
    const queue = new Queue<number>(1);
    const getting = queue.get();
    await new Promise((resolve) => setTimeout(resolve, 20));
    queue.close();
    await rejectsWithCode(getting, 'ERR_MP_QUEUE_CLOSED');
    const full = new Queue<number>(1);
    await full.put(1);
    const putting = full.put(2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    full.close();
    await rejectsWithCode(putting, 'ERR_MP_QUEUE_CLOSED');
    const result = await runNode(fixture('queue-close-exit.js'), [], 20_000);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), 'ERR_MP_QUEUE_CLOSED');
  });

  it('test_shutdown_empty and _nonempty: puts raise at once, gets once the queue is empty', async () => {
    using queue = new Queue<string>();
    await queue.put('data');
    assert.equal(queue.isShutDown, false);
    queue.shutdown();
    assert.equal(queue.isShutDown, true);
    await rejectsWithCode(queue.put('more'), 'ERR_MP_QUEUE_SHUT_DOWN');
    throwsCode(() => queue.putNowait('more'), 'ERR_MP_QUEUE_SHUT_DOWN');
    assert.equal(await queue.get(), 'data');
    await rejectsWithCode(queue.get(), 'ERR_MP_QUEUE_SHUT_DOWN');
    throwsCode(() => queue.getNowait(), 'ERR_MP_QUEUE_SHUT_DOWN');
    throwsCode(() => queue.getSync({ timeout: 1000 }), 'ERR_MP_QUEUE_SHUT_DOWN');
  });

  it('test_shutdown_immediate: items are discarded, gets raise at once, join returns', async () => {
    using queue = new JoinableQueue<number>();
    for (let i = 0; i < 3; i++) await queue.put(i);
    assert.equal(await queue.get(), 0);
    assert.equal(queue.unfinished, 3);
    queue.shutdown({ immediate: true });
    assert.equal(queue.qsize(), 0);
    assert.equal(queue.unfinished, 1, 'the item taken and not marked done stays unfinished');
    await rejectsWithCode(queue.get(), 'ERR_MP_QUEUE_SHUT_DOWN');
    await rejectsWithCode(queue.put(9), 'ERR_MP_QUEUE_SHUT_DOWN');
    queue.taskDone();
    assert.equal(await queue.join({ timeout: 1000 }), true);
    assert.throws(() => queue.shutdown({ immediate: 'yes' as unknown as boolean }), TypeError);
  });

  it('test_shutdown_allowed_transitions: shutdown, then shutdown immediate, both idempotent', async () => {
    using queue = new Queue<number>();
    await queue.put(1);
    queue.shutdown();
    queue.shutdown();
    assert.equal(queue.qsize(), 1);
    queue.shutdown({ immediate: true });
    queue.shutdown();
    assert.equal(queue.qsize(), 0);
    await rejectsWithCode(queue.get(), 'ERR_MP_QUEUE_SHUT_DOWN');
  });

  it('shutdown wakes a get and a put waiting on this and other handles', async () => {
    using empty = new Queue<number>();
    using full = new Queue<number>(1);
    await full.put(1);
    const waitingGet = empty.get();
    const waitingPut = full.put(2);
    const other = Queue.fromRef(empty.toRef());
    const otherGet = other.get({ timeout: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 30));
    empty.shutdown();
    full.shutdown();
    // All three settle at once: check them together, so none is an unhandled rejection meanwhile.
    await Promise.all([waitingGet, otherGet, waitingPut].map((promise) => rejectsWithCode(promise, 'ERR_MP_QUEUE_SHUT_DOWN')));
    other.close();
    assert.equal(full.getSync(), 1, 'a shut-down queue still gives what it holds');
    throwsCode(() => full.getSync(), 'ERR_MP_QUEUE_SHUT_DOWN');
  });
});

describe('Connection, as CPython tests it', () => {
  it('test_connection poll: no wait for 0 or a negative timeout, waits for a positive one', async () => {
    const [a, b] = Pipe<unknown>();
    let [result, ms] = await timed(a.poll());
    assert.equal(result, false);
    assert.ok(ms < 50);
    [result, ms] = await timed(a.poll(-1));
    assert.equal(result, false);
    assert.ok(ms < 50, `poll(-1) waited ${ms} ms`);
    assert.equal(a.pollSync(-1), false);
    [result, ms] = await timed(a.poll(100));
    assert.equal(result, false);
    assert.ok(ms >= 90, `poll(100) waited ${ms} ms`);
    b.sendSync(null);
    [result, ms] = await timed(a.poll(100));
    assert.equal(result, true);
    assert.ok(ms < 50);
    assert.equal(await a.poll({ timeout: -5 }), true);
    assert.equal(a.recvSync(), null);
    const big = new Uint8Array(16 << 20).fill(88);
    const sending = b.sendBytes(big);
    assert.deepEqual(await a.recvBytes({ timeout: 30_000 }), big);
    await sending;
    a.close();
    b.close();
  });

  it('test_sendbytes: offset and size select the bytes, with the range checks of send_bytes', async () => {
    const [a, b] = Pipe();
    const message = new TextEncoder().encode('abcdefghijklmnopqrstuvwxyz');
    const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
    a.sendBytesSync(message);
    assert.equal(text(b.recvBytesSync()), 'abcdefghijklmnopqrstuvwxyz');
    await a.sendBytes(message, 5);
    assert.equal(text(await b.recvBytes()), 'fghijklmnopqrstuvwxyz');
    a.sendBytesSync(message, 7, 8);
    assert.equal(text(b.recvBytesSync()), 'hijklmno');
    a.sendBytesSync(message, 26);
    assert.equal(b.recvBytesSync().length, 0);
    a.sendBytesSync(message, 26, 0);
    assert.equal(b.recvBytesSync().length, 0);
    for (const [offset, size] of [[27, undefined], [22, 5], [26, 1], [-1, undefined], [4, -1]] as const) {
      assert.throws(() => a.sendBytesSync(message, offset, size), RangeError, `offset ${offset}, size ${String(size)}`);
      await assert.rejects(a.sendBytes(message, offset, size), RangeError);
    }
    a.sendBytesSync(new Int32Array([1, 2, 3]), 4);
    assert.deepEqual(new Int32Array(b.recvBytesSync().slice().buffer), new Int32Array([2, 3]));
    assert.equal(b.pollSync(), false, 'a refused send sent nothing');
    a.close();
    b.close();
  });

  it('test_connection recv_bytes_into: at an offset, and BufferTooShort keeps the message', async () => {
    const [a, b] = Pipe();
    const arr = new Int32Array([0, 1, 2, 3, 4]);
    let buffer = new Int32Array(10);
    a.sendBytesSync(arr);
    assert.equal(b.recvBytesIntoSync(buffer), arr.byteLength);
    assert.deepEqual([...buffer], [0, 1, 2, 3, 4, 0, 0, 0, 0, 0]);
    buffer = new Int32Array(10);
    await a.sendBytes(arr);
    assert.equal(await b.recvBytesInto(buffer, 3 * 4), arr.byteLength);
    assert.deepEqual([...buffer], [0, 0, 0, 0, 1, 2, 3, 4, 0, 0]);
    const long = new Uint8Array(100).fill(7);
    a.sendBytesSync(long);
    assert.throws(() => b.recvBytesIntoSync(new Uint8Array(40)), (error: unknown) => {
      assert.ok(error instanceof BufferTooShortError);
      assert.equal(error.code, 'ERR_MP_BUFFER_TOO_SHORT');
      assert.deepEqual(error.bytes, long);
      return true;
    });
    assert.throws(() => b.recvBytesIntoSync(new Uint8Array(4), -1), RangeError);
    assert.throws(() => b.recvBytesIntoSync(new Uint8Array(4), 5), RangeError);
    await assert.rejects(b.recvBytesInto(new Uint8Array(4), 5), RangeError);
    assert.throws(() => b.recvBytesIntoSync('no' as unknown as Uint8Array), TypeError);
    a.close();
    b.close();
  });

  it('close() rejects a recv waiting on the same Connection', async () => {
    const [a, b] = Pipe();
    const receiving = a.recv();
    await new Promise((resolve) => setTimeout(resolve, 20));
    a.close();
    await rejectsWithCode(receiving, 'ERR_MP_QUEUE_CLOSED');
    b.close();
  });
});
