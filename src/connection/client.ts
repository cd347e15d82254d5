// Client(): Python's multiprocessing.connection.Client, a connection to a Listener (a multiproc one or a
// Python one), authenticated when given an authkey.
import { connect, type Socket } from 'node:net';
import { connectAbstract, isAbstract } from './abstract-socket.js';
import { describeAddress, familyOf, type Address } from './address.js';
import { authenticate } from './auth.js';
import { SocketConnection } from './connection.js';
import { ConnectionFailedError, ConnectionTimeoutError } from './errors.js';
import { checkObject, checkSignalOption, checkTimeout, resolveOptions, type ClientOptions } from './options.js';

/**
 * Connects to `address` (`[host, port]` or a Unix socket path) and, with an `authkey`, runs the handshake
 * (this side answers first, then challenges). Rejects with `ERR_MP_CONNECTION_FAILED` when nothing
 * listens there and `ERR_MP_AUTHENTICATION` when the keys differ.
 */
export async function Client(address: Address, options: ClientOptions = {}): Promise<SocketConnection> {
  checkObject(options);
  const family = familyOf(address, options.family);
  const resolved = resolveOptions(options);
  const timeout = checkTimeout(options.timeout ?? Infinity);
  const signal = checkSignalOption(options.signal);
  signal?.throwIfAborted();
  const socket = isAbstract(address) ? await openAbstract(address, timeout, signal) : await open(address, timeout, signal);
  if (family !== 'AF_UNIX') socket.setNoDelay(true);
  const connection = new SocketConnection(socket, resolved);
  if (resolved.authkey !== undefined) {
    connection.expectHandshake();
    try {
      await authenticate(connection, 'client', resolved.authkey, resolved.digest, resolved.authTimeout, signal);
    } catch (error) {
      connection.close();
      throw error;
    }
  }
  return connection;
}

function open(address: Address, timeout: number, signal: AbortSignal | undefined): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const socket = typeof address === 'string' ? connect({ path: address }) : connect({ host: address[0], port: address[1] });
    let timer: NodeJS.Timeout | undefined;
    const settle = (error?: Error): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.off('connect', onConnect).off('error', onError);
      if (error === undefined) {
        resolve(socket);
        return;
      }
      socket.destroy();
      reject(error);
    };
    const onConnect = (): void => settle();
    const onError = (error: Error): void => {
      settle(new ConnectionFailedError('ERR_MP_CONNECTION_FAILED', `could not connect to ${describeAddress(address)}: ${error.message}`, { cause: error }));
    };
    const onAbort = (): void => settle(signal?.reason as Error);
    socket.once('connect', onConnect).once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (Number.isFinite(timeout)) timer = setTimeout(() => settle(new ConnectionTimeoutError(`could not connect to ${describeAddress(address)} within ${timeout} ms`)), timeout);
  });
}

async function openAbstract(name: string, timeout: number, signal: AbortSignal | undefined): Promise<Socket> {
  try {
    return await connectAbstract(name, performance.now() + timeout, signal);
  } catch (error) {
    if (signal?.aborted === true) throw signal.reason;
    if ((error as { code?: string }).code === 'EAGAIN') throw new ConnectionTimeoutError(`could not connect to ${describeAddress(name)} within ${timeout} ms`);
    throw new ConnectionFailedError('ERR_MP_CONNECTION_FAILED', `could not connect to ${describeAddress(name)}: ${(error as Error).message}`, { cause: error });
  }
}
