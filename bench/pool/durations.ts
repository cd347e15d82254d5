// Task lengths (ms) for B6 and B7, and the spans they allow on a pool of `workers`.
import { logNormal, seededRandom } from '../lib/random.js';

/** B6's draw (fixed seed): mean 1 ms, median about 0.3 ms; the 2,000 tasks drawn average 1.14 ms, four of them 65-145 ms. */
export const variable = { seed: 4, meanMs: 1, sigma: 1.6, maxMs: 200 } as const;

/** B6: `count` seeded log-normal lengths, capped at 200 ms, to the microsecond (the same list for every contender). */
export function variableDurations(count: number): number[] {
  return logNormal(seededRandom(variable.seed), count, variable.meanMs, variable.sigma)
    .map((ms) => Math.round(Math.min(variable.maxMs, ms) * 1000) / 1000);
}

/** B7: one straggler as long as all the short tasks together, submitted first, then `count` tasks of `shortMs`. */
export function stragglerDurations(count: number, shortMs = 5): number[] {
  return [count * shortMs, ...Array.from({ length: count }, () => shortMs)];
}

/** The shortest possible span: the work spread evenly, or the longest task if that is longer. */
export function idealMs(durations: readonly number[], workers: number): number {
  return Math.max(durations.reduce((sum, ms) => sum + ms, 0) / workers, Math.max(...durations));
}

/** The span of a work-conserving pool with no overhead: each task, in order, to the first worker free. */
export function greedyMs(durations: readonly number[], workers: number): number {
  const free = new Array<number>(workers).fill(0);
  for (const ms of durations) {
    const first = free.indexOf(Math.min(...free));
    free[first] = free[first]! + ms;
  }
  return Math.max(...free);
}
