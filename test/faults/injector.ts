// The seeded fault injector shared by the CI fault suite (faults.test.ts) and the soak (soak.ts): it runs a
// pool through a scenario of calls, some of which crash their worker or hang, and judges the outcome
// (verdict.ts) against the pool's crash-accounting contract, returning figures and a list of violations
// (never throwing for what the pool does wrong).
//
// The contract, as judged here (each call counts its own runs in shared memory, so re-runs are seen even in
// a worker that died right after):
// - Every call settles, once, before the scenario's deadline (a Promise settles at most once, so what can go
//   wrong is a call that never settles: a hang).
// - An innocent call (it returns) is fulfilled with its own value and ran exactly once: a call that had
//   finished is never run again, and a call that had not started when its worker died goes to another worker
//   without counting as a try and without being blamed.
// - A crashing call (it exits, is SIGKILLed, throws asynchronously or runs out of memory on each of its first
//   k runs) is the one rejected with ERR_MP_WORKER_CRASHED, after 1 + retries runs; when k <= retries it is
//   fulfilled instead, after exactly k + 1 runs. With retries 0: exactly one run.
// - A hanging call with a time limit is rejected with ERR_MP_TASK_TIMEOUT, not as a crash, ran once, and is
//   never retried; a cooperative one keeps its worker, a stubborn one costs its worker.
// - map (a chunk is one task; chunks hold `chunksize` items in input order):
//   * A chunk whose crash retries cannot absorb fails the whole map: the map rejects with the code of a
//     failed chunk (ERR_MP_WORKER_CRASHED, or ERR_MP_TASK_TIMEOUT for a hang). A chunk that crashed is rerun
//     whole, so its items before the crashing one may run once per attempt (at most 1 + retries); no other
//     item runs twice, and with retries 0 none does.
//   * A fulfilled map has every value right, and every item ran (items of crash-free chunks exactly once).
//   * Once the map has rejected, chunks that had not started must not start: the pool drops them, from its
//     queue and from the workers' rings. "Not started" is judged from the run counts copied when the
//     rejection arrived; a chunk whose items all had zero runs then and that ran later started after the
//     rejection. One such chunk per surviving worker may be a race (the worker took it in the instant the
//     pool decided, before its first item counted), so up to workers - 1 are let through. A chunk of a
//     rejected map that is still running is still held to its time limit (it must not keep its worker).
// - Afterwards the pool again has its configured number of workers, all ready; stats().replaced equals the
//   worker deaths the plans caused (a crash run each, and each stubborn hang); after terminate() no worker
//   process and no shared-memory segment created by this process or its workers is left.
import { existsSync, readFileSync } from 'node:fs';
import { Pool, RawArray, listSegments, taskRef, type BackendName, type PoolOptions } from '../../src/index.js';
import { always, markSlots, type Answer, type CrashKind, type Plan } from '../fixtures/fault-tasks.js';
import { fixture } from '../helpers/spawn.js';
import {
  isAnswerOf, isCrash, judgeCall, judgeMap, settlementOf, type Category, type CrashPlan, type Figures, type MapRecord, type Settlement,
  type Verdict, type Violation,
} from './verdict.js';

export const faultTasksUrl = new URL(`file://${fixture('fault-tasks.js')}`);
/** When a scenario sets time limits: a hanging call's, and every other call's (far above its 0-5 ms). */
const hangTimeoutMs = 400;
const callTimeoutMs = 10_000;
/** A map holding a hanging item gets this time limit per chunk (an innocent chunk runs for at most ~30 ms). */
const hangingMapTimeoutMs = 1000;
const abortGraceMs = 300;
const exitCodes = [0, 1, 2, 3, 7, 42, 99, 127];

