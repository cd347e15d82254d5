// The fault soak: the CI suite's injector (injector.ts) run until each backend has taken at least
// `--crashes` injected crashes, then the figures written to docs/RELIABILITY.md. Not a test file (the
// runner collects *.test.js only): `npm run soak`, or after a build
//   node --expose-gc dist/test/faults/soak.js [--crashes 1000] [--backend thread|process] [--seed N]
//                                             [--out docs/RELIABILITY.md] [--max-minutes 90]
// Progress goes to stdout; worker processes' own reports of their injected crashes go to stderr.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { BackendName } from '../../src/index.js';
import type { CrashKind } from '../fixtures/fault-tasks.js';
import { describeScenario, runScenario, type ScenarioOptions } from './injector.js';
import { report, tally, type Category, type Figures, type Verdict } from './verdict.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const { values: args } = parseArgs({
  options: {
    crashes: { type: 'string', default: '1000' },
    backend: { type: 'string' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: path.join(root, 'docs', 'RELIABILITY.md') },
    'max-minutes': { type: 'string', default: '90' },
  },
});
const target = Number(args.crashes);
const baseSeed = Number(args.seed);
const maxMs = Number(args['max-minutes']) * 60_000;
const backends: BackendName[] = args.backend === undefined ? ['thread', 'process'] : [args.backend as BackendName];
if (!Number.isInteger(target) || target < 1 || !Number.isInteger(baseSeed) || !(maxMs > 0) || !backends.every((b) => b === 'thread' || b === 'process')) {
  throw new TypeError('usage: soak.js [--crashes N] [--backend thread|process] [--seed N] [--out FILE] [--max-minutes M]');
}

/** The scenarios the soak cycles through, each with the next seed: those of the CI suite, larger, and out of memory now and then. */
function rotation(backend: BackendName): Omit<ScenarioOptions, 'seed'>[] {
  const kinds: readonly CrashKind[] = ['exit', 'kill', 'uncaught'];
  const base = { backend, kinds, smallHeap: false, hangRate: 0, faultRate: 0.1, settleMs: 60_000 };
  return [
    { ...base, mode: 'apply', timeouts: false, retries: 0, calls: 400 },
    { ...base, mode: 'apply', timeouts: true, retries: 0, calls: 300, faultRate: 0.08, hangRate: 0.02 },
    { ...base, mode: 'apply', timeouts: false, retries: 2, calls: 300 },
    { ...base, mode: 'map', timeouts: false, retries: 0, calls: 400 },
    { ...base, mode: 'map', timeouts: true, retries: 1, calls: 300, hangRate: 0.02 },
    { ...base, mode: 'apply', timeouts: false, retries: 1, calls: 200, kinds: ['oom', 'exit', 'uncaught'], faultRate: 0.06, smallHeap: true },
  ];
}

/** One backend's soak: the scenarios' figures summed, and what the soak adds. */
interface Totals extends Figures {
  backend: BackendName;
  scenarios: number;
  violations: Partial<Record<Category, number>>;
  rssBefore: number;
  rssAfter: number;
  reachedTarget: boolean;
  failed: Verdict[];
  firstSeed: number;
  lastSeed: number;
}

function rss(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss;
}

async function soak(backend: BackendName, seedFrom: number): Promise<Totals> {
  const totals: Totals = {
    backend, scenarios: 0, calls: 0, crashCalls: 0, crashes: 0, crashesByKind: {}, hangCalls: 0, hangs: 0, wrongRejections: 0, wrongResults: 0, reRuns: 0,
    losses: 0, maps: 0, mapsRejected: 0, lateChunks: 0, violations: {}, recoveryMs: [], replacedExpected: 0, replacedSeen: 0, rssBefore: rss(), rssAfter: 0, elapsedMs: 0,
    reachedTarget: false, failed: [], firstSeed: seedFrom, lastSeed: seedFrom,
  };
  const started = Date.now();
  const scenarios = rotation(backend);
  for (let i = 0; totals.crashes < target && Date.now() - started < maxMs; i++) {
    const options: ScenarioOptions = { ...scenarios[i % scenarios.length]!, seed: seedFrom + i };
    const verdict = await runScenario(options);
    const { figures } = verdict;
    totals.scenarios++;
    totals.lastSeed = options.seed;
    totals.calls += figures.calls;
    totals.crashCalls += figures.crashCalls;
    totals.crashes += figures.crashes;
    totals.replacedExpected += figures.replacedExpected;
    totals.replacedSeen += figures.replacedSeen;
    for (const [kind, count] of Object.entries(figures.crashesByKind) as [CrashKind, number][]) totals.crashesByKind[kind] = (totals.crashesByKind[kind] ?? 0) + count;
    totals.hangCalls += figures.hangCalls;
    totals.hangs += figures.hangs;
    totals.wrongRejections += figures.wrongRejections;
    totals.wrongResults += figures.wrongResults;
    totals.reRuns += figures.reRuns;
    totals.losses += figures.losses;
    totals.maps += figures.maps;
    totals.mapsRejected += figures.mapsRejected;
    totals.lateChunks += figures.lateChunks;
    totals.recoveryMs.push(...figures.recoveryMs);
    for (const [category, count] of Object.entries(tally(verdict.violations)) as [Category, number][]) {
      totals.violations[category] = (totals.violations[category] ?? 0) + count;
    }
    if (verdict.violations.length > 0) totals.failed.push(verdict);
    console.log(`${backend} #${totals.scenarios} ${describeScenario(options)}: ${figures.crashes} crashes (total ${totals.crashes}/${target}), ` +
      `${verdict.violations.length} violation(s), ${figures.elapsedMs} ms`);
  }
  totals.reachedTarget = totals.crashes >= target;
  totals.elapsedMs = Date.now() - started;
  totals.rssAfter = rss();
  return totals;
}

