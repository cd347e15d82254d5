// Byte-level helpers shared by encoder and decoder: float64 scratch and Node's native UTF-8 routines.

/** A float64 and its eight bytes, little-endian on the wire whatever the platform. */
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const reversed = new Uint8Array(8);

export function readFloat64(data: Uint8Array, pos: number): number {
  if (littleEndian) {
    for (let i = 0; i < 8; i++) f64Bytes[i] = data[pos + i]!;
  } else {
    for (let i = 0; i < 8; i++) f64Bytes[7 - i] = data[pos + i]!;
  }
  return f64[0]!;
}

/** Wire-order bytes of a float64 (copies into the shared scratch on big-endian platforms). */
export function float64WireBytes(value: number): Uint8Array {
  f64[0] = value;
  if (littleEndian) return f64Bytes;
  for (let i = 0; i < 8; i++) reversed[i] = f64Bytes[7 - i]!;
  return reversed;
}

/**
 * The wire bytes (little-endian) of an array whose elements are all int32 numbers (not -0), or undefined when
 * one is not. One pass checks and stores, and the engine copies the block: element by element, a long array
 * of numbers cost several times more, most of all before the codec's own code is optimized.
 */
export function int32RunBytes(values: readonly unknown[]): Uint8Array | undefined {
  const length = values.length;
  // Most arrays that are not runs say so at their first element: no block is allocated for them.
  const first = values[0];
  if (typeof first !== 'number' || (first | 0) !== first) return undefined;
  const run = new Int32Array(length);
  for (let i = 0; i < length; i++) {
    const item = values[i];
    if (typeof item !== 'number' || (item | 0) !== item || (item === 0 && 1 / item < 0)) return undefined;
    run[i] = item;
  }
  const bytes = new Uint8Array(run.buffer);
  if (!littleEndian) for (let i = 0; i < bytes.length; i += 4) bytes.subarray(i, i + 4).reverse();
  return bytes;
}

/** The `length` int32 numbers of a run starting at `pos`, as a plain array. */
export function readInt32Run(data: Uint8Array, pos: number, length: number): number[] {
  const bytes = data.slice(pos, pos + length * 4);
  if (!littleEndian) for (let i = 0; i < bytes.length; i += 4) bytes.subarray(i, i + 4).reverse();
  const run = new Int32Array(bytes.buffer, 0, length);
  // A plain loop: Array.from over a typed array takes about five times as long here.
  const values = new Array<number>(length);
  for (let i = 0; i < length; i++) values[i] = run[i]!;
  return values;
}

// Buffer's own UTF-8/Latin-1 routines accept any Uint8Array and skip TextEncoder's per-call view
// allocation; they are what Buffer#write and Buffer#toString use underneath.
interface NativeStringMethods {
  utf8Write: (this: Uint8Array, text: string, offset: number, length: number) => number;
  utf8Slice: (this: Uint8Array, start: number, end: number) => string;
  latin1Slice: (this: Uint8Array, start: number, end: number) => string;
}
const native = Buffer.prototype as unknown as NativeStringMethods;
const nativeUtf8Write = native.utf8Write;
const nativeUtf8Slice = native.utf8Slice;
const nativeLatin1Slice = native.latin1Slice;

/** Writes `text` as UTF-8 at `offset` (the caller made room for 3 bytes a char); returns bytes written. */
export function utf8Write(target: Uint8Array, text: string, offset: number): number {
  return nativeUtf8Write.call(target, text, offset, target.length - offset);
}

export function utf8Slice(data: Uint8Array, start: number, end: number): string {
  return nativeUtf8Slice.call(data, start, end);
}

export function latin1Slice(data: Uint8Array, start: number, end: number): string {
  return nativeLatin1Slice.call(data, start, end);
}

const fromCharCode = String.fromCharCode;

/**
 * An ASCII string of up to 31 bytes; up to 16 built in JavaScript: for keys and short values this is about
 * twice as fast as a call into latin1Slice, and one-character strings come from V8's cache.
 */
