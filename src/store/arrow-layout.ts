// How an apache-arrow Table, RecordBatch or Vector lies in its segment: every buffer of every Data (values,
// validity, offsets, type ids, dictionaries) 64-byte aligned, then a description of the Data trees, and the
// schema as Arrow's own IPC message; a reader rebuilds the Data with Arrow's makeData over views on the pages.
import type { Data, DataType, RecordBatch, Schema, Table, Vector } from 'apache-arrow';
import { expected } from '../errors.js';
import type { ArrowModule } from './arrow-module.js';
import { align, bytesOf, elementBytes, numpyDtypes, viewOn, viewTypeOf, type ArrayDescription, type ViewSlot } from './views.js';

export type ArrowKind = 'table' | 'batch' | 'vector';

/** One Data as the segment holds it; its type is found in the schema, beside it. */
interface DataNode {
  offset: number;
  length: number;
  nullCount: number;
  /** Elements of its values buffer per row (Arrow's `stride`: 4 for a 128-bit decimal in 32-bit words). */
  stride: number;
  /** Indexes in `slots` of its value offsets, values, validity bitmap and type ids (Arrow's buffer order); -1: none. */
  buffers: [number, number, number, number];
  variadic: number[];
  children: DataNode[];
  /** Index in `dictionaries` of a dictionary-encoded Data's dictionary; -1: none. */
  dictionary: number;
}

/** One buffer of a column, for numpy: its elements from the column's first row. */
export interface ArrowBufferDescription extends Omit<ArrayDescription, 'shape'> {
  /** `[rows]`, or `[rows, width]` for fixed-width values of several elements a row (decimals). */
  shape: number[];
  /** For a bitmap (validity, or a Bool column's values): the bit of the first row in its first byte. */
  bitOffset?: number;
  /** For Date32 (days in an int32, which numpy has no dtype for): the unit to read them in, `.astype('datetime64[D]')`. */
  datetime?: 'D';
}

/** One chunk (one record batch) of a column. */
export interface ArrowChunkDescription {
  length: number;
  nullCount: number;
  /** The values; for strings and binaries their bytes (index them with `offsets`); for a dictionary-encoded column the indices. */
  values?: ArrowBufferDescription;
  /** The validity bitmap, where there is one: bit `bitOffset + i` set means row i is not null. */
  validity?: ArrowBufferDescription;
  /** Strings, binaries and lists: `length + 1` offsets into `values`. */
  offsets?: ArrowBufferDescription;
  /** A dictionary-encoded column's dictionary. */
  dictionary?: ArrowChunkDescription[];
}

/** One column of a stored Arrow table (a stored Vector is one column named `vector`). */
export interface ArrowColumnDescription {
  name: string;
  /** Arrow's name of the type: `Float64`, `Utf8`, `Date32<DAY>`, `Dictionary<Int32, Utf8>`. */
  type: string;
  /** numpy's dtype of the values (`<f8`; `<i4` for Date32's days; `|u1` for string bytes). */
  dtype?: string;
  /** For a column of one chunk: its values' shape and offset (`numpy.ndarray(shape, dtype, buf, offset)`). */
  shape?: number[];
  offset?: number;
  chunks: ArrowChunkDescription[];
}

/** What the segment says about an Arrow value, after its buffers. */
interface ArrowDescription {
  kind: ArrowKind;
  /** An Arrow IPC stream of the schema alone: Arrow's own account of the types, dictionaries included. */
  schema: Uint8Array;
  slots: ViewSlot[];
  /** Table and batch: one Struct Data per record batch. Vector: its chunks. */
  chunks: DataNode[];
  /** Each dictionary's chunks (one Vector, laid out once however many batches share it). */
  dictionaries: DataNode[][];
  columns: ArrowColumnDescription[];
}

/**
 * Which Arrow value `value` is, by the tag Arrow sets on each of its classes (`Table[Symbol.toStringTag]` is
 * 'Table'): no Arrow module is loaded to ask, and a table made by another copy of apache-arrow is still
 * recognised.
 */
