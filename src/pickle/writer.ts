// The pickler: writes protocols 2 to 5 as CPython's C pickler does (memo, frames, opcode choices, batches of 1000).
import { expected } from '../errors.js';
import { dateTimeToState, dateToState, PyDate, PyDateTime, PyTime, Timedelta, timeToState, Timezone } from './datetime.js';
import { PickleLimitError, PickleUnsupportedError } from './errors.js';
import * as known from './known-globals.js';
import { ObjectMemo, StringMemo } from './memo.js';
import { py2Name } from './known-globals.js';
import * as op from './opcodes.js';
import { resolveDumpOptions, type DumpOptions, type ResolvedDumpOptions } from './options.js';
import { PythonError, pythonClassOf } from './python-error.js';
import type { Reduction, RegisteredClass } from './registry.js';
import { encodeSurrogatePass } from './text.js';
import { ByteArray, Complex, Decimal, Float, FrozenSet, OrderedDict, PickleGlobal, PickleObject, Tuple } from './types.js';

const BATCHSIZE = 1000;
const FRAME_SIZE_TARGET = 64 * 1024;
const FRAME_SIZE_MIN = 4;
const FRAME_HEADER = 9;
const encoder = new TextEncoder();
// Node 20 has String.prototype.isWellFormed; the ES2023 lib does not declare it.
const isWellFormed = (text: string): boolean => (text as unknown as { isWellFormed(): boolean }).isWellFormed();

// Globals written for values that have them but are not kept as objects of their own.
const exceptionGlobals = new Map<string, PickleGlobal>();
function exceptionGlobal(module: string, name: string): PickleGlobal {
  const key = `${module}\n${name}`;
  let global = exceptionGlobals.get(key);
  if (global === undefined) exceptionGlobals.set(key, (global = new PickleGlobal(module, name)));
  return global;
}

function setU32(buf: Uint8Array, at: number, n: number): void {
  buf[at] = n & 0xff;
  buf[at + 1] = (n >>> 8) & 0xff;
  buf[at + 2] = (n >>> 16) & 0xff;
  buf[at + 3] = (n >>> 24) & 0xff;
}

/** Writes one pickle. */
class Writer {
  #buf = new Uint8Array(1024);
  #view: DataView | undefined;
  #pos = 0;
  #proto = 4;
  #o: ResolvedDumpOptions | undefined;
  readonly #memo = new ObjectMemo();
  readonly #strMemo = new StringMemo();
  #memoCount = 0;
  #frameStart = -1;
  #depth = 0;

  /** Makes this writer ready for another dump (a writer is reused: allocating one costs more than a small dump). */
  reset(options: ResolvedDumpOptions): void {
    this.#o = options;
    this.#proto = options.protocol;
    this.#pos = 0;
    this.#memoCount = 0;
    this.#frameStart = -1;
    this.#depth = 0;
  }

  /** Lets go of what the last dump held; a big buffer is dropped rather than kept. */
  release(): void {
    this.#memo.clear();
    this.#strMemo.clear();
    this.#o = undefined;
    if (this.#buf.length > 1 << 20) {
      this.#buf = new Uint8Array(1024);
      this.#view = undefined;
    }
  }

