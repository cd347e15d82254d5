// The queue's byte ring over a plain SharedArrayBuffer: order, wrap-around, full and empty, and what a waiting
// side leaves behind. Nothing here wakes a sleeper (that needs the addon's futex: test/queue-ring.test.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { initRing, Ring, ringCapacity, ringHeaderBytes } from '../../src/queue/ring.js';
import { driveSync, type WaitSteps } from '../../src/sync/wait.js';

/** Never used: only messages larger than half the ring spill, and these tests never write one through `write`. */
const noSpill = { prefix: 'unit-ring.', dir: '/nonexistent' };

function ringBuffer(capacity = 4096, rings = 1): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer((ringHeaderBytes + capacity) * rings);
  const i32 = new Int32Array(buffer);
  for (let n = 0; n < rings; n++) initRing(i32, n * ((ringHeaderBytes + capacity) / 4), capacity);
  return buffer;
}

/** Two handles on one ring, as a writer and a reader in two processes would have. */
function ringPair(capacity = 4096): { writer: Ring; reader: Ring; buffer: SharedArrayBuffer } {
  const buffer = ringBuffer(capacity);
  return { writer: new Ring(buffer, 0, noSpill), reader: new Ring(buffer, 0, noSpill), buffer };
}

function bytes(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (seed * 131 + i * 7) & 255);
}

/** Runs a waiting to its end, failing if it would sleep. */
function withoutSleeping<T>(waiting: WaitSteps<T>): T {
  const step = waiting.next();
  assert.equal(step.done, true, 'finished without sleeping');
  return step.value;
}

/** A deterministic pseudo-random sequence, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1664525 + 1013904223) % 4294967296;
    return state / 4294967296;
  };
}

const past = (): number => performance.now() - 1;
const later = (): number => performance.now() + 60_000;
/** The largest message that travels inline in a 4 KiB ring: its 4-byte length prefix plus body fill half. */
const largestInline = 4096 / 2 - 4;

describe('ringCapacity', () => {
  it('rounds up to a power of two of at least 4 KiB', () => {
    assert.equal(ringCapacity(0), 4096);
    assert.equal(ringCapacity(1), 4096);
    assert.equal(ringCapacity(4096), 4096);
    assert.equal(ringCapacity(4097), 8192);
    assert.equal(ringCapacity(1 << 20), 1 << 20);
    assert.equal(ringCapacity((1 << 20) + 1), 1 << 21);
  });
});

