import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MultiprocError } from '../../src/errors.js';
import {
  dumps,
  loads,
  PickleGlobal,
  PickleObject,
  PickleRegistry,
  PythonError,
  registerPickleClass,
  pickleRegistry,
  tuple,
  type PickleClassHooks,
} from '../../src/pickle/index.js';

const unhex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

function fails(data: Uint8Array, code: string, options?: Parameters<typeof loads>[1]): void {
  assert.throws(() => loads(data, options), (error: unknown) => {
    assert.ok(error instanceof MultiprocError, `a MultiprocError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

describe('pickle: what a stream cannot do', () => {
  it('gives each malformed stream its code', () => {
    fails(bytes(0x80, 0x04), 'ERR_MP_PICKLE_TRUNCATED'); // no STOP
    fails(bytes(0x80, 0x04, 0x4a, 0x01), 'ERR_MP_PICKLE_TRUNCATED'); // BININT cut short
    fails(bytes(0x80, 0x06, 0x4e, 0x2e), 'ERR_MP_PICKLE_OPCODE'); // protocol 6
    fails(bytes(0x80, 0x04, 0xff, 0x2e), 'ERR_MP_PICKLE_OPCODE'); // no such opcode
    fails(bytes(0x80, 0x04, 0x2e), 'ERR_MP_PICKLE_INVALID'); // STOP on an empty stack
    fails(bytes(0x80, 0x04, 0x74, 0x2e), 'ERR_MP_PICKLE_INVALID'); // TUPLE without MARK
    fails(bytes(0x80, 0x04, 0x68, 0x05, 0x2e), 'ERR_MP_PICKLE_INVALID'); // BINGET of nothing
    fails(bytes(0x80, 0x04, 0x4b, 0x01, 0x4b, 0x02, 0x61, 0x2e), 'ERR_MP_PICKLE_INVALID'); // APPEND onto an int
    fails(bytes(0x80, 0x04, 0x4b, 0x01, 0x28, 0x85, 0x2e), 'ERR_MP_PICKLE_INVALID'); // TUPLE1 reaching under its MARK
    fails(unhex('80 04 29 4b 01 61 2e'), 'ERR_MP_PICKLE_INVALID'); // APPEND onto a tuple
    fails(unhex('80 04 8c 01 61 8c 01 62 73 2e'), 'ERR_MP_PICKLE_INVALID'); // SETITEM onto a str
  });

  it('refuses a length past the input before allocating anything for it', () => {
    // 20 bytes that claim a 4 GiB str, bytes and bytearray, and an 8 EiB frame.
    const claims = [
      unhex('80 04 58 ff ff ff ff'),
      unhex('80 04 8d 00 00 00 00 01 00 00 00'),
      unhex('80 04 8e 00 00 00 00 01 00 00 00'),
      unhex('80 05 96 00 00 00 00 01 00 00 00'),
      unhex('80 04 95 ff ff ff ff ff ff ff 7f 4e 2e'),
      unhex('80 02 8b ff ff ff 7f'),
      unhex('80 02 54 ff ff ff 7f'),
    ];
    for (const claim of claims) {
      const padded = new Uint8Array(20);
      padded.set(claim);
      const before = process.memoryUsage().arrayBuffers;
      fails(padded, 'ERR_MP_PICKLE_TRUNCATED');
      assert.ok(process.memoryUsage().arrayBuffers - before < 1 << 20, 'no buffer was allocated for the claim');
    }
    fails(unhex('80 02 8b 00 00 00 80'), 'ERR_MP_PICKLE_INVALID'); // a negative LONG4 length
  });

  it('holds to its limits', () => {
    const deep = new Uint8Array(2 + 1001 + 1);
    deep.set([0x80, 0x04]);
    deep.fill(0x28, 2, 1003);
    deep[1003] = 0x2e;
    assert.throws(() => loads(deep), { code: 'ERR_MP_PICKLE_LIMIT', limit: 'maxDepth' });
    assert.throws(() => loads(dumps('x'.repeat(100)), { maxLength: 99 }), { code: 'ERR_MP_PICKLE_LIMIT', limit: 'maxLength' });
    assert.equal(loads(dumps('x'.repeat(100)), { maxLength: 100 }), 'x'.repeat(100));
    assert.throws(() => loads(dumps(['a', 'b', 'c']), { maxMemo: 2 }), { code: 'ERR_MP_PICKLE_LIMIT', limit: 'maxMemo' });
    assert.throws(() => loads(dumps(Array.from({ length: 100 }, (_, i) => `s${i}`)), { maxAllocation: 500 }), { code: 'ERR_MP_PICKLE_LIMIT', limit: 'maxAllocation' });
    const digits = new TextEncoder().encode(`I${'9'.repeat(5000)}\n.`);
    assert.throws(() => loads(digits), { code: 'ERR_MP_PICKLE_LIMIT', limit: 'maxIntDigits' });
    assert.equal(loads(digits, { maxIntDigits: 5000 }), 10n ** 5000n - 1n);
    // A memoized list fed to set() over and over: each call's copy is charged.
    const list = Array.from({ length: 1000 }, (_, i) => i);
    const head = dumps(tuple(new Set(list)), { protocol: 2 });
    assert.ok(head.length > 0);
    const repeat = [0x68, 0x00, 0x68, 0x02, 0x52, 0x30]; // BINGET set, BINGET (list,), REDUCE, POP
    const body = Array.from({ length: 2000 }, () => repeat).flat();
    const bomb = Uint8Array.from([...head.subarray(0, head.length - 1), 0x30, ...body, 0x4e, 0x2e]);
    assert.throws(() => loads(bomb, { maxAllocation: 1_000_000 }), { code: 'ERR_MP_PICKLE_LIMIT', limit: 'maxAllocation' });
  });

  it('never resolves an unknown global, and keeps it only when asked', () => {
    const evil = new TextEncoder().encode("cos\nsystem\n(S'echo hi'\ntR.");
    assert.throws(() => loads(evil), { code: 'ERR_MP_PICKLE_GLOBAL', module: 'os', qualname: 'system' });
    const kept = loads(evil, { unknownGlobals: 'keep', encoding: 'latin1' });
    assert.ok(kept instanceof PickleObject);
    assert.equal(kept.kind, 'reduce');
    assert.deepEqual([kept.module, kept.name, [...kept.args]], ['os', 'system', ['echo hi']]);
    const stackGlobal = dumps(new PickleGlobal('subprocess', 'Popen'));
    assert.throws(() => loads(stackGlobal), { code: 'ERR_MP_PICKLE_GLOBAL' });
    assert.deepStrictEqual(loads(stackGlobal, { unknownGlobals: 'keep' }), new PickleGlobal('subprocess', 'Popen'));
    // A builtins name that is not a known value is refused like any other.
    assert.throws(() => loads(dumps(new PickleGlobal('builtins', 'eval'))), { code: 'ERR_MP_PICKLE_GLOBAL', qualname: 'eval' });
    assert.throws(() => loads(dumps(new PickleGlobal('builtins', 'getattr'))), { code: 'ERR_MP_PICKLE_GLOBAL' });
  });

  it('refuses persistent ids, extension codes, and out-of-band buffers it was not given', () => {
    fails(unhex('80 04 4e 51 2e'), 'ERR_MP_PICKLE_UNSUPPORTED'); // BINPERSID
    fails(new TextEncoder().encode('Pid\n.'), 'ERR_MP_PICKLE_UNSUPPORTED'); // PERSID
    fails(unhex('80 02 82 01 2e'), 'ERR_MP_PICKLE_UNSUPPORTED'); // EXT1
    const outOfBand = unhex('80 05 97 98 2e'); // NEXT_BUFFER READONLY_BUFFER STOP
    fails(outOfBand, 'ERR_MP_PICKLE_UNSUPPORTED');
    const buffer = Uint8Array.of(1, 2, 3);
    assert.equal(loads(outOfBand, { buffers: [buffer] }), buffer);
    fails(outOfBand, 'ERR_MP_PICKLE_INVALID', { buffers: [] });
  });

  it('gives a value with no pickle form ERR_MP_PICKLE_UNSUPPORTED', () => {
    class Unregistered {
      a = 1;
    }
    for (const value of [Symbol('s'), () => 1, new Unregistered(), new Uint16Array(2), [new WeakMap()]]) {
      assert.throws(() => dumps(value), { code: 'ERR_MP_PICKLE_UNSUPPORTED' });
    }
    const nested: unknown[] = [];
    let at = nested;
    for (let i = 0; i < 1100; i++) at.push((at = []));
    assert.throws(() => dumps(nested), { code: 'ERR_MP_PICKLE_LIMIT', limit: 'maxDepth' });
    assert.ok(dumps(nested, { maxDepth: 2000 }).length > 1100);
  });

  it('keeps nothing of one load for the next: no memo entry carries over, and no value it made stays alive', async () => {
    class Box {}
    const made: WeakRef<Box>[] = [];
    const registry = new PickleRegistry();
    registry.registerClass('demo', 'Box', Box, {
      create: () => {
        const box = new Box();
        made.push(new WeakRef(box));
        return box;
      },
    });
    // 300 memoized boxes in a list (past BINPUT's 256: LONG_BINPUT and MEMOIZE both), whole and cut before its end.
    const data = dumps(Array.from({ length: 300 }, () => new Box()), { registry });
    for (const protocol of [2, 4]) {
      const whole = dumps(Array.from({ length: 300 }, () => new Box()), { registry, protocol });
      assert.equal((loads(whole, { registry }) as Box[]).length, 300);
      fails(whole.subarray(0, whole.length - 3), 'ERR_MP_PICKLE_TRUNCATED', { registry });
    }
    assert.equal((loads(data, { registry }) as Box[]).length, 300);
    // Three whole loads and the cut one at protocol 2 (the one at 4 stops at its first frame, before any box).
    assert.equal(made.length, 4 * 300);
    // The next load finds an empty memo, whatever the last one held.
    fails(unhex('80 04 68 05 2e'), 'ERR_MP_PICKLE_INVALID'); // BINGET 5
    fails(unhex('80 02 6a 2b 01 00 00 2e'), 'ERR_MP_PICKLE_INVALID'); // LONG_BINGET 299
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // Not a deref before the collections: a WeakRef's target read in a job stays alive to the job's end.
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(made.filter((ref) => ref.deref() !== undefined).length, 0, 'every box is collected');
  });

  it('checks its arguments', () => {
    assert.throws(() => loads('abc' as unknown as Uint8Array), TypeError);
    assert.throws(() => loads(dumps(1), { dict: 'list' as 'map' }), TypeError);
    assert.throws(() => loads(dumps(1), { maxDepth: -1 }), RangeError);
    assert.throws(() => dumps(1, { protocol: 1 }), RangeError);
    assert.throws(() => dumps(1, { protocol: 6 }), RangeError);
    assert.throws(() => registerPickleClass('', 'X', class {}), TypeError);
    assert.throws(() => registerPickleClass('m', 'X', class {}, { reduce: 1 } as unknown as PickleClassHooks), TypeError);
    assert.equal(loads(new Uint8Array(dumps(7)).buffer), 7, 'an ArrayBuffer is read too');
  });
});

describe('pickle: the allow-list', () => {
  class Point {
    constructor(
      public x = 0,
      public y = 0,
    ) {}
  }
  class Vector {
    constructor(readonly items: number[]) {}
    static count = 0;
    __reduce__(): [unknown, unknown[]] {
      return [Vector, [this.items]];
    }
  }

  it('maps a registered class both ways, and through its hooks', () => {
    const registry = new PickleRegistry();
    registry.registerClass('demo', 'Point', Point);
    registry.registerClass('demo', 'Vector', Vector);
    const value = [new Point(1, 2), new Vector([3, 4]), Point];
    const back = loads(dumps(value, { registry }), { registry }) as unknown[];
    assert.deepStrictEqual(back, value);
    assert.ok(back[0] instanceof Point && back[1] instanceof Vector);
    assert.equal(back[2], Point, 'a class by reference is the class itself');
    assert.throws(() => loads(dumps(value, { registry })), { code: 'ERR_MP_PICKLE_GLOBAL', module: 'demo', qualname: 'Point' });
    assert.ok(registry.unregister('demo', 'Point'));
    assert.throws(() => dumps(value, { registry }), { code: 'ERR_MP_PICKLE_UNSUPPORTED' });
  });

  it('calls a registered function for REDUCE, and nothing else', () => {
    const registry = new PickleRegistry();
    const calls: unknown[][] = [];
    registry.registerFunction('demo', 'make', (...args: unknown[]) => {
      calls.push(args);
      return args.length;
    });
    const data = new TextEncoder().encode('cdemo\nmake\n(I1\nI2\ntR.');
    assert.equal(loads(data, { registry }), 2);
    assert.deepEqual(calls, [[1, 2]]);
    assert.throws(() => loads(data), { code: 'ERR_MP_PICKLE_GLOBAL' });
  });

  it('uses the default registry unless given one', () => {
    class Here {
      v = 1;
    }
    registerPickleClass('tests.pickle', 'Here', Here);
    try {
      assert.ok(loads(dumps(new Here())) instanceof Here);
    } finally {
      pickleRegistry.unregister('tests.pickle', 'Here');
    }
  });

  it('reads the exceptions multiprocessing sends, and writes a JavaScript Error as one', () => {
    const back = loads(dumps(new RangeError('too big'))) as PythonError;
    assert.ok(back instanceof PythonError);
    assert.deepEqual([back.pythonModule, back.pythonClass, [...back.pythonArgs]], ['builtins', 'ValueError', ['too big']]);
    assert.equal(back.message, 'ValueError: too big');
    assert.equal(back.code, 'ERR_MP_PYTHON_EXCEPTION');
    const withTraceback = new PythonError('builtins', 'KeyError', ['k'], undefined, 'Traceback...\nKeyError: k\n');
    assert.deepStrictEqual(loads(dumps(withTraceback)), withTraceback);
  });
});

describe('pickle: Python 2 streams', () => {
  // Written by Python 2.7.18 (pickle.dumps at protocols 0, 1 and 2).
  it("reads its str as ASCII by default, as Python's encoding option says otherwise", () => {
    const cafe = ['53276361665c7863335c786139270a70300a2e', '5505636166c3a971002e', '80025505636166c3a971002e'];
    for (const hex of cafe) {
      fails(unhex(hex), 'ERR_MP_PICKLE_INVALID');
      assert.equal(loads(unhex(hex), { encoding: 'utf8' }), 'café');
      assert.equal(loads(unhex(hex), { encoding: 'latin1' }), 'cafÃ©');
      assert.deepEqual(loads(unhex(hex), { encoding: 'bytes' }), Uint8Array.of(0x63, 0x61, 0x66, 0xc3, 0xa9));
    }
    for (const hex of ['56636166e90a70300a2e', '5805000000636166c3a971002e', '80025805000000636166c3a971002e']) assert.equal(loads(unhex(hex)), 'café');
  });

  it('reads longs, tuples and dicts at every protocol', () => {
    const tupleValue = tuple('str', 1, 2n ** 70n, 1.5, null, true, ['x']);
    for (const hex of [
      '285327737472270a70300a4c314c0a4c313138303539313632303731373431313330333432344c0a46312e350a4e4930310a286c70310a56780a70320a617470330a2e',
      '28550373747271004c314c0a4c313138303539313632303731373431313330333432344c0a473ff80000000000004e4930310a5d71015801000000787102617471032e',
      '800228550373747271008a01018a09000000000000000040473ff80000000000004e885d71015801000000787102617471032e',
    ]) {
      assert.deepStrictEqual(loads(unhex(hex)), tupleValue);
    }
    for (const hex of ['286470300a53276b270a70310a532776270a70320a732e', '7d710055016b71015501767102732e', '80027d710055016b71015501767102732e']) {
      assert.deepStrictEqual(loads(unhex(hex)), new Map([['k', 'v']]));
    }
  });
});
