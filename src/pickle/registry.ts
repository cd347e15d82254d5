// The allow-list: Python classes and functions, by module and name, mapped to their TypeScript counterparts.
import { expected } from '../errors.js';
import type { Tuple } from './types.js';

/**
 * What an object reduces to, as Python's `__reduce__` returns it: a callable (a registered class or function, or a
 * PickleGlobal), its arguments, and optionally the state for `BUILD`, items to append and pairs to set.
 */
export type Reduction = readonly [
  callable: unknown,
  args: readonly unknown[],
  state?: unknown,
  listItems?: Iterable<unknown> | null,
  dictItems?: Iterable<readonly [unknown, unknown]> | null,
];

/**
 * How instances of a registered class are written and read. Each hook falls back to an instance method of the
 * Python name (`__reduce__`, `__getnewargs__`, `__getstate__`, `__setstate__`) and then to the default.
 */
export interface PickleClassHooks<T extends object = object> {
  /**
   * Writing: the whole reduction (Python's `__reduce__`). Without it an instance is written as Python writes a plain
   * class: `cls.__new__(cls, *getNewArgs())` (`NEWOBJ`), then `getState()` for `BUILD` unless that is undefined.
   */
  reduce?(obj: T): Reduction;
  /** Writing: the arguments of `NEWOBJ` (`__getnewargs__`). @default none */
  getNewArgs?(obj: T): readonly unknown[];
  /** Writing: the state (`__getstate__`). @default the own enumerable properties as a dict, none if there are none */
  getState?(obj: T): unknown;
  /**
   * Reading: make the instance for `REDUCE` (`cls(*args)`, `kind` 'call') or `NEWOBJ`/`NEWOBJ_EX` (`cls.__new__`,
   * `kind` 'new'). @default `new cls(...args)`, or `Object.create(cls.prototype)` for 'new' without arguments
   */
  create?(args: Tuple, kind: 'call' | 'new', kwargs?: Map<unknown, unknown>): T;
  /**
   * Reading: apply what `BUILD` carries (`__setstate__`). @default a dict state's entries become properties; a
   * `(dict, slots)` tuple sets both
   */
  setState?(obj: T, state: unknown): void;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyClass = abstract new (...args: any[]) => object;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFunction = (...args: any[]) => unknown;

export interface RegisteredClass {
  readonly kind: 'class';
  readonly module: string;
  readonly name: string;
  readonly target: AnyClass;
  readonly hooks: PickleClassHooks;
}

export interface RegisteredFunction {
  readonly kind: 'function';
  readonly module: string;
  readonly name: string;
  readonly target: AnyFunction;
}

export type RegisteredGlobal = RegisteredClass | RegisteredFunction;

function checkName(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value === '' || value.includes('\n')) throw new TypeError(expected(name, 'a non-empty string without a newline', value));
}

/**
 * A set of allowed globals. `pickleRegistry` is the one `loads` and `dumps` use unless given another (`registry`).
 * Registering a name again replaces what it mapped to.
 */
export class PickleRegistry {
  readonly #byName = new Map<string, RegisteredGlobal>();
  // module -> name -> entry: a lookup per GLOBAL without building a key string.
  readonly #byModule = new Map<string, Map<string, RegisteredGlobal>>();
  readonly #byTarget = new Map<unknown, RegisteredGlobal>();

  /** Maps the Python class `module.name` to `cls`, both ways. */
  registerClass<T extends object>(module: string, name: string, cls: abstract new (...args: never[]) => T, hooks: PickleClassHooks<T> = {}): void {
    checkName('module', module);
    checkName('name', name);
    if (typeof cls !== 'function') throw new TypeError(expected('cls', 'a class', cls));
    if (typeof hooks !== 'object' || hooks === null) throw new TypeError(expected('hooks', 'an object', hooks));
    for (const hook of ['reduce', 'getNewArgs', 'getState', 'create', 'setState'] as const) {
      const given = (hooks as Record<string, unknown>)[hook];
      if (given !== undefined && typeof given !== 'function') throw new TypeError(expected(`hooks.${hook}`, 'a function', given));
    }
    this.#add({ kind: 'class', module, name, target: cls as unknown as AnyClass, hooks: hooks });
  }

  /** Maps the Python function `module.name` to `fn`, both ways: a `REDUCE` of it calls `fn(...args)`. */
  registerFunction(module: string, name: string, fn: AnyFunction): void {
    checkName('module', module);
    checkName('name', name);
    if (typeof fn !== 'function') throw new TypeError(expected('fn', 'a function', fn));
    this.#add({ kind: 'function', module, name, target: fn });
  }

  /** Takes `module.name` off the list; true if it was there. */
  unregister(module: string, name: string): boolean {
    const entry = this.#byName.get(`${module}\n${name}`);
    if (entry === undefined) return false;
    this.#byName.delete(`${module}\n${name}`);
    this.#byModule.get(module)?.delete(name);
    if (this.#byTarget.get(entry.target) === entry) this.#byTarget.delete(entry.target);
    return true;
  }

  lookup(module: string, name: string): RegisteredGlobal | undefined {
    return this.#byModule.get(module)?.get(name);
  }

  entryFor(target: unknown): RegisteredGlobal | undefined {
    return this.#byTarget.get(target);
  }

  #add(entry: RegisteredGlobal): void {
    const key = `${entry.module}\n${entry.name}`;
    const old = this.#byName.get(key);
    if (old !== undefined && this.#byTarget.get(old.target) === old) this.#byTarget.delete(old.target);
    this.#byName.set(key, entry);
    let names = this.#byModule.get(entry.module);
    if (names === undefined) this.#byModule.set(entry.module, (names = new Map<string, RegisteredGlobal>()));
    names.set(entry.name, entry);
    this.#byTarget.set(entry.target, entry);
  }
}

/** The registry `loads` and `dumps` use by default. */
export const pickleRegistry = new PickleRegistry();

/** `registerPickleClass('demo', 'Point', Point)`: on the default registry. */
export function registerPickleClass<T extends object>(module: string, name: string, cls: abstract new (...args: never[]) => T, hooks?: PickleClassHooks<T>): void {
  pickleRegistry.registerClass(module, name, cls, hooks);
}

/** `registerPickleFunction('demo', 'make', make)`: on the default registry. */
export function registerPickleFunction(module: string, name: string, fn: AnyFunction): void {
  pickleRegistry.registerFunction(module, name, fn);
}
