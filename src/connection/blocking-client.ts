// connectSync(): Python's multiprocessing.connection.Client with Python's blocking semantics, a
// BlockingConnection to a Listener (multiproc's, blocking or not, or Python's), authenticated when given an authkey.
import { blockingSockets } from '../native/blocking-socket.js';
import { isNativeSystemError } from '../native/binding.js';
import { describeAddress, familyOf, type Address } from './address.js';
import { authenticateSync } from './blocking-auth.js';
import { BlockingConnection } from './blocking-connection.js';
import { ConnectionFailedError, ConnectionTimeoutError } from './errors.js';
import { checkObject, checkTimeout, resolveOptions, type AuthOptions, type ConnectionOptions } from './options.js';
import type { Family } from './address.js';

export interface ConnectSyncOptions extends ConnectionOptions, AuthOptions {
  family?: Family;
  /** Milliseconds to wait for the connection to open (the handshake has `authTimeout`). @default Infinity */
  timeout?: number;
}

/**
 * Connects to `address` (`[host, port]`, a Unix socket path, or `'\0name'` for a Linux abstract socket) and, with
 * an `authkey`, runs the handshake (this side answers first, then challenges), blocking the calling thread
 * throughout. Throws `ERR_MP_CONNECTION_FAILED` when nothing listens there, `ERR_MP_CONNECTION_TIMEOUT` past
 * `timeout`, and `ERR_MP_AUTHENTICATION` when the keys differ.
 */
export function connectSync(address: Address, options: ConnectSyncOptions = {}): BlockingConnection {
  checkObject(options);
  familyOf(address, options.family);
  const resolved = resolveOptions(options);
  const timeout = checkTimeout(options.timeout ?? Infinity);
  const sockets = blockingSockets();
  let fd: number;
  try {
    fd = typeof address === 'string'
      ? sockets.connect(true, address, 0, Number.isFinite(timeout) ? Math.ceil(timeout) : -1)
      : sockets.connect(false, address[0], address[1], Number.isFinite(timeout) ? Math.ceil(timeout) : -1);
  } catch (error) {
    if (isNativeSystemError(error) && error.code === 'ETIMEDOUT') throw new ConnectionTimeoutError(`could not connect to ${describeAddress(address)} within ${timeout} ms`);
    throw new ConnectionFailedError('ERR_MP_CONNECTION_FAILED', `could not connect to ${describeAddress(address)}: ${(error as Error).message}`, { cause: error });
  }
  const connection = new BlockingConnection(sockets, fd, resolved);
  if (resolved.authkey !== undefined) {
    try {
      authenticateSync(connection, 'client', resolved.authkey, resolved.digest, resolved.authTimeout);
    } catch (error) {
      connection.close();
      throw error;
    }
  }
  return connection;
}
