import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MultiprocError } from '../../src/errors.js';
import { ByteArray, FrozenSet, loads, PickleRegistry, tuple } from '../../src/pickle/index.js';
import * as op from '../../src/pickle/opcodes.js';

type Name = Exclude<keyof typeof op, 'HIGHEST_PROTOCOL' | 'DEFAULT_PROTOCOL'>;

// No fields: an instance made by NEWOBJ has no own properties until BUILD gives it some.
class Point {}

const registry = new PickleRegistry();
registry.registerFunction('demo', 'add', (a: number, b: number) => a + b);
registry.registerClass('demo', 'Point', Point);
const point = Object.assign(new Point(), { x: 1 });

/**
 * A pickle from opcode names (their bytes taken from opcodes.ts, not written out here), text arguments as latin-1 and
 * byte values as numbers.
 */
function pickle(...parts: (string | number)[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === 'number') out.push(part);
    else if (part in op && part === part.toUpperCase()) out.push(op[part as Name]);
    else out.push(...Buffer.from(part, 'latin1'));
  }
  return Uint8Array.from(out);
}

const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
const u64 = (n: number): number[] => [...u32(n), 0, 0, 0, 0];

// Each opcode at work in a pickle of its own, with what it must load to: a reader that took one opcode's byte for
// another's would load something else, or fail.
const loaded: Record<Exclude<Name, 'PERSID' | 'BINPERSID' | 'EXT1' | 'EXT2' | 'EXT4'>, [Uint8Array, unknown]> = {
  MARK: [pickle('MARK', 'BININT1', 1, 'TUPLE', 'STOP'), tuple(1)],
  STOP: [pickle('NONE', 'STOP'), null],
  POP: [pickle('BININT1', 1, 'BININT1', 2, 'POP', 'STOP'), 1],
  POP_MARK: [pickle('BININT1', 7, 'MARK', 'BININT1', 1, 'BININT1', 2, 'POP_MARK', 'STOP'), 7],
  DUP: [pickle('BININT1', 5, 'DUP', 'TUPLE2', 'STOP'), tuple(5, 5)],
  FLOAT: [pickle('FLOAT', '1.5\n', 'STOP'), 1.5],
  INT: [pickle('INT', '-42\n', 'STOP'), -42],
  BININT: [pickle('BININT', 0xfe, 0xff, 0xff, 0xff, 'STOP'), -2],
  BININT1: [pickle('BININT1', 200, 'STOP'), 200],
  LONG: [pickle('LONG', '12345678901234567890L\n', 'STOP'), 12345678901234567890n],
  BININT2: [pickle('BININT2', 0x88, 0x13, 'STOP'), 5000],
  NONE: [pickle('NONE', 'STOP'), null],
  REDUCE: [pickle('GLOBAL', 'demo\nadd\n', 'BININT1', 1, 'BININT1', 2, 'TUPLE2', 'REDUCE', 'STOP'), 3],
  STRING: [pickle('STRING', "'ab'\n", 'STOP'), 'ab'],
  BINSTRING: [pickle('BINSTRING', ...u32(2), 'ab', 'STOP'), 'ab'],
  SHORT_BINSTRING: [pickle('SHORT_BINSTRING', 2, 'ab', 'STOP'), 'ab'],
  UNICODE: [pickle('UNICODE', 'ab\n', 'STOP'), 'ab'],
  BINUNICODE: [pickle('BINUNICODE', ...u32(2), 'ab', 'STOP'), 'ab'],
  APPEND: [pickle('EMPTY_LIST', 'BININT1', 1, 'APPEND', 'STOP'), [1]],
  BUILD: [pickle('GLOBAL', 'demo\nPoint\n', 'EMPTY_TUPLE', 'NEWOBJ', 'EMPTY_DICT', 'UNICODE', 'x\n', 'BININT1', 1, 'SETITEM', 'BUILD', 'STOP'), point],
  GLOBAL: [pickle('GLOBAL', 'demo\nadd\n', 'MARK', 'BININT1', 3, 'BININT1', 4, 'TUPLE', 'REDUCE', 'STOP'), 7],
  DICT: [pickle('MARK', 'UNICODE', 'k\n', 'BININT1', 1, 'DICT', 'STOP'), new Map([['k', 1]])],
  EMPTY_DICT: [pickle('EMPTY_DICT', 'STOP'), new Map()],
  APPENDS: [pickle('EMPTY_LIST', 'MARK', 'BININT1', 1, 'BININT1', 2, 'APPENDS', 'STOP'), [1, 2]],
  GET: [pickle('BININT1', 1, 'PUT', '0\n', 'POP', 'GET', '0\n', 'STOP'), 1],
  BINGET: [pickle('BININT1', 2, 'BINPUT', 0, 'POP', 'BINGET', 0, 'STOP'), 2],
  INST: [pickle('MARK', 'BININT1', 1, 'BININT1', 2, 'INST', 'demo\nadd\n', 'STOP'), 3],
  LONG_BINGET: [pickle('BININT1', 3, 'LONG_BINPUT', ...u32(0), 'POP', 'LONG_BINGET', ...u32(0), 'STOP'), 3],
  LIST: [pickle('MARK', 'BININT1', 1, 'LIST', 'STOP'), [1]],
  EMPTY_LIST: [pickle('EMPTY_LIST', 'STOP'), []],
  OBJ: [pickle('MARK', 'GLOBAL', 'demo\nadd\n', 'BININT1', 2, 'BININT1', 2, 'OBJ', 'STOP'), 4],
  PUT: [pickle('BININT1', 4, 'PUT', '7\n', 'POP', 'GET', '7\n', 'STOP'), 4],
  BINPUT: [pickle('BININT1', 5, 'BINPUT', 0, 'BINGET', 0, 'TUPLE2', 'STOP'), tuple(5, 5)],
  LONG_BINPUT: [pickle('BININT1', 6, 'LONG_BINPUT', ...u32(0), 'BINGET', 0, 'TUPLE2', 'STOP'), tuple(6, 6)],
  SETITEM: [pickle('EMPTY_DICT', 'UNICODE', 'k\n', 'BININT1', 1, 'SETITEM', 'STOP'), new Map([['k', 1]])],
  TUPLE: [pickle('MARK', 'BININT1', 1, 'BININT1', 2, 'BININT1', 3, 'BININT1', 4, 'TUPLE', 'STOP'), tuple(1, 2, 3, 4)],
  EMPTY_TUPLE: [pickle('EMPTY_TUPLE', 'STOP'), tuple()],
  SETITEMS: [pickle('EMPTY_DICT', 'MARK', 'UNICODE', 'k\n', 'BININT1', 1, 'SETITEMS', 'STOP'), new Map([['k', 1]])],
  BINFLOAT: [pickle('BINFLOAT', 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 'STOP'), 1.5],
  PROTO: [pickle('PROTO', 2, 'NEWTRUE', 'STOP'), true],
  NEWOBJ: [pickle('GLOBAL', 'demo\nPoint\n', 'EMPTY_TUPLE', 'NEWOBJ', 'STOP'), new Point()],
  TUPLE1: [pickle('BININT1', 1, 'TUPLE1', 'STOP'), tuple(1)],
  TUPLE2: [pickle('BININT1', 1, 'BININT1', 2, 'TUPLE2', 'STOP'), tuple(1, 2)],
  TUPLE3: [pickle('BININT1', 1, 'BININT1', 2, 'BININT1', 3, 'TUPLE3', 'STOP'), tuple(1, 2, 3)],
  NEWTRUE: [pickle('NEWTRUE', 'STOP'), true],
  NEWFALSE: [pickle('NEWFALSE', 'STOP'), false],
  LONG1: [pickle('LONG1', 2, 0x00, 0x80, 'STOP'), -32768],
  LONG4: [pickle('LONG4', ...u32(1), 0x05, 'STOP'), 5],
  BINBYTES: [pickle('BINBYTES', ...u32(2), 'ab', 'STOP'), Uint8Array.of(0x61, 0x62)],
  SHORT_BINBYTES: [pickle('SHORT_BINBYTES', 2, 'ab', 'STOP'), Uint8Array.of(0x61, 0x62)],
  SHORT_BINUNICODE: [pickle('SHORT_BINUNICODE', 2, 'ab', 'STOP'), 'ab'],
  BINUNICODE8: [pickle('BINUNICODE8', ...u64(2), 'ab', 'STOP'), 'ab'],
  BINBYTES8: [pickle('BINBYTES8', ...u64(2), 'ab', 'STOP'), Uint8Array.of(0x61, 0x62)],
  EMPTY_SET: [pickle('EMPTY_SET', 'STOP'), new Set()],
  ADDITEMS: [pickle('EMPTY_SET', 'MARK', 'BININT1', 1, 'BININT1', 2, 'ADDITEMS', 'STOP'), new Set([1, 2])],
  FROZENSET: [pickle('MARK', 'BININT1', 1, 'FROZENSET', 'STOP'), new FrozenSet([1])],
  NEWOBJ_EX: [pickle('GLOBAL', 'demo\nPoint\n', 'EMPTY_TUPLE', 'EMPTY_DICT', 'NEWOBJ_EX', 'STOP'), new Point()],
  STACK_GLOBAL: [pickle('SHORT_BINUNICODE', 4, 'demo', 'SHORT_BINUNICODE', 3, 'add', 'STACK_GLOBAL', 'BININT1', 1, 'BININT1', 1, 'TUPLE2', 'REDUCE', 'STOP'), 2],
  MEMOIZE: [pickle('BININT1', 9, 'MEMOIZE', 'POP', 'BINGET', 0, 'STOP'), 9],
  FRAME: [pickle('PROTO', 4, 'FRAME', ...u64(2), 'NONE', 'STOP'), null],
  BYTEARRAY8: [pickle('BYTEARRAY8', ...u64(2), 'ab', 'STOP'), ByteArray.of(0x61, 0x62)],
  NEXT_BUFFER: [pickle('NEXT_BUFFER', 'STOP'), Uint8Array.of(1, 2, 3)],
  READONLY_BUFFER: [pickle('NEXT_BUFFER', 'READONLY_BUFFER', 'STOP'), Uint8Array.of(1, 2, 3)],
};

