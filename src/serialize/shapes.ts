// Object shapes, the codec's way of writing each key sequence once per message: the encoder's tree of
// key sequences, and the decoder's per-shape object makers.

/** A node of the tree of key sequences seen so far: the path from the root spells an object's keys. */
export interface ShapeNode {
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
