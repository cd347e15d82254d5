// BlockingConnection: Python's multiprocessing.connection.Connection with Python's blocking semantics, on a
// socket the addon owns: every call returns with its result, for worker threads and scripts.
import { now } from '../clock.js';
import { expected } from '../errors.js';
import type { BlockingSockets } from '../native/blocking-socket.js';
import { isNativeSystemError } from '../native/binding.js';
import { dumps, loads } from '../pickle/index.js';
import type { DumpOptions, LoadOptions } from '../pickle/options.js';
import { bytesOf, roomOf } from '../queue/byte-range.js';
import { BufferTooShortError } from '../queue/errors.js';
import { handshakeMaxLength } from './auth.js';
import { ConnectionClosedError, ConnectionEofError, ConnectionFailedError, ConnectionTimeoutError, MessageTooLargeError } from './errors.js';
import { encodeLongHeader, oneWriteMax, shortFormMax } from './framing.js';
import { checkObject, checkTimeout, maxlengthOf, type Framing } from './options.js';

export interface BlockingRecvOptions {
  /** Milliseconds to wait at most; then `ERR_MP_CONNECTION_TIMEOUT`, and what arrived of the message is kept for the next call. @default Infinity */
  timeout?: number;
}

/** A wait in the addon returns to JavaScript this often, so `worker.terminate()` can stop a blocked thread. */
const sliceMs = 50;
/** Bytes read ahead per system call: several small messages, or the start of a large one, in one read. */
const readAhead = 64 * 1024;

/**
 * One end of a connection made by `connectSync()` or `BlockingListener.accept()`. Messages are Python's, so
 * the peer may be a Python `Connection`, a {@link SocketConnection} or another `BlockingConnection`; every
 * call blocks the calling thread until it is done (use it in worker threads and scripts; on a main thread
 * that serves other work, {@link SocketConnection} is the one to use).
 */
export class BlockingConnection implements Disposable {
  readonly #sockets: BlockingSockets;
  #fd: number;
  readonly #maxMessageSize: number;
  readonly #dumpOptions: DumpOptions | undefined;
  readonly #loadOptions: LoadOptions | undefined;
  /** Bytes read and not yet taken: `#buf[#start, #end)`. */
  #buf = new Uint8Array(readAhead);
  #start = 0;
  #end = 0;
  /** The message in progress once its header is taken: its size, and (when longer than what was buffered) its body so far. */
  #size = -1;
  #body: Uint8Array | undefined;
  #bodyHave = 0;
  /** Handshake messages still to come under their 256-byte limit. */
  #smallLeft = 0;
  /** Header and payload of a short message, written with one system call. */
  readonly #out = new Uint8Array(4 + oneWriteMax);
  #failure: Error | undefined;
  #loading = false;
  /** How long a read tries the socket before sleeping (the `spin` option), in nanoseconds. */
  readonly #spinNs: number;

