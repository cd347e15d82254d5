// Pipe and Connection: Python's multiprocessing.Pipe, two connected ends over one ring per direction, with
// end-of-file once every handle of the other end is closed.
import { checkObject, expected } from '../errors.js';
import { refHandle, registerBuiltinHandle } from '../serialize/builtin-handles.js';
import { bodyOffset, Kind, Region, type RegionRef } from '../sync/region.js';
import { PendingWaits } from '../sync/pending-waits.js';
import { checkSignal, deadlineOf, driveSync, type WaitOptions, type WaitSteps } from '../sync/wait.js';
import { BufferTooShortError, PipeEofError, QueueEmptyError, QueueStateError } from './errors.js';
import { decodeParts, decodePartsSync, encodeParts } from './payload.js';
import { checkBufferSize, type QueueOptions } from './queue-core.js';
import { initRing, Ring, ringCapacity, ringHeaderBytes, type WriteResult } from './ring.js';
import { bytesOf, roomOf } from './byte-range.js';

const enum Word { Open0, Open1, Duplex, Capacity }
const pipeWords = 8;

export interface ConnectionRef extends RegionRef {
  end: 0 | 1;
}

/** One end of a Pipe. Messages go through the codec (`send`/`recv`) or as raw bytes (`sendBytes`/`recvBytes`). */
export class Connection<T = unknown> implements Disposable {
  readonly #region: Region;
  readonly #end: 0 | 1;
  readonly #incoming: Ring | undefined;
  readonly #outgoing: Ring | undefined;
  readonly #sharers: { open: number };
  #closed = false;
  /** Calls of this handle waiting now; `close()` rejects them and releases the mapping once they unwound. */
  readonly #waiting = new PendingWaits();

  /** @internal Use `Pipe()` or a reference. */
  constructor(region: Region, end: 0 | 1, sharers: { open: number }) {
    // Made by Pipe() and Connection.fromRef only: a Connection is never built by hand.
    if (!(region instanceof Region) || (end !== 0 && end !== 1) || typeof sharers?.open !== 'number') {
      throw new TypeError(expected('region', 'a pipe end made by Pipe() (Connection.fromRef attaches by reference)', region));
    }
    this.#region = region;
    this.#end = end;
    this.#sharers = sharers;
    const i32 = region.i32;
    const at = bodyOffset / 4;
    const duplex = i32[at + Word.Duplex] === 1;
    const ringWords = (ringHeaderBytes + i32[at + Word.Capacity]!) / 4;
    const ring = (n: number): Ring => new Ring(region.shm.buf, at + pipeWords + n * ringWords, { prefix: `${region.shm.name}.${n}.`, dir: region.shm.dir });
    // Ring n carries messages to end n.
    this.#incoming = duplex || end === 0 ? ring(end) : undefined;
    this.#outgoing = duplex ? ring(1 - end) : end === 1 ? ring(0) : undefined;
  }

  static fromRef(ref: ConnectionRef): Connection {
    if (typeof ref !== 'object' || ref === null || (ref.end !== 0 && ref.end !== 1)) throw new TypeError(expected('ref', 'a reference to a pipe Connection', ref));
    // The sender counted this handle as open when it made the reference.
    return new Connection(Region.attach(ref, Kind.Pipe), ref.end, { open: 1 });
  }

