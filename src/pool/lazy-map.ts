// imap and imapUnordered: read the input lazily, keep a bounded number of chunks in flight, yield results
// in input order or as they complete. An endless generator works; stopping early drops what is left.
import { AdaptiveChunksize } from './chunking.js';
import type { ProgressTracker } from '../observe/progress.js';

export interface ChunkHandle {
  promise: Promise<{ values: unknown[]; micros: number }>;
  drop(): void;
}

export interface LazyMapOptions {
  ordered: boolean;
  /** A fixed chunk size, or undefined to size chunks from measured run times. */
  chunksize: number | undefined;
  maxInflight: number;
  submit(items: unknown[]): ChunkHandle;
  tracker: ProgressTracker | undefined;
}

interface Entry {
  handle: ChunkHandle;
  done: boolean;
  failed: boolean;
  values: unknown[];
  error: unknown;
}

type AnyIterator = Iterator<unknown> | AsyncIterator<unknown>;

function iteratorOf(source: Iterable<unknown> | AsyncIterable<unknown>): AnyIterator {
  if (typeof (source as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') return (source as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  return (source as Iterable<unknown>)[Symbol.iterator]();
}

export async function* lazyMap(source: Iterable<unknown> | AsyncIterable<unknown>, options: LazyMapOptions): AsyncGenerator<unknown, void, undefined> {
  const iterator = iteratorOf(source);
  const adaptive = options.chunksize === undefined ? new AdaptiveChunksize() : undefined;
  const outstanding = new Set<Entry>();
  const submitted: Entry[] = [];
  const finished: Entry[] = [];
  let exhausted = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };

  async function read(size: number): Promise<unknown[]> {
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
    return items;
  }

  try {
    for (;;) {
      while (!exhausted && outstanding.size < options.maxInflight) {
        const items = await read(options.chunksize ?? adaptive!.size);
        if (items.length === 0) break;
        const entry: Entry = { handle: options.submit(items), done: false, failed: false, values: [], error: undefined };
        outstanding.add(entry);
        if (options.ordered) submitted.push(entry);
        entry.handle.promise.then(({ values, micros }) => {
          entry.values = values;
          adaptive?.observe(items.length, micros);
          entry.done = true;
          if (!options.ordered) finished.push(entry);
          notify();
        }, (error: unknown) => {
          entry.error = error;
          entry.failed = true;
          entry.done = true;
          if (!options.ordered) finished.push(entry);
          notify();
        });
      }
      if (outstanding.size === 0) return;
      const next = options.ordered ? submitted[0] : finished[0];
      if (next?.done !== true) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      if (options.ordered) submitted.shift();
      else finished.shift();
      outstanding.delete(next);
      if (next.failed) throw next.error;
      options.tracker?.add(next.values.length);
      yield* next.values;
    }
  } finally {
    for (const entry of outstanding) entry.handle.drop();
    options.tracker?.finish();
    if (!exhausted) await iterator.return?.();
  }
}