describe('Ring: order and sizes', () => {
  it('is empty to begin with: nothing to read, and a read at its deadline returns without sleeping', () => {
    const { reader } = ringPair();
    assert.equal(reader.capacity, 4096);
    assert.equal(reader.count, 0);
    assert.equal(reader.hasData, false);
    assert.equal(reader.tryRead(), undefined);
    assert.equal(withoutSleeping(reader.read(past())), undefined);
    assert.equal(withoutSleeping(reader.readable(past())), false);
    assert.equal(reader.writerClosed, false);
    assert.equal(reader.readerClosed, false);
  });

  it('carries messages first in, first out between two handles, joining a message from its parts', () => {
    const { writer, reader } = ringPair();
    assert.equal(writer.tryWrite([bytes(3, 1), bytes(0, 0), bytes(5, 2)]), true);
    assert.equal(writer.tryWrite([]), true, 'an empty message');
    assert.equal(withoutSleeping(writer.write([bytes(9, 3)], later())), 'written');
    assert.equal(reader.count, 3);
    assert.equal(reader.written, 3);
    assert.ok(reader.hasData);
    assert.deepEqual(reader.tryRead(), Uint8Array.from([...bytes(3, 1), ...bytes(5, 2)]));
    assert.deepEqual(reader.tryRead(), new Uint8Array(0));
    assert.deepEqual(withoutSleeping(reader.read(later())), bytes(9, 3));
    assert.equal(reader.tryRead(), undefined);
    assert.equal(reader.count, 0);
    assert.equal(reader.taken, 3);
    assert.equal(writer.hasData, false);
  });

  it('a message is a copy: changing the parts after writing, or the result after reading, changes nothing', () => {
    const { writer, reader } = ringPair();
    const part = bytes(16, 4);
    writer.tryWrite([part]);
    part.fill(0);
    const read = reader.tryRead()!;
    assert.deepEqual(read, bytes(16, 4));
    read.fill(1);
    writer.tryWrite([bytes(16, 5)]);
    assert.deepEqual(reader.tryRead(), bytes(16, 5));
  });

  it('splits a length prefix across the end of the ring', () => {
    const { writer, reader } = ringPair();
    // Two messages of 4 + 2043 bytes leave the next prefix at 4094: two bytes before the end, two after.
    for (let n = 0; n < 2; n++) {
      assert.ok(writer.tryWrite([bytes(2043, n)]));
      assert.deepEqual(reader.tryRead(), bytes(2043, n));
    }
    assert.ok(writer.tryWrite([bytes(10, 7)]));
    assert.ok(writer.tryWrite([bytes(11, 8)]));
    assert.deepEqual(reader.tryRead(), bytes(10, 7));
    assert.deepEqual(reader.tryRead(), bytes(11, 8));
  });

  it('splits a body across the end of the ring, also one given in parts', () => {
    const { writer, reader } = ringPair();
    // Two messages of 4 + 1996 bytes leave the next at 4000: its body runs from 4004 past the end.
    for (let n = 0; n < 2; n++) {
      assert.ok(writer.tryWrite([bytes(1996, n)]));
      reader.tryRead();
    }
    assert.ok(writer.tryWrite([bytes(50, 1), bytes(100, 2), bytes(50, 3)]));
    assert.deepEqual(reader.tryRead(), Uint8Array.from([...bytes(50, 1), ...bytes(100, 2), ...bytes(50, 3)]));
  });

  it('carries messages of every inline size in order across many wrap-arounds', () => {
    const { writer, reader } = ringPair();
    const next = random(11);
    const sent: Uint8Array[] = [];
    let received = 0;
    let refused = 0;
    let volume = 0;
    for (let step = 0; step < 20_000; step++) {
      if (next() < 0.55) {
        const length = Math.floor(next() * (next() < 0.05 ? largestInline + 1 : 200));
        const message = bytes(length, sent.length);
        if (writer.tryWrite([message.subarray(0, length >> 1), message.subarray(length >> 1)])) {
          sent.push(message);
          volume += length + 4;
        } else {
          refused++;
        }
      } else {
        const message = reader.tryRead();
        if (message === undefined) {
          assert.equal(received, sent.length, 'empty only when everything was read');
          continue;
        }
        assert.deepEqual(message, sent[received]);
        received++;
      }
      assert.equal(reader.count, sent.length - received);
    }
    for (let message = reader.tryRead(); message !== undefined; message = reader.tryRead()) assert.deepEqual(message, sent[received++]);
    assert.equal(received, sent.length);
    assert.ok(refused > 0, 'some writes found the ring full');
    assert.ok(volume > 100 * 4096, 'the ring wrapped around many times');
  });

  it('keeps working when its positions and counters pass 2^31 and 2^32', () => {
    const buffer = ringBuffer();
    const i32 = new Int32Array(buffer);
    // Fast-forward an empty ring to just before the counters wrap (header words: tail, written, head, read).
    for (const [word, value] of [[2, -40], [3, -3], [4, -40], [5, -3]] as const) i32[word] = value;
    const writer = new Ring(buffer, 0, noSpill);
    const reader = new Ring(buffer, 0, noSpill);
    assert.equal(reader.count, 0);
    assert.equal(reader.tryRead(), undefined);
    for (let n = 0; n < 12; n++) {
      assert.ok(writer.tryWrite([bytes(n, n)]));
      assert.ok(writer.tryWrite([bytes(20 - n, n + 1)]));
      assert.equal(reader.count, 2);
      assert.deepEqual(reader.tryRead(), bytes(n, n));
      assert.deepEqual(reader.tryRead(), bytes(20 - n, n + 1));
      assert.equal(reader.count, 0);
    }
    assert.equal(reader.taken, 21, 'the counter wrapped: 2^32 - 3 + 24');
    // Fill it across the wrap: it holds exactly as much as a fresh ring.
    for (const [word, value] of [[2, 0x7fffff00], [3, 0x7ffffffe], [4, 0x7fffff00], [5, 0x7ffffffe]] as const) i32[word] = value;
    assert.ok(writer.tryWrite([bytes(largestInline, 1)]));
    assert.ok(writer.tryWrite([bytes(largestInline, 2)]));
    assert.equal(writer.tryWrite([]), false, 'full');
    assert.equal(reader.count, 2);
    assert.deepEqual(reader.tryRead(), bytes(largestInline, 1));
    assert.deepEqual(reader.tryRead(), bytes(largestInline, 2));
  });

  it('rings side by side in one buffer do not touch each other', () => {
    const buffer = ringBuffer(4096, 2);
    const first = new Ring(buffer, 0, noSpill);
    const second = new Ring(buffer, (ringHeaderBytes + 4096) / 4, noSpill);
    while (first.tryWrite([bytes(100, 1)]));
    assert.equal(second.count, 0);
    assert.ok(second.tryWrite([bytes(5, 2)]));
    assert.deepEqual(second.tryRead(), bytes(5, 2));
    assert.equal(second.tryRead(), undefined);
    assert.deepEqual(first.tryRead(), bytes(100, 1));
  });
});

