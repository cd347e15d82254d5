// The task the object-store benchmark runs: the sum of a slice of a Float64Array.
export function sumSlice(data: Float64Array, from: number, to: number): number {
  let total = 0;
  for (let i = from; i < to; i++) total += data[i]!;
  return total;
}

export function warm(): number {
  return 1;
}
