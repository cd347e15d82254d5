// Which pool worker this code runs in: set by the worker runtime before the initializer and tasks run.

export interface WorkerInfo {
  /** The worker's slot in its pool, 0..workers-1; a replacement worker keeps the slot's index. */
  index: number;
  pid: number;
  threadId: number;
}

let current: WorkerInfo | undefined;

/** Called by the worker runtime only. */
export function setCurrentWorker(info: WorkerInfo): void {
  current = Object.freeze({ ...info });
}

/** The pool worker running the calling code, or `undefined` outside pool workers (e.g. on the main thread). */
export function currentWorker(): WorkerInfo | undefined {
  return current;
}
