// BaseManager: Python's multiprocessing.managers.BaseManager: typeids registered once, then served (getServer) or used (connect).
import { expected } from '../errors.js';
import type { Address } from '../connection/address.js';
import type { ChallengeDigest } from '../connection/auth.js';
import { Client } from '../connection/client.js';
import type { SocketConnection } from '../connection/connection.js';
import { spinNsOf } from '../connection/options.js';
import type { DumpOptions, LoadOptions } from '../pickle/options.js';
import { BlockingChannel } from './blocking-channel.js';
import { isConnectionLoss, ManagerProtocolError, ManagerStateError } from './errors.js';
import { request } from './protocol.js';
import { unwrapReply } from './reply.js';
import { autoProxy, type AutoProxy, type BaseProxy, type ProxyOwner } from './proxy.js';
import type { ProxyRef } from './proxy-ref.js';
import { checkTypeid, resolveTypeid, type ProxyType, type TypeidEntry, type TypeidOptions } from './served.js';
import { ManagerServer, type ServerExtension } from './server.js';
import { describeTypeids, startServerChild, type StartedServer, type StartOptions } from './start-child.js';
import { Token } from './token.js';

export interface ManagerOptions {
  /** The server's address: `[host, port]` or a Unix socket path. A server given port 0 picks one. @default ['127.0.0.1', 0] */
  address?: Address;
  /** The shared secret (Python's `authkey`); a TypeScript peer must always be given it. */
  authkey: Uint8Array;
  /** The challenge this side sends. @default 'sha256' */
  digest?: ChallengeDigest;
  /** Milliseconds a handshake may take. @default 20000 */
  authTimeout?: number;
  /** Milliseconds a client waits for a connection to open. @default 20000 */
  connectTimeout?: number;
  /** The name sent with `accept_connection` (Python sends the process name). @default 'MainProcess' */
  name?: string;
  /** How messages are unpickled (the allow-list and limits), on both sides. */
  loadOptions?: LoadOptions;
  /** How messages are pickled. @default protocol 4 */
  dumpOptions?: DumpOptions;
  /** The server's limit on authenticated connections served at once. @default 1024 */
  maxConnections?: number;
  /** The longest request the server reads, in bytes. @default 268435456 */
  maxMessageSize?: number;
  /**
   * Microseconds to keep looking for a message (yielding the CPU) before sleeping until it comes: on the
   * server, for the next request while a client is connected (within 20 ms of the last reply); on a client,
   * for the reply of a call in flight (async calls spin the event loop before it sleeps, within 20 ms of the
   * call, blocking calls the socket). A message that
   * comes that soon is taken without waking an idle CPU, most of a loopback round trip. `0` never spins.
   * @default 50
   */
  spin?: number;
}

/** Connection handshakes one manager runs at once (see `#open`). */
const maxOpening = 4;

/**
 * A manager. On the serving side, `register(typeid, { callable })` then `getServer()` and `serveForever()`;
 * on the using side, `register(typeid)` is not even needed: `connect()`, then `create(typeid)` gives a proxy.
 * One-shot requests open a connection each (as Python does); method calls use `accept_connection` channels,
 * one per call in flight, kept open for reuse until `close()`.
 */
export class BaseManager implements ProxyOwner, AsyncDisposable {
  readonly #registry = new Map<string, TypeidEntry>();
  /** The client's proxy class of each typeid registered with one. */
  readonly #proxytypes = new Map<string, ProxyType>();
  readonly #options: ManagerOptions;
  readonly #idle: SocketConnection[] = [];
  #opening = 0;
  readonly #waitingToOpen: (() => void)[] = [];
  readonly #busy = new Set<SocketConnection>();
  #address: Address;
  #closed = false;
  #started: StartedServer | undefined;
  /** This thread's blocking calls (`proxy.blocking`), made on first use. */
  #blockingChannel: BlockingChannel | undefined;

  constructor(options: ManagerOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError(expected('options', 'an object', options));
    if (!(options.authkey instanceof Uint8Array)) throw new TypeError(expected('authkey', 'a Uint8Array', options.authkey));
    if (options.name !== undefined && typeof options.name !== 'string') throw new TypeError(expected('name', 'a string', options.name));
    // Checked now; the connections the calls go on spin for their replies (SocketConnection's `spin`).
    spinNsOf(options);
    this.#options = { ...options, authkey: options.authkey.slice() };
    this.#address = options.address ?? ['127.0.0.1', 0];
  }

