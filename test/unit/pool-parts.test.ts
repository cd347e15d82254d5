// The pool's pure parts: the channel's rings (wrap-around, full, empty), the task queue, chunk sizes and orders.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdaptiveChunksize, autoChunksize, submissionOrder } from '../../src/pool/chunking.js';
import { queueDepth } from '../../src/pool/dispatcher.js';
import { FifoQueue } from '../../src/pool/task-queue.js';
import { Channel, channelBytes, Word } from '../../src/wire/channel.js';
import { FrameKind } from '../../src/wire/protocol.js';
import { atomicsWaiter } from '../../src/wire/word-waiter.js';

/** A deterministic pseudo-random sequence, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1664525 + 1013904223) % 4294967296;
    return state / 4294967296;
  };
}

describe('channel rings', () => {
  it('carry frames of every size in order across many wrap-arounds, refusing what does not fit', () => {
    const buffer = new SharedArrayBuffer(channelBytes(4096));
    const main = new Channel(buffer, 'main', atomicsWaiter);
    const worker = new Channel(buffer, 'worker', atomicsWaiter);
    const next = random(7);
    const sent: Uint8Array[] = [];
    let received = 0;
    let refused = 0;
    for (let step = 0; step < 20_000; step++) {
      if (next() < 0.55) {
        const length = Math.floor(next() * (next() < 0.1 ? main.maxPayload + 1 : 300));
        const payload = Uint8Array.from({ length }, (_, i) => (sent.length * 31 + i) & 255);
        if (main.send(FrameKind.Task, sent.length & 255, sent.length, length, payload)) sent.push(payload);
        else refused++;
      } else {
        const frame = worker.receive();
        if (frame === undefined) {
          assert.equal(received, sent.length, 'empty only when everything was read');
          continue;
        }
        assert.equal(frame.id, received);
        assert.equal(frame.flags, received & 255);
        assert.deepEqual(frame.payload, sent[received]);
        received++;
      }
    }
    for (let frame = worker.receive(); frame !== undefined; frame = worker.receive()) assert.deepEqual(frame.payload, sent[received++]);
    assert.equal(received, sent.length);
    assert.ok(refused > 0, 'oversized or full sends are refused, not corrupted');
    assert.ok(sent.length > 4096 / 16, 'the ring wrapped around many times');
    assert.equal(main.send(FrameKind.Task, 0, 1, 0, new Uint8Array(main.maxPayload + 1)), false);
  });

  it('wakes a parked peer once and lets the worker skip cancelled tasks', () => {
    const buffer = new SharedArrayBuffer(channelBytes(1024));
    const main = new Channel(buffer, 'main', atomicsWaiter);
    const worker = new Channel(buffer, 'worker', atomicsWaiter);
    assert.equal(worker.park(1), false, 'nothing to read: the park times out');
    Atomics.store(main.words, Word.WorkerParked, 1);
    assert.ok(main.send(FrameKind.Doorbell, 0, 0, 0));
    assert.equal(Atomics.load(main.words, Word.WorkerParked), 0, 'the sender cleared the flag when it woke the peer');
    assert.ok(main.send(FrameKind.Doorbell, 0, 0, 0));
    assert.ok(worker.park(1000), 'data waiting: no sleep');
    for (let id = 1; id <= 6; id++) assert.ok(main.cancel(id));
    assert.equal(main.cancel(7), false, 'six cancel slots');
    assert.ok(worker.takeCancelled(3));
    assert.equal(worker.takeCancelled(3), false);
    assert.ok(main.cancel(7));
  });
});

describe('task queue', () => {
  it('behaves like an array under push, unshift, shift and remove, through growth', () => {
    const queue = new FifoQueue<number>();
    const model: number[] = [];
    const next = random(11);
    for (let step = 0; step < 5000; step++) {
      const choice = next();
      if (choice < 0.4) {
        queue.push(step);
        model.push(step);
      } else if (choice < 0.55) {
        queue.unshift(step);
        model.unshift(step);
      } else if (choice < 0.9) {
        assert.equal(queue.shift(), model.shift());
      } else if (model.length > 0) {
        const victim = model[Math.floor(next() * model.length)]!;
        assert.ok(queue.remove(victim));
        model.splice(model.indexOf(victim), 1);
      } else {
        assert.equal(queue.remove(-1), false);
      }
      assert.equal(queue.size, model.length);
    }
  });
});

describe('chunking', () => {
  it("'auto' is Python's len / (4 x workers), rounded up", () => {
    assert.equal(autoChunksize(200_000, 2), 25_000);
    assert.equal(autoChunksize(10, 2), 2);
    assert.equal(autoChunksize(8, 2), 1);
    assert.equal(autoChunksize(3, 4), 1);
    assert.equal(autoChunksize(1001, 4), 63);
  });

  it('sizes lazy chunks from measured time, growing at most 4x a step, within bounds', () => {
    const adaptive = new AdaptiveChunksize();
    assert.equal(adaptive.size, 1);
    adaptive.observe(1, 1);
    assert.equal(adaptive.size, 4);
    for (let i = 0; i < 10; i++) adaptive.observe(adaptive.size, adaptive.size);
    assert.equal(adaptive.size, 2000, 'about 2 ms of 1 us items');
    adaptive.observe(10, 100_000);
    assert.equal(adaptive.size, 1, 'slow items: one per chunk');
  });

  it('orders submissions: longest-first by cost or length, shuffle as a permutation', () => {
    assert.deepEqual(submissionOrder(['aa', 'a', 'aaaa', 'aaa'], 'longest-first', undefined), [2, 3, 0, 1]);
    assert.deepEqual(submissionOrder([5, 1, 9], 'longest-first', (x) => x), [2, 0, 1]);
    assert.deepEqual(submissionOrder([1, 2, 3], 'fifo', undefined), [0, 1, 2]);
    const shuffled = submissionOrder(Array.from({ length: 100 }, (_, i) => i), 'shuffle', undefined);
    assert.deepEqual([...shuffled].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i));
    assert.notDeepEqual(shuffled, Array.from({ length: 100 }, (_, i) => i));
  });
});

describe('dispatch depth', () => {
  it('holds about 12 ms of work per worker, deeper while a long backlog waits, within 3 to 1024 tasks', () => {
    assert.equal(queueDepth(undefined, 1000, 2), 2, 'unmeasured: two, to learn the run time');
    assert.equal(queueDepth(1000, 0, 2), 12, '1 ms tasks, no backlog: 12 ms');
    assert.equal(queueDepth(1000, 80, 2), 12, 'a short backlog: still 12 ms');
    assert.equal(queueDepth(1000, 200, 2), 25, 'a quarter of each worker\'s share');
    assert.equal(queueDepth(1000, 2000, 2), 48, 'a long backlog: at most 48 ms');
    assert.equal(queueDepth(100_000, 50, 2), 3, 'long tasks: at least 3');
    assert.equal(queueDepth(0.5, 1_000_000, 2), 1024, 'tiny tasks: at most 1024');
    let previous = Infinity;
    for (let backlog = 4000; backlog >= 0; backlog -= 50) {
      const depth = queueDepth(700, backlog, 4);
      assert.ok(depth <= previous, 'shrinks as the backlog drains');
      previous = depth;
    }
  });

  it('refills a long backlog of equal tasks in fewer wakes, and every worker ends holding at most the minimum', () => {
    // Two workers take 1 ms tasks; the pool is woken when a worker is down to 4 held (the worker's refill
    // lead) and tops every worker up to its depth, as Dispatcher.dispatch does.
    const simulate = (depth: (backlog: number) => number): { wakes: number; heldAtEnd: number[] } => {
      let backlog = 2000;
      const held = [0, 0];
      let wakes = 0;
      const refill = (): void => {
        for (let worker = 0; worker < held.length; worker++) {
          const room = Math.max(0, Math.min(depth(backlog) - held[worker]!, backlog));
          held[worker]! += room;
          backlog -= room;
        }
      };
      refill();
      while (backlog > 0) {
        for (let worker = 0; worker < held.length; worker++) held[worker]!--;
        if (held.some((count) => count <= 4)) {
          wakes++;
          refill();
        }
      }
      return { wakes, heldAtEnd: held };
    };
    const fixed = simulate(() => 12);
    const guided = simulate((backlog) => queueDepth(1000, backlog, 2));
    assert.ok(guided.wakes * 3 < fixed.wakes, `guided ${guided.wakes} wakes, fixed ${fixed.wakes}`);
    for (const count of guided.heldAtEnd) assert.ok(count <= 12, `a worker ends holding ${count} ms of work`);
  });
});
