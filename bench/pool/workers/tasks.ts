// The benchmark's task functions, as plain named exports (multiproc, piscina and tinypool load them by name).

export function inc(x: number): number {
  return x + 1;
}

export function incBatch(xs: number[]): number[] {
  return xs.map((x) => x + 1);
}

export function sum(values: Float64Array): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i]!;
  return total;
}

/** Fixed CPU work (not a clock spin, so parallel speed-up is real): about 1 ms for the calibrated `n`. */
export function work(n: number): number {
  let x = 0;
  for (let i = 0; i < n; i++) x = (x * 1664525 + 1013904223 + i) % 4294967296;
  return x;
}

/** Busy-spins for `ms` of wall time and returns it (B6, B7): each task lasts its length exactly, so the ideal span is known. */
export function spin(ms: number): number {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
  return ms;
}

export default inc;
