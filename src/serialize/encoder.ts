// Encoder: one pass over a value graph into the wire format, reusing its scratch buffer between calls.
import { copyHead, float64WireBytes, int32RunBytes, uninitializedBytes, utf8Write } from './bytes.js';
import { describeUnencodable, describeUnregistered, isBuiltinConstructor } from './describe.js';
import { writeError, writeHandle, writeInstance, type Writer } from './encode-objects.js';
import { EncodeError } from './errors.js';
import type { Packet } from './packet.js';
import { registry as defaultRegistry, type ClassEntry, type CodecRegistry } from './registry.js';
import { childOf, shapeHeader, shapeRoot, type ShapeNode } from './shapes.js';
import { Flag, headerSize, magic0, magic1, maxShortAscii, Tag, viewKindOf, wireVersion } from './wire.js';

const initialSize = 4096;
/** Outputs larger than this keep the scratch buffer (no copy); the next call starts a fresh one. */
const handOverSize = 64 * 1024;
/** The largest jump a scratch buffer takes towards the size of the last large output. */
const maxPresize = 32 * 1024 * 1024;
const noTransfer: readonly ArrayBuffer[] = [];
/** ArrayBuffers from this size on travel out of band (see #arrayBuffer). */
const outOfBandSize = 64 * 1024;
/** Objects found by linear scan before a message starts hashing them. */
const fewObjects = 8;
/** Objects with more keys than this are written as dictionaries, not shapes. */
const maxShapeKeys = 64;

/** for-in is the fast way to walk a plain object's keys, unless someone made Object.prototype enumerable. */
function prototypeIsClean(): boolean {
  for (const _ in {}) return false;
  return true;
}

// Each message numbers the shapes and classes it uses afresh (checked by generation).
let generations = 0;

const bufferKind = viewKindOf.get(Buffer);
/** Arrays of int32 numbers at least this long travel as one block (Tag.Int32Run). */
const minInt32Run = 16;

export class Encoder {
  readonly #registry: CodecRegistry;
  #target: Uint8Array = new Uint8Array(initialSize);
  /** The size of the last output handed over (plus slack): what a message outgrowing the scratch grows to. */
  #lastLarge = 0;
  #pos = 0;
  /** The message's first objects, then all of them in index order; `#refs` once the message repeats one. */
  readonly #few: (object | undefined)[] = new Array<object | undefined>(fewObjects).fill(undefined);
  readonly #seen = new Set<object>();
  #refs: Map<object, number> | undefined;
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
  #shapeRoot: ShapeNode = shapeRoot();

