// The options of Listener, Client and their connections, documented and checked in one place.
import { constants } from 'node:buffer';
import { expected } from '../errors.js';
import { resolveDumpOptions, resolveLoadOptions, type DumpOptions, type LoadOptions } from '../pickle/options.js';
import { digests, type ChallengeDigest } from './auth.js';
import type { Family } from './address.js';

export interface SpinOptions {
  /**
   * Microseconds a wait for a message keeps trying before it sleeps, yielding the CPU between tries: a blocking
   * `recv` tries its socket; an async `recv` or `poll`, while it waits, has the event loop try for events before
   * it sleeps (within 20 ms of the call; past that the loop sleeps at once). A message that comes within that time
   * is taken without a sleep and a wake-up, which are most of a loopback round trip; a wait that lasts longer
   * costs this much CPU once. `0` sleeps at once.
   * @default 50
   */
  spin?: number;
}

export interface ConnectionOptions extends SpinOptions {
  /**
   * The longest message this side accepts, in bytes. A longer one is refused from its header, before
   * anything is allocated, with `ERR_MP_MESSAGE_TOO_LARGE`, and the connection is closed.
   * @default 268435456 (256 MiB)
   */
  maxMessageSize?: number;
  /** How `send(value)` pickles (the protocol, the registry). @default protocol 4, as Python 3.8 to 3.13 send */
  dumpOptions?: DumpOptions;
  /** How `recv()` unpickles (the allow-list of globals, dicts as Maps or objects, limits). */
  loadOptions?: LoadOptions;
}

export interface AuthOptions {
  /** The shared secret. With it, the mutual HMAC handshake runs before any message (even an empty key, as in Python 3.13). */
  authkey?: Uint8Array;
  /** Milliseconds the whole handshake may take before the connection is dropped (`ERR_MP_AUTHENTICATION_TIMEOUT`). @default 20000 */
  authTimeout?: number;
  /**
   * The challenges this side sends: `{sha256}` and 40 random bytes as Python 3.12+ does, another digest Python
   * accepts, or `'legacy'` (20 random bytes, as Python 3.11). Every Python from 3.6 answers a modern challenge.
   * Answers are accepted in any form Python accepts, a raw HMAC-MD5 included. @default 'sha256'
   */
  digest?: ChallengeDigest;
}

export interface ListenerOptions extends ConnectionOptions, AuthOptions {
  /** Taken from the address when left out (`[host, port]` is TCP, a string is a Unix socket). */
  family?: Family;
  /** The kernel's queue of connections not yet taken (connections are taken at once and queued here). @default 511 */
  backlog?: number;
}

export interface ClientOptions extends ConnectionOptions, AuthOptions {
  family?: Family;
  /** Milliseconds to wait for the connection to open (the handshake has `authTimeout`). @default Infinity */
  timeout?: number;
  /** Aborting rejects the call with the signal's reason and drops the connection. */
  signal?: AbortSignal;
}

export const defaultSpin = 50;

/** The `spin` option in nanoseconds, for the addon. */
export function spinNsOf(options: SpinOptions): number {
  const { spin = defaultSpin } = options;
  if (typeof spin !== 'number' || !Number.isFinite(spin) || spin < 0 || spin > 1_000_000) {
    throw new RangeError(expected('spin', 'a number of microseconds from 0 to 1000000', spin));
  }
  return Math.round(spin * 1000);
}

export const defaultMaxMessageSize = 256 * 1024 * 1024;
export const defaultAuthTimeout = 20_000;

/** What a connection, of either kind, keeps of its options. */
export interface Framing {
  maxMessageSize: number;
  /** The `spin` option, in nanoseconds. */
  spinNs: number;
  dumpOptions: DumpOptions | undefined;
  loadOptions: LoadOptions | undefined;
}

export interface Resolved extends Framing {
  authkey: Uint8Array | undefined;
  authTimeout: number;
  digest: ChallengeDigest;
}

export function checkObject(options: unknown, name = 'options'): void {
  if (typeof options !== 'object' || options === null) throw new TypeError(expected(name, 'an object', options));
}

export function resolveOptions(options: ConnectionOptions & AuthOptions): Resolved {
  checkObject(options);
  const { maxMessageSize = defaultMaxMessageSize, authkey, authTimeout = defaultAuthTimeout, digest = 'sha256', dumpOptions, loadOptions } = options;
  if (typeof maxMessageSize !== 'number' || !Number.isInteger(maxMessageSize) || maxMessageSize < 0 || maxMessageSize > constants.MAX_LENGTH) {
    throw new RangeError(expected('maxMessageSize', `an integer number of bytes from 0 to ${constants.MAX_LENGTH}`, maxMessageSize));
  }
  if (authkey !== undefined && !(authkey instanceof Uint8Array)) throw new TypeError(expected('authkey', 'a Uint8Array', authkey));
  checkTimeout(authTimeout, 'authTimeout');
  if (digest !== 'legacy' && !digests.includes(digest)) {
    throw new TypeError(expected('digest', `one of 'legacy', ${digests.map((d) => `'${d}'`).join(', ')}`, digest));
  }
  // Checked now, so a bad option fails here rather than at the first message.
  if (dumpOptions !== undefined) resolveDumpOptions(dumpOptions);
  if (loadOptions !== undefined) resolveLoadOptions(loadOptions);
  const spinNs = spinNsOf(options);
  // Copied, so a caller who reuses the array cannot change the key under a running handshake.
  return { maxMessageSize, spinNs, authkey: authkey === undefined ? undefined : authkey.slice(), authTimeout, digest, dumpOptions, loadOptions };
}

/** `recv_bytes(maxlength)`'s limit: `undefined` or `null` is none. */
export function maxlengthOf(maxlength: unknown): number {
  if (maxlength === undefined || maxlength === null) return Infinity;
  if (typeof maxlength !== 'number' || !Number.isInteger(maxlength) || maxlength < 0) {
    throw new RangeError(expected('maxlength', 'a non-negative integer number of bytes or null', maxlength));
  }
  return maxlength;
}

export function checkTimeout(timeout: unknown, name = 'timeout'): number {
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0) {
    throw new RangeError(expected(name, 'a non-negative number of milliseconds or Infinity', timeout));
  }
  return timeout;
}

export function checkSignalOption(signal: unknown): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) throw new TypeError(expected('signal', 'an AbortSignal', signal));
  return signal;
}

/** A rejected promise with `error`, as thrown (an argument check's TypeError, a coded error, a signal's reason). */
export function rejected(error: unknown): Promise<never> {
  const reason = error as Error;
  return Promise.reject(reason);
}
