// SocketConnection: Python's multiprocessing.connection.Connection over a stream socket (TCP or Unix),
// framed as Python frames, read ahead into whole messages so that a timed-out or aborted call loses nothing.
import type { Socket } from 'node:net';
import { expected } from '../errors.js';
import { bytesOf, roomOf } from '../queue/byte-range.js';
import { BufferTooShortError } from '../queue/errors.js';
import {
  ConnectionClosedError,
  ConnectionEofError,
  ConnectionFailedError,
  ConnectionTimeoutError,
  MessageTooLargeError,
} from './errors.js';
import { handshakeMaxLength } from './auth.js';
import { encodeFrame, encodeHeader, FrameReader, oneWriteMax } from './framing.js';
import { checkObject, checkSignalOption, checkTimeout, maxlengthOf, rejected, type Framing } from './options.js';
import { dumps, loads } from '../pickle/index.js';
import { holdLoopSpin } from '../native/loop-spin.js';
import type { DumpOptions, LoadOptions } from '../pickle/options.js';

export interface RecvOptions {
  /** Milliseconds to wait at most; then `ERR_MP_CONNECTION_TIMEOUT`, and the message, when it comes, is kept for the next call. @default Infinity */
  timeout?: number;
  /** Aborting rejects the call with the signal's reason; nothing is lost. */
  signal?: AbortSignal;
}

export interface PollOptions {
  /** Milliseconds to wait at most. @default 0 */
  timeout?: number;
  signal?: AbortSignal;
}

/** Complete messages read ahead past this many bytes, with no call waiting, stop the reading until one is taken. */
const readAheadBytes = 4 * 1024 * 1024;

interface Receiver {
  maxlength: number;
  resolve(frame: Uint8Array): void;
  reject(error: Error): void;
}

interface Watcher {
  ready(): void;
  reject(error: Error): void;
}

/**
 * One end of a connection made by a {@link Listener} or by `Client()`. Messages are Python's: any Python
 * `Connection` at the other end reads what this one sends, and the reverse.
 */
export class SocketConnection implements Disposable, AsyncDisposable {
  readonly #socket: Socket;
  readonly #reader: FrameReader;
  readonly #receivers: Receiver[] = [];
  readonly #watchers = new Set<Watcher>();
  /** Why nothing more will be read: EOF, a truncated or oversized message, a broken socket. Raised once the messages before it are taken. */
  #failure: Error | undefined;
  /** Why nothing more can be sent. */
  #sendFailure: Error | undefined;
  #closed = false;
  #paused = false;
  /** Calls and writes in flight: while there are any, the socket keeps the process alive. */
  #busy = 0;
  #drain: Promise<void> | undefined;
  readonly #gone: Promise<void>;
  readonly #onWritten = (): void => this.#release();
  readonly #dumpOptions: DumpOptions | undefined;
  readonly #loadOptions: LoadOptions | undefined;
  /** The `spin` option, in nanoseconds: held by each call that waits. */
  readonly #spinNs: number;

