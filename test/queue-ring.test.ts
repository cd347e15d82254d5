// The queue ring's parts that need the addon: sleepers woken by the other side or by a close (futex), and
// messages larger than half the ring, which travel in spill segments. The rest is in test/unit/queue-ring.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { initRing, Ring, ringHeaderBytes } from '../src/queue/ring.js';
import { driveAsync, driveSync } from '../src/sync/wait.js';
import { within } from './pool/harness.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'multiproc-ring-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function ringPair(capacity = 4096): { writer: Ring; reader: Ring } {
  const buffer = new SharedArrayBuffer(ringHeaderBytes + capacity);
  initRing(new Int32Array(buffer), 0, capacity);
  const place = { prefix: 'ring.', dir };
  return { writer: new Ring(buffer, 0, place), reader: new Ring(buffer, 0, place) };
}

function bytes(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (seed * 131 + i * 7) & 255);
}

async function settled(promise: unknown): Promise<boolean> {
  let done = false;
  void Promise.resolve(promise).then(() => (done = true), () => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

const later = (): number => performance.now() + 30_000;

describe('Ring: messages larger than half the ring', () => {
  it('travel in a spill segment, in order with inline ones, and the spill is removed once read', () => {
    const { writer, reader } = ringPair();
    const big = bytes(3000, 1);
    const huge = bytes(100_000, 2);
    assert.equal(driveSync(writer.write([bytes(10, 3)], later())), 'written');
    assert.equal(driveSync(writer.write([big.subarray(0, 1000), big.subarray(1000)], later())), 'written');
    assert.equal(driveSync(writer.write([huge], later())), 'written', 'even one many times the ring');
    assert.equal(readdirSync(dir).length, 2, 'one spill per large message while it waits');
    assert.equal(reader.count, 3);
    assert.deepEqual(driveSync(reader.read(later())), bytes(10, 3));
    assert.deepEqual(driveSync(reader.read(later())), big);
    assert.equal(readdirSync(dir).length, 1, 'a spill is removed once taken');
    assert.deepEqual(reader.tryRead(), huge);
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(reader.tryRead(), undefined);
  });

  it('discard removes the spills of what it drops', () => {
    const { writer, reader } = ringPair();
    for (let n = 0; n < 3; n++) driveSync(writer.write([bytes(5000, n)], later()));
    driveSync(writer.write([bytes(5, 9)], later()));
    assert.equal(readdirSync(dir).length, 3);
    assert.equal(driveSync(reader.discard()), 4);
    assert.deepEqual(readdirSync(dir), []);
  });

  it('a spill removed behind the queue\'s back is skipped, not delivered as garbage', () => {
    const { writer, reader } = ringPair();
    driveSync(writer.write([bytes(5000, 1)], later()));
    driveSync(writer.write([bytes(6, 2)], later()));
    for (const name of readdirSync(dir)) rmSync(path.join(dir, name));
    assert.deepEqual(reader.tryRead(), bytes(6, 2));
    assert.equal(reader.count, 0);
  });
});

describe('Ring: sleepers are woken', () => {
  it('a writer waiting for room wakes when a message is taken, and writes', async () => {
    const { writer, reader } = ringPair();
    while (writer.tryWrite([bytes(500, 1)]));
    const writing = driveAsync(writer.write([bytes(500, 2)], later()), undefined);
    assert.equal(await settled(writing), false, 'full: it waits');
    assert.deepEqual(reader.tryRead(), bytes(500, 1));
    assert.equal(await within(Promise.resolve(writing), 10_000, 'the writer'), 'written');
    let last: Uint8Array | undefined;
    for (let message = reader.tryRead(); message !== undefined; message = reader.tryRead()) last = message;
    assert.deepEqual(last, bytes(500, 2), 'written last, after everything already there');
  });

  it('a reader waiting on an empty ring wakes when a message is written', async () => {
    const { writer, reader } = ringPair();
    const reading = driveAsync(reader.read(later()), undefined);
    assert.equal(await settled(reading), false);
    assert.ok(writer.tryWrite([bytes(7, 1)]));
    assert.deepEqual(await within(Promise.resolve(reading), 10_000, 'the reader'), bytes(7, 1));
  });

  it('closing the writer side wakes a waiting reader; what was written before is still read', async () => {
    const { writer, reader } = ringPair();
    const reading = driveAsync(reader.read(later()), undefined);
    assert.equal(await settled(reading), false);
    writer.closeSide('writer');
    assert.equal(await within(Promise.resolve(reading), 10_000, 'the reader'), undefined);
    assert.ok(reader.writerClosed);
    assert.equal(writer.tryWrite([bytes(1, 1)]), false, 'no writes after the close');
    assert.equal(driveSync(writer.write([bytes(1, 1)], later())), 'closed');

    const other = ringPair();
    other.writer.tryWrite([bytes(3, 3)]);
    other.writer.closeSide('writer');
    assert.deepEqual(driveSync(other.reader.read(later())), bytes(3, 3), 'a close is not a discard');
    assert.equal(driveSync(other.reader.read(later())), undefined, 'then: closed and empty');
  });

  it('closing the writer side now stops readers at once, whatever is left', () => {
    const { writer, reader } = ringPair();
    writer.tryWrite([bytes(3, 3)]);
    writer.closeSide('writer', true);
    assert.ok(reader.closedNow);
    assert.equal(reader.tryRead(), undefined);
    assert.equal(driveSync(reader.read(later())), undefined);
    assert.equal(reader.count, 1, 'left where it was');
    writer.closeSide('writer');
    assert.ok(reader.closedNow, 'a later plain close does not undo "now"');
  });

  it('closing the reader side wakes a writer waiting for room, which gives up with "closed"', async () => {
    const { writer, reader } = ringPair();
    while (writer.tryWrite([bytes(500, 1)]));
    const count = reader.count;
    const writing = driveAsync(writer.write([bytes(500, 2)], later()), undefined);
    assert.equal(await settled(writing), false);
    reader.closeSide('reader');
    assert.equal(await within(Promise.resolve(writing), 10_000, 'the writer'), 'closed');
    assert.equal(reader.count, count, 'nothing was written');
  });

  it('an abort rejects a waiting read and leaves the ring usable', async () => {
    const { writer, reader } = ringPair();
    const controller = new AbortController();
    const reason = new Error('stop');
    const reading = driveAsync(reader.read(later()), controller.signal);
    assert.equal(await settled(reading), false);
    controller.abort(reason);
    await assert.rejects(Promise.resolve(reading), (error) => error === reason);
    assert.ok(writer.tryWrite([bytes(4, 4)]));
    assert.deepEqual(reader.tryRead(), bytes(4, 4));
  });
});
