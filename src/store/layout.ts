// How a stored value lies in its segment: one typed array or buffer as it is, an Arrow value's buffers
// (arrow-layout.ts), plain objects and arrays with their typed arrays laid out apart (64-byte aligned) and
// the rest encoded, or the whole value encoded.
import { expected } from '../errors.js';
import { bytesToPacket, decode, decodeSyncImporting, encode, packetToBytes, registerHandle } from '../serialize/index.js';
import { arrowColumns, arrowKindOf, fillArrow, planArrow, readArrow, type ArrowColumnDescription } from './arrow-layout.js';
import { arrowAsync, arrowSync } from './arrow-module.js';
import { align, bytesOf, elementBytes, numpyDtypes, viewOn, viewTypeOf, type ViewSlot } from './views.js';

/** What a ref says about its segment's contents; small, as it travels with every task that names the ref. */
export type Layout =
  | { kind: 'view'; view: ViewSlot }
  | { kind: 'buffer'; byteLength: number }
  /** A skeleton (encoded at `at`, `bytes` long) whose `Slot`s stand for the views listed with it. */
  | { kind: 'tree'; at: number; bytes: number }
  | { kind: 'encoded'; bytes: number }
  /** An Arrow Table, RecordBatch or Vector: its buffers, then their description (encoded at `at`). */
  | { kind: 'arrow'; at: number; bytes: number };

/** What `put` lays out: the segment's size, its layout, and how to fill it. */
export interface Plan {
  size: number;
  layout: Layout;
  /** Bytes of the value's own data (what `stats().bytes` counts). */
  bytes: number;
  fill(target: Uint8Array): void;
}

/** A typed array's place in a skeleton. Travels as its index; the reader puts the view there. */
export class Slot {
  constructor(readonly index: number) {}
}

registerHandle<Slot>({
  name: 'multiproc.store.Slot',
  type: Slot,
  toRef: (slot) => slot.index,
  fromRef: (ref) => {
    if (typeof ref !== 'number' || !Number.isInteger(ref) || ref < 0) throw new TypeError(expected('slot', 'a non-negative integer', ref));
    return new Slot(ref);
  },
});

function isPlain(value: object): boolean {
  if (Array.isArray(value)) return Object.getPrototypeOf(value) === Array.prototype;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The skeleton of plain objects and arrays with every non-empty typed array replaced by a `Slot`. */
function skeletonOf(value: unknown, views: ArrayBufferView[], seen: Map<object, unknown>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const known = seen.get(value);
  if (known !== undefined) return known;
  if (ArrayBuffer.isView(value) && value.byteLength > 0 && viewTypeOf(value) !== undefined) {
    const slot = new Slot(views.push(value) - 1);
    seen.set(value, slot);
    return slot;
  }
  if (!isPlain(value)) return value;
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (const item of value) copy.push(skeletonOf(item, views, seen));
    return copy;
  }
  const copy: Record<string, unknown> = Object.getPrototypeOf(value) === null ? Object.create(null) as Record<string, unknown> : {};
  seen.set(value, copy);
  for (const [key, item] of Object.entries(value)) copy[key] = skeletonOf(item, views, seen);
  return copy;
}

/** Decides how `value` is laid out. Throws what the codec throws for a value that cannot travel. */
export function planOf(value: unknown): Plan {
  const arrowKind = arrowKindOf(value);
  if (arrowKind !== undefined) {
    const planned = planArrow(value as Parameters<typeof planArrow>[0], arrowKind, arrowSync());
    const encoded = packetToBytes(encode(planned.description));
    const at = planned.end;
    return {
      size: at + encoded.byteLength,
      layout: { kind: 'arrow', at, bytes: encoded.byteLength },
      bytes: planned.bytes + encoded.byteLength,
      fill(target) {
        fillArrow(target, planned.views, planned.slots);
        target.set(encoded, at);
      },
    };
  }
  if (ArrayBuffer.isView(value) && value.byteLength > 0) {
    const type = viewTypeOf(value);
    if (type !== undefined) {
      const source = bytesOf(value);
      const view: ViewSlot = { type, offset: 0, length: type === 'Buffer' ? value.byteLength : (value as Float64Array).length };
      return { size: value.byteLength, layout: { kind: 'view', view }, bytes: value.byteLength, fill: (target) => target.set(source) };
    }
  }
  if ((value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) && value.byteLength > 0) {
    const source = new Uint8Array(value);
    return { size: value.byteLength, layout: { kind: 'buffer', byteLength: value.byteLength }, bytes: value.byteLength, fill: (target) => target.set(source) };
  }
  if (typeof value === 'object' && value !== null && isPlain(value)) {
    const views: ArrayBufferView[] = [];
    const skeleton = skeletonOf(value, views, new Map());
    if (views.length > 0) {
      const slots: ViewSlot[] = [];
      let end = 0;
      let bytes = 0;
      for (const view of views) {
        const type = viewTypeOf(view)!;
        slots.push({ type, offset: end, length: type === 'Buffer' ? view.byteLength : (view as Float64Array).length });
        end = align(end + view.byteLength);
        bytes += view.byteLength;
      }
      const encoded = packetToBytes(encode({ skeleton, slots }));
      const at = end;
      return {
        size: at + encoded.byteLength,
        layout: { kind: 'tree', at, bytes: encoded.byteLength },
        bytes: bytes + encoded.byteLength,
        fill(target) {
          views.forEach((view, i) => target.set(bytesOf(view), slots[i]!.offset));
          target.set(encoded, at);
        },
      };
    }
  }
  const encoded = packetToBytes(encode(value));
  return { size: encoded.byteLength, layout: { kind: 'encoded', bytes: encoded.byteLength }, bytes: encoded.byteLength, fill: (target) => target.set(encoded) };
}

