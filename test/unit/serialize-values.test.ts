import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bytesToPacket,
  decode,
  decodeSync,
  encode,
  packetToBytes,
  registerClass,
  type Packet,
} from '../../src/serialize/index.js';
import { Counter, double, Point, Point3D, Polygon, Temperature, tripled, ValidationError } from '../fixtures/codec-classes.js';

/** Through the byte form too, as a pipe would carry it. */
function roundTrip<T>(value: T, transfer?: ArrayBuffer[]): T {
  const packet = encode(value, transfer === undefined ? {} : { transfer });
  return decodeSync(bytesToPacket(packetToBytes(packet))) as T;
}

function plainSample(): Record<string, unknown> {
  const shared = { shared: true };
  const sample: Record<string, unknown> = {
    numbers: [0, 1, 127, 128, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 53, 1.5, -0, Number.NaN, Infinity, -Infinity],
    bigints: [0n, 1n, -1n, 2n ** 64n, -(2n ** 200n) + 7n],
    strings: ['', 'a', 'x'.repeat(31), 'y'.repeat(32), 'héllo wörld', '日本語', '😀 emoji', 'z'.repeat(100_000)],
    other: [true, false, null, undefined],
    date: new Date(Date.UTC(2024, 1, 29, 12, 0, 0, 123)),
    regexp: /a(b)+c/giu,
    map: new Map<unknown, unknown>([[1, 'one'], ['two', { n: 2 }], [{ key: 'object' }, [1, 2]]]),
    set: new Set<unknown>([1, 'a', { b: 1 }]),
    sparse: [1, , 3], // eslint-disable-line no-sparse-arrays
    boxed: [Object(1), Object('s'), Object(false), Object(5n)],
    nested: { a: { b: { c: { d: [{ e: 1 }] } } } },
    manyKeys: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, i])),
    protoKey: JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as unknown,
    first: shared,
    second: shared,
  };
  sample['self'] = sample;
  return sample;
}

