// RawArray and Array: a fixed-length typed array in shared memory, as Python's sharedctypes.RawArray and Array.
import { expected } from '../errors.js';
import { Kind } from '../sync/region.js';
import { attachParts, checkParts, checkSynchronizedOptions, createParts, SharedCtype, type CtypeRef, type Parts, type SynchronizedOptions } from './shared-ctype.js';
import { checkTypecode, fromStored, toStored, type InputOf, type Typecode, type ValueOf } from './typecodes.js';
import { refHandle, registerBuiltinHandle } from '../serialize/builtin-handles.js';

/** A length, or the initial items (for typecode 'c', also the bytes themselves: a Uint8Array). */
export type SizeOrInitializer<T extends Typecode> = number | Iterable<InputOf<T>>;

function initialItems(typecode: Typecode, sizeOrInitializer: unknown): { length: number; items: unknown[] | undefined } {
  if (typeof sizeOrInitializer === 'number') {
    if (!Number.isInteger(sizeOrInitializer) || sizeOrInitializer < 0) throw new RangeError(expected('size', 'a non-negative integer', sizeOrInitializer));
    return { length: sizeOrInitializer, items: undefined };
  }
  if (typeof sizeOrInitializer === 'string') {
    // Python's Array('c', 'hi') is a TypeError too: c_char holds bytes, and an encoding is the caller's choice.
    const what = typecode === 'c' ? "bytes for typecode 'c' (a Uint8Array, e.g. new TextEncoder().encode(text)), a length or an iterable of items" : 'a length or an iterable of initial items';
    throw new TypeError(expected('sizeOrInitializer', what, sizeOrInitializer));
  }
  if (typeof sizeOrInitializer === 'object' && sizeOrInitializer !== null && Symbol.iterator in sizeOrInitializer) {
    const items = [...(sizeOrInitializer as Iterable<unknown>)];
    return { length: items.length, items };
  }
  throw new TypeError(expected('sizeOrInitializer', 'a length or an iterable of initial items', sizeOrInitializer));
}

/**
 * A typed array with no lock: Python's `RawArray(typecode, size_or_initializer)`. Items of typecode `'c'`
 * are 1-byte Uint8Arrays, and `value`/`raw` read and write the whole array as bytes, as Python's
 * `c_char` arrays do.
 */
export class RawArray<T extends Typecode = Typecode> extends SharedCtype<T> {
  constructor(typecode: T, sizeOrInitializer: SizeOrInitializer<T>, parts?: Parts) {
    checkTypecode(typecode);
    checkParts(parts, new.target.name);
    const { length, items } = initialItems(typecode, sizeOrInitializer);
    const stored = items === undefined ? [] : items.map((item, i) => toStored(typecode, item, `sizeOrInitializer[${i}]`));
    super(typecode, parts ?? createParts(Kind.Array, typecode, length, false));
    stored.forEach((item, i) => (this.view[i] = item));
  }

  static fromRef<T extends Typecode = Typecode>(ref: CtypeRef): RawArray<T> {
    return new RawArray<T>(ref.typecode as T, ref.length, attachParts(ref, Kind.Array));
  }

  get length(): number {
    return this.length_;
  }

  /** Item `index`; negative indexes count from the end, as in Python. */
  get(index: number): ValueOf<T> {
    return fromStored(this.typecode, this.view[this.#index(index)]);
  }

  set(index: number, value: InputOf<T>): void {
    this.view[this.#index(index)] = toStored(this.typecode, value);
  }

  /** A copy of the items as a plain array. */
  toArray(): ValueOf<T>[] {
    return Array.from(this);
  }

  *[Symbol.iterator](): IterableIterator<ValueOf<T>> {
    for (let i = 0; i < this.length_; i++) yield fromStored(this.typecode, this.view[i]);
  }

  /**
   * Typecode `'c'` only: the bytes up to the first NUL (a copy), as Python's `arr.value`. Setting writes the
   * bytes and a NUL after them when there is room; more bytes than the array holds is a RangeError.
   */
  get value(): Uint8Array {
    const bytes = this.#bytes('value');
    const end = bytes.indexOf(0);
    return bytes.slice(0, end < 0 ? bytes.length : end);
  }

  set value(bytes: Uint8Array) {
    const view = this.#bytes('value');
    this.#checkFits('value', bytes, view.length);
    view.set(bytes);
    if (bytes.length < view.length) view[bytes.length] = 0;
  }

  /** Typecode `'c'` only: all the bytes (a copy), as Python's `arr.raw`; setting writes them from byte 0. */
  get raw(): Uint8Array {
    return this.#bytes('raw').slice();
  }

  set raw(bytes: Uint8Array) {
    const view = this.#bytes('raw');
    this.#checkFits('raw', bytes, view.length);
    view.set(bytes);
  }

  #bytes(what: string): Uint8Array {
    if (this.typecode !== 'c') throw new TypeError(`\`${what}\` is there for typecode 'c' only (a ${this.typecode} array has items, use get(i) or view)`);
    return this.view as Uint8Array;
  }

  #checkFits(what: string, bytes: unknown, length: number): void {
    if (!(bytes instanceof Uint8Array)) throw new TypeError(expected(what, 'a Uint8Array', bytes));
    if (bytes.length > length) throw new RangeError(expected(what, `at most ${length} bytes (Python: byte string too long)`, `${bytes.length} bytes`));
  }

  #index(index: number): number {
    const i = Number.isInteger(index) && index < 0 ? index + this.length_ : index;
    if (!Number.isInteger(i) || i < 0 || i >= this.length_) throw new RangeError(expected('index', `an integer from ${-this.length_} to ${this.length_ - 1}`, index));
    return i;
  }
}

/** A typed array with a lock: Python's `Array(typecode, size_or_initializer, lock=True)`. */
export class SharedArray<T extends Typecode = Typecode> extends RawArray<T> {
  constructor(typecode: T, sizeOrInitializer: SizeOrInitializer<T>, options: SynchronizedOptions = {}, parts?: Parts) {
    checkTypecode(typecode);
    const { lock } = checkSynchronizedOptions(options);
    checkParts(parts, 'Array');
    // An iterator can be read once: keep its items for RawArray's constructor.
    const initializer = (typeof sizeOrInitializer === 'object' && sizeOrInitializer !== null ? [...sizeOrInitializer] : sizeOrInitializer) as SizeOrInitializer<T>;
    super(typecode, initializer, parts ?? createParts(Kind.Array, typecode, initialItems(typecode, initializer).length, lock ?? true));
  }

  static override fromRef<T extends Typecode = Typecode>(ref: CtypeRef): SharedArray<T> {
    return new SharedArray<T>(ref.typecode as T, ref.length, {}, attachParts(ref, Kind.Array));
  }
}

registerBuiltinHandle(refHandle('multiproc.RawArray', RawArray, (ref: CtypeRef) => RawArray.fromRef(ref)));
registerBuiltinHandle(refHandle('multiproc.Array', SharedArray, (ref: CtypeRef) => SharedArray.fromRef(ref)));
