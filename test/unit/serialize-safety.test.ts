import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Encoder } from '../../src/serialize/encoder.js';
import {
  bytesToPacket,
  CodecRegistry,
  decode,
  decodeSync,
  encode,
  packetToBytes,
  registerClass,
  trustModules,
} from '../../src/index.js';
import { Point, Point3D, Unregistered } from '../fixtures/codec-classes.js';

const fixtures = new URL('../fixtures/', import.meta.url);

/** Bytes as another process would send them: its registry knows a class this one may not. */
function sentBy(moduleUrl: URL, name: string, value: object): Uint8Array {
  const sender = new CodecRegistry({});
  const cls = class {};
  sender.registerClass(cls, moduleUrl, { name });
  return packetToBytes(new Encoder(sender).encode(Object.assign(new cls(), value), undefined));
}

function sample(): unknown {
  const point = new Point(1, 2);
  return { point, again: point, list: [1, 'two', 3.5, 2n ** 70n, new Date(0), /x/g], map: new Map([[point, new Set([point])]]), bytes: new Float64Array([1, 2]) };
}

describe('codec: what cannot be encoded says what and how to fix it', () => {
  it('refuses closures, unexported functions, unregistered classes and built-ins that cannot travel', () => {
    const k = 3;
    function local(x: number): number {
      return x * k;
    }
    const cases: [unknown, RegExp][] = [
      [{ task: (x: number) => x * k }, /arrow function `task` `\(x\) => x \* k`.*export it, and call registerFunction\(task, import\.meta\.url\)/],
      [[(() => (x: number) => x)()], /local function \(an anonymous closure\) `\(x\) => x`/],
      [[local], /function `local`.*registerFunction\(local, import\.meta\.url\)/],
      [new Unregistered(), /class `Unregistered`: the class is not registered.*registerClass\(Unregistered, import\.meta\.url\)/],
      [Unregistered, /class `Unregistered`.*registerClass/],
      [new (class Extra extends Point3D {})(1, 2, 3), /class `Extra`.*base class `Point3D` is registered/],
      [Symbol('s'), /symbols cannot cross/],
      [new WeakMap(), /`WeakMap` object/],
      [Promise.resolve(1), /`Promise` object/],
    ];
    for (const [value, message] of cases) {
      assert.throws(() => encode(value), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'ERR_MP_ENCODE');
        assert.match(error.message, message);
        return true;
      });
    }
    assert.deepStrictEqual(decodeSync(encode([1, 'still works'])), [1, 'still works'], 'a failed encode leaves the encoder usable');
    const shifty: Record<string, unknown> = {
      get a(): number {
        delete shifty['b'];
        return 1;
      },
      b: 2,
    };
    assert.throws(() => encode(shifty), { code: 'ERR_MP_ENCODE', message: /keys changed while it was being read/ });
    let deep: unknown[] = [];
    for (let i = 0; i < 200_000; i++) deep = [deep];
    assert.throws(() => encode(deep), { code: 'ERR_MP_ENCODE', message: /nested too deeply/ });
  });

  it('checks its arguments', () => {
    assert.throws(() => encode(1, { transfer: [new Uint8Array(1) as unknown as ArrayBuffer] }), TypeError);
    const buffer = new ArrayBuffer(1);
    assert.throws(() => encode(1, { transfer: [buffer, buffer] }), RangeError);
    assert.throws(() => registerClass(class {}, 'not a url'), TypeError);
    assert.throws(() => decodeSync(null as never), TypeError);
  });
});

