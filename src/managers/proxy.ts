// BaseProxy: a TypeScript handle on an object a manager serves, whose exposed methods are async calls.
import { expected } from '../errors.js';
import { rejected } from '../connection/options.js';
import { registerPickleClass } from '../pickle/registry.js';
import { isConnectionLoss, ManagerProtocolError, ManagerStateError } from './errors.js';
import { ProxyRef, proxyReduction } from './proxy-ref.js';
import type { Token } from './token.js';

/** What a proxy needs from the manager client that made it. */
export interface ProxyOwner {
  callMethod(token: Token, method: string, args: readonly unknown[], kwds: ReadonlyMap<unknown, unknown>): Promise<unknown>;
  /** The same call, the calling thread waiting for the reply. */
  callMethodSync?(token: Token, method: string, args: readonly unknown[], kwds: ReadonlyMap<unknown, unknown>): unknown;
  decref(token: Token): Promise<void>;
}

/** Any method of an AutoProxy: the arguments go to the server, the result comes back. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RemoteMethod = (...args: any[]) => Promise<any>;

/**
 * A proxy for one served object. It holds one reference on the server (the creation reference, or one taken
 * with `incref`) and gives it back once, on `release()` or `await using`. `callMethod(name, args, kwds)` calls any
 * method; an AutoProxy also has each exposed method as a property (`await q.put(x)`).
 */
export class BaseProxy implements AsyncDisposable {
  readonly token: Token;
  readonly exposed: readonly string[];
  readonly #owner: ProxyOwner;
  #released: Promise<void> | undefined;

  constructor(owner: ProxyOwner, token: Token, exposed: readonly string[]) {
    this.#owner = owner;
    this.token = token;
    this.exposed = Object.freeze([...new Set(exposed)]);
  }

  get released(): boolean {
    return this.#released !== undefined;
  }

  /** Calls `method(*args, **kwds)` on the served object: the `#RETURN` value, or the `#ERROR` exception thrown. */
  callMethod(method: string, args: readonly unknown[] = [], kwds: Readonly<Record<string, unknown>> | ReadonlyMap<string, unknown> = {}): Promise<unknown> {
    try {
      return this.#owner.callMethod(this.token, method, args, this.#checkCall(method, args, kwds));
    } catch (error) {
      return rejected(error);
    }
  }

  /**
   * `callMethod` with the calling thread waiting for the reply, as a Python proxy calls (for worker threads,
   * processes and scripts that have nothing else to do meanwhile): the value, or the exception thrown.
   */
  callMethodSync(method: string, args: readonly unknown[] = [], kwds: Readonly<Record<string, unknown>> | ReadonlyMap<string, unknown> = {}): unknown {
    const map = this.#checkCall(method, args, kwds);
    if (this.#owner.callMethodSync === undefined) throw new ManagerStateError('ERR_MP_MANAGER_STATE', `the proxy for ${this.token.typeid} ${this.token.id} has no blocking calls`);
    return this.#owner.callMethodSync(this.token, method, args, map);
  }

  #checkCall(method: string, args: readonly unknown[], kwds: Readonly<Record<string, unknown>> | ReadonlyMap<string, unknown>): Map<unknown, unknown> {
    if (typeof method !== 'string') throw new TypeError(expected('method', 'a method name', method));
    if (!Array.isArray(args)) throw new TypeError(expected('args', 'an array', args));
    if (typeof kwds !== 'object' || kwds === null) throw new TypeError(expected('kwds', 'an object or a Map', kwds));
    if (this.#released !== undefined) throw new ManagerStateError('ERR_MP_PROXY_RELEASED', `the proxy for ${this.token.typeid} ${this.token.id} has been released`);
    return kwds instanceof Map ? new Map<unknown, unknown>(kwds) : new Map<unknown, unknown>(Object.entries(kwds));
  }

  /**
   * Gives the server reference back (once; later calls wait for the same decref). The object is freed when no one
   * holds it. A server that can no longer be reached has nothing left to free, so, as Python's proxies do, that is
   * no error.
   */
  release(): Promise<void> {
    this.#released ??= this.#owner.decref(this.token).catch((error: unknown) => {
      if (!isConnectionLoss(error)) throw error;
    });
    return this.#released;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }

  /** This proxy as a value to pickle: Python loads it as an AutoProxy for the same object. */
  toRef(): ProxyRef {
    return new ProxyRef(this.token, this.exposed);
  }

  toString(): string {
    return `<AutoProxy[${this.token.typeid}] object, typeid '${this.token.typeid}' at ${this.token.id}>`;
  }
}

// An AutoProxy pickled as Python writes one: RebuildProxy(AutoProxy, token, 'pickle', {'exposed': ...}).
registerPickleClass('multiproc.managers', 'BaseProxy', BaseProxy, {
  reduce: (proxy) => proxyReduction(proxy.token, proxy.exposed),
  create: () => {
    throw new ManagerProtocolError('multiproc.managers.BaseProxy is not read; proxies come as RebuildProxy(AutoProxy, ...)');
  },
});

/** The methods of `M` with the calling thread waiting for each result: what `proxy.blocking` has. */
export type Blocking<M extends object> = {
  [K in keyof M]: M[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => R : M[K];
};

/**
 * A proxy whose exposed methods are properties. `M` names their types (QueueProxy for a queue); `blocking` has
 * the same methods returning the value instead of a promise (`q.blocking.get()`), as Python's proxies do.
 */
export type AutoProxy<M extends object = Record<string, RemoteMethod>> = BaseProxy & M & { readonly blocking: Blocking<M> };

const reserved = new Set([...Object.getOwnPropertyNames(BaseProxy.prototype), 'token', 'exposed', 'blocking']);

/** A BaseProxy with a method property for each exposed name (names BaseProxy has itself stay reachable through `callMethod`). */
export function autoProxy<M extends object>(owner: ProxyOwner, token: Token, exposed: readonly string[]): AutoProxy<M> {
  const proxy = new BaseProxy(owner, token, exposed);
  const blocking: Record<string, (...args: unknown[]) => unknown> = {};
  for (const name of proxy.exposed) {
    if (reserved.has(name)) continue;
    Object.defineProperty(proxy, name, { value: (...args: unknown[]) => proxy.callMethod(name, args), enumerable: true });
    blocking[name] = (...args: unknown[]) => proxy.callMethodSync(name, args);
  }
  Object.defineProperty(proxy, 'blocking', { value: Object.freeze(blocking) });
  return proxy as AutoProxy<M>;
}

/** The methods of a proxy for a queue (Python's queue.Queue, or a ManagedQueue). Timeouts are in seconds, as in Python. */
export interface QueueProxy<T = unknown> {
  put(item: T, block?: boolean, timeout?: number | null): Promise<void>;
  get(block?: boolean, timeout?: number | null): Promise<T>;
  put_nowait(item: T): Promise<void>;
  get_nowait(): Promise<T>;
  qsize(): Promise<number>;
  empty(): Promise<boolean>;
  full(): Promise<boolean>;
  task_done(): Promise<void>;
  join(): Promise<void>;
}
