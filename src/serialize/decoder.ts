// Decoder: rebuilds a value from the wire format; never runs code named by the bytes, never imports.
import { copyOut, readFloat64, readInt32Run, shortAscii, utf8Slice } from './bytes.js';
import { readError, readHandle, readInstance, type Reader } from './decode-objects.js';
import { corrupt, DecodeError, unresolved } from './errors.js';
import type { Packet } from './packet.js';
import { registry as defaultRegistry, type ClassEntry, type CodecRegistry } from './registry.js';
import { cachedShape, cacheShape, plainMaker, type Shape } from './shapes.js';
import { Flag, headerSize, magic0, magic1, maxTagInt, Tag, viewKinds, wireVersion } from './wire.js';

const noBytes = new Uint8Array(0);
const none: readonly never[] = [];

/** Stands for an object whose index is taken but which is not built yet (constructor args, revive data). */
const pending = Symbol('pending');

function defineOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

interface Disposable {
  [Symbol.dispose](): void;
}

export class Decoder {
  readonly #registry: CodecRegistry;
  #data: Uint8Array = noBytes;
  #pos = 0;
  #end = 0;
  /** Every object met so far, by index (back-references); `#objectCount` long. */
  readonly #objects: unknown[] = [];
  #objectCount = 0;
  #tracking = false;
  readonly #shapes: Shape[] = [];
  #shapeCount = 0;
  readonly #classes: ClassEntry[] = [];
  #classCount = 0;
  #buffers: readonly ArrayBuffer[] = none;
  #shared: readonly SharedArrayBuffer[] = none;
  #attached: unknown[] | undefined;
  #busy = false;

  /** What the readers of class instances, errors and handles (decode-objects.ts) may call. */
  readonly #reader: Reader = {
    read: () => this.#read(),
    byte: () => this.#byte(),
    string: () => this.#string(),
    reserve: () => this.#reserve(),
    settle: (index, value) => this.#settle(index, value),
    fields: (tag, target) => this.#fields(tag, target as Record<string, unknown>),
    classRef: (tag) => this.#classRef(tag),
    attached: (value) => (this.#attached ??= []).push(value),
  };

  constructor(registry: CodecRegistry = defaultRegistry) {
    this.#registry = registry;
  }

  get busy(): boolean {
    return this.#busy;
  }

  decode(packet: Packet): unknown {
    const data = packet.data;
    if (!(data instanceof Uint8Array)) throw corrupt('`packet.data` is not a Uint8Array');
    if (data.length < headerSize + 1 || data[0] !== magic0 || data[1] !== magic1) throw corrupt('not multiproc codec data (bad header)');
    if (data[2] !== wireVersion) throw corrupt(`wire format version ${data[2]} is not supported (this side reads version ${wireVersion})`);
    this.#busy = true;
    this.#data = data;
    this.#pos = headerSize;
    this.#end = data.length;
    this.#tracking = (data[3]! & Flag.BackReferences) !== 0;
    this.#buffers = packet.buffers ?? none;
    this.#shared = packet.shared ?? none;
    try {
      const value = this.#read();
      if (this.#pos !== this.#end) throw corrupt(`${this.#end - this.#pos} unexpected bytes after the value`);
      return value;
    } catch (error) {
      this.#release();
      if (error instanceof DecodeError) throw error;
      throw corrupt(error instanceof Error ? error.message : String(error), error);
    } finally {
      this.#forget();
      this.#attached = undefined;
      this.#data = noBytes;
      this.#buffers = none;
      this.#shared = none;
      this.#busy = false;
    }
  }

  /** Closes handles attached by a decode that then failed, so a retry or an error leaks nothing. */
  #release(): void {
    for (const handle of this.#attached ?? []) {
      try {
        (handle as Partial<Disposable>)[Symbol.dispose]?.();
      } catch {
        // best effort: the decode error is what the caller needs
      }
    }
  }

  #byte(): number {
    if (this.#pos >= this.#end) throw corrupt('truncated data');
    return this.#data[this.#pos++]!;
  }

