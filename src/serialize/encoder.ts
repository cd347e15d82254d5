// Encoder: one pass over a value graph into the wire format, reusing its scratch buffer between calls.
import { describeUnencodable, describeUnregistered } from './describe.js';
import { EncodeError } from './errors.js';
import { float64WireBytes, uninitializedBytes, utf8Write } from './bytes.js';
import { registry as defaultRegistry, type ClassEntry, type CodecRegistry, type HandleSpec } from './registry.js';
import {
  ClassMode,
  errorKindOf,
  Flag,
  headerSize,
  magic0,
  magic1,
  maxShortAscii,
  registeredErrorKind,
  Tag,
  viewKindOf,
  wireVersion,
} from './wire.js';

/** Out-of-band parts and the bytes of one encoded value. */
export interface Packet {
  data: Uint8Array;
  /**
   * Out-of-band ArrayBuffers: those the caller marked for transfer, then copies of large buffers the
   * packet owns. Post them all in the transfer list (or use packetToBytes). A packet is decoded once.
   */
  buffers: ArrayBuffer[];
  /** SharedArrayBuffers met in the value: shared as they are over worker_threads; no process can receive them. */
  shared?: SharedArrayBuffer[];
}

const initialSize = 4096;
/** Outputs larger than this keep the scratch buffer (no copy); the next call starts a fresh one. */
const handOverSize = 64 * 1024;
const noTransfer: readonly ArrayBuffer[] = [];
/** ArrayBuffers from this size on travel out of band (see #arrayBuffer). */
const outOfBandSize = 64 * 1024;
/** Objects with more keys than this are written as dictionaries, not shapes. */
const maxShapeKeys = 64;
/** The shape tree is rebuilt once it holds this many nodes, so varied keys cannot grow it without bound. */
const maxShapeNodes = 50_000;

/** A node of the tree of key sequences seen so far: the path from the root spells an object's keys. */
interface ShapeNode {
  readonly keys: readonly string[];
  next: Map<string, ShapeNode> | undefined;
  /** The child taken last: arrays of same-shaped objects walk the same path, found without hashing. */
  lastKey: string | undefined;
  lastChild: ShapeNode | undefined;
  /** The message generation that numbered this shape, and its number in that message. */
  generation: number;
  id: number;
}

function newShapeNode(keys: readonly string[]): ShapeNode {
  return { keys, next: undefined, lastKey: undefined, lastChild: undefined, generation: -1, id: 0 };
}

function childOf(node: ShapeNode, key: string): ShapeNode {
  let next = node.lastKey === key ? node.lastChild : undefined;
  if (next === undefined) {
    next = node.next?.get(key);
    if (next === undefined) {
      next = newShapeNode([...node.keys, key]);
      (node.next ??= new Map()).set(key, next);
      shapeNodes++;
    }
    node.lastKey = key;
    node.lastChild = next;
  }
  return next;
}

/** The first `length` bytes of `target` in a new array; a loop beats slice() for the tiny messages of a hot path. */
function copyHead(target: Uint8Array, length: number): Uint8Array {
  if (length > 64) return target.slice(0, length);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = target[i]!;
  return out;
}

/** for-in is the fast way to walk a plain object's keys, unless someone made Object.prototype enumerable. */
function prototypeIsClean(): boolean {
  for (const _ in {}) return false;
  return true;
}

// Shared by every encoder; each message numbers the shapes it uses afresh (checked by generation).
let shapeRoot = newShapeNode([]);
let shapeNodes = 0;
let generations = 0;

const bufferKind = viewKindOf.get(Buffer);

function isBuiltinConstructor(ctor: unknown): boolean {
  return typeof ctor === 'function' && ctor.name !== '' && (globalThis as Record<string, unknown>)[ctor.name] === ctor;
}

