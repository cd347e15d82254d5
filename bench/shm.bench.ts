// Shared memory: segment lifecycle latency, bandwidth through the SharedArrayBuffer vs Buffer.copy, and a
// futex ping-pong between two processes vs process.send.
import { fileURLToPath } from 'node:url';
import type { BenchContext, BenchSection } from './lib/context.js';
import { probe } from './lib/probe.js';
import { format, median, ratioPerRound, summarize, withSteal } from './lib/stats.js';

const script = fileURLToPath(new URL('./shm-probe.js', import.meta.url));

export async function run(ctx: BenchContext): Promise<BenchSection> {
  const lifecycleN = ctx.smoke ? 20 : 2000;
  const [mib, passes] = ctx.smoke ? [8, 2] : [64, 16]; // 16 x 64 MiB = 1 GiB written
  const pings = ctx.smoke ? 200 : 10_000;
  const life: Record<string, number[]> = { create: [], attach: [], close: [], unlink: [] };
  const shared: number[] = [];
  const copy: number[] = [];
  const futex: { medianUs: number; p99Us: number }[] = [];
  const send: { medianUs: number; p99Us: number }[] = [];
  const steal: number[] = [];

  for (let round = 0; round < ctx.rounds; round++) {
    ctx.log(`   round ${round + 1}/${ctx.rounds}`);
    const measured = await withSteal(async () => {
      const l = await probe<Record<string, number>>(script, ['lifecycle', String(lifecycleN)]);
      for (const key of Object.keys(life)) life[key]!.push(l[key]!);
      const b = await probe<{ sharedGBs: number; bufferCopyGBs: number }>(script, ['bandwidth', String(mib), String(passes)]);
      shared.push(b.sharedGBs);
      copy.push(b.bufferCopyGBs);
      // alternate which ping-pong goes first
      const order = round % 2 === 0 ? ['futex-pingpong', 'send-pingpong'] : ['send-pingpong', 'futex-pingpong'];
      for (const mode of order) {
        const result = await probe<{ medianUs: number; p99Us: number }>(script, [mode, String(pings)]);
        (mode === 'futex-pingpong' ? futex : send).push(result);
      }
    });
    steal.push(measured.steal);
  }

  const speedup = ratioPerRound(send.map((r) => r.medianUs), futex.map((r) => r.medianUs));
  const markdown = [
    `Segment lifecycle (64 KiB segments, median per operation over ${lifecycleN} in each round, microseconds):`,
    '',
    '| create (+ tracker record) | attach | close | unlink |',
    '|---|---|---|---|',
    `| ${summarize(life['create']!)} | ${summarize(life['attach']!)} | ${summarize(life['close']!)} | ${summarize(life['unlink']!)} |`,
    '',
    `Writing ${mib * passes} MiB (${passes} passes over a ${mib} MiB segment) through the SharedArrayBuffer vs \`Buffer.copy\` into a private buffer, GB/s:`,
    '',
    '| through the segment | Buffer.copy | ratio (segment / copy) |',
    '|---|---|---|',
    `| ${summarize(shared)} | ${summarize(copy)} | ${summarize(ratioPerRound(shared, copy))} |`,
    '',
    `Ping-pong between two processes, ${pings} round trips per round (median and p99 per round, microseconds):`,
    '',
    '| mechanism | median | p99 |',
    '|---|---|---|',
    `| futex (both sides blocking) | ${summarize(futex.map((r) => r.medianUs))} | ${summarize(futex.map((r) => r.p99Us))} |`,
    `| process.send | ${summarize(send.map((r) => r.medianUs))} | ${summarize(send.map((r) => r.p99Us))} |`,
    '',
    `**futex round trip is ${format(median(speedup))}x faster than process.send** ` +
      `(per-round ratios ${summarize(speedup)}; target: at least 3x). Host steal time per round: ${steal.map((s) => `${s.toFixed(1)}%`).join(', ')}.`,
  ].join('\n');
  return { title: 'Shared memory', markdown };
}