function quantile(sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function ms(value: number | undefined): string {
  return value === undefined ? 'n/a' : `${Math.round(value)}`;
}

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

function otherViolations(totals: Totals): string {
  const counted = new Set<Category>(['hang', 'wrong-rejection', 'wrong-result', 're-run', 'loss']);
  const others = (Object.entries(totals.violations) as [Category, number][]).filter(([category]) => !counted.has(category));
  return others.length === 0 ? '0' : others.map(([category, count]) => `${category}: ${count}`).join(', ');
}

function gitCommit(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' }).trim() !== '';
    return `${commit}${dirty ? ' (with uncommitted changes)' : ''}`;
  } catch {
    return 'unknown';
  }
}

function render(all: Totals[]): string {
  const column = (pick: (totals: Totals) => string): string => all.map(pick).join(' | ');
  const kinds = (totals: Totals): string => (['exit', 'kill', 'uncaught', 'oom'] as const)
    .map((kind) => `${totals.crashesByKind[kind] ?? 0}`).join(' / ');
  const recovery = (totals: Totals): string => {
    const sorted = [...totals.recoveryMs].sort((a, b) => a - b);
    return `${ms(quantile(sorted, 0.5))} / ${ms(quantile(sorted, 0.95))} / ${ms(sorted.at(-1))} (${sorted.length} crashes)`;
  };
  const rows: [string, (totals: Totals) => string][] = [
    ['scenarios (seeds)', (t) => `${t.scenarios} (${t.firstSeed}-${t.lastSeed})`],
    ['calls', (t) => `${t.calls}`],
    ['crashes injected (worker deaths)', (t) => `${t.crashes}${t.reachedTarget ? '' : ` (target ${target} not reached in ${args['max-minutes']} min)`}`],
    ['crashes by kind (exit / kill / uncaught / oom)', kinds],
    ['hanging calls injected (time limits)', (t) => `${t.hangCalls}`],
    ['hangs (calls not settled by the deadline)', (t) => `${t.hangs}`],
    ['wrong rejections', (t) => `${t.wrongRejections}`],
    ['wrong results', (t) => `${t.wrongResults}`],
    ['re-runs (runs beyond the contract)', (t) => `${t.reRuns}`],
    ['losses (innocent calls never run)', (t) => `${t.losses}`],
    ['maps (rejected; chunks started after the rejection)', (t) => `${t.maps} (${t.mapsRejected}; ${t.lateChunks})`],
    ['other violations', otherViolations],
    ['recovery ms, median / p95 / max', recovery],
    ['parent RSS before / after (MB)', (t) => `${mb(t.rssBefore)} / ${mb(t.rssAfter)}`],
    ['run time', (t) => `${(t.elapsedMs / 1000).toFixed(0)} s`],
  ];
  const lines = [
    '# Reliability: the fault soak',
    '',
    `Generated by \`npm run soak\` (\`test/faults/soak.ts\`); do not edit by hand. Run of ${new Date().toISOString()} on Node ${process.version},`,
    `${os.availableParallelism()} CPUs (${os.cpus()[0]?.model.trim() ?? 'unknown'}), commit ${gitCommit()}.`,
    '',
    'Each scenario starts a pool of 2 workers and sends it calls whose seeded plans say what they do: most return',
    'after 0-5 ms (synchronously or not), some crash their worker (`process.exit(n)`, SIGKILL of its own process',
    'on the process backend, an uncaught asynchronous throw, running out of a small heap), some loop until their time',
    'limit. Every call counts its runs in shared memory, so a call run twice is seen even when its worker died right',
    'after. Scenarios rotate between single calls (plain, so batched; or with time limits, so not), retries, and',
    '`map` with chunks; the contract each is judged by is written at the top of `test/faults/injector.ts`.',
    'Recovery is the time from a crash (the crashing call\'s own clock) to the first result of its slot\'s',
    'replacement worker (crashes after which that slot got no more work are not counted).',
    '',
    `| | ${all.map((totals) => totals.backend).join(' | ')} |`,
    `|---|${all.map(() => '---').join('|')}|`,
    ...rows.map(([label, pick]) => `| ${label} | ${column(pick)} |`),
    '',
    '## Violations',
    '',
  ];
  for (const totals of all) {
    lines.push(`### ${totals.backend}`, '');
    if (totals.failed.length === 0) {
      lines.push('None.', '');
      continue;
    }
    lines.push(`${totals.failed.length} of ${totals.scenarios} scenarios had violations; the first ones:`, '', '```');
    for (const verdict of totals.failed.slice(0, 5)) lines.push(report(verdict, 8));
    lines.push('```', '');
  }
  return lines.join('\n');
}

const all: Totals[] = [];
for (const [index, backend] of backends.entries()) all.push(await soak(backend, baseSeed + index * 100_000));
writeFileSync(args.out, render(all));
console.log(`wrote ${args.out}`);
