// How the fault injector judges what a pool did: the figures and violations of a scenario, single calls
// and maps measured against the contract written at the top of injector.ts, and their report.
import { always, valueOf, type Answer, type CrashKind, type Plan } from '../fixtures/fault-tasks.js';
import type { ScenarioOptions } from './injector.js';

export const crashCode = 'ERR_MP_WORKER_CRASHED';
export const timeoutCode = 'ERR_MP_TASK_TIMEOUT';

export type Category =
  | 'hang' | 'wrong-rejection' | 'wrong-result' | 're-run' | 'loss' | 'retries' | 'crash-details'
  | 'after-rejection' | 'replaced' | 'pool-size' | 'terminate' | 'leak';

export interface Violation {
  category: Category;
  detail: string;
}

export interface Figures {
  calls: number;
  /** Calls planned to crash, and the worker deaths their runs caused (the crashes injected). */
  crashCalls: number;
  crashes: number;
  crashesByKind: Partial<Record<CrashKind, number>>;
  /** Calls planned to hang until their time limit. */
  hangCalls: number;
  /** Calls that did not settle by the deadline (plus pools whose terminate() did not finish). */
  hangs: number;
  wrongRejections: number;
  wrongResults: number;
  /** Runs beyond what the contract allows, summed. */
  reRuns: number;
  /** Calls whose work was lost: innocent calls that never ran. */
  losses: number;
  maps: number;
  mapsRejected: number;
  /** Chunks that had not started when their map rejected and ran afterwards (the racing ones let through included). */
  lateChunks: number;
  /** Per crash: ms from the crash to the first result of the replacement worker in the same slot. */
  recoveryMs: number[];
  replacedExpected: number;
  replacedSeen: number;
  elapsedMs: number;
}

export interface Verdict {
  name: string;
  options: ScenarioOptions;
  figures: Figures;
  violations: Violation[];
}

/** How one call (or one map) settled. */
export interface Settlement {
  ok: boolean;
  value: unknown;
  code: string | undefined;
  exitCode: number | null | undefined;
  signal: string | null | undefined;
  message: string;
  at: number;
}

export interface MapRecord {
  ids: number[];
  chunksize: number;
  settlement: Settlement | undefined;
  /** Run counts of `ids` copied when the rejection arrived. */
  atRejection: Int32Array | undefined;
}

export function settlementOf(ok: boolean, outcome: unknown): Settlement {
  if (ok) return { ok, value: outcome, code: undefined, exitCode: undefined, signal: undefined, message: '', at: Date.now() };
  const error = outcome as { code?: unknown; exitCode?: number | null; signal?: string | null; message?: unknown } | null;
  return {
    ok, value: undefined, code: typeof error?.code === 'string' ? error.code : undefined, exitCode: error?.exitCode, signal: error?.signal,
    message: typeof error?.message === 'string' ? error.message : String(outcome), at: Date.now(),
  };
}

function describeSettlement(settlement: Settlement): string {
  return settlement.ok ? `fulfilled with ${JSON.stringify(settlement.value)}` : `rejected with ${settlement.code ?? 'no code'} (${settlement.message.slice(0, 160)})`;
}

export function isAnswerOf(id: number, value: unknown): value is Answer {
  return Array.isArray(value) && value.length === 4 && value[0] === valueOf(id);
}

export function describePlan(plan: Plan): string {
  if (plan.kind === 'ok' || plan.kind === 'throw-later') return plan.kind;
  if (plan.kind === 'hang') return `hang (${plan.cooperative ? 'cooperative' : 'stubborn'})`;
  return `${plan.kind}${plan.kind === 'exit' ? ` ${plan.exitCode}` : ''}${plan.crashRuns === always ? '' : ` on its first ${plan.crashRuns} run(s)`}`;
}

export type CrashPlan = Extract<Plan, { crashRuns: number }>;

export function isCrash(plan: Plan): plan is CrashPlan {
  return plan.kind === 'exit' || plan.kind === 'kill' || plan.kind === 'uncaught' || plan.kind === 'oom';
}

