// Listener: Python's multiprocessing.connection.Listener, a bound TCP or Unix socket whose accept() hands
// out authenticated SocketConnections.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expected } from '../errors.js';
import { isAbstract, listenAbstract } from './abstract-socket.js';
import { describeAddress, familyOf, type Address, type Family } from './address.js';
import { authenticate } from './auth.js';
import { SocketConnection } from './connection.js';
import { ConnectionClosedError, ConnectionFailedError, ConnectionTimeoutError } from './errors.js';
import { checkObject, checkSignalOption, checkTimeout, rejected, resolveOptions, type ListenerOptions, type Resolved } from './options.js';

export interface AcceptOptions {
  /** Milliseconds to wait for a connection; then `ERR_MP_CONNECTION_TIMEOUT`. @default Infinity */
  timeout?: number;
  /** Aborting rejects the call with the signal's reason; a connection that comes later waits for the next call. */
  signal?: AbortSignal;
}

type Arrival = { connection: SocketConnection; peer: Address } | { error: Error };

interface Acceptor {
  settle(arrival: Arrival): void;
  reject(error: Error): void;
}

/**
 * A socket listening for `Client()` connections. With an `authkey`, every connection must pass the mutual
 * handshake first; handshakes run as connections arrive (one silent peer delays no one), each bounded by
 * `authTimeout`, and `accept()` hands out the next one to finish: a connection, or its `AuthenticationError`.
 */
export class Listener implements Disposable, AsyncDisposable {
  readonly #server: Server;
  readonly #address: Address;
  readonly #family: Family;
  readonly #options: Resolved;
  readonly #arrived: Arrival[] = [];
  readonly #acceptors: Acceptor[] = [];
  readonly #handshaking = new Set<SocketConnection>();
  #lastAccepted: Address | undefined;
  /** The folder made for a socket with no address given, removed on close. */
  readonly #temporary: string | undefined;
  #closed = false;