  toRef(): ConnectionRef {
    Atomics.add(this.#words(), bodyOffset / 4 + this.#end, 1);
    return { ...this.#region.ref, end: this.#end };
  }

  get readable(): boolean {
    return this.#incoming !== undefined;
  }

  get writable(): boolean {
    return this.#outgoing !== undefined;
  }

  get closed(): boolean {
    return this.#closed;
  }

  #words(): Int32Array {
    this.#assertOpen();
    return this.#region.i32;
  }

  #assertOpen(): void {
    if (this.#closed || this.#region.disposed) throw new QueueStateError('ERR_MP_QUEUE_CLOSED', 'this Connection is closed');
  }

  #out(): Ring {
    this.#assertOpen();
    if (this.#outgoing === undefined) throw new QueueStateError('ERR_MP_PIPE_CLOSED', 'this end of a one-way Pipe only receives');
    if (this.#outgoing.readerClosed) throw new QueueStateError('ERR_MP_PIPE_CLOSED', 'the other end of the pipe is closed (broken pipe)');
    return this.#outgoing;
  }

  #in(): Ring {
    this.#assertOpen();
    if (this.#incoming === undefined) throw new QueueStateError('ERR_MP_PIPE_CLOSED', 'this end of a one-way Pipe only sends');
    return this.#incoming;
  }

  /**
   * Sends `size` bytes of `buf` from byte `offset` (Python's `send_bytes(buf, offset, size)`; default: all
   * of it) as one message; waits (without blocking the event loop) only while the ring has no room.
   */
  async sendBytes(buf: ArrayBufferView | ArrayBufferLike, offset = 0, size?: number, options?: Pick<WaitOptions, 'signal'>): Promise<void> {
    await this.#send([bytesOf(buf, offset, size)], options);
  }

  sendBytesSync(buf: ArrayBufferView | ArrayBufferLike, offset = 0, size?: number): void {
    this.#sendSync([bytesOf(buf, offset, size)]);
  }

  async #send(parts: Uint8Array[], options: Pick<WaitOptions, 'signal'> | undefined): Promise<void> {
    if (options !== undefined) checkObject('options', options);
    checkSignal(options?.signal);
    const ring = this.#out();
    if (!ring.tryWrite(parts)) this.#sent(ring, await this.#waitFor(ring.write(parts, Infinity), options?.signal));
  }

  #sendSync(parts: Uint8Array[]): void {
    const ring = this.#out();
    if (!ring.tryWrite(parts)) this.#sent(ring, driveSync(ring.write(parts, Infinity)));
  }

