// One unit of work the pool hands a worker, and how it settles exactly once.
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
  done(value: unknown, micros: number): void;
  fail(error: unknown): void;
  cleanup: (() => void) | undefined;
}

/**
 * Settles a task's caller unless the task has settled already: the one way a task ends (answered, failed,
 * aborted, timed out, dropped), so every caller hears exactly once.
 */
export function settleTask(task: Task, value: unknown, ok: boolean, micros = 0): void {
  if (task.settled) return;
  task.settled = true;
  task.cleanup?.();
  if (ok) task.done(value, micros);
  else task.fail(value);
}

/** Rejects a task's caller with `error` unless it has settled already. */
export function failTask(task: Task, error: unknown): void {
  settleTask(task, error, false);
}
