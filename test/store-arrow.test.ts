// apache-arrow values in the object store: a Table, a RecordBatch or a Vector put once, every column buffer
// in shared memory, and each reader (a worker thread, a worker process, numpy) reading the same pages.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import * as arrow from 'apache-arrow';
import { ObjectStore, Pool, type BackendName } from '../src/index.js';
import { fixture, python, pythonScript } from './helpers/spawn.js';
import { within } from './pool/harness.js';
import { nanSum, tableBuffers } from './fixtures/store-arrow-tasks.js';
import type * as ArrowTasks from './fixtures/store-arrow-tasks.js';

const tasksUrl = new URL(`file://${fixture('store-arrow-tasks.js')}`);
const shmPath = (name: string): string => `/dev/shm/${name}`;
const kinds = ['red', 'green', 'blue'];
const day0 = 19_000;

/** Row i's value of `val`: NaN every 7th row, null every 11th, else i / 4. */
function valAt(i: number): number | null {
  if (i % 11 === 5) return null;
  return i % 7 === 3 ? NaN : i / 4;
}

/** A table of `rows` rows: a date (days), a float64 with NaN and nulls, a utf8 string, a dictionary-encoded string. */
function makeTable(rows: number): arrow.Table {
  return new arrow.Table({
    date: arrow.makeVector(arrow.makeData({ type: new arrow.DateDay(), length: rows, data: Int32Array.from({ length: rows }, (_, i) => day0 + i) })),
    val: arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => valAt(i)), new arrow.Float64()),
    s: arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => `row-${i}`), new arrow.Utf8()),
    k: arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => kinds[i % 3]!), new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())),
  });
}

function expectedSum(rows: number, from = 0): { sum: number; nulls: number } {
  let sum = 0;
  let nulls = 0;
  for (let i = from; i < from + rows; i++) {
    const value = valAt(i);
    if (value === null) nulls++;
    else if (!Number.isNaN(value)) sum += value;
  }
  return { sum, nulls };
}

const dayMs = 86_400_000;

