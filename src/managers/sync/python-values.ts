// Python's ==, hash, < and repr over unpickled values, for the lists and dicts a SyncManager serves.
import { PythonError } from '../../pickle/python-error.js';
import { registerPickleClass, registerPickleFunction } from '../../pickle/registry.js';
import { ByteArray, Float, FrozenSet, Tuple } from '../../pickle/types.js';

/** Python's `slice(start, stop, step)`, which a Python client sends for `l[1:3]`. */
export class Slice {
  constructor(
    readonly start: unknown = null,
    readonly stop: unknown = null,
    readonly step: unknown = null,
  ) {}

  /** Python's `slice.indices(length)`: the start, stop and step clamped to a sequence of `length`. */
  indices(length: number): [start: number, stop: number, step: number] {
    const step = this.step === null ? 1 : intOf(this.step, 'slice indices');
    if (step === 0) throw new PythonError('builtins', 'ValueError', ['slice step cannot be zero']);
    const clamp = (value: unknown, fallback: number): number => {
      if (value === null) return fallback;
      let n = intOf(value, 'slice indices');
      if (n < 0) n += length;
      return step > 0 ? Math.min(Math.max(n, 0), length) : Math.min(Math.max(n, -1), length - 1);
    };
    return [clamp(this.start, step > 0 ? 0 : length - 1), clamp(this.stop, step > 0 ? length : -1), step];
  }

  /** The positions the slice selects in a sequence of `length`. */
  positions(length: number): number[] {
    const [start, stop, step] = this.indices(length);
    const out: number[] = [];
    for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
    return out;
  }
}

registerPickleClass('builtins', 'slice', Slice, {
  reduce: (slice) => [Slice, [slice.start, slice.stop, slice.step]],
  create: (args) => new Slice(args[0] ?? null, args[1] ?? null, args[2] ?? null),
});

/** Python's type name of a value, for error messages. */
export function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (value instanceof Float) return 'float';
  if (typeof value === 'string') return 'str';
  if (value instanceof ByteArray) return 'bytearray';
  if (value instanceof Uint8Array) return 'bytes';
  if (value instanceof Tuple) return 'tuple';
  if (Array.isArray(value)) return 'list';
  if (value instanceof Map) return 'dict';
  if (value instanceof FrozenSet) return 'frozenset';
  if (value instanceof Set) return 'set';
  if (value instanceof Slice) return 'slice';
  return (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name ?? 'object';
}

/** An int argument (a Python int or bool), else the TypeError Python raises. */
export function intOf(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  throw new PythonError('builtins', 'TypeError', [`${what} must be integers or slices, not ${typeName(value)}`]);
}

function numeric(value: unknown): number | bigint | undefined {
  if (typeof value === 'number' || typeof value === 'bigint') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Float) return value.value;
  return undefined;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** Python's `a == b` for plain data: 1 == 1.0 == True, a list never equals a tuple, dicts by their items. */
export function pyEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const x = numeric(a);
  const y = numeric(b);
  if (x !== undefined || y !== undefined) {
    if (x === undefined || y === undefined) return false;
    // A bigint and a number compare by value (==), as Python's ints and floats do.
    return x == y;
  }
  if (a instanceof Uint8Array && b instanceof Uint8Array) return sameBytes(a, b);
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a instanceof Tuple !== b instanceof Tuple || a.length !== b.length) return false;
    return a.every((item, i) => pyEquals(item, b[i]));
  }
  if (a instanceof Map && b instanceof Map) {
    if (a.size !== b.size) return false;
    const keyed = new Map([...b].map(([key, value]) => [hashKey(key), value]));
    return [...a].every(([key, value]) => {
      const k = hashKey(key);
      return keyed.has(k) && pyEquals(value, keyed.get(k));
    });
  }
  if (a instanceof Set && b instanceof Set) {
    if (a.size !== b.size) return false;
    const keys = new Set([...b].map(hashKey));
    return [...a].every((item) => keys.has(hashKey(item)));
  }
  return false;
}

const identities = new WeakMap<object, number>();
let nextIdentity = 1;

/** A string equal for two values exactly when Python's `hash` and `==` make them the same dict key; unhashable ones raise. */
export function hashKey(value: unknown): string {
  const n = numeric(value);
  if (n !== undefined) {
    if (typeof n === 'bigint') return `i${n}`;
    return Number.isInteger(n) ? `i${BigInt(n)}` : `f${n}`;
  }
  if (value === null || value === undefined) return 'N';
  if (typeof value === 'string') return `s${value}`;
  if (value instanceof Uint8Array && !(value instanceof ByteArray)) return `b${Buffer.from(value.buffer, value.byteOffset, value.length).toString('hex')}`;
  if (value instanceof Tuple) return `t${JSON.stringify(value.map(hashKey))}`;
  if (value instanceof FrozenSet) return `z${JSON.stringify([...value].map(hashKey).sort())}`;
  if (Array.isArray(value) || value instanceof Map || value instanceof Set || value instanceof ByteArray) {
    throw new PythonError('builtins', 'TypeError', [`unhashable type: '${typeName(value)}'`]);
  }
  if (typeof value === 'object' || typeof value === 'function') {
    let id = identities.get(value);
    if (id === undefined) identities.set(value, (id = nextIdentity++));
    return `o${id}`;
  }
  return `?${typeof value}`;
}

