// Which multiproc Process this code runs in (Python's `current_process()` / `parent_process()`): set by the
// child's entry before its target runs; the main program is `MainProcess`.

export interface ProcessInfo {
  readonly name: string;
  readonly pid: number;
  readonly daemon: boolean;
}

/** Kept on the global object, as `currentWorker()` is, so every copy of the package gives one answer. */
const slot = Symbol.for('multiproc.currentProcess');
const global = globalThis as { [slot]?: { current: ProcessInfo; parent: ProcessInfo } };

/** Called by a Process's child entry only. */
export function setCurrentProcess(current: ProcessInfo, parent: ProcessInfo): void {
  global[slot] = { current: Object.freeze({ ...current }), parent: Object.freeze({ ...parent }) };
}

/** The Process running this code: its name, pid and daemon flag; `MainProcess` outside one. */
export function currentProcess(): ProcessInfo {
  return global[slot]?.current ?? { name: 'MainProcess', pid: process.pid, daemon: false };
}

/** The process that started this one, in a Process's child; undefined in the main program (Python's None). */
export function parentProcess(): ProcessInfo | undefined {
  return global[slot]?.parent;
}