export interface ScenarioOptions {
  backend: BackendName;
  /** `apply`: single calls in waves; `map`: maps of items (with a few single calls alongside). */
  mode: 'apply' | 'map';
  /** Every call has a time limit: none is batched (the pool batches only plain calls), and hangs can be injected. */
  timeouts: boolean;
  retries: number;
  /** Calls (map items count one each) to submit. */
  calls: number;
  /** Share of single calls that crash (apply mode; in map mode each map gets 0-2 crashing items). */
  faultRate: number;
  /** Share of single calls that hang until their time limit (only with `timeouts`; a map holds one with 10 times this chance). */
  hangRate: number;
  /** Crash kinds to draw from; `kill` is dropped on the thread backend, `oom` needs `smallHeap`. */
  kinds: readonly CrashKind[];
  /** Workers with small heaps, so that `oom` comes quickly. */
  smallHeap: boolean;
  seed: number;
  /** @default 2 */
  workers?: number;
  /** Deadline for every call to settle, from the first submission. @default 30000 */
  settleMs?: number;
}

/** mulberry32: small, fast and good enough to make a scenario reproducible from its seed. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function describeScenario(options: ScenarioOptions): string {
  return `${options.backend} ${options.mode} ${options.timeouts ? 'with time limits (not batched)' : 'plain (batched)'} ` +
    `retries ${options.retries}, ${options.calls} calls, kinds ${options.kinds.join('/')}, seed ${options.seed}`;
}

interface ResultEvent {
  at: number;
  index: number;
  who: number;
}

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}

/** Innocent calls: mostly well under a millisecond (so the pool measures the function as short and batches it), some up to 5 ms. */
function okPlan(rand: () => number): Plan {
  const ms = rand() < 0.75 ? rand() * 0.4 : rand() * 5;
  return { kind: 'ok', ms, async: rand() < 0.35 };
}

function crashPlan(rand: () => number, options: ScenarioOptions, kinds: readonly CrashKind[]): Plan {
  const kind = pick(rand, kinds);
  // With retries, half the crashing calls are flaky (crash k <= retries times, then succeed), half always crash.
  const crashRuns = options.retries === 0 || rand() < 0.5 ? always : 1 + Math.floor(rand() * options.retries);
  const ms = rand() < 0.4 ? 0 : rand() * 3;
  return { kind, crashRuns, ms, async: rand() < 0.5, exitCode: pick(rand, exitCodes) };
}

function settledWithin(promises: readonly Promise<unknown>[], ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    Promise.allSettled(promises).then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, ms)))),
  ]).finally(() => clearTimeout(timer));
}

