// Submission orders of imap and imapUnordered: arrays reordered whole, lazy inputs a window at a time.
// Calls count their starts in one shared counter, so the order in which all workers started them can be
// compared with the submission order.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RawArray, type BackendName, type LoadedTasks } from '../../src/index.js';
import { withPool, type TaskModule } from './harness.js';

interface WorkerStart<T> {
  item: T;
  worker: number;
  rank: number;
}

/** For each worker, the items it ran in the order it started them. */
function perWorker<T>(starts: readonly WorkerStart<T>[]): T[][] {
  const byWorker = new Map<number, WorkerStart<T>[]>();
  for (const start of starts) byWorker.set(start.worker, [...(byWorker.get(start.worker) ?? []), start]);
  return [...byWorker.values()].map((list) => list.sort((a, b) => a.rank - b.rank).map((start) => start.item));
}

interface Start {
  item: number;
  worker: number;
  /** Where it started among all calls, across workers. */
  order: number;
}

/**
 * Workers start calls in about the submission order given by `compare`: most pairs of calls start in the
 * order they were submitted. Not every pair: two workers run side by side, and an idle worker may take back
 * calls another holds behind a running one. Input order instead of the asked order gives almost none here
 * (every input below ascends, every asked order descends), a random one about half.
 */
function assertStartsFollow(started: readonly Start[], compare: (a: number, b: number) => number, least = 0.8): void {
  assert.equal(new Set(started.map((start) => start.order)).size, started.length, 'each call started once');
  const byStart = [...started].sort((a, b) => a.order - b.order);
  let inOrder = 0;
  let pairs = 0;
  for (let i = 0; i < byStart.length; i++) {
    for (let j = i + 1; j < byStart.length; j++) {
      pairs++;
      if (compare(byStart[i]!.item, byStart[j]!.item) < 0) inOrder++;
    }
  }
  assert.ok(inOrder / pairs >= least, `${inOrder} of ${pairs} pairs started in submission order: ${byStart.map((start) => `${start.item}@${start.worker}`).join(' ')}`);
}

/**
 * Brings both workers up with the task module imported: a worker's first call waits for the import, and an
 * idle worker rightly takes back what waits behind it, which would move starts by the import time.
 */
async function warm(tasks: LoadedTasks<TaskModule>): Promise<void> {
  using starts = new RawArray('i', 1);
  await Promise.all(Array.from({ length: 8 }, (_, item) => tasks.startOrder({ item, starts })));
  await Promise.all(Array.from({ length: 8 }, () => tasks.sleep(20)));
}

function sortedBy(items: readonly number[], compare: (a: number, b: number) => number): number[] {
  return [...items].sort(compare);
}