// The ones refused whatever follows them: a persistent id, or a global named by a copyreg extension code.
const refused: Record<'PERSID' | 'BINPERSID' | 'EXT1' | 'EXT2' | 'EXT4', Uint8Array> = {
  PERSID: pickle('PERSID', 'id\n', 'STOP'),
  BINPERSID: pickle('NONE', 'BINPERSID', 'STOP'),
  EXT1: pickle('EXT1', 1, 'STOP'),
  EXT2: pickle('EXT2', 1, 0, 'STOP'),
  EXT4: pickle('EXT4', ...u32(1), 'STOP'),
};

describe('pickle: every opcode', () => {
  it('loads each opcode of protocols 0 to 5 to what it means, and refuses persistent ids and extension codes', () => {
    const names = Object.keys(op).filter((name) => name !== 'HIGHEST_PROTOCOL' && name !== 'DEFAULT_PROTOCOL');
    assert.deepEqual([...Object.keys(loaded), ...Object.keys(refused)].sort(), names.sort(), 'every opcode of opcodes.ts is here once');
    assert.equal(new Set(names.map((name) => op[name as Name])).size, names.length, 'no two opcodes share a byte');
    for (const [name, [data, expected]] of Object.entries(loaded)) {
      assert.deepStrictEqual(loads(data, { registry, buffers: [Uint8Array.of(1, 2, 3)] }), expected, name);
    }
    for (const [name, data] of Object.entries(refused)) {
      assert.throws(() => loads(data, { registry }), (error: unknown) => error instanceof MultiprocError && error.code === 'ERR_MP_PICKLE_UNSUPPORTED', name);
    }
  });

  it('reports every byte that is no opcode as such, naming the byte', () => {
    const opcodes = new Set<number>(Object.entries(op).filter(([name]) => name !== 'HIGHEST_PROTOCOL' && name !== 'DEFAULT_PROTOCOL').map(([, value]) => value));
    let others = 0;
    for (let byte = 0; byte < 256; byte++) {
      if (opcodes.has(byte)) continue;
      others++;
      const hex = byte.toString(16).padStart(2, '0');
      assert.throws(() => loads(Uint8Array.of(byte, op.STOP)), (error: unknown) => error instanceof MultiprocError && error.code === 'ERR_MP_PICKLE_OPCODE' && error.message.includes(`0x${hex}`), hex);
    }
    assert.equal(others, 256 - opcodes.size);
  });
});
