// Naming a task: a module URL plus an export name, typed by the module's own signatures.
import { expected } from '../errors.js';
import { trustModules } from '../serialize/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFunction = (...args: any[]) => unknown;

declare const signature: unique symbol;

/** A task by reference. `F` only carries the function's type. */
export interface TaskRef<F extends AnyFunction = AnyFunction> {
  readonly url: string;
  readonly name: string;
  readonly [signature]?: F;
}

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
