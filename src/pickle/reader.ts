// The unpickler: reads protocols 0 to 5 into TypeScript values, resolving globals only through the allow-list.
import { expected } from '../errors.js';
import { PickleFormatError, PickleGlobalError, PickleLimitError, PickleOpcodeError, PickleTruncatedError, PickleUnsupportedError } from './errors.js';
import { KnownGlobal, knownGlobal, py3Name, type Instantiator } from './known-globals.js';
import { HIGHEST_PROTOCOL } from './opcodes.js';
import { resolveLoadOptions, type LoadOptions, type ResolvedLoadOptions } from './options.js';
import { PythonError } from './python-error.js';
import type { RegisteredGlobal } from './registry.js';
import { decodeUtf8, rawUnicodeUnescape, unquoteString } from './text.js';
import { ByteArray, Float, FrozenSet, PickleGlobal, PickleObject, toTuple, Tuple } from './types.js';

const latin1 = new TextDecoder('latin1');
const empty = new Uint8Array(0);
const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

// BINFLOAT's 8 big-endian bytes. A DataView reads them in one instruction but costs some 80 ns to make, as much as
// a manager message's dozen floats take to decode by hand: the first floats of a load are decoded from their bits
// (a mantissa times a power of two, exact for every finite double), and a load with more makes a view for the rest.
const viewAfter = 16;
// 2 ** (e - 1075) per biased exponent e: a 53-bit mantissa times it is the double (e = 0, subnormals, as e = 1).
const powerOf2 = Float64Array.from({ length: 2048 }, (_, e) => 2 ** (Math.max(e, 1) - 1075));

function float64At(d: Uint8Array, at: number): number {
  const high = (d[at]! << 24) | (d[at + 1]! << 16) | (d[at + 2]! << 8) | d[at + 3]!;
  const low = ((d[at + 4]! << 24) | (d[at + 5]! << 16) | (d[at + 6]! << 8) | d[at + 7]!) >>> 0;
  const exponent = (high >>> 20) & 0x7ff;
  const mantissa = (high & 0xfffff) * 0x1_0000_0000 + low;
  const magnitude = exponent === 0x7ff ? (mantissa === 0 ? Infinity : NaN) : (exponent === 0 ? mantissa : mantissa + 2 ** 52) * powerOf2[exponent]!;
  return high < 0 ? -magnitude : magnitude;
}

/** Little-endian: BININT2's unsigned 16 bits, BININT's signed 32 (and the halves of longer lengths). */
function uint16At(d: Uint8Array, at: number): number {
  return d[at]! | (d[at + 1]! << 8);
}

function int32At(d: Uint8Array, at: number): number {
  return d[at]! | (d[at + 1]! << 8) | (d[at + 2]! << 16) | (d[at + 3]! << 24);
}

/** BINFLOAT, BININT1, BININT2, BININT: what a run of numbers into a list is made of. */
function isNumberOpcode(code: number | undefined): boolean {
  return code === 0x47 || code === 0x4b || code === 0x4d || code === 0x4a;
}

// What a reader's memo keeps of its capacity between loads (2 MiB of slots).
const memoKept = 1 << 18;

/** What copying a value's top level costs, roughly, in bytes (for the allocation limit). */
function sizeOf(value: unknown): number {
  if (typeof value === 'string') return value.length * 2;
  if (value instanceof Uint8Array) return value.length;
  if (Array.isArray(value)) return 8 * value.length;
  if (value instanceof Map || value instanceof Set) return 16 * value.size;
  return 8;
}

// Small tuples made at their length and filled, with no array in between (as MARK tuples are, from the
// stack): re-prototyping a plain array (Object.setPrototypeOf) costs several times as much in V8.
function tuple1(a: unknown): Tuple {
  const t = new Tuple(1);
  t[0] = a;
  return t;
}

function tuple2(a: unknown, b: unknown): Tuple {
  const t = new Tuple(2);
  t[0] = a;
  t[1] = b;
  return t;
}

function tuple3(a: unknown, b: unknown, c: unknown): Tuple {
  const t = new Tuple(3);
  t[0] = a;
  t[1] = b;
  t[2] = c;
  return t;
}


// Popping a few items is inlined where setting length is a runtime call; long runs are cut at once.
function truncate(stack: unknown[], length: number): void {
  if (stack.length - length > 16) stack.length = length;
  else while (stack.length > length) stack.pop();
}

function isList(value: unknown): value is unknown[] {
  return Array.isArray(value) && Object.getPrototypeOf(value) === Array.prototype;
}

