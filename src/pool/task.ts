// One unit of work the pool hands a worker, and how it settles exactly once.
import { channels } from '../observe/channels.js';
import type { Packet } from '../serialize/index.js';
import type { TaskRef } from '../wire/protocol.js';
import type { WorkerSlot } from './worker-slot.js';

/** One unit of work: a single call, or a chunk of a map-like call. */
export interface Task {
  readonly id: number;
  readonly fn: number;
  readonly fnName: TaskRef;
  readonly flags: number;
  /** Encoded arguments; undefined for a call whose arguments are encoded at dispatch (alone or in a batch). */
  packet: Packet | undefined;
  readonly args: readonly unknown[] | undefined;
  /** Items in it (1 for a single call). */
  readonly items: number;
  readonly signal: AbortSignal | undefined;
  readonly timeout: number;
  retries: number;
  settled: boolean;
  /** The worker holding it (handed over, not answered), if any. */
  slot: WorkerSlot | undefined;
  /** Its hand-over number on that worker (see Channel.claim). */
  seq: number;
  /** Whether it can be taken back and sent to another worker (nothing of it moved to the one holding it). */
  movable: boolean;
  /** The pool it belongs to, and the map-like call (0: none), for the diagnostics channels. */
  readonly pool: number;
  readonly mapId: number;
  /** The arguments or the chunk's items as given, for the diagnostics channels (never encoded from here). */
  readonly input: readonly unknown[] | undefined;
  /** The worker it was last handed to (its `workerId` and slot index; 0 and -1: none yet). */
  workerId: number;
  workerIndex: number;
  done(value: unknown, micros: number): void;
  fail(error: unknown): void;
  cleanup: (() => void) | undefined;
}

const { taskFinished, taskFailed } = channels;

/**
 * Settles a task's caller unless the task has settled already: the one way a task ends (answered, failed,
 * aborted, timed out, dropped), so every caller hears exactly once. `micros`: its run time in the worker when
 * the worker answered (-1: it did not).
 */
export function settleTask(task: Task, value: unknown, ok: boolean, micros = -1): void {
  if (task.settled) return;
  task.settled = true;
  task.cleanup?.();
  if (ok) {
    if (taskFinished.hasSubscribers) publishFinished(task, micros);
    task.done(value, micros);
  } else {
    if (taskFailed.hasSubscribers) publishFailed(task, value, micros);
    task.fail(value);
  }
}

function publishFinished(task: Task, micros: number): void {
  taskFinished.publish({
    poolId: task.pool, taskId: task.id, workerId: task.workerId, index: task.workerIndex, name: task.fnName.name, url: task.fnName.url,
    items: task.items, mapId: task.mapId, runMs: micros / 1000, args: task.input, at: Date.now(),
  });
}

function publishFailed(task: Task, error: unknown, micros: number): void {
  taskFailed.publish({
    poolId: task.pool, taskId: task.id, workerId: task.workerId, index: task.workerIndex, name: task.fnName.name, url: task.fnName.url,
    items: task.items, mapId: task.mapId, error, runMs: micros < 0 ? undefined : micros / 1000, args: task.input, at: Date.now(),
  });
}

/** Rejects a task's caller with `error` unless it has settled already. */
export function failTask(task: Task, error: unknown): void {
  settleTask(task, error, false);
}