export function arrowKindOf(value: unknown): ArrowKind | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const ctor = (value as { constructor?: unknown }).constructor;
  if (typeof ctor !== 'function') return undefined;
  const tag = (ctor as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag];
  if (tag === 'Table' && Array.isArray((value as Table).batches) && 'schema' in value) return 'table';
  if (tag === 'RecordBatch' && 'data' in value && 'schema' in value) return 'batch';
  if (tag === 'Vector' && Array.isArray((value as Vector).data) && 'type' in value) return 'vector';
  return undefined;
}

// Arrow's type ids (its `Type` enum), for the dtypes numpy gives dates, times and durations.
const typeIds = { Bool: 6, Date: 8, Timestamp: 10, Duration: 18 } as const;
const timeUnits = ['s', 'ms', 'us', 'ns'] as const;

/** numpy's dtype for the values of `type`, held in a `slot`. */
function dtypeOf(type: DataType, slot: ViewSlot): string {
  const unit = (type as { unit?: number }).unit ?? 0;
  switch (type.typeId as number) {
    case typeIds.Date:
      // Date32 counts days in 32 bits, which no numpy datetime64 is: its dtype stays '<i4' (see `datetime`).
      return unit === 0 ? numpyDtypes[slot.type] : '<M8[ms]';
    case typeIds.Timestamp:
      return `<M8[${timeUnits[unit] ?? 'ms'}]`;
    case typeIds.Duration:
      return `<m8[${timeUnits[unit] ?? 'ms'}]`;
    default:
      return numpyDtypes[slot.type];
  }
}

/** Arrow's name of a type (its `toString`): `Float64`, `Dictionary<Int32, Utf8>`. */
function typeName(type: DataType): string {
  return (type as { toString(): string }).toString();
}

/** Lays out every buffer once (a buffer two Data share is one slot) and notes where. */
class Gatherer {
  readonly slots: ViewSlot[] = [];
  readonly views: ArrayBufferView[] = [];
  readonly dictionaries: DataNode[][] = [];
  readonly #slotOf = new Map<ArrayBufferView, number>();
  readonly #dictionaryOf = new Map<object, number>();
  end = 0;
  bytes = 0;

  slot(view: ArrayBufferView | undefined): number {
    if (view === undefined || view === null || view.byteLength === 0) return -1;
    const known = this.#slotOf.get(view);
    if (known !== undefined) return known;
    const type = viewTypeOf(view);
    if (type === undefined) throw new TypeError(expected('an Arrow buffer', 'a typed array', view));
    const index = this.slots.push({ type, offset: this.end, length: type === 'Buffer' ? view.byteLength : (view as Uint8Array).length }) - 1;
    this.views.push(view);
    this.#slotOf.set(view, index);
    this.end = align(this.end + view.byteLength);
    this.bytes += view.byteLength;
    return index;
  }

  node(data: Data): DataNode {
    const dictionary = data.dictionary === undefined ? -1 : this.#dictionary(data.dictionary);
    return {
      offset: data.offset,
      length: data.length,
      nullCount: data.nullCount,
      stride: data.stride,
      buffers: [this.slot(data.valueOffsets as ArrayBufferView | undefined), this.slot(data.values as ArrayBufferView | undefined), this.slot(data.nullBitmap), this.slot(data.typeIds as ArrayBufferView | undefined)],
      variadic: (data.variadicBuffers ?? []).map((buffer) => this.slot(buffer)),
      children: data.children.map((child) => this.node(child)),
      dictionary,
    };
  }

  #dictionary(vector: Vector): number {
    const known = this.#dictionaryOf.get(vector);
    if (known !== undefined) return known;
    const index = this.dictionaries.push([]) - 1;
    this.#dictionaryOf.set(vector, index);
    this.dictionaries[index] = (vector.data as Data[]).map((chunk) => this.node(chunk));
    return index;
  }
}

function bufferDescription(slot: ViewSlot, dtype: string, elementOffset: number, shape: number[], bitOffset?: number): ArrowBufferDescription {
  return {
    type: slot.type, dtype, shape, offset: slot.offset + elementOffset * elementBytes(slot.type),
    ...(bitOffset === undefined ? {} : { bitOffset }),
  };
}

