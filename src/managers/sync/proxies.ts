// The proxy classes of SyncManager's typeids, with Python's method names, each usable asynchronously or blocking.
import { expected } from '../../errors.js';
import { PythonError } from '../../pickle/python-error.js';
import { registerPickleClass } from '../../pickle/registry.js';
import { isConnectionLoss, ManagerProtocolError, ManagerStateError } from '../errors.js';
import { BaseProxy, autoProxy, type ProxyOwner } from '../proxy.js';
import { proxyReduction } from '../proxy-ref.js';
import type { AnyFunction, TaskRef } from '../../pool/task-ref.js';
import { Token } from '../token.js';
import { Slice } from './python-values.js';

/** 'async': every method returns a promise; 'blocking': it returns the value, the calling thread waiting as Python's does. */
export type Mode = 'async' | 'blocking';
export type Result<M extends Mode, T> = M extends 'blocking' ? T : Promise<T>;

/** What a SyncManager proxy needs from the side that made it: async and blocking calls, and the key for a worker. */
export interface SyncProxyOwner extends ProxyOwner {
  /** The key a copy of the proxy in a worker connects with. */
  readonly authkeyForRef: Uint8Array;
  callMethodSync(token: Token, method: string, args: readonly unknown[], kwds: ReadonlyMap<unknown, unknown>): unknown;
  incref(token: Token): Promise<void>;
}

/** Gives the reference back for a proxy collected without `release()` (the owner is held, never the proxy). */
const collected = new FinalizationRegistry<{ owner: ProxyOwner; token: Token }>(({ owner, token }) => {
  owner.decref(token).catch(() => undefined);
});

const modes: unique symbol = Symbol('modes');

function trimmed(args: unknown[]): unknown[] {
  let end = args.length;
  while (end > 0 && args[end - 1] === undefined) end--;
  return args.slice(0, end);
}

/**
 * The base of SyncManager's proxies: a BaseProxy whose methods run on the calling thread's event loop ('async') or
 * block it ('blocking', through `proxy.blocking`, the same reference seen as blocking calls). A proxy collected
 * without `release()` gives its reference back (a FinalizationRegistry), as a Python proxy does when collected.
 */
export class SyncProxy<M extends Mode = 'async'> extends BaseProxy {
  declare readonly [modes]?: { blocking: SyncProxy<'blocking'> };
  readonly #owner: SyncProxyOwner;
  readonly #origin: SyncProxy<Mode> | undefined;
  #view: SyncProxy<'blocking'> | undefined;

  constructor(owner: SyncProxyOwner, token: Token, exposed: readonly string[], origin?: SyncProxy<Mode>) {
    super(owner, token, exposed);
    this.#owner = owner;
    this.#origin = origin;
    if (origin === undefined) collected.register(this, { owner, token }, this);
  }

  /** @internal the side this proxy calls through. */
  get owner(): SyncProxyOwner {
    return this.#owner;
  }

  /** Whether calls block the thread (a `blocking` view). */
  get isBlocking(): boolean {
    return this.#origin !== undefined;
  }