describe('codec: bad bytes fail with ERR_MP_DECODE and nothing else', () => {
  it('rejects every truncation of a valid message', () => {
    // The second message is one int32 run (an array of int32 numbers sent as a block).
    for (const value of [sample(), Array.from({ length: 40 }, (_, i) => i * 1000)]) {
      const bytes = packetToBytes(encode(value));
      for (let length = 0; length < bytes.length; length++) {
        assert.throws(() => decodeSync({ data: bytes.subarray(0, length), buffers: [] }), { code: 'ERR_MP_DECODE' }, `cut at ${length}`);
      }
    }
  });

  it('rejects foreign bytes, other versions and trailing garbage', () => {
    const good = packetToBytes(encode({ a: 1 }));
    const other = good.slice();
    other[2] = 99;
    const trailing = new Uint8Array([...good, 0x80]);
    for (const data of [new Uint8Array(0), new TextEncoder().encode('{"a":1}'), other, trailing, new Uint8Array([0x4d, 0x50, 1, 0, 0xff])]) {
      assert.throws(() => decodeSync({ data, buffers: [] }), { code: 'ERR_MP_DECODE' });
    }
    assert.throws(() => bytesToPacket(new Uint8Array([0x4d, 0x42, 1, 0, 5, 0, 0, 0])), { code: 'ERR_MP_DECODE' });
    const nested = new Uint8Array(4 + 2 * 300_000 + 1).fill(1);
    nested.set([0x4d, 0x50, 1, 0]);
    for (let i = 4; i < nested.length - 1; i += 2) nested[i] = 0x88; // [[[[... 300,000 deep
    assert.throws(() => decodeSync({ data: nested, buffers: [] }), { code: 'ERR_MP_DECODE' });
    assert.deepStrictEqual(decodeSync(encode('after')), 'after', 'the decoder is usable afterwards');
  });

  it('survives random corruption: decodes or throws DecodeError, never anything else', () => {
    const bytes = packetToBytes(encode(sample()));
    let seed = 42;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 3000; round++) {
      const data = bytes.slice();
      for (let flips = 1 + Math.floor(random() * 3); flips > 0; flips--) data[4 + Math.floor(random() * (data.length - 4))] = Math.floor(random() * 256);
      try {
        decodeSync({ data, buffers: [] });
      } catch (error) {
        assert.equal((error as { name?: string }).name, 'DecodeError', String(error));
      }
    }
  });

  it('refuses an out-of-band index the packet does not carry', () => {
    const buffer = new ArrayBuffer(8);
    const packet = encode({ buffer }, { transfer: [buffer] });
    assert.throws(() => decodeSync({ data: packet.data, buffers: [] }), { code: 'ERR_MP_DECODE' });
  });
});

describe('codec: decoding imports only what this side allows', () => {
  it('never imports an untrusted module, and says how to trust it', async () => {
    const bytes = sentBy(new URL('codec-side-effect.js', fixtures), 'Marked', { value: 2 });
    await assert.rejects(decode(bytesToPacket(bytes)), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'ERR_MP_DECODE_UNTRUSTED_MODULE');
      assert.match(error.message, /codec-side-effect\.js/);
      assert.match(error.message, /trustModules\(/);
      return true;
    });
    assert.equal((globalThis as Record<string, unknown>)['codecSideEffectImported'], undefined, 'the module was not imported');
  });

  it('imports a trusted module on first sight (decode), which decodeSync leaves to decode', async () => {
    trustModules(fixtures);
    const bytes = sentBy(new URL('codec-side-effect.js', fixtures), 'Marked', { value: 2 });
    assert.throws(() => decodeSync(bytesToPacket(bytes)), { code: 'ERR_MP_DECODE_NEEDS_IMPORT' });
    const decoded = (await decode(bytesToPacket(bytes))) as { value: number; constructor: { name: string } };
    assert.equal((globalThis as Record<string, unknown>)['codecSideEffectImported'], true);
    assert.equal(decoded.constructor.name, 'Marked');
    assert.equal(decoded.value, 2);
    assert.equal((decodeSync(bytesToPacket(bytes)) as { value: number }).value, 2, 'afterwards the fast path knows it');
  });

  it('reports a module that fails to import, and a class its module does not have', async () => {
    await assert.rejects(decode(bytesToPacket(sentBy(new URL('codec-broken.js', fixtures), 'Gone', {}))), (error: Error & { code?: string; cause?: Error }) => {
      assert.equal(error.code, 'ERR_MP_DECODE_IMPORT');
      assert.match(error.message, /codec-broken\.js.*failed to import.*cannot be imported/);
      assert.ok(error.cause instanceof Error);
      return true;
    });
    await assert.rejects(decode(bytesToPacket(sentBy(new URL('codec-plain.js', fixtures), 'NotThere', {}))), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'ERR_MP_DECODE_UNKNOWN');
      assert.match(error.message, /`NotThere`.*neither registers nor exports/);
      return true;
    });
  });
});
