// How map-like calls cut their input: chunk sizes ('auto' as Python does it) and submission orders.
import { expected } from '../errors.js';
import type { Chunksize, Order } from './options.js';

/** Python's rule: about len / (4 x workers), at least 1. */
export function autoChunksize(length: number, workers: number): number {
  const [quotient, remainder] = [Math.floor(length / (workers * 4)), length % (workers * 4)];
  return Math.max(1, quotient + (remainder > 0 ? 1 : 0));
}

export function chunksizeFor(chunksize: Chunksize, length: number, workers: number): number {
  return chunksize === 'auto' ? autoChunksize(length, workers) : chunksize;
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

/** The indices of `items` in the order their tasks are submitted. */
export function submissionOrder<T>(items: readonly T[], order: Order, cost: ((item: T) => number) | undefined): number[] {
  const indices = items.map((_, i) => i);
  if (order === 'shuffle') {
    for (let i = indices.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [indices[i], indices[j]] = [indices[j]!, indices[i]!];
    }
  } else if (order === 'longest-first') {
    const costOf = cost ?? (defaultCost);
    const costs = items.map((item) => {
      const value = costOf(item);
      // A NaN or a non-number would leave the sort order undefined rather than fail.
      if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(expected('cost(item)', 'a number', value));
      return value;
    });
    indices.sort((a, b) => costs[b]! - costs[a]!);
  }
  return indices;
}
