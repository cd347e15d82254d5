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
  /** TypeScript clients: blocking calls (`proxy.blocking`, as Python's client calls) or async ones. */
  blocking: boolean;
  label: string;
}
const mixes: Mix[] = [
  { server: 'ts', client: 'ts', blocking: true, label: 'TS server, TS clients (blocking calls)' },
  { server: 'ts', client: 'ts', blocking: false, label: 'TS server, TS clients (async calls)' },
  { server: 'py', client: 'py', blocking: true, label: 'Python server, Python clients' },
  { server: 'py', client: 'ts', blocking: true, label: 'Python server, TS clients (blocking calls)' },
  { server: 'py', client: 'ts', blocking: false, label: 'Python server, TS clients (async calls)' },
  { server: 'ts', client: 'py', blocking: true, label: 'TS server, Python clients' },
];
const pyPyLabel = 'Python server, Python clients';

/** A client role's mode: TypeScript's blocking kind has a mode of its own. */
const role = (mix: Mix, name: string): string => (mix.client === 'ts' && mix.blocking ? `${name}-blocking` : name);

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
async function measure(mix: Mix, n: number, m: number, warm: number): Promise<{ roundtrip: number; roundtripUs: number; cpuUs: number; seed: number }> {
  const server = start(mix.server, ['server']);
  try {
    const { port } = JSON.parse(await firstLine(server)) as { port: number };
    const rt = await runJson<{ perSec: number; medianUs: number; cpuUs: number }>(mix.client, [role(mix, 'roundtrip'), String(port), String(n), String(warm)]);
    const clients = Array.from({ length: workers }, () => start(mix.client, [role(mix, 'worker'), String(port)]));
    const exits = clients.map((client) => new Promise((resolve) => client.once('exit', resolve)));
    await Promise.all(clients.map((client) => firstLine(client)));
    const seed = await runJson<{ perSec: number }>(mix.client, [role(mix, 'master'), String(port), String(m), String(workers), String(warm)]);
    await Promise.all(exits);
    return { roundtrip: rt.perSec, roundtripUs: rt.medianUs, cpuUs: rt.cpuUs, seed: seed.perSec };
  } finally {
    server.kill('SIGKILL');
  }
}

export async function run(ctx: BenchContext): Promise<BenchSection> {
  const n = ctx.smoke ? 50 : 10_000;
  const m = ctx.smoke ? 100 : 10_000;
  const warm = ctx.smoke ? 10 : 2000;
  const results = new Map(mixes.map((mix) => [mix.label, { roundtrip: [] as number[], roundtripUs: [] as number[], cpuUs: [] as number[], seed: [] as number[] }]));
  const depth = 16;
  const pipelined = { ts: [] as number[], py: [] as number[] };
  const steal: number[] = [];
  const load: number[] = [];
  for (let round = 0; round < ctx.rounds; round++) {
    ctx.log(`   round ${round + 1}/${ctx.rounds}`);
    const order = mixes.map((_, i) => mixes[(i + round) % mixes.length]!);
    const measured = await withSteal(async () => {
      for (const mix of order) {
        const result = await measure(mix, n, m, warm);
        const into = results.get(mix.label)!;
        into.roundtrip.push(result.roundtrip);
        into.roundtripUs.push(result.roundtripUs);
        into.cpuUs.push(result.cpuUs);
        into.seed.push(result.seed);
      }
      for (const server of round % 2 === 0 ? (['ts', 'py'] as const) : (['py', 'ts'] as const)) pipelined[server].push(await measurePipelined(server, m, depth));
    });
    steal.push(measured.steal);
    load.push(loadavg()[0]!);
  }
  const pyPy = results.get(pyPyLabel)!;
  const rows = mixes.map((mix) => {
    const r = results.get(mix.label)!;
    return `| ${mix.label} | ${summarize(r.roundtrip, 0)} | ${summarize(r.roundtripUs, 0)} | ${summarize(r.cpuUs, 0)} | ${summarize(ratioPerRound(r.roundtrip, pyPy.roundtrip))} | ${summarize(r.seed, 0)} | ${summarize(ratioPerRound(r.seed, pyPy.seed))} |`;
  });
  const ratio = (label: string, key: 'roundtrip' | 'seed'): number => median(ratioPerRound(results.get(label)![key], pyPy[key]));
  const markdown = [
    `Python's manager protocol on loopback (TCP, authenticated), each role a fresh process. Round trip: one client, ${n} ` +
      `sequential \`put(i)\` + \`get()\` pairs on a served queue after ${warm} untimed (pairs per second, the median pair, and ` +
      "the client process's CPU time per pair). " +
      `Seed: the seed's program, a master that puts ${m} numbers on the task queue and takes ${m} results from the result ` +
      `queue (after ${warm} untimed) while ${workers} clients move each number across as (n, n*n) (messages per second, timed by the master). ` +
      'Servers serve `queue.Queue` (Python) or `ManagedQueue` (TypeScript); clients are `BaseManager` proxies in each language, ' +
      "TypeScript's making blocking calls (`q.blocking.put(x)`, one at a time, as Python's do) or async ones (`await q.put(x)`). " +
      'The TypeScript sides spin for up to 50 us before sleeping (the `spin` option; see docs/managers.md).',
    '',
    '| server, clients | round trips/s | median pair (us) | client CPU per pair (us) | vs Python-Python | seed messages/s | vs Python-Python |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    `| TS server, TS clients with ${depth} calls in flight per process | | | | | ${summarize(pipelined.ts, 0)} | ${summarize(ratioPerRound(pipelined.ts, pyPy.seed))} |`,
    `| Python server, TS clients with ${depth} calls in flight per process | | | | | ${summarize(pipelined.py, 0)} | ${summarize(ratioPerRound(pipelined.py, pyPy.seed))} |`,
    '',
    `The last two rows are the same work written the way Node runs it: each TS process keeps ${depth} calls in flight ` +
      "(a proxy opens one method channel per call in flight), where Python's clients, as the seed writes them, make one call at a time.",
    '',
    `**TS-TS is ${format(ratio(mixes[0]!.label, 'roundtrip'))}x Python-Python on the round trip and ${format(ratio(mixes[0]!.label, 'seed'))}x on the seed** ` +
      `with blocking calls, ${format(ratio(mixes[1]!.label, 'roundtrip'))}x and ${format(ratio(mixes[1]!.label, 'seed'))}x with async ones ` +
      `(target: at least 2x). A TS client on a Python server runs at ${format(ratio(mixes[3]!.label, 'roundtrip'))}x and ` +
      `${format(ratio(mixes[3]!.label, 'seed'))}x of Python's own client (target: at least 1x). ` +
      `Host steal time per round: ${steal.map((s) => `${s.toFixed(1)}%`).join(', ')}; load average (1 min) after each round: ` +
      `${load.map((l) => l.toFixed(1)).join(', ')} on ${cpus().length} CPUs. Other work on the machine shows in the spread: ` +
      'compare medians, and ratios only within a round.',
  ].join('\n');
  return { title: 'Managers', markdown };
}
