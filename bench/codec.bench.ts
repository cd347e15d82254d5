// Codec: encode+decode throughput of multiproc's codec vs structuredClone, v8.serialize and msgpackr.
import { fileURLToPath } from 'node:url';
import { contenders, payloads } from './codec-probe.js';
import type { BenchContext, BenchSection } from './lib/context.js';
import { probe } from './lib/probe.js';
import { format, median, ratioPerRound, summarize, withSteal } from './lib/stats.js';

const script = fileURLToPath(new URL('./codec-probe.js', import.meta.url));

interface Result {
  ms: number;
  bytes: number;
  objects: number;
}

export async function run(ctx: BenchContext): Promise<BenchSection> {
  const scale = ctx.smoke ? 0.01 : 1;
  const budget = ctx.smoke ? 20 : 400;
  const results = new Map<string, Result[]>();
  const key = (contender: string, payload: string): string => `${contender}|${payload}`;
  const steal: number[] = [];

  for (let round = 0; round < ctx.rounds; round++) {
    ctx.log(`   round ${round + 1}/${ctx.rounds}`);
    const measured = await withSteal(async () => {
      for (const payload of payloads) {
        // Rotate the order each round so no contender always runs first or last.
        const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]!);
        for (const contender of order) {
          const result = await probe<Result>(script, [contender, payload, String(scale), String(budget)]);
          const list = results.get(key(contender, payload)) ?? [];
          list.push(result);
          results.set(key(contender, payload), list);
        }
      }
    });
    steal.push(measured.steal);
  }

  const ms = (contender: string, payload: string): number[] => (results.get(key(contender, payload)) ?? []).map((r) => r.ms);
  const rows: string[] = [];
  for (const payload of payloads) {
    const first = results.get(key('multiproc', payload))?.[0];
    if (first === undefined) continue;
    const tiny = payload === 'tiny [1]' || payload === 'pool message';
    // Per round: the fastest peer (excluding multiproc) and multiproc's time relative to it.
    const peers = contenders.filter((c) => c !== 'multiproc');
    const fastest = ms('multiproc', payload).map((_, round) => Math.min(...peers.map((peer) => ms(peer, payload)[round] ?? Infinity)));
    for (const contender of contenders) {
      const times = ms(contender, payload);
      const mbs = times.map((t) => first.bytes / 1e6 / (t / 1000));
      const ops = times.map((t) => first.objects / (t / 1000));
      const vsFastest = ratioPerRound(times, fastest);
      rows.push(
        `| ${payload} | ${contender} | ${tiny ? `${summarize(times.map((t) => t * 1e6), 0)} ns` : `${summarize(times)} ms`} | ` +
          `${tiny ? '' : summarize(mbs)} | ${summarize(ops)} | ${contender === 'multiproc' ? summarize(vsFastest) : ''} |`,
      );
    }
  }
  const instanceVsPlain = ratioPerRound(ms('multiproc', 'class instances'), ms('multiproc', 'same as plain objects'));
  const plainVsFastest = (payload: string): number[] => {
    const peers = contenders.filter((c) => c !== 'multiproc');
    return ratioPerRound(ms('multiproc', payload), ms('multiproc', payload).map((_, round) => Math.min(...peers.map((p) => ms(p, payload)[round] ?? Infinity))));
  };
  const markdown = [
    'Encode + decode of one value in one process (each measurement a fresh process; median per round trip). MB/s counts ' +
      "the payload's `v8.serialize` size for every contender, so MB/s ratios are time ratios. Only multiproc keeps the " +
      'class instances; `msgpackr` (its default: records, no cycle tracking) does not keep cycles, shared references, ' +
      'Maps or class instances; `msgpackr (structuredClone)` keeps cycles and shared references as multiproc does.',
    '',
    '| payload | contender | time per round trip | MB/s | objects/s | multiproc / fastest peer |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    `Targets: plain payloads within 1.2x of the fastest peer: small objects ${format(median(plainVsFastest('small objects')))}x, ` +
      `Float64Array ${format(median(plainVsFastest('Float64Array 4 MiB')))}x, tiny ${format(median(plainVsFastest('tiny [1]')))}x, ` +
      `pool message ${format(median(plainVsFastest('pool message')))}x; ` +
      `class instances within 2x of the same data as plain objects: ${format(median(instanceVsPlain))}x ` +
      `(per round ${summarize(instanceVsPlain)}). Host steal time per round: ${steal.map((s) => `${s.toFixed(1)}%`).join(', ')}.`,
  ].join('\n');
  return { title: 'Codec', markdown };
}