/** What numpy needs of one chunk of a column. */
function chunkDescription(type: DataType, node: DataNode, slots: readonly ViewSlot[], dictionaries: readonly DataNode[][], dictionaryType?: DataType): ArrowChunkDescription {
  const [offsetsAt, valuesAt, validityAt] = node.buffers;
  const chunk: ArrowChunkDescription = { length: node.length, nullCount: node.nullCount };
  const values = slots[valuesAt];
  const offsets = slots[offsetsAt];
  // A slice's Data keeps its bitmaps whole and counts their bits from `offset`; Arrow cuts its other buffers
  // to the slice (the values of a string column stay whole, indexed by its cut offsets).
  const bits = (slot: ViewSlot): ArrowBufferDescription =>
    bufferDescription(slot, '|u1', node.offset >> 3, [Math.ceil(((node.offset & 7) + node.length) / 8)], node.offset & 7);
  if (validityAt >= 0) chunk.validity = bits(slots[validityAt]!);
  if (offsets !== undefined) {
    chunk.offsets = bufferDescription(offsets, numpyDtypes[offsets.type], 0, [node.length + 1]);
    if (values !== undefined) chunk.values = bufferDescription(values, numpyDtypes[values.type], 0, [values.length]);
  } else if (values !== undefined) {
    if ((type.typeId as number) === typeIds.Bool) {
      chunk.values = bits(values);
    } else {
      const width = Math.max(1, node.stride);
      chunk.values = bufferDescription(values, dtypeOf(type, values), 0, width === 1 ? [node.length] : [node.length, width]);
      if ((type.typeId as number) === typeIds.Date && ((type as { unit?: number }).unit ?? 0) === 0) chunk.values.datetime = 'D';
    }
  }
  if (node.dictionary >= 0 && dictionaryType !== undefined) {
    chunk.dictionary = (dictionaries[node.dictionary] ?? []).map((entry) => chunkDescription(dictionaryType, entry, slots, dictionaries));
  }
  return chunk;
}

/** The columns of a record batch's Struct Data, or of a vector's chunks. */
function columnsOf(fields: readonly { name: string; type: DataType }[], perChunk: DataNode[][], slots: readonly ViewSlot[], dictionaries: readonly DataNode[][]): ArrowColumnDescription[] {
  return fields.map((field, i) => {
    const dictionaryType = (field.type as { dictionary?: DataType }).dictionary;
    const chunks = perChunk.map((nodes) => chunkDescription(field.type, nodes[i]!, slots, dictionaries, dictionaryType));
    const only = chunks.length === 1 ? chunks[0]!.values : undefined;
    const column: ArrowColumnDescription = { name: field.name, type: typeName(field.type), chunks };
    if (only !== undefined) Object.assign(column, { dtype: only.dtype, shape: only.shape, offset: only.offset });
    return column;
  });
}

/** Where each buffer goes and the description that follows them; `encode` writes the description. */
export function planArrow(value: Table | RecordBatch | Vector, kind: ArrowKind, arrow: ArrowModule): { end: number; bytes: number; views: ArrayBufferView[]; slots: ViewSlot[]; description: ArrowDescription } {
  const gatherer = new Gatherer();
  let schema: Schema;
  let chunks: DataNode[];
  let columns: ArrowColumnDescription[];
  if (kind === 'vector') {
    const vector = value as Vector;
    schema = new arrow.Schema([new arrow.Field('vector', vector.type, true)]);
    chunks = (vector.data as Data[]).map((data) => gatherer.node(data));
    columns = columnsOf(schema.fields, chunks.map((node) => [node]), gatherer.slots, gatherer.dictionaries);
  } else {
    const batches = kind === 'table' ? (value as Table).batches : [value as RecordBatch];
    schema = (value as Table).schema;
    chunks = batches.map((batch) => gatherer.node(batch.data));
    columns = columnsOf(schema.fields, chunks.map((node) => node.children), gatherer.slots, gatherer.dictionaries);
  }
  // A schema from another copy of apache-arrow is rebuilt from its fields, which Arrow's writer reads by type id.
  const own = new arrow.Schema(schema.fields, schema.metadata);
  const ipc = arrow.tableToIPC(new arrow.Table(own), 'stream');
  const description: ArrowDescription = { kind, schema: ipc, slots: gatherer.slots, chunks, dictionaries: gatherer.dictionaries, columns };
  return { end: gatherer.end, bytes: gatherer.bytes, views: gatherer.views, slots: gatherer.slots, description };
}

