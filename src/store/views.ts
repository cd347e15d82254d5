// Typed arrays as a store lays them out: their classes, their numpy dtypes, their places in a segment.

/** Where the bulk of a value starts is a multiple of this (a cache line; what numpy and Arrow align to). */
export const alignment = 64;

const typedArrays = {
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
} as const;

/** The constructor names a shared view can have; `Buffer` is Node's Uint8Array. */
export type ViewType = keyof typeof typedArrays | 'Buffer';

/** numpy's dtype string for each view type (little-endian, as every platform Node runs on). */
export const numpyDtypes: Readonly<Record<ViewType, string>> = {
  Int8Array: '|i1', Uint8Array: '|u1', Uint8ClampedArray: '|u1', Buffer: '|u1', Int16Array: '<i2', Uint16Array: '<u2',
  Int32Array: '<i4', Uint32Array: '<u4', Float32Array: '<f4', Float64Array: '<f8', BigInt64Array: '<i8', BigUint64Array: '<u8',
};

/** One typed array in a segment. */
export interface ViewSlot {
  type: ViewType;
  /** Bytes from the segment's start. */
  offset: number;
  /** Elements. */
  length: number;
}

/** `offset` rounded up to the alignment. */
export function align(offset: number): number {
  return Math.ceil(offset / alignment) * alignment;
}

/** The view class a store lays out as it is, or undefined for one of another class (a DataView, a subclass). */
export function viewTypeOf(value: ArrayBufferView): ViewType | undefined {
  if (Buffer.isBuffer(value)) return 'Buffer';
  for (const [name, ctor] of Object.entries(typedArrays)) if (Object.getPrototypeOf(value) === ctor.prototype) return name as ViewType;
  return undefined;
}

/** The bytes a view covers. */
export function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** A view of `slot`'s class on `buffer` (with `copy`, a private copy of it). */
export function viewOn(buffer: SharedArrayBuffer, slot: ViewSlot, copy: boolean): ArrayBufferView {
  if (slot.type === 'Buffer') {
    const view = Buffer.from(buffer, slot.offset, slot.length);
    return copy ? Buffer.from(view) : view;
  }
  // Every typed array takes (buffer, offset, length); the union of their constructor types does not say so.
  const View = typedArrays[slot.type] as unknown as new (buffer: ArrayBufferLike, offset: number, length: number) => Uint8Array;
  const view = new View(buffer, slot.offset, slot.length);
  return copy ? view.slice() : view;
}

/** One typed array of a stored object: where its elements are, for numpy or any other reader of the segment. */
export interface ArrayDescription {
  /** The typed array's class (`Buffer` for a Node Buffer). */
  type: ViewType;
  /** numpy's dtype string: `'<f8'` for a Float64Array. */
  dtype: string;
  shape: [number];
  /** Bytes from the start of the segment. */
  offset: number;
}

/** Bytes per element of a view type. */
export function elementBytes(type: ViewType): number {
  return type === 'Buffer' ? 1 : typedArrays[type].BYTES_PER_ELEMENT;
}