describe('codec: plain data', () => {
  it('round-trips everything structured clone carries, as structuredClone does', () => {
    const sample = plainSample();
    const decoded = roundTrip(sample);
    assert.deepStrictEqual(decoded, structuredClone(sample));
    assert.equal(decoded['self'], decoded, 'cycles are kept');
    assert.equal(decoded['first'], decoded['second'], 'shared references stay shared');
    assert.equal(Object.getPrototypeOf(decoded['protoKey']), Object.prototype, 'a __proto__ key never switches the prototype');
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.ok(!(1 in (decoded['sparse'] as unknown[])), 'holes stay holes');
    const invalid = roundTrip(new Date(Number.NaN));
    assert.ok(invalid instanceof Date && Number.isNaN(invalid.getTime()));
  });

  it('sends a long array of int32 numbers as one block, and every other array element by element', () => {
    const ints = Array.from({ length: 25_000 }, (_, i) => (i % 2 === 0 ? i : -i * 70_000));
    const block = encode(ints).data.length;
    assert.ok(block < 4 * ints.length + 16, `int32 run takes ${block} bytes`);
    assert.deepEqual(roundTrip(ints), ints);
    assert.deepEqual(roundTrip([2 ** 31 - 1, -(2 ** 31), ...Array.from({ length: 20 }, (_, i) => i)]), [2 ** 31 - 1, -(2 ** 31), ...Array.from({ length: 20 }, (_, i) => i)]);
    // Anything an int32 cannot hold exactly keeps the element-by-element form, and comes back the same.
    const pad = Array.from({ length: 20 }, (_, i) => i);
    for (const odd of [-0, 0.5, 2 ** 31, Number.NaN, '1', 1n, null, undefined, { n: 1 }]) {
      assert.deepEqual(roundTrip([...pad, odd]), [...pad, odd]);
    }
    const holey = [...pad];
    holey[25] = 1;
    const back = roundTrip(holey);
    assert.equal(back.length, 26);
    assert.ok(!(22 in back), 'a hole stays a hole');
    // A run is an object like any array: references to it, before and after, still point at one array.
    const shared = [...pad];
    const both = roundTrip({ a: shared, b: [shared, { c: shared }] });
    assert.equal(both.a, both.b[0]);
    assert.equal(both.a, (both.b[1] as { c: unknown }).c);
  });

  it('keeps shared references wherever they fall: among the first objects, past them, and in both orders', () => {
    const objects = Array.from({ length: 20 }, (_, i) => ({ i }));
    const value = [...objects, ...objects.slice().reverse(), objects[0], objects[19]];
    const decoded = roundTrip(value);
    assert.deepStrictEqual(decoded, value);
    for (let i = 0; i < 20; i++) assert.equal(decoded[39 - i], decoded[i], `repeat of object ${i}`);
    assert.equal(decoded[40], decoded[0]);
    assert.equal(decoded[41], decoded[19]);
    const few = roundTrip([objects[0], objects[1], objects[0]]);
    assert.equal(few[2], few[0]);
    assert.notEqual(few[1], few[0]);
  });

  it('keeps back-references right in a message after one whose ninth object repeats an earlier one', () => {
    // Eight objects (the outer array and seven more), then a repeat: the shape of a batch of two calls sharing
    // one handle. The message after it, with more objects and repeats, must not see the first one's objects.
    const shared = { handle: 1 };
    const first = [shared, {}, {}, {}, {}, {}, [], shared];
    assert.deepStrictEqual(decodeSync(encode(first)), first);
    const many = Array.from({ length: 12 }, (_, i) => ({ i }));
    const second = [...many, many[3], many[11]];
    const decoded = decodeSync(encode(second)) as { i: number }[];
    assert.deepStrictEqual(decoded, second);
    assert.equal(decoded[12], decoded[3]);
    assert.equal(decoded[13], decoded[11]);
  });

  it('round-trips binary data: ArrayBuffer, every typed array, DataView, Buffer, views sharing a buffer', () => {
    const buffer = new ArrayBuffer(64);
    new Uint8Array(buffer).forEach((_, i, a) => (a[i] = i));
    const value = {
      buffer,
      int8: new Int8Array([-1, 2]),
      uint8: new Uint8Array([1, 255]),
      clamped: new Uint8ClampedArray([300]),
      int16: new Int16Array([-300]),
      uint16: new Uint16Array([65535]),
      int32: new Int32Array([-7]),
      uint32: new Uint32Array([2 ** 32 - 1]),
      float32: new Float32Array([1.5]),
      float64: new Float64Array([Math.PI, Number.NaN]),
      bigint64: new BigInt64Array([-5n]),
      biguint64: new BigUint64Array([2n ** 64n - 1n]),
      dataView: new DataView(buffer, 8, 16),
      slice: new Uint16Array(buffer, 16, 4),
      nodeBuffer: Buffer.from('pooled bytes'),
    };
    const decoded = roundTrip(value);
    assert.deepStrictEqual(decoded, value);
    assert.ok(Buffer.isBuffer(decoded.nodeBuffer));
    assert.equal(decoded.dataView.buffer, decoded.buffer, 'a view over a sent buffer is a view over the received one');
    assert.equal(decoded.slice.buffer, decoded.buffer);
    decoded.slice[0] = 0xffff;
    assert.equal(new Uint8Array(decoded.buffer)[16], 0xff);
  });

  it('moves transferred ArrayBuffers out of band, views included', () => {
    const big = new Float64Array(1024).fill(2.5);
    const packet = encode({ big, again: big.buffer }, { transfer: [big.buffer] });
    assert.equal(packet.buffers.length, 1);
    assert.equal(packet.buffers[0], big.buffer);
    assert.ok(packet.data.byteLength < 100, `the data holds no copy (${packet.data.byteLength} bytes)`);
    const decoded = decodeSync(packet) as { big: Float64Array; again: ArrayBuffer };
    assert.equal(decoded.big.buffer, big.buffer, 'in one process the very buffer comes back');
    assert.equal(decoded.again, decoded.big.buffer);
    const copied = decodeSync(bytesToPacket(packetToBytes(packet))) as { big: Float64Array };
    assert.deepStrictEqual(copied.big, big);
    assert.notEqual(copied.big.buffer, big.buffer);
  });

  it('keeps SharedArrayBuffers shared (as worker_threads do) and refuses them on the byte path', () => {
    const sab = new SharedArrayBuffer(8);
    const packet = encode({ sab, view: new Int32Array(sab) });
    assert.deepStrictEqual(packet.shared, [sab]);
    const decoded = decodeSync(packet) as { sab: SharedArrayBuffer; view: Int32Array };
    assert.equal(decoded.sab, sab);
    assert.equal(decoded.view.buffer, sab);
    assert.throws(() => packetToBytes(packet), { code: 'ERR_MP_ENCODE' });
  });

  it('has a small, allocation-light fast path for tiny payloads', () => {
    const packet = encode([1]);
    assert.ok(packet.data.byteLength <= 8, `[1] takes ${packet.data.byteLength} bytes`);
    assert.deepStrictEqual(decodeSync(packet), [1]);
    assert.equal(packetToBytes(packet), packet.data, 'no buffers: the bytes are the data itself');
  });

  it('gives large messages a buffer sized to their bytes, whatever came before', () => {
    const rows = (count: number): { id: number; name: string }[] => Array.from({ length: count }, (_, i) => ({ id: i, name: `row${i}` }));
    // A large message, then a smaller large one, a tiny one and a large one again: each packet's
    // buffer stays within twice its bytes (posting a view copies its whole buffer).
    for (const count of [200_000, 20_000, 1, 200_000, 50_000]) {
      const value = rows(count);
      const packet = encode(value);
      const { data } = packet;
      assert.ok(data.buffer.byteLength <= 2 * data.byteLength + 4096,
        `${count} rows: ${data.byteLength} bytes in a buffer of ${data.buffer.byteLength}`);
      assert.deepStrictEqual(decodeSync(packet), value);
    }
  });

  it('encodes and decodes inside a reduce hook (reentrancy)', () => {
    class Envelope {
      constructor(public inner: unknown) {}
    }
    registerClass(Envelope, import.meta.url, {
      getState: (envelope) => packetToBytes(encode(envelope.inner)),
      setState: (envelope, state) => {
        envelope.inner = decodeSync(bytesToPacket(state as Uint8Array));
      },
    });
    const decoded = roundTrip({ envelope: new Envelope({ n: [1, 2, 3], p: new Point(1, 2) }), after: 'x' });
    assert.ok(decoded.envelope instanceof Envelope);
    assert.deepStrictEqual(decoded.envelope.inner, { n: [1, 2, 3], p: new Point(1, 2) });
    assert.equal(decoded.after, 'x');
  });
});

