// Submission orders of imap and imapUnordered: arrays reordered whole, lazy inputs a window at a time.
// A worker starts the tasks it holds in the order it was handed them, and it is handed them in submission
// order, so the calls one worker started, sorted by its own counter, must follow the submission order.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BackendName } from '../../src/index.js';
import { withPool } from './harness.js';

interface Start<T> {
  item: T;
  worker: number;
  rank: number;
}

/** For each worker, the items it ran in the order it started them. */
function perWorker<T>(starts: readonly Start<T>[]): T[][] {
  const byWorker = new Map<number, Start<T>[]>();
  for (const start of starts) byWorker.set(start.worker, [...(byWorker.get(start.worker) ?? []), start]);
  return [...byWorker.values()].map((list) => list.sort((a, b) => a.rank - b.rank).map((start) => start.item));
}

function sortedBy(items: readonly number[], compare: (a: number, b: number) => number): number[] {
  return [...items].sort(compare);
}

export function poolOrdering(backend: BackendName): void {
  describe(`Pool submission orders for imap (${backend})`, { timeout: 120_000 }, () => {
    const items = Array.from({ length: 40 }, (_, i) => i);

    it('imap over an array: longest-first starts the costliest items first, results in input order', () => withPool(backend, {}, async (_pool, tasks) => {
      const starts: Start<number>[] = [];
      for await (const start of tasks.startRank.imap(items, { order: 'longest-first', cost: (x) => x as number, chunksize: 1 })) starts.push(start as Start<never>);
      assert.deepEqual(starts.map((start) => start.item), items, 'results come in input order');
      const workers = perWorker(starts);
      assert.equal(workers.flat().length, items.length);
      // The whole array is one order: each worker started its items from the costliest down.
      for (const ran of workers) assert.deepEqual(ran, sortedBy(ran, (a, b) => b - a));
      assert.ok(workers.some((ran) => ran[0] === 39), 'the costliest item is the first its worker started');
    }));

    it('imapUnordered over an array: longest-first by the default cost (length), every result once', () => withPool(backend, {}, async (_pool, tasks) => {
      const words = Array.from({ length: 30 }, (_, i) => 'x'.repeat(i + 1));
      const starts: Start<string>[] = [];
      for await (const start of tasks.startRank.imapUnordered(words, { order: 'longest-first', chunksize: 1 })) starts.push(start as Start<never>);
      assert.deepEqual(starts.map((start) => start.item).sort(), [...words].sort());
      for (const ran of perWorker(starts)) assert.deepEqual(ran.map((word) => word.length), ran.map((word) => word.length).sort((a, b) => b - a));
    }));

    it('shuffle changes the order of starts but not the results', () => withPool(backend, { workers: 1 }, async (_pool, tasks) => {
      const many = Array.from({ length: 60 }, (_, i) => i);
      const starts: Start<number>[] = [];
      for await (const start of tasks.startRank.imap(many, { order: 'shuffle', chunksize: 1 })) starts.push(start as Start<never>);
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
      function* ascending(): Generator<number> {
        yield* items;
      }
      const window = 10;
      const starts: Start<number>[] = [];
      for await (const start of tasks.startRank.imap(ascending(), { order: 'longest-first', cost: (x) => x as number, chunksize: 1, orderWindow: window })) {
        starts.push(start as Start<number>);
      }
      assert.deepEqual(starts.map((start) => start.item), items, 'results come in input order');
      // Submission order: window by window in input order, each window from its costliest down.
      const submission = (a: number, b: number): number => Math.floor(a / window) - Math.floor(b / window) || b - a;
      for (const ran of perWorker(starts)) assert.deepEqual(ran, sortedBy(ran, submission));
      const unordered: number[] = [];
      for await (const start of tasks.startRank.imapUnordered(ascending(), { order: 'longest-first', cost: (x) => x as number, chunksize: 1, orderWindow: window })) {
        unordered.push(start.item as number);
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
      assert.throws(() => tasks.square.imap([1], { order: 'shuffle', orderWindow: 0 }), { name: 'TypeError', message: /`orderWindow` to be a positive integer/ });
      assert.throws(() => tasks.square.imap([1], { order: 'longest-first', cost: 3 as never }), /`cost`/);
      return Promise.resolve();
    }));
  });
}
