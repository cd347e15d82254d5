// imap and imapUnordered: read the input lazily, keep a bounded number of chunks in flight, yield results
// in input order or as they complete. An endless generator works; stopping early drops what is left.
// With an order other than input order, items are read a window at a time and each window is reordered.
import { AdaptiveChunksize } from './chunking.js';
import type { ProgressTracker } from '../observe/progress.js';
import type { MapReport } from './map-report.js';

export interface ChunkHandle {
  promise: Promise<{ values: unknown[]; micros: number }>;
  drop(): void;
}

export interface LazyMapOptions {
  ordered: boolean;
  /** A fixed chunk size, or undefined to size chunks from measured run times. */
  chunksize: number | undefined;
  maxInflight: number;
  /** Submission order of a window's items (indices into it); undefined: input order. */
  arrange: ((items: unknown[]) => number[]) | undefined;
  /** How many items a window holds, given the current chunk size (only with `arrange`). */
  window: (chunksize: number) => number;
  submit(items: unknown[]): ChunkHandle;
  tracker: ProgressTracker | undefined;
  /** The call on the diagnostics channels; read when iterating starts (it is made then). */
  report?: MapReport | undefined;
}

interface Entry {
  handle: ChunkHandle;
  done: boolean;
  failed: boolean;
  values: unknown[];
  error: unknown;
  /** Input positions of its items, when reordered. */
  indices: number[] | undefined;
}

type AnyIterator = Iterator<unknown> | AsyncIterator<unknown>;

function iteratorOf(source: Iterable<unknown> | AsyncIterable<unknown>): AnyIterator {
  if (typeof (source as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') return (source as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  return (source as Iterable<unknown>)[Symbol.iterator]();
}

export async function* lazyMap(source: Iterable<unknown> | AsyncIterable<unknown>, options: LazyMapOptions): AsyncGenerator<unknown, void, undefined> {
  const iterator = iteratorOf(source);
  const { arrange, ordered } = options;
  const adaptive = options.chunksize === undefined ? new AdaptiveChunksize() : undefined;
  // Reordered and ordered, results wait here by input position until every earlier one is out; their
  // chunks stop counting as in flight once done. Otherwise a chunk counts until its values are yielded.
  const byPosition = arrange !== undefined && ordered;
  const results = new Map<number, unknown>();
  let failure: { at: number; error: unknown } | undefined;
  const outstanding = new Set<Entry>();
  const submitted: Entry[] = [];
  const finished: Entry[] = [];
  /** The arranged window being submitted: items in submission order with their input positions. */
  let windowItems: unknown[] = [];
  let windowPositions: number[] = [];
  let windowAt = 0;
  let read = 0;
  let yielded = 0;
  let exhausted = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };

  async function take(size: number): Promise<unknown[]> {
    const items: unknown[] = [];
    while (items.length < size) {
      const step = iterator.next();
      const result = step instanceof Promise ? await step : step;
      if (result.done === true) {
        exhausted = true;
        break;
      }
      items.push(result.value);
    }
    read += items.length;
    return items;
  }

  /** The next chunk to submit with its input positions (undefined in input order); undefined when none is due now. */
  async function nextChunk(size: number): Promise<{ items: unknown[]; indices: number[] | undefined } | undefined> {
    if (arrange === undefined) {
      const items = await take(size);
      return items.length === 0 ? undefined : { items, indices: undefined };
    }
    if (windowAt === windowItems.length) {
      const limit = options.window(size);
      // Ordered output holds finished results until the earlier ones arrive: a new window waits until
      // fewer than a window's worth are unyielded, so memory stays within about two windows.
      if (exhausted || (byPosition && read - yielded >= limit)) return undefined;
      const first = read;
      const items = await take(limit);
      if (items.length === 0) return undefined;
      const order = arrange(items);
      windowItems = order.map((i) => items[i]);
      windowPositions = order.map((i) => first + i);
      windowAt = 0;
    }
    const end = Math.min(windowItems.length, windowAt + size);
    const chunk = { items: windowItems.slice(windowAt, end), indices: windowPositions.slice(windowAt, end) };
    windowAt = end;
    if (windowAt === windowItems.length) [windowItems, windowPositions, windowAt] = [[], [], 0];
    return chunk;
  }

  function onSettled(entry: Entry): void {
    entry.done = true;
    if (byPosition) {
      outstanding.delete(entry);
      const indices = entry.indices!;
      if (entry.failed) {
        const at = Math.min(...indices);
        if (failure === undefined || at < failure.at) failure = { at, error: entry.error };
      } else {
        for (let i = 0; i < indices.length; i++) results.set(indices[i]!, entry.values[i]);
      }
    } else if (!ordered) {
      finished.push(entry);
    }
    notify();
  }

  try {
    for (;;) {
      while (outstanding.size < options.maxInflight) {
        const size = options.chunksize ?? adaptive!.size;
        const chunk = await nextChunk(size);
        if (chunk === undefined) break;
        const { items } = chunk;
        const entry: Entry = { handle: options.submit(items), done: false, failed: false, values: [], error: undefined, indices: chunk.indices };
        outstanding.add(entry);
        if (ordered && !byPosition) submitted.push(entry);
        entry.handle.promise.then(({ values, micros }) => {
          entry.values = values;
          adaptive?.observe(items.length, micros);
          onSettled(entry);
        }, (error: unknown) => {
          entry.error = error;
          entry.failed = true;
          onSettled(entry);
        });
      }
      if (byPosition) {
        if (results.has(yielded)) {
          let ready = 0;
          while (results.has(yielded + ready)) ready++;
          options.tracker?.add(ready);
          options.report?.add(ready);
          // One at a time, so `yielded` counts what the caller took (it bounds reading ahead).
          for (let i = 0; i < ready; i++) {
            const value = results.get(yielded);
            results.delete(yielded++);
            yield value;
          }
          continue;
        }
        if (failure?.at === yielded) throw failure.error;
        if (outstanding.size === 0 && exhausted && windowAt === windowItems.length) return;
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      if (outstanding.size === 0) return;
      const next = ordered ? submitted[0] : finished[0];
      if (next?.done !== true) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      if (ordered) submitted.shift();
      else finished.shift();
      outstanding.delete(next);
      if (next.failed) throw next.error;
      options.tracker?.add(next.values.length);
      options.report?.add(next.values.length);
      yield* next.values;
    }
  } finally {
    for (const entry of outstanding) entry.handle.drop();
    options.tracker?.finish();
    if (!exhausted) await iterator.return?.();
  }
}
