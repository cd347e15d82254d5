// Pickle: dumps and loads of a manager-sized message and of 1e5-item lists, against CPython's C pickler in the same run.
import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { dumps, loads, tuple } from '../src/pickle/index.js';
import { Token } from '../src/managers/token.js';
import type { BenchContext, BenchSection } from './lib/context.js';
import { format, median, ratioPerRound, summarize } from './lib/stats.js';

const exec = promisify(execFile);
const pythonScript = fileURLToPath(new URL('../../bench/pickle_python.py', import.meta.url));
const python = process.env['MULTIPROC_PYTHON'] ?? 'python3';

// The manager's own Token (registered on the default registry, as the managers load and dump it).
/** The same values bench/pickle_python.py builds. */
function payloads(size: number): Map<string, unknown> {
  const token = new Token('Queue', ['127.0.0.1', 5000], '7f698f009c90');
  const message = tuple(
    '7f698f009c90',
    'put',
    tuple(
      new Map<string, unknown>([
        ['id', 17],
        ['tags', ['alpha', 'beta']],
        ['values', Array.from({ length: 20 }, (_, i) => (i % 2 === 1 ? i * 1.5 : i))],
        ['ratio', 0.25],
      ]),
      token,
    ),
    new Map<string, unknown>([['block', true], ['timeout', null]]),
  );
  return new Map<string, unknown>([
    ['manager message', message],
    ['ints', Array.from({ length: size }, (_, i) => ((i * 7919) % 100003) - 50000)],
    // i / 7 + 0.5 is never a whole number here, so every item is written as a float, as Python's are.
    ['floats', Array.from({ length: size }, (_, i) => i / 7 + 0.5)],
    ['short strings', Array.from({ length: size }, (_, i) => `k${i}`)],
  ]);
}

/** The fastest of five batches of about budget / 5 ms, per call, in ns (as Python's timeit.repeat is read). */
function perCallNs(fn: () => unknown, budgetMs: number): number {
  // Warm up first: sized from cold calls, the batches would be too short to measure anything but the noise.
  const warm = performance.now() + Math.max(50, budgetMs / 5);
  while (performance.now() < warm) for (let i = 0; i < 100; i++) fn();
  let number = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < number; i++) fn();
    const took = performance.now() - t0;
    if (took >= 20 || number >= 1 << 24) {
      number = Math.max(1, Math.round((number * (budgetMs / 5)) / took));
      break;
    }
    number *= 2;
  }
  let best = Infinity;
  for (let repeat = 0; repeat < 5; repeat++) {
    const t0 = performance.now();
    for (let i = 0; i < number; i++) fn();
    best = Math.min(best, (performance.now() - t0) / number);
  }
  return best * 1e6;
}

/**
 * The manager message timed in pairs: one batch here and one in a Python process kept open for it, back to back
 * (which goes first alternates), so both sides of a ratio see the same moment of a noisy host. Per op, the ratio
 * of each pair.
 */
