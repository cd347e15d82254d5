// SyncManager: Python's multiprocessing.managers.SyncManager: its typeids served as Python's objects behave, and typed proxies for them.
import type { Address } from './../connection/address.js';
import { BaseManager, type ManagerOptions } from './manager.js';
import { ManagedQueue } from './managed-queue.js';
import type { BaseProxy } from './proxy.js';
import type { Token } from './token.js';
import { proxyRefsLoaded } from './proxy-ref.js';
import { HelperOwner, pinnedTypeids } from './sync/helper-owner.js';
import { adoptProxies } from './sync/live-proxies.js';
import {
  AcquirerProxy,
  ArrayProxy,
  BarrierProxy,
  ConditionProxy,
  DictProxy,
  EventProxy,
  JoinableQueueProxy,
  ListProxy,
  PoolProxy,
  NamespaceProxy,
  proxyClasses,
  proxyFor,
  ValueProxy,
  type SyncProxyOwner,
} from './sync/proxies.js';
import { ServedArray, ServedDict, ServedList, ServedNamespace, ServedValue } from './sync/served-containers.js';
import { ServedPool } from './sync/served-pool.js';
import { ServedBarrier, ServedBoundedSemaphore, ServedCondition, ServedEvent, ServedLock, ServedRLock, ServedSemaphore } from './sync/served-locks.js';
import type { TypeidOptions } from './served.js';

/**
 * A constructor taking Python's positional and keyword arguments: the server hands keywords over as a last Map,
 * which lands on the parameter of the same name.
 */
function withKeywords<A extends unknown[]>(names: readonly string[], make: (...args: A) => unknown): (...args: unknown[]) => unknown {
  return (...args: unknown[]) => {
    const last = args.at(-1);
    if (last instanceof Map && args.length > 0) {
      args.pop();
      for (const [key, value] of last) {
        const at = typeof key === 'string' ? names.indexOf(key) : -1;
        if (at < 0) throw new TypeError(`got an unexpected keyword argument '${String(key)}'`);
        while (args.length <= at) args.push(undefined);
        args[at] = value;
      }
    }
    return make(...(args as A));
  };
}

const acquirer = ['acquire', 'release'];

/** SyncManager's typeids as Python registers them, with what this server makes for each. */
export const syncTypeids: Readonly<Record<string, TypeidOptions>> = {
  Queue: { callable: withKeywords(['maxsize'], (maxsize: number = 0) => new ManagedQueue(maxsize)) },
  JoinableQueue: { callable: withKeywords(['maxsize'], (maxsize: number = 0) => new ManagedQueue(maxsize)) },
  Event: { callable: () => new ServedEvent(), exposed: ['is_set', 'set', 'clear', 'wait'] },
  Lock: { callable: () => new ServedLock(), exposed: acquirer },
  RLock: { callable: () => new ServedRLock(), exposed: acquirer },
  Semaphore: { callable: withKeywords(['value'], (value: unknown = 1) => new ServedSemaphore(value)), exposed: acquirer },
  BoundedSemaphore: { callable: withKeywords(['value'], (value: unknown = 1) => new ServedBoundedSemaphore(value)), exposed: acquirer },
  Condition: { callable: () => new ServedCondition(), exposed: ['acquire', 'release', 'wait', 'notify', 'notify_all'] },
  Barrier: {
    callable: withKeywords(['parties', 'action', 'timeout'], (parties: unknown, action: unknown = null, timeout: unknown = null) => new ServedBarrier(parties, action, timeout)),
    exposed: ['__getattribute__', 'wait', 'abort', 'reset'],
  },
  list: {
    callable: (iterable: unknown = []) => new ServedList(iterable),
    exposed: ['__add__', '__contains__', '__delitem__', '__getitem__', '__len__', '__mul__', '__reversed__', '__rmul__', '__setitem__', 'append', 'count', 'extend', 'index', 'insert', 'pop', 'remove', 'reverse', 'sort', '__imul__'],
  },
  dict: {
    callable: (init: unknown = null, kwds: unknown = null) => new ServedDict(init, kwds),
    exposed: ['__contains__', '__delitem__', '__getitem__', '__iter__', '__len__', '__setitem__', 'clear', 'copy', 'get', 'items', 'keys', 'pop', 'popitem', 'setdefault', 'update', 'values'],
    methodToTypeid: { __iter__: 'Iterator' },
  },
  Value: { callable: withKeywords(['typecode', 'value', 'lock'], (typecode: unknown, value: unknown) => new ServedValue(typecode, value)), exposed: ['get', 'set'] },
  Array: { callable: withKeywords(['typecode', 'sequence', 'lock'], (typecode: unknown, sequence: unknown) => new ServedArray(typecode, sequence)), exposed: ['__len__', '__getitem__', '__setitem__'] },
  Namespace: { callable: (kwds: unknown = null) => new ServedNamespace(kwds), exposed: ['__getattribute__', '__setattr__', '__delattr__'] },
  Pool: {
    callable: withKeywords(['processes', 'initializer', 'initargs', 'maxtasksperchild'], (processes: unknown = null, initializer: unknown = null, initargs: unknown = null, maxtasksperchild: unknown = null) => new ServedPool(processes, initializer, initargs, maxtasksperchild)),
    exposed: ['apply', 'apply_async', 'close', 'imap', 'imap_unordered', 'join', 'map', 'map_async', 'starmap', 'starmap_async', 'terminate'],
    methodToTypeid: { apply_async: 'AsyncResult', map_async: 'AsyncResult', starmap_async: 'AsyncResult', imap: 'Iterator', imap_unordered: 'Iterator' },
  },
  Iterator: { exposed: ['__next__', 'send', 'throw', 'close'], createMethod: false },
  AsyncResult: { exposed: ['get', 'ready', 'successful', 'wait'], createMethod: false },
};

