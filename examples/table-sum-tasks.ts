// The tasks of examples/table-sum.ts: each worker sums the `val` column of the table, ignoring NaN.
import { makeData, makeVector, Table, Utf8, DateDay } from 'apache-arrow';
import { currentWorker, type Barrier } from 'multiproc';

/** The table's buffers, as a program without the store would send them to every worker. */
export interface TableColumns {
  rows: number;
  date: Int32Array;
  val: Float64Array;
  labelOffsets: Int32Array;
  labelBytes: Uint8Array;
}

export interface SumResult {
  sum: number;
  rows: number;
  pid: number;
  threadId: number;
  /** Whether the column the worker summed is a view on shared memory. */
  shared: boolean;
}

/** What this worker holds on to after its task, so the parent measures memory while every worker has the table. */
let held: unknown;

function blockSum(values: Float64Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) {
    const value = values[i]!;
    if (value === value) sum += value;
  }
  return sum;
}

/**
 * The sum of `values[0..length)` that are not NaN, in blocks: V8 compiles a function it has called a few
 * times to plain double arithmetic, where one long loop, compiled while it runs, boxes every partial sum
 * (10M short-lived objects: the young generation grows by megabytes, and the loop runs 3x slower).
 */
export function nanSumOf(values: Float64Array, length: number): number {
  let sum = 0;
  for (let from = 0; from < length; from += 65_536) sum += blockSum(values, from, Math.min(length, from + 65_536));
  return sum;
}

function nanSum(table: Table): number {
  let sum = 0;
  for (const data of table.getChild('val')!.data) sum += nanSumOf(data.values as Float64Array, data.length);
  return sum;
}

function result(table: Table): SumResult {
  const info = currentWorker();
  const values = table.getChild('val')!.data[0]!.values as Float64Array;
  return { sum: nanSum(table), rows: table.numRows, pid: info?.pid ?? process.pid, threadId: info?.threadId ?? 0, shared: values.buffer instanceof SharedArrayBuffer };
}

/**
 * Waits until every worker has arrived: with one task per worker, each runs in a worker of its own, so every
 * worker has imported this module and apache-arrow before memory is measured.
 */
export function meet(barrier: Barrier): { pid: number; threadId: number } {
  barrier.waitSync({ timeout: 120_000 });
  const info = currentWorker();
  return { pid: info?.pid ?? process.pid, threadId: info?.threadId ?? 0 };
}

/** The table from the store: views on the shared segment, nothing copied. */
export function sumShared(table: Table): SumResult {
  held = table;
  return result(table);
}

/** The table's buffers sent to this worker (its own copy), made into a Table over them. */
export function sumSent(columns: TableColumns): SumResult {
  const table = tableOf(columns);
  held = table;
  return result(table);
}

/** Lets go of what the last task held. */
export function drop(): boolean {
  const had = held !== undefined;
  held = undefined;
  return had;
}

/** A Table over the given buffers (no copy): date as days, val float64, label utf8. */
export function tableOf(columns: TableColumns): Table {
  const { rows } = columns;
  return new Table({
    date: makeVector(makeData({ type: new DateDay(), length: rows, data: columns.date })),
    val: makeVector(columns.val),
    label: makeVector(makeData({ type: new Utf8(), length: rows, valueOffsets: columns.labelOffsets, data: columns.labelBytes })),
  });
}