  /**
   * Binds and listens: Python's `Listener(address, family, backlog, authkey)`. `['127.0.0.1', 0]` picks a free
   * port (read it from `address`); a string is a Unix socket path, `'\0name'` a Linux abstract socket. With
   * no address, as in Python, a Unix socket in a new temporary folder (removed on close), or
   * `['127.0.0.1', 0]` for `family: 'AF_INET'`.
   */
  static listen(options?: ListenerOptions): Promise<Listener>;
  static listen(address: Address | undefined, options?: ListenerOptions): Promise<Listener>;
  static async listen(first?: Address | ListenerOptions, second: ListenerOptions = {}): Promise<Listener> {
    const givenOptions = typeof first === 'object' && first !== null && !Array.isArray(first);
    const options = givenOptions ? (first as ListenerOptions) : second;
    checkObject(options);
    let address = givenOptions ? undefined : (first as Address | undefined);
    let temporary: string | undefined;
    if (address === undefined) {
      const family = familyOf(['127.0.0.1', 0], options.family === 'AF_UNIX' ? undefined : options.family);
      if (options.family === undefined || options.family === 'AF_UNIX') {
        temporary = mkdtempSync(path.join(tmpdir(), 'mp-listener-'));
        address = path.join(temporary, 'socket');
      } else {
        address = family === 'AF_INET6' ? ['::1', 0] : ['127.0.0.1', 0];
      }
    }
    const family = familyOf(address, options.family);
    const resolved = resolveOptions(options);
    const { backlog = 511 } = options;
    if (typeof backlog !== 'number' || !Number.isInteger(backlog) || backlog < 0) throw new RangeError(expected('backlog', 'a non-negative integer', backlog));
    const server = createServer();
    try {
      const where = isAbstract(address) ? { fd: listenAbstract(address, backlog) } : typeof address === 'string' ? { path: address, backlog } : { host: address[0], port: address[1], backlog };
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(where, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      server.close();
      if (temporary !== undefined) rmSync(temporary, { recursive: true, force: true });
      throw new ConnectionFailedError('ERR_MP_LISTEN_FAILED', `could not listen on ${describeAddress(address)}: ${(error as Error).message}`, { cause: error });
    }
    const bound = server.address();
    const actual: Address = typeof bound === 'object' && bound !== null ? [bound.address, bound.port] : address;
    return new Listener(server, actual, family, resolved, temporary);
  }

  private constructor(server: Server, address: Address, family: Family, options: Resolved, temporary: string | undefined) {
    this.#server = server;
    this.#temporary = temporary;
    this.#address = address;
    this.#family = family;
    this.#options = options;
    server.on('connection', (socket: Socket) => this.#arrive(socket));
    // A socket error after listening has no caller to reject; the listener just stops.
    server.on('error', () => this.close());
    server.unref();
  }

  /** Where clients connect: `[host, port]` with the port picked, or the socket path. */
  get address(): Address {
    return this.#address;
  }

  get family(): Family {
    return this.#family;
  }

  /** The peer of the last connection `accept()` returned: `[host, port]`, or `''` for a Unix socket (unnamed). */
  get lastAccepted(): Address | undefined {
    return this.#lastAccepted;
  }

  get closed(): boolean {
    return this.#closed;
  }

  #arrive(socket: Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    if (this.#family !== 'AF_UNIX') socket.setNoDelay(true);
    const peer: Address = this.#family === 'AF_UNIX' ? '' : [socket.remoteAddress ?? '', socket.remotePort ?? 0];
    const connection = new SocketConnection(socket, this.#options);
    const { authkey, digest, authTimeout } = this.#options;
    if (authkey === undefined) {
      this.#deliver({ connection, peer });
      return;
    }
    connection.expectHandshake();
    this.#handshaking.add(connection);
    authenticate(connection, 'server', authkey, digest, authTimeout).then(
      () => {
        this.#handshaking.delete(connection);
        this.#deliver({ connection, peer });
      },
      (error: Error) => {
        this.#handshaking.delete(connection);
        connection.close();
        // A handshake cut short by close() is no one's business.
        if (!this.#closed) this.#deliver({ error });
      },
    );
  }

  #deliver(arrival: Arrival): void {
    if (this.#closed) {
      if ('connection' in arrival) arrival.connection.close();
      return;
    }
    const acceptor = this.#acceptors.shift();
    if (acceptor === undefined) this.#arrived.push(arrival);
    else acceptor.settle(arrival);
  }

  #take(arrival: Arrival): SocketConnection {
    if ('error' in arrival) throw arrival.error;
    this.#lastAccepted = arrival.peer;
    return arrival.connection;
  }

  /**
   * The next connection to pass the handshake (at once when one is waiting). Rejects with the
   * `AuthenticationError` of a peer that failed it, as Python's `accept()` raises it.
   */
  accept(options: AcceptOptions = {}): Promise<SocketConnection> {
    try {
      checkObject(options);
      const timeout = checkTimeout(options.timeout ?? Infinity);
      const signal = checkSignalOption(options.signal);
      if (this.#closed) throw new ConnectionClosedError('ERR_MP_LISTENER_CLOSED', 'this listener is closed');
      signal?.throwIfAborted();
      const arrival = this.#arrived.shift();
      if (arrival !== undefined) return Promise.resolve(this.#take(arrival));
      if (timeout === 0) throw new ConnectionTimeoutError('no connection was waiting');
      return this.#wait(timeout, signal);
    } catch (error) {
      return rejected(error);
    }
  }

  #wait(timeout: number, signal: AbortSignal | undefined): Promise<SocketConnection> {
    return new Promise<SocketConnection>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (this.#acceptors.length === 0) this.#server.unref();
      };
      const acceptor: Acceptor = {
        settle: (arrival) => {
          done();
          if ('error' in arrival) reject(arrival.error);
          else resolve(this.#take(arrival));
        },
        reject: (error) => {
          done();
          reject(error);
        },
      };
      const withdraw = (error: Error): void => {
        const at = this.#acceptors.indexOf(acceptor);
        if (at < 0) return;
        this.#acceptors.splice(at, 1);
        acceptor.reject(error);
      };
      const onAbort = (): void => withdraw(signal?.reason as Error);
      if (Number.isFinite(timeout)) timer = setTimeout(() => withdraw(new ConnectionTimeoutError(`no connection within ${timeout} ms`)), timeout);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#acceptors.push(acceptor);
      this.#server.ref();
    });
  }

  /**
   * Stops listening (a Unix socket file is removed), rejects waiting `accept()` calls with
   * `ERR_MP_LISTENER_CLOSED` and drops connections not yet accepted. Accepted connections stay open.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#server.close();
    if (this.#temporary !== undefined) rmSync(this.#temporary, { recursive: true, force: true });
    this.#server.unref();
    const error = new ConnectionClosedError('ERR_MP_LISTENER_CLOSED', 'the listener was closed while accept() was waiting');
    for (const acceptor of this.#acceptors.splice(0)) acceptor.reject(error);
    for (const arrival of this.#arrived.splice(0)) if ('connection' in arrival) arrival.connection.close();
    for (const connection of this.#handshaking) connection.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}
