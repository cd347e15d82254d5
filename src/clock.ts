// A monotonic clock in milliseconds for the pool's and the workers' own timing. Not `performance.now()`:
// its first use in a thread loads perf_hooks (ten internal modules, about 0.7 ms of a worker's start-up).
// Only differences of its readings mean anything, and only within one process.

export function now(): number {
  const [seconds, nanos] = process.hrtime();
  return seconds * 1e3 + nanos / 1e6;
}