  /** @internal Made by `Listener.accept()` and `Client()`. */
  constructor(socket: Socket, options: Framing) {
    this.#socket = socket;
    this.#reader = new FrameReader(options.maxMessageSize);
    this.#dumpOptions = options.dumpOptions;
    this.#loadOptions = options.loadOptions;
    this.#spinNs = options.spinNs;
    this.#gone = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.#onEnd());
    socket.on('error', (error) => this.#onError(error));
    socket.on('close', () => this.#onEnd());
    socket.unref();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * @internal Before a handshake: its three incoming messages are refused past 256 bytes from their header (Python
   * reads them with that maximum), so nothing larger is allocated for a peer not yet authenticated.
   */
  expectHandshake(): void {
    this.#reader.limitNext(3, handshakeMaxLength);
  }

  /**
   * Sends `size` bytes of `buf` from byte `offset` (default: all of it) as one message, Python's
   * `send_bytes(buf, offset, size)`. Resolves once the bytes are queued; a large message (more than
   * 16 KiB, not copied) once the system has taken it, so the buffer may then be reused.
   */
  sendBytes(buf: ArrayBufferView | ArrayBufferLike, offset = 0, size?: number): Promise<void> {
    try {
      return this.#send(bytesOf(buf, offset, size));
    } catch (error) {
      return rejected(error);
    }
  }

  /**
   * Sends `value` pickled, as Python's `send(obj)`: protocol 4 by default, so any Python from 3.8 reads it
   * with `recv()`. What cannot be pickled throws before anything is sent.
   */
  send(value: unknown): Promise<void> {
    try {
      this.#assertOpen();
      return this.#send(dumps(value, this.#dumpOptions));
    } catch (error) {
      return rejected(error);
    }
  }

  /**
   * Receives one message and unpickles it, as Python's `recv()`: globals only from the allow-list of
   * `loadOptions.registry`; a dict is a `Map` unless `loadOptions.dict` is `'object'`.
   */
  async recv<T = unknown>(options?: RecvOptions): Promise<T> {
    return loads(await this.recvBytes(null, options), this.#loadOptions) as T;
  }

  /** One message of `payload` bytes (taken as is, not copied, when long). */
  #send(payload: Uint8Array): Promise<void> {
    this.#assertOpen();
    if (this.#sendFailure !== undefined) throw this.#sendFailure;
    const socket = this.#socket;
    if (payload.length <= oneWriteMax) {
      this.#hold();
      return socket.write(encodeFrame(payload), this.#onWritten) ? Promise.resolve() : this.#drained();
    }
    return new Promise((resolve, reject) => {
      this.#hold();
      socket.cork();
      socket.write(encodeHeader(payload.length));
      socket.write(payload, (error) => {
        this.#release();
        if (error === undefined || error === null) resolve();
        else reject(this.#sendFailure ?? broken(error));
      });
      socket.uncork();
    });
  }

  #drained(): Promise<void> {
    this.#drain ??= new Promise<void>((resolve) => {
      const done = (): void => {
        this.#socket.off('drain', done).off('close', done);
        this.#drain = undefined;
        resolve();
      };
      this.#socket.on('drain', done).on('close', done);
    });
    return this.#drain;
  }

  /**
   * Receives one message, Python's `recv_bytes(maxlength)`. A message longer than `maxlength` rejects with
   * `ERR_MP_MESSAGE_TOO_LARGE` and closes the connection, as Python's leaves the stream unreadable.
   * Rejects with `ERR_MP_CONNECTION_EOF` once the peer has closed and every message it sent was received.
   */
  recvBytes(maxlength?: number | null, options?: RecvOptions): Promise<Uint8Array> {
    try {
      const limit = maxlengthOf(maxlength);
      const { timeout, signal } = recvOptions(options);
      this.#assertOpen();
      signal?.throwIfAborted();
      if (this.#receivers.length === 0) {
        const ready = this.#takeFor(limit);
        if (ready !== undefined) return Promise.resolve(ready);
      }
      if (timeout === 0) throw new ConnectionTimeoutError('no message was waiting');
      return this.#wait(limit, timeout, signal);
    } catch (error) {
      return rejected(error);
    }
  }

  /** The next message when it is here and within `limit`; throws the failure when that is all that is left. */
  #takeFor(limit: number): Uint8Array | undefined {
    const size = this.#reader.nextSize();
    if (size !== undefined && size > limit) {
      // The stream cannot be read past a message left unread; what follows it is dropped too.
      const error = new MessageTooLargeError(size, limit);
      this.#reader.discard();
      this.#stop(error);
      throw error;
    }
    const frame = this.#reader.take();
    if (frame !== undefined) {
      this.#flow();
      return frame;
    }
    if (this.#failure !== undefined) throw this.#failure;
    return undefined;
  }

  #wait(maxlength: number, timeout: number, signal: AbortSignal | undefined): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      // The answer to a request often comes within microseconds: the loop tries for it before it sleeps.
      const unspin = holdLoopSpin(this.#spinNs);
      const settle = (): void => {
        unspin();
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#release();
      };
      const receiver: Receiver = {
        maxlength,
        resolve: (frame) => (settle(), resolve(frame)),
        reject: (error) => (settle(), reject(error)),
      };
      const withdraw = (error: Error): void => {
        const at = this.#receivers.indexOf(receiver);
        if (at < 0) return;
        this.#receivers.splice(at, 1);
        receiver.reject(error);
      };
      const onAbort = (): void => withdraw(signal?.reason as Error);
      if (Number.isFinite(timeout)) timer = setTimeout(() => withdraw(new ConnectionTimeoutError(`no message within ${timeout} ms`)), timeout);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#hold();
      this.#receivers.push(receiver);
      this.#flow();
    });
  }

  /**
   * Python's `recv_bytes_into(buffer, offset)`: receives one message into `buffer` from byte `offset` and
   * resolves with its length; `ERR_MP_BUFFER_TOO_SHORT` (the message in `error.bytes`) when it does not fit.
   */
  async recvBytesInto(buffer: ArrayBufferView | ArrayBufferLike, offset = 0, options?: RecvOptions): Promise<number> {
    const room = roomOf(buffer, offset);
    const message = await this.recvBytes(null, options);
    if (message.length > room.length) throw new BufferTooShortError(message, room.length);
    room.set(message);
    return message.length;
  }

  /**
   * Whether a call to `recvBytes` would not wait (a message, or the end of the stream, is here), after up to
   * `timeout` ms: Python's `poll(timeout)`, so `null` waits for ever and a negative timeout does not wait.
   * @default timeout 0
   */
  poll(timeout: number | null | PollOptions = 0): Promise<boolean> {
    try {
      const options = pollOptions(timeout);
      this.#assertOpen();
      options.signal?.throwIfAborted();
      if (this.#readyNow()) return Promise.resolve(true);
      if (options.timeout === 0) return Promise.resolve(false);
      return this.#watch(options.timeout, options.signal);
    } catch (error) {
      return rejected(error);
    }
  }

  #readyNow(): boolean {
    return this.#reader.count > 0 || this.#failure !== undefined;
  }

  #watch(timeout: number, signal: AbortSignal | undefined): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const unspin = holdLoopSpin(this.#spinNs);
      const finish = (settle: () => void): void => {
        if (!this.#watchers.delete(watcher)) return;
        unspin();
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#release();
        settle();
      };
      const watcher: Watcher = {
        ready: () => finish(() => resolve(true)),
        reject: (error) => finish(() => reject(error)),
      };
      const onAbort = (): void => watcher.reject(signal?.reason as Error);
      if (Number.isFinite(timeout)) timer = setTimeout(() => finish(() => resolve(false)), timeout);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#hold();
      this.#watchers.add(watcher);
      this.#flow();
    });
  }

  /**
   * Closes the connection: calls waiting on it reject with `ERR_MP_CONNECTION_CLOSED` at once, messages already
   * sent are still delivered, and the peer then sees the end of the stream.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const error = new ConnectionClosedError('ERR_MP_CONNECTION_CLOSED', 'the connection was closed while a call on it was waiting');
    for (const receiver of this.#receivers.splice(0)) receiver.reject(error);
    for (const watcher of [...this.#watchers]) watcher.reject(error);
    this.#busy = 0;
    const socket = this.#socket;
    socket.unref();
    if (socket.destroyed) return;
    socket.pause();
    // Whatever was sent is flushed first; the peer then reads to the end and sees EOF.
    socket.end(() => socket.destroy());
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Closes, and resolves once the socket is closed (what was sent has been flushed). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.#gone;
  }

  #assertOpen(): void {
    if (this.#closed) throw new ConnectionClosedError('ERR_MP_CONNECTION_CLOSED', 'this connection is closed');
  }

  #onData(chunk: Buffer): void {
    if (this.#closed) return;
    try {
      this.#reader.push(chunk);
    } catch (error) {
      this.#stop(error as MessageTooLargeError);
    }
    this.#dispatch();
  }

  /** An oversized message: nothing more is read or sent; waiting calls get the messages before it, then the error. */
  #stop(error: MessageTooLargeError): void {
    this.#failure = error;
    this.#sendFailure = error;
    this.#socket.destroy();
  }

  #onEnd(): void {
    if (this.#failure === undefined) {
      this.#failure = this.#reader.midFrame
        ? new ConnectionEofError('ERR_MP_CONNECTION_TRUNCATED', 'the peer closed the connection in the middle of a message')
        : new ConnectionEofError('ERR_MP_CONNECTION_EOF', 'the peer closed the connection and everything it sent has been received');
    }
    this.#sendFailure ??= new ConnectionFailedError('ERR_MP_CONNECTION_BROKEN', 'the peer has closed the connection');
    this.#dispatch();
  }

  #onError(error: Error): void {
    this.#failure ??= broken(error);
    this.#sendFailure ??= broken(error);
    this.#dispatch();
  }

  #dispatch(): void {
    if (this.#closed) return;
    while (this.#receivers.length > 0) {
      const receiver = this.#receivers[0]!;
      let frame: Uint8Array | undefined;
      try {
        frame = this.#takeFor(receiver.maxlength);
      } catch (error) {
        // EOF or a failure after the last message (or an oversized one): every waiting call gets it.
        for (const waiting of this.#receivers.splice(0)) waiting.reject(error as Error);
        break;
      }
      if (frame === undefined) break;
      this.#receivers.shift();
      receiver.resolve(frame);
    }
    if (this.#watchers.size > 0 && this.#readyNow()) for (const watcher of [...this.#watchers]) watcher.ready();
    this.#flow();
  }

  /** Reads ahead while someone waits or little is buffered; otherwise leaves the data with the kernel. */
  #flow(): void {
    const full = this.#reader.bufferedBytes >= readAheadBytes && this.#receivers.length === 0;
    if (full === this.#paused || this.#socket.destroyed) return;
    this.#paused = full;
    if (full) this.#socket.pause();
    else this.#socket.resume();
  }

  #hold(): void {
    if (this.#busy++ === 0 && !this.#closed) this.#socket.ref();
  }

  #release(): void {
    if (this.#closed || this.#busy === 0) return;
    if (--this.#busy === 0) this.#socket.unref();
  }
}

function broken(error: Error): ConnectionFailedError {
  return new ConnectionFailedError('ERR_MP_CONNECTION_BROKEN', `the connection broke: ${error.message}`, { cause: error });
}

function recvOptions(options: RecvOptions | undefined): { timeout: number; signal: AbortSignal | undefined } {
  if (options === undefined) return { timeout: Infinity, signal: undefined };
  checkObject(options);
  return { timeout: checkTimeout(options.timeout ?? Infinity), signal: checkSignalOption(options.signal) };
}

function pollOptions(timeout: number | null | PollOptions): { timeout: number; signal: AbortSignal | undefined } {
  if (timeout === null) return { timeout: Infinity, signal: undefined };
  if (typeof timeout === 'number') return { timeout: checkTimeout(Math.max(0, timeout)), signal: undefined };
  if (typeof timeout !== 'object') throw new TypeError(expected('timeout', 'a number of milliseconds, null or options', timeout));
  const ms = timeout.timeout ?? 0;
  return { timeout: checkTimeout(typeof ms === 'number' && ms < 0 ? 0 : ms), signal: checkSignalOption(timeout.signal) };
}

