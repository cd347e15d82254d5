// What the pool does when a task must stop or a worker is gone: aborts, timeouts, crashes, start-up
// failures; which task is blamed, which go back to the queue, and when a worker is replaced.
import type { BackendName, ExitInfo } from '../backends/backend-worker.js';
import { now } from '../clock.js';
import { channels, type WorkerExitReason } from '../observe/channels.js';
import { AbortKind } from '../wire/channel.js';
import { decodeSync } from '../serialize/index.js';
import { RemoteStack, TaskTimeoutError, toTaskError, WorkerCrashedError } from './errors.js';
import type { Lifecycle } from './lifecycle.js';
import { failTask, type Task } from './task.js';
import type { TaskQueue } from './task-queue.js';
import type { WorkerSlot } from './worker-slot.js';

const startFailureLimit = 3;
const { taskRetried, workerCrashed, workerExited } = channels;

/** A worker that died on its own: a crash of a task, or of code a task left running (a timer) after it returned. */
export interface CrashReport {
  /** The worker's slot index. */
  worker: number;
  pid: number;
  threadId: number;
  exitCode: number | null;
  signal: string | null;
  /** The uncaught error it died of, when it died of one. */
  error: unknown;
  /** The task blamed: the one it had started and not answered; undefined when it died between tasks. */
  task: { name: string; url: string } | undefined;
  /** `Date.now()` when the pool saw it. */
  at: number;
}

export interface FaultOptions {
  backend: BackendName;
  /** How long a running task asked to stop may take to stop by itself before its worker is replaced. */
  abortGraceMs: number;
  /** Starts a worker in slot `index` (a replacement). */
  spawn: (index: number) => void;
  /** Reads the results a worker wrote before it went. */
  drain: (slot: WorkerSlot) => void;
  /** A worker died on its own (not stopped by the pool): what is known of it. */
  report: (crash: CrashReport) => void;
  scheduleFlush: () => void;
  /** What to blame when workers keep dying before they are ready (the options that reach Node first). */
  suspects: string;
  /** What Node says of the workers' flags when it refuses them (undefined: it accepts them). */
  checkFlags: () => Promise<string | undefined>;
  /** The pool's id on the diagnostics channels. */
  poolId: number;
}

export class Faults {
  readonly #slots: readonly WorkerSlot[];
  readonly #queue: TaskQueue<Task>;
  readonly #lifecycle: Lifecycle;
  readonly #options: FaultOptions;
  #startFailures = 0;
  /** Workers kept dying at start-up: the pool starts no more and breaks once it knows what Node says of the flags. */
  #givingUp = false;
  #replaced = 0;

  constructor(slots: readonly WorkerSlot[], queue: TaskQueue<Task>, lifecycle: Lifecycle, options: FaultOptions) {
    this.#slots = slots;
    this.#queue = queue;
    this.#lifecycle = lifecycle;
    this.#options = options;
  }

  /** Workers replaced after a crash, a timeout or an abort. */
  get replaced(): number {
    return this.#replaced;
  }

  /** A worker came up: start-up failures no longer count in a row. */
  started(): void {
    this.#startFailures = 0;
  }

  /** The caller's signal aborted `task`, queued or handed over. */
  abort(task: Task, reason: unknown): void {
    if (task.settled) return;
    const slot = task.slot;
    if (slot !== undefined && slot.state !== 'gone') {
      // Handed over: the worker skips it if it has not started it (the cancel word is checked after the
      // worker names the task it starts, so reading that name after the cancel tells which happened).
      const skipped = slot.channel.cancel(task.id);
      if (slot.running().id === task.id) {
        if (skipped) slot.channel.uncancel(task.id);
        this.#stop(slot, task, reason, AbortKind.Aborted);
        return;
      }
      if (!skipped) {
        // Every cancel word is taken: stopping the worker is the only way to keep it from starting the task.
        this.#kill(slot, task, reason);
        return;
      }
    }
    if (task.slot === undefined) this.#queue.remove(task);
    failTask(task, reason);
  }

