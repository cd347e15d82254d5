import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Array as SharedArrayOf, Lock, RawArray, RawValue, SharedArray, SharedMemoryManager, Value, type Typecode } from '../src/index.js';
import { encodePayload, inProcess, inThread } from './helpers/agents.js';
import { finish, pythonScript, runPython, startNode } from './helpers/spawn.js';

const sizes: Record<Typecode, number> = { c: 1, b: 1, B: 1, h: 2, H: 2, i: 4, I: 4, l: 8, L: 8, q: 8, Q: 8, f: 4, d: 8 };
const peer = fileURLToPath(new URL('./sharedctypes-peer.js', import.meta.url));
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function bytesOf(view: ArrayBufferView): string {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('hex');
}

/** Runs a sharedctypes-peer scenario in a child process. */
async function inPeer(scenario: string, payload: Record<string, unknown>): Promise<void> {
  const result = await finish(startNode(peer, [scenario, encodePayload(payload)]), 60_000);
  assert.equal(result.code, 0, result.stderr);
}

/** A result in the shape the Python oracle prints: the value (bytes as {bytes}) or the Python exception's class. */
type Outcome = { ok: unknown } | { error: string };
const pythonErrors: Record<string, string> = {
  TypeError: 'TypeError',
  RangeError: 'ValueError',
  ERR_MP_MANAGER_NOT_STARTED: 'ValueError',
  ERR_MP_MANAGER_ALREADY_STARTED: 'ProcessError',
};

function outcome(fn: () => unknown): Outcome {
  const enc = (x: unknown): unknown => (x instanceof Uint8Array ? { bytes: [...x] } : Array.isArray(x) ? x.map(enc) : x);
  try {
    return { ok: enc(fn()) };
  } catch (error) {
    const key = (error as { code?: string }).code ?? (error as Error).constructor.name;
    return { error: pythonErrors[key] ?? key };
  }
}

function assigned<T, K extends keyof T>(target: T, key: K, value: T[K], then: (target: T) => unknown): unknown {
  target[key] = value;
  return then(target);
}

function itemSet(array: RawArray<'c'>, index: number, value: Uint8Array | number): Uint8Array {
  array.set(index, value);
  return array.raw;
}

function startedTwice(): void {
  using smm = new SharedMemoryManager().start();
  smm.start();
}

/** Every value a case makes, closed after the cases ran. */
const made: Disposable[] = [];
function keep<T extends Disposable>(value: T): T {
  made.push(value);
  return value;
}

