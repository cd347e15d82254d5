// What observing a pool costs: B1 (per call and `map`) and B5 with nobody subscribed, with a subscriber that does
// nothing on every diagnostics channel, and with `insights: true`; each in a fresh process, interleaved per round.
import type { Contender } from './pool/adapters.js';
import type { BenchContext, BenchSection } from './lib/context.js';
import { fileURLToPath } from 'node:url';
import { probe } from './lib/probe.js';
import { format, ratioPerRound, summarize, withSteal } from './lib/stats.js';
import { calibrate, measure, rotate } from './pool.bench.js';

interface Variant {
  contender: Contender;
  backend: 'thread' | 'process';
  label: string;
}

const variants: readonly Variant[] = [
  { contender: 'multiproc-thread', backend: 'thread', label: 'no subscriber' },
  { contender: 'multiproc-thread-subscribed', backend: 'thread', label: 'a subscriber on every channel' },
  { contender: 'multiproc-thread-insights', backend: 'thread', label: '`insights: true`' },
  { contender: 'multiproc-process', backend: 'process', label: 'no subscriber' },
  { contender: 'multiproc-process-subscribed', backend: 'process', label: 'a subscriber on every channel' },
  { contender: 'multiproc-process-insights', backend: 'process', label: '`insights: true`' },
];

/**
 * The figure each benchmark shows, the one its slowdown is taken from (more is better for a rate, worse for a
 * wall time), how many times each process runs it (a B1 map of 200,000 items takes ~20 ms: many times), and in
 * how many rounds: a B1 map's rate moves by 10-15% from one process to the next on this host, far more than
 * the cost measured, so its rounds are three times as many (a round of it takes seconds).
 */
const benchmarks = [
  { id: 'b1-call', field: 'rate', slowdownField: 'rate', higherIsBetter: true, repeats: 3, rounds: 7, title: 'B1 per call (tasks/s)' },
  { id: 'b1-map', field: 'rate', slowdownField: 'rate', higherIsBetter: true, repeats: 15, rounds: 21, title: 'B1 `map` auto chunks (tasks/s)' },
  { id: 'b5', field: 'ratio', slowdownField: 'wallMs', higherIsBetter: false, repeats: 3, rounds: 7, title: 'B5 wall / ideal' },
] as const;

const abProbe = fileURLToPath(new URL('./insights-ab-probe.js', import.meta.url));

/** B1 `map` with insights over without, pool against pool in one process (bench/insights-ab-probe.ts): per pair ratios. */
async function inProcessRatios(ctx: BenchContext, backend: 'thread' | 'process'): Promise<number[]> {
  const processes = ctx.smoke ? 1 : 4;
  const pairs = ctx.smoke ? 1 : 12;
  const ratios: number[] = [];
  for (let i = 0; i < processes; i++) {
    const { pairs: measured } = await probe<{ pairs: { off: number; on: number }[] }>(abProbe, [backend, String(pairs)], 600_000);
    for (const { off, on } of measured) ratios.push(on / off);
  }
  return ratios;
}

