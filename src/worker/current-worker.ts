// Which pool worker this code runs in: set by the worker runtime before the initializer and tasks run.

export interface WorkerInfo {
  /** The worker's slot in its pool, 0..workers-1; a replacement worker keeps the slot's index. */
  index: number;
  pid: number;
  threadId: number;
}

/**
 * Kept on the thread's global object, not in this module: a task module may reach another copy of this code
 * than the worker loop did (the package's bundle and its compiled files, or two installed copies), and every
 * copy must give the same answer.
 */
const slot = Symbol.for('multiproc.currentWorker');
const global = globalThis as { [slot]?: WorkerInfo };

/** Called by the worker runtime only. */
export function setCurrentWorker(info: WorkerInfo): void {
  global[slot] = Object.freeze({ ...info });
}

/** The pool worker running the calling code, or `undefined` outside pool workers (e.g. on the main thread). */
export function currentWorker(): WorkerInfo | undefined {
  return global[slot];
}