  /** `task` ran past its time limit on `slot`. */
  expire(slot: WorkerSlot, task: Task): void {
    const grace = this.#options.abortGraceMs;
    const then = grace === 0 ? `worker ${slot.index} was stopped and replaced`
      : `it was asked to stop (worker ${slot.index} is replaced if it has not stopped within ${grace} ms)`;
    this.#stop(slot, task, new TaskTimeoutError(`Task \`${task.fnName.name}\` ran past its ${task.timeout} ms time limit; ${then}`), AbortKind.TimedOut);
  }

  /**
   * Stops the task `slot` runs: its caller rejects with `error` now; the task is asked to stop (its
   * `currentTask()` turns aborted) and given the grace period; if it still runs then, its worker is replaced.
   */
  #stop(slot: WorkerSlot, task: Task, error: unknown, kind: AbortKind): void {
    const grace = this.#options.abortGraceMs;
    if (grace === 0) {
      this.#kill(slot, task, error);
      return;
    }
    failTask(task, error);
    slot.channel.requestAbort(task.id, kind);
    setTimeout(() => {
      if (slot.state !== 'gone' && slot.running().id === task.id) this.#kill(slot, task, error);
    }, grace).unref();
  }

  /** Stops a worker to stop the task it runs (its caller rejects with `error`); the exit handler requeues the rest. */
  #kill(slot: WorkerSlot, task: Task, error: unknown): void {
    slot.killed = { taskId: task.id, error };
    failTask(task, error);
    slot.kill();
  }

  /**
   * A worker is gone. Exactly one task can be to blame: the one it had started and not answered (its
   * answers and the claim word outlive it). That task fails with the crash (or runs again while it has
   * retries); the tasks it never started go back to the queue as they were, without counting a try; those
   * it answered are settled already and are never run again.
   */
  onExit(slot: WorkerSlot, info: ExitInfo): void {
    const previous = slot.state;
    slot.stopParking();
    this.#options.drain(slot);
    const { started, unstarted } = slot.release();
    const killed = slot.killed;
    // Stopped by the pool: closing, retiring, a task's time limit or abort, terminate() or a broken pool. A
    // worker still `retiring` was not stopped yet (the pool stops it once it holds nothing): it died on its own.
    const deliberate = previous === 'stopping' || killed !== undefined || this.#lifecycle.stopped;
    const fault = faultError(slot);
    let blamed: Task | undefined;
    /** The task it ran and did not answer, whether it fails or runs again. */
    let ran: Task | undefined;
    const again: Task[] = [];
    for (const task of started) {
      if (task.settled) continue;
      ran ??= task;
      if (killed?.taskId === task.id) {
        failTask(task, killed.error);
      } else if (killed === undefined && task.retries > 0) {
        task.retries--;
        again.push(task);
        if (taskRetried.hasSubscribers) {
          taskRetried.publish({
            poolId: this.#options.poolId, taskId: task.id, workerId: slot.id, index: slot.index, name: task.fnName.name, url: task.fnName.url,
            retriesLeft: task.retries, at: Date.now(),
          });
        }
      } else {
        blamed ??= task;
        failTask(task, this.#crashError(slot, info, task, fault, killed));
      }
    }
    for (const task of unstarted) if (!task.settled) again.push(task);
    for (let i = again.length - 1; i >= 0; i--) this.#queue.unshift(again[i]!);
    const lifecycle = this.#lifecycle;
    if (!deliberate && workerCrashed.hasSubscribers) this.#publishCrash(slot, info, fault ?? info.error, ran);
    if (workerExited.hasSubscribers) this.#publishExit(slot, info, deliberate ? this.#exitReason(slot) : 'crashed');
    if (!deliberate) {
      this.#replaced++;
      this.#options.report({
        worker: slot.index, pid: slot.pid, threadId: slot.threadId, exitCode: info.code, signal: info.signal, error: fault ?? info.error,
        task: blamed === undefined ? undefined : { name: blamed.fnName.name, url: blamed.fnName.url }, at: Date.now(),
      });
    }
    if (killed !== undefined) this.#replaced++;
    if (previous === 'starting' && !deliberate && lifecycle.state === 'running' && ++this.#startFailures >= startFailureLimit && !this.#givingUp) {
      this.#givingUp = true;
      const cause = fault ?? info.error;
      const breakWith = (said: string | undefined): void => {
        // Closed with nothing left or terminated meanwhile: nobody is waiting for workers any more.
        if (lifecycle.state !== 'running' && lifecycle.state !== 'closing') return;
        lifecycle.break(new WorkerCrashedError(startupFailure(info, cause, this.#options.suspects, said), { exitCode: info.code, signal: info.signal, cause }));
      };
      // Only a refused flag is worth asking Node about (code 9); the answer comes within a few seconds at most.
      if (info.code === 9) this.#options.checkFlags().then(breakWith, () => breakWith(undefined));
      else breakWith(undefined);
    }
    if (!this.#givingUp && lifecycle.needsWorkers() && this.#slots[slot.index] === slot) this.#options.spawn(slot.index);
    lifecycle.checkJoined();
    this.#options.scheduleFlush();
  }

  #exitReason(slot: WorkerSlot): WorkerExitReason {
    if (slot.killed !== undefined) return 'killed';
    if (this.#lifecycle.stopped) return 'terminated';
    return slot.retired ? 'retired' : 'closed';
  }

  #publishExit(slot: WorkerSlot, info: ExitInfo, reason: WorkerExitReason): void {
    workerExited.publish({
      poolId: this.#options.poolId, workerId: slot.id, index: slot.index, pid: slot.pid, threadId: slot.threadId, exitCode: info.code,
      signal: info.signal, reason, exitMs: slot.stopAskedAt === undefined ? 0 : Math.max(0, now() - slot.stopAskedAt), at: Date.now(),
    });
  }

  #publishCrash(slot: WorkerSlot, info: ExitInfo, error: unknown, ran: Task | undefined): void {
    workerCrashed.publish({
      poolId: this.#options.poolId, workerId: slot.id, index: slot.index, pid: slot.pid, threadId: slot.threadId, exitCode: info.code,
      signal: info.signal, error, stack: remoteStack(error), task: ran === undefined ? undefined : { taskId: ran.id, name: ran.fnName.name, url: ran.fnName.url },
      at: Date.now(),
    });
  }

  #crashError(slot: WorkerSlot, info: ExitInfo, task: Task, fault: unknown, killed: WorkerSlot['killed']): WorkerCrashedError {
    const who = this.#options.backend === 'thread' ? `thread ${slot.threadId}` : `process ${slot.pid}`;
    const cause = fault ?? info.error;
    const oom = (cause as { code?: unknown } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
    const how = killed !== undefined ? 'was stopped by the pool to end another task'
      : oom ? 'ran out of memory'
        : fault !== undefined ? `died of an uncaught error (${describeError(fault)})`
          : describeExit(info);
    return new WorkerCrashedError(`Worker ${slot.index} (${who}) ${how} while running task \`${task.fnName.name}\` (${task.fnName.url}); ` +
      'it was replaced', { exitCode: info.code, signal: info.signal, cause });
  }
}