type ProxyClass<P> = new (owner: SyncProxyOwner, token: Token, exposed: readonly string[]) => P;

/**
 * Python's SyncManager. Serving: `getServer()` serves Queue, JoinableQueue, Event, Lock, RLock, Semaphore,
 * BoundedSemaphore, Condition, Barrier, list, dict, Value, Array and Namespace as Python's objects behave (timeouts in
 * seconds, Python's exceptions by class), for Python and TypeScript clients. Using: `connect()`, then
 * `await manager.list<number>()` gives a `ListProxy<number>`, and so on for every typeid, against this server or
 * Python's. Every proxy also has a `blocking` view whose calls wait on the calling thread, and travels to pool
 * workers and Processes, where it reconnects with the manager's key.
 */
export class SyncManager extends BaseManager implements SyncProxyOwner {
  readonly #authkey: Uint8Array;
  readonly #options: ManagerOptions;
  #helper: HelperOwner | undefined;

  constructor(options: ManagerOptions) {
    super(options);
    this.#authkey = options.authkey.slice();
    this.#options = options;
    for (const [typeid, entry] of Object.entries(syncTypeids)) this.register(typeid, entry);
  }

  /** @internal */
  get authkeyForRef(): Uint8Array {
    return this.#authkey;
  }

  /** @internal the blocking path: one helper owner for this manager's server. */
  #blocking(address: Address): HelperOwner {
    const { name, loadOptions, dumpOptions, spin } = this.#options;
    if (this.#helper === undefined || this.#helper.address !== address) {
      this.#helper = new HelperOwner(address, this.#authkey, {
        ...(name === undefined ? {} : { name }),
        ...(loadOptions === undefined ? {} : { loadOptions }),
        ...(dumpOptions === undefined ? {} : { dumpOptions }),
        ...(spin === undefined ? {} : { spin }),
      });
    }
    return this.#helper;
  }

  /** @internal */
  override callMethodSync(token: Token, method: string, args: readonly unknown[], kwds: ReadonlyMap<unknown, unknown>): unknown {
    // A proxy the reply holds (a pool's AsyncResult, a dict's nested dict) calls through this manager like the others.
    return this.#blocking(token.address).callMethodSync(token, method, args, kwds, this);
  }

  /** @internal An RLock's or a Condition's proxy calls on a connection of its own, through the helper (its blocking view's too). */
  override async callMethod(token: Token, method: string, args: readonly unknown[], kwds: ReadonlyMap<unknown, unknown>): Promise<unknown> {
    if (pinnedTypeids.has(token.typeid)) return this.#blocking(token.address).callMethod(token, method, args, kwds, this);
    const before = proxyRefsLoaded();
    const value = await super.callMethod(token, method, args, kwds);
    // Proxies inside the value (RebuildProxy, as a dict holding dicts sends them) become live ones, as in Python.
    return proxyRefsLoaded() === before ? value : adoptProxies(value, this);
  }

  /** @internal A `#PROXY` reply (a pool's AsyncResult, a dict's iterator) is SyncManager's proxy class for its typeid. */
  protected override replyProxy(token: Token, exposed: readonly string[]): BaseProxy {
    return proxyClasses.has(token.typeid) ? proxyFor(this, token, exposed) : super.replyProxy(token, exposed);
  }

  /** @internal */
  incref(token: Token): Promise<void> {
    return this.#blocking(token.address).incref(token);
  }

  /** @internal */
  override decref(token: Token): Promise<void> {
    return pinnedTypeids.has(token.typeid) ? this.#blocking(token.address).decref(token) : super.decref(token);
  }

  async #make<P>(Cls: ProxyClass<P>, typeid: string, args: readonly unknown[], kwds: ReadonlyMap<unknown, unknown> = new Map()): Promise<P> {
    const [token, exposed] = await this.createToken(typeid, args, kwds);
    return new Cls(this, token, exposed);
  }

  /** A `queue.Queue(maxsize)` on the server (0: unbounded). */
  Queue<T = unknown>(maxsize = 0): Promise<JoinableQueueProxy<T>> {
    return this.#make(JoinableQueueProxy<T>, 'Queue', maxsize === 0 ? [] : [maxsize]);
  }

  /** A queue with `task_done` and `join` (in Python, also a `queue.Queue`). */
  JoinableQueue<T = unknown>(maxsize = 0): Promise<JoinableQueueProxy<T>> {
    return this.#make(JoinableQueueProxy<T>, 'JoinableQueue', maxsize === 0 ? [] : [maxsize]);
  }

  Event(): Promise<EventProxy> {
    return this.#make(EventProxy, 'Event', []);
  }

  Lock(): Promise<AcquirerProxy> {
    return this.#make(AcquirerProxy, 'Lock', []);
  }

  /** A lock owned by the connection that acquired it (each proxy calls over its own connections). */
  RLock(): Promise<AcquirerProxy> {
    return this.#make(AcquirerProxy, 'RLock', []);
  }

  Semaphore(value = 1): Promise<AcquirerProxy> {
    return this.#make(AcquirerProxy, 'Semaphore', [value]);
  }

  BoundedSemaphore(value = 1): Promise<AcquirerProxy> {
    return this.#make(AcquirerProxy, 'BoundedSemaphore', [value]);
  }

  /** A condition on a lock of its own (an RLock, as Python's default). */
  Condition(): Promise<ConditionProxy> {
    return this.#make(ConditionProxy, 'Condition', []);
  }

  /** A barrier for `parties` (an action cannot travel to the server); `timeout` in seconds is each wait's default. */
  Barrier(parties: number, timeout: number | null = null): Promise<BarrierProxy> {
    return this.#make(BarrierProxy, 'Barrier', timeout === null ? [parties] : [parties, null, timeout]);
  }

  list<T = unknown>(items: Iterable<T> = []): Promise<ListProxy<T>> {
    return this.#make(ListProxy<T>, 'list', [[...items]]);
  }

  dict<K = unknown, V = unknown>(entries: Map<K, V> | Iterable<readonly [K, V]> | Record<string, V> = new Map<K, V>()): Promise<DictProxy<K, V>> {
    const map = entries instanceof Map ? entries : Symbol.iterator in entries ? new Map(entries) : new Map(Object.entries(entries));
    return this.#make(DictProxy<K, V>, 'dict', [map]);
  }

  /** Python's `managers.Value(typecode, value)`: a value with `get` and `set` (the typecode is kept, not enforced, as in Python). */
  Value<T = number>(typecode: string, value: T): Promise<ValueProxy<T>> {
    return this.#make(ValueProxy<T>, 'Value', [typecode, value]);
  }

  /** Python's `managers.Array(typecode, sequence)`: an `array.array` on the server. */
  Array<T = number>(typecode: string, sequence: Iterable<T>): Promise<ArrayProxy<T>> {
    return this.#make(ArrayProxy<T>, 'Array', [typecode, [...sequence]]);
  }

  /**
   * A Pool on the server (multiproc's, on worker threads; `processes` workers), whose tasks are named by module URL
   * and export (`taskRef(url, name)` or `'url#name'`), so Python clients can use it too. Its workers stop when the last
   * proxy lets it go, or the server stops.
   */
  Pool(processes: number | null = null): Promise<PoolProxy> {
    return this.#make(PoolProxy, 'Pool', processes === null ? [] : [processes]);
  }

  /** Python's `managers.Namespace(**attributes)`. */
  Namespace<S extends object = Record<string, unknown>>(attributes: Partial<S> = {}): Promise<NamespaceProxy<S>> {
    return this.#make(NamespaceProxy<S>, 'Namespace', [], new Map(Object.entries(attributes)));
  }
}
