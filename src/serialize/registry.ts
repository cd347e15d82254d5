// The codec's registry: classes and functions by (module URL, export name), handle types, and trusted modules.
import { expected } from '../errors.js';

/** Any constructor a user can register. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Constructor<T = object> = abstract new (...args: any[]) => T;

/**
 * How instances of a registered class are taken apart and rebuilt (boost.python's pickle_suite). With
 * none of these, an instance travels as its own enumerable fields and is rebuilt on the class's
 * prototype without running the constructor (as pickle does by default).
 */
export interface ClassOptions<T = object> {
  /** The export name the receiving side looks the class up by. @default cls.name */
  name?: string;
  /** Constructor arguments: the receiver runs `new cls(...getInitArgs(value))`. */
  getInitArgs?(value: T): readonly unknown[];
  /**
   * What to send instead of the own enumerable fields. The receiver constructs the instance with
   * `getInitArgs` (or no arguments, as boost.python does) and then calls `setState`.
   */
  getState?(value: T): unknown;
  /** Restores what `getState` (or the fields) produced. @default Object.assign(value, state) */
  setState?(value: T, state: unknown): void;
  /** Full custom reduce: any encodable data; the receiver calls `revive(data)` to rebuild the value. */
  reduce?(value: T): unknown;
  /** The other half of `reduce`. */
  revive?(data: unknown): T;
}

export interface ClassEntry {
  readonly cls: Constructor;
  readonly moduleUrl: string;
  readonly name: string;
  readonly options: ClassOptions;
  readonly isError: boolean;
  /** Per-message numbering, owned by the encoder: valid while `generation` matches its own. */
  generation: number;
  wireId: number;
}

export interface FunctionEntry {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  readonly fn: Function;
  readonly moduleUrl: string;
  readonly name: string;
}

/** A shared resource that travels by reference: `toRef` gives plain data, `fromRef` re-attaches. */
export interface HandleSpec<T> {
  /** Wire name; the receiving side must have registered a handle type of the same name. */
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type: abstract new (...args: any[]) => T;
  toRef(value: T): unknown;
  fromRef(ref: unknown): T;
}

/** A module URL prefix (`file:///app/`), an absolute path prefix, a pattern or a predicate. */
export type TrustRule = string | URL | RegExp | ((moduleUrl: string) => boolean);

/** Environment variable: comma-separated module URL or path prefixes this process may import when decoding. */
export const trustModulesEnv = 'MULTIPROC_TRUST_MODULES';

function normalizeUrl(what: string, moduleUrl: unknown): string {
  const text = moduleUrl instanceof URL ? moduleUrl.href : moduleUrl;
  if (typeof text !== 'string' || !URL.canParse(text)) {
    throw new TypeError(expected(what, 'a module URL such as `import.meta.url`', moduleUrl));
  }
  return new URL(text).href;
}

function prefixRule(prefix: string): (url: string) => boolean {
  const href = prefix.startsWith('/') ? process.getBuiltinModule('node:url').pathToFileURL(prefix).href : normalizeUrl('trustModules', prefix);
  return (url) => url.startsWith(href);
}

/** Built-ins whose contents live in internal slots, not in fields. */
const slottedBases: Constructor<unknown>[] = [Array, Map, Set, Date, RegExp, ArrayBuffer, DataView, Object.getPrototypeOf(Uint8Array) as Constructor, Promise, WeakMap, WeakSet];

function looksLikeClass(value: unknown): value is Constructor {
  if (typeof value !== 'function') return false;
  // Not a regular expression: a worker checks every export of each task module it imports, and a thread's
  // first regular expression run compiles it (about a millisecond of a worker's first task).
  const source = Function.prototype.toString.call(value);
  if (!source.startsWith('class')) return false;
  // The keyword, not the start of a name (an arrow function `classic => ...`).
  const next = source.charCodeAt(5);
  return next === 123 || next === 47 || next === 32 || (next >= 9 && next <= 13);
}

function key(moduleUrl: string, name: string): string {
  return `${moduleUrl}#${name}`;
}

/** Everything the codec knows how to send by reference. Use the exported `registry` instance. */
export class CodecRegistry {
  readonly #classesByCtor = new Map<unknown, ClassEntry>();
  readonly #classesByKey = new Map<string, ClassEntry>();
  readonly #functionsByFn = new Map<unknown, FunctionEntry>();
  readonly #functionsByKey = new Map<string, FunctionEntry>();
  readonly #handlesByName = new Map<string, HandleSpec<unknown>>();
  #handles: HandleSpec<unknown>[] = [];
  readonly #loadedModules = new Set<string>();
  readonly #importedModules = new Set<string>();
  readonly #trust: ((url: string) => boolean)[] = [];

  constructor(env: NodeJS.ProcessEnv = process.env) {
    for (const prefix of (env[trustModulesEnv] ?? '').split(',')) {
      if (prefix.trim() !== '') this.#trust.push(prefixRule(prefix.trim()));
    }
  }