describe('codec: class instances', () => {
  it('rebuilds registered classes with their prototype, nested, in arrays and in Maps', async () => {
    const a = new Point(3, 4);
    const polygon = new Polygon('triangle', [a, new Point(0, 0), new Point3D(1, 2, 2)], new Map([['apex', a]]));
    const decoded = (await decode(encode({ polygon, list: [polygon, polygon] }))) as { polygon: Polygon; list: Polygon[] };
    assert.ok(decoded.polygon instanceof Polygon);
    assert.ok(decoded.polygon.vertices[0] instanceof Point);
    assert.equal(decoded.polygon.vertices[0].norm(), 5);
    assert.ok(decoded.polygon.vertices[2] instanceof Point3D, 'subclasses keep their own class');
    assert.equal(decoded.polygon.vertices[2].norm(), 3);
    assert.equal(decoded.polygon.byLabel.get('apex'), decoded.polygon.vertices[0], 'shared instances stay shared');
    assert.equal(decoded.list[0], decoded.polygon);
    assert.deepStrictEqual(decoded.polygon, polygon);
  });

  it('rebuilds through the constructor with getInitArgs (private fields)', () => {
    const counter = new Counter(41);
    const decoded = roundTrip(counter);
    assert.ok(decoded instanceof Counter);
    assert.equal(decoded.increment(), 42);
  });

  it('restores with getState/setState', () => {
    const decoded = roundTrip(Temperature.fromFahrenheit(212));
    assert.ok(decoded instanceof Temperature);
    assert.equal(decoded.celsius, 100);
    assert.deepStrictEqual(decoded.history, [100], 'setState ran once');
  });

  it('asks for a reduce hook for subclasses of built-ins, and uses it', () => {
    class Registry extends Map<string, number> {
      total(): number {
        return [...this.values()].reduce((a, b) => a + b, 0);
      }
    }
    assert.throws(() => registerClass(Registry, import.meta.url), (error: Error) => {
      assert.ok(error instanceof TypeError);
      assert.match(error.message, /`Registry`, which extends Map/);
      return true;
    });
    registerClass(Registry, import.meta.url, { getInitArgs: (map) => [[...map]] });
    const decoded = roundTrip(new Registry([['a', 1], ['b', 2]]));
    assert.ok(decoded instanceof Registry);
    assert.equal(decoded.total(), 3);
  });

  it('sends registered functions and classes by reference, wrapped exports included', () => {
    const decoded = roundTrip({ double, tripled, Point });
    assert.equal(decoded.double, double);
    assert.equal(decoded.tripled, tripled);
    assert.equal(decoded.tripled(2), 6);
    assert.equal(decoded.Point, Point);
  });
});