/** Judges one single call (see the contract at the top of injector.ts). */
export function judgeCall(id: number, plan: Plan, ran: number, settlement: Settlement | undefined, settleCount: number, retries: number,
  figures: Figures, violate: (category: Category, detail: string) => void): void {
  const label = `call ${id} (${describePlan(plan)}, ran ${ran}x)`;
  if (settleCount > 1) violate('wrong-result', `${label} settled ${settleCount} times`);
  if (settlement === undefined) {
    figures.hangs++;
    violate('hang', `${label} did not settle within the scenario's deadline`);
    if (plan.kind === 'ok' && ran === 0) {
      figures.losses++;
      violate('loss', `${label} never ran`);
    }
    return;
  }
  if (plan.kind === 'ok') {
    if (!settlement.ok) {
      figures.wrongRejections++;
      violate('wrong-rejection', `innocent ${label} ${describeSettlement(settlement)}`);
    } else if (!isAnswerOf(id, settlement.value)) {
      figures.wrongResults++;
      violate('wrong-result', `${label} ${describeSettlement(settlement)}, expected value ${valueOf(id)}`);
    }
    if (ran > 1) {
      figures.reRuns += ran - 1;
      violate('re-run', `innocent ${label} ran ${ran} times`);
    } else if (ran === 0) {
      figures.losses++;
      violate('loss', `innocent ${label} never ran but ${describeSettlement(settlement)}`);
    }
  } else if (plan.kind === 'hang') {
    if (settlement.ok || settlement.code !== timeoutCode) {
      if (settlement.ok) figures.wrongResults++;
      else figures.wrongRejections++;
      violate(settlement.ok ? 'wrong-result' : 'wrong-rejection', `hanging ${label} ${describeSettlement(settlement)}, expected ${timeoutCode}`);
    }
    if (ran !== 1) {
      if (ran > 1) figures.reRuns += ran - 1;
      violate('re-run', `hanging ${label} ran ${ran} times, expected once (a timed-out call is not retried)`);
    }
  } else if (isCrash(plan)) {
    const saved = plan.crashRuns <= retries;
    const expectedRuns = saved ? plan.crashRuns + 1 : retries + 1;
    if (saved) {
      if (!settlement.ok || !isAnswerOf(id, settlement.value)) {
        figures.wrongRejections++;
        violate('retries', `crashing ${label} ${describeSettlement(settlement)}; with retries ${retries} it should have succeeded on run ${expectedRuns}`);
      }
    } else if (settlement.ok || settlement.code !== crashCode) {
      if (settlement.ok) figures.wrongResults++;
      else figures.wrongRejections++;
      violate(settlement.ok ? 'wrong-result' : 'wrong-rejection', `crashing ${label} ${describeSettlement(settlement)}, expected ${crashCode}`);
    } else if (plan.kind === 'exit' && settlement.exitCode !== plan.exitCode) {
      violate('crash-details', `${label}: exitCode ${String(settlement.exitCode)}, expected ${plan.exitCode}`);
    } else if (plan.kind === 'kill' && settlement.signal !== 'SIGKILL') {
      violate('crash-details', `${label}: signal ${String(settlement.signal)}, expected SIGKILL`);
    }
    if (ran > expectedRuns) {
      figures.reRuns += ran - expectedRuns;
      violate('re-run', `crashing ${label}: expected ${expectedRuns} run(s) with retries ${retries}`);
    } else if (ran === 0) {
      violate('wrong-rejection', `crashing ${label} was blamed without ever running: ${describeSettlement(settlement)}`);
    } else if (ran < expectedRuns && !settlement.ok && settlement.code === crashCode) {
      violate('retries', `crashing ${label} was given up after ${ran} run(s); retries ${retries} allow ${expectedRuns}`);
    }
  }
}

/** What running one chunk whole, attempt after attempt, does to each item's run count (the contract in injector.ts). */
function simulateChunk(ids: readonly number[], plans: readonly (Plan | undefined)[], retries: number):
{ runs: Map<number, number>; failure: string | undefined } {
  const runs = new Map<number, number>(ids.map((id) => [id, 0]));
  for (let attempt = 0; attempt <= retries; attempt++) {
    let crashed = false;
    for (const id of ids) {
      const plan = plans[id]!;
      const ran = runs.get(id)! + 1;
      runs.set(id, ran);
      if (plan.kind === 'hang') return { runs, failure: timeoutCode };
      if (isCrash(plan) && ran <= plan.crashRuns) {
        crashed = true;
        break;
      }
    }
    if (!crashed) return { runs, failure: undefined };
  }
  return { runs, failure: crashCode };
}