/**
 * The codec's bytes at `at`, copied out first: the codec reads private memory only (TextDecoder refuses shared).
 * The modules of classes in it are loaded synchronously where Node can (else `ERR_MP_DECODE_NEEDS_IMPORT`).
 */
function decodeAt(buffer: SharedArrayBuffer, at: number, bytes: number): unknown {
  return decodeSyncImporting(bytesToPacket(new Uint8Array(buffer, at, bytes).slice()));
}

function fillSlots(value: unknown, views: readonly ArrayBufferView[], seen: Set<object>): unknown {
  if (value instanceof Slot) {
    const view = views[value.index];
    if (view === undefined) throw new RangeError(expected('slot', `an index below ${views.length}`, value.index));
    return view;
  }
  if (typeof value !== 'object' || value === null || seen.has(value) || ArrayBuffer.isView(value) || !isPlain(value)) return value;
  seen.add(value);
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) record[key] = fillSlots(record[key], views, seen);
  return value;
}

/**
 * The value laid out in `buffer`: views on its pages (typed arrays, buffers), or decoded from it. With
 * `copy`, private memory instead of views.
 */
export function readValue(buffer: SharedArrayBuffer, layout: Layout, copy: boolean): unknown {
  switch (layout.kind) {
    case 'view':
      return viewOn(buffer, layout.view, copy);
    case 'buffer':
      return copy ? new Uint8Array(buffer).slice().buffer : buffer;
    case 'tree': {
      const { skeleton, slots } = decodeAt(buffer, layout.at, layout.bytes) as { skeleton: unknown; slots: ViewSlot[] };
      return fillSlots(skeleton, slots.map((slot) => viewOn(buffer, slot, copy)), new Set());
    }
    case 'encoded':
      return decodeAt(buffer, 0, layout.bytes);
    case 'arrow':
      return readArrow(buffer, decodeAt(buffer, layout.at, layout.bytes), copy, arrowSync());
  }
}

/** `readValue`, importing (trusted) modules the encoded part needs on first sight, as `decode` does. */
export async function readValueAsync(buffer: SharedArrayBuffer, layout: Layout, copy: boolean): Promise<unknown> {
  switch (layout.kind) {
    case 'tree': {
      const decoded = await decode(bytesToPacket(new Uint8Array(buffer, layout.at, layout.bytes).slice()));
      const { skeleton, slots } = decoded as { skeleton: unknown; slots: ViewSlot[] };
      return fillSlots(skeleton, slots.map((slot) => viewOn(buffer, slot, copy)), new Set());
    }
    case 'encoded':
      return decode(bytesToPacket(new Uint8Array(buffer, 0, layout.bytes).slice()));
    case 'arrow': {
      const arrow = await arrowAsync();
      return readArrow(buffer, decodeAt(buffer, layout.at, layout.bytes), copy, arrow);
    }
    default:
      return readValue(buffer, layout, copy);
  }
}

/** The typed arrays of a tree layout, as the codec wrote them down. */
export function slotsOf(buffer: SharedArrayBuffer, layout: Layout): ViewSlot[] {
  switch (layout.kind) {
    case 'view':
      return [layout.view];
    case 'tree':
    case 'arrow':
      return (decodeAt(buffer, layout.at, layout.bytes) as { slots: ViewSlot[] }).slots;
    default:
      return [];
  }
}

/** The columns of an Arrow layout, for numpy. */
export function columnsOf(buffer: SharedArrayBuffer, layout: Layout): ArrowColumnDescription[] | undefined {
  return layout.kind === 'arrow' ? arrowColumns(decodeAt(buffer, layout.at, layout.bytes)) : undefined;
}

/** Checks a layout that came from elsewhere (a ref's data) before it is used to make views. */
export function checkLayout(layout: unknown, size: number): asserts layout is Layout {
  const fail = (): never => {
    throw new TypeError(expected('ref.layout', 'a store layout', layout));
  };
  if (typeof layout !== 'object' || layout === null) fail();
  const l = layout as Record<string, unknown>;
  const within = (at: unknown, bytes: unknown): boolean =>
    typeof at === 'number' && typeof bytes === 'number' && Number.isInteger(at) && Number.isInteger(bytes) && at >= 0 && bytes >= 0 && at + bytes <= size;
  switch (l['kind']) {
    case 'view': {
      const view = l['view'] as Partial<ViewSlot> | undefined;
      if (typeof view !== 'object' || view === null || typeof view.type !== 'string' || !Object.hasOwn(numpyDtypes, view.type)) fail();
      const width = elementBytes(view!.type as ViewSlot['type']);
      if (typeof view!.length !== 'number' || !within(view!.offset, view!.length * width)) fail();
      return;
    }
    case 'buffer':
      if (l['byteLength'] !== size) fail();
      return;
    case 'tree':
    case 'arrow':
      if (!within(l['at'], l['bytes'])) fail();
      return;
    case 'encoded':
      if (!within(0, l['bytes'])) fail();
      return;
    default:
      fail();
  }
}
