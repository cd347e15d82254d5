// Pool benchmarks B1-B7 (BENCHMARKS.md): multiproc's two backends against piscina, tinypool, workerpool,
// poolifier, a raw worker_threads floor and Python's multiprocessing.Pool, every measurement in a fresh process.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { contenders, workers, type Contender } from './pool/adapters.js';
import { greedyMs, idealMs, stragglerDurations, variable, variableDurations } from './pool/durations.js';
import { work } from './pool/workers/tasks.js';
import type { BenchContext, BenchSection } from './lib/context.js';
import { format, median, ratioPerRound, summarize, withSteal } from './lib/stats.js';

type Runner = Contender | 'python';
const contenderScript = fileURLToPath(new URL('./pool/contender.js', import.meta.url));
const pythonScript = fileURLToPath(new URL('../../bench/pool/python_pool.py', import.meta.url));
const python = process.env['MULTIPROC_PYTHON'] ?? 'python3';
const peers: readonly Contender[] = ['piscina', 'tinypool', 'workerpool', 'poolifier'];

function exec(file: string, args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`${file} ${args.join(' ')}: ${error.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

function version(name: string): string {
  const url = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}

/** `n` for `work(n)` taking about 1 ms here. */
export function calibrate(): number {
  let n = 100_000;
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    for (let j = 0; j < 20; j++) work(n);
    n = Math.round((n * 20) / (performance.now() - started));
  }
  return n;
}

export async function measure(runner: Runner, benchmark: string, size: number, extra: string[]): Promise<Record<string, number>> {
  const { stdout } = runner === 'python'
    ? await exec(python, [pythonScript, benchmark, String(size), ...extra], 600_000)
    : await exec(process.execPath, [contenderScript, runner, benchmark, String(size), ...extra], 600_000);
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, number>;
}

/** Wall ms and peak RSS (MiB) of a whole process, from /usr/bin/time. */
async function wholeProcess(command: string, args: string[]): Promise<{ ms: number; mib: number }> {
  const started = performance.now();
  const { stderr } = await exec('/usr/bin/time', ['-f', 'maxrss=%M', command, ...args], 60_000);
  const ms = performance.now() - started;
  const kib = Number(/maxrss=(\d+)/.exec(stderr)?.[1] ?? Number.NaN);
  return { ms, mib: kib / 1024 };
}

/** Writes task lengths (ms) beside this script, for the contenders and Python to read; returns the file. */
function durationsFile(benchmark: string, durations: readonly number[]): string {
  const file = fileURLToPath(new URL(`./pool/${benchmark}-${durations.length}.json`, import.meta.url));
  writeFileSync(file, JSON.stringify(durations));
  return file;
}

/** What a list of task lengths holds, and the ratio a work-conserving pool without overhead would reach on it. */
function lengthsNote(durations: readonly number[]): string {
  const total = durations.reduce((sum, ms) => sum + ms, 0);
  const ideal = idealMs(durations, workers);
  return `${durations.length} tasks, ${format(total, 0)} ms in all, the longest ${format(Math.max(...durations), 0)} ms, ` +
    `${durations.filter((ms) => ms >= 50).length} of 50 ms or more; ideal ${format(ideal, 0)} ms; each task in order ` +
    `to the first free worker, with no overhead, would score ${format(greedyMs(durations, workers) / ideal, 3)}`;
}

export function rotate<T>(items: readonly T[], by: number): T[] {
  return items.map((_, i) => items[(i + by) % items.length]!);
}

export async function run(ctx: BenchContext): Promise<BenchSection> {
  const sizes = ctx.smoke
    ? { b1: 2000, b2: 200, b3: 4, b5: 40, b6: 100, b7: 40 }
    : { b1: 200_000, b2: 20_000, b3: 200, b5: 2000, b6: 2000, b7: 400 };
  const rounds = ctx.smoke ? 1 : Math.max(3, Math.min(ctx.rounds, 3));
  const selected = (benchmark: string): boolean => ctx.only.length === 0 || ctx.only.some((id) => benchmark.startsWith(id));
  const workN = calibrate();
  const b3Repeats = ctx.smoke ? 1 : 3;
  const startupRepeats = !selected('b4') ? 0 : ctx.smoke ? 1 : 5;
  const lengths = { b6: variableDurations(sizes.b6), b7: stragglerDurations(sizes.b7) };
  const lengthFiles = { b6: durationsFile('b6', lengths.b6), b7: durationsFile('b7', lengths.b7) };
  const runs: [string, Runner, number, string[]][] = [];
  for (const runner of [...contenders, 'python'] as const) {
    runs.push(['b1-call', runner, sizes.b1, []]);
    if (runner !== 'python') runs.push(['b1-batch', runner, sizes.b1, []]);
    if (runner.startsWith('multiproc') || runner === 'python' || runner === 'poolifier') runs.push(['b1-map', runner, sizes.b1, []]);
    runs.push(['b2', runner, sizes.b2, []]);
    // B3 runs are short and noisy (freeing 800 MiB of buffers keeps V8's helper threads busy): 3 per round,
    // each timing a first and a warm round of the same work (bench/pool/contender.ts).
    for (let repeat = 0; repeat < b3Repeats; repeat++) {
      runs.push(['b3-copy', runner, sizes.b3, []]);
      if (runner !== 'python') runs.push(['b3-transfer', runner, sizes.b3, []]);
    }
    runs.push(['b5', runner, sizes.b5, [String(workN)]]);
    runs.push(['b6', runner, lengths.b6.length, [lengthFiles.b6]], ['b7', runner, lengths.b7.length, [lengthFiles.b7]]);
  }
  const chosen = runs.filter(([benchmark]) => selected(benchmark));
  const results = new Map<string, Record<string, number>[]>();
  const steals: number[] = [];
  const startup = new Map<string, { over: number[]; mib: number[] }>();
  const key = (benchmark: string, runner: Runner): string => `${benchmark}:${runner}`;
  for (let round = 0; round < rounds; round++) {
    ctx.log(`   round ${round + 1}/${rounds}`);
    const { steal } = await withSteal(async () => {
      for (const [benchmark, runner, size, extra] of rotate(chosen, round * 3)) {
        let value: Record<string, number>;
        try {
          value = await measure(runner, benchmark, size, extra);
        } catch (error) {
          ctx.log(`   ${benchmark} ${runner} failed: ${(error as Error).message.split('\n').slice(-4).join(' / ')}`);
          value = {};
        }
        const list = results.get(key(benchmark, runner)) ?? [];
        list.push(value);
        results.set(key(benchmark, runner), list);
      }
      // B4: each contender right after a bare node (or python) start, so host noise hits both alike; a
      // start-up is short, so 5 per round.
      for (let repeat = 0; repeat < startupRepeats; repeat++) for (const runner of rotate([...contenders, 'python'] as const, round + repeat)) {
        const bare = runner === 'python' ? await wholeProcess(python, ['-c', 'pass']) : await wholeProcess(process.execPath, ['-e', '0']);
        const full = runner === 'python'
          ? await wholeProcess(python, [pythonScript, 'startup', '1'])
          : await wholeProcess(process.execPath, [contenderScript, runner, 'startup', '1']);
        const entry = startup.get(runner) ?? { over: [], mib: [] };
        entry.over.push(full.ms - bare.ms);
        entry.mib.push(full.mib);
        startup.set(runner, entry);
      }
    });
    steals.push(steal);
  }

  const series = (benchmark: string, runner: Runner, field: string): number[] =>
    (results.get(key(benchmark, runner)) ?? []).map((value) => value[field] ?? Number.NaN);
  const cell = (benchmark: string, runner: Runner, field: string, digits = 2): string => {
    const values = series(benchmark, runner, field);
    return values.length === 0 || values.every(Number.isNaN) ? '-' : summarize(values.filter((v) => !Number.isNaN(v)), digits);
  };
  const startupOver = (runner: Runner): number[] => startup.get(runner)?.over ?? [];
  const startupCell = (runner: Runner): string => {
    const entry = startup.get(runner);
    return entry === undefined ? '- / -' : `${summarize(entry.over, 0)} / ${format(median(entry.mib), 0)}`;
  };
  /**
   * The best peer is the library with the best median in this run, and each of our measurements is paired
   * with that library's from the same round. Not the best of the four peers in each round: that is the
   * luckiest of four noisy draws, which beats a fifth equally fast contender four times in five.
   */
  const bestPeer = (of: (peer: Contender) => number[], lowerIsBetter = false): { name: Contender; values: number[] } => {
    const ranked = peers.map((name) => {
      const values = of(name);
      return { name, values, middle: median(values.filter((v) => !Number.isNaN(v))) };
    }).filter(({ middle }) => !Number.isNaN(middle)).sort((a, b) => (a.middle - b.middle) * (lowerIsBetter ? 1 : -1));
    return ranked[0] ?? { name: peers[0]!, values: [] };
  };
  const ratio = (a: number[], b: number[]): string => summarize(ratioPerRound(a, b).filter((v) => !Number.isNaN(v)), 2);
  const versusBest = (ours: number[], best: { name: Contender; values: number[] }): string => `${ratio(ours, best.values)} (${best.name})`;
  /** multiproc (thread) against the best peer on one figure of one benchmark. */
  const versusBestOn = (benchmark: string, field: string, lowerIsBetter = false): string =>
    versusBest(series(benchmark, 'multiproc-thread', field), bestPeer((peer) => series(benchmark, peer, field), lowerIsBetter));
  const bestCall = bestPeer((peer) => series('b1-call', peer, 'rate'));

  const names: Record<(typeof contenders)[number] | 'python', string> = {
    raw: 'raw worker_threads', piscina: `piscina ${version('piscina')}`, tinypool: `tinypool ${version('tinypool')}`,
    workerpool: `workerpool ${version('workerpool')}`, poolifier: `poolifier ${version('poolifier')}`,
    'multiproc-thread': 'multiproc (thread)', 'multiproc-process': 'multiproc (process)', python: 'Python Pool(2)',
  };
  const rows = ([...contenders, 'python'] as const).map((runner) =>
    `| ${names[runner]} | ${cell('b1-call', runner, 'rate')} | ${cell('b1-batch', runner, 'rate')} | ${cell('b1-map', runner, 'rate')} | ` +
      `${cell('b2', runner, 'median', 1)} / ${cell('b2', runner, 'p99', 0)} | ${cell('b2', runner, 'cpuPerCall', 1)} | ` +
      `${cell('b3-copy', runner, 'rate')} / ${cell('b3-transfer', runner, 'rate')} | ` +
      `${cell('b3-copy', runner, 'first')} / ${cell('b3-transfer', runner, 'first')} | ` +
      `${startupCell(runner)} | ${cell('b5', runner, 'ratio')} | ` +
      `${cell('b6', runner, 'ratio')} | ${cell('b7', runner, 'ratio')} |`);
  const thread = 'multiproc-thread';
  const targets = [
    ['B1 `map` auto chunks / Python `Pool.map`', '>= 1', ratio(series('b1-map', thread, 'rate'), series('b1-map', 'python', 'rate'))],
    ['B1 `map` auto chunks / best peer per call', '>= 50', versusBest(series('b1-map', thread, 'rate'), bestCall)],
    ['B1 per call / best peer per call', '>= 3', versusBest(series('b1-call', thread, 'rate'), bestCall)],
    ['B1 per call / raw worker_threads', '>= 0.67', ratio(series('b1-call', thread, 'rate'), series('b1-call', 'raw', 'rate'))],
    ['B2 median / piscina median', '<= 0.25', ratio(series('b2', thread, 'median'), series('b2', 'piscina', 'median'))],
    ['B2 p99 / best peer\'s p99', '<= 1', versusBestOn('b2', 'p99', true)],
    ['B3 copied / best peer copied', '>= 1', versusBestOn('b3-copy', 'rate')],
    ['B3 transferred / best peer transferred', '>= 1', versusBestOn('b3-transfer', 'rate')],
    ['B3 first round in a process: copied / best peer', '>= 1', versusBestOn('b3-copy', 'first')],
    ['B3 first round in a process: transferred / best peer', '>= 1', versusBestOn('b3-transfer', 'first')],
    ['B4 start-up overhead / best peer', '<= 1', versusBest(startupOver(thread), bestPeer(startupOver, true))],
    ['B5 wall / ideal', '<= 1.10', cell('b5', thread, 'ratio')],
    ['B6 wall / ideal', '<= 1.05', cell('b6', thread, 'ratio')],
    ['B6 wall / ideal, over the best peer\'s', '< 1', versusBestOn('b6', 'ratio', true)],
    ['B6 wall / ideal, over Python\'s', '< 1', ratio(series('b6', thread, 'ratio'), series('b6', 'python', 'ratio'))],
    ['B7 wall / ideal', '<= 1.05', cell('b7', thread, 'ratio')],
    ['process backend: B1 `map` / thread backend', '>= 0.5', ratio(series('b1-map', 'multiproc-process', 'rate'), series('b1-map', thread, 'rate'))],
    ['process backend: B2 median / thread backend', '<= 2', ratio(series('b2', 'multiproc-process', 'median'), series('b2', thread, 'median'))],
  ].map(([what, target, measured]) => `| ${what} | ${target} | ${measured} |`);

  const markdown = [
    `2 workers, ${rounds} rounds, each measurement a fresh process, contenders rotating; median [min-max] over rounds. ` +
      `Host steal per round: ${steals.map((s) => `${s.toFixed(1)}%`).join(', ')}. \`work(n)\` calibrated to ~1 ms (n = ${workN}).`,
    '',
    '| contender | B1 per call (tasks/s) | B1 chunks of 1000 by hand | B1 `map` auto chunks | B2 median / p99 (us) | B2 CPU per call (us, all threads and worker processes) | B3 copy / transfer (GB/s) | B3 first round in the process: copy / transfer (GB/s) | B4 start-up over bare (ms) / peak RSS (MiB) | B5 wall / ideal | B6 variable lengths: wall / ideal | B7 straggler: wall / ideal |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `B1: ${sizes.b1} tasks \`x + 1\` submitted at once (Python: \`apply_async\` per call, \`Pool.map\` with its default chunksize; poolifier's ` +
      '`mapExecute` in the map column). B2: ' + `${sizes.b2} sequential awaited calls after warm-up; CPU is user+system time of the ` +
      'whole process tree per call. B3: ' + `${sizes.b3} distinct 4 MiB Float64Arrays summed by the workers, all submitted at once ` +
      '(Python: numpy arrays, pickled), timed twice in each process: the first round pays for the C allocator\'s first sight of ' +
      '4 MiB blocks (glibc maps each one fresh and unmaps it on free, page faults and TLB shootdowns included, until the first ' +
      'such free raises its mmap threshold), the second is the warm figure the main columns give. B4: import, pool of 2, one task, shutdown, natural exit, minus a bare `node -e 0` (`python3 -c pass`) ' +
      'run just before. B5: ' + `${sizes.b5} CPU-bound tasks; ideal = the same work single-threaded in that process, halved. ` +
      'B6 and B7: each task busy-spins on the clock for its length, submitted by a call of its own in the list\'s order ' +
      '(Python: `apply_async` per task; raw worker_threads deals task i to worker i mod 2, what a fixed split costs); ' +
      'ideal = max(sum of lengths / 2, longest task). ' +
      `B6: log-normal lengths (seed ${variable.seed}, mean ${variable.meanMs} ms, sigma ${variable.sigma}, capped at ` +
      `${variable.maxMs} ms): ${lengthsNote(lengths.b6)}. B7: one ${format(lengths.b7[0]! / 1000, 1)} s task first, then ` +
      `${sizes.b7} of ${lengths.b7[1]} ms: ${lengthsNote(lengths.b7)}.`,
    '',
    `### Targets (ratios computed per round, then the median; B3 runs ${b3Repeats} and B4 ${startupRepeats} times a round)`,
    '',
    'The best peer is the peer library with the best median in this run (named in brackets), paired round by round; not the ' +
      'best of the four peers in each round, which is the luckiest of four noisy draws.',
    '',
    '| what | target | measured |',
    '|---|---|---|',
    ...targets,
  ].join('\n');
  return { title: 'Pool (B1-B7)', replaces: ['Pool (B1-B5)'], markdown };
}
