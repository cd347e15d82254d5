// The codec's wire format: header, value tags and the typed-array kinds (see docs/serialize.md).

/** First two bytes of every encoded value: 'M' 'P'. */
export const magic0 = 0x4d;
export const magic1 = 0x50;
/** Bumped on any incompatible change; a decoder refuses versions it does not know. */
export const wireVersion = 1;
/** magic (2) + version (1) + flags (1). */
export const headerSize = 4;

/** Bits of the header's flags byte. */
export const Flag = {
  /** The value holds back-references: the decoder must remember every object (else it need not). */
  BackReferences: 1,
} as const;

/** A tag byte below 0x80 is itself a small non-negative integer (0..127). */
export const maxTagInt = 0x7f;

export const Tag = {
  Undefined: 0x80,
  Null: 0x81,
  False: 0x82,
  True: 0x83,
  Int32: 0x84,
  Float64: 0x85,
  BigInt: 0x86,
  String: 0x87,
  Array: 0x88,
  ShapeNew: 0x89,
  Shape: 0x8a,
  Dict: 0x8b,
  Ref: 0x8c,
  Date: 0x8d,
  RegExp: 0x8e,
  Map: 0x8f,
  Set: 0x90,
  ArrayBuffer: 0x91,
  OutOfBand: 0x92,
  View: 0x93,
  ViewBytes: 0x94,
  Error: 0x95,
  ClassNew: 0x96,
  Class: 0x97,
  Function: 0x98,
  Handle: 0x99,
  Shared: 0x9a,
  Boxed: 0x9b,
  Hole: 0x9c,
  SparseArray: 0x9d,
  /** An array of int32 numbers (no -0, no holes): varint length, then 4 bytes each, little-endian. */
  Int32Run: 0x9e,
  /** 0xa0..0xbf: an ASCII string of 0..31 bytes, the length in the low five bits. */
  ShortAscii: 0xa0,
} as const;

export const maxShortAscii = 31;

/** How a class instance's state follows its class reference. */
export const ClassMode = { Fields: 0, State: 1, InitArgs: 2, Reduce: 3 } as const;

/** Array-buffer view constructors by wire code; the index is the code. */
export const viewKinds = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
  DataView,
  Buffer,
] as const;

export type ViewConstructor = (typeof viewKinds)[number];

export const viewKindOf = new Map<unknown, number>(viewKinds.map((kind, code) => [kind, code]));

/** Built-in error classes by wire code; a registered error class is sent by reference instead. */
export const errorKinds = [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError, AggregateError] as const;

export const errorKindOf = new Map<unknown, number>(errorKinds.map((kind, code) => [kind, code]));

/** Error kind code meaning "a registered class follows". */
export const registeredErrorKind = 0xff;
