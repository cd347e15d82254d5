// ManagerServer: Python's multiprocessing.managers.Server, serving TypeScript objects to Python and TypeScript clients.
import { setMaxListeners } from 'node:events';
import { expected } from '../errors.js';
import type { Address } from '../connection/address.js';
import type { SocketConnection } from '../connection/connection.js';
import { AuthenticationError } from '../connection/errors.js';
import { Listener } from '../connection/listener.js';
import { spinNsOf, type SpinOptions } from '../connection/options.js';
import { holdLoopSpin, touchLoopSpin } from '../native/loop-spin.js';
import type { ChallengeDigest } from '../connection/auth.js';
import { MultiprocError } from '../errors.js';
import type { DumpOptions, LoadOptions } from '../pickle/options.js';
import { PythonError } from '../pickle/python-error.js';
import { loads } from '../pickle/reader.js';
import { toTuple } from '../pickle/types.js';
import { runInCall } from './call-context.js';
import { isConnectionLoss, ManagerStateError } from './errors.js';
import { parseRequest, publicFunctions, pyRepr, reply, tracebackText, type Request } from './protocol.js';
import { watchingProxyRefs, type ProxyRef } from './proxy-ref.js';
import { markServing, sameAddress } from './serving-here.js';
import { exposedOf, lastRelease, placeArguments, type TypeidEntry } from './served.js';
import { Token } from './token.js';

export interface ManagerServerOptions extends SpinOptions {
  /** Where to listen: `[host, port]` (port 0 picks one) or a Unix socket path. @default ['127.0.0.1', 0] (loopback only) */
  address?: Address;
  /** The shared secret every client must prove it holds before any message is read. */
  authkey: Uint8Array;
  /** The challenge this server sends ('legacy' as Python 3.11, or a digest as 3.12+). @default 'sha256' */
  digest?: ChallengeDigest;
  /** Milliseconds a client has to finish the handshake. @default 20000 */
  authTimeout?: number;
  /** The longest request accepted, in bytes. @default 268435456 */
  maxMessageSize?: number;
  /** How requests are unpickled: the allow-list (`registry`) and the limits. Globals off the list are refused, never run. */
  loadOptions?: LoadOptions;
  /** How replies are pickled. @default protocol 4 */
  dumpOptions?: DumpOptions;
  /** Authenticated connections served at once; one more is closed as it arrives. @default 1024 */
  maxConnections?: number;
  /** Public functions beyond Python's `Server.public`, and what to do at shutdown (SharedMemoryServer's). */
  extension?: ServerExtension;
  /**
   * While a client is connected, and within 20 ms of the last reply, microseconds the event loop keeps looking
   * for the next request (yielding the CPU) before it sleeps: a request that comes that soon is served without
   * waking an idle CPU, most of a loopback round trip. Each sleep costs this much CPU once; `0` never spins.
   * @default 50
   */
  spin?: number;
}

/** More one-shot functions for a server, as Python's `SharedMemoryServer` adds `track_segment` and its kin. */
export interface ServerExtension {
  /** Each function gets the request's positional arguments; what it returns is sent as `#RETURN`, what it throws as `#TRACEBACK`. */
  readonly functions: ReadonlyMap<string, (...args: unknown[]) => unknown>;
  /** Runs once when the server stops (a `shutdown` request, before its replies, or `close()`). */
  shutdown?(): void;
}

interface Served {
  obj: unknown;
  exposed: readonly string[];
  methodToTypeid: ReadonlyMap<string, string>;
  refcount: number;
}

/** The references that ProxyRefs loaded by a server hold, given back when the ProxyRef is collected. */
const heldByRefs = new FinalizationRegistry<{ server: WeakRef<ManagerServer>; id: string }>(({ server, id }) => server.deref()?.releaseHeld(id));

/** A server-side failure, sent as `#TRACEBACK` with Python's exception class on the last line. */
class Failure extends Error {
  constructor(
    readonly pythonClass: string,
    message: string,
  ) {
    super(message);
  }
}

const objectIds = new WeakMap<object, string>();
let nextId = 0x1000;

/** Python's `'%x' % id(obj)`: the same object always gets the same ident. */
function identOf(obj: unknown): string {
  if ((typeof obj !== 'object' && typeof obj !== 'function') || obj === null) return (nextId++).toString(16);
  let ident = objectIds.get(obj);
  if (ident === undefined) {
    ident = (nextId++).toString(16);
    objectIds.set(obj, ident);
  }
  return ident;
}

