import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Array as SharedArrayOf, Lock, RawArray, RawValue, SharedArray, Value, type Typecode } from '../src/index.js';
import { inProcess, inThread } from './helpers/agents.js';

const sizes: Record<Typecode, number> = { c: 1, b: 1, B: 1, h: 2, H: 2, i: 4, I: 4, l: 8, L: 8, q: 8, Q: 8, f: 4, d: 8 };

function bytesOf(view: ArrayBufferView): string {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('hex');
}

describe('RawValue, RawArray, Value, Array', () => {
  it('use the sizes and bytes of Python on x86-64 Linux', () => {
    for (const [code, size] of Object.entries(sizes) as [Typecode, number][]) {
      using array = new RawArray(code, 3);
      assert.equal(array.view.BYTES_PER_ELEMENT, size, code);
      assert.equal(array.view.byteLength, 3 * size);
    }
    using value = new RawValue('i', -2);
    assert.equal(bytesOf(value.view), 'feffffff');
    using doubles = new RawArray('d', [1.0, 2.5]);
    assert.equal(bytesOf(doubles.view), '000000000000f03f0000000000000440');
    using big = new RawValue('q', 2n ** 62n);
    assert.equal(big.value, 2n ** 62n);
    big.value = -5;
    assert.equal(big.value, -5n);
    using chars = new RawArray('c', 'hi');
    assert.deepEqual(chars.toArray(), [104, 105]);
    assert.throws(() => new RawValue('x' as Typecode), RangeError);
    assert.throws(() => new RawValue('i', 'one' as unknown as number), TypeError);
    assert.throws(() => new RawValue('q', 1.5), TypeError);
    assert.throws(() => new RawArray('i', -1), RangeError);
    assert.throws(() => new RawArray('i', {} as unknown as number), TypeError);
  });

  it('index like Python and expose a typed-array view', () => {
    using array = new SharedArray('i', [1, 2, 3]);
    assert.equal(SharedArrayOf, SharedArray);
    assert.equal(array.length, 3);
    assert.equal(array.get(-1), 3);
    array.set(-3, 10);
    array.view[1] = 20;
    assert.deepEqual([...array], [10, 20, 3]);
    assert.throws(() => array.get(3), RangeError);
    assert.throws(() => array.set(-4, 0), RangeError);
    assert.throws(() => array.get(0.5), RangeError);
    assert.equal(array.getLock().constructor.name, 'RLock');
    using raw = new RawArray('f', 2);
    assert.throws(() => raw.getLock(), (error: { code?: string }) => error.code === 'ERR_MP_NO_LOCK');
  });

  it('a Value and its lock keep an exact count from processes and threads', async () => {
    using counter = new Value('q', 0n);
    const n = 2000;
    await Promise.all([
      inProcess('value-count', { value: counter, n }),
      inProcess('value-count', { value: counter, n }),
      inThread('value-count', { value: counter, n }),
      (async () => {
        for (let i = 0; i < n; i++) {
          await using _held = await counter.guard();
          counter.value = counter.value + 1n;
        }
      })(),
    ]);
    assert.equal(counter.value, BigInt(4 * n));
  });

  it('takes lock: false or a lock of the caller\'s', async () => {
    using unlocked = new Value('d', 1.5, { lock: false });
    assert.throws(() => unlocked.getLock(), (error: { code?: string }) => error.code === 'ERR_MP_NO_LOCK');
    using lock = new Lock();
    using a = new Value('i', 0, { lock });
    using b = new SharedArray('i', 1, { lock });
    assert.equal(a.getLock(), lock);
    assert.equal(b.getLock(), lock);
    // A lock of the caller's travels with the value: the child's increments are under the same lock.
    await Promise.all([inProcess('lock-count', { lock, counter: a, n: 1000 }), inThread('value-count', { value: new Value('q', 0n, { lock: new Lock() }), n: 10 })]);
    assert.equal(a.value, 1000);
    assert.throws(() => new Value('i', 0, { lock: 'yes' as unknown as boolean }), TypeError);
    const ref = a.toRef();
    assert.equal(ref.lock?.ref.name, lock.segmentName);
  });
});
