// Managers on loopback: a proxy round trip (queue.put + queue.get) and the seed pattern (one task queue, 2 clients, one
// result queue), with a TypeScript or a Python server and TypeScript or Python clients, every mix in one run.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { BenchContext, BenchSection } from './lib/context.js';
import { format, median, ratioPerRound, summarize, withSteal } from './lib/stats.js';

const probeScript = fileURLToPath(new URL('./managers-probe.js', import.meta.url));
const pythonScript = fileURLToPath(new URL('../../bench/managers_python.py', import.meta.url));
const python = process.env['MULTIPROC_PYTHON'] ?? 'python3';
const workers = 2;

type Lang = 'ts' | 'py';
interface Mix {
  server: Lang;
  client: Lang;
  label: string;
}
const mixes: Mix[] = [
  { server: 'ts', client: 'ts', label: 'TS server, TS clients' },
  { server: 'py', client: 'py', label: 'Python server, Python clients' },
  { server: 'py', client: 'ts', label: 'Python server, TS clients' },
  { server: 'ts', client: 'py', label: 'TS server, Python clients' },
];

const command = (lang: Lang, args: string[]): [string, string[]] => (lang === 'ts' ? [process.execPath, [probeScript, ...args]] : [python, [pythonScript, ...args]]);

function start(lang: Lang, args: string[]): ChildProcess {
  const [file, argv] = command(lang, args);
  return spawn(file, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
}

function firstLine(child: ChildProcess, timeout = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error('no line within 60 s')), timeout);
    lines.once('line', (line) => {
      clearTimeout(timer);
      lines.close();
      resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`exited (${code}) before printing a line`)));
  });
}