  /** What the writers of class instances, errors and handles (encode-objects.ts) may call. */
  readonly #writer: Writer = {
    write: (value) => this.#write(value),
    byte: (value) => this.#byte(value),
    varint: (value) => this.#varint(value),
    string: (value) => this.#string(value),
    fields: (value) => this.#plain(value as Record<string, unknown>, true),
    classRef: (entry) => this.#classRef(entry),
  };

  constructor(registry: CodecRegistry = defaultRegistry) {
    this.#registry = registry;
  }

  /** True while encoding: a reentrant call (from a user hook) must use another encoder. */
  get busy(): boolean {
    return this.#busy;
  }

  encode(value: unknown, transfer: readonly ArrayBuffer[] | undefined): Packet {
    this.#busy = true;
    this.#shapeRoot = shapeRoot();
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
      const pos = this.#pos;
      if (pos > handOverSize) {
        // A packet should not carry a buffer much larger than its bytes (posting a view copies its
        // whole buffer), so a buffer grown for a larger message is copied from, not handed over.
        data = this.#target.length > 2 * pos ? this.#target.slice(0, pos) : this.#target.subarray(0, pos);
        this.#target = new Uint8Array(initialSize);
        this.#lastLarge = Math.min(maxPresize, pos + (pos >> 3));
      } else {
        data = copyHead(this.#target, this.#pos);
      }
      const buffers = transfer === undefined ? [] : [...transfer];
      if (this.#copies !== undefined) buffers.push(...this.#copies);
      const packet: Packet = { data, buffers };
      if (this.#shared !== undefined) packet.shared = this.#shared;
      return packet;
    } finally {
      const few = Math.min(this.#refCount, fewObjects);
      for (let i = 0; i < few; i++) this.#few[i] = undefined;
      // By size, not by count: a message whose ninth object repeats an earlier one filled the set and ends
      // with a count of eight, and a set left full would shift the next message's back-references.
      if (this.#seen.size > 0) this.#seen.clear();
      this.#refs = undefined;
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
    let size = Math.max(needed + (needed >> 3), this.#target.length * 2);
    // A message that outgrows the hand-over size is likely as large as the last large one: one step
    // there, instead of doubling from 64 KiB with a copy into fresh pages at each step.
    if (size > handOverSize && this.#lastLarge > size) size = this.#lastLarge;
    const next = uninitializedBytes(size);
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
    // Every object gets the next index; a repeat is written as a back-reference to it. The first few
    // objects are found by a linear scan (a small message, like the pool's, hashes nothing); past them
    // objects go into a Set (one hash operation each, indexes implied by insertion order), and the
    // index Map is built only at the message's first repeat.
    const count = this.#refCount;
    if (count < fewObjects) {
      const few = this.#few;
      for (let i = 0; i < count; i++) if (few[i] === value) return this.#backReference(i);
      few[count] = value;
    } else if (this.#refs !== undefined) {
      const seen = this.#refs.get(value);
      if (seen !== undefined) return this.#backReference(seen);
      this.#refs.set(value, count);
    } else {
      const seen = this.#seen;
      if (count === fewObjects) for (const object of this.#few) seen.add(object!);
      const before = seen.size;
      seen.add(value);
      if (seen.size === before) {
        const indexes = new Map<object, number>();
        for (const object of seen) indexes.set(object, indexes.size);
        this.#refs = indexes;
        return this.#backReference(indexes.get(value)!);
      }
    }
    this.#refCount = count + 1;
    const ctor: unknown = value.constructor;
    if (ctor === Object) this.#plain(value as Record<string, unknown>);
    else if (ctor === Array) this.#array(value as unknown[]);
    else this.#other(value, ctor);
  }

  #backReference(index: number): void {
    this.#target[3] = Flag.BackReferences;
    this.#byte(Tag.Ref);
    this.#varint(index);
  }

  /** A plain object (own keys by for-in) or, with `own`, a class instance's own enumerable fields. */
  #plain(value: Record<string, unknown>, own = false): void {
    let node = this.#shapeRoot;
    if (!own && (this.#forIn ??= prototypeIsClean()) && Object.getPrototypeOf(value) === Object.prototype) {
      let count = 0;
      for (const key in value) {
        if (++count > maxShapeKeys) return this.#dict(value, Object.keys(value));
        node = childOf(node, key);
      }
      this.#shape(node);
      let written = 0;
      for (const key in value) {
        // A getter that adds or deletes keys mid-walk would leave the values out of step with the shape.
        if (++written > count) break;
        this.#write(value[key]);
      }
      if (written !== count) throw new EncodeError('Cannot serialize an object whose keys changed while it was being read (a getter adds or deletes properties)');
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
    const header = shapeHeader(node);
    this.#byte(Tag.ShapeNew);
    this.#varint(header.length);
    this.#ensure(header.length);
    this.#target.set(header, this.#pos);
    this.#pos += header.length;
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
    const run = length >= minInt32Run ? int32RunBytes(value) : undefined;
    if (run !== undefined) {
      this.#byte(Tag.Int32Run);
      this.#varint(length);
      this.#ensure(run.length);
      this.#target.set(run, this.#pos);
      this.#pos += run.length;
      return;
    }
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
      if (entry.isError) writeError(this.#writer, value as Error, entry);
      else writeInstance(this.#writer, value, entry);
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
      writeError(this.#writer, value, undefined);
    } else if (ctor === Number || ctor === String || ctor === Boolean || ctor === BigInt) {
      this.#byte(Tag.Boxed);
      this.#write((value as { valueOf(): unknown }).valueOf());
    } else {
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto === null || proto === Object.prototype) return this.#plain(value as Record<string, unknown>);
      const handle = this.#registry.handleOf(value);
      if (handle !== undefined) return writeHandle(this.#writer, value, handle);
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
}