  /** Records where `cls` lives so its instances (and the class itself) can travel. Idempotent. */
  registerClass<T extends object>(cls: Constructor<T>, moduleUrl: string | URL, options: ClassOptions<T> = {}): void {
    if (typeof cls !== 'function') throw new TypeError(expected('cls', 'a class', cls));
    const url = normalizeUrl('moduleUrl', moduleUrl);
    const name = options.name ?? cls.name;
    if (typeof name !== 'string' || name === '') {
      throw new TypeError(expected('options.name', 'the export name of this anonymous class', name));
    }
    if ((options.reduce === undefined) !== (options.revive === undefined)) {
      throw new TypeError(expected('options', '`reduce` and `revive` together', options));
    }
    const base = slottedBases.find((builtin) => cls.prototype instanceof builtin);
    if (base !== undefined && options.reduce === undefined && options.getInitArgs === undefined && options.getState === undefined) {
      throw new TypeError(expected('options', `getInitArgs, getState/setState or reduce/revive for \`${name}\`, which extends ` +
        `${base.name} (its contents are not fields, so they cannot travel as fields)`, options));
    }
    const entry: ClassEntry = {
      cls,
      moduleUrl: url,
      name,
      options,
      isError: cls.prototype instanceof Error || (cls as unknown) === Error,
      generation: -1,
      wireId: 0,
    };
    const previous = this.#classesByCtor.get(cls);
    if (previous !== undefined) this.#classesByKey.delete(key(previous.moduleUrl, previous.name));
    this.#classesByCtor.set(cls, entry);
    this.#classesByKey.set(key(url, name), entry);
    this.#loadedModules.add(url);
  }

  /** Records an exported function so it travels as (module URL, export name). */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  registerFunction(fn: Function, moduleUrl: string | URL, name: string = fn.name): void {
    if (typeof fn !== 'function') throw new TypeError(expected('fn', 'a function', fn));
    const url = normalizeUrl('moduleUrl', moduleUrl);
    if (typeof name !== 'string' || name === '') throw new TypeError(expected('name', 'the export name of the function', name));
    const entry: FunctionEntry = { fn, moduleUrl: url, name };
    this.#functionsByFn.set(fn, entry);
    this.#functionsByKey.set(key(url, name), entry);
    this.#loadedModules.add(url);
  }

  /**
   * Registers every exported function and class of a module namespace (what a task module exports),
   * keeping registrations the module made itself (their options win).
   */
  registerModule(moduleUrl: string | URL, namespace: Record<string, unknown>): void {
    const url = normalizeUrl('moduleUrl', moduleUrl);
    for (const [name, value] of Object.entries(namespace)) {
      if (typeof value !== 'function') continue;
      if (looksLikeClass(value)) {
        if (!this.#classesByCtor.has(value)) this.registerClass(value, url, { name });
      } else if (!this.#functionsByFn.has(value)) {
        this.registerFunction(value, url, name);
      }
    }
    this.#loadedModules.add(url);
  }

  /** Makes a shared-resource type travel by reference. A later spec of the same name replaces it. */
  registerHandle<T>(spec: HandleSpec<T>): void {
    if (typeof spec !== 'object' || spec === null) throw new TypeError(expected('spec', 'a handle spec object', spec));
    if (typeof spec.name !== 'string' || spec.name === '') throw new TypeError(expected('spec.name', 'a non-empty string', spec.name));
    if (typeof spec.type !== 'function') throw new TypeError(expected('spec.type', 'a class', spec.type));
    if (typeof spec.toRef !== 'function' || typeof spec.fromRef !== 'function') {
      throw new TypeError(expected('spec', 'an object with `toRef` and `fromRef` functions', spec));
    }
    const generic = spec as unknown as HandleSpec<unknown>;
    this.#handlesByName.set(spec.name, generic);
    this.#handles = [...this.#handles.filter((h) => h.name !== spec.name), generic];
  }

  /**
   * Allows decoding to import modules that match `rule` (a URL or absolute-path prefix, a pattern or a
   * predicate). Modules that registered something are always usable; no other module is ever imported.
   */
  trustModules(...rules: TrustRule[]): void {
    for (const rule of rules) {
      if (typeof rule === 'function') this.#trust.push(rule);
      else if (rule instanceof RegExp) this.#trust.push((url) => rule.test(url));
      else if (typeof rule === 'string' || rule instanceof URL) this.#trust.push(prefixRule(rule instanceof URL ? rule.href : rule));
      else throw new TypeError(expected('rule', 'a URL or path prefix, a RegExp or a function', rule));
    }
  }

  classOf(ctor: unknown): ClassEntry | undefined {
    return this.#classesByCtor.get(ctor);
  }

  functionOf(fn: unknown): FunctionEntry | undefined {
    return this.#functionsByFn.get(fn);
  }

  /** The most derived registered handle type `value` is an instance of, whatever the registration order. */
  handleOf(value: object): HandleSpec<unknown> | undefined {
    let best: HandleSpec<unknown> | undefined;
    for (const spec of this.#handles) {
      if (value instanceof spec.type && (best === undefined || spec.type.prototype instanceof best.type)) best = spec;
    }
    return best;
  }

  lookupClass(moduleUrl: string, name: string): ClassEntry | undefined {
    return this.#classesByKey.get(key(moduleUrl, name));
  }

  lookupFunction(moduleUrl: string, name: string): FunctionEntry | ClassEntry | undefined {
    const k = key(moduleUrl, name);
    return this.#functionsByKey.get(k) ?? this.#classesByKey.get(k);
  }

  lookupHandle(name: string): HandleSpec<unknown> | undefined {
    return this.#handlesByName.get(name);
  }

  /** Whether `moduleUrl` already ran here (it registered something), so importing it again would add nothing. */
  isLoaded(moduleUrl: string): boolean {
    return this.#loadedModules.has(moduleUrl);
  }

  /** Records that decoding imported `moduleUrl` (and registered its exports), so it is not imported again. */
  markImported(moduleUrl: string): void {
    this.#loadedModules.add(moduleUrl);
    this.#importedModules.add(moduleUrl);
  }

  wasImported(moduleUrl: string): boolean {
    return this.#importedModules.has(moduleUrl);
  }

  isTrusted(moduleUrl: string): boolean {
    return this.#trust.some((rule) => rule(moduleUrl));
  }
}

/** The process-wide registry every `encode`/`decode` uses. */
export const registry = new CodecRegistry();