async function pairedRatios(message: unknown, pairs: number, budget: number): Promise<Record<'dumps' | 'loads', number[]>> {
  const child = spawn(python, [pythonScript, 'serve'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const theirs = async (op: string): Promise<number> => {
    child.stdin.write(`${op} ${budget}\n`);
    const next = await lines.next();
    if (next.done === true) throw new Error(`${python} ${pythonScript} serve ended without an answer`);
    return Number(next.value);
  };
  const data = dumps(message);
  const ours = { dumps: () => perCallNs(() => dumps(message), budget), loads: () => perCallNs(() => loads(data), budget) };
  const ratios = { dumps: [] as number[], loads: [] as number[] };
  try {
    for (let pair = 0; pair < pairs; pair++) {
      for (const op of ['loads', 'dumps'] as const) {
        let mine: number;
        let python: number;
        if (pair % 2 === 0) {
          mine = ours[op]();
          python = await theirs(op);
        } else {
          python = await theirs(op);
          mine = ours[op]();
        }
        ratios[op].push(mine / python);
      }
    }
  } finally {
    child.stdin.end();
    await new Promise((resolve) => child.once('exit', resolve));
  }
  return ratios;
}

interface Timing {
  dumps_ns: number;
  loads_ns: number;
  bytes: number;
  hex?: string;
}

export async function run(ctx: BenchContext): Promise<BenchSection> {
  const size = ctx.smoke ? 1000 : 100_000;
  const budget = ctx.smoke ? 20 : 500;
  const values = payloads(size);
  const names = [...values.keys()];
  const ts = new Map<string, Timing[]>(names.map((n) => [n, []]));
  const py = new Map<string, Timing[]>(names.map((n) => [n, []]));
  for (let round = 0; round < ctx.rounds; round++) {
    ctx.log(`   round ${round + 1}/${ctx.rounds}`);
    // Alternate which side runs first, so neither always has the quieter machine.
    const measurePython = async (): Promise<void> => {
      const { stdout } = await exec(python, [pythonScript, String(size), String(budget)], { timeout: 600_000, maxBuffer: 1 << 24 });
      const timings = JSON.parse(stdout) as Record<string, Timing>;
      for (const name of names) py.get(name)!.push(timings[name]!);
    };
    if (round % 2 === 1) await measurePython();
    for (const name of names) {
      const value = values.get(name);
      const data = dumps(value);
      ts.get(name)!.push({
        dumps_ns: perCallNs(() => dumps(value), budget),
        loads_ns: perCallNs(() => loads(data), budget),
        bytes: data.length,
        hex: Buffer.from(data).toString('hex'),
      });
    }
    if (round % 2 === 0) await measurePython();
  }

  const pairs = ctx.smoke ? 2 : 25;
  const paired = await pairedRatios(values.get('manager message'), pairs, ctx.smoke ? 20 : 100);

  const rows: string[] = [];
  const loadRatio = new Map<string, number>();
  for (const name of names) {
    const mine = ts.get(name)!;
    const theirs = py.get(name)!;
    const dumpsRatio = ratioPerRound(mine.map((t) => t.dumps_ns), theirs.map((t) => t.dumps_ns));
    const loadsRatio = ratioPerRound(mine.map((t) => t.loads_ns), theirs.map((t) => t.loads_ns));
    loadRatio.set(name, median(loadsRatio));
    const unit = name === 'manager message' ? 1 : 1e6;
    const label = name === 'manager message' ? 'ns' : 'ms';
    const digits = name === 'manager message' ? 0 : 2;
    rows.push(
      `| ${name}${name === 'manager message' ? '' : ` (${format(size, 0)})`} | ${mine[0]!.bytes} / ${theirs[0]!.bytes} | ` +
        `${summarize(mine.map((t) => t.dumps_ns / unit), digits)} ${label} | ${summarize(theirs.map((t) => t.dumps_ns / unit), digits)} ${label} | ${summarize(dumpsRatio)} | ` +
        `${summarize(mine.map((t) => t.loads_ns / unit), digits)} ${label} | ${summarize(theirs.map((t) => t.loads_ns / unit), digits)} ${label} | ${summarize(loadsRatio)} |`,
    );
  }
  const identical = ts.get('manager message')![0]!.hex === py.get('manager message')![0]!.hex;
  const pairedLoads = median(paired.loads);
  const markdown = [
    `multiproc's pickle (\`dumps\`/\`loads\`, protocol 4) against CPython's C pickler (\`pickle.dumps\`/\`pickle.loads\` through \`_pickle\`, ` +
      `${python}), both timed in the same run: the fastest of five batches per round, the median [min-max] over ${ctx.rounds} rounds. ` +
      'The manager message is a request tuple with a dict, a registered Token and a list of 20 numbers; the lists hold ints, ' +
      "floats and distinct short strings. A ratio below 1 means multiproc's time is shorter.",
    '',
    '| payload | bytes (multiproc / Python) | dumps | Python dumps | ratio | loads | Python loads | ratio |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `The manager message timed in ${pairs} pairs, each a batch here and one in a Python process kept open for it, back to back ` +
      '(the fastest of five batches of 20 ms a side; which goes first alternates), so that both sides of a ratio see the same ' +
      'moment of the host: the ratio per pair, median [min-max]:',
    '',
    '| manager message, paired | ratio |',
    '|---|---|',
    `| dumps | ${summarize(paired.dumps)} |`,
    `| loads | ${summarize(paired.loads)} |`,
    '',
    `The manager message's bytes are ${identical ? 'identical to' : 'NOT identical to'} CPython's. ` +
      `Target: loads of a manager-sized message at least as fast as Python's C pickler: ${format(pairedLoads)}x paired ` +
      `(${format(loadRatio.get('manager message') ?? Number.NaN)}x by rounds): ${pairedLoads <= 1 ? 'met' : 'not met'}.`,
  ].join('\n');
  return { title: 'Pickle', markdown };
}
