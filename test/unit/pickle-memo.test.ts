// The writer's string memo: every repeat of a string is written as a reference to its first copy, in a dump of a few
// strings, in one past the 4096 kept from dump to dump, and in one whose strings collide in the memo's own table.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dumps, loads } from '../../src/pickle/index.js';
import { hashOf } from '../../src/pickle/memo.js';
import * as op from '../../src/pickle/opcodes.js';

/** The strings a protocol 4 pickle of a flat list of short strings writes out, and the memo references it makes. */
function census(data: Uint8Array): { written: number; references: number } {
  let written = 0;
  let references = 0;
  let at = 0;
  const u32 = (from: number): number => (data[from]! | (data[from + 1]! << 8) | (data[from + 2]! << 16)) + data[from + 3]! * 0x100_0000;
  for (;;) {
    const code = data[at++];
    switch (code) {
      case op.PROTO:
        at += 1;
        break;
      case op.FRAME:
        at += 8;
        break;
      case op.EMPTY_LIST:
      case op.MEMOIZE:
      case op.MARK:
      case op.APPENDS:
        break;
      case op.SHORT_BINUNICODE:
        written++;
        at += 1 + data[at]!;
        break;
      case op.BINUNICODE:
        written++;
        at += 4 + u32(at);
        break;
      case op.BINGET:
        references++;
        at += 1;
        break;
      case op.LONG_BINGET:
        references++;
        at += 4;
        break;
      case op.STOP:
        return { written, references };
      default:
        throw new Error(`opcode 0x${code?.toString(16)} at ${at - 1} in a list of strings`);
    }
  }
}

function checkDump(list: string[]): void {
  const data = dumps(list, { protocol: 4 });
  assert.deepEqual(loads(data), list);
  const distinct = new Set(list).size;
  assert.deepEqual(census(data), { written: distinct, references: list.length - distinct });
}

const range = (n: number, name: (i: number) => string): string[] => Array.from({ length: n }, (_, i) => name(i));

describe('pickle: the writer memoizes strings by value', () => {
  it('writes each string once in a small dump, and again in the next one', () => {
    checkDump(['id', 'method', 'id', 'args', 'method', 'id']);
    checkDump(['method', 'kwds', 'method']);
  });

  it('finds every repeat past the 4096 strings it keeps, before and after it moves to its table, and over 64 characters', () => {
    const names = [...range(6000, (i) => `n${i}`), ...range(20, (i) => `${'L'.repeat(70)}${i}`)];
    checkDump([...names, ...names.slice(0, 100), ...names.slice(4000, 4200), ...names.slice(5990)]);
    // A dump of other strings after it, then a small one: the kept strings turned over, nothing is found that was not written.
    checkDump([...range(9000, (i) => `m${i}`), ...range(9000, (i) => `m${8999 - i}`)]);
    checkDump(['n1', 'n2', 'n1']);
  });

  it('finds every repeat when the strings collide in its table', () => {
    // 300 strings whose hashes agree in their low 16 bits: one probe sequence for all, past its walk limit.
    const colliding: string[] = [];
    for (let i = 0; colliding.length < 300; i++) if ((hashOf(`c${i}`) & 0xffff) === 0x1234) colliding.push(`c${i}`);
    const fillers = range(4200, (i) => `f${i}`);
    checkDump([...fillers, ...colliding, ...colliding.slice().reverse(), ...fillers.slice(0, 100), 'last', 'last']);
    checkDump([...colliding, ...colliding]);
  });
});
