// The containers a SyncManager serves, as Python's: list, dict, Namespace, Value, Array, and the iterator of a dict.
import { PythonError } from '../../pickle/python-error.js';
import { registerPickleClass, registerPickleFunction } from '../../pickle/registry.js';
import { Float, toTuple } from '../../pickle/types.js';
import { keywordParameters } from '../served.js';
import { hashKey, intOf, itemsOf, pyCompare, pyEquals, pyList, pyReprOf, Slice, typeName } from './python-values.js';

function error(cls: string, message?: unknown): PythonError {
  return new PythonError('builtins', cls, message === undefined ? [] : [message]);
}

function indexOf(index: unknown, length: number, message: string): number {
  const i = intOf(index, 'list indices');
  const at = i < 0 ? i + length : i;
  if (at < 0 || at >= length) throw error('IndexError', message);
  return at;
}

/** Python's `list`: every method a ListProxy calls, with Python's errors. */
export class ServedList {
  static readonly [keywordParameters] = { sort: ['key', 'reverse'], index: ['value', 'start', 'stop'] };
  #items: unknown[];

  constructor(iterable: unknown = []) {
    this.#items = itemsOf(iterable);
  }

  __len__(): number {
    return this.#items.length;
  }

  __contains__(value: unknown): boolean {
    return this.#items.some((item) => pyEquals(item, value));
  }