export function judgeMap(record: MapRecord, plans: readonly (Plan | undefined)[], final: Int32Array, options: ScenarioOptions, workers: number,
  figures: Figures, violate: (category: Category, detail: string) => void): void {
  const { ids, chunksize, settlement } = record;
  const first = ids[0]!;
  const label = `map of calls ${first}-${ids.at(-1)!} (chunks of ${chunksize}; faults ${ids.filter((id) => plans[id]!.kind !== 'ok')
    .map((id) => `${id}: ${describePlan(plans[id]!)}`).join(', ') || 'none'})`;
  const chunks: number[][] = [];
  for (let i = 0; i < ids.length; i += chunksize) chunks.push(ids.slice(i, i + chunksize));
  const simulated = chunks.map((chunk) => simulateChunk(chunk, plans, options.retries));
  const failures = new Set(simulated.flatMap((chunk) => (chunk.failure === undefined ? [] : [chunk.failure])));
  const runsOf = (id: number): number => final[id]!;
  figures.maps++;
  if (settlement?.ok === false) figures.mapsRejected++;
  if (settlement === undefined) {
    figures.hangs++;
    violate('hang', `${label} did not settle within the scenario's deadline`);
    return;
  }
  if (failures.size === 0) {
    if (!settlement.ok) {
      figures.wrongRejections++;
      violate(ids.some((id) => isCrash(plans[id]!)) ? 'retries' : 'wrong-rejection', `${label} ${describeSettlement(settlement)}; it should have been fulfilled`);
    } else {
      const values = settlement.value as unknown[];
      const wrong = ids.filter((id, i) => !isAnswerOf(id, values[i]));
      if (wrong.length > 0) {
        figures.wrongResults += wrong.length;
        violate('wrong-result', `${label}: wrong values for calls ${wrong.join(', ')}`);
      }
    }
  } else if (settlement.ok || settlement.code === undefined || !failures.has(settlement.code)) {
    if (settlement.ok) figures.wrongResults++;
    else figures.wrongRejections++;
    violate(settlement.ok ? 'wrong-result' : 'wrong-rejection', `${label} ${describeSettlement(settlement)}, expected a rejection with ${[...failures].join(' or ')}`);
  }
  // Run counts: never more than running each chunk whole, attempt after attempt, gives; a fulfilled map ran everything.
  chunks.forEach((chunk, c) => {
    for (const id of chunk) {
      const ran = runsOf(id);
      const most = simulated[c]!.runs.get(id)!;
      const plan = plans[id]!;
      if (ran > most) {
        figures.reRuns += ran - most;
        violate('re-run', `${label}: call ${id} (${describePlan(plan)}) ran ${ran} times, at most ${most} expected`);
      } else if (settlement.ok && ran < (isCrash(plan) ? plan.crashRuns + 1 : 1)) {
        figures.losses++;
        violate('loss', `${label} was fulfilled but call ${id} (${describePlan(plan)}) ran ${ran} time(s)`);
      }
    }
  });
  // After a rejection, chunks that had not started must not start (one racing chunk per surviving worker let through).
  if (!settlement.ok && record.atRejection !== undefined) {
    const atRejection = record.atRejection;
    const late = chunks.filter((chunk) => chunk.every((id) => atRejection[id - first] === 0) && chunk.some((id) => runsOf(id) > 0));
    figures.lateChunks += late.length;
    if (late.length > workers - 1) {
      violate('after-rejection', `${label}: ${late.length} chunk(s) that had not started when the map rejected ran afterwards ` +
        `(first calls ${late.map((chunk) => chunk[0]).join(', ')}); at most ${workers - 1} may race the rejection`);
    }
  }
}

/** Counts per category, for messages and the soak's table. */
export function tally(violations: readonly Violation[]): Partial<Record<Category, number>> {
  const counts: Partial<Record<Category, number>> = {};
  for (const violation of violations) counts[violation.category] = (counts[violation.category] ?? 0) + 1;
  return counts;
}

/** A readable account of a verdict's violations (the first `limit` of them). */
export function report(verdict: Verdict, limit = 25): string {
  const { figures } = verdict;
  const lines = [
    `${verdict.name}: ${verdict.violations.length} violation(s) ${JSON.stringify(tally(verdict.violations))}`,
    `  calls ${figures.calls}, crash calls ${figures.crashCalls}, crashes ${figures.crashes} ${JSON.stringify(figures.crashesByKind)}, ` +
    `hang calls ${figures.hangCalls}, maps ${figures.maps} (${figures.mapsRejected} rejected, ${figures.lateChunks} late chunks), ` +
    `replaced ${figures.replacedSeen} (expected ${figures.replacedExpected}), ${figures.elapsedMs} ms`,
    ...verdict.violations.slice(0, limit).map((violation) => `  [${violation.category}] ${violation.detail}`),
  ];
  if (verdict.violations.length > limit) lines.push(`  ... and ${verdict.violations.length - limit} more`);
  return lines.join('\n');
}
