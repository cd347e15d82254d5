// ShareableList: Python's multiprocessing.shared_memory.ShareableList, byte for byte (PYTHON_INTEROP.md §2):
// a list of int, float, bool, str, bytes and None with fixed slots in one segment, shared with Python.
import { inspectCustom } from '../builtins.js';
import type { ErrorCodeOf } from '../error-codes.js';
import { checkObject, expected, MultiprocError, type MultiprocErrorOptions } from '../errors.js';
import { posixShmDir, resolveDir } from './location.js';
import { SharedMemory } from './shared-memory.js';
import { registerBuiltinHandle } from '../serialize/builtin-handles.js';

/** What a slot holds: int (number or bigint), float (number), bool, str, bytes (Uint8Array), None (null). */
export type ShareableItem = number | bigint | boolean | string | Uint8Array | null;

/** Runtime errors of a ShareableList: `ERR_MP_SL_ITEM_TOO_LARGE`, `ERR_MP_SL_NOT_FOUND`, `ERR_MP_SL_FORMAT`. */
export class ShareableListError extends MultiprocError {
  constructor(code: ErrorCodeOf<'ShareableListError'>, message: string, options: MultiprocErrorOptions = {}) {
    super(code, message, options);
  }
}

const enum Code { Value = 0, Str = 1, Bytes = 2, None = 3 }
const noneFormat = 'xxxxxx?x';
const boolFormat = 'xxxxxxx?';
const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;
const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

interface Packed {
  format: string;
  code: Code;
  /** The 8 bytes of a scalar, or the encoded str/bytes. */
  bytes: Uint8Array;
  /** The slot Python gives this value when it creates a list: 8, or for str/bytes `8 * (len // 8 + 1)`. */
  slot: number;
}

function scalar(write: (view: DataView) => void): Uint8Array {
  const bytes = new Uint8Array(8);
  write(new DataView(bytes.buffer));
  return bytes;
}

/** Python's `len(s)`: code points, not UTF-16 units. */
function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** Python sizes a str or bytes slot by `len(item)`, which counts characters for a str, never UTF-8 bytes. */
function textSlot(length: number): number {
  return 8 * (Math.floor(length / 8) + 1);
}

/** Python's type rules, checked before anything is written. */
function pack(value: unknown, name: string): Packed {
  if (value === null) return { format: noneFormat, code: Code.None, bytes: new Uint8Array(8), slot: 8 };
  if (typeof value === 'boolean') return { format: boolFormat, code: Code.Value, bytes: scalar((v) => v.setUint8(7, value ? 1 : 0)), slot: 8 };
  if (typeof value === 'bigint') {
    if (value < int64Min || value > int64Max) throw new RangeError(expected(name, 'an integer from -2^63 to 2^63-1 (struct.error: argument out of range)', value));
    return { format: 'q', code: Code.Value, bytes: scalar((v) => v.setBigInt64(0, value, true)), slot: 8 };
  }
  if (typeof value === 'number') {
    // JavaScript has one number type: a safe integer is stored as Python int, anything else as float.
    if (Number.isSafeInteger(value) && !Object.is(value, -0)) return { format: 'q', code: Code.Value, bytes: scalar((v) => v.setBigInt64(0, BigInt(value), true)), slot: 8 };
    return { format: 'd', code: Code.Value, bytes: scalar((v) => v.setFloat64(0, value, true)), slot: 8 };
  }
  if (typeof value === 'string') {
    // Python cannot encode a lone surrogate (UnicodeEncodeError); TextEncoder would store U+FFFD instead.
    if (loneSurrogate.test(value)) throw new TypeError(expected(name, 'a string Python can encode as UTF-8 (no lone surrogate)', value));
    return { format: 's', code: Code.Str, bytes: utf8.encode(value), slot: textSlot(codePoints(value)) };
  }
  if (value instanceof Uint8Array) return { format: 's', code: Code.Bytes, bytes: value, slot: textSlot(value.length) };
  throw new TypeError(expected(name, 'a number, bigint, boolean, string, Uint8Array or null (the types a Python ShareableList holds)', value));
}

function stripTrailingNuls(bytes: Uint8Array): Uint8Array {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return bytes.subarray(0, end);
}

function tooLarge(message: string): ShareableListError {
  return new ShareableListError('ERR_MP_SL_ITEM_TOO_LARGE', message);
}