function describe(obj: unknown, ident: string): string {
  // A class of its own with a toString says how it wants to be shown; others get Python's <Class object ...> form.
  if (typeof obj === 'object' && obj !== null && Object.prototype.hasOwnProperty.call(Object.getPrototypeOf(obj), 'toString')) return (obj as { toString(): string }).toString();
  if (typeof obj !== 'object' || obj === null) return String(obj);
  return `<${obj.constructor.name} object, ident ${ident}>`;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** What a method's failure is sent as (`#ERROR`): a PythonError as it is, another Error as the builtin Python Python maps it to. */
function errorPayload(error: unknown): unknown {
  if (error instanceof Error) return error;
  return new PythonError('builtins', 'Exception', [String(error)]);
}

/** A request that could not be read: a global off the allow-list, a malformed stream. Sent as `#ERROR`, nothing run. */
function unreadable(error: unknown): PythonError {
  const code = error instanceof MultiprocError ? error.code : 'ERR_MP_PICKLE_INVALID';
  return new PythonError('pickle', 'UnpicklingError', [`${code}: ${(error as Error).message}`]);
}

/**
 * A manager server: listens (loopback by default), authenticates every connection with `authkey`, then answers
 * Python's manager protocol: `create`, `incref`, `decref`, `get_methods`, `debug_info`, `number_of_objects`,
 * `dummy`, `shutdown`, and method calls on `accept_connection` channels. Requests are unpickled only with the
 * allow-list, so a pickle naming `os.system` (or any global it was not given) is answered `#ERROR` and runs nothing.
 */
export class ManagerServer implements AsyncDisposable {
  readonly #listener: Listener;
  readonly #registry: ReadonlyMap<string, TypeidEntry>;
  readonly #loadOptions: LoadOptions | undefined;
  readonly #objects = new Map<string, Served>();
  readonly #connections = new Set<SocketConnection>();
  readonly #stopping = new AbortController();
  readonly #stopped: Promise<void>;
  readonly #maxConnections: number;
  readonly #extension: ServerExtension | undefined;
  #resolveStopped!: () => void;
  #serving = false;
  #extensionStopped = false;
  readonly #spinNs: number;
  /** Gives the loop spin back; held while a connection is open. */
  #unspin: (() => void) | undefined;

  static async listen(registry: ReadonlyMap<string, TypeidEntry>, options: ManagerServerOptions): Promise<ManagerServer> {
    if (typeof options !== 'object' || options === null) throw new TypeError(expected('options', 'an object', options));
    if (!(options.authkey instanceof Uint8Array)) throw new TypeError(expected('authkey', 'a Uint8Array', options.authkey));
    const { address = ['127.0.0.1', 0], authkey, digest, authTimeout, maxMessageSize, dumpOptions, loadOptions, maxConnections = 1024, extension } = options;
    const spinNs = spinNsOf(options);
    if (typeof maxConnections !== 'number' || !Number.isInteger(maxConnections) || maxConnections < 1) throw new RangeError(expected('maxConnections', 'a positive integer', maxConnections));
    const listener = await Listener.listen(address, {
      authkey,
      // Each read waits with the same spin; the server also holds one while a client is connected (below).
      ...(options.spin === undefined ? {} : { spin: options.spin }),
      ...(digest === undefined ? {} : { digest }),
      ...(authTimeout === undefined ? {} : { authTimeout }),
      ...(maxMessageSize === undefined ? {} : { maxMessageSize }),
      ...(dumpOptions === undefined ? {} : { dumpOptions }),
      ...(loadOptions === undefined ? {} : { loadOptions }),
    });
    return new ManagerServer(listener, registry, loadOptions, maxConnections, extension, spinNs);
  }

  private constructor(listener: Listener, registry: ReadonlyMap<string, TypeidEntry>, loadOptions: LoadOptions | undefined, maxConnections: number, extension: ServerExtension | undefined, spinNs: number) {
    this.#listener = listener;
    this.#spinNs = spinNs;
    this.#registry = registry;
    this.#loadOptions = loadOptions;
    this.#maxConnections = maxConnections;
    this.#extension = extension;
    this.#objects.set('0', { obj: null, exposed: [], methodToTypeid: new Map(), refcount: -1 });
    this.#stopped = new Promise((resolve) => (this.#resolveStopped = resolve));
    markServing(listener.address, true);
    // Every method channel listens for the stop: as many listeners as clients, which is no leak.
    setMaxListeners(0, this.#stopping.signal);
  }

  /** Where clients connect: `[host, port]` with the port picked, or the socket path. */
  get address(): Address {
    return this.#listener.address;
  }

  /** Whether `shutdown` (or `close()`) has stopped the server. */
  get closed(): boolean {
    return this.#stopping.signal.aborted;
  }

  /** Objects with a reference count (Python's `number_of_objects`). */
  get numberOfObjects(): number {
    return this.#objects.size - 1;
  }

  /**
   * Accepts and serves connections until a client sends `shutdown` or `close()` is called; then resolves, with
   * every connection closed and every blocked call given up. Python's `serve_forever()`.
   */
  async serveForever(): Promise<void> {
    if (this.#serving) throw new ManagerStateError('ERR_MP_MANAGER_STATE', 'this server is already serving');
    if (this.closed) throw new ManagerStateError('ERR_MP_MANAGER_STATE', 'this server has been shut down');
    this.#serving = true;
    for (;;) {
      let connection: SocketConnection;
      try {
        connection = await this.#listener.accept();
      } catch (error) {
        // A client with the wrong key was refused by the handshake; the others are still served.
        if (error instanceof AuthenticationError) continue;
        break;
      }
      if (this.closed) {
        connection.close();
        break;
      }
      // Past the limit a connection is dropped unread: no client can make the server hold unbounded sockets.
      if (this.#connections.size >= this.#maxConnections) {
        connection.close();
        continue;
      }
      this.#connections.add(connection);
      this.#unspin ??= holdLoopSpin(this.#spinNs);
      void this.#handle(connection).finally(() => {
        this.#connections.delete(connection);
        connection.close();
        if (this.#connections.size === 0) this.#stopSpin();
      });
    }
    await this.#stopped;
  }

  /** Stops listening, gives up blocked calls and closes every connection. */
  close(): void {
    if (this.closed) return;
    try {
      this.#stopExtension();
    } finally {
      this.#stop();
    }
  }

  #stop(): void {
    this.#stopping.abort(new ManagerStateError('ERR_MP_MANAGER_STATE', 'the manager server is shutting down'));
    this.#listener.close();
    for (const connection of this.#connections) connection.close();
    for (const served of this.#objects.values()) lastRelease(served.obj);
    markServing(this.#listener.address, false);
    this.#stopSpin();
    this.#resolveStopped();
  }

  #stopSpin(): void {
    this.#unspin?.();
    this.#unspin = undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.#stopped;
  }

  #stopExtension(): void {
    if (this.#extensionStopped) return;
    this.#extensionStopped = true;
    this.#extension?.shutdown?.();
  }

  async #read(connection: SocketConnection): Promise<Request> {
    return parseRequest(this.#loads(await connection.recvBytes()));
  }

  /**
   * A request unpickled. A proxy in it for one of this server's objects (`d['pets'] = pets` from a client)
   * becomes a reference of its own, held as long as what was loaded (a ProxyRef, kept in a served container or
   * not) lives: the object outlives the client's proxy while a container holds it, as in Python, and goes once
   * nothing does (Python's server keeps such objects for ever).
   */
  #loads(bytes: Uint8Array): unknown {
    return watchingProxyRefs(this.#holdFor, () => loads(bytes, this.#loadOptions));
  }

  /** Made once, not per request. */
  readonly #holdFor = (ref: ProxyRef): void => {
    const { id, address } = ref.token;
    const served = this.#objects.get(id);
    if (served === undefined || id === '0' || !sameAddress(address, this.address)) return;
    served.refcount++;
    heldByRefs.register(ref, { server: new WeakRef(this), id });
  };

  /** @internal A held ProxyRef was collected: its reference goes. */
  releaseHeld(id: string): void {
    if (this.closed || !this.#objects.has(id)) return;
    this.#decref(id);
  }

  async #send(connection: SocketConnection, kind: Parameters<typeof reply>[0], payload: unknown): Promise<void> {
    try {
      await connection.send(reply(kind, payload));
    } catch (error) {
      if (connection.closed || isConnectionLoss(error)) throw error;
      await connection.send(reply('#UNSERIALIZABLE', tracebackText('while pickling the reply', 'PicklingError', (error as Error).message)));
    }
  }

  /** One connection: one request, or, after `accept_connection`, method calls until the client closes it. */
  async #handle(connection: SocketConnection): Promise<void> {
    let request: Request;
    try {
      request = await this.#read(connection);
    } catch (error) {
      if (connection.closed || isConnectionLoss(error)) return;
      await this.#send(connection, '#ERROR', error instanceof PythonError ? error : unreadable(error)).catch(() => undefined);
      return;
    }
    try {
      const { funcname, args, kwds } = request;
      if (!publicFunctions.has(funcname) && this.#extension?.functions.has(funcname) !== true) throw new Failure('AssertionError', `${pyRepr(funcname)} unrecognized`);
      if (funcname === 'accept_connection') {
        await this.#send(connection, '#RETURN', null);
        await this.#serveClient(connection);
        return;
      }
      if (funcname === 'shutdown') {
        // As Python's SharedMemoryServer: its segments are unlinked before the replies go out. One that cannot be
        // unlinked stops no shutdown (it stays with its creator's resource tracker).
        try {
          this.#stopExtension();
        } catch {
          // close() below stops the server all the same.
        }
        await this.#send(connection, '#RETURN', null).catch(() => undefined);
        await this.#send(connection, '#RETURN', null).catch(() => undefined);
        this.close();
        return;
      }
      const result = await this.#public(funcname, args, kwds);
      await this.#send(connection, '#RETURN', result);
    } catch (error) {
      if (connection.closed) return;
      const pythonClass = error instanceof Failure || error instanceof PythonError ? error.pythonClass : 'Exception';
      await this.#send(connection, '#TRACEBACK', tracebackText(`in ${pyRepr(request.funcname)}`, pythonClass, (error as Error).message)).catch(() => undefined);
    }
  }

  #public(funcname: string, args: readonly unknown[], kwds: ReadonlyMap<unknown, unknown>): unknown {
    switch (funcname) {
      case 'dummy':
        return null;
      case 'create': {
        if (args.length < 1) throw new Failure('TypeError', "create() missing 1 required positional argument: 'typeid'");
        const [typeid, ...rest] = args;
        return this.#create(typeid, rest, kwds).then(([ident, exposed]) => toTuple([ident, toTuple(exposed)]));
      }
      case 'incref':
        this.#incref(args[0]);
        return null;
      case 'decref':
        this.#decref(args[0]);
        return null;
      case 'get_methods': {
        const token = args[0];
        if (!(token instanceof Token)) throw new Failure('TypeError', 'get_methods() needs a Token');
        const served = this.#objects.get(token.id);
        if (served === undefined) throw new Failure('KeyError', pyRepr(token.id));
        return toTuple([...new Set(served.exposed)]);
      }
      case 'number_of_objects':
        return this.numberOfObjects;
      case 'debug_info':
        return this.debugInfo();
      default: {
        const extra = this.#extension?.functions.get(funcname);
        if (extra === undefined) throw new Failure('AssertionError', `${pyRepr(funcname)} unrecognized`);
        if (kwds.size > 0) throw new Failure('TypeError', `${funcname}() takes no keyword arguments`);
        return extra(...args);
      }
    }
  }

  /** Python's `debug_info()`: one block per object with its reference count and text. */
  debugInfo(): string {
    const blocks: string[] = [];
    for (const [ident, served] of [...this.#objects].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (ident === '0') continue;
      blocks.push(`  ${ident}:       refcount=${served.refcount}\n    ${describe(served.obj, ident).slice(0, 75)}`);
    }
    return blocks.join('\n');
  }

  async #create(typeid: unknown, args: readonly unknown[], kwds: ReadonlyMap<unknown, unknown>): Promise<[string, string[]]> {
    const entry = typeof typeid === 'string' ? this.#registry.get(typeid) : undefined;
    if (entry === undefined) throw new Failure('KeyError', pyRepr(typeid));
    let obj: unknown;
    if (entry.callable === undefined) {
      if (args.length !== 1 || kwds.size > 0) throw new Failure('ValueError', 'Without callable, must have one non-keyword argument');
      obj = args[0];
    } else {
      try {
        obj = entry.callable(...args, ...(kwds.size > 0 ? [kwds] : []));
        if (isPromiseLike(obj)) obj = await obj;
      } catch (error) {
        // A PythonError's message already starts with its class; the traceback's last line names it once.
        const first = error instanceof PythonError ? error.pythonArgs[0] : undefined;
        const message = error instanceof PythonError ? (typeof first === 'string' ? first : '') : ((error as Error).message ?? String(error));
        throw new Failure((error as PythonError).pythonClass ?? 'Exception', message);
      }
    }
    return this.#store(obj, entry);
  }

  #store(obj: unknown, entry: TypeidEntry): [string, string[]] {
    const ident = identOf(obj);
    const exposed = exposedOf(obj, entry);
    const known = this.#objects.get(ident);
    this.#objects.set(ident, { obj, exposed, methodToTypeid: entry.methodToTypeid, refcount: (known?.refcount ?? 0) + 1 });
    return [ident, exposed];
  }

  #incref(ident: unknown): void {
    const served = typeof ident === 'string' && ident !== '0' ? this.#objects.get(ident) : undefined;
    if (served === undefined) throw new Failure('KeyError', pyRepr(ident));
    served.refcount++;
  }

  #decref(ident: unknown): void {
    const served = typeof ident === 'string' && ident !== '0' ? this.#objects.get(ident) : undefined;
    if (served === undefined) throw new Failure('KeyError', pyRepr(ident));
    if (--served.refcount === 0) {
      this.#objects.delete(ident as string);
      lastRelease(served.obj);
    }
  }

  /** A method channel: requests are read ahead, so a client that goes away mid-call gives the call up. */
  async #serveClient(connection: SocketConnection): Promise<void> {
    const gone = new AbortController();
    const onStop = (): void => gone.abort(this.#stopping.signal.reason);
    this.#stopping.signal.addEventListener('abort', onStop, { once: true });
    const readNext = (): Promise<Uint8Array> => {
      const next = connection.recvBytes();
      next.catch((error: unknown) => gone.abort(error));
      return next;
    };
    try {
      let next = readNext();
      for (;;) {
        let bytes: Uint8Array;
        try {
          bytes = await next;
        } catch {
          return;
        }
        next = readNext();
        const [kind, payload] = await this.#call(bytes, gone.signal);
        if (gone.signal.aborted) return;
        await this.#send(connection, kind, payload);
        // The client's next request comes soon after a reply: the loop spins for it a while.
        touchLoopSpin();
      }
    } finally {
      this.#stopping.signal.removeEventListener('abort', onStop);
    }
  }

  async #call(bytes: Uint8Array, signal: AbortSignal): Promise<[Parameters<typeof reply>[0], unknown]> {
    let request: Request;
    try {
      request = parseRequest(this.#loads(bytes));
    } catch (error) {
      return ['#ERROR', error instanceof PythonError ? error : unreadable(error)];
    }
    const { ident, funcname: method, args, kwds } = request;
    const served = typeof ident === 'string' ? this.#objects.get(ident) : undefined;
    if (served === undefined) return ['#TRACEBACK', tracebackText(`calling ${pyRepr(method)}`, 'KeyError', pyRepr(ident))];
    const { obj } = served;
    if (!served.exposed.includes(method)) {
      if (method === '__str__' || method === '__repr__') return ['#RETURN', describe(obj, ident as string)];
      if (method === '#GETVALUE') return ['#RETURN', obj];
      return ['#TRACEBACK', tracebackText(`calling ${pyRepr(method)}`, 'KeyError', `${pyRepr(method)} (the method is not in the exposed list of ${pyRepr(ident)})`)];
    }
    const fn = (obj as Record<string, unknown> | null)?.[method];
    if (typeof fn !== 'function') return ['#TRACEBACK', tracebackText(`calling ${pyRepr(method)}`, 'AttributeError', `the object has no method ${pyRepr(method)}`)];
    let result: unknown;
    try {
      const placed = placeArguments(obj as object, method, args, kwds);
      result = runInCall(signal, () => (fn as (...a: unknown[]) => unknown).apply(obj, placed));
      if (isPromiseLike(result)) result = await result;
    } catch (error) {
      return ['#ERROR', errorPayload(error)];
    }
    const target = served.methodToTypeid.get(method);
    if (target === undefined) return ['#RETURN', result];
    const entry = this.#registry.get(target);
    if (entry === undefined) return ['#TRACEBACK', tracebackText(`calling ${pyRepr(method)}`, 'KeyError', pyRepr(target))];
    const [rident, rexposed] = this.#store(result, entry);
    return ['#PROXY', toTuple([toTuple(rexposed), new Token(target, this.address, rident)])];
  }
}
