// What a manager serves: the registry entry of a typeid, the exposed names of an object, and how a call's arguments reach its method.
import { expected } from '../errors.js';
import { PythonError } from '../pickle/python-error.js';
import { BaseProxy, type ProxyOwner } from './proxy.js';
import type { Token } from './token.js';

/**
 * A static property of a served class (or a property of a served object) mapping method names to their parameter
 * names, so a Python call with keyword arguments (`q.put(x, block=False)`) reaches the right positions.
 * Methods without an entry take positional arguments only.
 */
export const keywordParameters: unique symbol = Symbol.for('multiproc.managers.keywordParameters');

/**
 * A method of a served object the server calls once no one holds it (its last decref) and when the server stops:
 * where an object that owns resources (a served Pool's workers) lets them go.
 */
export const onLastRelease: unique symbol = Symbol.for('multiproc.managers.onLastRelease');

/** Calls a served object's `onLastRelease` method, if it has one; what it throws or rejects with is dropped. */
export function lastRelease(obj: unknown): void {
  const hook = typeof obj === 'object' && obj !== null ? (obj as Record<symbol, unknown>)[onLastRelease] : undefined;
  if (typeof hook !== 'function') return;
  try {
    const done: unknown = hook.call(obj);
    if (done instanceof Promise) done.catch(() => undefined);
  } catch {
    // The object is dropped either way.
  }
}

/** How the server makes and serves the objects of one typeid (Python's `register(typeid, callable, ..., exposed, method_to_typeid)`). */
export interface TypeidOptions {
  /**
   * Makes the object for `create(typeid, *args, **kwds)`, called with the positional arguments (keyword
   * arguments as a last `Map` when there are some). Left out, `create` takes exactly one argument, which becomes
   * the object (the target of a `methodToTypeid`). It may return a promise.
   */
  callable?: (...args: never[]) => unknown;
  /** The method names clients may call. @default every public method of the object (names not starting with `_`) */
  exposed?: readonly string[];
  /** Methods whose result stays on the server as an object of another typeid, sent back as a `#PROXY`. */
  methodToTypeid?: Readonly<Record<string, string>>;
  /**
   * The client's proxy class for this typeid (Python's `proxytype`): made as `new proxytype(manager, token,
   * exposed)` by `create`, the typeid's method and `#PROXY` replies. @default an AutoProxy
   */
  proxytype?: ProxyType;
  /**
   * Whether the manager gets a method named after the typeid (Python's `create_method`): `manager.get_task_queue()`
   * is `manager.create('get_task_queue')`. A name the manager already has (a method of its class) is left alone.
   * @default true
   */
  createMethod?: boolean;
}

/** A proxy class a typeid may name: Python's `proxytype`. */
export type ProxyType = new (owner: ProxyOwner, token: Token, exposed: readonly string[]) => BaseProxy;

export interface TypeidEntry {
  readonly callable: ((...args: unknown[]) => unknown) | undefined;
  readonly exposed: readonly string[] | undefined;
  readonly methodToTypeid: ReadonlyMap<string, string>;
}

export function checkTypeid(typeid: unknown): asserts typeid is string {
  if (typeof typeid !== 'string' || typeid === '') throw new TypeError(expected('typeid', 'a non-empty string', typeid));
}

export function resolveTypeid(options: TypeidOptions): TypeidEntry {
  if (typeof options !== 'object' || options === null) throw new TypeError(expected('options', 'an object', options));
  const { callable, exposed, methodToTypeid = {}, proxytype, createMethod } = options;
  if (callable !== undefined && typeof callable !== 'function') throw new TypeError(expected('callable', 'a function', callable));
  if (proxytype !== undefined && (typeof proxytype !== 'function' || !(proxytype.prototype instanceof BaseProxy || proxytype === BaseProxy))) {
    throw new TypeError(expected('proxytype', 'a class extending BaseProxy', proxytype));
  }
  if (createMethod !== undefined && typeof createMethod !== 'boolean') throw new TypeError(expected('createMethod', 'a boolean', createMethod));
  if (exposed !== undefined && (!Array.isArray(exposed) || !exposed.every((name) => typeof name === 'string'))) {
    throw new TypeError(expected('exposed', 'an array of method names', exposed));
  }
  if (typeof methodToTypeid !== 'object' || methodToTypeid === null) throw new TypeError(expected('methodToTypeid', 'an object of method name to typeid', methodToTypeid));
  const map = new Map<string, string>();
  for (const [method, target] of Object.entries(methodToTypeid)) {
    if (typeof target !== 'string') throw new TypeError(expected(`methodToTypeid.${method}`, 'a typeid string', target));
    map.set(method, target);
  }
  return { callable: callable as ((...args: unknown[]) => unknown) | undefined, exposed: exposed === undefined ? undefined : [...exposed], methodToTypeid: map };
}

/** Python's `public_methods(obj)`: every callable reachable on the object whose name does not start with `_`, sorted. */
export function publicMethods(obj: unknown): string[] {
  const names = new Set<string>();
  if (typeof obj !== 'object' && typeof obj !== 'function') return [];
  for (let at: object | null = obj; at !== null && at !== Object.prototype && at !== Function.prototype; at = Object.getPrototypeOf(at) as object | null) {
    for (const name of Object.getOwnPropertyNames(at)) {
      if (name === 'constructor' || name.startsWith('_')) continue;
      const descriptor = Object.getOwnPropertyDescriptor(at, name);
      if (descriptor !== undefined && typeof descriptor.value === 'function') names.add(name);
    }
  }
  return [...names].sort();
}

/** The exposed names as Python's `create` sends them: `exposed` (or the public methods), then `methodToTypeid`'s keys. */
export function exposedOf(obj: unknown, entry: TypeidEntry): string[] {
  return [...(entry.exposed ?? publicMethods(obj)), ...entry.methodToTypeid.keys()];
}

function parametersOf(obj: object, method: string): readonly string[] | undefined {
  const own = (obj as Record<symbol, unknown>)[keywordParameters];
  const table = own ?? ((obj.constructor as unknown as Record<symbol, unknown> | undefined)?.[keywordParameters]);
  const names = (table as Record<string, unknown> | undefined)?.[method];
  return Array.isArray(names) ? (names as string[]) : undefined;
}

/** The positional arguments of `obj.method(*args, **kwds)`, keywords placed by the method's declared parameters. */
export function placeArguments(obj: object, method: string, args: readonly unknown[], kwds: ReadonlyMap<unknown, unknown>): unknown[] {
  const placed: unknown[] = [...args];
  if (kwds.size === 0) return placed;
  const names = parametersOf(obj, method);
  // A '**' in the table takes the keywords no other name does, as a Map at its position (Python's **kwargs).
  const rest = names?.indexOf('**') ?? -1;
  for (const [key, value] of kwds) {
    const at = typeof key === 'string' && names !== undefined && key !== '**' ? names.indexOf(key) : -1;
    if (at < 0 && rest >= 0) {
      while (placed.length < rest) placed.push(undefined);
      const extra = placed[rest] instanceof Map ? (placed[rest] as Map<unknown, unknown>) : new Map<unknown, unknown>();
      extra.set(key, value);
      placed[rest] = extra;
      continue;
    }
    if (at < 0) throw new PythonError('builtins', 'TypeError', [`${method}() got an unexpected keyword argument ${typeof key === 'string' ? `'${key}'` : String(key)}`]);
    if (at < args.length) throw new PythonError('builtins', 'TypeError', [`${method}() got multiple values for argument '${key as string}'`]);
    placed[at] = value;
  }
  return placed;
}