export interface ShareableListOptions {
  /** Create with this name, or attach to it when no items are given. */
  name?: string;
  /** Keep the segment as a file in this folder instead of /dev/shm (Python only looks in /dev/shm). */
  dir?: string;
}

/**
 * Python's `ShareableList`, with the same bytes in its segment. `T` is what the caller says the items
 * are, `new ShareableList<number>([1, 2])`; it is never inferred from the items (a Python list may change an
 * item's type), and it is not checked when reading: a list Python wrote holds what Python put there.
 *
 * `list[i]` reads and `list[i] = v` writes like `get(i)`/`set(i, v)`: negative indexes count from the end and
 * an index out of range throws a RangeError (Python's IndexError) rather than giving `undefined`. Only
 * integer keys (`0`, `-1`, never `'01'` or `1.5`) are items; `in`, `Object.keys` and spreading `{...list}`
 * see no items, iterate the list for them.
 */
export class ShareableList<T extends ShareableItem = ShareableItem> implements Disposable, Iterable<T> {
  [index: number]: T;
  readonly shm: SharedMemory;
  readonly #length: number;
  readonly #offsets: number[];
  readonly #dataStart: number;
  readonly #formatsStart: number;
  readonly #codesStart: number;

  /**
   * Creates a list of `items` (with `name` if given), as Python's `ShareableList(sequence)`; with no items
   * and a `name`, attaches to that list; with neither, creates an empty list (Python's `ShareableList()`).
   */
  constructor(items?: Iterable<NoInfer<T>> | null, options: ShareableListOptions = {}) {
    let packed: Packed[] | undefined;
    checkObject('options', options);
    if (options.name !== undefined && typeof options.name !== 'string') throw new TypeError(expected('name', 'a segment name (a string)', options.name));
    if (options.dir !== undefined && typeof options.dir !== 'string') throw new TypeError(expected('dir', 'a folder path', options.dir));
    const segmentOptions = options.dir === undefined ? {} : { dir: options.dir };
    if ((items === undefined || items === null) && options.name !== undefined) {
      this.shm = SharedMemory.attach(options.name, segmentOptions);
      try {
        [this.#length, this.#offsets] = ShareableList.#readHeader(this.shm);
      } catch (error) {
        this.shm.close();
        throw error;
      }
    } else {
      const sequence: Iterable<unknown> = items ?? [];
      if (typeof sequence !== 'string' && (typeof sequence !== 'object' || !(Symbol.iterator in sequence))) throw new TypeError(expected('items', 'an iterable', sequence));
      packed = [...sequence].map((item, i) => pack(item, `items[${i}]`));
      const offsets = [0];
      packed.forEach((item, i) => {
        // Python's struct format for the slot must fit the 8 bytes a format gets (Python: AssertionError).
        if (`${item.slot}s`.length > 8) throw new RangeError(expected(`items[${i}]`, 'a str/bytes item shorter than 9,999,992 (the format must fit 8 characters)', `${item.bytes.length} bytes`));
        if (item.bytes.length > item.slot) {
          // Python would silently cut the UTF-8 bytes to the slot (and might not read them back): refuse instead.
          throw tooLarge(
            `items[${i}] is ${item.bytes.length} bytes of UTF-8 but Python sizes its slot by its characters: ${item.slot} bytes, and would ` +
              'truncate it; store it as bytes (a Uint8Array of its UTF-8) to get a slot that fits',
          );
        }
        offsets.push(offsets.at(-1)! + item.slot);
      });
      const n = packed.length;
      const size = 8 * (n + 2) + offsets[n]! + 9 * n;
      this.shm = SharedMemory.create(size, options.name === undefined ? segmentOptions : { ...segmentOptions, name: options.name });
      this.#length = n;
      this.#offsets = offsets;
      const view = new DataView(this.shm.buf);
      view.setBigInt64(0, BigInt(n), true);
      offsets.forEach((offset, i) => view.setBigInt64(8 + 8 * i, BigInt(offset), true));
    }
    this.#dataStart = 8 * (this.#length + 2);
    this.#formatsStart = this.#dataStart + this.#offsets[this.#length]!;
    this.#codesStart = this.#formatsStart + 8 * this.#length;
    packed?.forEach((item, i) => this.#write(i, item, true));
  }

  static create<T extends ShareableItem = ShareableItem>(items: Iterable<NoInfer<T>>, options: ShareableListOptions = {}): ShareableList<T> {
    checkObject('options', options);
    return new ShareableList<T>(items, options);
  }

  static attach<T extends ShareableItem = ShareableItem>(name: string, options: Pick<ShareableListOptions, 'dir'> = {}): ShareableList<T> {
    checkObject('options', options);
    if (typeof name !== 'string') throw new TypeError(expected('name', 'a segment name (a string)', name));
    return new ShareableList<T>(null, { ...options, name });
  }

  static #readHeader(shm: SharedMemory): [number, number[]] {
    const bad = (why: string): never => {
      throw new ShareableListError('ERR_MP_SL_FORMAT', `segment '${shm.name}' is not a ShareableList: ${why}`);
    };
    if (shm.size < 16) bad(`${shm.size} bytes is too small`);
    const view = new DataView(shm.buf);
    const n = Number(view.getBigInt64(0, true));
    if (n < 0 || 8 * (n + 2) + 9 * n > shm.size) bad(`its item count ${n} does not fit its ${shm.size} bytes`);
    const offsets: number[] = [];
    for (let i = 0; i <= n; i++) offsets.push(Number(view.getBigInt64(8 + 8 * i, true)));
    if (offsets[0] !== 0 || offsets.some((o, i) => i > 0 && o < offsets[i - 1]!)) bad('its slot offsets are not ascending from 0');
    if (8 * (n + 2) + offsets[n]! + 9 * n > shm.size) bad('its slots run past the end of the segment');
    return [n, offsets];
  }

  get length(): number {
    return this.#length;
  }

  /** The struct formats of all items joined, as Python's `format`. */
  get format(): string {
    let format = '';
    for (let i = 0; i < this.#length; i++) format += this.#format(i);
    return format;
  }

  /** Item `index` (negative counts from the end). Integers outside +-2^53 read as bigint. */
  get(index: number): T {
    const i = this.#index(index, 'index out of range');
    const format = this.#format(i);
    const code = new Int8Array(this.shm.buf, this.#codesStart + i, 1)[0]! as Code;
    if (code === Code.None) return null as T;
    const at = this.#dataStart + this.#offsets[i]!;
    const view = new DataView(this.shm.buf);
    if (format === 'q') {
      const value = view.getBigInt64(at, true);
      return (value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value) as T;
    }
    if (format === 'd') return view.getFloat64(at, true) as T;
    if (/^x*\?x*$/.test(format)) return (view.getUint8(at + format.indexOf('?')) !== 0) as T;
    const width = /^(\d*)s$/.exec(format);
    if (width !== null) {
      const raw = new Uint8Array(this.shm.buf, at, Number(width[1] === '' ? 1 : width[1]));
      if (code === Code.Str) return strictUtf8.decode(stripTrailingNuls(raw)) as T;
      return (code === Code.Bytes ? stripTrailingNuls(raw) : raw).slice() as T;
    }
    throw new ShareableListError('ERR_MP_SL_FORMAT', `item ${i} has struct format '${format}', which a ShareableList never writes`);
  }

  /**
   * Stores `value` in slot `index`, as Python's `sl[i] = v`. A str/bytes longer than the slot throws
   * `ERR_MP_SL_ITEM_TOO_LARGE` and changes nothing; so does every other error.
   */
  set(index: number, value: T): void {
    const i = this.#index(index, 'assignment index out of range');
    this.#write(i, pack(value, 'value'), false);
  }

  #write(i: number, packed: Packed, fresh: boolean): void {
    const width = this.#offsets[i + 1]! - this.#offsets[i]!;
    let format = packed.format;
    if (format === 's') {
      if (packed.bytes.length > width) throw tooLarge(`bytes/str item exceeds available storage: ${packed.bytes.length} bytes into a ${width}-byte slot`);
      const current = fresh ? '' : this.#format(i);
      format = current.endsWith('s') ? current : `${width}s`;
    }
    // Python's order: format and code first, then the data.
    const formatBytes = new Uint8Array(this.shm.buf, this.#formatsStart + 8 * i, 8);
    formatBytes.fill(0);
    utf8.encodeInto(format, formatBytes);
    new Int8Array(this.shm.buf, this.#codesStart + i, 1)[0] = packed.code;
    const at = this.#dataStart + this.#offsets[i]!;
    const fieldWidth = format.endsWith('s') ? Number(format.slice(0, -1) || 1) : 8;
    const field = new Uint8Array(this.shm.buf, at, fieldWidth);
    field.fill(0);
    field.set(packed.bytes.subarray(0, fieldWidth));
  }

  #format(i: number): string {
    const bytes = new Uint8Array(this.shm.buf, this.#formatsStart + 8 * i, 8);
    return String.fromCharCode(...stripTrailingNuls(bytes));
  }

  #index(index: number, message: string): number {
    if (typeof index !== 'number' || !Number.isInteger(index)) throw new TypeError(expected('index', 'an integer', index));
    const i = index < 0 ? index + this.#length : index;
    if (i < 0 || i >= this.#length) throw new RangeError(`${message}: ${index} (length ${this.#length})`);
    return i;
  }

  /** How many items equal `value` (bytes compare by content). */
  count(value: ShareableItem): number {
    return this.toArray().filter((item) => same(item, value)).length;
  }

  /** The first index holding `value`; `ERR_MP_SL_NOT_FOUND` when none does (Python's ValueError). */
  index(value: ShareableItem): number {
    const i = this.toArray().findIndex((item) => same(item, value));
    if (i < 0) throw new ShareableListError('ERR_MP_SL_NOT_FOUND', `${process.getBuiltinModule('node:util').inspect(value)} is not in this ShareableList`);
    return i;
  }

  toArray(): T[] {
    return Array.from({ length: this.#length }, (_, i) => this.get(i));
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.#length; i++) yield this.get(i);
  }

  /** Releases this handle's mapping. */
  close(): void {
    this.shm.close();
  }

  /** Removes the segment's name, everywhere. */
  unlink(): void {
    this.shm.unlink();
  }

  /** Closes, and the creating handle also unlinks. */
  [Symbol.dispose](): void {
    if (this.shm.created && !this.shm.closed) {
      try {
        this.shm.unlink();
      } catch {
        // unlinked by hand already
      }
    }
    this.close();
  }

  [inspectCustom](): string {
    return `ShareableList(${process.getBuiltinModule('node:util').inspect(this.toArray())}, name='${this.shm.name}')`;
  }
}

function same(a: ShareableItem, b: ShareableItem): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return a.length === b.length && a.every((byte, i) => byte === b[i]);
  if (typeof a === 'bigint' && typeof b === 'number') return Number.isInteger(b) && a === BigInt(b);
  if (typeof a === 'number' && typeof b === 'bigint') return same(b, a);
  return a === b;
}

/** `'0'` and `'-1'` are item keys; `'01'`, `'1.5'`, `'-0'` and other names are not. */
function itemKey(key: string | symbol): number | undefined {
  if (typeof key !== 'string' || key.length === 0 || key.length > 16) return undefined;
  const first = key.charCodeAt(0);
  if (first !== 0x2d && (first < 0x30 || first > 0x39)) return undefined;
  const n = Number(key);
  return Number.isSafeInteger(n) && String(n) === key ? n : undefined;
}

// `list[i]` without a Proxy per list: one Proxy sits between ShareableList.prototype and Object.prototype,
// so it is consulted only for names neither the instance nor the class has. Method and field lookups never
// reach it, and the receiver it is handed is the list itself, whose #private state get/set need.
Object.setPrototypeOf(
  ShareableList.prototype,
  new Proxy(Object.prototype, {
    get(target, key, receiver: unknown): unknown {
      const i = itemKey(key);
      if (i !== undefined && receiver instanceof ShareableList) return receiver.get(i);
      return Reflect.get(target, key, receiver);
    },
    set(target, key, value: ShareableItem, receiver: unknown) {
      const i = itemKey(key);
      if (i !== undefined && receiver instanceof ShareableList) {
        receiver.set(i, value);
        return true;
      }
      return Reflect.set(target, key, value, receiver);
    },
  }),
);

registerBuiltinHandle<ShareableList>({
  name: 'multiproc.ShareableList',
  type: ShareableList,
  toRef: (list) => (list.shm.dir === (resolveDir(undefined) ?? posixShmDir) ? { name: list.shm.name } : { name: list.shm.name, dir: list.shm.dir }),
  fromRef(ref) {
    const { name, dir } = (typeof ref === 'object' && ref !== null ? ref : {}) as { name?: unknown; dir?: unknown };
    if (typeof name !== 'string') throw new TypeError(expected('ref.name', 'a segment name', name));
    // As for SharedMemory: a folder from elsewhere is accepted only when it is this side's own segment folder.
    if (dir !== undefined && (typeof dir !== 'string' || dir !== resolveDir(undefined))) throw new TypeError(expected('ref.dir', "this process's own segment folder ($MULTIPROC_SHM_DIR)", dir));
    return ShareableList.attach(name);
  },
});