export function poolOrdering(backend: BackendName): void {
  describe(`Pool submission orders for imap (${backend})`, { timeout: 120_000 }, () => {
    const items = Array.from({ length: 40 }, (_, i) => i);

    it('imap over an array: longest-first starts the costliest items first, results in input order', () => withPool(backend, {}, async (_pool, tasks) => {
      await warm(tasks);
      using starts = new RawArray('i', 1);
      const entries = items.map((item) => ({ item, starts }));
      const started: Start[] = [];
      for await (const start of tasks.startOrder.imap(entries, { order: 'longest-first', cost: (entry) => entry.item, chunksize: 1 })) started.push(start);
      assert.deepEqual(started.map((start) => start.item), items, 'results come in input order');
      // The whole array is one order, from the costliest down: the workers start them in about that order.
      assertStartsFollow(started, (a, b) => b - a);
      assert.ok(started.filter((start) => start.order < 4).some((start) => start.item === 39), 'the costliest item is among the first started (each worker holds two at first)');
    }));

    it('imapUnordered over an array: longest-first by the default cost (length), every result once', () => withPool(backend, {}, async (_pool, tasks) => {
      await warm(tasks);
      using starts = new RawArray('i', 1);
      const words = Array.from({ length: 30 }, (_, i) => 'x'.repeat(i + 1));
      const started: Start[] = [];
      const entries = words.map((word) => ({ item: word.length, starts, length: word.length }));
      for await (const start of tasks.startOrder.imapUnordered(entries, { order: 'longest-first', chunksize: 1 })) started.push(start);
      assert.deepEqual(started.map((start) => start.item).sort((a, b) => a - b), words.map((word) => word.length));
      assertStartsFollow(started, (a, b) => b - a);
    }));

    it('shuffle changes the order of starts but not the results', () => withPool(backend, { workers: 1 }, async (_pool, tasks) => {
      const many = Array.from({ length: 60 }, (_, i) => i);
      const starts: WorkerStart<number>[] = [];
      for await (const start of tasks.startRank.imap(many, { order: 'shuffle', chunksize: 1 })) starts.push(start as WorkerStart<never>);
      assert.deepEqual(starts.map((start) => start.item), many, 'results come in input order');
      const [ran] = perWorker(starts);
      assert.notDeepEqual(ran, many, 'the worker started them in another order (60! orders: input order by chance is negligible)');
      assert.deepEqual(sortedBy(ran!, (a, b) => a - b), many);
      const squares: number[] = [];
      async function* lazy(): AsyncGenerator<number> {
        for (const item of many) yield await Promise.resolve(item);
      }
      for await (const value of tasks.square.imap(lazy(), { order: 'shuffle', orderWindow: 7 })) squares.push(value);
      assert.deepEqual(squares, many.map((x) => x * x));
    }));

    it('imap over a lazy input orders each window of orderWindow items', () => withPool(backend, {}, async (_pool, tasks) => {
      await warm(tasks);
      using starts = new RawArray('i', 1);
      function* ascending(): Generator<{ item: number; starts: RawArray<'i'> }> {
        for (const item of items) yield { item, starts };
      }
      const window = 10;
      const started: Start[] = [];
      for await (const start of tasks.startOrder.imap(ascending(), { order: 'longest-first', cost: (entry) => entry.item, chunksize: 1, orderWindow: window })) {
        started.push(start);
      }
      assert.deepEqual(started.map((start) => start.item), items, 'results come in input order');
      // Submission order: window by window in input order, each window from its costliest down.
      assertStartsFollow(started, (a, b) => Math.floor(a / window) - Math.floor(b / window) || b - a);
      const unordered: number[] = [];
      for await (const start of tasks.startOrder.imapUnordered(ascending(), { order: 'longest-first', cost: (entry) => entry.item, chunksize: 1, orderWindow: window })) {
        unordered.push(start.item);
      }
      assert.deepEqual(sortedBy(unordered, (a, b) => a - b), items);
    }));

    it('an endless generator with a reordering window is read in bounded memory', () => withPool(backend, {}, async (_pool, tasks) => {
      let produced = 0;
      function* endless(): Generator<number> {
        for (;;) yield produced++;
      }
      const seen: number[] = [];
      for await (const value of tasks.square.imap(endless(), { order: 'longest-first', cost: (x) => x, orderWindow: 50 })) {
        seen.push(value);
        if (seen.length === 500) break;
      }
      assert.deepEqual(seen, Array.from({ length: 500 }, (_, i) => i * i));
      // A new window is read only while fewer than a window of items read are not yet yielded.
      assert.ok(produced <= 500 + 2 * 50, `read ${produced} items for 500 results`);
      produced = 0;
      const unordered = new Set<number>();
      for await (const value of tasks.square.imapUnordered(endless(), { order: 'shuffle', chunksize: 4 })) {
        unordered.add(value);
        if (unordered.size === 300) break;
      }
      // Default window: 4 x workers x chunk size = 32 items; besides the chunk being yielded, at most
      // (2 x workers + 2) chunks are in flight or waiting to be yielded.
      assert.ok(produced <= 300 + 4 + 6 * 4 + 32, `read ${produced} items for 300 results`);
    }));

    it('validates orderWindow', () => withPool(backend, { workers: 1 }, (_pool, tasks) => {
      assert.throws(() => tasks.square.imap([1], { order: 'shuffle', orderWindow: 0 }), { name: 'RangeError', message: /`orderWindow` to be a positive integer/ });
      assert.throws(() => tasks.square.imap([1], { order: 'longest-first', cost: 3 as never }), /`cost`/);
      return Promise.resolve();
    }));
  });
}
