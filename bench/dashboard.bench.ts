// The dashboard's cost: B1-like maps (200,000 items of `x + 1`, automatic chunks, 2 thread workers) back to back
// with no dashboard, with a dashboard and an SSE client, and with a dashboard open in headless Chromium, each
// measurement a fresh process, the three interleaved per round; the pool's items/s and the updates the page got.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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

/** What Chromium says it is (`Chromium 131.0.6778.85 built on Debian ...`), for the report. */
function chromiumVersion(): string {
  try {
    return execFileSync(chromium, ['--version'], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'version unknown';
  }
}

/** The workloads: B1's maps (the pool's fastest path) and maps of CPU tasks at about 200,000 tasks a second. */
interface Workload {
  arg: string;
  title: string;
}

/** `work(n)`'s n for about 200,000 tasks a second with no dashboard: three rounds of proportional steps. */
async function calibrate(seconds: number): Promise<number> {
  let n = 350;
  for (let step = 0; step < 3; step++) {
    const { rate } = await probe<Result>(script, ['off', String(seconds), `work:${n}`, '0.5'], 120_000);
    n = Math.max(1, Math.round((n * rate) / 200_000));
  }
  return n;
}

export async function run(ctx: BenchContext): Promise<BenchSection> {
  // Without Chromium (a CI image without it), the page is measured by the SSE client alone, and the report says so.
  const browser = existsSync(chromium);
  const modes = ['off', 'sse', ...(browser ? ['browser'] : [])];
  const seconds = ctx.smoke ? 0.5 : 4;
  const warm = ctx.smoke ? 0.5 : 3;
  const rounds = ctx.smoke ? 1 : Math.max(7, ctx.rounds);
  const n = await calibrate(ctx.smoke ? 0.3 : 1.5);
  const workloads: Workload[] = [
    { arg: `work:${n}`, title: `maps of 20,000 tasks of \`work(${n})\` (about 200,000 tasks/s with no dashboard)` },
    { arg: 'b1', title: 'B1 maps: 200,000 items of `x + 1`, automatic chunks (over ten million items/s)' },
  ];
  const key = (workload: Workload, mode: string): string => `${workload.arg}/${mode}`;
  const results = new Map<string, Result[]>(workloads.flatMap((workload) => modes.map((mode) => [key(workload, mode), []])));
  const steals: number[] = [];
  for (let round = 0; round < rounds; round++) {
    ctx.log(`   round ${round + 1}/${rounds}`);
    const order = modes.map((_, i) => modes[(i + round) % modes.length]!);
    const { steal } = await withSteal(async () => {
      for (const workload of workloads) {
        for (const mode of order) results.get(key(workload, mode))!.push(await probe<Result>(script, [mode, String(seconds), workload.arg, String(warm)], 120_000));
      }
    });
    steals.push(steal);
  }
  const names: Record<string, string> = {
    off: 'no dashboard',
    sse: 'dashboard, an SSE client subscribed (another process)',
    browser: `dashboard open in headless Chromium (${chromiumVersion()})`,
  };
  const watched = browser ? 'browser' : 'sse';
  const targets: string[] = [];
  const tables = workloads.flatMap((workload, w) => {
    const of = (mode: string): Result[] => results.get(key(workload, mode))!;
    const rates = (mode: string): number[] => of(mode).map((result) => result.rate);
    // The pool's own CPU per item (ns): what the dashboard costs the pool's process, whatever else the host runs.
    const poolCpu = (mode: string): number[] => of(mode).map((result) => (result.poolCpu / result.rate) * 1e9);
    const rows = modes.map((mode) => {
      const ratio = mode === 'off' ? '1' : summarize(ratioPerRound(rates(mode), rates('off')), 3);
      const got = mode === 'off' ? '-' : summarize(of(mode).map((result) => result.updatesPerSecond), 1);
      const cpu = mode === 'off' ? summarize(poolCpu(mode), 1) : `${summarize(poolCpu(mode), 1)}; ${summarize(ratioPerRound(poolCpu(mode), poolCpu('off')), 3)}x`;
      const client = mode === 'off' ? '-' : summarize(of(mode).map((result) => result.clientCpu), 3);
      return `| ${names[mode]} | ${summarize(rates(mode))} | ${ratio} | ${cpu} | ${client} | ${got} |`;
    });
    const label = w === 0 ? '200,000 tasks/s' : 'B1';
    targets.push(
      `| ${label}: throughput with the page open / without a dashboard | >= 0.95 | ${summarize(ratioPerRound(rates(watched), rates('off')), 3)} (${watched}) |`,
      `| ${label}: updates the page got per second | >= 5 | ${format(median(of(watched).map((result) => result.updatesPerSecond)), 1)} (${watched}) |`,
      `| ${label}: the pool's CPU per item with the page open / without | (<= 1.05) | ${summarize(ratioPerRound(poolCpu(watched), poolCpu('off')), 3)} (${watched}) |`,
    );
    return [
      `**${workload.title}**`,
      '',
      '| | items/s | / no dashboard (per round) | pool process CPU, ns per item; / no dashboard | client CPU (cores) | updates the page got per second |',
      '|---|---|---|---|---|---|',
      ...rows,
      '',
    ];
  });
  const markdown = [
    `${rounds} rounds, each measurement a fresh process (bench/dashboard-probe.ts), the modes rotating; median [min-max] over rounds. ` +
      `Host steal per round: ${steals.map((s) => `${s.toFixed(1)}%`).join(', ')}.` +
      (browser ? ` Chromium: ${chromium}, started on the page (bench/dashboard-page-client.ts), asked only for its update count over a DevTools pipe.` : ` **No Chromium at ${chromium}: the page was measured by the SSE client only.**`),
    '',
    ...tables,
    `Each measurement: a pool of 2 thread workers warmed by 3 maps, the client subscribed, maps back to back for ${warm} s (the page settles: ` +
      `a browser's first seconds cost it about twice its steady CPU), then maps back to back for ${seconds} s, measured. ` +
      'The SSE client and the browser each run in a process of their own (as a browser does), so their own CPU competes with the ' +
      'pool only as any program on the machine would: on this 2-core host what the page takes comes from the workers. ' +
      'Updates are coalesced to at most one per 180 ms, so the page\'s figure does not grow with the pool\'s rate. ' +
      'CPU: the pool\'s process (process.cpuUsage: its thread and its worker threads) per item, which other load on the host ' +
      'disturbs less than the rate, and the client\'s whole process tree (/proc/<pid>/stat: the browser\'s processes) in cores. ' +
      `\`work(n)\`'s n is calibrated at the start of the run (${n} here) for about 200,000 tasks/s with no dashboard: the issue's "a map of 200k tasks/s". ` +
      'In B1 the pool is bound by the hand-offs between its thread and the workers rather than by CPU; its maps of 12-20 ms swing more from run to run.',
    '',
    '| what | target | measured |',
    '|---|---|---|',
    ...targets,
  ].join('\n');
  return { title: 'Dashboard', markdown };
}
