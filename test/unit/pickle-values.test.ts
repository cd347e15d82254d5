import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteArray, Complex, Decimal, dumps, Float, FrozenSet, loads, OrderedDict, PyDate, PyDateTime, PyTime, Timedelta, Timezone, Tuple, tuple } from '../../src/pickle/index.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const unhex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

describe('pickle: the common types', () => {
  it('writes the bytes CPython writes for a manager request, at protocols 4 and 2', () => {
    const request = tuple(null, 'create', tuple('get_task_queue'), new Map());
    assert.equal(hex(dumps(request)), '8004952300000000000000284e8c06637265617465948c0e6765745f7461736b5f71756575659485947d9474942e');
    assert.equal(hex(dumps(request, { protocol: 2 })), '8002284e58060000006372656174657100580e0000006765745f7461736b5f717565756571018571027d71037471042e');
    assert.equal(hex(dumps(tuple('#RETURN', null))), '8004950e000000000000008c07235245545552' + '4e944e86942e');
  });

  it('reads and writes the scalar opcodes at their boundaries', () => {
    const cases: [unknown, string][] = [
      [null, '80044e2e'],
      [true, '8004882e'],
      [false, '8004892e'],
      [0, '80044b002e'],
      [255, '80044bff2e'],
      [256, '8004950400000000000000' + '4d0001' + '2e'],
      [65536, '8004950600000000000000' + '4a00000100' + '2e'],
      [-1, '8004950600000000000000' + '4affffffff' + '2e'],
      [2 ** 31, '8004950800000000000000' + '8a050000008000' + '2e'],
      [-(2 ** 31) - 1, '8004950800000000000000' + '8a05ffffff7fff' + '2e'],
      [2n ** 63n, '8004950c00000000000000' + '8a09' + '0000000000000080' + '00' + '2e'],
      [1.5, '8004950a00000000000000' + '473ff8000000000000' + '2e'],
      [-0, '8004950a00000000000000' + '478000000000000000' + '2e'],
      ['', '8004950400000000000000' + '8c0094' + '2e'],
      ['é', '8004950600000000000000' + '8c02c3a994' + '2e'],
      [new Uint8Array(0), '8004950400000000000000' + '430094' + '2e'],
    ];
    for (const [value, bytes] of cases) {
      assert.equal(hex(dumps(value)), bytes, `dumps(${String(value)})`);
      const back = loads(unhex(bytes));
      if (typeof value === 'bigint') assert.equal(back, value);
      else assert.deepEqual(back, value);
    }
    assert.ok(Object.is(loads(dumps(-0)), -0));
    assert.ok(Number.isNaN(loads(dumps(Number.NaN))));
    assert.equal(loads(dumps(2 ** 53)), 2 ** 53, 'a float too big for a safe integer stays a number');
    assert.equal(typeof loads(dumps(2n ** 53n)), 'bigint', 'an int past 2**53 - 1 loads as a bigint');
    assert.equal(loads(dumps(2n ** 53n - 1n)), 2 ** 53 - 1, 'and one within it as a number');
    assert.equal(loads(dumps(-(2n ** 2040n))), -(2n ** 2040n), 'LONG4');
  });

  it('reads every double bit for bit, among the first floats of a load and past them', () => {
    const edges = [0, -0, 1.5, -2.25, Math.PI, 1 / 3, 5e-324, -5e-324, 2.2250738585072014e-308, 2.225073858507201e-308, -1e-310, 1.7976931348623157e308, 2 ** 53 + 2, Infinity, -Infinity, Number.NaN];
    // Random bit patterns (xorshift32, seeded), and the edges again at the end: a load decodes its first floats from
    // their bits and reads the rest through a DataView.
    let seed = 0x2545f491;
    const next = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    };
    const bits = new DataView(new ArrayBuffer(8));
    const doubles = [...edges];
    for (let i = 0; i < 5000; i++) {
      bits.setUint32(0, next());
      bits.setUint32(4, next());
      doubles.push(bits.getFloat64(0));
    }
    doubles.push(...edges);
    // At an offset into a larger buffer, as a message read off a socket is.
    const data = new Uint8Array(3 + 6 + 9 * doubles.length).subarray(3);
    const view = new DataView(data.buffer, data.byteOffset);
    data.set([0x80, 0x04, 0x5d, 0x28]); // PROTO 4, EMPTY_LIST, MARK
    doubles.forEach((value, i) => {
      data[4 + 9 * i] = 0x47; // BINFLOAT
      view.setFloat64(5 + 9 * i, value);
    });
    data.set([0x65, 0x2e], data.length - 2); // APPENDS, STOP
    const back = loads(data) as number[];
    assert.equal(back.length, doubles.length);
    back.forEach((value, i) => assert.ok(Object.is(value, doubles[i]), `float ${i}: ${value} for ${doubles[i]}`));
    // The same floats closed by TUPLE rather than APPENDS: read one by one by the loop, not as a list's run.
    data.set([0x74, 0x2e], data.length - 2); // TUPLE, STOP (the tuple is what STOP takes)
    const items = loads(data) as Tuple;
    assert.ok(items instanceof Tuple);
    assert.equal(items.length, doubles.length);
    items.forEach((value, i) => assert.ok(Object.is(value, doubles[i]), `float ${i} of the tuple: ${String(value)} for ${doubles[i]}`));
  });

  it("reads a list's numbers straight from their run, and leaves every other shape to the loop", () => {
    const numbers = [0, 255, 256, 65535, 65536, -1, -(2 ** 31), 2 ** 31 - 1, 1.5, -0, Number.NaN, 7, 1e300, 2 ** 40];
    const make = (n: number): unknown[] => Array.from({ length: n }, (_, i) => numbers[(i * 5) % numbers.length]);
    for (const n of [2, 999, 1000, 1001, 2500, 30000]) {
      for (const protocol of [2, 4]) assert.deepStrictEqual(loads(dumps(make(n), { protocol })), make(n), `${n} numbers at protocol ${protocol}`);
    }
    const nested = [[1, 2.5], [3, [4.5, 5, 'six']], [7, null, 8]];
    assert.deepStrictEqual(loads(dumps(nested)), nested);
    // PROTO 4, EMPTY_LIST, MARK, BININT1 1, BINFLOAT 2.5, [a FRAME of the rest], BININT2 300, APPENDS, STOP.
    const head = '80 04 5d 28 4b 01 47 40 04 00 00 00 00 00 00';
    const tail = '4d 2c 01 65 2e';
    assert.deepStrictEqual(loads(unhex(`${head} ${tail}`)), [1, 2.5, 300]);
    assert.deepStrictEqual(loads(unhex(`${head} 95 05 00 00 00 00 00 00 00 ${tail}`)), [1, 2.5, 300], 'a FRAME inside the run');
    assert.deepStrictEqual(loads(unhex(`${head} 4d 2c 01 74 2e`)), tuple(1, 2.5, 300), 'closed by TUPLE');
    // Onto an object kept as a placeholder (demo.Bag, unknown): its list items, not a list's.
    const bag = loads(unhex('80 02 63 64 65 6d 6f 0a 42 61 67 0a 29 81 28 4b 01 4b 02 65 2e'), { unknownGlobals: 'keep' }) as { listItems: unknown[] };
    assert.deepStrictEqual(bag.listItems, [1, 2]);
    // Onto a tuple (EMPTY_TUPLE, MARK, 1, 2, APPENDS): refused, as Python refuses it; a tuple never grows.
    assert.throws(() => loads(unhex('80 02 29 28 4b 01 4b 02 65 2e')), { code: 'ERR_MP_PICKLE_INVALID' });
    // Whole floats stay floats when asked, in a run as out of one.
    assert.deepStrictEqual(loads(dumps([new Float(1), 2, 3.5]), { floats: 'exact' }), [new Float(1), 2, 3.5]);
    assert.deepStrictEqual(loads(dumps([new Float(1), 2, 3.5])), [1, 2, 3.5]);
    // Cut anywhere, a run is truncated; past the allocation limit, refused.
    const run = unhex(`${head} ${tail}`);
    for (let cut = 0; cut < run.length; cut++) assert.throws(() => loads(run.subarray(0, cut)), { code: 'ERR_MP_PICKLE_TRUNCATED' }, `cut at ${cut} bytes`);
    assert.throws(() => loads(dumps(make(2000)), { maxAllocation: 4000 }), { code: 'ERR_MP_PICKLE_LIMIT', limit: 'maxAllocation' });
  });

  it('round-trips containers, keeping tuples tuples and shared references shared', () => {
    const shared = [1];
    const value = new Map<unknown, unknown>([
      ['list', [1, 'two', 3.5, null, true]],
      ['tuple', tuple(1, tuple(2, 3), tuple())],
      ['big tuple', Tuple.of(1, 2, 3, 4, 5)],
      [7, new Set([1, 'a'])],
      ['frozen', new FrozenSet(['x'])],
      ['bytes', Uint8Array.of(0, 1, 255)],
      ['bytearray', ByteArray.of(9, 8)],
      ['shared', [shared, shared]],
      ['ordered', new OrderedDict([['b', 1], ['a', 2]])],
    ]);
    for (const protocol of [2, 3, 4, 5]) {
      const back = loads(dumps(value, { protocol })) as Map<unknown, unknown>;
      assert.deepStrictEqual(back, value, `protocol ${protocol}`);
      const pair = back.get('shared') as unknown[][];
      assert.equal(pair[0], pair[1], 'one object, referred to twice');
    }
    const cycle: unknown[] = [];
    cycle.push(cycle);
    const back = loads(dumps(cycle)) as unknown[];
    assert.equal(back[0], back);
  });

  it("reads CPython's MARK tuples inside a list's MARK and its floats, and reports every cut of it as truncated", () => {
    // pickle.dumps([(1, 2.5, 'abc', (3, 4, 5, 6), -0.0), 7, [(8, 9, 10, 11, 12)], 1e-300], 4) in CPython 3.11: tuples
    // of four and five items are MARK ... TUPLE, inside the list's MARK ... APPENDS.
    const bytes = unhex('80049548000000000000005d9428284b014740040000000000008c0361626394284b034b044b054b06749447800000000000000074944b075d94284b084b094b0a4b0b4b0c7494614701a56e1fc2f8f359652e');
    const value = loads(bytes) as unknown[];
    assert.deepEqual(value, [tuple(1, 2.5, 'abc', tuple(3, 4, 5, 6), -0), 7, [tuple(8, 9, 10, 11, 12)], 1e-300]);
    const first = value[0] as Tuple;
    assert.ok(first instanceof Tuple && first[3] instanceof Tuple && (value[2] as unknown[])[0] instanceof Tuple);
    assert.ok(Object.is(first[4], -0));
    assert.equal(hex(dumps(value)), hex(bytes), 'and writes the same bytes back');
    for (let n = 0; n < bytes.length; n++) {
      assert.throws(() => loads(bytes.subarray(0, n)), (error: Error & { code?: string }) => error.code === 'ERR_MP_PICKLE_TRUNCATED', `cut at ${n} bytes`);
    }
  });

  it("gives plain arrays from a tuple's map, filter, slice, concat, flat, flatMap and splice: they pickle as lists", () => {
    const t = tuple(1, 2, 3);
    const made: Record<string, unknown[]> = {
      map: t.map((x, i, whole) => x * 10 + i + (whole === t ? 0 : 100)),
      filter: t.filter((x, _i, whole) => x > 1 && whole === t),
      slice: t.slice(1),
      concat: t.concat([4], 5),
      flat: tuple([1], [2, [3]]).flat(),
      flatMap: t.flatMap((x) => [x, x]),
      splice: tuple(1, 2, 3).splice(0, 2),
    };
    assert.deepEqual(made, { map: [10, 21, 32], filter: [2, 3], slice: [2, 3], concat: [1, 2, 3, 4, 5], flat: [1, 2, [3]], flatMap: [1, 1, 2, 2, 3, 3], splice: [1, 2] });
    for (const [name, value] of Object.entries(made)) {
      assert.equal(Object.getPrototypeOf(value), Array.prototype, `${name} gives a plain array`);
      assert.ok(!(loads(dumps(value)) instanceof Tuple), `${name}'s result pickles as a list`);
    }
    const spliced = tuple(1, 2, 3);
    spliced.splice(1, 1, 9, 8);
    assert.ok(spliced instanceof Tuple);
    assert.deepEqual([...spliced], [1, 9, 8, 3]);
    assert.deepEqual(Array.from(Tuple.of(4, 5)), [4, 5]);
    assert.ok(Tuple.from([1]) instanceof Tuple);
  });

  it('maps complex, Decimal, datetime values and whole floats both ways', () => {
    const values = [
      new Complex(1, -2.5),
      new Decimal('1.10'),
      new Timedelta(1, 2, 3),
      new PyDate(2024, 2, 29),
      new PyTime(23, 59, 58, 999_999),
      new PyDateTime(2024, 1, 2, 3, 4, 5, 6),
      new PyDateTime(2024, 1, 2, 3, 4, 5, 6, Timezone.utc, 1),
      new PyDateTime(1, 1, 1, 0, 0, 0, 0, new Timezone(new Timedelta(0, 3600), 'X')),
    ];
    for (const value of values) assert.deepStrictEqual(loads(dumps(value)), value);
    assert.deepStrictEqual(loads(dumps(new Float(2)), { floats: 'exact' }), new Float(2));
    assert.equal(loads(dumps(new Float(2))), 2);
    const date = new Date(Date.UTC(2020, 5, 6, 7, 8, 9, 10));
    const back = loads(dumps(date)) as PyDateTime;
    assert.ok(back instanceof PyDateTime);
    assert.equal(back.toDate().getTime(), date.getTime());
  });

  it('reads a dict as a plain object when asked, never touching the prototype', () => {
    const bytes = dumps(new Map([['__proto__', 1], ['a', 2]]));
    const plain = loads(bytes, { dict: 'object' }) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(plain), Object.prototype);
    assert.deepEqual(Object.keys(plain), ['__proto__', 'a']);
    assert.equal(({} as Record<string, unknown>)['a'], undefined);
    assert.deepStrictEqual(loads(dumps({ x: 1 })), new Map([['x', 1]]), 'a plain object is written as a dict');
    // One options object used for many loads, then changed: the change is seen.
    const options: { dict: 'map' | 'object' } = { dict: 'map' };
    assert.ok(loads(bytes, options) instanceof Map);
    options.dict = 'object';
    assert.equal(Object.getPrototypeOf(loads(bytes, options)), Object.prototype);
  });
});
