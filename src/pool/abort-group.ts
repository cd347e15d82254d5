// One abort listener for every task of a map-like call, however many chunks it has.
import type { Task } from './task.js';

export class AbortGroup {
  readonly #signal: AbortSignal;
  readonly #tasks = new Set<Task>();
  readonly #onAbort: () => void;
  readonly #abort: (task: Task, reason: unknown) => void;

  constructor(signal: AbortSignal, abort: (task: Task, reason: unknown) => void) {
    this.#signal = signal;
    this.#abort = abort;
    this.#onAbort = () => {
      for (const task of [...this.#tasks]) abort(task, signal.reason);
    };
    signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** Aborts with the call's signal until it settles. */
  add(task: Task): void {
    if (task.settled) return;
    if (this.#signal.aborted) {
      this.#abort(task, this.#signal.reason);
      return;
    }
    this.#tasks.add(task);
    const previous = task.cleanup;
    task.cleanup = () => {
      this.#tasks.delete(task);
      previous?.();
    };
  }

  /** The call is over: the listener goes. */
  close(): void {
    this.#signal.removeEventListener('abort', this.#onAbort);
    this.#tasks.clear();
  }
}