// The cases test/python/sharedctypes_oracle.py runs in Python, one for one.
const cases: Record<string, () => unknown> = {
  'Value c bytes': () => keep(new Value('c', bytes('x'))).value,
  'RawValue c default': () => keep(new RawValue('c')).value,
  'Value c int': () => keep(new Value('c', 65)).value,
  'Value c str': () => keep(new Value('c', 'x' as unknown as Uint8Array)).value,
  'Value c 256': () => keep(new Value('c', 256)).value,
  'Value c two bytes': () => keep(new Value('c', bytes('xy'))).value,
  'RawValue c set': () => assigned(keep(new RawValue('c', bytes('x'))), 'value', bytes('y'), (v) => v.value),
  'Array c value': () => keep(new SharedArray('c', bytes('hi\0z'))).value,
  'Array c raw': () => keep(new SharedArray('c', bytes('hi\0z'))).raw,
  'Array c item': () => keep(new SharedArray('c', bytes('hi\0z'))).get(1),
  'Array c items': () => [...keep(new SharedArray('c', bytes('hi\0z')))],
  'Array c set value': () => assigned(keep(new SharedArray('c', bytes('hi\0z'))), 'value', bytes('a'), (a) => a.raw),
  'Array c set raw': () => assigned(keep(new SharedArray('c', bytes('hi\0z'))), 'raw', bytes('xy'), (a) => a.raw),
  'Array c value too long': () => assigned(keep(new SharedArray('c', bytes('hi\0z'))), 'value', bytes('12345'), (a) => a.raw),
  'Array c raw too long': () => assigned(keep(new SharedArray('c', bytes('hi\0z'))), 'raw', bytes('12345'), (a) => a.raw),
  'Array c set item int': () => itemSet(keep(new SharedArray('c', bytes('hi'))), 0, 120),
  'Array c set item bytes': () => itemSet(keep(new RawArray('c', bytes('hi'))), -1, bytes('o')),
  'Array c from size': () => keep(new SharedArray('c', 3)).raw,
  'Array c from items': () => keep(new RawArray('c', [bytes('a'), 98])).raw,
  'Array c str': () => keep(new SharedArray('c', 'hi' as unknown as Uint8Array)).raw,
  'Value bad typecode': () => keep(new Value('x' as Typecode, 1)).value,
  'RawValue bad typecode': () => keep(new RawValue('x' as Typecode, 1)).value,
  'Array bad typecode': () => keep(new SharedArray('x' as Typecode, 3)).get(0),
  'RawArray bad typecode': () => keep(new RawArray('x' as Typecode, 3)).get(0),
  'manager SharedMemory before start': () => new SharedMemoryManager().sharedMemory(9),
  'manager ShareableList before start': () => new SharedMemoryManager().shareableList([1]),
  'manager started twice': startedTwice,
};

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
    using chars = new RawArray('c', bytes('hi'));
    assert.equal(bytesOf(chars.view), '6869');
    assert.deepEqual(chars.toArray(), [bytes('h'), bytes('i')]);
    assert.throws(() => new RawValue('x' as Typecode), TypeError);
    assert.throws(() => new RawValue('i', 'one' as unknown as number), TypeError);
    assert.throws(() => new RawValue('q', 1.5), TypeError);
    assert.throws(() => new RawArray('i', -1), RangeError);
    assert.throws(() => new RawArray('i', {} as unknown as number), TypeError);
  });

  it('a bad typecode is a TypeError, as in Python', () => {
    for (const make of [() => new RawValue('u' as Typecode), () => new Value('' as Typecode), () => new RawArray('x' as Typecode, 2), () => new SharedArray(4 as unknown as Typecode, 2)]) {
      assert.throws(make, (error: Error) => error instanceof TypeError && /^Expected `typecode` to be one of Python's typecodes/.test(error.message));
    }
  });

  it("typecode 'c' takes and gives bytes as Python's c_char does (checked against a real Python)", async () => {
    const result = await runPython(pythonScript('sharedctypes_oracle.py'));
    assert.equal(result.code, 0, result.stderr);
    const python = JSON.parse(result.stdout) as Record<string, Outcome>;
    const ours = Object.fromEntries(Object.entries(cases).map(([name, fn]) => [name, outcome(fn)]));
    for (const value of made.splice(0)) value[Symbol.dispose]();
    assert.deepEqual(ours, python);
  });

  it("typecode 'c': value and raw of an Array, and only of a 'c' one", () => {
    using text = new SharedArray('c', 5);
    text.value = bytes('hey');
    assert.deepEqual(text.value, bytes('hey'));
    text.raw = bytes('abcde');
    assert.deepEqual(text.value, bytes('abcde'), 'no NUL: value is every byte');
    text.value = new Uint8Array(0);
    assert.deepEqual(text.raw, bytes('\0bcde'));
    assert.throws(() => (text.value = 'no' as unknown as Uint8Array), TypeError);
    using numbers = new RawArray('i', 2);
    assert.throws(() => numbers.value, TypeError);
    assert.throws(() => (numbers.raw = new Uint8Array(1)), TypeError);
    using one = new Value('c');
    const read = one.value;
    read[0] = 1;
    assert.deepEqual(one.value, new Uint8Array(1), 'a read is a copy, as Python bytes are immutable');
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

// Ported from CPython's Lib/test/_test_multiprocessing.py (_TestValue, _TestArray): the test logic, in TypeScript.
describe('CPython _TestValue and _TestArray, ported', () => {
  const codesValues: [Typecode, number | bigint | Uint8Array, number | bigint | Uint8Array][] = [
    ['i', 4343, 24234],
    ['d', 3.625, -4.25],
    ['h', -232, 234],
    ['q', 2n ** 33n, 2n ** 34n],
    ['c', bytes('x'), bytes('y')],
  ];

  for (const raw of [false, true]) {
    it(raw ? 'test_rawvalue' : 'test_value', async () => {
      const values = codesValues.map(([code, initial]) => (raw ? new RawValue(code, initial) : new Value(code, initial)));
      try {
        values.forEach((value, i) => assert.deepEqual(value.value, codesValues[i]![1]));
        await inPeer('set-values', { values });
        values.forEach((value, i) => assert.deepEqual(value.value, codesValues[i]![2]));
      } finally {
        for (const value of values) value.close();
      }
    });
  }

  it('test_getobj_getlock', () => {
    using val1 = new Value('i', 5);
    assert.equal(val1.getLock().constructor.name, 'RLock');
    assert.equal(val1.view[0], 5);
    using lock = new Lock();
    using val3 = new Value('i', 5, { lock });
    assert.equal(val3.getLock(), lock);
    using val4 = new Value('i', 5, { lock: false });
    assert.throws(() => val4.getLock(), { code: 'ERR_MP_NO_LOCK' });
    assert.throws(() => new Value('i', 5, { lock: 'navalue' as unknown as boolean }), TypeError);
    using val5 = new RawValue('i', 5);
    assert.throws(() => val5.getLock(), { code: 'ERR_MP_NO_LOCK' });
  });

  for (const raw of [false, true]) {
    it(raw ? 'test_rawarray' : 'test_array', async () => {
      const seq = [680, 626, 934, 821, 150, 233, 548, 982, 714, 831];
      using arr = raw ? new RawArray('i', seq) : new SharedArray('i', seq);
      assert.equal(arr.length, seq.length);
      assert.equal(arr.get(3), seq[3]);
      assert.deepEqual(arr.toArray().slice(2, 7), seq.slice(2, 7));
      [1, 2, 3, 4].forEach((item, i) => {
        arr.set(4 + i, item);
        seq[4 + i] = item;
      });
      assert.deepEqual(arr.toArray(), seq);
      for (let i = 1; i < seq.length; i++) seq[i] = seq[i]! + seq[i - 1]!;
      await inPeer('prefix-sums', { array: arr });
      assert.deepEqual(arr.toArray(), seq);
    });
  }

  it('test_array_from_size (zeroed every time)', () => {
    for (let round = 0; round < 3; round++) {
      using arr = new SharedArray('i', 10);
      assert.equal(arr.length, 10);
      assert.deepEqual(arr.toArray(), new Array<number>(10).fill(0));
      arr.view.set(Array.from({ length: 10 }, (_, i) => i));
      assert.deepEqual(arr.toArray(), Array.from({ length: 10 }, (_, i) => i));
    }
  });

  it('test_getobj_getlock_obj', () => {
    const range = Array.from({ length: 10 }, (_, i) => i);
    using arr1 = new SharedArray('i', range);
    assert.equal(arr1.getLock().constructor.name, 'RLock');
    using lock = new Lock();
    using arr3 = new SharedArray('i', range, { lock });
    assert.equal(arr3.getLock(), lock);
    using arr4 = new SharedArray('i', range.values(), { lock: false });
    assert.deepEqual(arr4.toArray(), range, 'an iterator is read once');
    assert.throws(() => arr4.getLock(), { code: 'ERR_MP_NO_LOCK' });
    assert.throws(() => new SharedArray('i', range, { lock: 'notalock' as unknown as boolean }), TypeError);
    using arr5 = new RawArray('i', range);
    assert.throws(() => arr5.getLock(), { code: 'ERR_MP_NO_LOCK' });
  });
});