describe('codec: errors', () => {
  it('keeps built-in error classes, message, stack, cause (recursively), code and own properties', () => {
    const root = new RangeError('root cause');
    const error = Object.assign(new TypeError('bad input', { cause: new Error('middle', { cause: root }) }), {
      code: 'E_BAD',
      details: { field: 'x' },
    });
    const decoded = roundTrip(error);
    assert.ok(decoded instanceof TypeError);
    assert.equal(decoded.message, 'bad input');
    assert.equal(decoded.stack, error.stack, "the sending side's stack is kept");
    assert.equal(decoded.code, 'E_BAD');
    assert.deepStrictEqual(decoded.details, { field: 'x' });
    const middle = decoded.cause as Error;
    assert.equal(middle.message, 'middle');
    assert.ok(middle.cause instanceof RangeError);
    assert.equal(Object.keys(decoded).includes('cause'), false, 'cause stays non-enumerable');
  });

  it('keeps registered error classes; unregistered ones fall back to their built-in base with their name', () => {
    class LocalError extends RangeError {
      override name = 'LocalError';
    }
    const decoded = roundTrip([new ValidationError('too long', 'title'), new LocalError('local'), new AggregateError([new Error('one')], 'many')]);
    assert.ok(decoded[0] instanceof ValidationError);
    assert.equal(decoded[0].field, 'title');
    assert.equal(decoded[0].name, 'ValidationError');
    assert.deepStrictEqual(Object.keys(decoded[0]), Object.keys(new ValidationError('x', 'y')), 'own enumerable name kept as such');
    assert.ok(decoded[1] instanceof RangeError);
    assert.equal(decoded[1].name, 'LocalError');
    assert.ok(decoded[2] instanceof AggregateError);
    assert.equal((decoded[2].errors[0] as Error).message, 'one');
  });

  it('keeps a cause that points back at its error', () => {
    const error = new Error('loop') as Error & { cause: unknown };
    error.cause = error;
    const decoded = roundTrip(error);
    assert.equal(decoded.cause, decoded);
  });
});

export type { Packet };
