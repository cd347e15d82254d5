// B3 "shared": 200 distinct 4 MiB Float64Arrays put in the object store, then summed by 200 tasks that take
// refs, on both backends; against every peer's B3 transferred figure, measured in the same run.
import { fileURLToPath } from 'node:url';
import type { BenchContext, BenchSection } from './lib/context.js';
import { probe } from './lib/probe.js';
import { targetsAndSteal } from './store-report.js';
import { median, ratioPerRound, summarize, withSteal } from './lib/stats.js';

const storeScript = fileURLToPath(new URL('./store-b3-probe.js', import.meta.url));
const peerScript = fileURLToPath(new URL('./pool/contender.js', import.meta.url));
const peers = ['raw', 'piscina', 'tinypool', 'workerpool', 'poolifier'] as const;
const names: Record<string, string> = {
  raw: 'raw worker_threads (transferred)', piscina: 'piscina (transferred)', tinypool: 'tinypool (transferred)',
  workerpool: 'workerpool (transferred)', poolifier: 'poolifier (transferred)', thread: 'multiproc store (thread)', process: 'multiproc store (process)',
};

interface Rates {
  first: number;
  rate: number;
  firstWithPut?: number;
  withPut?: number;
}

export async function run(ctx: BenchContext): Promise<BenchSection> {
  const count = ctx.smoke ? 4 : 200;
  const rounds = ctx.smoke ? 1 : 3;
  const contenders = ['thread', 'process', ...(ctx.smoke ? ['tinypool'] : peers)] as const;
  const results = new Map<string, Rates[]>(contenders.map((name) => [name, []]));
  const steal: number[] = [];
  for (let round = 0; round < rounds; round++) {
    ctx.log(`   round ${round + 1}/${rounds}`);
    const measured = await withSteal(async () => {
      for (let i = 0; i < contenders.length; i++) {
        const name = contenders[(i + round * 2) % contenders.length]!;
        const rates = name === 'thread' || name === 'process'
          ? await probe<Rates>(storeScript, [name, String(count)])
          : await probe<Rates>(peerScript, [name, 'b3-transfer', String(count)]);
        results.get(name)!.push(rates);
      }
    });
    steal.push(measured.steal);
  }
  const series = (name: string, field: keyof Rates): number[] => results.get(name)!.map((r) => r[field] ?? Number.NaN);
  const peerNames = contenders.filter((name) => name !== 'thread' && name !== 'process');
  const best = [...peerNames].sort((a, b) => median(series(b, 'rate')) - median(series(a, 'rate')))[0]!;
  const bestFirst = [...peerNames].sort((a, b) => median(series(b, 'first')) - median(series(a, 'first')))[0]!;
  const rows = contenders.map((name) => {
    const withPut = name === 'thread' || name === 'process' ? `${summarize(series(name, 'withPut'))} / ${summarize(series(name, 'firstWithPut'))}` : '-';
    return `| ${names[name]} | ${summarize(series(name, 'rate'))} | ${summarize(series(name, 'first'))} | ${withPut} |`;
  });
  const ratio = (a: number[], b: number[]): string => summarize(ratioPerRound(a, b));
  const targets = [
    ['shared (thread) / best peer transferred', '>= 3', `${ratio(series('thread', 'rate'), series(best, 'rate'))} (${best})`],
    ['shared (process) / best peer transferred', '>= 3', `${ratio(series('process', 'rate'), series(best, 'rate'))} (${best})`],
    ['first round in a process: shared (thread) / best peer', '>= 3', `${ratio(series('thread', 'first'), series(bestFirst, 'first'))} (${bestFirst})`],
    ['thread / process (the process backend within 1.2x)', '<= 1.2', ratio(series('thread', 'rate'), series('process', 'rate'))],
    ['first round: thread / process', '<= 1.2', ratio(series('thread', 'first'), series('process', 'first'))],
  ] as const;
  const markdown = [
    `${count} distinct 4 MiB Float64Arrays, each summed by one task (2 workers, all submitted at once), in GB/s of arrays summed. ` +
      'multiproc store: each array put with `pool.put` (not timed) and the task given its ref, which the worker reads in place ' +
      '(a worker thread through the owner\'s own mapping, a worker process through a mapping of its own); the peers: the array transferred with its task ' +
      '(bench/pool/contender.ts, the pool\'s B3). Both timed twice in each process, as the pool\'s B3 is: a first round and a warm one, ' +
      `each with new arrays; ${rounds} rounds, each contender a fresh process, order rotating; median [min-max].`,
    '',
    '| contender | warm (GB/s) | first round in the process (GB/s) | warm / first, the puts counted in (GB/s) |',
    '|---|---|---|---|',
    ...rows,
    '',
    ...targetsAndSteal(targets, steal),
    '',
    'Where a shared array\'s time goes: a worker thread attaches the array\'s segment by reusing its process\'s mapping ' +
      '(the owner\'s, whose pages the put already faulted in: no `mmap`, no page faults), so its task is the sum. A worker ' +
      'process maps the segment itself (`shm_open`, `mmap`; no `posix_fallocate`, as the put reserved every page) and ' +
      'faults its pages in as it reads them, the kernel mapping 16 at a time. A released array\'s pages are freed at the ' +
      'last close of its mapping, a worker\'s sweep at its next attach; that close hands the freeing to the addon\'s ' +
      'releaser thread, so it runs beside the next tasks instead of before them (on 2 cores, it still takes CPU from them).',
  ].join('\n');
  return { title: 'Object store: B3 shared', markdown };
}
