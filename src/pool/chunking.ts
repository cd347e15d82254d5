// How map-like calls cut their input: chunk sizes ('auto': Python's rule, bounded by measured run times)
// and submission orders.
import { expected } from '../errors.js';
import type { Order } from './options.js';
import type { TaskRef } from './task-ref.js';

/** Python's rule: about len / (4 x workers), at least 1. */
export function autoChunksize(length: number, workers: number): number {
  const [quotient, remainder] = [Math.floor(length / (workers * 4)), length % (workers * 4)];
  return Math.max(1, quotient + (remainder > 0 ? 1 : 0));
}

/**
 * With `chunksize: 'auto'`, a chunk holds at most about this much measured work: Python's rule alone puts
 * 10 one-second tasks on 2 workers in chunks of 2, which takes 6 s where 5 would do. 20 ms keeps the
 * per-chunk cost (tens of microseconds) under 0.2% and the imbalance at the end to about one chunk.
 */
export const autoChunkMicros = 20_000;

/** Python's rule for `length` items, bounded so a chunk holds about `autoChunkMicros` of work at most. */
export function measuredChunksize(length: number, workers: number, itemMicros: number): number {
  return Math.max(1, Math.min(autoChunksize(length, workers), Math.floor(autoChunkMicros / Math.max(0.01, itemMicros))));
}

/**
 * The sizes of the chunks `length` items go in with `chunksize: 'auto'`: Python's rule, with no chunk
 * holding more than `autoChunkMicros` of work by the measured `itemMicros`. With `costs` (the items'
 * relative costs in submission order, from a map's `cost` option), each item counts for its share of the
 * mean, so costly items go in smaller chunks (costs that cannot be amounts of work, some negative, are ignored).
 */
export function autoChunks(length: number, workers: number, itemMicros: number, costs?: readonly number[]): number[] {
  const most = autoChunksize(length, workers);
  const sizes: number[] = [];
  // Costs weigh chunks only when they can be read as amounts of work: none negative, some positive.
  let meanCost = 0;
  let negative = false;
  if (costs !== undefined) {
    for (const cost of costs) {
      meanCost += cost;
      negative ||= cost < 0;
    }
    meanCost /= Math.max(1, costs.length);
  }
  const weighted = costs !== undefined && !negative && meanCost > 0 && Number.isFinite(meanCost);
  if (!weighted) {
    const size = measuredChunksize(length, workers, itemMicros);
    for (let left = length; left > 0; left -= size) sizes.push(Math.min(size, left));
    return sizes;
  }
  let size = 0;
  let micros = 0;
  for (let i = 0; i < length; i++) {
    const estimate = (itemMicros * costs[i]!) / meanCost;
    if (size > 0 && (size === most || micros + estimate > autoChunkMicros)) {
      sizes.push(size);
      size = 0;
      micros = 0;
    }
    size++;
    micros += estimate;
  }
  if (size > 0) sizes.push(size);
  return sizes;
}

/**
 * Each task function's measured run time per item, for 'auto' chunks: time over items, both decayed by a
 * quarter per chunk, so a one-item chunk that paid a cold start weighs as one item, not as a whole chunk.
 */
export class ItemTimes {
  readonly #sums = new Map<string, Map<string, { micros: number; items: number }>>();

  get(fn: TaskRef): number | undefined {
    const sums = this.#sums.get(fn.url)?.get(fn.name);
    return sums === undefined ? undefined : sums.micros / sums.items;
  }

  observe(fn: TaskRef, items: number, micros: number): void {
    let byName = this.#sums.get(fn.url);
    if (byName === undefined) this.#sums.set(fn.url, (byName = new Map<string, { micros: number; items: number }>()));
    const sums = byName.get(fn.name);
    if (sums === undefined) {
      byName.set(fn.name, { micros, items: Math.max(1, items) });
    } else {
      sums.micros = sums.micros * 0.75 + micros;
      sums.items = sums.items * 0.75 + Math.max(1, items);
    }
  }
}

/** Sizes chunks of a lazy input from the measured time per item, aiming at a few milliseconds per chunk. */
export class AdaptiveChunksize {
  static readonly targetMicros = 2000;
  static readonly max = 4096;
  #size = 1;

  get size(): number {
    return this.#size;
  }

  observe(items: number, micros: number): void {
    const perItem = Math.max(0.05, micros / Math.max(1, items));
    const ideal = Math.round(AdaptiveChunksize.targetMicros / perItem);
    // Grow at most 4x per observation so one fast outlier cannot jump straight to huge chunks.
    this.#size = Math.max(1, Math.min(AdaptiveChunksize.max, ideal, this.#size * 4));
  }
}

function defaultCost(item: unknown): number {
  const length = (item as { length?: unknown } | null)?.length;
  return typeof length === 'number' ? length : 1;
}

/** The costs of `items` by `cost`, checked: each a finite number (only their order matters to `longest-first`). */
export function costsOf<T>(items: readonly T[], cost: ((item: T) => number) | undefined): number[] {
  const costOf = cost ?? defaultCost;
  return items.map((item, i) => {
    const value = costOf(item);
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`${expected('cost(item)', 'a finite number', value)} for item ${i}`);
    return value;
  });
}

/** The indices of `items` in the order their tasks are submitted; `costs` as `costsOf` gives them. */
export function submissionOrder<T>(items: readonly T[], order: Order, cost: ((item: T) => number) | undefined, costs?: readonly number[]): number[] {
  const indices = items.map((_, i) => i);
  if (order === 'shuffle') {
    for (let i = indices.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [indices[i], indices[j]] = [indices[j]!, indices[i]!];
    }
  } else if (order === 'longest-first') {
    const known = costs ?? costsOf(items, cost);
    indices.sort((a, b) => known[b]! - known[a]!);
  }
  return indices;
}