function runJson<T>(lang: Lang, args: string[]): Promise<T> {
  const [file, argv] = command(lang, args);
  return new Promise((resolve, reject) => {
    execFile(file, argv, { timeout: 300_000 }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`${argv.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as T);
    });
  });
}

/** The seed with TypeScript clients that keep `depth` calls in flight each (one method channel per call). */
async function measurePipelined(server: Lang, m: number, depth: number): Promise<number> {
  const child = start(server, ['server']);
  try {
    const { port } = JSON.parse(await firstLine(child)) as { port: number };
    const clients = Array.from({ length: workers }, () => start('ts', ['worker-pipelined', String(port), String(depth)]));
    const exits = clients.map((client) => new Promise((resolve) => client.once('exit', resolve)));
    await Promise.all(clients.map((client) => firstLine(client)));
    const seed = await runJson<{ perSec: number }>('ts', ['master-pipelined', String(port), String(m), String(workers), String(depth)]);
    await Promise.all(exits);
    return seed.perSec;
  } finally {
    child.kill('SIGKILL');
  }
}

/** One mix measured once: a fresh server, the round trips, then the seed with fresh clients. */
async function measure(mix: Mix, n: number, m: number): Promise<{ roundtrip: number; roundtripUs: number; seed: number }> {
  const server = start(mix.server, ['server']);
  try {
    const { port } = JSON.parse(await firstLine(server)) as { port: number };
    const rt = await runJson<{ perSec: number; medianUs: number }>(mix.client, ['roundtrip', String(port), String(n)]);
    const clients = Array.from({ length: workers }, () => start(mix.client, ['worker', String(port)]));
    const exits = clients.map((client) => new Promise((resolve) => client.once('exit', resolve)));
    await Promise.all(clients.map((client) => firstLine(client)));
    const seed = await runJson<{ perSec: number }>(mix.client, ['master', String(port), String(m), String(workers)]);
    await Promise.all(exits);
    return { roundtrip: rt.perSec, roundtripUs: rt.medianUs, seed: seed.perSec };
  } finally {
    server.kill('SIGKILL');
  }
}

export async function run(ctx: BenchContext): Promise<BenchSection> {
  const n = ctx.smoke ? 50 : 3000;
  const m = ctx.smoke ? 100 : 6000;
  const results = new Map(mixes.map((mix) => [mix.label, { roundtrip: [] as number[], roundtripUs: [] as number[], seed: [] as number[] }]));
  const depth = 16;
  const pipelined = { ts: [] as number[], py: [] as number[] };
  const steal: number[] = [];
  const load: number[] = [];
  for (let round = 0; round < ctx.rounds; round++) {
    ctx.log(`   round ${round + 1}/${ctx.rounds}`);
    const order = mixes.map((_, i) => mixes[(i + round) % mixes.length]!);
    const measured = await withSteal(async () => {
      for (const mix of order) {
        const result = await measure(mix, n, m);
        const into = results.get(mix.label)!;
        into.roundtrip.push(result.roundtrip);
        into.roundtripUs.push(result.roundtripUs);
        into.seed.push(result.seed);
      }
      for (const server of round % 2 === 0 ? (['ts', 'py'] as const) : (['py', 'ts'] as const)) pipelined[server].push(await measurePipelined(server, m, depth));
    });
    steal.push(measured.steal);
    load.push(loadavg()[0]!);
  }
  const pyPy = results.get('Python server, Python clients')!;
  const rows = mixes.map((mix) => {
    const r = results.get(mix.label)!;
    return `| ${mix.label} | ${summarize(r.roundtrip, 0)} | ${summarize(r.roundtripUs, 0)} | ${summarize(ratioPerRound(r.roundtrip, pyPy.roundtrip))} | ${summarize(r.seed, 0)} | ${summarize(ratioPerRound(r.seed, pyPy.seed))} |`;
  });
  const ratio = (label: string, key: 'roundtrip' | 'seed'): number => median(ratioPerRound(results.get(label)![key], pyPy[key]));
  const markdown = [
    `Python's manager protocol on loopback (TCP, authenticated), each role a fresh process. Round trip: one client, ${n} ` +
      `sequential \`put(i)\` + \`get()\` pairs on a served queue after 200 for warm-up (pairs per second, and the median pair). ` +
      `Seed: the seed's program, a master that puts ${m} numbers on the task queue and takes ${m} results from the result ` +
      `queue while ${workers} clients move each number across as (n, n*n) (messages per second, timed by the master). ` +
      'Servers serve `queue.Queue` (Python) or `ManagedQueue` (TypeScript); clients are `BaseManager` proxies in each language.',
    '',
    '| server, clients | round trips/s | median pair (us) | vs Python-Python | seed messages/s | vs Python-Python |',
    '|---|---|---|---|---|---|',
    ...rows,
    `| TS server, TS clients with ${depth} calls in flight per process | | | | ${summarize(pipelined.ts, 0)} | ${summarize(ratioPerRound(pipelined.ts, pyPy.seed))} |`,
    `| Python server, TS clients with ${depth} calls in flight per process | | | | ${summarize(pipelined.py, 0)} | ${summarize(ratioPerRound(pipelined.py, pyPy.seed))} |`,
    '',
    `The last two rows are the same work written the way Node runs it: each TS process keeps ${depth} calls in flight ` +
      "(a proxy opens one method channel per call in flight), where Python's clients, as the seed writes them, make one call at a time.",
    '',
    `**TS-TS is ${format(ratio('TS server, TS clients', 'roundtrip'))}x Python-Python on the round trip and ${format(ratio('TS server, TS clients', 'seed'))}x on the seed** ` +
      `(target: at least 2x). A TS client on a Python server runs at ${format(ratio('Python server, TS clients', 'roundtrip'))}x and ` +
      `${format(ratio('Python server, TS clients', 'seed'))}x of Python's own client (target: at least 1x). ` +
      `Host steal time per round: ${steal.map((s) => `${s.toFixed(1)}%`).join(', ')}; load average (1 min) after each round: ` +
      `${load.map((l) => l.toFixed(1)).join(', ')} on ${cpus().length} CPUs. Other work on the machine shows in the spread: ` +
      'compare medians, and ratios only within a round.',
  ].join('\n');
  return { title: 'Managers', markdown };
}