export async function run(ctx: BenchContext): Promise<BenchSection> {
  const sizes = ctx.smoke ? { b1: 2000, b5: 40 } : { b1: 200_000, b5: 2000 };
  // Each measurement repeats its benchmark in its process and gives the median (bench/pool/contender.ts).
  const repeatsOf = (benchmark: (typeof benchmarks)[number]): number => (ctx.smoke ? 1 : benchmark.repeats);
  // Short runs on a noisy host: at least seven rounds, the variants interleaved in each.
  const roundsOf = (benchmark: (typeof benchmarks)[number]): number => (ctx.smoke ? 1 : Math.max(benchmark.rounds, ctx.rounds));
  const workN = calibrate();
  const selected = benchmarks.filter((benchmark) => ctx.only.length === 0 || ctx.only.some((id) => benchmark.id.startsWith(id)));
  const runs = selected.flatMap((benchmark) => variants.map((variant) => ({ benchmark, variant })));
  const rounds = Math.max(...selected.map(roundsOf));
  const results = new Map<string, Record<string, number>[]>();
  const key = (benchmark: string, contender: Contender): string => `${benchmark}:${contender}`;
  const steals: number[] = [];
  for (let round = 0; round < rounds; round++) {
    ctx.log(`   round ${round + 1}/${rounds}`);
    const { steal } = await withSteal(async () => {
      for (const { benchmark, variant } of rotate(runs.filter((run) => round < roundsOf(run.benchmark)), round)) {
        const size = benchmark.id === 'b5' ? sizes.b5 : sizes.b1;
        let value: Record<string, number> = {};
        try {
          value = await measure(variant.contender, `${benchmark.id}*${repeatsOf(benchmark)}`, size, benchmark.id === 'b5' ? [String(workN)] : []);
        } catch (error) {
          ctx.log(`   ${benchmark.id} ${variant.contender} failed: ${(error as Error).message.split('\n').slice(-4).join(' / ')}`);
        }
        const list = results.get(key(benchmark.id, variant.contender)) ?? [];
        list.push(value);
        results.set(key(benchmark.id, variant.contender), list);
      }
    });
    steals.push(steal);
  }
  const series = (benchmark: string, contender: Contender, field: string): number[] =>
    (results.get(key(benchmark, contender)) ?? []).map((figures) => figures[field] ?? Number.NaN);
  const clean = (values: number[]): number[] => values.filter((value) => !Number.isNaN(value));
  const rows: string[] = [];
  for (const variant of variants) {
    const base = variants.find((other) => other.backend === variant.backend && other.label === 'no subscriber')!;
    const cells = selected.map((benchmark) => {
      const values = series(benchmark.id, variant.contender, benchmark.field);
      const cpu = series(benchmark.id, variant.contender, 'cpuPerTask');
      const figure = clean(values).length === 0 ? '-' : summarize(clean(values), benchmark.higherIsBetter ? 2 : 3);
      const cpuFigure = `CPU ${summarize(clean(cpu), 2)} us/task`;
      if (variant === base) return `${figure}; ${cpuFigure}`;
      // The cost as a slowdown per round: the baseline's rate over this one's, or this one's wall over the baseline's.
      const slow = series(benchmark.id, variant.contender, benchmark.slowdownField);
      const slowdown = benchmark.higherIsBetter
        ? ratioPerRound(series(benchmark.id, base.contender, benchmark.slowdownField), slow)
        : ratioPerRound(slow, series(benchmark.id, base.contender, benchmark.slowdownField));
      const cpuRatio = ratioPerRound(cpu, series(benchmark.id, base.contender, 'cpuPerTask'));
      return `${figure}; slowdown **${summarize(clean(slowdown), 3)}**; ${cpuFigure}, **${summarize(clean(cpuRatio), 3)}**x`;
    });
    rows.push(`| ${variant.backend} | ${variant.label} | ${cells.join(' | ')} |`);
  }
  // The target (issue 20): insights cost at most 3% on B1 `map` and B5, by wall time and by CPU time.
  const targetRows: string[] = [];
  for (const benchmark of selected.filter((b) => b.id !== 'b1-call')) {
    for (const backend of ['thread', 'process'] as const) {
      const base = variants.find((v) => v.backend === backend && v.label === 'no subscriber')!;
      const observed = variants.find((v) => v.backend === backend && v.label === '`insights: true`')!;
      const slow = series(benchmark.id, observed.contender, benchmark.slowdownField);
      const fast = series(benchmark.id, base.contender, benchmark.slowdownField);
      const wall = clean(benchmark.higherIsBetter ? ratioPerRound(fast, slow) : ratioPerRound(slow, fast));
      const cpu = clean(ratioPerRound(series(benchmark.id, observed.contender, 'cpuPerTask'), series(benchmark.id, base.contender, 'cpuPerTask')));
      targetRows.push(`| ${benchmark.id} | ${backend} | <= 1.03 | ${summarize(wall, 3)} | ${summarize(cpu, 3)} |`);
    }
  }
  // The same target measured pool against pool in one process, where a B1 map's rate moves far less.
  const abRows: string[] = [];
  if (selected.some((benchmark) => benchmark.id === 'b1-map')) {
    for (const backend of ['thread', 'process'] as const) {
      ctx.log(`   b1-map in one process, ${backend}`);
      const ratios = await inProcessRatios(ctx, backend);
      abRows.push(`| b1-map, pool against pool in one process | ${backend} | <= 1.03 | ${summarize(ratios, 3)} (${ratios.length} pairs; mean ${format(ratios.reduce((a, b) => a + b, 0) / ratios.length, 3)}) | |`);
    }
  }
  const markdown = [
    `2 workers, each measurement a fresh process running its benchmark several times (their median: ` +
      `${selected.map((benchmark) => `${benchmark.id} ${repeatsOf(benchmark)}`).join(', ')}), in rounds ` +
      `(${selected.map((benchmark) => `${benchmark.id} ${roundsOf(benchmark)}`).join(', ')}), ` +
      'variants rotating; median [min-max] over rounds. ' +
      `Slowdown: the unobserved pool's rate over the observed one's (B5: the observed wall time over the unobserved one's), per round, then the median; ` +
      `1.03 is 3% slower. CPU: user + system time of the whole process tree per task, and its ratio to the unobserved pool's ` +
      `per round (less disturbed by other load on the host than wall time). Host steal per round: ${steals.map((s) => `${s.toFixed(1)}%`).join(', ')}. ` +
      `\`work(n)\` calibrated to ~1 ms (n = ${format(workN, 0)}).`,
    '',
    `| backend | observed by | ${selected.map((benchmark) => benchmark.title).join(' | ')} |`,
    `|---|---|${selected.map(() => '---|').join('')}`,
    ...rows,
    '',
    '`insights: true` against the target, per round (median [min-max]):',
    '',
    '| benchmark | backend | target | wall-time slowdown | CPU per task ratio |',
    '|---|---|---|---|---|',
    ...targetRows,
    ...abRows,
    '',
    'Pool against pool in one process (bench/insights-ab-probe.ts): 4 processes, each running 12 pairs of fresh pools of 2 ' +
      'workers, one without insights and one with them (which runs first alternates), each warmed by 3 maps and timed ' +
      'over 15 (the median map); the ratio of the two medians per pair, then the median [min-max] over pairs. A pool\'s ' +
      'close ends its subscription, so the pool without insights runs with nobody subscribed (the probe checks).',
    '',
    `B1: ${sizes.b1} tasks \`x + 1\` submitted at once, per call and through \`map\` (chunksize 'auto'); B5: ${sizes.b5} CPU-bound ` +
      'tasks of about 1 ms, ideal = the same work single-threaded in that process, halved. A subscriber on every channel: a ' +
      'function that does nothing, on each `multiproc:*` channel and on both tracing channels, so every message is built and ' +
      'published. `insights: true`: the pool records its insights (a subscriber of the same channels that keeps per-worker ' +
      'figures, the five longest tasks, and memory samples from the workers).',
  ].join('\n');
  return { title: 'Pool observed: diagnostics channels and insights', markdown };
}