  __getitem__(index: unknown): unknown {
    if (index instanceof Slice) return index.positions(this.#items.length).map((at) => this.#items[at]);
    return this.#items[indexOf(index, this.#items.length, 'list index out of range')];
  }

  __setitem__(index: unknown, value: unknown): void {
    if (index instanceof Slice) {
      const items = itemsOf(value);
      const [start, stop, step] = index.indices(this.#items.length);
      if (step === 1) {
        this.#items.splice(start, Math.max(0, stop - start), ...items);
        return;
      }
      const positions = index.positions(this.#items.length);
      if (positions.length !== items.length) throw error('ValueError', `attempt to assign sequence of size ${items.length} to extended slice of size ${positions.length}`);
      positions.forEach((at, k) => (this.#items[at] = items[k]));
      return;
    }
    this.#items[indexOf(index, this.#items.length, 'list assignment index out of range')] = value;
  }

  __delitem__(index: unknown): void {
    if (index instanceof Slice) {
      const drop = new Set(index.positions(this.#items.length));
      this.#items = this.#items.filter((_, at) => !drop.has(at));
      return;
    }
    this.#items.splice(indexOf(index, this.#items.length, 'list assignment index out of range'), 1);
  }

  __add__(other: unknown): unknown[] {
    if (!Array.isArray(other) || typeName(other) !== 'list') throw error('TypeError', `can only concatenate list (not "${typeName(other)}") to list`);
    return [...this.#items, ...(other as unknown[])];
  }

  __mul__(n: unknown): unknown[] {
    const times = intOf(n, "can't multiply sequence by non-int; indices");
    const out: unknown[] = [];
    for (let k = 0; k < times; k++) out.push(...this.#items);
    return out;
  }

  __rmul__(n: unknown): unknown[] {
    return this.__mul__(n);
  }

  __imul__(n: unknown): unknown[] {
    this.#items = this.__mul__(n);
    return this.#items;
  }

  /** A reversed copy: Python sends its list_reverseiterator, which a client iterates the same way. */
  __reversed__(): unknown[] {
    return [...this.#items].reverse();
  }

  append(value: unknown): void {
    this.#items.push(value);
  }

  extend(iterable: unknown): void {
    this.#items.push(...itemsOf(iterable));
  }

  insert(index: unknown, value: unknown): void {
    let at = intOf(index, 'list indices');
    if (at < 0) at = Math.max(0, at + this.#items.length);
    this.#items.splice(Math.min(at, this.#items.length), 0, value);
  }

  pop(index: unknown = -1): unknown {
    if (this.#items.length === 0) throw error('IndexError', 'pop from empty list');
    return this.#items.splice(indexOf(index, this.#items.length, 'pop index out of range'), 1)[0];
  }

  remove(value: unknown): void {
    const at = this.#items.findIndex((item) => pyEquals(item, value));
    if (at < 0) throw error('ValueError', 'list.remove(x): x not in list');
    this.#items.splice(at, 1);
  }

  count(value: unknown): number {
    return this.#items.filter((item) => pyEquals(item, value)).length;
  }

  index(value: unknown, start: unknown = 0, stop: unknown = null): number {
    const [from, to] = new Slice(start, stop).indices(this.#items.length);
    for (let at = from; at < to; at++) if (pyEquals(this.#items[at], value)) return at;
    throw error('ValueError', `${pyReprOf(value)} is not in list`);
  }

  reverse(): void {
    this.#items.reverse();
  }

  sort(key: unknown = null, reverse: unknown = false): void {
    if (key !== null) throw error('TypeError', 'a served list sorts without a key function (a function cannot travel)');
    const sign = reverse === true || reverse === 1 ? -1 : 1;
    this.#items.sort((a, b) => sign * pyCompare(a, b));
  }

  toString(): string {
    return pyReprOf(this.#items);
  }
}

/** Python's `dict(mapping)`, so a served dict sent by value (`#GETVALUE`) is one for every reader. */
function pyDict(mapping: unknown = null): Map<unknown, unknown> {
  return new ServedDict(mapping).copy();
}

registerPickleFunction('builtins', 'dict', pyDict);

// `#GETVALUE` sends the served list by value: `list([...])`, a plain list for Python and for TypeScript.
registerPickleClass('multiproc.managers', 'ServedList', ServedList, {
  reduce: (list) => [pyList, [list.__getitem__(new Slice())]],
});

/** What a dict's `__iter__` gives: Python's iterator protocol (`__next__` raises StopIteration at the end). */
export class ServedIterator {
  readonly #items: Iterator<unknown>;

  constructor(items: Iterable<unknown>) {
    this.#items = items[Symbol.iterator]();
  }

  __next__(): unknown {
    const next = this.#items.next();
    if (next.done === true) throw error('StopIteration');
    return next.value;
  }

  send(): unknown {
    return this.__next__();
  }

  throw(type: unknown = null, value: unknown = null): never {
    throw value instanceof Error ? value : type instanceof Error ? type : error('Exception', 'thrown into the iterator');
  }

  close(): void {
    this.#items.return?.();
  }

  toString(): string {
    return '<dict_keyiterator object>';
  }
}

const noDefault = Symbol('no default');

/** Python's `dict`: keys by Python's hash and ==, in insertion order; every method a DictProxy calls. */
export class ServedDict {
  static readonly [keywordParameters] = { get: ['key', 'default'], setdefault: ['key', 'default'], update: ['other', '**'], pop: ['key', 'default'] };
  readonly #entries = new Map<string, [key: unknown, value: unknown]>();

  constructor(init: unknown = null, kwds: unknown = null) {
    this.update(init, kwds);
  }

  __len__(): number {
    return this.#entries.size;
  }

  __contains__(key: unknown): boolean {
    return this.#entries.has(hashKey(key));
  }

  __getitem__(key: unknown): unknown {
    const entry = this.#entries.get(hashKey(key));
    if (entry === undefined) throw error('KeyError', key);
    return entry[1];
  }

  __setitem__(key: unknown, value: unknown): void {
    const k = hashKey(key);
    const entry = this.#entries.get(k);
    if (entry === undefined) this.#entries.set(k, [key, value]);
    else entry[1] = value;
  }

  __delitem__(key: unknown): void {
    if (!this.#entries.delete(hashKey(key))) throw error('KeyError', key);
  }

  /** A live iterator over the keys, which fails as Python's does once the dict changed size. */
  __iter__(): ServedIterator {
    const entries = this.#entries;
    const size = entries.size;
    const inner = entries.values();
    const keys: Iterator<unknown> = {
      next: () => {
        if (entries.size !== size) throw error('RuntimeError', 'dictionary changed size during iteration');
        const next = inner.next();
        return next.done === true ? { done: true, value: undefined } : { done: false, value: next.value[0] };
      },
    };
    return new ServedIterator({ [Symbol.iterator]: () => keys });
  }

  clear(): void {
    this.#entries.clear();
  }

  copy(): Map<unknown, unknown> {
    return new Map(this.#entries.values());
  }

  get(key: unknown, fallback: unknown = null): unknown {
    const entry = this.#entries.get(hashKey(key));
    return entry === undefined ? fallback : entry[1];
  }

  /** As Python's DictProxy does, views come back as lists. */
  keys(): unknown[] {
    return [...this.#entries.values()].map(([key]) => key);
  }

  values(): unknown[] {
    return [...this.#entries.values()].map(([, value]) => value);
  }

  items(): unknown[] {
    return [...this.#entries.values()].map(([key, value]) => toTuple([key, value]));
  }

  pop(key: unknown, fallback: unknown = noDefault): unknown {
    const k = hashKey(key);
    const entry = this.#entries.get(k);
    if (entry === undefined) {
      if (fallback === noDefault) throw error('KeyError', key);
      return fallback;
    }
    this.#entries.delete(k);
    return entry[1];
  }

  popitem(): unknown {
    const last = [...this.#entries.keys()].at(-1);
    if (last === undefined) throw error('KeyError', 'popitem(): dictionary is empty');
    const entry = this.#entries.get(last)!;
    this.#entries.delete(last);
    return toTuple(entry);
  }

  setdefault(key: unknown, fallback: unknown = null): unknown {
    const k = hashKey(key);
    const entry = this.#entries.get(k);
    if (entry !== undefined) return entry[1];
    this.#entries.set(k, [key, fallback]);
    return fallback;
  }

  update(other: unknown = null, kwds: unknown = null): void {
    if (other instanceof Map) for (const [key, value] of other) this.__setitem__(key, value);
    else if (other !== null && other !== undefined) {
      for (const pair of itemsOf(other)) {
        if (!Array.isArray(pair) || pair.length !== 2) throw error('TypeError', 'cannot convert dictionary update sequence element to a sequence of length 2');
        this.__setitem__(pair[0], pair[1]);
      }
    }
    if (kwds instanceof Map) for (const [key, value] of kwds) this.__setitem__(key, value);
  }

  toString(): string {
    return pyReprOf(this.copy());
  }
}

/** Python's `multiprocessing.managers.Namespace(**kwds)`: attributes read, set and deleted by name. */
export class ServedNamespace {
  readonly attributes: Map<string, unknown>;

  constructor(kwds: unknown = null) {
    this.attributes = new Map();
    if (kwds instanceof Map) for (const [key, value] of kwds) this.attributes.set(String(key), value);
  }

  __getattribute__(name: unknown): unknown {
    if (typeof name !== 'string') throw error('TypeError', `attribute name must be string, not '${typeName(name)}'`);
    if (!this.attributes.has(name)) throw error('AttributeError', `'Namespace' object has no attribute '${name}'`);
    return this.attributes.get(name);
  }

  __setattr__(name: unknown, value: unknown): void {
    if (typeof name !== 'string') throw error('TypeError', `attribute name must be string, not '${typeName(name)}'`);
    this.attributes.set(name, value);
  }

  __delattr__(name: unknown): void {
    if (typeof name !== 'string' || !this.attributes.delete(name)) throw error('AttributeError', `'Namespace' object has no attribute '${String(name)}'`);
  }

  toString(): string {
    const shown = [...this.attributes].filter(([name]) => !name.startsWith('_')).map(([name, value]) => `${name}=${pyReprOf(value)}`);
    return `Namespace(${shown.sort().join(', ')})`;
  }
}

// `#GETVALUE` of a Namespace sends it by value: Python's class, its attributes as the state.
registerPickleClass('multiprocessing.managers', 'Namespace', ServedNamespace, {
  getNewArgs: () => [],
  getState: (ns) => new Map(ns.attributes),
  create: () => new ServedNamespace(),
  setState(ns, state) {
    if (state instanceof Map) for (const [key, value] of state) ns.attributes.set(String(key), value);
  },
});

/** Python's `multiprocessing.managers.Value(typecode, value)`: `get` and `set`, the typecode kept as given. */
export class ServedValue {
  constructor(
    readonly typecode: unknown,
    public value: unknown,
  ) {}

  get(): unknown {
    return this.value;
  }

  set(value: unknown): void {
    this.value = value;
  }

  toString(): string {
    return `Value(${pyReprOf(this.typecode)}, ${pyReprOf(this.value)})`;
  }
}

registerPickleClass('multiprocessing.managers', 'Value', ServedValue, {
  getNewArgs: () => [],
  getState: (value) => new Map<unknown, unknown>([['_typecode', value.typecode], ['_value', value.value]]),
  create: () => new ServedValue(null, null),
  setState(value, state) {
    if (state instanceof Map) {
      (value as { typecode: unknown }).typecode = state.get('_typecode');
      value.value = state.get('_value');
    }
  },
});

const integerRanges: Readonly<Record<string, readonly [bigint, bigint]>> = {
  b: [-(2n ** 7n), 2n ** 7n - 1n],
  B: [0n, 2n ** 8n - 1n],
  h: [-(2n ** 15n), 2n ** 15n - 1n],
  H: [0n, 2n ** 16n - 1n],
  i: [-(2n ** 31n), 2n ** 31n - 1n],
  I: [0n, 2n ** 32n - 1n],
  l: [-(2n ** 63n), 2n ** 63n - 1n],
  L: [0n, 2n ** 64n - 1n],
  q: [-(2n ** 63n), 2n ** 63n - 1n],
  Q: [0n, 2n ** 64n - 1n],
};

/** Python's `array.array(typecode, sequence)`, which SyncManager's `Array` serves: items checked for the typecode. */
export class ServedArray {
  readonly typecode: string;
  readonly #items: unknown[];

  constructor(typecode: unknown, sequence: unknown = [], _lock: unknown = true) {
    if (typeof typecode !== 'string' || !(typecode in integerRanges || typecode === 'f' || typecode === 'd' || typecode === 'u')) {
      throw error('ValueError', 'bad typecode (must be b, B, u, h, H, i, I, l, L, q, Q, f or d)');
    }
    this.typecode = typecode;
    this.#items = itemsOf(sequence).map((item) => this.#check(item));
  }

  #check(item: unknown): unknown {
    const range = integerRanges[this.typecode];
    if (range !== undefined) {
      if (typeof item === 'boolean' || (typeof item === 'number' && !Number.isInteger(item)) || (typeof item !== 'number' && typeof item !== 'bigint')) {
        throw error('TypeError', `'${typeName(item)}' object cannot be interpreted as an integer`);
      }
      const n = BigInt(item);
      if (n < range[0] || n > range[1]) throw error('OverflowError', `the value ${n} is out of range for typecode '${this.typecode}'`);
      return item;
    }
    if (this.typecode === 'u') {
      if (typeof item !== 'string' || [...item].length !== 1) throw error('TypeError', `array item must be a unicode character, not ${typeName(item)}`);
      return item;
    }
    if (item instanceof Float) return item.value;
    if (typeof item !== 'number' && typeof item !== 'bigint') throw error('TypeError', `must be real number, not ${typeName(item)}`);
    return this.typecode === 'f' ? Math.fround(Number(item)) : Number(item);
  }

  __len__(): number {
    return this.#items.length;
  }

  __getitem__(index: unknown): unknown {
    if (index instanceof Slice) return index.positions(this.#items.length).map((at) => this.#items[at]);
    return this.#items[indexOf(index, this.#items.length, 'array index out of range')];
  }

  __setitem__(index: unknown, value: unknown): void {
    if (index instanceof Slice) {
      const positions = index.positions(this.#items.length);
      const items = itemsOf(value);
      if (positions.length !== items.length) throw error('ValueError', 'a served array keeps its length: assign as many items as the slice selects');
      positions.forEach((at, k) => (this.#items[at] = this.#check(items[k])));
      return;
    }
    this.#items[indexOf(index, this.#items.length, 'array assignment index out of range')] = this.#check(value);
  }

  toString(): string {
    return `array('${this.typecode}', ${pyReprOf(this.#items)})`;
  }
}

registerPickleClass('multiproc.managers', 'ServedDict', ServedDict, {
  reduce: (dict) => [pyDict, [dict.copy()]],
});
