// Python's sharedctypes typecodes with their x86-64 Linux sizes, and the typed array that views each.
import { expected } from '../errors.js';

export type Typecode = 'c' | 'b' | 'B' | 'h' | 'H' | 'i' | 'I' | 'l' | 'L' | 'q' | 'Q' | 'f' | 'd';
export type BigTypecode = 'l' | 'L' | 'q' | 'Q';
export type NumberTypecode = Exclude<Typecode, BigTypecode | 'c'>;

/**
 * The JavaScript value a typecode reads as: a 1-byte Uint8Array for `'c'` (Python's `c_char` is a 1-byte
 * `bytes`), bigint for the 64-bit integers, number otherwise.
 */
export type ValueOf<T extends Typecode> = T extends 'c' ? Uint8Array : T extends BigTypecode ? bigint : number;

/** What a typecode's setters take: its value type, or a number (for `'c'`, an integer 0..255, as ctypes takes). */
export type InputOf<T extends Typecode> = ValueOf<T> | number;

export interface TypedArrayOf {
  c: Uint8Array; b: Int8Array; B: Uint8Array; h: Int16Array; H: Uint16Array; i: Int32Array; I: Uint32Array;
  l: BigInt64Array; L: BigUint64Array; q: BigInt64Array; Q: BigUint64Array; f: Float32Array; d: Float64Array;
}

type AnyTypedArray = TypedArrayOf[Typecode];
type ViewConstructor = new (buffer: SharedArrayBuffer, byteOffset: number, length: number) => AnyTypedArray;

const views: Record<Typecode, ViewConstructor> = {
  c: Uint8Array, b: Int8Array, B: Uint8Array, h: Int16Array, H: Uint16Array, i: Int32Array, I: Uint32Array,
  l: BigInt64Array, L: BigUint64Array, q: BigInt64Array, Q: BigUint64Array, f: Float32Array, d: Float64Array,
};

export const typecodes = Object.keys(views) as Typecode[];

/** A typecode Python does not know is a TypeError there too (ctypes: "this type has no size"). */
export function checkTypecode(typecode: unknown): asserts typecode is Typecode {
  if (typeof typecode !== 'string' || !Object.hasOwn(views, typecode)) {
    throw new TypeError(expected('typecode', `one of Python's typecodes ${typecodes.map((c) => `'${c}'`).join(' ')}`, typecode));
  }
}

export function isFloat(typecode: Typecode): boolean {
  return typecode === 'f' || typecode === 'd';
}

export function isBig(typecode: Typecode): typecode is BigTypecode {
  return typecode === 'l' || typecode === 'L' || typecode === 'q' || typecode === 'Q';
}

/** Bytes per item: c_char 1, short 2, int 4, long 8 (LP64), float 4, double 8. */
export function itemSize(typecode: Typecode): number {
  return (views[typecode] as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
}

export function viewOf<T extends Typecode>(typecode: T, buffer: SharedArrayBuffer, byteOffset: number, length: number): TypedArrayOf[T] {
  return new views[typecode](buffer, byteOffset, length) as TypedArrayOf[T];
}

/** Converts what a user gives into what the view stores (a number where a bigint is needed, and back). */
export function toStored(typecode: Typecode, value: unknown, name = 'value'): number | bigint {
  if (typecode === 'c') {
    // ctypes' c_char takes a 1-byte bytes or an int; a str is refused there, so it is here.
    if (value instanceof Uint8Array && value.length === 1) return value[0]!;
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 255) return value;
    throw new TypeError(expected(name, "one byte for typecode 'c': a Uint8Array of length 1 or an integer from 0 to 255", value));
  }
  if (isBig(typecode)) {
    if (typeof value === 'bigint') return value;
    if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
    throw new TypeError(expected(name, `an integer (bigint or number) for typecode '${typecode}'`, value));
  }
  if (typeof value === 'number') {
    // ctypes refuses a float for an integer type (TypeError there: int expected); NaN and fractions would be
    // stored as 0 or truncated here without a word.
    if (!isFloat(typecode) && !Number.isInteger(value)) throw new RangeError(expected(name, `an integer for typecode '${typecode}'`, value));
    return value;
  }
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  throw new TypeError(expected(name, `a number for typecode '${typecode}'`, value));
}

/** What the view holds as what the user reads: a fresh 1-byte Uint8Array for `'c'`, the item otherwise. */
export function fromStored<T extends Typecode>(typecode: T, stored: number | bigint | undefined): ValueOf<T> {
  return (typecode === 'c' ? Uint8Array.of(stored as number) : stored) as ValueOf<T>;
}
