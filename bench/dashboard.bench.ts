// The dashboard's cost: B1-like maps (200,000 items of `x + 1`, automatic chunks, 2 thread workers) back to back
// with no dashboard, with a dashboard and an SSE client, and with a dashboard open in headless Chromium, each
// measurement a fresh process, the three interleaved per round; the pool's items/s and the updates the page got.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchContext, BenchSection } from './lib/context.js';
import { probe } from './lib/probe.js';
import { format, median, ratioPerRound, summarize, withSteal } from './lib/stats.js';

const script = fileURLToPath(new URL('./dashboard-probe.js', import.meta.url));
const chromium = '/usr/bin/chromium';

interface Result {
  rate: number;
  updatesPerSecond: number;
  /** CPU of the pool's process (its thread and its workers) and of the client's process tree, in cores. */
  poolCpu: number;
  clientCpu: number;
  seconds: number;
}

function version(name: string): string {
  const url = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}

export async function run(ctx: BenchContext): Promise<BenchSection> {
  // Without Chromium (a CI image without it), the page is measured by the SSE client alone, and the report says so.
  const browser = existsSync(chromium);
  const modes = ['off', 'sse', ...(browser ? ['browser'] : [])];
  const seconds = ctx.smoke ? 0.5 : 4;
  const rounds = ctx.smoke ? 1 : Math.max(7, ctx.rounds);
  const results = new Map<string, Result[]>(modes.map((mode) => [mode, []]));
  const steals: number[] = [];
  for (let round = 0; round < rounds; round++) {
    ctx.log(`   round ${round + 1}/${rounds}`);
    const order = modes.map((_, i) => modes[(i + round) % modes.length]!);
    const { steal } = await withSteal(async () => {
      for (const mode of order) results.get(mode)!.push(await probe<Result>(script, [mode, String(seconds)], 120_000));
    });
    steals.push(steal);
  }
  const rates = (mode: string): number[] => results.get(mode)!.map((result) => result.rate);
  const updates = (mode: string): number[] => results.get(mode)!.map((result) => result.updatesPerSecond);
  // The pool's own CPU per item (ns): what the dashboard costs the pool's process, whatever else the host runs.
  const poolCpu = (mode: string): number[] => results.get(mode)!.map((result) => (result.poolCpu / result.rate) * 1e9);
  const clientCpu = (mode: string): number[] => results.get(mode)!.map((result) => result.clientCpu);
  const names: Record<string, string> = {
    off: 'no dashboard',
    sse: 'dashboard, an SSE client subscribed (another process)',
    browser: `dashboard open in headless Chromium (${chromium}, playwright-core ${version('playwright-core')})`,
  };
  const rows = modes.map((mode) => {
    const ratio = mode === 'off' ? '1' : summarize(ratioPerRound(rates(mode), rates('off')), 3);
    const got = mode === 'off' ? '-' : summarize(updates(mode), 1);
    const cpu = mode === 'off' ? summarize(poolCpu(mode), 1) : `${summarize(poolCpu(mode), 1)}; ${summarize(ratioPerRound(poolCpu(mode), poolCpu('off')), 3)}x`;
    const client = mode === 'off' ? '-' : summarize(clientCpu(mode), 3);
    return `| ${names[mode]} | ${summarize(rates(mode))} | ${ratio} | ${cpu} | ${client} | ${got} |`;
  });
  const watched = browser ? 'browser' : 'sse';
  const markdown = [
    `${rounds} rounds, each measurement a fresh process (bench/dashboard-probe.ts), the modes rotating; median [min-max] over rounds. ` +
      `Host steal per round: ${steals.map((s) => `${s.toFixed(1)}%`).join(', ')}.` +
      (browser ? '' : ` **No Chromium at ${chromium}: the page was measured by the SSE client only.**`),
    '',
    '| | B1 `map` items/s | / no dashboard (per round) | pool process CPU, ns per item; / no dashboard | client CPU (cores) | updates the page got per second |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    `Each measurement: a pool of 2 thread workers warmed by 3 maps, the client subscribed, then maps of 200,000 items back to back for ${seconds} s. ` +
      'The SSE client and the browser each run in a process of their own (as a browser does), so their own CPU competes with the ' +
      'pool only as any program on the machine would: on this 2-core host what the page takes comes from the workers. ' +
      'Updates are coalesced to at most one per 180 ms, so the page\'s figure does not grow with the pool\'s rate. ' +
      'CPU: the pool\'s process (process.cpuUsage: its thread and its worker threads) per item, which other load on the host ' +
      'disturbs less than the rate, and the client\'s whole process tree (/proc/<pid>/stat: the browser\'s processes) in cores.',
    '',
    '| what | target | measured |',
    '|---|---|---|',
    `| throughput with the page open / without a dashboard | >= 0.95 | ${summarize(ratioPerRound(rates(watched), rates('off')), 3)} (${watched}) |`,
    `| updates the page got per second | >= 5 | ${format(median(updates(watched)), 1)} (${watched}) |`,
    `| the pool's CPU per item with the page open / without | (<= 1.05) | ${summarize(ratioPerRound(poolCpu(watched), poolCpu('off')), 3)} (${watched}) |`,
  ].join('\n');
  return { title: 'Dashboard', markdown };
}