  #varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.#byte();
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 0x80;
    }
    throw corrupt('malformed length');
  }

  /** A count of items that each take at least one byte: more than the bytes left means corruption. */
  #count(): number {
    const count = this.#varint();
    if (count > this.#end - this.#pos) throw corrupt('truncated data (a count exceeds the bytes left)');
    return count;
  }

  #take(length: number): number {
    const start = this.#pos;
    if (length > this.#end - start) throw corrupt('truncated data');
    this.#pos = start + length;
    return start;
  }

  /** Records an object for back-references, when the message has any (the encoder flags it). */
  #keep(value: unknown): void {
    if (this.#tracking) this.#objects[this.#objectCount++] = value;
  }

  #settle(index: number, value: unknown): void {
    if (index >= 0) this.#objects[index] = value;
  }

  /**
   * Drops the message's objects. Setting an array's length is a runtime call that would cost a tiny
   * message more than decoding it, so a few slots are cleared one by one.
   */
  #forget(): void {
    const count = this.#objectCount;
    if (count > 16) this.#objects.length = 0;
    else for (let i = 0; i < count; i++) this.#objects[i] = undefined;
    this.#objectCount = 0;
    // Shapes and class entries live on in caches and the registry anyway; only their counts reset.
    this.#shapeCount = 0;
    this.#classCount = 0;
  }

  #reserve(): number {
    if (!this.#tracking) return -1;
    this.#objects[this.#objectCount] = pending;
    return this.#objectCount++;
  }

  #read(): unknown {
    const tag = this.#byte();
    if (tag <= maxTagInt) return tag;
    if (tag >= Tag.ShortAscii && tag <= Tag.ShortAscii + 0x1f) {
      const length = tag & 0x1f;
      const start = this.#take(length);
      return shortAscii(this.#data, start, length);
    }
    switch (tag) {
      case Tag.Undefined:
        return undefined;
      case Tag.Null:
        return null;
      case Tag.False:
        return false;
      case Tag.True:
        return true;
      case Tag.Int32: {
        const start = this.#take(4);
        const d = this.#data;
        return d[start]! | (d[start + 1]! << 8) | (d[start + 2]! << 16) | (d[start + 3]! << 24);
      }
      case Tag.Float64:
        return readFloat64(this.#data, this.#take(8));
      case Tag.String:
        return this.#longString();
      case Tag.Array:
        return this.#array();
      case Tag.Int32Run: {
        const length = this.#varint();
        const array = readInt32Run(this.#data, this.#take(length * 4), length);
        this.#keep(array);
        return array;
      }
      case Tag.ShapeNew:
      case Tag.Shape: {
        // The shape's keys come before any value, so the object can be made with all its slots at once.
        const shape = this.#shape(tag);
        const target = new shape.make() as Record<string, unknown>;
        this.#keep(target);
        this.#values(shape.keys, target);
        return target;
      }
      case Tag.Dict: {
        const target: Record<string, unknown> = {};
        this.#keep(target);
        this.#fields(tag, target);
        return target;
      }
      case Tag.Ref: {
        const index = this.#varint();
        if (index >= this.#objectCount) throw corrupt('reference to an object not yet seen');
        const value = this.#objects[index];
        if (value === pending) throw corrupt('an object refers to itself through its own constructor arguments or revive data');
        return value;
      }
      case Tag.BigInt:
        return this.#bigint();
      default:
        return this.#other(tag);
    }
  }

  #other(tag: number): unknown {
    switch (tag) {
      case Tag.Date: {
        const date = new Date(readFloat64(this.#data, this.#take(8)));
        this.#keep(date);
        return date;
      }
      case Tag.RegExp: {
        const index = this.#reserve();
        const regexp = new RegExp(this.#string(), this.#string());
        this.#settle(index, regexp);
        return regexp;
      }
      case Tag.Map: {
        const map = new Map<unknown, unknown>();
        this.#keep(map);
        const size = this.#count();
        for (let i = 0; i < size; i++) map.set(this.#read(), this.#read());
        return map;
      }
      case Tag.Set: {
        const set = new Set<unknown>();
        this.#keep(set);
        const size = this.#count();
        for (let i = 0; i < size; i++) set.add(this.#read());
        return set;
      }
      case Tag.ArrayBuffer: {
        const length = this.#varint();
        const start = this.#take(length);
        const buffer = copyOut(this.#data, start, length);
        this.#keep(buffer);
        return buffer;
      }
      case Tag.OutOfBand:
        return this.#indexed(this.#buffers, 'out-of-band buffer');
      case Tag.Shared:
        return this.#indexed(this.#shared, 'SharedArrayBuffer');
      case Tag.View:
        return this.#view();
      case Tag.ViewBytes:
        return this.#viewBytes();
      case Tag.Boxed: {
        const index = this.#reserve();
        const boxed: unknown = Object(this.#read());
        this.#settle(index, boxed);
        return boxed;
      }
      case Tag.Error:
        return readError(this.#reader);
      case Tag.ClassNew:
      case Tag.Class:
        return readInstance(this.#reader, this.#classRef(tag));
      case Tag.Function:
        return this.#function();
      case Tag.Handle:
        return readHandle(this.#reader, this.#registry);
      case Tag.Hole:
        throw corrupt('an array hole outside an array');
      default:
        throw corrupt(`unknown tag 0x${tag.toString(16)}`);
    }
  }

  #indexed<T>(list: readonly T[], what: string): T {
    const index = this.#varint();
    if (index >= list.length) throw corrupt(`the data names ${what} ${index} but the packet carries ${list.length}`);
    const value = list[index]!;
    this.#keep(value);
    return value;
  }

  #string(): string {
    const value = this.#read();
    if (typeof value !== 'string') throw corrupt('expected a string');
    return value;
  }

  #longString(): string {
    const start = this.#take(4);
    const d = this.#data;
    const length = (d[start]! | (d[start + 1]! << 8) | (d[start + 2]! << 16)) + d[start + 3]! * 0x1000000;
    const from = this.#take(length);
    return utf8Slice(d, from, from + length);
  }

  #bigint(): bigint {
    const negative = this.#byte() === 1;
    const length = this.#varint();
    const start = this.#take(length);
    let hex = '';
    for (let i = 0; i < length; i++) hex += this.#data[start + i]!.toString(16).padStart(2, '0');
    const magnitude = length === 0 ? 0n : BigInt(`0x${hex}`);
    return negative ? -magnitude : magnitude;
  }

  #array(): unknown[] {
    const length = this.#count();
    const array = new Array<unknown>(length);
    this.#keep(array);
    for (let i = 0; i < length; i++) {
      if (this.#data[this.#pos] === Tag.Hole) {
        this.#pos++;
        continue;
      }
      array[i] = this.#read();
    }
    return array;
  }

  /** Reads an object body (shape or dictionary) into `target`. */
  #fields(tag: number, target: Record<string, unknown>): void {
    if (tag === Tag.Dict) {
      const count = this.#count();
      for (let i = 0; i < count; i++) {
        const key = this.#string();
        if (key === '__proto__') defineOwn(target, key, this.#read());
        else target[key] = this.#read();
      }
      return;
    }
    const shape = this.#shape(tag);
    this.#values(shape.keys, target);
  }

  /** An item the message numbered earlier (the first `count` of `list` belong to this message). */
  #numbered<T>(list: readonly T[], count: number, what: string): T {
    const id = this.#varint();
    const item = list[id];
    if (id >= count || item === undefined) throw corrupt(`reference to ${what} not yet seen`);
    return item;
  }

  #shape(tag: number): Shape {
    if (tag === Tag.Shape) return this.#numbered(this.#shapes, this.#shapeCount, 'an object shape');
    if (tag !== Tag.ShapeNew) throw corrupt('expected an object body');
    const length = this.#varint();
    const start = this.#take(length);
    let shape = cachedShape(this.#data, start, length);
    if (shape === undefined) {
      this.#pos = start;
      const count = this.#count();
      const keys = new Array<string>(count);
      for (let i = 0; i < count; i++) keys[i] = this.#string();
      if (this.#pos !== start + length) throw corrupt('an object shape whose keys do not fill its header');
      shape = { keys, make: plainMaker(keys) };
      cacheShape(this.#data, start, length, shape);
    }
    this.#shapes[this.#shapeCount++] = shape;
    return shape;
  }

  #values(keys: readonly string[], target: Record<string, unknown>): void {
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      // A `__proto__` key is an own property, as structured clone makes it, never a prototype switch.
      if (key === '__proto__') defineOwn(target, key, this.#read());
      else target[key] = this.#read();
    }
  }

  #view(): ArrayBufferView {
    const index = this.#reserve();
    const kind = viewKinds[this.#byte()];
    const buffer = this.#read();
    const offset = this.#varint();
    const length = this.#varint();
    if (kind === undefined) throw corrupt('unknown typed array kind');
    if (!(buffer instanceof ArrayBuffer || buffer instanceof SharedArrayBuffer)) throw corrupt('a typed array without a buffer');
    if (offset + length > buffer.byteLength) throw corrupt('a typed array past the end of its buffer');
    const view = this.#makeView(kind, buffer, offset, length);
    this.#settle(index, view);
    return view;
  }

  #viewBytes(): ArrayBufferView {
    const kind = viewKinds[this.#byte()];
    if (kind === undefined) throw corrupt('unknown typed array kind');
    const length = this.#varint();
    const start = this.#take(length);
    const buffer = copyOut(this.#data, start, length);
    const view = this.#makeView(kind, buffer, 0, length);
    this.#keep(view);
    return view;
  }

  #makeView(kind: (typeof viewKinds)[number], buffer: ArrayBufferLike, offset: number, byteLength: number): ArrayBufferView {
    if (kind === Buffer) return Buffer.from(buffer, offset, byteLength);
    if (kind === DataView) return new DataView(buffer, offset, byteLength);
    const typed = kind as Float64ArrayConstructor;
    const size = typed.BYTES_PER_ELEMENT;
    if (byteLength % size !== 0 || offset % size !== 0) throw corrupt(`a ${kind.name} not aligned to ${size} bytes`);
    return new typed(buffer, offset, byteLength / size);
  }

  #classRef(tag: number): ClassEntry {
    if (tag === Tag.Class) return this.#numbered(this.#classes, this.#classCount, 'a class');
    if (tag !== Tag.ClassNew) throw corrupt('expected a class reference');
    const moduleUrl = this.#string();
    const name = this.#string();
    const entry = this.#registry.lookupClass(moduleUrl, name);
    if (entry === undefined) throw unresolved(this.#registry, moduleUrl, name, 'class');
    this.#classes[this.#classCount++] = entry;
    return entry;
  }

  #function(): unknown {
    const moduleUrl = this.#string();
    const name = this.#string();
    const entry = this.#registry.lookupFunction(moduleUrl, name);
    if (entry === undefined) throw unresolved(this.#registry, moduleUrl, name, 'function');
    return 'fn' in entry ? entry.fn : entry.cls;
  }
}