/** Copies the buffers into place. */
export function fillArrow(target: Uint8Array, views: readonly ArrayBufferView[], slots: readonly ViewSlot[]): void {
  views.forEach((view, i) => target.set(bytesOf(view), slots[i]!.offset));
}

/** Checks a description read from a segment: its slots must lie inside it. */
function checkDescription(description: unknown, size: number): asserts description is ArrowDescription {
  const d = description as Partial<ArrowDescription> | null;
  const fail = (): never => {
    throw new TypeError(expected('an Arrow layout', 'a stored Arrow description', d));
  };
  if (typeof d !== 'object' || d === null || !Array.isArray(d.slots) || !Array.isArray(d.chunks) || !(d.schema instanceof Uint8Array)) fail();
  for (const slot of d!.slots!) {
    if (!Object.hasOwn(numpyDtypes, slot.type) || !Number.isInteger(slot.offset) || !Number.isInteger(slot.length) || slot.offset < 0 || slot.length < 0 ||
      slot.offset + slot.length * elementBytes(slot.type) > size) fail();
  }
}

/** The Arrow value described by `description`, over views on `buffer` (with `copy`, over private copies). */
export function readArrow(buffer: SharedArrayBuffer, description: unknown, copy: boolean, arrow: ArrowModule): Table | RecordBatch | Vector {
  checkDescription(description, buffer.byteLength);
  const { kind, slots, chunks, dictionaries } = description;
  const views = slots.map((slot) => viewOn(buffer, slot, copy));
  const schema = arrow.tableFromIPC(description.schema).schema;
  const vectors = new Map<number, Vector>();
  const buffer_ = (index: number): ArrayBufferView | undefined => (index < 0 ? undefined : views[index]);

  const dictionaryVector = (index: number, type: DataType): Vector => {
    let vector = vectors.get(index);
    if (vector === undefined) {
      vector = new arrow.Vector((dictionaries[index] ?? []).map((node) => dataOf(type, node)));
      vectors.set(index, vector);
    }
    return vector;
  };

  const dataOf = (type: DataType, node: DataNode): Data => {
    const isDictionary = arrow.DataType.isDictionary(type);
    const childTypes = isDictionary ? [] : (type.children ?? []).map((field) => field.type as DataType);
    const children = node.children.map((child, i) => {
      const childType = childTypes[i];
      if (childType === undefined) throw new TypeError(expected('an Arrow layout', `at most ${childTypes.length} children for ${typeName(type)}`, node.children.length));
      return dataOf(childType, child);
    });
    const [valueOffsets, values, nullBitmap, typeIdBuffer] = node.buffers.map(buffer_);
    // makeData takes each kind's buffers under its own names (data, views, child or children...): give all.
    const props: Record<string, unknown> = {
      type, offset: node.offset, length: node.length, nullCount: node.nullCount,
      data: values, views: values, valueOffsets, nullBitmap, typeIds: typeIdBuffer,
      children, child: children[0], variadicBuffers: node.variadic.map(buffer_),
    };
    if (isDictionary && node.dictionary >= 0) props['dictionary'] = dictionaryVector(node.dictionary, (type as unknown as { dictionary: DataType }).dictionary);
    for (const key of Object.keys(props)) if (props[key] === undefined) delete props[key];
    return arrow.makeData(props as unknown as Parameters<typeof arrow.makeData>[0]);
  };

  if (kind === 'vector') {
    const field = schema.fields[0];
    if (field === undefined) throw new TypeError(expected('an Arrow layout', 'a schema of one field for a vector', schema.fields.length));
    return new arrow.Vector(chunks.map((node) => dataOf(field.type as DataType, node)));
  }
  const struct = new arrow.Struct(schema.fields);
  const batches = chunks.map((node) => new arrow.RecordBatch(schema, dataOf(struct, node) as Data<typeof struct>));
  return kind === 'batch' ? batches[0]! : new arrow.Table(schema, batches);
}

/** The columns a stored Arrow value's description lists (for `describe`). */
export function arrowColumns(description: unknown): ArrowColumnDescription[] {
  return (description as ArrowDescription).columns;
}
