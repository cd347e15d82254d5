// The task functions a worker knows: the numbers the pool gave them (Define frames), and the functions
// themselves, imported once per module and export.
import { importModule } from '../import-module.js';
import { registerModule } from '../serialize/index.js';
import type { TaskRef } from '../wire/protocol.js';
import { enterTaskImport, leaveTaskImport } from './current-worker.js';
import { missingTask, taskModuleImportError } from './task-module.js';

export type TaskFunction = (...args: unknown[]) => unknown;

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

const functions = new Map<number, TaskRef>();
const loaded = new Map<string, TaskFunction>();
/** Imports in flight, so a task arriving meanwhile (or the name's early import) waits for the same one. */
const loading = new Map<string, Promise<TaskFunction>>();
/** Those of them started ahead of any task, as the pool named the function (see `prefetchFunction`). */
const ahead = new WeakSet<Promise<TaskFunction>>();

function functionKey(name: TaskRef): string {
  return `${name.url}#${name.name}`;
}

function startImport(name: TaskRef, key: string): Promise<TaskFunction> {
  const pending = importFunction(name, key);
  loading.set(key, pending);
  // Forgotten once settled: a success is in `loaded`, and after a failure the next task imports again.
  const forget = (): void => void (loading.get(key) === pending && loading.delete(key));
  pending.then(forget, forget);
  return pending;
}

/**
 * The function, imported first if it is not yet (one import per module and export, however many wait). A
 * task that joins an import begun ahead of it and sees it fail imports once more itself: the early import
 * may have started before the module was there (written since), and the task must see the module as it
 * is when the task came.
 */
export function resolveFunction(name: TaskRef): Promise<TaskFunction> {
  const key = functionKey(name);
  const cached = loaded.get(key);
  if (cached !== undefined) return Promise.resolve(cached);
  const pending = loading.get(key);
  if (pending === undefined) return startImport(name, key);
  if (!ahead.has(pending)) return pending;
  return pending.catch(() => loaded.get(key) ?? loading.get(key) ?? startImport(name, key));
}

/** Starts importing a function's module as soon as the pool names it, so its first task does not wait for it. */
export function prefetchFunction(name: TaskRef): void {
  const key = functionKey(name);
  if (loaded.has(key) || loading.has(key)) return;
  const pending = startImport(name, key);
  ahead.add(pending);
  // A failure is the first task's to report.
  pending.catch(() => {});
}

async function importFunction(name: TaskRef, key: string): Promise<TaskFunction> {
  enterTaskImport();
  let module: Record<string, unknown>;
  try {
    module = (await importModule(name.url)) as Record<string, unknown>;
  } catch (error) {
    // Said of the task module, not of the loader's own file the import ran from.
    throw taskModuleImportError(name.url, error);
  } finally {
    leaveTaskImport();
  }
  // Its exported classes and functions can now travel in arguments and results.
  registerModule(name.url, module);
  const fn = module[name.name];
  if (typeof fn !== 'function') throw missingTask(name.url, name.name, module);
  loaded.set(key, fn as TaskFunction);
  return fn as TaskFunction;
}

/** Records the pool's number for a task function. */
export function defineFunction(fn: number, name: TaskRef): void {
  functions.set(fn, name);
}

/** The task function the pool numbered `fn`; throws if the pool never defined it. */
export function definedFunction(fn: number): TaskRef {
  const name = functions.get(fn);
  if (name === undefined) throw new TypeError(`Task function #${fn} was never defined for this worker`);
  return name;
}

/** The function, when its module is imported already (the hot path: no Promise). */
export function loadedFunction(name: TaskRef): TaskFunction | undefined {
  return loaded.get(functionKey(name));
}