  /** @internal Made by `connectSync()` and `BlockingListener.accept()`. */
  constructor(sockets: BlockingSockets, fd: number, framing: Framing) {
    this.#sockets = sockets;
    this.#fd = fd;
    this.#spinNs = framing.spinNs;
    this.#maxMessageSize = framing.maxMessageSize;
    this.#dumpOptions = framing.dumpOptions;
    this.#loadOptions = framing.loadOptions;
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  /** The socket's file descriptor, as Python's `fileno()`. */
  fileno(): number {
    this.#assertOpen();
    return this.#fd;
  }

  /** @internal The next three incoming messages are refused past 256 bytes from their header, as Python reads a handshake. */
  expectHandshake(): void {
    this.#smallLeft = 3;
  }

  /** Sends `value` pickled (protocol 4 by default), as Python's `send(obj)`; what cannot be pickled throws before anything is sent. */
  send(value: unknown): void {
    this.#assertOpen();
    this.#write(dumps(value, this.#dumpOptions));
  }

  /** Sends `size` bytes of `buf` from byte `offset` (default: all of it) as one message, Python's `send_bytes(buf, offset, size)`. */
  sendBytes(buf: ArrayBufferView | ArrayBufferLike, offset = 0, size?: number): void {
    const bytes = bytesOf(buf, offset, size);
    this.#assertOpen();
    this.#write(bytes);
  }

  /** Receives one message and unpickles it, as Python's `recv()`, with the allow-list of `loadOptions.registry`. */
  recv<T = unknown>(options?: BlockingRecvOptions): T {
    const deadline = deadlineOf(options);
    this.#assertOpen();
    // Unpickled from the read-ahead buffer when the message is there whole: loads copies what it keeps.
    const view = !this.#loading;
    const message = this.#message(Infinity, deadline, view);
    if (!view) return loads(message, this.#loadOptions) as T;
    this.#loading = true;
    try {
      return loads(message, this.#loadOptions) as T;
    } finally {
      this.#loading = false;
    }
  }

  /**
   * Receives one message, Python's `recv_bytes(maxlength)`. A message longer than `maxlength` (or than
   * `maxMessageSize`) throws `ERR_MP_MESSAGE_TOO_LARGE` from its header, before anything is allocated for it,
   * and closes the connection. Throws `ERR_MP_CONNECTION_EOF` once the peer has closed and every message it
   * sent was received, `ERR_MP_CONNECTION_TRUNCATED` when it closed in the middle of one.
   */
  recvBytes(maxlength?: number | null, options?: BlockingRecvOptions): Uint8Array {
    const limit = maxlengthOf(maxlength);
    const deadline = deadlineOf(options);
    this.#assertOpen();
    return this.#message(limit, deadline, false);
  }

  /** Python's `recv_bytes_into(buffer, offset)`: one message into `buffer` from `offset`; its length. `ERR_MP_BUFFER_TOO_SHORT` (the message in `error.bytes`) when it does not fit. */
  recvBytesInto(buffer: ArrayBufferView | ArrayBufferLike, offset = 0, options?: BlockingRecvOptions): number {
    const room = roomOf(buffer, offset);
    const message = this.recvBytes(null, options);
    if (message.length > room.length) throw new BufferTooShortError(message, room.length);
    room.set(message);
    return message.length;
  }

  /**
   * Whether data (or the end of the stream) is waiting, after up to `timeout` ms: Python's `poll(timeout)`,
   * so `null` waits for ever and a negative timeout does not wait. @default 0
   */
  poll(timeout: number | null = 0): boolean {
    if (timeout !== null && typeof timeout !== 'number') throw new TypeError(expected('timeout', 'a number of milliseconds or null', timeout));
    const ms = timeout === null ? Infinity : checkTimeout(Math.max(0, timeout));
    this.#assertOpen();
    if (this.#end > this.#start || this.#failure !== undefined) return true;
    const deadline = now() + ms;
    for (;;) {
      const left = deadline - now();
      if (this.#sockets.poll(this.#fd, left <= 0 ? 0 : Math.min(sliceMs, Math.ceil(left)))) return true;
      if (left <= 0 || now() >= deadline) return false;
    }
  }

  /** Closes the socket; the peer sees the end of the stream once it has read what was sent. Calls after it throw `ERR_MP_CONNECTION_CLOSED`. */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    this.#buf = empty;
    this.#start = this.#end = 0;
    this.#body = undefined;
    this.#sockets.close(fd);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #assertOpen(): void {
    if (this.#fd < 0) throw new ConnectionClosedError('ERR_MP_CONNECTION_CLOSED', 'this connection is closed');
  }

  // ---- sending
  #write(payload: Uint8Array): void {
    const n = payload.length;
    if (n <= oneWriteMax) {
      // Header and payload in one write, as Python does below 16 KiB, so Nagle's algorithm cannot split them.
      const out = this.#out;
      out[0] = n >>> 24;
      out[1] = (n >>> 16) & 0xff;
      out[2] = (n >>> 8) & 0xff;
      out[3] = n & 0xff;
      out.set(payload, 4);
      this.#writeAll(out, 4 + n, false);
      return;
    }
    let header: Uint8Array;
    if (n > shortFormMax) header = encodeLongHeader(n);
    else {
      header = this.#out.subarray(0, 4);
      new DataView(header.buffer, header.byteOffset, 4).setInt32(0, n);
    }
    this.#writeAll(header, header.length, true);
    this.#writeAll(payload, n, false);
  }

  #writeAll(bytes: Uint8Array, length: number, more: boolean): void {
    let sent = 0;
    while (sent < length) {
      try {
        sent += this.#sockets.send(this.#fd, bytes, sent, length - sent, sliceMs, more);
      } catch (error) {
        throw this.#broken(error);
      }
    }
  }

  // ---- receiving
  /** The next message within `limit`: a view of the read-ahead buffer when `view` and it is there whole, else its own bytes. */
  #message(limit: number, deadline: number, view: boolean): Uint8Array {
    if (this.#failure !== undefined && this.#end === this.#start && this.#size < 0) throw this.#failure;
    if (this.#size < 0) this.#header(deadline);
    const size = this.#size;
    if (this.#body === undefined) {
      const max = Math.min(limit, this.#smallLeft > 0 ? handshakeMaxLength : this.#maxMessageSize);
      if (size > max) {
        const error = new MessageTooLargeError(size, max);
        // The stream cannot be read past a message left unread: nothing more is read or sent.
        this.close();
        throw error;
      }
      const have = this.#end - this.#start;
      if (have >= size) {
        const at = this.#start;
        this.#start = at + size;
        this.#done();
        return view ? this.#buf.subarray(at, at + size) : this.#buf.slice(at, at + size);
      }
      // Allocated only now that the size is within the limits.
      this.#body = new Uint8Array(size);
      this.#body.set(this.#buf.subarray(this.#start, this.#end));
      this.#bodyHave = have;
      this.#start = this.#end = 0;
    }
    const body = this.#body;
    while (this.#bodyHave < size) {
      const n = this.#read(body, this.#bodyHave, size - this.#bodyHave, deadline);
      this.#bodyHave += n;
    }
    this.#done();
    return body;
  }

  #done(): void {
    this.#size = -1;
    this.#body = undefined;
    this.#bodyHave = 0;
    if (this.#smallLeft > 0) this.#smallLeft--;
    if (this.#start === this.#end) this.#start = this.#end = 0;
  }

  /** Takes the next header from the stream (4 bytes, or -1 and 8 more), reading as needed; leaves it in place on a timeout. */
  #header(deadline: number): void {
    this.#fill(4, deadline);
    const b = this.#buf;
    let at = this.#start;
    const short = (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
    if (short !== -1) {
      this.#start = at + 4;
      this.#size = Math.max(0, short);
      return;
    }
    this.#fill(12, deadline);
    at = this.#start;
    const high = ((b[at + 4]! << 24) | (b[at + 5]! << 16) | (b[at + 6]! << 8) | b[at + 7]!) >>> 0;
    const low = ((b[at + 8]! << 24) | (b[at + 9]! << 16) | (b[at + 10]! << 8) | b[at + 11]!) >>> 0;
    this.#start = at + 12;
    this.#size = high * 2 ** 32 + low;
  }

  /** Reads until `n` bytes are buffered. */
  #fill(n: number, deadline: number): void {
    while (this.#end - this.#start < n) {
      if (this.#start > 0 && this.#buf.length - this.#start < n) {
        this.#buf.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      }
      this.#end += this.#read(this.#buf, this.#end, this.#buf.length - this.#end, deadline);
    }
  }

  /** At least one byte into `into[at, at + length)`; throws at the end of the stream, on a failure or past the deadline. */
  #read(into: Uint8Array, at: number, length: number, deadline: number): number {
    if (this.#failure !== undefined) throw this.#failure;
    // The first slice spins; a wait that outlasts it sleeps in poll() from then on.
    let spinNs = this.#spinNs;
    for (;;) {
      const left = deadline - now();
      let n: number;
      try {
        n = this.#sockets.recv(this.#fd, into, at, length, left <= 0 ? 0 : Math.min(sliceMs, Math.ceil(left)), spinNs);
        spinNs = 0;
      } catch (error) {
        this.#failure = this.#broken(error);
        throw this.#failure;
      }
      if (n > 0) return n;
      if (n === 0) {
        const midFrame = this.#size >= 0 || this.#end > this.#start;
        this.#failure = midFrame
          ? new ConnectionEofError('ERR_MP_CONNECTION_TRUNCATED', 'the peer closed the connection in the middle of a message')
          : new ConnectionEofError('ERR_MP_CONNECTION_EOF', 'the peer closed the connection and everything it sent has been received');
        throw this.#failure;
      }
      if (left <= 0 || now() >= deadline) throw new ConnectionTimeoutError('no whole message came in time');
    }
  }

  #broken(error: unknown): Error {
    if (!isNativeSystemError(error)) return error as Error;
    return new ConnectionFailedError('ERR_MP_CONNECTION_BROKEN', `the connection broke: ${error.message}`, { cause: error });
  }
}

const empty = new Uint8Array(0);

function deadlineOf(options: BlockingRecvOptions | undefined): number {
  if (options === undefined) return Infinity;
  checkObject(options);
  return now() + checkTimeout(options.timeout ?? Infinity);
}