  /** The server's address (after `getServer()` on port 0, the port it picked). */
  get address(): Address {
    return this.#address;
  }

  /**
   * Registers a typeid: what the server makes for `create(typeid)`, which of its methods clients may call, the
   * client's proxy class, and (as Python's `create_method`) a method named after the typeid that creates one:
   * `manager.register<'get_task_queue', AutoProxy<QueueProxy<number>>>('get_task_queue')`, then
   * `await manager.get_task_queue()` is typed.
   */
  register<K extends string, P extends object = AutoProxy>(typeid: K, options: TypeidOptions = {}): this & { [key in K]: (...args: unknown[]) => Promise<P> } {
    checkTypeid(typeid);
    this.#registry.set(typeid, resolveTypeid(options));
    if (options.proxytype === undefined) this.#proxytypes.delete(typeid);
    else this.#proxytypes.set(typeid, options.proxytype);
    if (options.createMethod !== false && !(typeid in this)) {
      Object.defineProperty(this, typeid, { value: (...args: unknown[]) => this.create(typeid, ...args), configurable: true });
    }
    return this as this & { [key in K]: (...args: unknown[]) => Promise<P> };
  }

  /** A server listening at `address` for the registered typeids (Python's `get_server()`); `serveForever()` runs it. */
  async getServer(): Promise<ManagerServer> {
    const { authkey, digest, authTimeout, loadOptions, dumpOptions, maxConnections, maxMessageSize, spin } = this.#options;
    const extension = this.serverExtension();
    const server = await ManagerServer.listen(this.#registry, {
      address: this.#address,
      authkey,
      ...(spin === undefined ? {} : { spin }),
      ...(extension === undefined ? {} : { extension }),
      ...(maxConnections === undefined ? {} : { maxConnections }),
      ...(maxMessageSize === undefined ? {} : { maxMessageSize }),
      ...(digest === undefined ? {} : { digest }),
      ...(authTimeout === undefined ? {} : { authTimeout }),
      ...(loadOptions === undefined ? {} : { loadOptions }),
      ...(dumpOptions === undefined ? {} : { dumpOptions }),
    });
    this.#address = server.address;
    return server;
  }

  /**
   * Python's `start(initializer, initargs)`: the server runs in a child process, which makes every registered
   * typeid's object by importing its callable by module and export name (register the function with
   * `registerFunction(fn, import.meta.url)`, or pass a task reference), calls `initializer(...initargs)` first,
   * and dies with this process. Resolves once the child listens; `address` is then where it does.
   * `shutdown()` (or `await using`) stops it.
   */
  async start(options: StartOptions = {}): Promise<this> {
    if (typeof options !== 'object' || options === null) throw new TypeError(expected('options', 'an object', options));
    this.#assertOpen();
    if (this.#started !== undefined) throw new ManagerStateError('ERR_MP_MANAGER_STATE', 'this manager has already been started');
    const { address, authkey, digest, authTimeout, maxConnections, maxMessageSize, loadOptions, dumpOptions, spin } = this.#options;
    // A registry of classes is code: it cannot be copied to the child, which registers its own by importing modules.
    if (loadOptions !== undefined || dumpOptions !== undefined) {
      throw new TypeError(expected('loadOptions', "undefined with start(): the child registers pickle classes by importing the modules that define them (the initializer's)", loadOptions ?? dumpOptions));
    }
    const childOptions: Record<string, unknown> = { ...this.childOptions(), authkey, address: address ?? ['127.0.0.1', 0] };
    for (const [key, value] of Object.entries({ digest, authTimeout, maxConnections, maxMessageSize, spin })) if (value !== undefined) childOptions[key] = value;
    this.#started = await startServerChild({ exportName: this.childExportName(), options: childOptions, typeids: describeTypeids(this.#registry) }, options);
    this.#address = this.#started.address;
    return this;
  }

  /** The pid of the server's child process after `start()`. */
  get pid(): number | undefined {
    return this.#started?.pid;
  }

  /** The package export `start()`'s child makes its manager with. */
  protected childExportName(): string {
    return 'BaseManager';
  }

  /** Options beyond the base ones that `start()`'s child gives its manager. */
  protected childOptions(): Record<string, unknown> {
    return {};
  }

  /** What a subclass's server adds (SharedMemoryServer's functions). */
  protected serverExtension(): ServerExtension | undefined {
    return undefined;
  }

  /** One request on a connection of its own (Python's `dispatch`), for a subclass's functions. */
  protected dispatch(funcname: string, args: readonly unknown[] = []): Promise<unknown> {
    return this.#oneShot(funcname, args);
  }

  /** Checks that a server answers at `address` with this key (Python's `connect()`, which sends `dummy`). */
  async connect(): Promise<this> {
    await this.#oneShot('dummy');
    return this;
  }

  /** `create(typeid, *args)` on the server: a proxy holding the creation reference. */
  async create<M extends object = Record<string, (...args: never[]) => Promise<unknown>>>(typeid: string, ...args: unknown[]): Promise<AutoProxy<M>> {
    const [token, exposed] = await this.createToken(typeid, args);
    return this.#proxy(token, exposed) as AutoProxy<M>;
  }

  /** The proxy for a token: its typeid's registered proxytype, or an AutoProxy. */
  #proxy(token: Token, exposed: readonly string[]): BaseProxy {
    const Cls = this.#proxytypes.get(token.typeid);
    return Cls === undefined ? autoProxy(this, token, exposed) : new Cls(this, token, exposed);
  }

  /** `create(typeid, *args, **kwds)`: the new object's Token and exposed names, for a manager that makes its own proxy types. */
  async createToken(typeid: string, args: readonly unknown[], kwds: ReadonlyMap<unknown, unknown> = new Map()): Promise<[Token, string[]]> {
    checkTypeid(typeid);
    const result = await this.#oneShot('create', [typeid, ...args], kwds);
    if (!Array.isArray(result) || result.length !== 2 || typeof result[0] !== 'string' || !Array.isArray(result[1])) {
      throw new ManagerProtocolError('the server answered create with something that is not (ident, exposed)');
    }
    return [new Token(typeid, this.#address, result[0]), result[1] as string[]];
  }

  /** A live proxy for a pickled one (a ProxyRef loaded from a Python process): takes a reference of its own with `incref`. */
  async proxyFor<M extends object = Record<string, (...args: never[]) => Promise<unknown>>>(ref: ProxyRef): Promise<AutoProxy<M>> {
    const token = new Token(ref.token.typeid, this.#address, ref.token.id);
    await this.#oneShot('incref', [token.id]);
    const exposed = ref.exposed ?? ((await this.#oneShot('get_methods', [token])) as string[]);
    return autoProxy<M>(this, token, exposed);
  }

  /** Python's `_number_of_objects()`. */
  async numberOfObjects(): Promise<number> {
    return Number(await this.#oneShot('number_of_objects'));
  }

  /** Python's `_debug_info()`. */
  async debugInfo(): Promise<string> {
    return String(await this.#oneShot('debug_info'));
  }

  /**
   * Asks the server to stop (Python's `shutdown` request), then closes this manager's connections. After
   * `start()`, waits for the child to end (killing it after a second, as Python does); a child already gone is no error.
   */
  async shutdown(): Promise<void> {
    const started = this.#started;
    try {
      if (started === undefined) {
        await this.#oneShot('shutdown');
      } else if (started.alive) {
        await this.#oneShot('shutdown').catch((error: unknown) => {
          if (!isConnectionLoss(error)) throw error;
        });
      }
    } finally {
      this.close();
      await started?.stop(1000);
    }
  }

  /** Closes this side's method channels; calls still waiting reject with `ERR_MP_CONNECTION_CLOSED`. The server is left running. */
  close(): void {
    this.#closed = true;
    this.#blockingChannel?.close();
    for (const connection of this.#idle.splice(0)) connection.close();
    for (const connection of this.#busy) connection.close();
    this.#busy.clear();
  }

  /** Closes this side; a manager that `start()`ed its server also shuts the server down. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#started !== undefined && !this.#closed) {
      await this.shutdown();
      return;
    }
    this.close();
    await Promise.resolve();
  }

  /** @internal */
  async decref(token: Token): Promise<void> {
    await this.#oneShot('decref', [token.id]);
  }

  /** @internal */
  async callMethod(token: Token, method: string, args: readonly unknown[], kwds: ReadonlyMap<unknown, unknown>): Promise<unknown> {
    const connection = this.#idle.pop() ?? (await this.#channel());
    this.#busy.add(connection);
    let reusable = false;
    try {
      await connection.send(request(token.id, method, args, kwds));
      const reply = await connection.recv();
      reusable = true;
      return this.#unwrap(reply, token.address);
    } finally {
      this.#busy.delete(connection);
      if (reusable && !this.#closed && !connection.closed) this.#idle.push(connection);
      else connection.close();
    }
  }

  /** @internal A method call with this thread waiting for the reply, on a blocking channel (`proxy.blocking`). */
  callMethodSync(token: Token, method: string, args: readonly unknown[], kwds: ReadonlyMap<unknown, unknown>): unknown {
    this.#assertOpen();
    const { authkey, name, digest, authTimeout, connectTimeout, loadOptions, dumpOptions, spin } = this.#options;
    this.#blockingChannel ??= new BlockingChannel({ authkey, name, digest, authTimeout, connectTimeout, loadOptions, dumpOptions, spin });
    return this.#unwrap(this.#blockingChannel.call(token.address, token.id, method, args, kwds), token.address);
  }

  #assertOpen(): void {
    if (this.#closed) throw new ManagerStateError('ERR_MP_MANAGER_STATE', 'this manager has been closed');
  }

  /**
   * A new authenticated connection. At most `maxOpening` handshakes are in flight per manager: Python's server
   * listens with a backlog of 16 and authenticates one connection at a time, so dozens of connects at once
   * (many calls in flight) overflow its queue and wait out SYN retries past the handshake deadline.
   */
  async #open(): Promise<SocketConnection> {
    if (this.#opening >= maxOpening) await new Promise<void>((resolve) => this.#waitingToOpen.push(resolve));
    else this.#opening++;
    const { authkey, digest, authTimeout, connectTimeout = 20_000, loadOptions, dumpOptions, spin } = this.#options;
    try {
      return await Client(this.#address, {
        authkey,
        timeout: connectTimeout,
        ...(spin === undefined ? {} : { spin }),
        ...(digest === undefined ? {} : { digest }),
        ...(authTimeout === undefined ? {} : { authTimeout }),
        ...(loadOptions === undefined ? {} : { loadOptions }),
        ...(dumpOptions === undefined ? {} : { dumpOptions }),
      });
    } finally {
      // The turn passes to the next waiter as it is; the count drops only when nobody waits.
      const next = this.#waitingToOpen.shift();
      if (next === undefined) this.#opening--;
      else next();
    }
  }

  async #channel(): Promise<SocketConnection> {
    this.#assertOpen();
    const connection = await this.#open();
    try {
      await connection.send(request(null, 'accept_connection', [this.#options.name ?? 'MainProcess']));
      this.#unwrap(await connection.recv(), this.#address);
      return connection;
    } catch (error) {
      connection.close();
      throw error;
    }
  }

  /** One request on a connection of its own, as Python's `dispatch()`. */
  async #oneShot(funcname: string, args: readonly unknown[] = [], kwds: ReadonlyMap<unknown, unknown> = new Map()): Promise<unknown> {
    // A started server is still ours to stop after close().
    if (funcname !== 'decref' && !(funcname === 'shutdown' && this.#started !== undefined)) this.#assertOpen();
    const connection = await this.#open();
    try {
      await connection.send(request(null, funcname, args, kwds));
      return this.#unwrap(await connection.recv(), this.#address);
    } finally {
      connection.close();
    }
  }

  /** The proxy a `#PROXY` reply becomes: its typeid's proxytype, or an AutoProxy (a SyncManager gives its own classes). */
  protected replyProxy(token: Token, exposed: readonly string[]): BaseProxy {
    return this.#proxy(token, exposed);
  }

  /** A reply's value, or the error it carries. A `#PROXY` becomes a proxy at the address of the call that got it. */
  #unwrap(value: unknown, address: Address): unknown {
    return unwrapReply(value, address, (token, exposed) => this.replyProxy(token, exposed));
  }
}
