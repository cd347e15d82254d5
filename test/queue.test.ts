import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import { JoinableQueue, Pipe, Queue, SimpleQueue } from '../src/index.js';
import { inProcess, inThread, startProcess, startThread } from './helpers/agents.js';
import { rejectsWithCode, throwsCode } from './helpers/codes.js';
import { inFutexWait } from './helpers/kernel-wait.js';
import { waitUntil } from './helpers/spawn.js';

type Item = { id: number; i: number; pad: string };

/** Takes `n` items from `out` and checks none is missing or duplicated. */
async function collect(out: Queue<Item>, n: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let k = 0; k < n; k++) {
    const item = await out.get({ timeout: 30_000 });
    const key = `${item.id}:${item.i}`;
    assert.ok(!seen.has(key), `duplicate ${key}`);
    assert.equal(item.pad, 'x'.repeat(item.i % 50));
    seen.add(key);
  }
  return seen;
}

describe('Queue', () => {
  it('prints its size and bound, never its segment words', () => {
    const queue = new Queue<number>(10);
    queue.putSync(1);
    queue.putSync(2);
    queue.putSync(3);
    assert.equal(inspect(queue), '<Queue size=3 maxsize=10>');
    queue.close();
    assert.equal(inspect(queue), '<Queue closed>');
    const simple = new SimpleQueue<number>();
    assert.equal(inspect(simple), '<SimpleQueue size=0>');
    simple.close();
  });

  it('is FIFO with maxsize, Full and Empty errors, and close', async () => {
    const queue = new Queue<unknown>(2);
    await queue.put({ a: 1 });
    queue.putSync([1, 2]);
    assert.equal(queue.full(), true);
    assert.equal(queue.qsize(), 2);
    await rejectsWithCode(queue.put(3, { timeout: 30 }), 'ERR_MP_QUEUE_FULL');
    throwsCode(() => queue.putNowait(3), 'ERR_MP_QUEUE_FULL');
    assert.deepEqual(await queue.get(), { a: 1 });
    assert.deepEqual(queue.getSync(), [1, 2]);
    assert.equal(queue.empty(), true);
    await rejectsWithCode(queue.get({ timeout: 30 }), 'ERR_MP_QUEUE_EMPTY');
    throwsCode(() => queue.getNowait(), 'ERR_MP_QUEUE_EMPTY');
    const controller = new AbortController();
    const pending = queue.get({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stop')), 20);
    await assert.rejects(pending, /stop/);
    await queue.put('after abort');
    assert.equal(await queue.get({ timeout: 1000 }), 'after abort', 'an aborted get takes nothing');
    assert.throws(() => new Queue(-1), RangeError);
    assert.throws(() => new Queue(0, { bufferSize: 0 }), RangeError);
    await assert.rejects(queue.put(() => 1), (error: { code?: string }) => error.code === 'ERR_MP_ENCODE');
    queue.close();
    await rejectsWithCode(queue.put(1), 'ERR_MP_QUEUE_CLOSED');
    throwsCode(() => queue.getSync(), 'ERR_MP_QUEUE_CLOSED');
  });

  it('carries items between many producers and consumers in processes and threads, none lost or duplicated', async () => {
    using queue = new Queue<Item | null>(64, { bufferSize: 4096 });
    using out = new Queue<Item>();
    const count = 1500;
    const consumers = [inProcess('consume', { queue, out }), inProcess('consume', { queue, out }), inThread('consume', { queue, out })];
    const producers = [inProcess('produce', { queue, id: 1, count }), inProcess('produce', { queue, id: 2, count }), inThread('produce', { queue, id: 3, count })];
    const seen = await collect(out, 3 * count);
    await Promise.all(producers);
    for (let k = 0; k < 3; k++) await queue.put(null);
    const taken = (await Promise.all(consumers)).map(([r]) => (r as { consumed: number }).consumed);
    assert.equal(seen.size, 3 * count);
    assert.equal(taken.reduce((a, b) => a + b, 0), 3 * count);
    assert.equal(out.qsize(), 0);
  });

  it('delivers messages larger than its ring whole', async () => {
    using queue = new Queue<Uint8Array | Item | null>(0, { bufferSize: 4096 });
    using out = new Queue<Uint8Array>(0, { bufferSize: 8192 });
    const consumer = inProcess('consume', { queue, out });
    const big = (seed: number): Uint8Array => new Uint8Array(3_000_000).map((_, i) => (i * seed) & 255);
    const received: (Uint8Array | Item)[] = [];
    // The consumer forwards through a ring smaller than the items, so take them while producing.
    const taking = (async () => {
      for (let k = 0; k < 22; k++) received.push(await out.get({ timeout: 30_000 }));
    })();
    await Promise.all([queue.put(big(7)), inThread('produce', { queue, id: 9, count: 20 }), queue.put(big(13)), taking]);
    const bigOnes = received.filter((item): item is Uint8Array => item instanceof Uint8Array && item.length === 3_000_000);
    assert.equal(bigOnes.length, 2);
    for (const seed of [7, 13]) assert.ok(bigOnes.some((b) => b.every((v, i) => v === ((i * seed) & 255))), `seed ${seed}`);
    await queue.put(null);
    assert.deepEqual(await consumer, [{ consumed: 22 }]);
  });

  it('loses nothing when consumers are terminated between messages', async () => {
    using queue = new Queue<Item | null>(0, { bufferSize: 4096 });
    using out = new Queue<Item>();
    const doomedProcess = startProcess('consume', { queue, out });
    const doomedThread = startThread('consume', { queue, out });
    await inThread('produce', { queue, id: 1, count: 200 });
    await collect(out, 200);
    // Both now sleep in get() on an empty queue (the process one is seen asleep in the kernel): kill one, terminate the other.
    await waitUntil(() => inFutexWait(doomedProcess.pid!), 10_000, 'the process consumer asleep in get()');
    doomedProcess.kill('SIGKILL');
    await Promise.all([once(doomedProcess, 'exit'), doomedThread.terminate()]);
    const survivor = inProcess('consume', { queue, out });
    await inProcess('produce', { queue, id: 2, count: 500 });
    const seen = await collect(out, 500);
    assert.equal(seen.size, 500);
    await queue.put(null);
    assert.deepEqual(await survivor, [{ consumed: 500 }]);
    assert.equal(queue.qsize(), 0);
  });
});

describe('JoinableQueue and SimpleQueue', () => {
  it('join waits for taskDone from a consumer thread', async () => {
    using queue = new JoinableQueue<Item | null>();
    using out = new Queue<Item>();
    for (let i = 0; i < 50; i++) await queue.put({ id: 0, i, pad: 'x'.repeat(i % 50) });
    assert.equal(queue.unfinished, 50);
    assert.equal(await queue.join({ timeout: 20 }), false);
    const consumer = inThread('consume', { queue, out });
    assert.equal(await queue.join({ timeout: 30_000 }), true);
    await collect(out, 50);
    await queue.put(null);
    await consumer;
    assert.equal(queue.unfinished, 1, 'the sentinel was taken but not marked done');
    assert.equal(queue.joinSync({ timeout: 10 }), false);
    queue.taskDone();
    throwsCode(() => queue.taskDone(), 'ERR_MP_TASK_DONE_TOO_MANY');
    assert.equal(queue.joinSync({ timeout: 0 }), true);
  });

  it('SimpleQueue puts and gets across a process', async () => {
    using queue = new SimpleQueue<Item | null>();
    using out = new Queue<Item>();
    const consumer = inProcess('consume', { queue, out });
    for (let i = 0; i < 100; i++) await queue.put({ id: 5, i, pad: 'x'.repeat(i % 50) });
    queue.putSync(null);
    await collect(out, 100);
    assert.deepEqual(await consumer, [{ consumed: 100 }]);
    assert.equal(queue.empty(), true);
    await rejectsWithCode(queue.get({ timeout: 10 }), 'ERR_MP_QUEUE_EMPTY');
  });
});

describe('Pipe', () => {
  it('echoes through a process and ends with EOF when one end closes', async () => {
    const [mine, theirs] = Pipe<unknown>();
    const child = inProcess('echo', { conn: theirs });
    theirs.close();
    for (const message of [1, 'two', { three: [3] }, new Uint8Array(200_000).fill(9)]) {
      await mine.send(message);
      assert.deepEqual(await mine.recv({ timeout: 30_000 }), message);
    }
    assert.equal(await mine.poll(), false);
    mine.close();
    assert.deepEqual(await child, [{ echoed: 4, end: 'ERR_MP_PIPE_EOF' }]);
  });

  it('one-way pipes, polling, raw bytes, timeouts and a closed peer', async () => {
    const [reader, writer] = Pipe<string>({ duplex: false, bufferSize: 4096 });
    assert.equal(reader.writable, false);
    assert.equal(writer.readable, false);
    await rejectsWithCode(reader.send('x'), 'ERR_MP_PIPE_CLOSED');
    await rejectsWithCode(writer.recv(), 'ERR_MP_PIPE_CLOSED');
    assert.equal(reader.pollSync(), false);
    await rejectsWithCode(reader.recv({ timeout: 20 }), 'ERR_MP_QUEUE_EMPTY');
    writer.sendSync('hello');
    await writer.sendBytes(new Uint8Array([1, 2, 3]));
    assert.equal(await reader.poll({ timeout: 1000 }), true);
    assert.equal(reader.recvSync(), 'hello');
    assert.deepEqual(await reader.recvBytes(), new Uint8Array([1, 2, 3]));
    reader.close();
    await rejectsWithCode(writer.send('nobody listens'), 'ERR_MP_PIPE_CLOSED');
    writer.close();
    await rejectsWithCode(writer.send('x'), 'ERR_MP_QUEUE_CLOSED');
    assert.throws(() => Pipe({ duplex: 'yes' as unknown as boolean }), TypeError);
  });
});