export class Encoder {
  readonly #registry: CodecRegistry;
  #target: Uint8Array = new Uint8Array(initialSize);
  #pos = 0;
  readonly #refs = new Map<object, number>();
  #first: object | undefined;
  #refCount = 0;
  #generation = 0;
  #shapeCount = 0;
  #classCount = 0;
  #transfer: readonly ArrayBuffer[] = noTransfer;
  #shared: SharedArrayBuffer[] | undefined;
  /** Large buffers copied out of band (after the transferred ones in `packet.buffers`). */
  #copies: ArrayBuffer[] | undefined;
  #busy = false;
  /** Whether plain objects may be walked with for-in; checked on the first plain object of a message. */
  #forIn: boolean | undefined;

  constructor(registry: CodecRegistry = defaultRegistry) {
    this.#registry = registry;
  }

  /** True while encoding: a reentrant call (from a user hook) must use another encoder. */
  get busy(): boolean {
    return this.#busy;
  }

  encode(value: unknown, transfer: readonly ArrayBuffer[] | undefined): Packet {
    this.#busy = true;
    if (shapeNodes > maxShapeNodes) {
      shapeRoot = newShapeNode([]);
      shapeNodes = 0;
    }
    this.#generation = ++generations;
    this.#shapeCount = 0;
    this.#classCount = 0;
    this.#refCount = 0;
    this.#transfer = transfer ?? noTransfer;
    this.#shared = undefined;
    this.#forIn = undefined;
    const target = this.#target;
    target[0] = magic0;
    target[1] = magic1;
    target[2] = wireVersion;
    target[3] = 0;
    this.#pos = headerSize;
    try {
      this.#write(value);
      let data: Uint8Array;
      if (this.#pos > handOverSize) {
        data = this.#target.subarray(0, this.#pos);
        this.#target = new Uint8Array(initialSize);
      } else {
        data = copyHead(this.#target, this.#pos);
      }
      const buffers = transfer === undefined ? [] : [...transfer];
      if (this.#copies !== undefined) buffers.push(...this.#copies);
      const packet: Packet = { data, buffers };
      if (this.#shared !== undefined) packet.shared = this.#shared;
      return packet;
    } finally {
      if (this.#refCount > 1) this.#refs.clear();
      this.#first = undefined;
      this.#transfer = noTransfer;
      this.#shared = undefined;
      this.#copies = undefined;
      this.#busy = false;
    }
  }

  #ensure(extra: number): void {
    if (this.#pos + extra > this.#target.length) this.#grow(extra);
  }

  #grow(extra: number): void {
    const needed = this.#pos + extra;
    const next = uninitializedBytes(Math.max(needed + (needed >> 3), this.#target.length * 2));
    next.set(this.#target.subarray(0, this.#pos));
    this.#target = next;
  }

  #byte(value: number): void {
    if (this.#pos >= this.#target.length) this.#grow(1);
    this.#target[this.#pos++] = value;
  }

  #varint(value: number): void {
    this.#ensure(8);
    const target = this.#target;
    let n = value;
    while (n >= 0x80) {
      target[this.#pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    target[this.#pos++] = n;
  }

  #write(value: unknown): void {
    switch (typeof value) {
      case 'number':
        return this.#number(value);
      case 'string':
        return this.#string(value);
      case 'object':
        if (value === null) return this.#byte(Tag.Null);
        return this.#object(value);
      case 'boolean':
        return this.#byte(value ? Tag.True : Tag.False);
      case 'undefined':
        return this.#byte(Tag.Undefined);
      case 'bigint':
        return this.#bigint(value);
      case 'function':
        return this.#function(value);
      default:
        throw new EncodeError(describeUnencodable(value));
    }
  }

  #number(value: number): void {
    this.#ensure(9);
    const target = this.#target;
    if ((value | 0) === value && !(value === 0 && 1 / value < 0)) {
      if (value >= 0 && value < 0x80) {
        target[this.#pos++] = value;
      } else {
        const pos = this.#pos;
        target[pos] = Tag.Int32;
        target[pos + 1] = value;
        target[pos + 2] = value >> 8;
        target[pos + 3] = value >> 16;
        target[pos + 4] = value >> 24;
        this.#pos = pos + 5;
      }
      return;
    }
    target[this.#pos++] = Tag.Float64;
    this.#float64(value);
  }

  #float64(value: number): void {
    this.#ensure(8);
    this.#target.set(float64WireBytes(value), this.#pos);
    this.#pos += 8;
  }

  #string(value: string): void {
    const length = value.length;
    if (length <= maxShortAscii) {
      this.#ensure(length + 1);
      const target = this.#target;
      const start = this.#pos;
      let pos = start + 1;
      let i = 0;
      for (; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code >= 0x80) break;
        target[pos++] = code;
      }
      if (i === length) {
        target[start] = Tag.ShortAscii | length;
        this.#pos = pos;
        return;
      }
    }
    this.#ensure(5 + length * 3);
    const start = this.#pos;
    const written = utf8Write(this.#target, value, start + 5);
    const target = this.#target;
    target[start] = Tag.String;
    target[start + 1] = written;
    target[start + 2] = written >>> 8;
    target[start + 3] = written >>> 16;
    target[start + 4] = written >>> 24;
    this.#pos = start + 5 + written;
  }

  #bigint(value: bigint): void {
    this.#byte(Tag.BigInt);
    this.#byte(value < 0n ? 1 : 0);
    const hex = (value < 0n ? -value : value).toString(16);
    const digits = hex.length % 2 === 1 ? `0${hex}` : hex;
    const length = digits.length / 2;
    this.#varint(length);
    this.#ensure(length);
    // Big-endian magnitude, the order toString(16) gives.
    for (let i = 0; i < length; i++) this.#target[this.#pos++] = parseInt(digits.slice(i * 2, i * 2 + 2), 16);
  }

  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  #function(fn: Function): void {
    const entry = this.#registry.functionOf(fn) ?? this.#registry.classOf(fn);
    if (entry === undefined) throw new EncodeError(describeUnencodable(fn));
    this.#byte(Tag.Function);
    this.#string(entry.moduleUrl);
    this.#string(entry.name);
  }

  #object(value: object): void {
    // The first object is kept aside, so a message with one object (the hot path's `[1]`) needs no Map.
    if (this.#refCount === 0) {
      this.#first = value;
    } else {
      const seen = value === this.#first ? 0 : this.#refs.get(value);
      if (seen !== undefined) {
        this.#target[3] = Flag.BackReferences;
        this.#byte(Tag.Ref);
        this.#varint(seen);
        return;
      }
      this.#refs.set(value, this.#refCount);
    }
    this.#refCount++;
    const ctor: unknown = value.constructor;
    if (ctor === Object) this.#plain(value as Record<string, unknown>);
    else if (ctor === Array) this.#array(value as unknown[]);
    else this.#other(value, ctor);
  }

  /** A plain object (own keys by for-in) or, with `own`, a class instance's own enumerable fields. */
  #plain(value: Record<string, unknown>, own = false): void {
    let node = shapeRoot;
    if (!own && (this.#forIn ??= prototypeIsClean()) && Object.getPrototypeOf(value) === Object.prototype) {
      let count = 0;
      for (const key in value) {
        if (++count > maxShapeKeys) return this.#dict(value, Object.keys(value));
        node = childOf(node, key);
      }
      this.#shape(node);
      for (const key in value) this.#write(value[key]);
      return;
    }
    const keys = Object.keys(value);
    const count = keys.length;
    if (count > maxShapeKeys) return this.#dict(value, keys);
    for (let i = 0; i < count; i++) node = childOf(node, keys[i]!);
    this.#shape(node);
    for (let i = 0; i < count; i++) this.#write(value[keys[i]!]);
  }

  #shape(node: ShapeNode): void {
    if (node.generation === this.#generation) {
      this.#byte(Tag.Shape);
      this.#varint(node.id);
      return;
    }
    node.generation = this.#generation;
    node.id = this.#shapeCount++;
    const keys = node.keys;
    this.#byte(Tag.ShapeNew);
    this.#varint(keys.length);
    for (let i = 0; i < keys.length; i++) this.#string(keys[i]!);
  }

  #dict(value: Record<string, unknown>, keys: readonly string[]): void {
    this.#byte(Tag.Dict);
    this.#varint(keys.length);
    for (const key of keys) {
      this.#string(key);
      this.#write(value[key]);
    }
  }

