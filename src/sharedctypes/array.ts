// RawArray and Array: a fixed-length typed array in shared memory, as Python's sharedctypes.RawArray and Array.
import { expected } from '../errors.js';
import { Kind } from '../sync/region.js';
import { attachParts, createParts, SharedCtype, type CtypeRef, type Parts, type SynchronizedOptions } from './shared-ctype.js';
import { checkTypecode, toStored, type Typecode, type ValueOf } from './typecodes.js';
import { refHandle, registerBuiltinHandle } from '../serialize/builtin-handles.js';

/** A length, or the initial items (a string or bytes for typecode 'c'). */
export type SizeOrInitializer<T extends Typecode> = number | Iterable<ValueOf<T> | number> | (T extends 'c' ? string : never);

function initialItems(typecode: Typecode, sizeOrInitializer: unknown): { length: number; items: Iterable<unknown> | undefined } {
  if (typeof sizeOrInitializer === 'number') {
    if (!Number.isInteger(sizeOrInitializer) || sizeOrInitializer < 0) throw new RangeError(expected('size', 'a non-negative integer', sizeOrInitializer));
    return { length: sizeOrInitializer, items: undefined };
  }
  if (typecode === 'c' && typeof sizeOrInitializer === 'string') {
    const bytes = new TextEncoder().encode(sizeOrInitializer);
    return { length: bytes.length, items: bytes };
  }
  if (typeof sizeOrInitializer === 'object' && sizeOrInitializer !== null && Symbol.iterator in sizeOrInitializer) {
    const items = [...(sizeOrInitializer as Iterable<unknown>)];
    return { length: items.length, items };
  }
  throw new TypeError(expected('sizeOrInitializer', 'a length or an iterable of initial items', sizeOrInitializer));
}

/** A typed array with no lock: Python's `RawArray(typecode, size_or_initializer)`. */
export class RawArray<T extends Typecode = Typecode> extends SharedCtype<T> {
  constructor(typecode: T, sizeOrInitializer: SizeOrInitializer<T>, parts?: Parts) {
    checkTypecode(typecode);
    const { length, items } = initialItems(typecode, sizeOrInitializer);
    const stored = items === undefined ? [] : [...items].map((item, i) => toStored(typecode, item, `sizeOrInitializer[${i}]`));
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
    return this.view[this.#index(index)] as ValueOf<T>;
  }

  set(index: number, value: ValueOf<T> | number): void {
    this.view[this.#index(index)] = toStored(this.typecode, value);
  }

  /** A copy of the items as a plain array. */
  toArray(): ValueOf<T>[] {
    return Array.from(this.view as unknown as ArrayLike<ValueOf<T>>);
  }

  *[Symbol.iterator](): IterableIterator<ValueOf<T>> {
    for (let i = 0; i < this.length_; i++) yield this.view[i] as ValueOf<T>;
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
    // An iterator can be read once: keep its items for RawArray's constructor.
    const initializer = (typeof sizeOrInitializer === 'object' && sizeOrInitializer !== null ? [...sizeOrInitializer] : sizeOrInitializer) as SizeOrInitializer<T>;
    super(typecode, initializer, parts ?? createParts(Kind.Array, typecode, initialItems(typecode, initializer).length, options.lock ?? true));
  }

  static override fromRef<T extends Typecode = Typecode>(ref: CtypeRef): SharedArray<T> {
    return new SharedArray<T>(ref.typecode as T, ref.length, {}, attachParts(ref, Kind.Array));
  }
}

registerBuiltinHandle(refHandle('multiproc.RawArray', RawArray, (ref: CtypeRef) => RawArray.fromRef(ref)));
registerBuiltinHandle(refHandle('multiproc.Array', SharedArray, (ref: CtypeRef) => SharedArray.fromRef(ref)));
