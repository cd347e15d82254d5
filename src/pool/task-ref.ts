// Naming a task: a module URL plus an export name, typed by the module's own signatures.
import { expected } from '../errors.js';
import { registry, trustModules } from '../serialize/index.js';
import type { AnyFunction, TaskRef } from '../wire/protocol.js';

export type { AnyFunction, TaskRef };

/** Normalises a module location: a URL, a file URL string, or an absolute path. */
export function moduleUrl(location: string | URL): string {
  if (location instanceof URL) return location.href;
  if (typeof location !== 'string' || location.length === 0) {
    throw new TypeError(expected('url', 'a module URL or an absolute path', location));
  }
  if (location.startsWith('/')) return process.getBuiltinModule('node:url').pathToFileURL(location).href;
  try {
    return new URL(location).href;
  } catch {
    throw new TypeError(expected('url', 'a module URL (new URL("./tasks.js", import.meta.url)) or an absolute path', location));
  }
}

/** The untyped way to name a task: `taskRef(new URL('./tasks.js', import.meta.url), 'resize')`. */
export function taskRef<F extends AnyFunction = AnyFunction>(url: string | URL, name: string): TaskRef<F> {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError(expected('name', 'an export name', name));
  return Object.freeze({ url: moduleUrl(url), name }) as TaskRef<F>;
}

export function isTaskRef(value: unknown): value is TaskRef {
  const ref = value as Partial<TaskRef> | null;
  return (typeof ref === 'object' || typeof ref === 'function') && ref !== null && typeof ref.url === 'string' && typeof ref.name === 'string';
}

/** What a call names its task by: a reference, or an exported function registered with the codec. */
export type Task<F extends AnyFunction = AnyFunction> = TaskRef<F> | F;

/**
 * The reference a task travels by. A function is accepted when the codec knows it by module and export
 * name (`registerFunction(fn, import.meta.url)`, or a module the codec imported), as pickle sends a
 * function by its qualified name; a closure or an unregistered function cannot be imported by a worker,
 * and `notSendable` builds the error saying so, naming `option` (`task`, `initializer`, `target`).
 */
export function taskOf<F extends AnyFunction = AnyFunction>(task: unknown, option: string,
  notSendable: (message: string) => Error = (message) => new TypeError(message)): TaskRef<F> {
  if (typeof task === 'function') {
    const entry = registry.functionOf(task);
    if (entry !== undefined) return { url: entry.moduleUrl, name: entry.name };
    if (isTaskRef(task)) return { url: task.url, name: task.name };
    const name = task.name === '' ? 'fn' : task.name;
    throw notSendable(`\`${option}\` is the function \`${task.name === '' ? '(anonymous)' : name}\`, which a worker cannot import: ` +
      `a function travels by module and export name. Export it from its module and call registerFunction(${name}, import.meta.url) there, ` +
      `or pass a task reference: taskRef(moduleUrl, '${name}') or pool.load(moduleUrl).${name}. A closure or a function defined inside another cannot be sent.`);
  }
  if (isTaskRef(task)) return { url: task.url, name: task.name };
  throw new TypeError(expected(option, 'a task reference (pool.load(url).name or taskRef(url, name)) or an exported function registered with registerFunction', task));
}

const trusted = new Set<string>();

/**
 * A module the caller runs tasks from is trusted to be imported here too when a result names one of its
 * classes (a task's own error class, say), as the workers import it to run the task.
 */
export function trustTaskModule(url: string): void {
  if (trusted.has(url)) return;
  trusted.add(url);
  trustModules((candidate) => candidate === url);
}
