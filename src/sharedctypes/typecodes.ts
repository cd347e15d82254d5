// Python's sharedctypes typecodes with their x86-64 Linux sizes, and the typed array that views each.
import { expected } from '../errors.js';

export type Typecode = 'c' | 'b' | 'B' | 'h' | 'H' | 'i' | 'I' | 'l' | 'L' | 'q' | 'Q' | 'f' | 'd';
export type BigTypecode = 'l' | 'L' | 'q' | 'Q';
export type NumberTypecode = Exclude<Typecode, BigTypecode>;

/** The JavaScript value a typecode reads as: bigint for the 64-bit integers, number otherwise. */
export type ValueOf<T extends Typecode> = T extends BigTypecode ? bigint : number;

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

export function checkTypecode(typecode: unknown): asserts typecode is Typecode {
  if (typeof typecode !== 'string' || !Object.hasOwn(views, typecode)) {
    throw new RangeError(expected('typecode', `one of Python's typecodes ${typecodes.map((c) => `'${c}'`).join(' ')}`, typecode));
  }
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
  if (isBig(typecode)) {
    if (typeof value === 'bigint') return value;
    if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
    throw new TypeError(expected(name, `an integer (bigint or number) for typecode '${typecode}'`, value));
  }
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  throw new TypeError(expected(name, `a number for typecode '${typecode}'`, value));
}