  #array(value: unknown[]): void {
    const length = value.length;
    this.#byte(Tag.Array);
    this.#varint(length);
    for (let i = 0; i < length; i++) {
      const item = value[i];
      if (item === undefined && !(i in value)) this.#byte(Tag.Hole);
      else this.#write(item);
    }
  }

  #other(value: object, ctor: unknown): void {
    const entry = this.#registry.classOf(ctor);
    if (entry !== undefined) {
      if (entry.isError) this.#error(value as Error, entry);
      else this.#instance(value, entry);
      return;
    }
    const kind = viewKindOf.get(ctor);
    if (kind !== undefined) return this.#view(value as ArrayBufferView, kind);
    if (ctor === Map) {
      const map = value as Map<unknown, unknown>;
      this.#byte(Tag.Map);
      this.#varint(map.size);
      for (const [key, item] of map) {
        this.#write(key);
        this.#write(item);
      }
    } else if (ctor === Set) {
      const set = value as Set<unknown>;
      this.#byte(Tag.Set);
      this.#varint(set.size);
      for (const item of set) this.#write(item);
    } else if (ctor === Date) {
      this.#byte(Tag.Date);
      this.#float64((value as Date).getTime());
    } else if (ctor === RegExp) {
      this.#byte(Tag.RegExp);
      this.#string((value as RegExp).source);
      this.#string((value as RegExp).flags);
    } else if (ctor === ArrayBuffer) {
      this.#arrayBuffer(value as ArrayBuffer);
    } else if (ctor === SharedArrayBuffer) {
      this.#byte(Tag.Shared);
      this.#varint((this.#shared ??= []).push(value as SharedArrayBuffer) - 1);
    } else if (value instanceof Error) {
      this.#error(value, undefined);
    } else if (ctor === Number || ctor === String || ctor === Boolean || ctor === BigInt) {
      this.#byte(Tag.Boxed);
      this.#write((value as { valueOf(): unknown }).valueOf());
    } else {
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto === null || proto === Object.prototype) return this.#plain(value as Record<string, unknown>);
      const handle = this.#registry.handleOf(value);
      if (handle !== undefined) return this.#handle(value, handle);
      if (isBuiltinConstructor(ctor)) throw new EncodeError(describeUnencodable(value));
      throw new EncodeError(describeUnregistered(value, this.#registry));
    }
  }

  #arrayBuffer(buffer: ArrayBuffer): void {
    const index = this.#transfer.indexOf(buffer);
    if (index >= 0) {
      this.#byte(Tag.OutOfBand);
      this.#varint(index);
      return;
    }
    const length = buffer.byteLength;
    if (length >= outOfBandSize) {
      // A large buffer is copied once, into a buffer of its own that the packet carries out of band:
      // posted in a transfer list it moves to a worker thread, and the receiver uses it without a copy.
      const copy = uninitializedBytes(length);
      copy.set(new Uint8Array(buffer));
      this.#byte(Tag.OutOfBand);
      this.#varint(this.#transfer.length + (this.#copies ??= []).push(copy.buffer as ArrayBuffer) - 1);
      return;
    }
    this.#byte(Tag.ArrayBuffer);
    this.#varint(length);
    this.#ensure(length);
    this.#target.set(new Uint8Array(buffer), this.#pos);
    this.#pos += length;
  }

  #view(view: ArrayBufferView, kind: number): void {
    const buffer = view.buffer;
    // A view carries its whole buffer, as structured clone does, so views sharing a buffer stay shared.
    // A Node Buffer carries only its own bytes: small Buffers are slices of a shared pool whose other
    // bytes belong to unrelated data (unless the pool slab itself was transferred or is shared).
    if (kind !== bufferKind || buffer instanceof SharedArrayBuffer || this.#transfer.includes(buffer) ||
      (view.byteOffset === 0 && view.byteLength === buffer.byteLength)) {
      this.#byte(Tag.View);
      this.#byte(kind);
      this.#object(buffer);
      this.#varint(view.byteOffset);
      this.#varint(view.byteLength);
      return;
    }
    this.#byte(Tag.ViewBytes);
    this.#byte(kind);
    this.#varint(view.byteLength);
    this.#ensure(view.byteLength);
    this.#target.set(new Uint8Array(buffer, view.byteOffset, view.byteLength), this.#pos);
    this.#pos += view.byteLength;
  }

  #classRef(entry: ClassEntry): void {
    if (entry.generation === this.#generation) {
      this.#byte(Tag.Class);
      this.#varint(entry.wireId);
      return;
    }
    entry.generation = this.#generation;
    entry.wireId = this.#classCount++;
    this.#byte(Tag.ClassNew);
    this.#string(entry.moduleUrl);
    this.#string(entry.name);
  }

  #instance(value: object, entry: ClassEntry): void {
    this.#classRef(entry);
    const options = entry.options;
    if (options.reduce !== undefined) {
      this.#byte(ClassMode.Reduce);
      this.#write(options.reduce(value));
    } else if (options.getInitArgs !== undefined) {
      const args = options.getInitArgs(value);
      if (!Array.isArray(args)) {
        throw new EncodeError(`getInitArgs of class \`${entry.name}\` must return an array of constructor arguments, got ${typeof args}`);
      }
      this.#byte(ClassMode.InitArgs);
      this.#write(args);
      this.#write(options.getState?.(value));
    } else if (options.getState !== undefined) {
      this.#byte(ClassMode.State);
      this.#write(options.getState(value));
    } else {
      this.#byte(ClassMode.Fields);
      this.#plain(value as Record<string, unknown>, true);
    }
  }

  #error(error: Error, entry: ClassEntry | undefined): void {
    this.#byte(Tag.Error);
    if (entry !== undefined) {
      this.#byte(registeredErrorKind);
      this.#classRef(entry);
    } else {
      let kind = 0;
      for (let proto: unknown = Object.getPrototypeOf(error); proto !== null; proto = Object.getPrototypeOf(proto)) {
        const found = errorKindOf.get((proto as { constructor: unknown }).constructor);
        if (found !== undefined) {
          kind = found;
          break;
        }
      }
      this.#byte(kind);
    }
    this.#write(String(error.name));
    this.#write(error.message);
    this.#write(error.stack);
    const hasCause = Object.prototype.hasOwnProperty.call(error, 'cause');
    this.#byte(hasCause ? 1 : 0);
    if (hasCause) this.#write(error.cause);
    const errors = error instanceof AggregateError ? (error.errors as unknown) : undefined;
    this.#write(errors);
    const keys = Object.keys(error);
    this.#varint(keys.length);
    for (const key of keys) {
      this.#string(key);
      this.#write((error as unknown as Record<string, unknown>)[key]);
    }
  }

  #handle(value: object, spec: HandleSpec<unknown>): void {
    let ref: unknown;
    try {
      ref = spec.toRef(value);
    } catch (error) {
      throw new EncodeError(`Cannot send ${spec.name} handle by reference: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    this.#byte(Tag.Handle);
    this.#string(spec.name);
    this.#write(ref);
  }
}
