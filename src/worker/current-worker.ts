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
/** How many task module imports this thread's worker loop has under way (same global-object reason). */
const importsSlot = Symbol.for('multiproc.taskImports');
/** The same count in a word the pool's side of a thread worker reads (backends/thread.ts), when it gave one. */
const sharedSlot = Symbol.for('multiproc.taskImportsShared');
const global = globalThis as { [slot]?: WorkerInfo; [importsSlot]?: number; [sharedSlot]?: Int32Array };

/** Called by the thread worker's entry: the pool reads there whether a task module is being imported. */
export function shareTaskImports(view: Int32Array): void {
  global[sharedSlot] = view;
}

/** Called by the worker runtime only. */
export function setCurrentWorker(info: WorkerInfo): void {
  global[slot] = Object.freeze({ ...info });
}

/** The pool worker running the calling code, or `undefined` outside pool workers (e.g. on the main thread). */
export function currentWorker(): WorkerInfo | undefined {
  return global[slot];
}

/** Called by the worker loop as it starts importing a task module (the initializer's included). */
export function enterTaskImport(): void {
  global[importsSlot] = (global[importsSlot] ?? 0) + 1;
  const shared = global[sharedSlot];
  if (shared !== undefined) Atomics.add(shared, 0, 1);
}

/** Called by the worker loop once that import has settled, whichever way. */
export function leaveTaskImport(): void {
  global[importsSlot] = Math.max(0, (global[importsSlot] ?? 0) - 1);
  const shared = global[sharedSlot];
  if (shared !== undefined && Atomics.load(shared, 0) > 0) Atomics.sub(shared, 0, 1);
}

/**
 * Whether this thread's worker loop is importing a task module: the top level of a task module may be
 * running now. A pool started there would be started again by every worker that imports the module.
 */
export function importingTaskModule(): boolean {
  return (global[importsSlot] ?? 0) > 0;
}
