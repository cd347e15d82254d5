// A small seeded PRNG and the draws the benchmarks take from it, so every contender (and Python, given the
// numbers) sees the same inputs in every run.

/** Uniform numbers in [0, 1) from a 32-bit seed (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** A standard normal draw (Box-Muller). */
export function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** `count` log-normal draws with the given mean; `sigma` is the spread of the underlying normal (the tail's weight). */
export function logNormal(random: () => number, count: number, mean: number, sigma: number): number[] {
  const mu = Math.log(mean) - sigma ** 2 / 2;
  return Array.from({ length: count }, () => Math.exp(mu + sigma * normal(random)));
}