export function shortAscii(d: Uint8Array, p: number, length: number): string {
  switch (length) {
    case 0:
      return '';
    case 1:
      return fromCharCode(d[p]!);
    case 2:
      return fromCharCode(d[p]!, d[p + 1]!);
    case 3:
      return fromCharCode(d[p]!, d[p + 1]!, d[p + 2]!);
    case 4:
      return fromCharCode(d[p]!, d[p + 1]!, d[p + 2]!, d[p + 3]!);
    case 5:
      return fromCharCode(d[p]!, d[p + 1]!, d[p + 2]!, d[p + 3]!, d[p + 4]!);
    case 6:
      return fromCharCode(d[p]!, d[p + 1]!, d[p + 2]!, d[p + 3]!, d[p + 4]!, d[p + 5]!);
    case 7:
      return fromCharCode(d[p]!, d[p + 1]!, d[p + 2]!, d[p + 3]!, d[p + 4]!, d[p + 5]!, d[p + 6]!);
    case 8:
      return fromCharCode(d[p]!, d[p + 1]!, d[p + 2]!, d[p + 3]!, d[p + 4]!, d[p + 5]!, d[p + 6]!, d[p + 7]!);
    case 9:
      return fromCharCode(d[p]!, d[p + 1]!, d[p + 2]!, d[p + 3]!, d[p + 4]!, d[p + 5]!, d[p + 6]!, d[p + 7]!, d[p + 8]!);
    case 10:
      return fromCharCode(d[p]!, d[p + 1]!, d[p + 2]!, d[p + 3]!, d[p + 4]!, d[p + 5]!, d[p + 6]!, d[p + 7]!, d[p + 8]!, d[p + 9]!);
    case 11:
      return fromCharCode(d[p]!, d[p + 1]!, d[p + 2]!, d[p + 3]!, d[p + 4]!, d[p + 5]!, d[p + 6]!, d[p + 7]!, d[p + 8]!, d[p + 9]!, d[p + 10]!);
    case 12:
      return fromCharCode(d[p]!, d[p + 1]!, d[p + 2]!, d[p + 3]!, d[p + 4]!, d[p + 5]!, d[p + 6]!, d[p + 7]!, d[p + 8]!, d[p + 9]!, d[p + 10]!, d[p + 11]!);
    case 13:
      return fromCharCode(d[p]!, d[p + 1]!, d[p + 2]!, d[p + 3]!, d[p + 4]!, d[p + 5]!, d[p + 6]!, d[p + 7]!, d[p + 8]!, d[p + 9]!, d[p + 10]!, d[p + 11]!, d[p + 12]!);
    case 14:
      return fromCharCode(d[p]!, d[p + 1]!, d[p + 2]!, d[p + 3]!, d[p + 4]!, d[p + 5]!, d[p + 6]!, d[p + 7]!, d[p + 8]!, d[p + 9]!, d[p + 10]!, d[p + 11]!, d[p + 12]!, d[p + 13]!);
    case 15:
      return fromCharCode(d[p]!, d[p + 1]!, d[p + 2]!, d[p + 3]!, d[p + 4]!, d[p + 5]!, d[p + 6]!, d[p + 7]!, d[p + 8]!, d[p + 9]!, d[p + 10]!, d[p + 11]!, d[p + 12]!, d[p + 13]!, d[p + 14]!);
    case 16:
      return fromCharCode(d[p]!, d[p + 1]!, d[p + 2]!, d[p + 3]!, d[p + 4]!, d[p + 5]!, d[p + 6]!, d[p + 7]!, d[p + 8]!, d[p + 9]!, d[p + 10]!, d[p + 11]!, d[p + 12]!, d[p + 13]!, d[p + 14]!, d[p + 15]!);
    default:
      return latin1Slice(d, p, p + length);
  }
}

/**
 * Bytes that will be overwritten at once, so zero-filling them is wasted work (for a 4 MiB array it is
 * a third of the round trip). Buffer.allocUnsafeSlow gives memory of its own, never a pool slice.
 */
export function uninitializedBytes(size: number): Uint8Array {
  const buffer = Buffer.allocUnsafeSlow(size);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, size);
}

/** A fresh ArrayBuffer holding `length` bytes of `data` from `start`. */
export function copyOut(data: Uint8Array, start: number, length: number): ArrayBuffer {
  const bytes = uninitializedBytes(length);
  bytes.set(data.subarray(start, start + length));
  return bytes.buffer as ArrayBuffer;
}

/** The first `length` bytes of `target` in a new array; a loop beats slice() for the tiny messages of a hot path. */
export function copyHead(target: Uint8Array, length: number): Uint8Array {
  if (length > 64) return target.slice(0, length);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = target[i]!;
  return out;
}