function isPlainDict(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function defineKey(target: object, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else (target as Record<string, unknown>)[key] = value;
}

/** Reads one pickle. */
class Reader implements Instantiator {
  #data: Uint8Array = empty;
  #o: ResolvedLoadOptions = resolveLoadOptions(undefined);
  #pos = 0;
  #stack: unknown[] = [];
  readonly #marks: number[] = [];
  // The stack index of the innermost MARK (0 with none): opcodes may not take values from under it.
  #floor = 0;
  // The memo keeps its backing store between loads (up to memoKept entries): a large one grown afresh each load
  // is mostly page faults.
  readonly #memo: unknown[] = [];
  #memoCount = 0;
  #memoExtra: Map<number, unknown> | undefined;
  #allocated = 0;
  #floats = 0;
  #view: DataView | undefined;

  /** Makes this reader ready for another load (a reader is reused: allocating one costs more than a small load). */
  reset(data: Uint8Array, options: ResolvedLoadOptions): void {
    this.#data = data;
    this.#o = options;
    this.#pos = 0;
    this.#floor = 0;
    this.#allocated = 0;
    this.#floats = 0;
  }

  /** Lets go of what the last load held: the input, the stack and the memo must not keep a caller's values alive. */
  release(): void {
    this.#data = empty;
    this.#view = undefined;
    // Setting length is a call into the runtime: only for what holds something.
    if (this.#stack.length > 0) this.#stack.length = 0;
    if (this.#marks.length > 0) this.#marks.length = 0;
    if (this.#memoCount > 0) {
      if (this.#memo.length > memoKept) this.#memo.length = 0;
      else this.#memo.fill(undefined, 0, this.#memoCount);
      this.#memoCount = 0;
    }
    this.#memoExtra = undefined;
  }

  // ---- input
  #need(n: number): number {
    const at = this.#pos;
    if (n > this.#data.length - at) throw new PickleTruncatedError(`the pickle ends ${n - (this.#data.length - at)} bytes short (at byte ${at})`);
    this.#pos = at + n;
    return at;
  }

  #u8(): number {
    return this.#data[this.#need(1)]!;
  }

  #u16(): number {
    return uint16At(this.#data, this.#need(2));
  }

  #i32(): number {
    return int32At(this.#data, this.#need(4));
  }

  #u32(): number {
    return this.#i32() >>> 0;
  }

  #u64(): number {
    const at = this.#need(8);
    const d = this.#data;
    const low = int32At(d, at) >>> 0;
    const high = int32At(d, at + 4) >>> 0;
    // Beyond 2**53 no input could hold it anyway; Infinity fails every length check below.
    return high >= 0x200000 ? Infinity : high * 0x1_0000_0000 + low;
  }

  #line(): string {
    const data = this.#data;
    const start = this.#pos;
    const nl = data.indexOf(0x0a, start);
    if (nl < 0) throw new PickleTruncatedError(`a text argument at byte ${start} has no end of line`);
    this.#pos = nl + 1;
    return latin1.decode(data.subarray(start, nl));
  }

  /** The start of `n` payload bytes, after the length and allocation checks. */
  #payload(n: number, what: string): number {
    if (n > this.#data.length - this.#pos) throw new PickleTruncatedError(`a ${what} claims ${n} bytes but ${this.#data.length - this.#pos} are left`);
    if (n > this.#o.maxLength) throw new PickleLimitError('maxLength', `a ${what} of ${n} bytes is longer than ${this.#o.maxLength}`);
    this.#charge(n);
    return this.#need(n);
  }

  #charge(n: number): void {
    this.#allocated += n;
    if (this.#allocated > this.#o.maxAllocation) throw new PickleLimitError('maxAllocation', `the load would allocate more than ${this.#o.maxAllocation} bytes`);
  }

  // ---- stack
  #pop(): unknown {
    const stack = this.#stack;
    if (stack.length <= this.#floor) throw new PickleFormatError(`an opcode at byte ${this.#pos - 1} needs a value and the stack is empty`);
    return stack.pop();
  }

  #top(): unknown {
    const stack = this.#stack;
    if (stack.length <= this.#floor) throw new PickleFormatError(`an opcode at byte ${this.#pos - 1} needs a value and the stack is empty`);
    return stack[stack.length - 1];
  }

  /** Ends the innermost MARK: the stack index where its items start. */
  #closeMark(): number {
    const marks = this.#marks;
    const mark = marks.pop();
    this.#floor = marks.length === 0 ? 0 : marks[marks.length - 1]!;
    if (mark === undefined) throw new PickleFormatError(`an opcode at byte ${this.#pos - 1} needs a MARK and there is none`);
    return mark;
  }

  #popMark(): unknown[] {
    return this.#stack.splice(this.#closeMark());
  }

  // ---- memo
  #memoSet(index: number, value: unknown): void {
    const count = this.#memoCount;
    if (index < count) {
      this.#memo[index] = value;
      return;
    }
    if (count + (this.#memoExtra?.size ?? 0) >= this.#o.maxMemo) throw new PickleLimitError('maxMemo', `the memo would hold more than ${this.#o.maxMemo} entries`);
    if (index === count) {
      this.#memo[count] = value;
      this.#memoCount = count + 1;
    } else {
      (this.#memoExtra ??= new Map()).set(index, value);
    }
  }

  #memoGet(index: number): unknown {
    if (index < this.#memoCount) return this.#memo[index];
    const extra = this.#memoExtra;
    if (extra !== undefined && extra.has(index)) return extra.get(index);
    throw new PickleFormatError(`the memo has no entry ${index}`);
  }

  #memoTextIndex(line: string): number {
    if (!/^\d{1,15}$/.test(line)) throw new PickleFormatError('a PUT or GET index must be a decimal integer');
    return Number(line);
  }

  // ---- values
  #makeView(): DataView {
    const data = this.#data;
    return (this.#view = new DataView(data.buffer, data.byteOffset, data.byteLength));
  }

  /**
   * Just after a MARK: a run of BINFLOAT, BININT1, BININT2 and BININT that an APPENDS closes, onto a list (how a
   * list of numbers is pickled, a thousand at a time), goes straight into the list, each number read as its
   * opcode reads it: no stack slot and no boxed float per item in between. Anything else in or after the run, a
   * FRAME included, leaves it to the loop.
   */
  #numberRun(): void {
    const data = this.#data;
    const first = this.#pos;
    let at = first;
    let count = 0;
    for (;; count++) {
      const code = data[at];
      if (code === 0x47 /* BINFLOAT */) at += 9;
      else if (code === 0x4b /* BININT1 */) at += 2;
      else if (code === 0x4d /* BININT2 */) at += 3;
      else if (code === 0x4a /* BININT */) at += 5;
      else break;
    }
    // Past the input the byte is undefined: an APPENDS here has every number before it whole.
    if (data[at] !== 0x65 /* APPENDS */ || this.#o.exactFloats) return;
    const stack = this.#stack;
    const marks = this.#marks;
    const mark = stack.length;
    const below = marks.length < 2 ? 0 : marks[marks.length - 2]!;
    const target = mark > below ? stack[mark - 1] : undefined;
    if (!isList(target)) return;
    this.#charge(8 * count);
    for (let p = first; p < at; ) {
      const code = data[p];
      if (code === 0x47) {
        target.push(this.#binfloat(p + 1));
        p += 9;
      } else if (code === 0x4b) {
        target.push(data[p + 1]!);
        p += 2;
      } else if (code === 0x4d) {
        target.push(uint16At(data, p + 1));
        p += 3;
      } else {
        target.push(int32At(data, p + 1));
        p += 5;
      }
    }
    marks.pop();
    this.#floor = below;
    this.#pos = at + 1;
  }

  /** BINFLOAT's 8 bytes at `at`: a load's first floats decoded by hand, then through one view (see viewAfter). */
  #binfloat(at: number): number {
    const view = this.#view;
    if (view !== undefined) return view.getFloat64(at);
    return ++this.#floats <= viewAfter ? float64At(this.#data, at) : this.#makeView().getFloat64(at);
  }

  #float(value: number): unknown {
    return this.#o.exactFloats && Number.isInteger(value) && !Object.is(value, -0) ? new Float(value) : value;
  }

  #bigint(at: number, n: number): number | bigint {
    if (n === 0) return 0;
    const data = this.#data;
    if (n <= 6) {
      let value = 0;
      for (let i = n - 1; i >= 0; i--) value = value * 256 + data[at + i]!;
      if (data[at + n - 1]! & 0x80) value -= 2 ** (8 * n);
      return value;
    }
    let hex = '';
    for (let i = n - 1; i >= 0; i--) hex += (data[at + i]! < 16 ? '0' : '') + data[at + i]!.toString(16);
    let value = BigInt(`0x${hex}`);
    if (data[at + n - 1]! & 0x80) value -= 1n << BigInt(8 * n);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }

  #textInt(line: string, what: string): number | bigint {
    const text = line.trim().replace(/_/g, '');
    if (text.length > this.#o.maxIntDigits + 1) throw new PickleLimitError('maxIntDigits', `an ${what} of ${text.length} digits is longer than ${this.#o.maxIntDigits}`);
    let value: bigint;
    if (/^[+-]?\d+$/.test(text)) value = BigInt(text);
    else if (/^[+-]?0[xob][0-9a-f]+$/i.test(text)) value = text.startsWith('-') ? -BigInt(text.slice(1)) : BigInt(text.replace(/^\+/, ''));
    else throw new PickleFormatError(`an ${what} argument is not an integer: ${JSON.stringify(line.slice(0, 40))}`);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }

  #textFloat(line: string): number {
    const text = line.trim();
    if (/^[+-]?(\d+\.?\d*(e[+-]?\d+)?|\.\d+(e[+-]?\d+)?)$/i.test(text)) return Number(text);
    if (/^[+-]?(inf|infinity)$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
    if (/^[+-]?nan$/i.test(text)) return NaN;
    throw new PickleFormatError(`a FLOAT argument is not a float: ${JSON.stringify(line.slice(0, 40))}`);
  }

  #py2String(bytes: Uint8Array): unknown {
    switch (this.#o.encoding) {
      case 'bytes':
        return bytes;
      case 'latin1':
        return latin1.decode(bytes);
      case 'utf8':
        try {
          return fatalUtf8.decode(bytes);
        } catch {
          throw new PickleFormatError('a Python 2 str is not valid UTF-8');
        }
      default:
        for (const b of bytes) if (b > 0x7f) throw new PickleFormatError("a Python 2 str is not ASCII (load with encoding: 'latin1' or 'bytes')");
        return latin1.decode(bytes);
    }
  }

  #copy(at: number, n: number): Uint8Array {
    // A copy, not a view: Buffer's slice() would give one, and a view would keep the whole input alive.
    const bytes = new Uint8Array(n);
    bytes.set(this.#data.subarray(at, at + n));
    return bytes;
  }

  // ---- globals and objects
  #global(module: string, name: string): unknown {
    const [m, n] = py3Name(module, name);
    const registered = this.#o.registry.lookup(m, n) ?? (m !== module || n !== name ? this.#o.registry.lookup(module, name) : undefined);
    if (registered !== undefined) return registered.target;
    const known = knownGlobal(m, n);
    if (known !== undefined) return known;
    if (this.#o.keepUnknown) return new PickleGlobal(module, name);
    throw new PickleGlobalError(module, name);
  }

  #entry(callable: unknown): RegisteredGlobal | undefined {
    return typeof callable === 'function' ? this.#o.registry.entryFor(callable) : undefined;
  }

  instantiate(callable: unknown, args: Tuple, kind: 'call' | 'new', kwargs?: Map<unknown, unknown>): unknown {
    // A memoized argument can be used again and again: what a call may copy is charged each time.
    this.#charge(8 * args.length + 8 * (kwargs?.size ?? 0) + 64);
    if (callable instanceof KnownGlobal) {
      for (const arg of args) this.#charge(sizeOf(arg));
      if (kwargs !== undefined && kwargs.size > 0) throw new PickleFormatError(`${callable.toString()} takes no keyword arguments here`);
      return callable.call(args, this);
    }
    if (callable instanceof PickleGlobal) {
      return new PickleObject(kind === 'call' ? 'reduce' : kwargs === undefined ? 'newobj' : 'newobj_ex', callable, args, kwargs);
    }
    const entry = this.#entry(callable);
    if (entry === undefined) throw new PickleFormatError(`an opcode at byte ${this.#pos - 1} calls something that is not a class or function`);
    if (entry.kind === 'function') {
      if (kind === 'new') throw new PickleFormatError(`${entry.module}.${entry.name} is a function, not a class`);
      return entry.target(...args);
    }
    const hooks = entry.hooks;
    if (hooks.create !== undefined) return kwargs === undefined ? hooks.create(args, kind) : hooks.create(args, kind, kwargs);
    if (kind === 'new' && args.length === 0) return Object.create((entry.target as unknown as { prototype: object }).prototype) as object;
    const Cls = entry.target as unknown as new (...a: unknown[]) => object;
    return new Cls(...args);
  }

  #build(target: unknown, state: unknown): void {
    this.#charge(sizeOf(state) + (state instanceof Tuple ? sizeOf(state[0]) + sizeOf(state[1]) : 0));
    if (target instanceof PickleObject) {
      target.state = state;
      return;
    }
    if (target instanceof PythonError) {
      target.state = state;
      return;
    }
    const proto = typeof target === 'object' && target !== null ? (Object.getPrototypeOf(target) as { constructor?: unknown } | null) : null;
    const entry = proto === null ? undefined : this.#entry(proto.constructor);
    if (entry === undefined || entry.kind !== 'class') throw new PickleFormatError(`BUILD at byte ${this.#pos - 1} sets the state of something that is no registered class instance`);
    const hooks = (entry).hooks;
    if (hooks.setState !== undefined) {
      hooks.setState(target as object, state);
      return;
    }
    const own = (target as { __setstate__?: unknown }).__setstate__;
    if (typeof own === 'function') {
      (own as (s: unknown) => void).call(target, state);
      return;
    }
    let dict = state;
    let slots: unknown = null;
    if (state instanceof Tuple && state.length === 2) [dict, slots] = state;
    for (const part of [dict, slots]) {
      if (part === null) continue;
      if (part instanceof Map) {
        for (const [k, v] of part) {
          if (typeof k !== 'string') throw new PickleFormatError('an attribute name in a state must be a str');
          defineKey(target as object, k, v);
        }
      } else if (isPlainDict(part)) {
        for (const k of Object.keys(part)) defineKey(target as object, k, part[k]);
      } else {
        throw new PickleFormatError(`the state of ${entry.module}.${entry.name} is not a dict (give the class a setState hook)`);
      }
    }
  }

  #appendItems(target: unknown, items: unknown[]): void {
    if (isList(target)) {
      this.#charge(8 * items.length);
      for (let i = 0; i < items.length; i++) target.push(items[i]);
    } else if (target instanceof PickleObject) {
      for (const item of items) target.listItems.push(item);
    } else {
      const extend = (target as { extend?: unknown } | null)?.extend;
      const append = (target as { append?: unknown } | null)?.append;
      if (this.#isRegisteredInstance(target) && typeof extend === 'function') (extend as (i: unknown[]) => void).call(target, items);
      else if (this.#isRegisteredInstance(target) && typeof append === 'function') for (const item of items) (append as (i: unknown) => void).call(target, item);
      else throw new PickleFormatError(`APPEND at byte ${this.#pos - 1} onto something that is not a list`);
    }
  }

  #setItems(target: unknown, items: unknown[]): void {
    if (items.length % 2 !== 0) throw new PickleFormatError('SETITEMS needs key-value pairs');
    this.#charge(8 * items.length);
    if (target instanceof Map) {
      for (let i = 0; i < items.length; i += 2) target.set(items[i], items[i + 1]);
    } else if (this.#o.dictAsObject && isPlainDict(target)) {
      for (let i = 0; i < items.length; i += 2) {
        const key = items[i];
        if (typeof key !== 'string') throw new PickleUnsupportedError(`a dict key ${String(key)} (${typeof key}) has no plain-object form (load with dict: 'map')`);
        defineKey(target, key, items[i + 1]);
      }
    } else if (target instanceof PickleObject) {
      for (let i = 0; i < items.length; i += 2) target.dictItems.push([items[i], items[i + 1]]);
    } else {
      const setitem = (target as { __setitem__?: unknown } | null)?.__setitem__;
      if (!this.#isRegisteredInstance(target) || typeof setitem !== 'function') throw new PickleFormatError(`SETITEM at byte ${this.#pos - 1} onto something that is not a dict`);
      for (let i = 0; i < items.length; i += 2) (setitem as (k: unknown, v: unknown) => void).call(target, items[i], items[i + 1]);
    }
  }

  #isRegisteredInstance(target: unknown): boolean {
    if (typeof target !== 'object' || target === null) return false;
    const proto = Object.getPrototypeOf(target) as { constructor?: unknown } | null;
    return proto !== null && this.#entry(proto.constructor)?.kind === 'class';
  }

  #newDict(): unknown {
    this.#charge(64);
    return this.#o.dictAsObject ? {} : new Map();
  }

  #dictFrom(items: unknown[]): unknown {
    const dict = this.#newDict();
    this.#setItems(dict, items);
    return dict;
  }

  // ---- the loop
  load(): unknown {
    const data = this.#data;
    const end = data.length;
    const stack = this.#stack;
    for (;;) {
      // Past the end the byte is undefined, which no case takes: #rare reports the truncation.
      const code = data[this.#pos++];
      // The cases are number literals, every opcode among them: only then does V8 dispatch through a jump table
      // (its bytecode's SwitchOnSmi wants Smi literals, at least one case per three values of their range). With
      // opcodes.ts's names each case was a load and a compare in turn: a manager message loaded some 15% slower.
      // test/unit/pickle-opcodes.test.ts builds its pickles from those names and loads each opcode.
      switch (code) {
        case 0x95 /* FRAME */: {
          const n = this.#u64();
          if (n > end - this.#pos) throw new PickleTruncatedError(`a FRAME claims ${n} bytes but ${end - this.#pos} are left`);
          break;
        }
        case 0x2e /* STOP */: {
          return this.#pop();
        }
        case 0x4e /* NONE */:
          stack.push(null);
          break;
        case 0x88 /* NEWTRUE */:
          stack.push(true);
          break;
        case 0x89 /* NEWFALSE */:
          stack.push(false);
          break;
        case 0x4b /* BININT1 */: {
          const at = this.#pos;
          if (at >= end) this.#need(1);
          stack.push(data[at]);
          this.#pos = at + 1;
          break;
        }
        case 0x4d /* BININT2 */:
          stack.push(this.#u16());
          break;
        case 0x4a /* BININT */:
          stack.push(this.#i32());
          break;
        case 0x47 /* BINFLOAT */: {
          const at = this.#need(8);
          const value = this.#binfloat(at);
          stack.push(this.#o.exactFloats ? this.#float(value) : value);
          break;
        }
        case 0x8c /* SHORT_BINUNICODE */: {
          const at = this.#pos;
          const n = data[at];
          // The common case inline: the length and the text are there, and within the limits.
          if (n !== undefined && at + 1 + n <= end && n <= this.#o.maxLength && this.#allocated + n <= this.#o.maxAllocation) {
            this.#allocated += n;
            this.#pos = at + 1 + n;
            stack.push(decodeUtf8(data, at + 1, at + 1 + n));
          } else {
            const length = this.#u8();
            const start = this.#payload(length, 'str');
            stack.push(decodeUtf8(data, start, start + length));
          }
          break;
        }
        case 0x58 /* BINUNICODE */: {
          const n = this.#u32();
          const at = this.#payload(n, 'str');
          stack.push(decodeUtf8(data, at, at + n));
          break;
        }
        case 0x43 /* SHORT_BINBYTES */: {
          const n = this.#u8();
          stack.push(this.#copy(this.#payload(n, 'bytes'), n));
          break;
        }
        case 0x29 /* EMPTY_TUPLE */:
          stack.push(new Tuple(0));
          break;
        case 0x85 /* TUPLE1 */: {
          const a = this.#pop();
          this.#charge(8);
          stack.push(tuple1(a));
          break;
        }
        case 0x86 /* TUPLE2 */: {
          const b = this.#pop();
          const a = this.#pop();
          this.#charge(16);
          stack.push(tuple2(a, b));
          break;
        }
        case 0x87 /* TUPLE3 */: {
          const c = this.#pop();
          const b = this.#pop();
          const a = this.#pop();
          this.#charge(24);
          stack.push(tuple3(a, b, c));
          break;
        }
        case 0x28 /* MARK */:
          if (this.#marks.length >= this.#o.maxDepth) throw new PickleLimitError('maxDepth', `more than ${this.#o.maxDepth} MARKs are open`);
          this.#marks.push(stack.length);
          this.#floor = stack.length;
          if (isNumberOpcode(data[this.#pos])) this.#numberRun();
          break;
        case 0x74 /* TUPLE */: {
          // Straight from the stack into the tuple: no array of the items in between (splice, then a copy).
          const mark = this.#closeMark();
          this.#charge(8 * (stack.length - mark));
          const t = toTuple(stack, mark);
          truncate(stack, mark);
          stack.push(t);
          break;
        }
        case 0x5d /* EMPTY_LIST */:
          this.#charge(32);
          stack.push([]);
          break;
        case 0x61 /* APPEND */: {
          const item = this.#pop();
          this.#appendItems(this.#top(), [item]);
          break;
        }
        case 0x65 /* APPENDS */: {
          const marks = this.#marks;
          const mark = marks.length === 0 ? -1 : marks[marks.length - 1]!;
          const below = marks.length < 2 ? 0 : marks[marks.length - 2]!;
          const target = mark > below ? stack[mark - 1] : undefined;
          if (isList(target)) {
            // Straight from the stack into the list: no array of the items in between.
            marks.pop();
            this.#floor = below;
            this.#charge(8 * (stack.length - mark));
            for (let i = mark; i < stack.length; i++) target.push(stack[i]);
            truncate(stack, mark);
          } else {
            const items = this.#popMark();
            this.#appendItems(this.#top(), items);
          }
          break;
        }
        case 0x7d /* EMPTY_DICT */:
          stack.push(this.#newDict());
          break;
        case 0x73 /* SETITEM */: {
          const value = this.#pop();
          const key = this.#pop();
          this.#setItems(this.#top(), [key, value]);
          break;
        }
        case 0x75 /* SETITEMS */: {
          const marks = this.#marks;
          const mark = marks.length === 0 ? -1 : marks[marks.length - 1]!;
          const below = marks.length < 2 ? 0 : marks[marks.length - 2]!;
          const target = mark > below ? stack[mark - 1] : undefined;
          if (target instanceof Map && (stack.length - mark) % 2 === 0) {
            marks.pop();
            this.#floor = below;
            this.#charge(8 * (stack.length - mark));
            for (let i = mark; i < stack.length; i += 2) target.set(stack[i], stack[i + 1]);
            truncate(stack, mark);
          } else {
            const items = this.#popMark();
            this.#setItems(this.#top(), items);
          }
          break;
        }
        case 0x94 /* MEMOIZE */: {
          const count = this.#memoCount;
          if (this.#memoExtra === undefined && count < this.#o.maxMemo && stack.length > this.#floor) {
            this.#memo[count] = stack[stack.length - 1];
            this.#memoCount = count + 1;
          } else {
            this.#memoSet(count + (this.#memoExtra?.size ?? 0), this.#top());
          }
          break;
        }
        case 0x71 /* BINPUT */:
          this.#memoSet(this.#u8(), this.#top());
          break;
        case 0x68 /* BINGET */: {
          const at = this.#pos;
          const index = at < end ? data[at]! : this.#u8();
          this.#pos = at + 1;
          this.#charge(8);
          stack.push(index < this.#memoCount ? this.#memo[index] : this.#memoGet(index));
          break;
        }
        // The rest, read out of the loop.
        case 0x80 /* PROTO */:
        case 0x8a /* LONG1 */:
        case 0x8b /* LONG4 */:
        case 0x8d /* BINUNICODE8 */:
        case 0x42 /* BINBYTES */:
        case 0x8e /* BINBYTES8 */:
        case 0x96 /* BYTEARRAY8 */:
        case 0x55 /* SHORT_BINSTRING */:
        case 0x54 /* BINSTRING */:
        case 0x6c /* LIST */:
        case 0x64 /* DICT */:
        case 0x8f /* EMPTY_SET */:
        case 0x90 /* ADDITEMS */:
        case 0x91 /* FROZENSET */:
        case 0x30 /* POP */:
        case 0x31 /* POP_MARK */:
        case 0x32 /* DUP */:
        case 0x72 /* LONG_BINPUT */:
        case 0x70 /* PUT */:
        case 0x6a /* LONG_BINGET */:
        case 0x67 /* GET */:
        case 0x63 /* GLOBAL */:
        case 0x93 /* STACK_GLOBAL */:
        case 0x52 /* REDUCE */:
        case 0x81 /* NEWOBJ */:
        case 0x92 /* NEWOBJ_EX */:
        case 0x69 /* INST */:
        case 0x6f /* OBJ */:
        case 0x62 /* BUILD */:
        case 0x49 /* INT */:
        case 0x4c /* LONG */:
        case 0x46 /* FLOAT */:
        case 0x53 /* STRING */:
        case 0x56 /* UNICODE */:
        case 0x50 /* PERSID */:
        case 0x51 /* BINPERSID */:
        case 0x82 /* EXT1 */:
        case 0x83 /* EXT2 */:
        case 0x84 /* EXT4 */:
        case 0x97 /* NEXT_BUFFER */:
        case 0x98 /* READONLY_BUFFER */:
        default:
          this.#rare(code);
          break;
      }
    }
  }

  /** The opcodes met less often, out of the main loop so that it stays small enough for V8 to optimize well. */
  #rare(code: number | undefined): void {
    const data = this.#data;
    const stack = this.#stack;
    switch (code) {
      case 0x80 /* PROTO */: {
        const proto = this.#u8();
        if (proto > HIGHEST_PROTOCOL) throw new PickleOpcodeError(`unsupported pickle protocol ${proto}`);
        break;
      }
      case 0x8a /* LONG1 */: {
        const n = this.#u8();
        const at = this.#payload(n, 'LONG1');
        stack.push(this.#bigint(at, n));
        break;
      }
      case 0x8b /* LONG4 */: {
        const n = this.#i32();
        if (n < 0) throw new PickleFormatError('LONG4 has a negative length');
        const at = this.#payload(n, 'LONG4');
        stack.push(this.#bigint(at, n));
        break;
      }
      case 0x8d /* BINUNICODE8 */: {
        const n = this.#u64();
        const at = this.#payload(n, 'str');
        stack.push(decodeUtf8(data, at, at + n));
        break;
      }
      case 0x42 /* BINBYTES */: {
        const n = this.#u32();
        stack.push(this.#copy(this.#payload(n, 'bytes'), n));
        break;
      }
      case 0x8e /* BINBYTES8 */: {
        const n = this.#u64();
        stack.push(this.#copy(this.#payload(n, 'bytes'), n));
        break;
      }
      case 0x96 /* BYTEARRAY8 */: {
        const n = this.#u64();
        const at = this.#payload(n, 'bytearray');
        const array = new ByteArray(n);
        array.set(data.subarray(at, at + n));
        stack.push(array);
        break;
      }
      case 0x55 /* SHORT_BINSTRING */: {
        const n = this.#u8();
        stack.push(this.#py2String(this.#copy(this.#payload(n, 'str'), n)));
        break;
      }
      case 0x54 /* BINSTRING */: {
        const n = this.#i32();
        if (n < 0) throw new PickleFormatError('BINSTRING has a negative length');
        stack.push(this.#py2String(this.#copy(this.#payload(n, 'str'), n)));
        break;
      }
      case 0x6c /* LIST */: {
        const items = this.#popMark();
        this.#charge(8 * items.length);
        stack.push(items);
        break;
      }
      case 0x64 /* DICT */:
        stack.push(this.#dictFrom(this.#popMark()));
        break;
      case 0x8f /* EMPTY_SET */:
        this.#charge(64);
        stack.push(new Set());
        break;
      case 0x90 /* ADDITEMS */: {
        const items = this.#popMark();
        const target = this.#top();
        if (!(target instanceof Set) || target instanceof FrozenSet) throw new PickleFormatError(`ADDITEMS at byte ${this.#pos - 1} onto something that is not a set`);
        this.#charge(8 * items.length);
        for (const item of items) target.add(item);
        break;
      }
      case 0x91 /* FROZENSET */: {
        const items = this.#popMark();
        this.#charge(8 * items.length);
        stack.push(new FrozenSet(items));
        break;
      }
      case 0x30 /* POP */:
        if (this.#marks.length > 0 && this.#floor === stack.length) this.#popMark();
        else this.#pop();
        break;
      case 0x31 /* POP_MARK */:
        this.#popMark();
        break;
      case 0x32 /* DUP */:
        this.#charge(8);
        stack.push(this.#top());
        break;
      case 0x72 /* LONG_BINPUT */:
        this.#memoSet(this.#u32(), this.#top());
        break;
      case 0x70 /* PUT */:
        this.#memoSet(this.#memoTextIndex(this.#line()), this.#top());
        break;
      case 0x6a /* LONG_BINGET */:
        this.#charge(8);
        stack.push(this.#memoGet(this.#u32()));
        break;
      case 0x67 /* GET */:
        this.#charge(8);
        stack.push(this.#memoGet(this.#memoTextIndex(this.#line())));
        break;
      case 0x63 /* GLOBAL */: {
        const module = this.#line();
        const name = this.#line();
        stack.push(this.#global(module, name));
        break;
      }
      case 0x93 /* STACK_GLOBAL */: {
        const name = this.#pop();
        const module = this.#pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw new PickleFormatError('STACK_GLOBAL needs two str');
        stack.push(this.#global(module, name));
        break;
      }
      case 0x52 /* REDUCE */: {
        const args = this.#pop();
        const callable = this.#pop();
        if (!(args instanceof Tuple)) throw new PickleFormatError(`REDUCE at byte ${this.#pos - 1} has arguments that are not a tuple`);
        stack.push(this.instantiate(callable, args, 'call'));
        break;
      }
      case 0x81 /* NEWOBJ */: {
        const args = this.#pop();
        const cls = this.#pop();
        if (!(args instanceof Tuple)) throw new PickleFormatError(`NEWOBJ at byte ${this.#pos - 1} has arguments that are not a tuple`);
        stack.push(this.instantiate(cls, args, 'new'));
        break;
      }
      case 0x92 /* NEWOBJ_EX */: {
        const kwargs = this.#pop();
        const args = this.#pop();
        const cls = this.#pop();
        if (!(args instanceof Tuple)) throw new PickleFormatError('NEWOBJ_EX has arguments that are not a tuple');
        const kw = kwargs instanceof Map ? kwargs : isPlainDict(kwargs) ? new Map(Object.entries(kwargs)) : undefined;
        if (kw === undefined) throw new PickleFormatError('NEWOBJ_EX has keyword arguments that are not a dict');
        stack.push(this.instantiate(cls, args, 'new', kw));
        break;
      }
      case 0x69 /* INST */: {
        const module = this.#line();
        const name = this.#line();
        const cls = this.#global(module, name);
        stack.push(this.instantiate(cls, toTuple(this.#popMark()), 'call'));
        break;
      }
      case 0x6f /* OBJ */: {
        const items = this.#popMark();
        if (items.length === 0) throw new PickleFormatError('OBJ needs a class');
        const cls = items.shift();
        stack.push(this.instantiate(cls, toTuple(items), 'call'));
        break;
      }
      case 0x62 /* BUILD */: {
        const state = this.#pop();
        this.#build(this.#top(), state);
        break;
      }
      case 0x49 /* INT */: {
        const line = this.#line();
        stack.push(line === '01' ? true : line === '00' ? false : this.#textInt(line, 'INT'));
        break;
      }
      case 0x4c /* LONG */: {
        const line = this.#line();
        stack.push(this.#textInt(line.endsWith('L') ? line.slice(0, -1) : line, 'LONG'));
        break;
      }
      case 0x46 /* FLOAT */:
        stack.push(this.#float(this.#textFloat(this.#line())));
        break;
      case 0x53 /* STRING */: {
        const line = this.#line();
        this.#charge(line.length);
        stack.push(this.#py2String(unquoteString(line.trimEnd())));
        break;
      }
      case 0x56 /* UNICODE */: {
        const line = this.#line();
        this.#charge(line.length);
        stack.push(rawUnicodeUnescape(line));
        break;
      }
      case 0x50 /* PERSID */:
      case 0x51 /* BINPERSID */:
        throw new PickleUnsupportedError('the pickle holds a persistent id, which is refused here');
      case 0x82 /* EXT1 */:
      case 0x83 /* EXT2 */:
      case 0x84 /* EXT4 */:
        throw new PickleUnsupportedError('the pickle names a global by a copyreg extension code, which is refused here');
      case 0x97 /* NEXT_BUFFER */: {
        const buffers = this.#o.buffers;
        if (buffers === undefined) throw new PickleUnsupportedError('the pickle takes an out-of-band buffer (NEXT_BUFFER) and none were given (the `buffers` option)');
        const next = buffers.next();
        if (next.done === true) throw new PickleFormatError('the pickle takes more out-of-band buffers than were given');
        if (!(next.value instanceof Uint8Array)) throw new TypeError(expected('buffers', 'an iterable of Uint8Array', next.value));
        stack.push(next.value);
        break;
      }
      case 0x98 /* READONLY_BUFFER */:
        this.#top();
        break;
      default:
        if (code === undefined) throw new PickleTruncatedError('the pickle ends before its STOP');
        throw new PickleOpcodeError(`byte 0x${code.toString(16).padStart(2, '0')} at ${this.#pos - 1} is no pickle opcode`);
    }
  }
}

let spare: Reader | undefined = new Reader();

/** Reads one pickle (protocols 0 to 5) into a value; see docs/pickle.md for what each Python type becomes. */
export function loads(data: Uint8Array | ArrayBuffer, options?: LoadOptions): unknown {
  const bytes = data instanceof Uint8Array ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : undefined;
  if (bytes === undefined) throw new TypeError(expected('data', 'a Uint8Array or an ArrayBuffer', data));
  const resolved = resolveLoadOptions(options);
  // A hook that calls loads again while this one runs gets a reader of its own.
  const reader = spare ?? new Reader();
  spare = undefined;
  reader.reset(bytes, resolved);
  try {
    return reader.load();
  } catch (error) {
    // The engine's own ceilings (string length, BigInt size) are limits too, reported as such.
    if (error instanceof RangeError && /Invalid string length|Maximum BigInt size|Invalid array length|Invalid typed array length/.test(error.message)) {
      throw new PickleLimitError('maxLength', `a value is past what JavaScript can hold: ${error.message}`);
    }
    if (error instanceof RangeError && /Maximum call stack size exceeded/.test(error.message)) {
      throw new PickleLimitError('maxDepth', 'a call with too many arguments, or a hook that recursed too deeply');
    }
    throw error;
  } finally {
    reader.release();
    spare = reader;
  }
}
