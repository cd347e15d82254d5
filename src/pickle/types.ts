// The TypeScript forms of the Python values that have no JavaScript counterpart.

/** A Python tuple: an array that pickles back as a tuple. `Tuple.of(1, 2)`, `Tuple.from(items)`. */
export class Tuple<T = unknown> extends Array<T> {
  // map, filter, slice and the others that make a new array give plain arrays: their results are no longer the
  // tuple that came over the wire. Written as methods, not as a Symbol.species getter: with that getter on the
  // class, TurboFan's compiles of the Tuple constructor abort again and again in V8 11 ("Bailed out due to
  // dependency change"), `new Tuple(2)` costs some 480 ns instead of 12, and a manager message's load takes 5-7 us
  // instead of 2.5-2.8 in a process that mostly unpickles.
  override map<U>(callbackfn: (value: T, index: number, array: T[]) => U, thisArg?: unknown): U[] {
    const out = new Array<U>(this.length);
    for (let i = 0; i < this.length; i++) if (i in this) out[i] = callbackfn.call(thisArg, this[i]!, i, this);
    return out;
  }

  override filter<S extends T>(predicate: (value: T, index: number, array: T[]) => value is S, thisArg?: unknown): S[];
  override filter(predicate: (value: T, index: number, array: T[]) => unknown, thisArg?: unknown): T[];
  override filter(predicate: (value: T, index: number, array: T[]) => unknown, thisArg?: unknown): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.length; i++) if (i in this && predicate.call(thisArg, this[i]!, i, this)) out.push(this[i]!);
    return out;
  }

  override slice(start?: number, end?: number): T[] {
    return Array.from(this).slice(start, end);
  }

  override concat(...items: ConcatArray<T>[]): T[];
  override concat(...items: (T | ConcatArray<T>)[]): T[];
  override concat(...items: (T | ConcatArray<T>)[]): T[] {
    return Array.from(this).concat(...items);
  }

  override flat<A, D extends number = 1>(this: A, depth?: D): FlatArray<A, D>[] {
    return Array.from(this as unknown as unknown[]).flat(depth) as FlatArray<A, D>[];
  }

  override flatMap<U, This = undefined>(callback: (this: This, value: T, index: number, array: T[]) => U | readonly U[], thisArg?: This): U[] {
    return Array.from(this).flatMap((value, index) => callback.call(thisArg as This, value, index, this));
  }

  override splice(start: number, deleteCount?: number): T[];
  override splice(start: number, deleteCount: number, ...items: T[]): T[];
  override splice(...args: [number, number?, ...T[]]): T[] {
    return Array.from((Array.prototype.splice as (...a: unknown[]) => T[]).apply(this, args));
  }
}

/** `tuple(1, 'a')` is `Tuple.of(1, 'a')`. */
export function tuple<T extends unknown[]>(...items: T): Tuple<T[number]> {
  return toTuple(items);
}

/** A Tuple holding a copy of `items` (from index `start` on). */
export function toTuple<T>(items: readonly T[], start = 0): Tuple<T> {
  // Made at its length and filled: V8 re-prototypes an array (Object.setPrototypeOf) several times slower.
  const n = items.length - start;
  const t = new Tuple<T>(n);
  for (let i = 0; i < n; i++) t[i] = items[start + i]!;
  return t;
}

/** A Python bytearray: bytes that pickle back as a bytearray (a plain Uint8Array pickles as bytes). */
export class ByteArray extends Uint8Array {
  static get [Symbol.species](): Uint8ArrayConstructor {
    return Uint8Array;
  }
}

/** A Python frozenset (a plain Set is a Python set). */
export class FrozenSet<T = unknown> extends Set<T> {}

/** A `collections.OrderedDict` (a plain Map is a Python dict). */
export class OrderedDict<K = unknown, V = unknown> extends Map<K, V> {}

/** A Python complex number. */
export class Complex {
  constructor(
    readonly real: number,
    readonly imag: number,
  ) {}
}

/**
 * A Python float whose value is a whole number (`1.0`): a plain number that is a safe integer pickles as an int.
 * Loaded floats are plain numbers unless `loads(bytes, { floats: 'exact' })` is asked.
 */
export class Float {
  constructor(readonly value: number) {}

  valueOf(): number {
    return this.value;
  }
}

/** A `decimal.Decimal`, kept as its exact text (`'1.5'`, `'-Infinity'`, `'NaN'`). */
export class Decimal {
  constructor(readonly value: string) {}

  toString(): string {
    return this.value;
  }
}

/**
 * A global (`module.name`, a class or a function) kept by reference: a known Python name seen on its own, or, with
 * `unknownGlobals: 'keep'`, a name that is not on the allow-list. It pickles back as the same global.
 */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}

  toString(): string {
    return `${this.module}.${this.name}`;
  }
}

/**
 * An object built from a global that is not on the allow-list (`unknownGlobals: 'keep'`): what Python would have
 * called, with what, and the state and items it would have set. Nothing is run; it pickles back to the same bytes.
 */
export class PickleObject {
  /** `reduce`: `callable(*args)`; `newobj`: `cls.__new__(cls, *args)`; `newobj_ex`: with `kwargs` too. */
  kind: 'reduce' | 'newobj' | 'newobj_ex';
  callable: PickleGlobal;
  args: Tuple;
  kwargs: Map<unknown, unknown> | undefined;
  /** What `BUILD` gave (`__setstate__`'s argument), `undefined` when there was none. */
  state: unknown = undefined;
  /** Items `APPEND`ed to the object. */
  listItems: unknown[] = [];
  /** Pairs `SETITEM`ed on the object. */
  dictItems: [unknown, unknown][] = [];

  constructor(kind: PickleObject['kind'], callable: PickleGlobal, args: Tuple, kwargs?: Map<unknown, unknown>) {
    this.kind = kind;
    this.callable = callable;
    this.args = args;
    this.kwargs = kwargs;
  }

  get module(): string {
    return this.callable.module;
  }

  get name(): string {
    return this.callable.name;
  }
}