describe('Arrow values in an ObjectStore (one thread)', () => {
  it('a Table comes back as a Table over the segment: every buffer shared and 64-byte aligned, values equal', () => {
    using store = new ObjectStore();
    const table = makeTable(1000);
    const ref = store.put(table);
    const back = ref.getSync();
    assert.ok(back instanceof arrow.Table, 'an apache-arrow Table of the same classes the application imports');
    assert.notEqual(back, table);
    assert.equal(back.numRows, 1000);
    assert.deepEqual(back.schema.fields.map((field) => [field.name, String(field.type)]),
      [['date', 'Date32<DAY>'], ['val', 'Float64'], ['s', 'Utf8'], ['k', 'Dictionary<Int32, Utf8>']]);
    const buffers = tableBuffers(back);
    assert.ok(buffers.length >= 8, `${buffers.length} buffers`);
    assert.ok(buffers.every((buffer) => buffer.buffer instanceof SharedArrayBuffer), 'no buffer is private memory');
    assert.ok(buffers.every((buffer) => buffer.byteOffset % 64 === 0), 'every buffer starts on a 64-byte boundary');
    const segment = new Set(buffers.map((buffer) => buffer.buffer));
    assert.equal(segment.size, 1, 'all of them in the one segment');
    for (const i of [0, 3, 5, 500, 999]) {
      assert.deepEqual(back.get(i)?.toJSON(), table.get(i)?.toJSON(), `row ${i}`);
    }
    assert.equal(back.getChild('date')!.get(2), (day0 + 2) * dayMs);
    assert.equal(back.getChild('s')!.get(999), 'row-999');
    assert.equal(back.getChild('k')!.get(4), 'green');
    assert.equal(back.getChild('val')!.get(5), null);
    assert.ok(Number.isNaN(back.getChild('val')!.get(3)));
    assert.deepEqual(nanSum(back, 'val'), expectedSum(1000));
    assert.equal(ref.getSync(), back, 'materialised once');
  });

  it('copy: true gives a Table over private buffers; writes through it reach no one', () => {
    using store = new ObjectStore();
    const ref = store.put(makeTable(100));
    const copy = ref.getSync({ copy: true });
    assert.ok(copy instanceof arrow.Table);
    assert.ok(tableBuffers(copy).every((buffer) => !(buffer.buffer instanceof SharedArrayBuffer)));
    (copy.getChild('val')!.data[0]!.values as Float64Array)[0] = 99;
    assert.equal(ref.getSync().getChild('val')!.get(0), 0);
  });

  it('RecordBatches, Vectors, tables of several batches sharing a dictionary, and slices keep their contents', () => {
    using store = new ObjectStore();
    const table = makeTable(300);
    const batch = store.put(table.batches[0]!).getSync();
    assert.ok(batch instanceof arrow.RecordBatch);
    assert.deepEqual(batch.get(7)?.toJSON(), table.get(7)?.toJSON());
    const vector = store.put(table.getChild('s')!).getSync();
    assert.ok(vector instanceof arrow.Vector);
    assert.equal(vector.get(42), 'row-42');
    assert.equal((vector.data[0]!.values as Uint8Array).buffer instanceof SharedArrayBuffer, true);
    // Two batches whose dictionary column shares one dictionary: laid out once, still shared after.
    const dictionary = arrow.vectorFromArray(kinds, new arrow.Utf8());
    const type = new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32(), 0);
    const chunk = (indices: number[]): arrow.Data => arrow.makeData({ type, length: indices.length, data: Int32Array.from(indices), dictionary });
    const schema = new arrow.Schema([new arrow.Field('k', type, false)]);
    const batches = [[0, 1, 2], [2, 2, 0, 1]].map((indices) => new arrow.RecordBatch(schema, arrow.makeData({
      type: new arrow.Struct(schema.fields), length: indices.length, nullCount: 0, children: [chunk(indices)],
    })));
    const two = new arrow.Table(schema, batches);
    const twoRef = store.put(two);
    const back = twoRef.getSync();
    assert.equal(back.batches.length, 2);
    assert.deepEqual(back.getChild('k')!.toArray(), ['red', 'green', 'blue', 'blue', 'blue', 'red', 'green']);
    assert.equal(back.batches[0]!.data.children[0]!.dictionary, back.batches[1]!.data.children[0]!.dictionary, 'one dictionary for both batches');
    assert.equal(twoRef.describe().columns![0]!.chunks.length, 2);
    // A slice: its Data start at an offset inside whole buffers.
    const slice = table.slice(100, 150);
    const sliced = store.put(slice).getSync();
    assert.equal(sliced.numRows, 50);
    assert.deepEqual(sliced.get(0)?.toJSON(), table.get(100)?.toJSON());
    assert.deepEqual(nanSum(sliced, 'val'), expectedSum(50, 100));
  });

  it('describe() gives each column\'s buffers with numpy dtypes, and Python reads them in place and writes back', () => {
    using store = new ObjectStore();
    const rows = 5000;
    const ref = store.put(makeTable(rows));
    const described = ref.describe();
    assert.equal(described.kind, 'arrow');
    const val = described.columns!.find((column) => column.name === 'val')!;
    assert.equal(val.dtype, '<f8');
    assert.deepEqual(val.shape, [rows]);
    assert.equal(val.offset! % 64, 0);
    const date = described.columns!.find((column) => column.name === 'date')!;
    assert.equal(date.dtype, '<i4', 'Date32 is days in an int32');
    assert.equal(date.chunks[0]!.values!.datetime, 'D');
    assert.ok(val.chunks[0]!.validity !== undefined, 'a column with nulls has its validity bitmap described');
    const result = spawnSync(python, [pythonScript('store_arrow.py'), JSON.stringify(described), '3', '123.5'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(result.status, 0, result.stderr);
    const read = JSON.parse(result.stdout) as Record<string, unknown>;
    const expected = expectedSum(rows);
    assert.equal(read['valSum'], expected.sum);
    assert.equal(read['nulls'], expected.nulls);
    assert.ok((read['nans'] as number) > 0, 'NaN rows are read as NaN');
    assert.equal(read['date0'], '2022-01-08');
    assert.equal(read['dateDtype'], 'datetime64[D]');
    assert.equal(read['s2'], 'row-2');
    assert.equal(read['k1'], 'green');
    assert.equal(read['aligned'], true);
    assert.equal(ref.getSync().getChild('val')!.get(3), 123.5, 'numpy wrote to the same memory');
    assert.ok(existsSync(shmPath(described.segment)), 'Python left the segment alone');
  });

  it('a plain object shaped like a Table is encoded as the plain object it is', () => {
    using store = new ObjectStore();
    const lookalike = { schema: 1, batches: [], constructor: { name: 'Table' } };
    const ref = store.put(lookalike);
    assert.equal(ref.describe().kind, 'encoded');
    assert.deepEqual(ref.getSync(), lookalike);
  });
});

for (const backend of ['thread', 'process'] as BackendName[]) {
  describe(`Arrow values with a ${backend} pool`, { timeout: 120_000 }, () => {
    it('a worker gets the Table as its own Table, reading the same pages, with equal values', async () => {
      const pool = new Pool({ workers: 2, backend });
      try {
        const tasks = pool.load<typeof ArrowTasks>(tasksUrl);
        const table = makeTable(2000);
        const ref = pool.put(table);
        const views = await within(Promise.all([tasks.viewTable(ref), tasks.viewTable(ref), tasks.viewTable(ref)]), 60_000);
        const expected = expectedSum(2000);
        for (const view of views) {
          assert.equal(view.isTable, true, "the worker's `instanceof Table` holds: its apache-arrow classes");
          assert.equal(view.rows, 2000);
          assert.equal(view.valSum, expected.sum);
          assert.equal(view.valNulls, expected.nulls);
          assert.equal(view.allShared, true, 'every buffer the worker sees is shared memory');
          assert.equal(view.allAligned, true);
          assert.deepEqual(view.rows3, [0, 1, 1999].map((i) => JSON.parse(JSON.stringify(table.get(i)?.toJSON())) as unknown));
        }
        const batch = await within(tasks.viewBatch(pool.put(table.batches[0]!)), 30_000);
        assert.deepEqual(batch, { isBatch: true, rows: 2000, first: { date: day0 * dayMs, val: 0, s: 'row-0', k: 'red' }, shared: true });
        const vector = await within(tasks.viewVector(pool.put(table.getChild('k')!.slice(0, 4))), 30_000);
        assert.deepEqual(vector, { isVector: true, length: 4, values: ['red', 'green', 'blue', 'red'], shared: true });
        const segment = ref.describe().segment;
        await within(pool.close());
        assert.equal(existsSync(shmPath(segment)), false, 'closing the pool unlinked the table');
      } finally {
        await pool.terminate();
      }
    });

    it('no copy: a write through the owner\'s view is seen by the worker, and the worker\'s back by the owner', async () => {
      const pool = new Pool({ workers: 1, backend });
      try {
        const tasks = pool.load<typeof ArrowTasks>(tasksUrl);
        const ref = pool.put(makeTable(100));
        assert.equal(await within(tasks.valueAt(ref, 'val', 12), 30_000), 3);
        const mine = ref.getSync();
        (mine.getChild('val')!.data[0]!.values as Float64Array)[12] = -7.5;
        assert.equal(await within(tasks.valueAt(ref, 'val', 12), 30_000), -7.5, 'the worker, whose table was already materialised, sees the write');
        await within(tasks.writeVal(ref, 20, 1e9), 30_000);
        assert.equal(mine.getChild('val')!.get(20), 1e9);
      } finally {
        await pool.terminate();
      }
    });

    it('the worker\'s private memory grows by far less than the table it sums', async () => {
      const pool = new Pool({ workers: 1, backend });
      try {
        const tasks = pool.load<typeof ArrowTasks>(tasksUrl);
        const rows = 2_000_000;
        const val = Float64Array.from({ length: rows }, (_, i) => (i % 7 === 3 ? NaN : i % 100));
        const offsets = Int32Array.from({ length: rows + 1 }, (_, i) => i * 8);
        const bytes = new Uint8Array(rows * 8).fill(0x61);
        const table = new arrow.Table({
          date: arrow.makeVector(arrow.makeData({ type: new arrow.DateDay(), length: rows, data: new Int32Array(rows).fill(day0) })),
          val: arrow.makeVector(val),
          s: arrow.makeVector(arrow.makeData({ type: new arrow.Utf8(), length: rows, valueOffsets: offsets, data: bytes })),
        });
        const tableKb = (val.byteLength + offsets.byteLength + bytes.byteLength + rows * 4) / 1024;
        let expected = 0;
        for (const value of val) if (!Number.isNaN(value)) expected += value;
        const ref = pool.put(table);
        await within(tasks.valueAt(ref, 's', 0), 30_000);
        const measured = await within(tasks.sumMeasured({ table: ref }), 60_000);
        assert.equal(measured.sum, expected);
        assert.equal(measured.isTable, true);
        assert.ok(measured.anonKb < tableKb / 8, `private memory grew by ${measured.anonKb} kB for a ${Math.round(tableKb)} kB table`);
        if (backend === 'process') {
          // A process of its own: the pages it read are counted as shared ones as it touches them.
          assert.ok(measured.shmemKb >= (val.byteLength / 1024) * 0.9, `shared resident memory grew by ${measured.shmemKb} kB`);
        }
      } finally {
        await pool.terminate();
      }
    });
  });
}
