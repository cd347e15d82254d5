// What the pool does when a task must stop or a worker is gone: aborts, timeouts, crashes, start-up
// failures; which task is blamed, which go back to the queue, and when a worker is replaced.
import type { BackendName, ExitInfo } from '../backends/runtime.js';
import { AbortKind } from '../worker/channel.js';
import { TaskTimeoutError, WorkerCrashedError } from './errors.js';
import type { Lifecycle } from './lifecycle.js';
import { failTask, type Task } from './task.js';
import type { TaskQueue } from './task-queue.js';
import type { WorkerSlot } from './worker-slot.js';

const startFailureLimit = 3;

export interface FaultOptions {
  backend: BackendName;
  /** How long a running task asked to stop may take to stop by itself before its worker is replaced. */
  abortGraceMs: number;
  /** Starts a worker in slot `index` (a replacement). */
  spawn: (index: number) => void;
  /** Reads the results a worker wrote before it went. */
  drain: (slot: WorkerSlot) => void;
  scheduleFlush: () => void;
}

export class Faults {
  readonly #slots: readonly WorkerSlot[];
  readonly #queue: TaskQueue<Task>;
  readonly #lifecycle: Lifecycle;
  readonly #options: FaultOptions;
  #startFailures = 0;
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

  /** A worker is gone: blame the task it ran, requeue the others it held, replace it if the pool needs it. */
  onExit(slot: WorkerSlot, info: ExitInfo): void {
    const previous = slot.state;
    slot.stopParking();
    this.#options.drain(slot);
    const running = slot.running().id;
    slot.state = 'gone';
    const orphans = [...slot.inflight.values()];
    slot.inflight.clear();
    const culprit = running !== 0 ? running : orphans[0]?.id;
    for (const task of orphans.reverse()) {
      task.slot = undefined;
      if (task.settled) continue;
      if (slot.killed?.taskId === task.id) {
        failTask(task, slot.killed.error);
      } else if (task.id === culprit && slot.killed === undefined && task.retries <= 0) {
        failTask(task, this.#crashError(slot, info, task));
      } else {
        if (task.id === culprit && slot.killed === undefined) task.retries--;
        this.#queue.unshift(task);
      }
    }
    const lifecycle = this.#lifecycle;
    const deliberate = previous === 'stopping' || previous === 'retiring' || slot.killed !== undefined;
    if (!deliberate) this.#replaced++;
    if (slot.killed !== undefined) this.#replaced++;
    if (previous === 'starting' && !deliberate && lifecycle.state === 'running' && ++this.#startFailures >= startFailureLimit) {
      lifecycle.break(new WorkerCrashedError(`Pool workers keep exiting during start-up (${startFailureLimit} in a row; last ${describeExit(info)})`,
        { exitCode: info.code, signal: info.signal, cause: info.error }));
    }
    if (lifecycle.needsWorkers() && this.#slots[slot.index] === slot) this.#options.spawn(slot.index);
    lifecycle.checkJoined();
    this.#options.scheduleFlush();
  }

  #crashError(slot: WorkerSlot, info: ExitInfo, task: Task): WorkerCrashedError {
    const who = this.#options.backend === 'thread' ? `thread ${slot.threadId}` : `process ${slot.pid}`;
    const cause = info.error;
    const oom = (cause as { code?: unknown } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
    return new WorkerCrashedError(`Worker ${slot.index} (${who}) ${oom ? 'ran out of memory' : describeExit(info)} while running task ` +
      `\`${task.fnName.name}\` (${task.fnName.url}); it was replaced`, { exitCode: info.code, signal: info.signal, cause });
  }
}

function describeExit(info: ExitInfo): string {
  return info.signal !== null ? `was killed by ${info.signal}` : `exited with code ${info.code}`;
}
