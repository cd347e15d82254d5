// poolifier's worker script for the benchmark.
import { ThreadWorker } from 'poolifier';
import { inc, incBatch, spin, sum, work } from './tasks.js';

export default new ThreadWorker<unknown, unknown>({
  inc: (x) => inc(x as number),
  incBatch: (xs) => incBatch(xs as number[]),
  sum: (values) => sum(values as Float64Array),
  work: (n) => work(n as number),
  spin: (ms) => spin(ms as number),
});
