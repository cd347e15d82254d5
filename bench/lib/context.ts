// What every benchmark module receives and returns.

export interface BenchContext {
  /** Tiny sizes and one round: keeps every benchmark working in CI, measures nothing. */
  smoke: boolean;
  /** Rounds of interleaved contenders (>= 3, 5 where a round is short). */
  rounds: number;
  /** Benchmark ids to run (`--only=b6,b7`; an id names all of its forms, `b1` is b1-call, b1-batch and b1-map); empty: all. */
  only: readonly string[];
  /** Progress lines go here (stderr), never into the report. */
  log(text: string): void;
}

export interface BenchSection {
  title: string;
  /** Earlier titles of this section: BENCHMARKS.md's section under one of them gives way to this one, in its place. */
  replaces?: readonly string[];
  /** Markdown: the tables and a line on what was run. */
  markdown: string;
}

/** A benchmark module: `bench/NAME.bench.ts` exporting `run`. */
export type BenchModule = { run(ctx: BenchContext): Promise<BenchSection> };
