// BlockingListener: Python's multiprocessing.connection.Listener with Python's blocking semantics, a bound TCP or
// Unix socket owned by the addon whose accept() blocks and hands out authenticated BlockingConnections.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { now } from '../clock.js';
import { expected } from '../errors.js';
import { blockingSockets, type BlockingSockets } from '../native/blocking-socket.js';
import { describeAddress, familyOf, type Address, type Family } from './address.js';
import { authenticateSync } from './blocking-auth.js';
import { BlockingConnection } from './blocking-connection.js';
import { ConnectionClosedError, ConnectionFailedError, ConnectionTimeoutError } from './errors.js';
import { checkObject, checkTimeout, resolveOptions, type ListenerOptions, type Resolved } from './options.js';

export interface BlockingAcceptOptions {
  /** Milliseconds to wait for a connection (its handshake has `authTimeout`); then `ERR_MP_CONNECTION_TIMEOUT`. @default Infinity */
  timeout?: number;
}

/** A wait in the addon returns to JavaScript this often, so `worker.terminate()` can stop a blocked thread. */
const sliceMs = 50;

/**
 * A socket listening for clients (`connectSync()`, `Client()`, or Python's `Client`). `accept()` blocks until a
 * connection comes and, with an `authkey`, has passed the mutual handshake, as Python's `Listener.accept()`.
 */
export class BlockingListener implements Disposable {
  readonly #sockets: BlockingSockets;
  #fd: number;
  readonly #address: Address;
  readonly #family: Family;
  readonly #options: Resolved;
  readonly #temporary: string | undefined;
  readonly #socketFile: string | undefined;

  /**
   * Binds and listens, as Python's `Listener(address, family, backlog, authkey)`: `['127.0.0.1', 0]` picks a free
   * port (read it from `address`), a string is a Unix socket path, `'\0name'` a Linux abstract socket; with no
   * address, a Unix socket in a new temporary folder (removed on close), or `['127.0.0.1', 0]` for `family: 'AF_INET'`.
   */
  static listen(address?: Address, options: ListenerOptions = {}): BlockingListener {
    checkObject(options);
    let where = address;
    let temporary: string | undefined;
    if (where === undefined) {
      if (options.family === undefined || options.family === 'AF_UNIX') {
        temporary = mkdtempSync(path.join(tmpdir(), 'mp-listener-'));
        where = path.join(temporary, 'socket');
      } else {
        where = options.family === 'AF_INET6' ? ['::1', 0] : ['127.0.0.1', 0];
      }
    }
    const family = familyOf(where, options.family);
    const resolved = resolveOptions(options);
    const { backlog = 511 } = options;
    if (typeof backlog !== 'number' || !Number.isInteger(backlog) || backlog < 0) throw new RangeError(expected('backlog', 'a non-negative integer', backlog));
    const sockets = blockingSockets();
    let fd: number;
    let port: number;
    try {
      [fd, port] = typeof where === 'string' ? sockets.listen(true, where, 0, backlog) : sockets.listen(false, where[0], where[1], backlog);
    } catch (error) {
      if (temporary !== undefined) rmSync(temporary, { recursive: true, force: true });
      throw new ConnectionFailedError('ERR_MP_LISTEN_FAILED', `could not listen on ${describeAddress(where)}: ${(error as Error).message}`, { cause: error });
    }
    const actual: Address = typeof where === 'string' ? where : [where[0], port];
    const socketFile = typeof where === 'string' && !where.startsWith('\0') ? where : undefined;
    return new BlockingListener(sockets, fd, actual, family, resolved, temporary, socketFile);
  }

  private constructor(
    sockets: BlockingSockets, fd: number, address: Address, family: Family, options: Resolved, temporary: string | undefined, socketFile: string | undefined,
  ) {
    this.#sockets = sockets;
    this.#fd = fd;
    this.#address = address;
    this.#family = family;
    this.#options = options;
    this.#temporary = temporary;
    this.#socketFile = socketFile;
  }

  /** Where clients connect: `[host, port]` with the port picked, or the socket path. */
  get address(): Address {
    return this.#address;
  }

  get family(): Family {
    return this.#family;
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  /**
   * The next connection, after its handshake when the listener has an `authkey`. Throws the
   * `AuthenticationError` of a peer that failed it (that connection is closed), as Python's `accept()` raises it.
   */
  accept(options: BlockingAcceptOptions = {}): BlockingConnection {
    checkObject(options);
    const timeout = checkTimeout(options.timeout ?? Infinity);
    const deadline = now() + timeout;
    for (;;) {
      if (this.#fd < 0) throw new ConnectionClosedError('ERR_MP_LISTENER_CLOSED', 'this listener is closed');
      const left = deadline - now();
      const fd = this.#sockets.accept(this.#fd, left <= 0 ? 0 : Math.min(sliceMs, Math.ceil(left)));
      if (fd >= 0) return this.#admit(fd);
      if (left <= 0 || now() >= deadline) throw new ConnectionTimeoutError(`no connection within ${timeout} ms`);
    }
  }

  #admit(fd: number): BlockingConnection {
    const connection = new BlockingConnection(this.#sockets, fd, this.#options);
    const { authkey, digest, authTimeout } = this.#options;
    if (authkey === undefined) return connection;
    try {
      authenticateSync(connection, 'server', authkey, digest, authTimeout);
    } catch (error) {
      connection.close();
      throw error;
    }
    return connection;
  }

  /** Stops listening (a Unix socket file is removed); accepted connections stay open. */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    this.#sockets.close(fd);
    if (this.#socketFile !== undefined) rmSync(this.#socketFile, { force: true });
    if (this.#temporary !== undefined) rmSync(this.#temporary, { recursive: true, force: true });
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
