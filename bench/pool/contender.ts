// One measurement in a fresh process: `node contender.js <contender> <benchmark> <size> [workN | durations file]`,
// JSON on stdout.
import { readFileSync } from 'node:fs';
import { childCpuSeconds, makeAdapter, workers, type Adapter, type Contender } from './adapters.js';
import { idealMs } from './durations.js';
import { work } from './workers/tasks.js';
import { median } from '../lib/stats.js';

const [contender, benchmarkArg, sizeText, argText] = process.argv.slice(2) as [Contender, string, string, string | undefined];
const size = Number(sizeText);
// `b1-map*5`: the benchmark five times in this process, each figure the median of the five (a steadier figure
// on a noisy host, for comparing variants of one contender).
const [benchmark, repeatText] = benchmarkArg.split('*') as [string, string | undefined];
const repeats = Number(repeatText ?? 1);

function cpuSeconds(adapter: Adapter): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6 + childCpuSeconds(adapter.childPids());
}

async function warm(adapter: Adapter): Promise<void> {
  await Promise.all(Array.from({ length: 1000 }, (_, i) => adapter.run('inc', i)));
  for (let i = 0; i < 200; i++) await adapter.run('inc', i);
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`${contender} ${benchmark}: wrong result (${what})`);
}

async function measure(adapter: Adapter): Promise<Record<string, number>> {
  switch (benchmark) {
    case 'b1-call': {
      const cpuBefore = cpuSeconds(adapter);
      const started = performance.now();
      const results = await Promise.all(Array.from({ length: size }, (_, i) => adapter.run('inc', i)));
      const seconds = (performance.now() - started) / 1000;
      check(results[size - 1] === size, 'last');
      return { rate: size / seconds, cpuPerTask: ((cpuSeconds(adapter) - cpuBefore) / size) * 1e6 };
    }
    case 'b1-batch': {
      const items = Array.from({ length: size }, (_, i) => i);
      const started = performance.now();
      const chunks: Promise<unknown>[] = [];
      for (let i = 0; i < size; i += 1000) chunks.push(adapter.run('incBatch', items.slice(i, i + 1000)));
      const results = (await Promise.all(chunks)).flat() as number[];
      const seconds = (performance.now() - started) / 1000;
      check(results[size - 1] === size, 'last');
      return { rate: size / seconds };
    }
    case 'b1-map': {
      const items = Array.from({ length: size }, (_, i) => i);
      await adapter.map!('inc', items);
      const cpuBefore = cpuSeconds(adapter);
      const started = performance.now();
      const results = await adapter.map!('inc', items);
      const seconds = (performance.now() - started) / 1000;
      check(results[size - 1] === size, 'last');
      return { rate: size / seconds, cpuPerTask: ((cpuSeconds(adapter) - cpuBefore) / size) * 1e6 };
    }
    case 'b2': {
      const latencies = new Float64Array(size);
      const cpuBefore = cpuSeconds(adapter);
      const started = performance.now();
      for (let i = 0; i < size; i++) {
        const t = performance.now();
        await adapter.run('inc', i);
        latencies[i] = performance.now() - t;
      }
      const wall = (performance.now() - started) / 1000;
      const cpu = cpuSeconds(adapter) - cpuBefore;
      latencies.sort();
      return {
        median: latencies[size >> 1]! * 1000, p99: latencies[Math.floor(size * 0.99)]! * 1000,
        cpuPerCall: (cpu / size) * 1e6, cpuShare: cpu / wall,
      };
    }
    case 'b3-copy':
    case 'b3-transfer': {
      // Two rounds in this process: the first pays for glibc's first sight of 4 MiB blocks, the second is the
      // warm figure (BENCHMARKS.md, "B3 is timed twice in each process").
      const transfer = benchmark === 'b3-transfer';
      const round = async (): Promise<number> => {
        const arrays = Array.from({ length: size }, (_, i) => new Float64Array(4 * 2 ** 20 / 8).fill(i));
        const started = performance.now();
        const sums = await Promise.all(arrays.map((array) => adapter.run('sum', array, transfer ? [array.buffer] : undefined)));
        const seconds = (performance.now() - started) / 1000;
        check(sums[1] === 4 * 2 ** 20 / 8, 'sum');
        return (size * 4 * 2 ** 20) / seconds / 1e9;
      };
      const first = await round();
      return { first, rate: await round() };
    }
    case 'b5': {
      const n = Number(argText);
      const sample = Math.max(1, Math.floor(size / 10));
      const soloStarted = performance.now();
      for (let i = 0; i < sample; i++) work(n);
      const ideal = ((performance.now() - soloStarted) * (size / sample)) / 2;
      const cpuBefore = cpuSeconds(adapter);
      const started = performance.now();
      await Promise.all(Array.from({ length: size }, () => adapter.run('work', n)));
      const wall = performance.now() - started;
      return { ratio: wall / ideal, wallMs: wall, taskMs: (2 * ideal) / size, cpuPerTask: ((cpuSeconds(adapter) - cpuBefore) / size) * 1e6 };
    }
    case 'b6':
    case 'b7': {
      // One call per task, in the list's order, as a user calling apply for each.
      const durations = JSON.parse(readFileSync(argText!, 'utf8')) as number[];
      const started = performance.now();
      const results = await Promise.all(durations.map((ms) => adapter.run('spin', ms)));
      const wall = performance.now() - started;
      check(results.every((ms, i) => ms === durations[i]), 'lengths');
      return { ratio: wall / idealMs(durations, workers) };
    }
    default:
      throw new Error(`unknown benchmark ${benchmark}`);
  }
}

const adapter = await makeAdapter(contender);
if (benchmark === 'startup') {
  // B4: import, pool of 2, one task, shutdown, natural exit; timed from outside.
  if ((await adapter.run('inc', 1)) !== 2) throw new Error('wrong result');
} else {
  await warm(adapter);
  const figures: Record<string, number>[] = [];
  for (let i = 0; i < repeats; i++) figures.push(await measure(adapter));
  const medians = Object.fromEntries(Object.keys(figures[0]!).map((field) => [field, median(figures.map((figure) => figure[field]!))]));
  // The figure goes out before the shutdown.
  process.stdout.write(`${JSON.stringify(medians)}\n`);
}
// poolifier 5.3's destroy() now and then never settles (its workers gone, the event loop empties, the process exits
// as it would), which Node would report as exit code 13 for the pending top-level await.
process.exitCode = 0;
await adapter.close();