  get #options(): ResolvedDumpOptions {
    return this.#o!;
  }

  // ---- output
  #reserve(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#pos + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#buf.subarray(0, this.#pos));
    this.#buf = grown;
    this.#view = undefined;
  }

  #byte(b: number): void {
    this.#reserve(1);
    this.#buf[this.#pos++] = b;
  }

  #byte2(a: number, b: number): void {
    this.#reserve(2);
    this.#buf[this.#pos++] = a;
    this.#buf[this.#pos++] = b;
  }

  #u32(code: number, n: number): void {
    this.#reserve(5);
    this.#buf[this.#pos] = code;
    setU32(this.#buf, this.#pos + 1, n);
    this.#pos += 5;
  }

  #u64(code: number, n: number): void {
    this.#reserve(9);
    this.#buf[this.#pos] = code;
    setU32(this.#buf, this.#pos + 1, n % 0x1_0000_0000);
    setU32(this.#buf, this.#pos + 5, Math.floor(n / 0x1_0000_0000));
    this.#pos += 9;
  }

  #raw(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    this.#buf.set(bytes, this.#pos);
    this.#pos += bytes.length;
  }


  // ---- frames (protocol 4 and up): up to 64 KiB each, none around less than 4 bytes, big payloads outside
  #startFrame(): void {
    this.#reserve(FRAME_HEADER);
    this.#frameStart = this.#pos;
    this.#pos += FRAME_HEADER;
  }

  #commitFrame(): void {
    const start = this.#frameStart;
    if (start < 0) return;
    const size = this.#pos - start - FRAME_HEADER;
    if (size >= FRAME_SIZE_MIN) {
      this.#buf[start] = op.FRAME;
      setU32(this.#buf, start + 1, size);
      setU32(this.#buf, start + 5, 0);
    } else {
      this.#buf.copyWithin(start, start + FRAME_HEADER, this.#pos);
      this.#pos -= FRAME_HEADER;
    }
    this.#frameStart = -1;
  }

  #opcodeBoundary(): void {
    if (this.#frameStart >= 0 && this.#pos - this.#frameStart - FRAME_HEADER >= FRAME_SIZE_TARGET) {
      this.#commitFrame();
      this.#startFrame();
    }
  }

  /** A header then a payload; a payload of 64 KiB or more goes outside any frame, as CPython writes it. */
  #payload(write: () => void, size: number): void {
    if (this.#frameStart >= 0 && size >= FRAME_SIZE_TARGET) {
      this.#commitFrame();
      write();
      this.#startFrame();
    } else {
      write();
    }
  }

  // ---- memo
  #memoPut(key: unknown): void {
    const index = this.#memoCount++;
    if (typeof key === 'string') this.#strMemo.set(key, index);
    else if (key !== null) this.#memo.set(key, index);
    if (this.#proto >= 4) this.#byte(op.MEMOIZE);
    else if (index < 256) this.#byte2(op.BINPUT, index);
    else this.#u32(op.LONG_BINPUT, index);
  }

  #memoGet(index: number): void {
    if (index < 256) this.#byte2(op.BINGET, index);
    else this.#u32(op.LONG_BINGET, index);
  }

  // ---- values
  dump(value: unknown): Uint8Array {
    this.#byte2(op.PROTO, this.#proto);
    if (this.#proto >= 4) this.#startFrame();
    this.#save(value);
    this.#byte(op.STOP);
    this.#commitFrame();
    return this.#buf.slice(0, this.#pos);
  }

  #save(value: unknown): void {
    switch (typeof value) {
      case 'string':
        this.#saveStr(value);
        break;
      case 'number':
        if (Number.isSafeInteger(value) && !Object.is(value, -0)) this.#saveInt(value);
        else this.#saveFloat(value);
        break;
      case 'boolean':
        this.#byte(value ? op.NEWTRUE : op.NEWFALSE);
        break;
      case 'undefined':
        this.#byte(op.NONE);
        break;
      case 'bigint':
        if (value >= -0x8000_0000n && value < 0x1_0000_0000n) this.#saveInt(Number(value));
        else this.#saveLong(value);
        break;
      case 'object':
        if (value === null) this.#byte(op.NONE);
        else this.#saveObject(value);
        break;
      case 'function':
        this.#saveFunction(value);
        break;
      default:
        throw new PickleUnsupportedError(`a ${typeof value} has no pickle form`);
    }
    if (this.#frameStart >= 0) this.#opcodeBoundary();
  }

  #saveInt(n: number): void {
    if (n >= 0 && n <= 0xff) {
      this.#byte2(op.BININT1, n);
    } else if (n >= 0 && n <= 0xffff) {
      this.#reserve(3);
      this.#buf[this.#pos] = op.BININT2;
      this.#buf[this.#pos + 1] = n & 0xff;
      this.#buf[this.#pos + 2] = n >> 8;
      this.#pos += 3;
    } else if (n >= -0x8000_0000 && n <= 0x7fff_ffff) {
      this.#reserve(5);
      this.#buf[this.#pos] = op.BININT;
      setU32(this.#buf, this.#pos + 1, n >>> 0);
      this.#pos += 5;
    } else {
      this.#saveLong(BigInt(n));
    }
  }

  #saveLong(n: bigint): void {
    // Little-endian two's complement in the fewest bytes, as Python's encode_long gives them.
    const bytes: number[] = [];
    let rest = n;
    for (;;) {
      const b = Number(rest & 0xffn);
      bytes.push(b);
      rest >>= 8n;
      if ((rest === 0n && (b & 0x80) === 0) || (rest === -1n && (b & 0x80) !== 0)) break;
    }
    if (bytes.length < 256) {
      this.#byte2(op.LONG1, bytes.length);
    } else {
      this.#u32(op.LONG4, bytes.length);
    }
    this.#raw(Uint8Array.from(bytes));
  }

  #saveFloat(n: number): void {
    this.#reserve(9);
    this.#buf[this.#pos] = op.BINFLOAT;
    (this.#view ??= new DataView(this.#buf.buffer)).setFloat64(this.#pos + 1, n, false);
    this.#pos += 9;
  }

  #saveStr(text: string, fresh = false): void {
    const seen = fresh ? undefined : this.#strMemo.get(text);
    if (seen !== undefined) {
      this.#memoGet(seen);
      return;
    }
    const short = this.#proto >= 4;
    const length = text.length;
    if (short && length <= 85) {
      // At most 255 UTF-8 bytes: SHORT_BINUNICODE, with the length filled in after.
      this.#reserve(2 + 3 * length);
      const buf = this.#buf;
      const at = this.#pos;
      let i = 0;
      for (; i < length; i++) {
        const c = text.charCodeAt(i);
        if (c > 0x7f) break;
        buf[at + 2 + i] = c;
      }
      let size = i;
      if (i < length) size = this.#encodeInto(text, at + 2);
      if (size < 256) {
        buf[at] = op.SHORT_BINUNICODE;
        buf[at + 1] = size;
        this.#pos = at + 2 + size;
        this.#memoPut(fresh ? null : text);
        return;
      }
    }
    const bytes = isWellFormed(text) ? encoder.encode(text) : encodeSurrogatePass(text);
    const size = bytes.length;
    this.#payload(() => {
      if (short && size < 256) this.#byte2(op.SHORT_BINUNICODE, size);
      else if (size > 0xffff_ffff && this.#proto >= 4) this.#u64(op.BINUNICODE8, size);
      else if (size > 0xffff_ffff) throw new PickleUnsupportedError('a str over 4 GiB needs protocol 4 or higher');
      else this.#u32(op.BINUNICODE, size);
      this.#raw(bytes);
    }, size);
    this.#memoPut(fresh ? null : text);
  }

  /** UTF-8 of `text` at `at` (room for 3 bytes a unit is reserved); returns the byte count. */
  #encodeInto(text: string, at: number): number {
    if (!isWellFormed(text)) {
      const bytes = encodeSurrogatePass(text);
      this.#buf.set(bytes, at);
      return bytes.length;
    }
    return encoder.encodeInto(text, this.#buf.subarray(at)).written;
  }

  #saveBytes(bytes: Uint8Array, key: object): void {
    const size = bytes.length;
    if (this.#proto < 3) {
      // Protocol 2 has no bytes opcode: _codecs.encode(latin-1 text, 'latin1'), or bytes() for b''.
      if (size === 0) this.#saveReduce(known.BYTES, [], undefined, key);
      else {
        let text = '';
        for (let i = 0; i < size; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192));
        this.#saveReduce(known.CODECS_ENCODE, [text, 'latin1'], undefined, key);
      }
      return;
    }
    this.#payload(() => {
      if (size < 256) this.#byte2(op.SHORT_BINBYTES, size);
      else if (size > 0xffff_ffff && this.#proto >= 4) this.#u64(op.BINBYTES8, size);
      else if (size > 0xffff_ffff) throw new PickleUnsupportedError('bytes over 4 GiB need protocol 4 or higher');
      else this.#u32(op.BINBYTES, size);
      this.#raw(bytes);
    }, size);
    this.#memoPut(key);
  }

  #saveByteArray(bytes: ByteArray): void {
    if (this.#proto >= 5) {
      this.#payload(() => {
        this.#u64(op.BYTEARRAY8, bytes.length);
        this.#raw(bytes);
      }, bytes.length);
      this.#memoPut(bytes);
      return;
    }
    this.#saveReduce(known.BYTEARRAY, bytes.length === 0 ? [] : [new Uint8Array(bytes)], undefined, bytes);
  }

  #saveObject(value: object): void {
    const seen = this.#memo.get(value);
    if (seen !== undefined) {
      this.#memoGet(seen);
      return;
    }
    if (++this.#depth > this.#options.maxDepth) throw new PickleLimitError('maxDepth', `the value nests deeper than ${this.#options.maxDepth}`);
    try {
      this.#dispatch(value);
    } finally {
      this.#depth--;
    }
  }

  #dispatch(value: object): void {
    const proto = Object.getPrototypeOf(value) as object | null;
    switch (proto) {
      case Array.prototype:
        return this.#saveList(value as unknown[]);
      case Tuple.prototype:
        return this.#saveTuple(value as Tuple);
      case Map.prototype:
        return this.#saveDict(value as Map<unknown, unknown>);
      case Object.prototype:
      case null:
        return this.#saveDict(value as Record<string, unknown>);
      case Uint8Array.prototype:
      case Buffer.prototype:
        return this.#saveBytes(value as Uint8Array, value);
      case ByteArray.prototype:
        return this.#saveByteArray(value as ByteArray);
      case Set.prototype:
        return this.#saveSet(value as Set<unknown>);
      case FrozenSet.prototype:
        return this.#saveFrozenSet(value as FrozenSet<unknown>);
      default:
        return this.#saveOther(value);
    }
  }

  #saveOther(value: object): void {
    if (value instanceof Float) return this.#saveFloat(value.value);
    if (value instanceof OrderedDict) return this.#saveReduce(known.ORDERED_DICT, [], undefined, value, undefined, value.entries());
    if (value instanceof Complex) return this.#saveReduce(known.COMPLEX, [new Float(value.real), new Float(value.imag)], undefined, value);
    if (value instanceof Decimal) return this.#saveReduce(known.DECIMAL, [value.value], undefined, value);
    if (value instanceof Timedelta) return this.#saveReduce(known.TIMEDELTA, [value.days, value.seconds, value.microseconds], undefined, value);
    if (value instanceof Timezone) {
      return this.#saveReduce(known.TIMEZONE, value.name === undefined ? [value.offset] : [value.offset, value.name], undefined, value);
    }
    if (value instanceof PyDateTime) {
      const state = dateTimeToState(value, this.#proto);
      return this.#saveReduce(known.DATETIME, value.tzinfo === null ? [state] : [state, value.tzinfo], undefined, value);
    }
    if (value instanceof PyDate) return this.#saveReduce(known.DATE, [dateToState(value)], undefined, value);
    if (value instanceof PyTime) {
      const state = timeToState(value, this.#proto);
      return this.#saveReduce(known.TIME, value.tzinfo === null ? [state] : [state, value.tzinfo], undefined, value);
    }
    if (value instanceof Date) return this.#saveObject(PyDateTime.fromDate(value));
    if (value instanceof PickleGlobal) return this.#saveGlobal(value.module, value.name, value);
    if (value instanceof PickleObject) return this.#savePickleObject(value);
    if (value instanceof Uint8Array) return this.#saveBytes(value, value);
    const ctor = (Object.getPrototypeOf(value) as { constructor?: unknown }).constructor;
    const entry = this.#options.registry.entryFor(ctor);
    if (entry !== undefined && entry.kind === 'class') return this.#saveInstance(value, entry);
    if (value instanceof PythonError) return this.#saveError(value);
    if (value instanceof Error) {
      return this.#saveReduce(exceptionGlobal('builtins', pythonClassOf(value)), value.message === '' ? [] : [value.message], undefined, value);
    }
    if (value instanceof Map) return this.#saveDict(value);
    if (value instanceof Set) return this.#saveSet(value);
    const name = typeof ctor === 'function' ? ctor.name : 'object';
    throw new PickleUnsupportedError(`a ${name || 'anonymous class'} instance has no pickle form (register its class with registerPickleClass)`);
  }

  #saveError(error: PythonError): void {
    const global = exceptionGlobal(error.pythonModule, error.pythonClass);
    if (error.traceback === undefined) {
      this.#saveReduce(global, error.pythonArgs, error.state, error);
      return;
    }
    // As multiprocessing.pool sends it: rebuild_exc(exc, traceback text); the exception itself is a plain reduce.
    const inner = new PythonError(error.pythonModule, error.pythonClass, error.pythonArgs, error.state);
    this.#saveReduce(known.REBUILD_EXC, [inner, error.traceback], undefined, error);
  }

  #saveFunction(fn: unknown): void {
    const seen = this.#memo.get(fn);
    if (seen !== undefined) {
      this.#memoGet(seen);
      return;
    }
    const entry = this.#options.registry.entryFor(fn);
    if (entry === undefined) {
      const name = (fn as { name?: unknown }).name;
      throw new PickleUnsupportedError(`the function or class ${typeof name === 'string' && name !== '' ? name : '(anonymous)'} has no pickle form (register it)`);
    }
    this.#saveGlobal(entry.module, entry.name, fn);
  }

  #saveGlobal(module: string, name: string, key: unknown): void {
    const seen = this.#memo.get(key);
    if (seen !== undefined) {
      this.#memoGet(seen);
      return;
    }
    if (this.#proto >= 4) {
      // CPython's module names are shared strings, but a qualname is a new one each time: never a memo hit.
      this.#saveStr(module);
      this.#saveStr(name, true);
      this.#byte(op.STACK_GLOBAL);
    } else {
      const [m, n] = this.#proto < 3 ? py2Name(module, name) : [module, name];
      this.#byte(op.GLOBAL);
      this.#utf8Line(m);
      this.#utf8Line(n);
    }
    this.#memoPut(key);
  }

  #utf8Line(text: string): void {
    this.#raw(encoder.encode(text));
    this.#byte(0x0a);
  }

  /** The callable of a reduction: a registered function or class, or a global kept by reference. */
  #saveCallable(callable: unknown): void {
    if (callable instanceof PickleGlobal) this.#saveGlobal(callable.module, callable.name, callable);
    else if (typeof callable === 'function') this.#saveFunction(callable);
    else throw new PickleUnsupportedError('a reduction must name a registered class or function, or a PickleGlobal');
  }

  #saveReduce(
    callable: unknown,
    args: readonly unknown[],
    state: unknown,
    obj: object,
    listItems?: Iterable<unknown> | null,
    dictItems?: Iterable<readonly [unknown, unknown]> | null,
    newobj?: 'newobj' | 'newobj_ex',
    kwargs?: Map<unknown, unknown>,
  ): void {
    this.#saveCallable(callable);
    this.#saveTuple(args);
    if (newobj === 'newobj_ex') {
      if (this.#proto < 4) throw new PickleUnsupportedError('NEWOBJ_EX (keyword arguments to __new__) needs protocol 4 or higher');
      this.#save(kwargs ?? new Map());
      this.#byte(op.NEWOBJ_EX);
    } else {
      this.#byte(newobj === 'newobj' ? op.NEWOBJ : op.REDUCE);
    }
    const seen = this.#memo.get(obj);
    if (seen !== undefined) {
      // The arguments referred back to the object itself: drop the new one and use the first.
      this.#byte(op.POP);
      this.#memoGet(seen);
    } else {
      this.#memoPut(obj);
    }
    if (listItems !== undefined && listItems !== null) this.#batchAppends(listItems);
    if (dictItems !== undefined && dictItems !== null) this.#batchSetItems(dictItems);
    if (state !== undefined && state !== null) {
      this.#save(state);
      this.#byte(op.BUILD);
    }
  }

  #savePickleObject(value: PickleObject): void {
    this.#saveReduce(
      value.callable,
      value.args,
      value.state,
      value,
      value.listItems.length > 0 ? value.listItems : null,
      value.dictItems.length > 0 ? value.dictItems : null,
      value.kind === 'reduce' ? undefined : value.kind,
      value.kwargs,
    );
  }

  #saveInstance(value: object, entry: RegisteredClass): void {
    const hooks = entry.hooks;
    const self = value as { __reduce__?: unknown; __getnewargs__?: unknown; __getstate__?: unknown };
    let reduction: Reduction | undefined;
    if (hooks.reduce !== undefined) reduction = hooks.reduce(value);
    else if (typeof self.__reduce__ === 'function') reduction = (self.__reduce__ as () => Reduction).call(value);
    if (reduction !== undefined) {
      if (!Array.isArray(reduction) || reduction.length < 2 || !Array.isArray(reduction[1])) {
        throw new TypeError(expected(`${entry.module}.${entry.name} reduce()`, 'an array [callable, args, state?, listItems?, dictItems?]', reduction));
      }
      const [callable, args, state, listItems, dictItems] = reduction;
      this.#saveReduce(callable, args, state, value, listItems, dictItems);
      return;
    }
    const newArgs =
      hooks.getNewArgs !== undefined
        ? hooks.getNewArgs(value)
        : typeof self.__getnewargs__ === 'function'
          ? (self.__getnewargs__ as () => readonly unknown[]).call(value)
          : [];
    let state: unknown;
    if (hooks.getState !== undefined) state = hooks.getState(value);
    else if (typeof self.__getstate__ === 'function') state = (self.__getstate__ as () => unknown).call(value);
    else {
      const keys = Object.keys(value);
      if (keys.length > 0) {
        const dict = new Map<string, unknown>();
        for (const key of keys) dict.set(key, (value as Record<string, unknown>)[key]);
        state = dict;
      }
    }
    this.#saveReduce(value.constructor, newArgs, state, value, null, null, 'newobj');
  }

  #saveTuple(items: readonly unknown[]): void {
    const n = items.length;
    if (n === 0) {
      this.#byte(op.EMPTY_TUPLE);
      return;
    }
    const self = items instanceof Tuple ? items : undefined;
    if (n <= 3) {
      for (let i = 0; i < n; i++) this.#save(items[i]);
      const seen = self === undefined ? undefined : this.#memo.get(self);
      if (seen !== undefined) {
        // The tuple was reached through its own items: pop them and refer to it.
        for (let i = 0; i < n; i++) this.#byte(op.POP);
        this.#memoGet(seen);
        return;
      }
      this.#byte(n === 1 ? op.TUPLE1 : n === 2 ? op.TUPLE2 : op.TUPLE3);
    } else {
      this.#byte(op.MARK);
      for (let i = 0; i < n; i++) this.#save(items[i]);
      const seen = self === undefined ? undefined : this.#memo.get(self);
      if (seen !== undefined) {
        this.#byte(op.POP_MARK);
        this.#memoGet(seen);
        return;
      }
      this.#byte(op.TUPLE);
    }
    this.#memoPut(self ?? null);
  }

  #saveList(list: unknown[]): void {
    this.#byte(op.EMPTY_LIST);
    this.#memoPut(list);
    this.#batchAppends(list);
  }

  #batchAppends(items: Iterable<unknown>): void {
    if (Array.isArray(items)) {
      const n = items.length;
      if (n === 0) return;
      if (n === 1) {
        this.#save(items[0]);
        this.#byte(op.APPEND);
        return;
      }
      for (let start = 0; start < n; start += BATCHSIZE) {
        this.#byte(op.MARK);
        const stop = Math.min(n, start + BATCHSIZE);
        for (let i = start; i < stop; i++) this.#save(items[i]);
        this.#byte(op.APPENDS);
      }
      return;
    }
    this.#batchAppends(Array.from(items));
  }

  #saveDict(dict: Map<unknown, unknown> | Record<string, unknown>): void {
    this.#byte(op.EMPTY_DICT);
    this.#memoPut(dict);
    if (dict instanceof Map) this.#saveMapItems(dict);
    else this.#batchSetItems(Object.keys(dict).map((key) => [key, dict[key]] as const));
  }

  #saveMapItems(dict: Map<unknown, unknown>): void {
    const n = dict.size;
    if (n === 0) return;
    if (n === 1) {
      for (const [key, value] of dict) {
        this.#save(key);
        this.#save(value);
      }
      this.#byte(op.SETITEM);
      return;
    }
    let inBatch = 0;
    for (const [key, value] of dict) {
      if (inBatch === 0) this.#byte(op.MARK);
      this.#save(key);
      this.#save(value);
      if (++inBatch === BATCHSIZE) {
        this.#byte(op.SETITEMS);
        inBatch = 0;
      }
    }
    if (inBatch > 0) this.#byte(op.SETITEMS);
  }

  #batchSetItems(pairs: Iterable<readonly [unknown, unknown]>): void {
    const all = Array.isArray(pairs) ? (pairs as (readonly [unknown, unknown])[]) : Array.from(pairs);
    const n = all.length;
    if (n === 0) return;
    if (n === 1) {
      this.#save(all[0]![0]);
      this.#save(all[0]![1]);
      this.#byte(op.SETITEM);
      return;
    }
    for (let start = 0; start < n; start += BATCHSIZE) {
      this.#byte(op.MARK);
      const stop = Math.min(n, start + BATCHSIZE);
      for (let i = start; i < stop; i++) {
        this.#save(all[i]![0]);
        this.#save(all[i]![1]);
      }
      this.#byte(op.SETITEMS);
    }
  }

  #saveSet(set: Set<unknown>): void {
    if (this.#proto < 4) {
      this.#saveReduce(known.SET, [Array.from(set)], undefined, set);
      return;
    }
    this.#byte(op.EMPTY_SET);
    this.#memoPut(set);
    const items = Array.from(set);
    for (let start = 0; start < items.length; start += BATCHSIZE) {
      this.#byte(op.MARK);
      const stop = Math.min(items.length, start + BATCHSIZE);
      for (let i = start; i < stop; i++) this.#save(items[i]);
      this.#byte(op.ADDITEMS);
    }
  }

  #saveFrozenSet(set: FrozenSet<unknown>): void {
    if (this.#proto < 4) {
      this.#saveReduce(known.FROZENSET, [Array.from(set)], undefined, set);
      return;
    }
    this.#byte(op.MARK);
    for (const item of set) this.#save(item);
    const seen = this.#memo.get(set);
    if (seen !== undefined) {
      this.#byte(op.POP_MARK);
      this.#memoGet(seen);
      return;
    }
    this.#byte(op.FROZENSET);
    this.#memoPut(set);
  }
}

/** Writes `value` as a pickle (protocol 4 unless `protocol` says 2, 3 or 5); see docs/pickle.md for the mapping. */
let spare: Writer | undefined = new Writer();

export function dumps(value: unknown, options?: DumpOptions): Uint8Array {
  const resolved = resolveDumpOptions(options);
  // A hook that calls dumps again while this one runs gets a writer of its own.
  const writer = spare ?? new Writer();
  spare = undefined;
  writer.reset(resolved);
  try {
    return writer.dump(value);
  } finally {
    writer.release();
    spare = writer;
  }
}