  /** The same proxy with blocking methods: each call waits on this thread for the reply (workers, scripts). */
  get blocking(): NonNullable<this[typeof modes]>['blocking'] {
    if (this.#origin !== undefined) return this as unknown as NonNullable<this[typeof modes]>['blocking'];
    const Cls = this.constructor as new (owner: SyncProxyOwner, token: Token, exposed: readonly string[], origin: SyncProxy<Mode>) => SyncProxy<'blocking'>;
    this.#view ??= new Cls(this.#owner, this.token, this.exposed, this);
    return this.#view;
  }

  override get released(): boolean {
    return this.#origin !== undefined ? this.#origin.released : super.released;
  }

  override release(): Promise<void> {
    return this.dispose();
  }

  /** Gives the server reference back (every proxy; on a lock's proxy `release()` is the lock's own). */
  dispose(): Promise<void> {
    if (this.#origin !== undefined) return this.#origin.dispose();
    collected.unregister(this);
    return super.release();
  }

  override async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  /**
   * A second proxy for the same object, with a reference of its own and, for an RLock or a Condition, a connection
   * of its own: what a second Python thread using the proxy is (the server tells the two apart as owners).
   */
  async clone(): Promise<this> {
    const token = new Token(this.token.typeid, this.token.address, this.token.id);
    await this.#owner.incref(token);
    const Cls = this.constructor as new (owner: SyncProxyOwner, token: Token, exposed: readonly string[]) => this;
    return new Cls(this.#owner, token, this.exposed);
  }

    /** Calls `method` on the served object in this proxy's mode: Python's `_callmethod`. */
  _callmethod<T = unknown>(method: string, args: readonly unknown[] = [], kwds: Readonly<Record<string, unknown>> = {}): Result<M, T> {
    if (this.#origin === undefined) return this.callMethod(method, args, kwds) as Result<M, T>;
    if (this.released) throw new ManagerStateError('ERR_MP_PROXY_RELEASED', `the proxy for ${this.token.typeid} ${this.token.id} has been released`);
    return this.#owner.callMethodSync(this.token, method, args, new Map(Object.entries(kwds))) as Result<M, T>;
  }

  /** The served object by value (Python's `_getvalue()`, the `#GETVALUE` request). */
  _getvalue<T = unknown>(): Result<M, T> {
    return this._callmethod<T>('#GETVALUE');
  }

  /** `str()` of the served object on the server. */
  str(): Result<M, string> {
    return this._callmethod<string>('__str__');
  }

  protected call<T>(method: string, ...args: unknown[]): Result<M, T> {
    return this._callmethod<T>(method, trimmed(args));
  }

  /** `fn` applied to a result, whether it is a value (blocking) or a promise. */
  protected after<T, U>(result: Result<M, T>, fn: (value: T) => U): Result<M, U> {
    return (result instanceof Promise ? result.then(fn) : fn(result as T)) as Result<M, U>;
  }
}

function toNumber(value: unknown): number {
  return Number(value);
}

/** The proxy of `Queue` and `JoinableQueue` (Python's queue.Queue): timeouts in seconds, queue.Empty and queue.Full thrown. */
export class JoinableQueueProxy<T = unknown, M extends Mode = 'async'> extends SyncProxy<M> {
  declare readonly [modes]?: { blocking: JoinableQueueProxy<T, 'blocking'> };

  put(item: T, block?: boolean, timeout?: number | null): Result<M, void> {
    return this.call('put', item, block, timeout);
  }

  get(block?: boolean, timeout?: number | null): Result<M, T> {
    return this.call('get', block, timeout);
  }

  put_nowait(item: T): Result<M, void> {
    return this.call('put_nowait', item);
  }

  get_nowait(): Result<M, T> {
    return this.call('get_nowait');
  }

  qsize(): Result<M, number> {
    return this.after(this.call<number>('qsize'), toNumber);
  }

  empty(): Result<M, boolean> {
    return this.call('empty');
  }

  full(): Result<M, boolean> {
    return this.call('full');
  }

  task_done(): Result<M, void> {
    return this.call('task_done');
  }

  join(): Result<M, void> {
    return this.call('join');
  }
}

/** Python's EventProxy. */
export class EventProxy<M extends Mode = 'async'> extends SyncProxy<M> {
  declare readonly [modes]?: { blocking: EventProxy<'blocking'> };

  is_set(): Result<M, boolean> {
    return this.call('is_set');
  }

  set(): Result<M, void> {
    return this.call('set');
  }

  clear(): Result<M, void> {
    return this.call('clear');
  }

  /** Waits until set or `timeout` seconds passed; the flag at the end. */
  wait(timeout: number | null = null): Result<M, boolean> {
    return this._callmethod('wait', [timeout]);
  }
}

/** Python's AcquirerProxy, for Lock, RLock, Semaphore and BoundedSemaphore: `acquire(blocking, timeout)` and `release()`. */
export class AcquirerProxy<M extends Mode = 'async'> extends SyncProxy<M> {
  declare readonly [modes]?: { blocking: AcquirerProxy<'blocking'> };

  /** Whether it was acquired (false after `timeout` seconds, or at once when not `blocking`). */
  acquire(blocking = true, timeout: number | null = null): Result<M, boolean> {
    return this._callmethod('acquire', timeout === null ? [blocking] : [blocking, timeout]);
  }

  /**
   * Releases the lock, as Python's `release()` (the server reference goes with `dispose()` or `await using`). Typed as
   * a promise in both modes, as BaseProxy's `release()` is: on a blocking view the lock is released when it returns.
   */
  override release(): Promise<void> {
    const done = this._callmethod<void>('release');
    return done instanceof Promise ? done : Promise.resolve();
  }
}

/** Python's ConditionProxy: `wait(timeout)`, `notify(n)`, `notify_all()`, and `wait_for(predicate, timeout)` on this side. */
export class ConditionProxy<M extends Mode = 'async'> extends AcquirerProxy<M> {
  declare readonly [modes]?: { blocking: ConditionProxy<'blocking'> };

  wait(timeout: number | null = null): Result<M, boolean> {
    return this._callmethod('wait', [timeout]);
  }

  notify(n = 1): Result<M, void> {
    return this._callmethod('notify', [n]);
  }

  notify_all(): Result<M, void> {
    return this.call('notify_all');
  }

  /**
   * Waits until `predicate()` is truthy (called with the lock held, first before any wait), at most `timeout`
   * seconds; its last value. As Python's ConditionProxy, on this side: a `wait` per try. On an async proxy the
   * predicate may return a promise.
   */
  wait_for<T>(predicate: () => M extends 'blocking' ? T : T | Promise<T>, timeout: number | null = null): Result<M, T> {
    const end = timeout === null ? null : performance.now() + timeout * 1000;
    const left = (): number | null | undefined => {
      if (end === null) return null;
      const seconds = (end - performance.now()) / 1000;
      return seconds <= 0 ? undefined : seconds;
    };
    if (this.isBlocking) {
      let result = predicate() as T;
      for (let wait = left(); !result && wait !== undefined; wait = left()) {
        (this as unknown as ConditionProxy<'blocking'>).wait(wait);
        result = predicate() as T;
      }
      return result as Result<M, T>;
    }
    const check = predicate as () => T | Promise<T>;
    return (async () => {
      let result = await check();
      for (let wait = left(); !result && wait !== undefined; wait = left()) {
        await (this as unknown as ConditionProxy).wait(wait);
        result = await check();
      }
      return result;
    })() as Result<M, T>;
  }
}

/** Python's BarrierProxy: `wait(timeout)` gives this party's index; `parties`, `n_waiting`, `broken` are read from the server. */
export class BarrierProxy<M extends Mode = 'async'> extends SyncProxy<M> {
  declare readonly [modes]?: { blocking: BarrierProxy<'blocking'> };

  wait(timeout: number | null = null): Result<M, number> {
    return this.after(this._callmethod<number>('wait', [timeout]), toNumber);
  }

  abort(): Result<M, void> {
    return this.call('abort');
  }

  reset(): Result<M, void> {
    return this.call('reset');
  }

  get parties(): Result<M, number> {
    return this.after(this.call<number>('__getattribute__', 'parties'), toNumber);
  }

  get n_waiting(): Result<M, number> {
    return this.after(this.call<number>('__getattribute__', 'n_waiting'), toNumber);
  }

  get broken(): Result<M, boolean> {
    return this.call('__getattribute__', 'broken');
  }
}

/** Python's ValueProxy: `get()`, `set(v)`, and `value` (set through `value =` only on a blocking view). */
export class ValueProxy<T = unknown, M extends Mode = 'async'> extends SyncProxy<M> {
  declare readonly [modes]?: { blocking: ValueProxy<T, 'blocking'> };

  get(): Result<M, T> {
    return this.call('get');
  }

  set(value: T): Result<M, void> {
    return this.call('set', value);
  }

  get value(): Result<M, T> {
    return this.get();
  }

  set value(value: T) {
    // An assignment cannot be awaited: on an async proxy it would fail (or finish) unseen, so only a blocking view has it.
    if (!this.isBlocking) throw new TypeError(expected('value', 'set with `await proxy.set(value)` (or on `proxy.blocking`)', value));
    void this.set(value);
  }
}

/** Python's NamespaceProxy: attributes read, set and deleted on the server (`__getattribute__`, `__setattr__`, `__delattr__`). */
export class NamespaceProxy<S extends object = Record<string, unknown>, M extends Mode = 'async'> extends SyncProxy<M> {
  declare readonly [modes]?: { blocking: NamespaceProxy<S, 'blocking'> };

  getattr<K extends keyof S & string>(name: K): Result<M, S[K]> {
    return this.call('__getattribute__', name);
  }

  setattr<K extends keyof S & string>(name: K, value: S[K]): Result<M, void> {
    return this.call('__setattr__', name, value);
  }

  delattr(name: keyof S & string): Result<M, void> {
    return this.call('__delattr__', name);
  }
}

/** A Python index: a position (negative from the end) or a slice. */
export type Index = number | Slice;

/** Python's ListProxy: every list method, and the dunder ones under plain names (`getitem` is `__getitem__`). */
export class ListProxy<T = unknown, M extends Mode = 'async'> extends SyncProxy<M> {
  declare readonly [modes]?: { blocking: ListProxy<T, 'blocking'> };

  getitem(index: number): Result<M, T> {
    return this.call('__getitem__', index);
  }

  /** `l[start:stop:step]` as a list. */
  slice(start: number | null = null, stop: number | null = null, step: number | null = null): Result<M, T[]> {
    return this.call('__getitem__', new Slice(start, stop, step));
  }

  setitem(index: Index, value: T | T[]): Result<M, void> {
    return this.call('__setitem__', index, value);
  }

  delitem(index: Index): Result<M, void> {
    return this.call('__delitem__', index);
  }

  len(): Result<M, number> {
    return this.after(this.call<number>('__len__'), toNumber);
  }

  contains(value: T): Result<M, boolean> {
    return this.call('__contains__', value);
  }

  /** `l + other`, a new list (the served one is unchanged). */
  add(other: T[]): Result<M, T[]> {
    return this.call('__add__', other);
  }

  /** `l * n`, a new list. */
  mul(n: number): Result<M, T[]> {
    return this.call('__mul__', n);
  }

  /** `l += other` (Python's proxy sends `extend`). */
  iadd(other: Iterable<T>): Result<M, void> {
    return this.call('extend', [...other]);
  }

  /** `l *= n`, in place. */
  imul(n: number): Result<M, void> {
    return this.after(this.call('__imul__', n), () => undefined);
  }

  reversed(): Result<M, T[]> {
    return this.call('__reversed__');
  }

  append(value: T): Result<M, void> {
    return this.call('append', value);
  }

  extend(values: Iterable<T>): Result<M, void> {
    return this.call('extend', [...values]);
  }

  insert(index: number, value: T): Result<M, void> {
    return this.call('insert', index, value);
  }

  pop(index?: number): Result<M, T> {
    return this.call('pop', index);
  }

  remove(value: T): Result<M, void> {
    return this.call('remove', value);
  }

  count(value: T): Result<M, number> {
    return this.after(this.call<number>('count', value), toNumber);
  }

  index(value: T, start?: number, stop?: number): Result<M, number> {
    return this.after(this.call<number>('index', value, start, stop), toNumber);
  }

  reverse(): Result<M, void> {
    return this.call('reverse');
  }

  sort(options: { reverse?: boolean } = {}): Result<M, void> {
    return this._callmethod('sort', [], options.reverse === undefined ? {} : { reverse: options.reverse });
  }

  /** The whole list by value. */
  tolist(): Result<M, T[]> {
    return this._getvalue<T[]>();
  }

  /** Iterates as Python iterates a ListProxy: `__getitem__` at 0, 1, ... until IndexError, so it sees changes made meanwhile. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (let i = 0; ; i++) {
      let item: T;
      try {
        item = (await this.callMethod('__getitem__', [i])) as T;
      } catch (error) {
        if (error instanceof PythonError && error.pythonClass === 'IndexError') return;
        throw error;
      }
      yield item;
    }
  }
}

/** Python's DictProxy: every dict method (`keys`, `values`, `items` come as lists), the dunder ones under plain names. */
export class DictProxy<K = unknown, V = unknown, M extends Mode = 'async'> extends SyncProxy<M> {
  declare readonly [modes]?: { blocking: DictProxy<K, V, 'blocking'> };

  getitem(key: K): Result<M, V> {
    return this.call('__getitem__', key);
  }

  setitem(key: K, value: V): Result<M, void> {
    return this.call('__setitem__', key, value);
  }

  delitem(key: K): Result<M, void> {
    return this.call('__delitem__', key);
  }

  contains(key: K): Result<M, boolean> {
    return this.call('__contains__', key);
  }

  len(): Result<M, number> {
    return this.after(this.call<number>('__len__'), toNumber);
  }

  get(key: K): Result<M, V | null>;
  get<D>(key: K, fallback: D): Result<M, V | D>;
  get(key: K, fallback: unknown = null): Result<M, unknown> {
    return this.call('get', key, fallback);
  }

  keys(): Result<M, K[]> {
    return this.call('keys');
  }

  values(): Result<M, V[]> {
    return this.call('values');
  }

  items(): Result<M, [K, V][]> {
    return this.call('items');
  }

  clear(): Result<M, void> {
    return this.call('clear');
  }

  /** A copy by value, as a Map. */
  copy(): Result<M, Map<K, V>> {
    return this.call('copy');
  }

  pop(key: K): Result<M, V>;
  pop<D>(key: K, fallback: D): Result<M, V | D>;
  pop(...args: unknown[]): Result<M, unknown> {
    return this._callmethod('pop', args);
  }

  popitem(): Result<M, [K, V]> {
    return this.call('popitem');
  }

  setdefault(key: K, fallback: V | null = null): Result<M, V> {
    return this.call('setdefault', key, fallback);
  }

  /** Iterates the keys through the server's iterator (`__iter__`, an Iterator proxy released at the end), as Python does. */
  async *[Symbol.asyncIterator](): AsyncGenerator<K, void, undefined> {
    const it = (await this.callMethod('__iter__')) as IteratorProxy<K>;
    try {
      for (;;) {
        let key: K;
        try {
          key = await it.next();
        } catch (error) {
          if (isStopIteration(error)) return;
          throw error;
        }
        yield key;
      }
    } finally {
      await it.dispose();
    }
  }

  /** Adds the entries of a Map, pairs, or a plain object's own properties. */
  update(other: Map<K, V> | Iterable<readonly [K, V]> | Record<string, V>): Result<M, void> {
    const entries = other instanceof Map ? other : Symbol.iterator in other ? new Map(other) : new Map(Object.entries(other));
    return this.call('update', entries);
  }
}

/** Python's ArrayProxy (SyncManager's `Array` is an `array.array` on the server). */
export class ArrayProxy<T = number, M extends Mode = 'async'> extends SyncProxy<M> {
  declare readonly [modes]?: { blocking: ArrayProxy<T, 'blocking'> };

  getitem(index: number): Result<M, T> {
    return this.call('__getitem__', index);
  }

  setitem(index: number, value: T): Result<M, void> {
    return this.call('__setitem__', index, value);
  }

  len(): Result<M, number> {
    return this.after(this.call<number>('__len__'), toNumber);
  }
}

/** Python's IteratorProxy (what a dict's `__iter__` gives): `next()` is `__next__`, throwing StopIteration at the end. */
export class IteratorProxy<T = unknown, M extends Mode = 'async'> extends SyncProxy<M> {
  declare readonly [modes]?: { blocking: IteratorProxy<T, 'blocking'> };

  next(): Result<M, T> {
    return this.call('__next__');
  }

  close(): Result<M, void> {
    return this.call('close');
  }
}

/** A task a served Pool runs: a task reference (`taskRef(url, name)`, `pool.load(url).name`) or `'url#name'`. */
export type PoolTask<F extends AnyFunction = AnyFunction> = TaskRef<F> | string;
type Returned<F extends AnyFunction> = Awaited<ReturnType<F>>;

function taskName(task: PoolTask): string {
  if (typeof task === 'string') return task;
  if (typeof task !== 'object' || task === null || typeof task.url !== 'string' || typeof task.name !== 'string') {
    throw new TypeError(expected('task', "a task reference (taskRef(url, name)) or 'url#name'", task));
  }
  return `${task.url}#${task.name}`;
}

/** Python's AsyncResult, as `apply_async` and `map_async` give it: `get(timeout)` (seconds), `wait`, `ready`, `successful`. */
export class AsyncResultProxy<T = unknown, M extends Mode = 'async'> extends SyncProxy<M> {
  declare readonly [modes]?: { blocking: AsyncResultProxy<T, 'blocking'> };

  /** The result; Python's multiprocessing.TimeoutError after `timeout` seconds. */
  get(timeout: number | null = null): Result<M, T> {
    return this._callmethod('get', [timeout]);
  }

  wait(timeout: number | null = null): Result<M, void> {
    return this._callmethod('wait', [timeout]);
  }

  ready(): Result<M, boolean> {
    return this.call('ready');
  }

  successful(): Result<M, boolean> {
    return this.call('successful');
  }
}

/** Python's PoolProxy for a Pool on the server: tasks named by module URL and export, results typed by the task. */
export class PoolProxy<M extends Mode = 'async'> extends SyncProxy<M> {
  declare readonly [modes]?: { blocking: PoolProxy<'blocking'> };

  apply<F extends AnyFunction>(task: PoolTask<F>, args: Parameters<F>): Result<M, Returned<F>> {
    return this._callmethod('apply', [taskName(task), [...args]]);
  }

  map<F extends AnyFunction>(task: PoolTask<F>, items: Iterable<Parameters<F>[0]>, chunksize?: number): Result<M, Returned<F>[]> {
    return this.call('map', taskName(task), [...items], chunksize);
  }

  starmap<F extends AnyFunction>(task: PoolTask<F>, items: Iterable<Parameters<F>>, chunksize?: number): Result<M, Returned<F>[]> {
    return this.call('starmap', taskName(task), [...items].map((args) => [...args]), chunksize);
  }

  apply_async<F extends AnyFunction>(task: PoolTask<F>, args: Parameters<F>): Result<M, AsyncResultProxy<Returned<F>>> {
    return this._callmethod('apply_async', [taskName(task), [...args]]);
  }

  map_async<F extends AnyFunction>(task: PoolTask<F>, items: Iterable<Parameters<F>[0]>, chunksize?: number): Result<M, AsyncResultProxy<Returned<F>[]>> {
    return this.call('map_async', taskName(task), [...items], chunksize);
  }

  starmap_async<F extends AnyFunction>(task: PoolTask<F>, items: Iterable<Parameters<F>>, chunksize?: number): Result<M, AsyncResultProxy<Returned<F>[]>> {
    return this.call('starmap_async', taskName(task), [...items].map((args) => [...args]), chunksize);
  }

  /** The results in order, through the server's iterator (`next()` until StopIteration). */
  imap<F extends AnyFunction>(task: PoolTask<F>, items: Iterable<Parameters<F>[0]>, chunksize?: number): Result<M, IteratorProxy<Returned<F>>> {
    return this.call('imap', taskName(task), [...items], chunksize);
  }

  imap_unordered<F extends AnyFunction>(task: PoolTask<F>, items: Iterable<Parameters<F>[0]>, chunksize?: number): Result<M, IteratorProxy<Returned<F>>> {
    return this.call('imap_unordered', taskName(task), [...items], chunksize);
  }

  close(): Result<M, void> {
    return this.call('close');
  }

  join(): Result<M, void> {
    return this.call('join');
  }

  terminate(): Result<M, void> {
    return this.call('terminate');
  }
}

/** Whether `error` is the StopIteration an iterator's `__next__` ends with. */
export function isStopIteration(error: unknown): boolean {
  return error instanceof PythonError && error.pythonClass === 'StopIteration';
}

type ProxyClass = new (owner: SyncProxyOwner, token: Token, exposed: readonly string[]) => SyncProxy;

/** SyncManager's typeids and their proxy classes, as Python registers them. */
export const proxyClasses: ReadonlyMap<string, ProxyClass> = new Map<string, ProxyClass>([
  ['Queue', JoinableQueueProxy],
  ['JoinableQueue', JoinableQueueProxy],
  ['Event', EventProxy],
  ['Lock', AcquirerProxy],
  ['RLock', AcquirerProxy],
  ['Semaphore', AcquirerProxy],
  ['BoundedSemaphore', AcquirerProxy],
  ['Condition', ConditionProxy],
  ['Barrier', BarrierProxy],
  ['list', ListProxy],
  ['dict', DictProxy],
  ['Value', ValueProxy],
  ['Array', ArrayProxy],
  ['Namespace', NamespaceProxy],
  ['Iterator', IteratorProxy],
  ['Pool', PoolProxy],
  ['AsyncResult', AsyncResultProxy],
]);

/** The proxy type Python's SyncManager gives each typeid (AutoProxy for the others). */
const pythonProxyTypes = new Map<string, string>([
  ['Event', 'EventProxy'],
  ['Lock', 'AcquirerProxy'],
  ['RLock', 'AcquirerProxy'],
  ['Semaphore', 'AcquirerProxy'],
  ['BoundedSemaphore', 'AcquirerProxy'],
  ['Condition', 'ConditionProxy'],
  ['Barrier', 'BarrierProxy'],
  ['list', 'ListProxy'],
  ['dict', 'DictProxy'],
  ['Value', 'ValueProxy'],
  ['Array', 'ArrayProxy'],
  ['Namespace', 'NamespaceProxy'],
  ['Iterator', 'IteratorProxy'],
  ['Pool', 'PoolProxy'],
]);

/**
 * A proxy pickled as Python's `BaseProxy.__reduce__` writes it (`RebuildProxy(DictProxy, token, 'pickle', {})`, or
 * AutoProxy with the exposed names), so a proxy can be an argument (`d.set('pets', pets)`): the server keeps the
 * object alive while it holds it, and a Python process loads it as that proxy.
 */
export function reduceProxy(proxy: BaseProxy): ReturnType<typeof proxyReduction> {
  const proxytype = pythonProxyTypes.get(proxy.token.typeid) ?? 'AutoProxy';
  return proxyReduction(proxy.token, proxytype === 'AutoProxy' ? proxy.exposed : undefined, 'pickle', proxytype);
}

for (const Cls of new Set([SyncProxy, ...proxyClasses.values()])) {
  registerPickleClass('multiproc.managers', Cls.name, Cls, {
    reduce: reduceProxy,
    // Only written: a proxy comes back as RebuildProxy.
    create: () => {
      throw new ManagerProtocolError(`multiproc.managers.${Cls.name} is not read; proxies come as RebuildProxy(...)`);
    },
  });
}

/** The proxy for a token: its typeid's class, or an AutoProxy for typeids SyncManager does not define. */
export function proxyFor(owner: SyncProxyOwner, token: Token, exposed: readonly string[]): BaseProxy {
  const Cls = proxyClasses.get(token.typeid);
  return Cls === undefined ? autoProxy(owner, token, exposed) : new Cls(owner, token, exposed);
}

/** Whether a release failed only because the server is gone (nothing is left to free then). */
export function lostServer(error: unknown): boolean {
  return isConnectionLoss(error);
}
