// The object store: TASKS tasks over one 50 MB Float64Array, put once and passed as a ref, vs the array sent
// with every task, on both backends.
import { fileURLToPath } from 'node:url';
import type { BenchContext, BenchSection } from './lib/context.js';
import { probe } from './lib/probe.js';
import { format, median, ratioPerRound, summarize, withSteal } from './lib/stats.js';

const script = fileURLToPath(new URL('./store-probe.js', import.meta.url));

interface Timing {
  ms: number;
  perTaskMs: number;
}

export async function run(ctx: BenchContext): Promise<BenchSection> {
  const mib = ctx.smoke ? 1 : 50;
  const tasks = ctx.smoke ? 20 : 1000;
  // Sending 50 MB with each of 1,000 tasks takes minutes on processes: the per-task cost of sending is
  // measured over fewer tasks (it does not depend on how many), and compared per task.
  const sendTasks = { thread: ctx.smoke ? 5 : 100, process: ctx.smoke ? 5 : 20 };
  const rows: string[] = [];
  const steal: number[] = [];
  const verdicts: string[] = [];
  for (const backend of ['thread', 'process'] as const) {
    const put: Timing[] = [];
    const send: Timing[] = [];
    for (let round = 0; round < ctx.rounds; round++) {
      ctx.log(`   ${backend} round ${round + 1}/${ctx.rounds}`);
      const measured = await withSteal(async () => {
        const order = round % 2 === 0 ? ['put', 'send'] as const : ['send', 'put'] as const;
        for (const mode of order) {
          const n = mode === 'put' ? tasks : sendTasks[backend];
          const result = await probe<Timing>(script, [backend, mode, String(mib), String(n)]);
          (mode === 'put' ? put : send).push(result);
        }
      });
      steal.push(measured.steal);
    }
    const ratio = ratioPerRound(send.map((t) => t.perTaskMs), put.map((t) => t.perTaskMs));
    rows.push(`| ${backend} | ${summarize(put.map((t) => t.ms))} | ${summarize(put.map((t) => t.perTaskMs), 3)} | ` +
      `${summarize(send.map((t) => t.perTaskMs))} | ${summarize(ratio, 0)} |`);
    verdicts.push(`${backend}: ${format(median(ratio), 0)}x`);
  }
  const markdown = [
    `${tasks} tasks (2 workers), each summing a 1/${tasks} slice of one ${mib} MB Float64Array: put once with ` +
      '`pool.put` (the put included) and passed as a ref, vs the array sent with each task ' +
      `(measured over ${sendTasks.thread} tasks on threads and ${sendTasks.process} on processes, per task). Milliseconds:`,
    '',
    `| backend | put once: all ${tasks} tasks | put once: per task | sent each time: per task | per-task ratio (sent / put) |`,
    '|---|---|---|---|---|',
    ...rows,
    '',
    `**Put once is ${verdicts.join(', ')} faster per task than sending the array** (target: at least 100x). ` +
      `Host steal time per round: ${steal.map((s) => `${s.toFixed(1)}%`).join(', ')}.`,
  ].join('\n');
  return { title: 'Object store', markdown };
}