describe('Ring: full', () => {
  it('holds exactly its capacity: two of the largest inline messages fill 4 KiB, not even an empty one fits after', () => {
    const { writer, reader } = ringPair();
    assert.ok(writer.tryWrite([bytes(largestInline, 1)]));
    assert.ok(writer.tryWrite([bytes(largestInline, 2)]));
    assert.equal(writer.tryWrite([]), false);
    assert.equal(withoutSleeping(writer.write([new Uint8Array(1)], past())), 'timeout', 'a write at its deadline gives up');
    assert.equal(reader.count, 2, 'the refused writes left nothing behind');
    assert.deepEqual(reader.tryRead(), bytes(largestInline, 1));
    assert.ok(writer.tryWrite([bytes(largestInline, 3)]), 'room again once one is read');
    assert.deepEqual(reader.tryRead(), bytes(largestInline, 2));
    assert.deepEqual(reader.tryRead(), bytes(largestInline, 3));
    assert.equal(reader.tryRead(), undefined);
  });

  it('tryWrite refuses a message larger than half the ring, writing nothing (write spills it instead)', () => {
    const { writer, reader } = ringPair();
    assert.equal(writer.tryWrite([bytes(largestInline + 1, 1)]), false);
    assert.equal(writer.tryWrite([bytes(largestInline, 1), bytes(1, 2)]), false, 'counted over all parts');
    assert.equal(reader.count, 0);
    assert.equal(reader.written, 0);
  });

  it('maxCount bounds the messages held, whatever room is left', () => {
    const { writer, reader } = ringPair();
    assert.ok(writer.tryWrite([bytes(1, 1)], 2));
    assert.ok(writer.tryWrite([bytes(1, 2)], 2));
    assert.equal(writer.tryWrite([bytes(1, 3)], 2), false);
    assert.equal(withoutSleeping(writer.write([bytes(1, 3)], past(), 2)), 'timeout');
    assert.ok(writer.tryWrite([bytes(1, 3)]), 'no bound without maxCount');
    assert.equal(reader.count, 3);
  });

  it('a writer waiting for room sleeps on the head, holds the write lock, and leaves both as they were when it stops', () => {
    const { writer, reader, buffer } = ringPair();
    const other = new Ring(buffer, 0, noSpill);
    assert.ok(writer.tryWrite([bytes(8, 1)]));
    const waiting = writer.write([bytes(8, 2)], later(), 1);
    const step = waiting.next();
    assert.equal(step.done, false, 'the queue is at its bound: the writer sleeps');
    const sleep = step.value;
    assert.equal(sleep.i32.buffer, buffer);
    assert.equal(Atomics.load(sleep.i32, sleep.index), sleep.value, 'it sleeps only while the word holds what it saw');
    assert.ok(sleep.ms > 0 && sleep.ms <= 1000, 'and wakes at least once a second to look again');
    assert.equal(other.tryWrite([bytes(8, 3)]), false, 'no one writes past a writer waiting: it holds the write lock');
    assert.deepEqual(waiting.return('closed'), { done: true, value: 'closed' });
    // Without the addon, a reader that believed a writer still slept would fail to wake it.
    assert.deepEqual(reader.tryRead(), bytes(8, 1));
    assert.ok(other.tryWrite([bytes(8, 3)]), 'the write lock is free again');
    assert.deepEqual(reader.tryRead(), bytes(8, 3));
    assert.equal(reader.tryRead(), undefined, 'the stopped write wrote nothing');
  });

  it('a reader waiting on an empty ring sleeps on the tail and looks again after each sleep', () => {
    const { reader } = ringPair();
    const waiting = reader.read(later());
    const first = waiting.next();
    assert.equal(first.done, false);
    const sleep = first.value;
    assert.equal(Atomics.load(sleep.i32, sleep.index), sleep.value);
    assert.equal(waiting.next().done, false, 'woken with nothing there, it sleeps again');
    assert.deepEqual(waiting.return(undefined), { done: true, value: undefined });
    assert.equal(reader.tryRead(), undefined);
  });
});

describe('Ring: taking', () => {
  it('onTake sees each message with its index before it is taken', () => {
    const { writer, reader } = ringPair();
    const seen: [number, number[]][] = [];
    reader.onTake = (index, message) => {
      assert.equal(reader.taken, index, 'not taken yet');
      seen.push([index, [...message]]);
    };
    writer.tryWrite([Uint8Array.of(1)]);
    writer.tryWrite([Uint8Array.of(2, 3)]);
    reader.tryRead();
    withoutSleeping(reader.read(later()));
    assert.deepEqual(seen, [[0, [1]], [1, [2, 3]]]);
  });

  it('discard drops every waiting message and counts them as taken; later messages still arrive', () => {
    const { writer, reader } = ringPair();
    for (let n = 0; n < 5; n++) writer.tryWrite([bytes(300, n)]);
    assert.equal(driveSync(reader.discard()), 5);
    assert.equal(reader.count, 0);
    assert.equal(reader.taken, 5);
    assert.equal(reader.written, 5);
    assert.equal(reader.tryRead(), undefined);
    assert.equal(driveSync(reader.discard()), 0, 'nothing to drop');
    writer.tryWrite([bytes(7, 9)]);
    assert.deepEqual(reader.tryRead(), bytes(7, 9));
  });
});