function rank(value: unknown): 'number' | 'str' | 'bytes' | 'list' | 'tuple' | undefined {
  if (numeric(value) !== undefined) return 'number';
  if (typeof value === 'string') return 'str';
  if (value instanceof Uint8Array) return 'bytes';
  if (value instanceof Tuple) return 'tuple';
  if (Array.isArray(value)) return 'list';
  return undefined;
}

/** Python's ordering of two values (`sort`): numbers, str, bytes, and lists or tuples item by item; other pairs raise. */
export function pyCompare(a: unknown, b: unknown): number {
  const kind = rank(a);
  if (kind === undefined || kind !== rank(b)) {
    throw new PythonError('builtins', 'TypeError', [`'<' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`]);
  }
  switch (kind) {
    case 'number': {
      const x = numeric(a)!;
      const y = numeric(b)!;
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'str':
      return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
    case 'bytes':
      return Buffer.compare(a as Uint8Array, b as Uint8Array);
    default: {
      const x = a as unknown[];
      const y = b as unknown[];
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        if (!pyEquals(x[i], y[i])) return pyCompare(x[i], y[i]);
      }
      return x.length - y.length;
    }
  }
}

function reprText(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const body = text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
  return quote + (quote === "'" ? body.replace(/'/g, "\\'") : body) + quote;
}

function reprNumber(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  return String(value);
}

/** Python's `repr()` of plain data, as `str(list)` on the server shows it (deep values shortened). */
export function pyReprOf(value: unknown, depth = 0): string {
  if (depth > 20) return '...';
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return reprNumber(value);
  if (typeof value === 'bigint') return String(value);
  if (value instanceof Float) return Number.isInteger(value.value) ? `${value.value}.0` : reprNumber(value.value);
  if (typeof value === 'string') return reprText(value);
  if (value instanceof Uint8Array) {
    const body = [...value].map((byte) => (byte >= 0x20 && byte < 0x7f && byte !== 0x27 && byte !== 0x5c ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`)).join('');
    return value instanceof ByteArray ? `bytearray(b'${body}')` : `b'${body}'`;
  }
  if (value instanceof Tuple) return value.length === 1 ? `(${pyReprOf(value[0], depth + 1)},)` : `(${value.map((item) => pyReprOf(item, depth + 1)).join(', ')})`;
  if (Array.isArray(value)) return `[${value.map((item) => pyReprOf(item, depth + 1)).join(', ')}]`;
  if (value instanceof Map) return `{${[...value].map(([key, item]) => `${pyReprOf(key, depth + 1)}: ${pyReprOf(item, depth + 1)}`).join(', ')}}`;
  if (value instanceof Set) {
    const items = [...value].map((item) => pyReprOf(item, depth + 1)).join(', ');
    if (value instanceof FrozenSet) return `frozenset({${items}})`;
    return value.size === 0 ? 'set()' : `{${items}}`;
  }
  // A class of its own with a toString (a served Namespace) says how it is shown; anything else as Python's <... object>.
  if (typeof value === 'object' && Object.prototype.hasOwnProperty.call(Object.getPrototypeOf(value), 'toString')) return (value as { toString(): string }).toString();
  return `<${typeName(value)} object>`;
}

/** The items of an iterable argument (`extend`, `list(x)`): a list, tuple, set, dict's keys, a str's characters. */
export function itemsOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return [...(value as unknown[])];
  if (value instanceof Map) return [...value.keys()];
  if (value instanceof Set) return [...(value as Set<unknown>)];
  if (typeof value === 'string') return [...value];
  if (value instanceof Uint8Array) return [...value];
  throw new PythonError('builtins', 'TypeError', [`'${typeName(value)}' object is not iterable`]);
}

// A dict's keys(), values() and items() views reduce to `list(...)` in Python's pickle, which builds a plain list.
/** Python's `list(iterable)`. */
export function pyList(iterable: unknown = []): unknown[] {
  return itemsOf(iterable);
}

registerPickleFunction('builtins', 'list', pyList);

/** The most items a `range` sent by a client is expanded to (a list of ten million numbers is already large). */
const rangeLimit = 10_000_000;

// `list(range(10))` from a Python client sends the range itself; it arrives as the list it stands for.
registerPickleFunction('builtins', 'range', (...args: unknown[]) => {
  const [start, stop, step] = args.length === 1 ? [0, intOf(args[0], 'range arguments'), 1] : [intOf(args[0], 'range arguments'), intOf(args[1], 'range arguments'), args[2] === undefined ? 1 : intOf(args[2], 'range arguments')];
  if (step === 0) throw new PythonError('builtins', 'ValueError', ['range() arg 3 must not be zero']);
  const length = Math.max(0, Math.ceil((stop - start) / step));
  if (length > rangeLimit) throw new PythonError('builtins', 'MemoryError', [`a range of ${length} items is past the ${rangeLimit} a server expands`]);
  return Array.from({ length }, (_, k) => start + k * step);
});