/** Polls `check` every 10 ms; resolves whether it turned true within `ms`. */
async function poll(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Whether `pid` is a live (not zombie) child of this process. */
function liveChild(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  try {
    const fields = readFileSync(stat, 'utf8');
    const [state, ppid] = fields.slice(fields.lastIndexOf(')') + 2).split(' ');
    return state !== 'Z' && Number(ppid) === process.pid;
  } catch {
    return false;
  }
}

/** psm_* segments in /dev/shm created by one of `owners` (a process's owner record names it). */
function segmentsOf(owners: ReadonlySet<number>): Map<string, number> {
  const found = new Map<string, number>();
  for (const segment of listSegments()) {
    if (segment.dir === '/dev/shm' && segment.name.startsWith('psm_') && segment.size !== undefined && segment.pid !== undefined && owners.has(segment.pid)) {
      found.set(segment.name, segment.pid);
    }
  }
  return found;
}

/** One scenario: a fresh pool, its calls, the verdict. Resolves even when the pool misbehaves. */
export async function runScenario(options: ScenarioOptions): Promise<Verdict> {
  const started = Date.now();
  const rand = random(options.seed);
  const workers = options.workers ?? 2;
  const settleMs = options.settleMs ?? 30_000;
  const kinds = options.kinds.filter((kind) => (kind !== 'kill' || options.backend === 'process') && (kind !== 'oom' || options.smallHeap));
  if (kinds.length === 0) throw new Error(`no crash kind of ${options.kinds.join(', ')} applies to this scenario`);
  const name = describeScenario(options);
  const violations: Violation[] = [];
  const violate = (category: Category, detail: string): void => void violations.push({ category, detail });
  const figures: Figures = {
    calls: 0, crashCalls: 0, crashes: 0, crashesByKind: {}, hangCalls: 0, hangs: 0, wrongRejections: 0, wrongResults: 0, reRuns: 0,
    losses: 0, maps: 0, mapsRejected: 0, lateChunks: 0, recoveryMs: [], replacedExpected: 0, replacedSeen: 0, elapsedMs: 0,
  };

  const segmentsBefore = new Set(segmentsOf(new Set([process.pid])).keys());
  const capacity = options.calls + 64;
  const counts = new RawArray('i', capacity);
  const marks = new RawArray('d', capacity * markSlots);
  const runs = counts.view;
  const poolOptions: PoolOptions = {
    workers, backend: options.backend, retries: options.retries, abortGraceMs,
    initializer: taskRef(faultTasksUrl, 'attachCounters'), initargs: [counts, marks],
    ...(options.smallHeap ? { resourceLimits: { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 } } : {}),
  };
  const pool = new Pool(poolOptions);
  try {
    const run = taskRef<(id: number, plan: Plan) => Answer>(faultTasksUrl, 'run');
    const runItem = taskRef<(item: { id: number; plan: Plan }) => Answer>(faultTasksUrl, 'runItem');

    const plans: (Plan | undefined)[] = [];
    const settlements: (Settlement | undefined)[] = [];
    const settleCounts: number[] = [];
    const inMap = new Set<number>();
    const maps: MapRecord[] = [];
    const pending: Promise<unknown>[] = [];
    const results: ResultEvent[] = [];
    const pids = new Set<number>();
    const who = (answer: Answer): number => (options.backend === 'process' ? answer[2] : answer[3]);
    const noteAnswer = (answer: Answer, at: number): void => {
      results.push({ at, index: answer[1], who: who(answer) });
      if (options.backend === 'process' && answer[2] > 0) pids.add(answer[2]);
    };

    const track = (promise: Promise<unknown>, settle: (settlement: Settlement) => void): void => {
      pending.push(promise.then((value) => settle(settlementOf(true, value)), (error: unknown) => settle(settlementOf(false, error))));
    };
    const call = (id: number, plan: Plan): void => {
      plans[id] = plan;
      settleCounts[id] = 0;
      const limit = !options.timeouts ? undefined : plan.kind === 'hang' ? hangTimeoutMs : callTimeoutMs;
      track(pool.apply(run, [id, plan], limit === undefined ? {} : { timeout: limit }), (settlement) => {
        settleCounts[id]!++;
        settlements[id] ??= settlement;
        if (settlement.ok && isAnswerOf(id, settlement.value)) noteAnswer(settlement.value, settlement.at);
      });
    };

    const deadline = started + settleMs;
    let nextId = 0;
    const submission = (async () => {
      // Warm-up: quick innocent calls, so that the pool measures the function as short (and batches plain calls).
      const warm = Math.min(24, options.calls);
      for (; nextId < warm; nextId++) call(nextId, { kind: 'ok', ms: 0, async: false });
      if (!(await settledWithin(pending, deadline - Date.now()))) return;
      while (nextId < options.calls) {
        if (options.mode === 'apply') {
          const wave = 1 + Math.floor(rand() * 12);
          for (let k = 0; k < wave && nextId < options.calls; k++) {
            const draw = rand();
            const plan = options.timeouts && draw < options.hangRate ? { kind: 'hang' as const, cooperative: rand() < 0.5 }
              : draw < options.hangRate + options.faultRate ? crashPlan(rand, options, kinds) : okPlan(rand);
            call(nextId++, plan);
          }
        } else {
          const group = rand() < 0.6 ? 1 : 2;
          const waiting: Promise<unknown>[] = [];
          for (let g = 0; g < group && nextId < options.calls; g++) {
            const size = Math.min(options.calls - nextId, 6 + Math.floor(rand() * 25));
            const chunksize = 1 + Math.floor(rand() * 6);
            const ids = Array.from({ length: size }, (_, i) => nextId + i);
            nextId += size;
            for (const id of ids) plans[id] = okPlan(rand);
            const faults = rand() < 0.25 ? 0 : rand() < 0.8 ? 1 : 2;
            for (let f = 0; f < faults && size > 1; f++) plans[pick(rand, ids)] = crashPlan(rand, options, kinds);
            let hanging = false;
            if (options.timeouts && rand() < options.hangRate * 10) {
              const at = pick(rand, ids);
              if (plans[at]!.kind === 'ok') {
                plans[at] = { kind: 'hang', cooperative: rand() < 0.5 };
                hanging = true;
              }
            }
            for (const id of ids) {
              inMap.add(id);
              settleCounts[id] = 0;
            }
            const record: MapRecord = { ids, chunksize, settlement: undefined, atRejection: undefined };
            maps.push(record);
            const timeout = !options.timeouts ? undefined : hanging ? hangingMapTimeoutMs : callTimeoutMs;
            const promise = pool.map(runItem, ids.map((id) => ({ id, plan: plans[id]! })), timeout === undefined ? { chunksize } : { chunksize, timeout });
            // Copied synchronously in the rejection's own reaction: what had run when the map was rejected.
            const tracked = promise.then((values) => {
              record.settlement ??= settlementOf(true, values);
              for (const value of values) if (Array.isArray(value)) noteAnswer(value, record.settlement.at);
            }, (error: unknown) => {
              record.atRejection ??= Int32Array.from(ids, (id) => Atomics.load(runs, id));
              record.settlement ??= settlementOf(false, error);
            });
            pending.push(tracked);
            waiting.push(tracked);
          }
          const side = Math.floor(rand() * 5);
          for (let s = 0; s < side && nextId < options.calls; s++) {
            const plan = okPlan(rand);
            const id = nextId++;
            call(id, plan);
            waiting.push(pending.at(-1)!);
          }
          if (!(await settledWithin(waiting, deadline - Date.now()))) return;
          continue;
        }
        const gap = rand();
        if (gap < 0.3) continue;
        if (gap < 0.55) await new Promise((resolve) => setImmediate(resolve));
        else if (gap < 0.85) await new Promise((resolve) => setTimeout(resolve, rand() * 5));
        else if (!(await settledWithin(pending, deadline - Date.now()))) return;
      }
    })();
    await submission;
    const allSettled = await settledWithin(pending, deadline - Date.now());
    // What settles after the deadline (terminate() rejects what is left) counts as never settled: a hang.
    const inTime = (settlement: Settlement | undefined): Settlement | undefined => (settlement !== undefined && settlement.at <= deadline ? settlement : undefined);

    // Let the pool go quiet (dropped or requeued work that still runs would count late), then check its size.
    await poll(() => {
      const stats = pool.stats();
      return stats.inflight === 0 && stats.queued === 0;
    }, allSettled ? 10_000 : 1000);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const final = Int32Array.from(runs);

    // Judge every call.
    let expectedDeaths = 0;
    const crashEvents: { at: number; index: number; who: number; kind: CrashKind }[] = [];
    const noteCrash = (id: number, plan: CrashPlan, ran: number): void => {
      const deaths = Math.min(ran, plan.crashRuns);
      expectedDeaths += deaths;
      figures.crashes += deaths;
      figures.crashesByKind[plan.kind] = (figures.crashesByKind[plan.kind] ?? 0) + deaths;
      const at = id * markSlots;
      const markedAt = marks.view[at]!;
      if (deaths > 0 && markedAt > 0) {
        const pid = marks.view[at + 2]!;
        if (options.backend === 'process' && pid > 0) pids.add(pid);
        crashEvents.push({ at: markedAt, index: marks.view[at + 1]!, who: options.backend === 'process' ? pid : marks.view[at + 3]!, kind: plan.kind });
      }
    };
    for (let id = 0; id < nextId; id++) {
      const plan = plans[id];
      if (plan === undefined) continue;
      figures.calls++;
      const ran = final[id]!;
      if (isCrash(plan)) {
        figures.crashCalls++;
        noteCrash(id, plan, ran);
      } else if (plan.kind === 'hang') {
        figures.hangCalls++;
        if (!plan.cooperative && ran > 0) expectedDeaths++;
      }
      if (!inMap.has(id)) judgeCall(id, plan, ran, inTime(settlements[id]), settleCounts[id]!, options.retries, figures, violate);
    }
    for (const record of maps) judgeMap({ ...record, settlement: inTime(record.settlement) }, plans, final, options, workers, figures, violate);
    if (nextId < options.calls) violate('hang', `the deadline (${settleMs} ms) passed with ${nextId} of ${options.calls} calls submitted`);

    // Recovery: from each crash to the first result of the replacement worker in the same slot.
    for (const crash of crashEvents) {
      if (crash.kind === 'oom') continue;
      let first: number | undefined;
      for (const result of results) {
        if (result.index === crash.index && result.who !== crash.who && result.at >= crash.at && (first === undefined || result.at < first)) first = result.at;
      }
      if (first !== undefined) figures.recoveryMs.push(first - crash.at);
    }

    // The pool's size and its count of replaced workers, once the deaths have been handled.
    figures.replacedExpected = expectedDeaths;
    const restored = (): boolean => {
      const stats = pool.stats();
      return stats.replaced === expectedDeaths && stats.workers.length === workers && stats.workers.every((worker) => worker.state === 'ready');
    };
    if (!(await poll(restored, 10_000))) {
      const stats = pool.stats();
      if (stats.replaced !== expectedDeaths) violate('replaced', `stats().replaced is ${stats.replaced}; the plans caused ${expectedDeaths} worker deaths`);
      if (stats.workers.length !== workers || !stats.workers.every((worker) => worker.state === 'ready')) {
        violate('pool-size', `after the calls, workers are [${stats.workers.map((worker) => worker.state).join(', ')}], expected ${workers} ready`);
      }
    }
    const last = pool.stats();
    figures.replacedSeen = last.replaced;
    for (const worker of last.workers) if (options.backend === 'process' && worker.pid > 0) pids.add(worker.pid);
    const terminated = await settledWithin([pool.terminate()], 15_000);
    if (!terminated) {
      figures.hangs++;
      violate('terminate', 'terminate() did not finish within 15 s');
    }
    counts.close();
    marks.close();
    if (options.backend === 'process') {
      if (!(await poll(() => [...pids].every((pid) => !liveChild(pid)), 5000))) {
        violate('leak', `worker processes still running after terminate(): ${[...pids].filter(liveChild).join(', ')}`);
      }
    } else if (!pool.stats().workers.every((worker) => worker.state === 'gone')) {
      violate('leak', `worker threads not gone after terminate(): [${pool.stats().workers.map((worker) => worker.state).join(', ')}]`);
    }
    const owners = new Set([process.pid, ...pids]);
    const left = [...segmentsOf(owners)].filter(([segment]) => !segmentsBefore.has(segment));
    if (left.length > 0) violate('leak', `shared-memory segments left after terminate(): ${left.map(([segment, pid]) => `${segment} (pid ${pid})`).join(', ')}`);
    figures.elapsedMs = Date.now() - started;
    return { name, options, figures, violations };
  } catch (error) {
    // A fault of the harness itself: leave no pool or segment behind, then report it.
    await settledWithin([pool.terminate()], 15_000);
    counts.close();
    marks.close();
    throw error;
  }
}
