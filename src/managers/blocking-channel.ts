// BlockingChannel: a manager client's blocking calls on the calling thread, over a BlockingConnection it keeps open.
import type { Address } from '../connection/address.js';
import type { ChallengeDigest } from '../connection/auth.js';
import { connectSync } from '../connection/blocking-client.js';
import type { BlockingConnection } from '../connection/blocking-connection.js';
import type { DumpOptions, LoadOptions } from '../pickle/options.js';
import { loads } from '../pickle/reader.js';
import { dumps } from '../pickle/writer.js';
import { ManagerProtocolError, ManagerStateError } from './errors.js';
import { parseReply, request } from './protocol.js';
import { addressKey, servingHere } from './serving-here.js';

export interface BlockingChannelOptions {
  authkey: Uint8Array;
  /** The name sent with `accept_connection`. @default 'MainProcess' */
  name?: string | undefined;
  digest?: ChallengeDigest | undefined;
  authTimeout?: number | undefined;
  /** Milliseconds to wait for a connection to open. @default 20000 */
  connectTimeout?: number | undefined;
  loadOptions?: LoadOptions | undefined;
  dumpOptions?: DumpOptions | undefined;
  /** Microseconds a read tries the socket before it sleeps (BlockingConnection's `spin`). @default 50 */
  spin?: number | undefined;
}

/**
 * One method channel (`accept_connection`) to each server, opened on the first blocking call and kept for the next:
 * a thread makes one blocking call at a time, so one channel serves them all, as one Python thread's connection
 * does. A call that fails on the wire closes the channel (what was half sent or read cannot be trusted); the next
 * call opens another. Replies come back loaded, for the caller to unwrap.
 */
export class BlockingChannel {
  readonly #options: BlockingChannelOptions;
  /** The open channel to each server address. */
  readonly #connections = new Map<string, BlockingConnection>();
  #closed = false;

  constructor(options: BlockingChannelOptions) {
    this.#options = { ...options, authkey: options.authkey.slice() };
  }

  /** `method(*args, **kwds)` on the object `ident`, this thread waiting for the reply. */
  call(address: Address, ident: string, method: string, args: readonly unknown[], kwds: ReadonlyMap<unknown, unknown>): unknown {
    this.#assertUsable(address);
    const bytes = dumps(request(ident, method, args, kwds), this.#options.dumpOptions);
    const key = addressKey(address);
    const connection = this.#connections.get(key) ?? this.#channel(address, key);
    try {
      connection.sendBytes(bytes);
      return loads(connection.recvBytes(), this.#options.loadOptions);
    } catch (error) {
      connection.close();
      this.#connections.delete(key);
      throw error;
    }
  }

  /** A one-shot request (`incref`, `create`...) on a connection of its own, as Python's `dispatch()`. */
  request(address: Address, funcname: string, args: readonly unknown[] = []): unknown {
    this.#assertUsable(address);
    const connection = this.#open(address);
    try {
      connection.sendBytes(dumps(request(null, funcname, args), this.#options.dumpOptions));
      return loads(connection.recvBytes(), this.#options.loadOptions);
    } finally {
      connection.close();
    }
  }

  close(): void {
    this.#closed = true;
    for (const connection of this.#connections.values()) connection.close();
    this.#connections.clear();
  }

  #assertUsable(address: Address): void {
    if (this.#closed) throw new ManagerStateError('ERR_MP_MANAGER_STATE', 'this manager has been closed');
    // The server would need this very thread to answer: the call would wait for ever.
    if (servingHere(address)) throw new ManagerStateError('ERR_MP_MANAGER_STATE', `a blocking call to the manager server this thread runs (at ${String(address)}) would wait for ever; await the async method instead`);
  }

  #open(address: Address): BlockingConnection {
    const { authkey, digest, authTimeout, connectTimeout = 20_000, spin } = this.#options;
    return connectSync(address, {
      authkey,
      timeout: connectTimeout,
      ...(digest === undefined ? {} : { digest }),
      ...(authTimeout === undefined ? {} : { authTimeout }),
      ...(spin === undefined ? {} : { spin }),
    });
  }

  #channel(address: Address, key: string): BlockingConnection {
    const connection = this.#open(address);
    try {
      connection.sendBytes(dumps(request(null, 'accept_connection', [this.#options.name ?? 'MainProcess']), this.#options.dumpOptions));
      const [kind] = parseReply(loads(connection.recvBytes(), this.#options.loadOptions));
      if (kind !== '#RETURN') throw new ManagerProtocolError(`the server refused accept_connection (${kind})`);
    } catch (error) {
      connection.close();
      throw error;
    }
    this.#connections.set(key, connection);
    return connection;
  }
}
