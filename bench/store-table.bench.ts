// The table job (examples/table-sum.ts): a 10M-row Arrow table, N workers each summing `val` ignoring NaN,
// with 2 and 4 workers: shared through the object store, sent to each worker, and Python's shared_memory +
// numpy (bench/table_python.py). Wall time, and memory as the PSS of the whole process tree.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BenchContext, BenchSection } from './lib/context.js';
import { probe } from './lib/probe.js';
import { targetsAndSteal } from './store-report.js';
import { format, median, ratioPerRound, summarize, withSteal } from './lib/stats.js';

const exec = promisify(execFile);
const script = fileURLToPath(new URL('./table-probe.js', import.meta.url));
const pythonScript = fileURLToPath(new URL('../../bench/table_python.py', import.meta.url));
const python = process.env['MULTIPROC_PYTHON'] ?? 'python3';

interface Job {
  ms: number;
  beforeKb: number;
  afterKb: number;
  tableBytes: number;
  sums: number[];
  expected: number;
  distinctWorkers: number;
}

const contenders = ['shared-process', 'shared-thread', 'sent-process', 'python'] as const;
type Contender = (typeof contenders)[number];
const names: Record<Contender, string> = {
  'shared-process': 'multiproc, `pool.put` (process)', 'shared-thread': 'multiproc, `pool.put` (thread)',
  'sent-process': 'multiproc, sent to each worker (process)', python: 'Python, `SharedMemory` + numpy',
};

async function measure(contender: Contender, workers: number, rows: number): Promise<Job> {
  if (contender === 'python') {
    const { stdout } = await exec(python, [pythonScript, String(rows), String(workers)], { timeout: 600_000, maxBuffer: 1 << 24 });
    const job = JSON.parse(stdout.trim().split('\n').pop()!) as Job;
    // numpy's nansum adds pairwise, in another order than the workers' loop: equal to the last few bits.
    if (job.sums.some((sum) => Math.abs(sum - job.expected) > 1e-9 * Math.abs(job.expected)) || job.distinctWorkers !== workers) {
      throw new Error(`python: wrong sums or workers: ${stdout}`);
    }
    return job;
  }
  const [mode, backend] = contender.split('-') as ['shared' | 'sent', string];
  return probe<Job>(script, [mode, backend, String(workers), String(rows)], 600_000);
}

export async function run(ctx: BenchContext): Promise<BenchSection> {
  const rows = ctx.smoke ? 20_000 : 10_000_000;
  const rounds = ctx.smoke ? 1 : 3;
  const sizes = [2, 4] as const;
  const results = new Map<string, Job[]>();
  const key = (contender: Contender, workers: number): string => `${contender}:${workers}`;
  const steal: number[] = [];
  const runs = sizes.flatMap((workers) => contenders.map((contender) => [contender, workers] as const));
  for (let round = 0; round < rounds; round++) {
    ctx.log(`   round ${round + 1}/${rounds}`);
    const measured = await withSteal(async () => {
      for (let i = 0; i < runs.length; i++) {
        const [contender, workers] = runs[(i + round * 3) % runs.length]!;
        const job = await measure(contender, workers, rows);
        results.set(key(contender, workers), [...(results.get(key(contender, workers)) ?? []), job]);
      }
    });
    steal.push(measured.steal);
  }
  const jobs = (contender: Contender, workers: number): Job[] => results.get(key(contender, workers)) ?? [];
  const mib = (kb: number): number => kb / 1024;
  const addedMb = (contender: Contender, workers: number): number[] => jobs(contender, workers).map((job) => mib(job.afterKb - job.beforeKb));
  const tableMb = (contender: Contender): number => (jobs(contender, 2)[0]?.tableBytes ?? Number.NaN) / 1048576;
  /** What each worker past the second adds, per round: (added with 4 - added with 2) / 2. */
  const perExtra = (contender: Contender): number[] => {
    const two = addedMb(contender, 2);
    return addedMb(contender, 4).map((four, i) => (four - two[i]!) / 2);
  };
  const rowsOut = contenders.map((contender) => {
    const extra = perExtra(contender);
    const share = extra.map((mb) => (100 * mb) / tableMb(contender));
    return `| ${names[contender]} | ${format(tableMb(contender), 1)} | ${summarize(jobs(contender, 2).map((j) => j.ms), 0)} | ${summarize(addedMb(contender, 2), 1)} | ` +
      `${summarize(jobs(contender, 4).map((j) => j.ms), 0)} | ${summarize(addedMb(contender, 4), 1)} | ${summarize(extra, 1)} (${format(median(share), 1)}%) |`;
  });
  const wall = (contender: Contender, workers: number): number[] => jobs(contender, workers).map((j) => j.ms);
  const extraShare = (contender: Contender): string => `${format(median(perExtra(contender).map((mb) => (100 * mb) / tableMb(contender))), 1)}%`;
  const targets = [
    ['each extra worker adds, `pool.put` (process), % of the table', '< 5%', extraShare('shared-process')],
    ['each extra worker adds, `pool.put` (thread), % of the table', '< 5%', extraShare('shared-thread')],
    ['wall, `pool.put` (process) / Python, 2 workers', '<= 1', summarize(ratioPerRound(wall('shared-process', 2), wall('python', 2)))],
    ['wall, `pool.put` (process) / Python, 4 workers', '<= 1', summarize(ratioPerRound(wall('shared-process', 4), wall('python', 4)))],
    ['wall, sent to each worker / `pool.put` (process), 4 workers', '', summarize(ratioPerRound(wall('sent-process', 4), wall('shared-process', 4)))],
  ] as const;
  const markdown = [
    `The table job of examples/table-sum.ts: ${rows} rows (a date as days, a float64 with NaN in every tenth row, a string) as an ` +
      'apache-arrow Table (Python: a numpy record array), and N workers each summing `val` ignoring NaN. `pool.put`: the table put ' +
      'in the object store, each worker given its ref (it reads the same pages). Sent: the table\'s buffers sent with each worker\'s task ' +
      '(each worker holds its own copy). Python (bench/table_python.py): the record array copied into a `SharedMemory`, ' +
      '`multiprocessing.Pool` workers each `numpy.nansum` over the column in place. Wall: from the put (the copy into shared memory, ' +
      'the send) to the last sum. Memory: the PSS of every process of the tree (the parent and each worker, /proc/PID/smaps_rollup; a ' +
      'shared page counts once over the tree), with the pool warm and the table built, then with every worker holding the table; ' +
      `added = after - before. ${rounds} rounds, each job a fresh process, order rotating; median [min-max].`,
    '',
    '| contender | table (MB) | 2 workers: wall (ms) | 2 workers: added PSS (MB) | 4 workers: wall (ms) | 4 workers: added PSS (MB) | each worker past 2 adds (MB, share of the table) |',
    '|---|---|---|---|---|---|---|',
    ...rowsOut,
    '',
    ...targetsAndSteal(targets, steal),
  ].join('\n');
  return { title: 'Object store: the table job', markdown };
}
