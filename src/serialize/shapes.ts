// Object shapes, the codec's way of writing each key sequence once per message: the encoder's tree of
// key sequences and their encoded headers, and the decoder's cache of shapes by header bytes.
import { Tag } from './wire.js';

/** A node of the tree of key sequences seen so far: the path from the root spells an object's keys. */
export interface ShapeNode {
  readonly keys: readonly string[];
  /** The keys as written on the wire (a count and the key strings), made on first use. */
  header: Uint8Array | undefined;
  next: Map<string, ShapeNode> | undefined;
  /** The child taken last: arrays of same-shaped objects walk the same path, found without hashing. */
  lastKey: string | undefined;
  lastChild: ShapeNode | undefined;
  /** The message generation that numbered this shape, and its number in that message. */
  generation: number;
  id: number;
}

function newShapeNode(keys: readonly string[]): ShapeNode {
  return { keys, header: undefined, next: undefined, lastKey: undefined, lastChild: undefined, generation: -1, id: 0 };
}

/** The tree is rebuilt once it holds this many nodes, so varied keys cannot grow it without bound. */
const maxShapeNodes = 50_000;
let shapeNodes = 0;

export function childOf(node: ShapeNode, key: string): ShapeNode {
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

let root = newShapeNode([]);

/** The root of the tree, shared by every encoder; call at the start of a message (it may prune the tree). */
export function shapeRoot(): ShapeNode {
  if (shapeNodes > maxShapeNodes) {
    root = newShapeNode([]);
    shapeNodes = 0;
  }
  return root;
}

/** A shape as the decoder keeps it: its keys and the maker of its plain objects. */
export interface Shape {
  readonly keys: readonly string[];
  readonly make: new () => object;
}

type PlainMaker = new () => object;
const makers = new Map<string, PlainMaker>();
const maxMakers = 4096;

/**
 * A constructor of plain objects for one key sequence. `{}` has room for four properties and moves
 * the rest to a second allocation; instances of a constructor get all their slots in the object once
 * V8 has seen a few (slack tracking). Its prototype is Object.prototype, so what it makes is a plain
 * object in every observable way. No code is generated: every maker is the same empty function.
 */
export function plainMaker(keys: readonly string[]): PlainMaker {
  const key = keys.join('\u0000');
  let maker = makers.get(key);
  if (maker === undefined) {
    if (makers.size >= maxMakers) makers.clear();
    maker = function PlainObject() {} as unknown as PlainMaker;
    maker.prototype = Object.prototype;
    makers.set(key, maker);
  }
  return maker;
}

function pushVarint(out: number[], value: number): void {
  let n = value;
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
}

/** The wire form of a key sequence: its count, then each key as the codec writes strings. */
export function shapeHeader(node: ShapeNode): Uint8Array {
  if (node.header !== undefined) return node.header;
  const out: number[] = [];
  pushVarint(out, node.keys.length);
  for (const key of node.keys) {
    const bytes = Buffer.from(key, 'utf8');
    if (bytes.length <= 31 && bytes.every((byte) => byte < 0x80)) {
      out.push(Tag.ShortAscii | bytes.length, ...bytes);
    } else {
      out.push(Tag.String, bytes.length & 0xff, (bytes.length >>> 8) & 0xff, (bytes.length >>> 16) & 0xff, bytes.length >>> 24, ...bytes);
    }
  }
  node.header = Uint8Array.from(out);
  return node.header;
}

// The decoder's cache of shapes by the exact bytes of their header: a message that repeats a shape
// seen before (every pool message does) skips decoding its keys. Direct-mapped, so it never grows.
const cacheSlots = 256;
const cachedBytes: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(cacheSlots).fill(undefined);
const cachedShapes: (Shape | undefined)[] = new Array<Shape | undefined>(cacheSlots).fill(undefined);

function slotOf(data: Uint8Array, start: number, length: number): number {
  let hash = length;
  for (let i = 0; i < length; i++) hash = (Math.imul(hash, 31) + data[start + i]!) | 0;
  return (hash ^ (hash >>> 8)) & (cacheSlots - 1);
}

/** The shape whose header is exactly `data[start, start + length)`, if it was seen recently. */
export function cachedShape(data: Uint8Array, start: number, length: number): Shape | undefined {
  const slot = slotOf(data, start, length);
  const bytes = cachedBytes[slot];
  if (bytes === undefined || bytes.length !== length) return undefined;
  for (let i = 0; i < length; i++) if (bytes[i] !== data[start + i]) return undefined;
  return cachedShapes[slot];
}

export function cacheShape(data: Uint8Array, start: number, length: number, shape: Shape): void {
  const slot = slotOf(data, start, length);
  cachedBytes[slot] = data.slice(start, start + length);
  cachedShapes[slot] = shape;
}