/** The error a worker wrote into its ring as it died of it (FrameKind.Fault), decoded; undefined if none. */
function faultError(slot: WorkerSlot): unknown {
  if (slot.fault === undefined) return undefined;
  try {
    return toTaskError(decodeSync(slot.fault.packet));
  } catch (error) {
    return error;
  }
}

/** The worker-side stack of an error that came from a worker (toTaskError keeps it as the cause), or its own. */
function remoteStack(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const { cause } = error;
  if (cause instanceof RemoteStack && typeof cause.stack === 'string') return cause.stack;
  return typeof error.stack === 'string' ? error.stack : undefined;
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Why the pool gave up starting workers, with what is known of the last: its uncaught error (threads), or what
 * Node says of the flags (a process refusing one prints `bad option: --x` and exits with code 9 before any code
 * runs; `checkProcessFlags` asks Node again to have its words).
 */
function startupFailure(info: ExitInfo, error: unknown, suspects: string, nodeSaid: string | undefined): string {
  const refusedFlag = info.code === 9 ? ' (Node exits with code 9 when it refuses a command-line flag or its value)' : '';
  const said = error !== undefined ? `; it died of ${describeError(error)}` : nodeSaid !== undefined ? `; Node says of its flags: ${nodeSaid}` : '';
  return `Pool workers keep exiting during start-up (${startFailureLimit} in a row; the last ${describeExit(info)}${refusedFlag}${said}): ${suspects}`;
}

function describeExit(info: ExitInfo): string {
  return info.signal !== null ? `was killed by ${info.signal}` : `exited with code ${info.code}`;
}