  #sent(ring: Ring, result: WriteResult): void {
    if (result === 'written') return;
    if (ring.readerClosed) throw new QueueStateError('ERR_MP_PIPE_CLOSED', 'the other end of the pipe is closed (broken pipe)');
    throw new QueueStateError('ERR_MP_QUEUE_CLOSED', 'this Connection is closed');
  }

  /** As QueueCore's: the caller's signal, or closing this handle, rejects the wait. */
  #waitFor<R>(waiting: WaitSteps<R>, signal: AbortSignal | undefined): Promise<R> {
    return this.#waiting.run(waiting, signal, () => this.#closed, () => this.#release());
  }


  async send(value: T, options?: Pick<WaitOptions, 'signal'>): Promise<void> {
    await this.#send(encodeParts(value), options);
  }

  sendSync(value: T): void {
    this.#sendSync(encodeParts(value));
  }

  /**
   * Receives one message as bytes. Rejects with `ERR_MP_PIPE_EOF` once the other end is closed and
   * drained, `ERR_MP_QUEUE_EMPTY` after `timeout` ms.
   */
  async recvBytes(options?: WaitOptions): Promise<Uint8Array> {
    const deadline = deadlineOf(options);
    checkSignal(options?.signal);
    const ring = this.#in();
    return this.#received(ring, ring.tryRead() ?? await this.#waitFor(ring.read(deadline), options?.signal));
  }

  recvBytesSync(options?: Omit<WaitOptions, 'signal'>): Uint8Array {
    const ring = this.#in();
    return this.#received(ring, ring.tryRead() ?? driveSync(ring.read(deadlineOf(options))));
  }

  #received(ring: Ring, bytes: Uint8Array | undefined): Uint8Array {
    if (bytes !== undefined) return bytes;
    if (ring.writerClosed && !ring.hasData) throw new PipeEofError();
    throw new QueueEmptyError('nothing received within the timeout');
  }

  /**
   * Python's `recv_bytes_into`: receives one message into `buffer` from byte `offset` and returns its
   * length; `ERR_MP_BUFFER_TOO_SHORT` (with the message in `error.bytes`) when it does not fit.
   */
  async recvBytesInto(buffer: ArrayBufferView | ArrayBufferLike, offset = 0, options?: WaitOptions): Promise<number> {
    const into = roomOf(buffer, offset);
    return copyInto(into, await this.recvBytes(options));
  }

  recvBytesIntoSync(buffer: ArrayBufferView | ArrayBufferLike, offset = 0, options?: Omit<WaitOptions, 'signal'>): number {
    const into = roomOf(buffer, offset);
    return copyInto(into, this.recvBytesSync(options));
  }

  async recv(options?: WaitOptions): Promise<T> {
    return (await decodeParts(await this.recvBytes(options))) as T;
  }

  recvSync(options?: Omit<WaitOptions, 'signal'>): T {
    return decodePartsSync(this.recvBytesSync(options)) as T;
  }

  /**
   * Whether a message (or end-of-file) is waiting, after up to `timeout` ms: Python's `poll(timeout)`, so a
   * negative timeout does not wait and `null` waits for ever. @default timeout 0
   */
  async poll(timeout: number | null | WaitOptions = 0): Promise<boolean> {
    const options = pollOptions(timeout);
    const deadline = deadlineOf(options);
    checkSignal(options.signal);
    return this.#waitFor(this.#in().readable(deadline), options.signal);
  }

  pollSync(timeout: number | null | Omit<WaitOptions, 'signal'> = 0): boolean {
    return driveSync(this.#in().readable(deadlineOf(pollOptions(timeout))));
  }

  /** Closes this handle; when no handle of this end is left, the other end sees end-of-file. */
  close(): void {
    if (this.#closed) return;
    const i32 = this.#region.i32;
    const at = bodyOffset / 4;
    this.#closed = true;
    if (!this.#region.disposed && Atomics.sub(i32, at + this.#end, 1) === 1) {
      this.#outgoing?.closeSide('writer');
      this.#incoming?.closeSide('reader');
    }
    if (this.#waiting.size === 0) {
      this.#release();
      return;
    }
    const error = new QueueStateError('ERR_MP_QUEUE_CLOSED', 'this Connection was closed while a call on it was waiting');
    this.#waiting.abortAll(error);
  }

  #release(): void {
    if (--this.#sharers.open === 0) this.#region.dispose();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function copyInto(room: Uint8Array, message: Uint8Array): number {
  if (message.length > room.length) throw new BufferTooShortError(message, room.length);
  room.set(message);
  return message.length;
}

function pollOptions(timeout: number | null | WaitOptions): WaitOptions {
  if (timeout === null) return {};
  if (typeof timeout === 'number') return { timeout: Number.isNaN(timeout) ? timeout : Math.max(0, timeout) };
  if (typeof timeout !== 'object') throw new TypeError(expected('timeout', 'a number of milliseconds, null or options', timeout));
  const ms = timeout.timeout ?? 0;
  return { ...timeout, timeout: typeof ms === 'number' && ms < 0 ? 0 : ms };
}

export interface PipeOptions extends QueueOptions {
  /** Both ends send and receive; one-way gives `[receiver, sender]`. @default true */
  duplex?: boolean;
}

/** Python's `Pipe(duplex)`: two connected ends, to keep one and pass the other to a worker. */
export function Pipe<T = unknown>(options: PipeOptions = {}): [Connection<T>, Connection<T>] {
  checkObject('options', options);
  const duplex = options.duplex ?? true;
  if (typeof duplex !== 'boolean') throw new TypeError(expected('duplex', 'a boolean', duplex));
  const capacity = ringCapacity(checkBufferSize(options.bufferSize));
  const ringBytes = ringHeaderBytes + capacity;
  const region = Region.create(Kind.Pipe, pipeWords * 4 + 2 * ringBytes, (r) => {
    const at = bodyOffset / 4;
    r.i32[at + Word.Open0] = 1;
    r.i32[at + Word.Open1] = 1;
    r.i32[at + Word.Duplex] = duplex ? 1 : 0;
    r.i32[at + Word.Capacity] = capacity;
    initRing(r.i32, at + pipeWords, capacity);
    initRing(r.i32, at + pipeWords + ringBytes / 4, capacity);
  });
  const sharers = { open: 2 };
  return [new Connection<T>(region, 0, sharers), new Connection<T>(region, 1, sharers)];
}

registerBuiltinHandle(refHandle('multiproc.Connection', Connection, (ref: ConnectionRef) => Connection.fromRef(ref)));
