// Pipe and Connection: Python's multiprocessing.Pipe, two connected ends over one ring per direction, with
// end-of-file once every handle of the other end is closed.
import { expected } from '../errors.js';
import { refHandle, registerBuiltinHandle } from '../serialize/builtin-handles.js';
import { bodyOffset, Kind, Region, type RegionRef } from '../sync/region.js';
import { checkSignal, deadlineOf, driveAsync, driveSync, type WaitOptions } from '../sync/wait.js';
import { PipeEofError, QueueEmptyError, QueueStateError } from './errors.js';
import { decodeParts, decodePartsSync, encodeParts } from './payload.js';
import type { QueueOptions } from './queue-core.js';
import { initRing, Ring, ringCapacity, ringHeaderBytes } from './ring.js';

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

  /** @internal Use `Pipe()` or a reference. */
  constructor(region: Region, end: 0 | 1, sharers: { open: number }) {
    this.#region = region;
    this.#end = end;
    this.#sharers = sharers;
    const i32 = region.i32;
    const at = bodyOffset / 4;
    const duplex = i32[at + Word.Duplex] === 1;
    const ringWords = (ringHeaderBytes + i32[at + Word.Capacity]!) / 4;
    const ring = (n: number): Ring => new Ring(region.shm.buf, at + pipeWords + n * ringWords);
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

  /** Sends raw bytes; waits (without blocking the event loop) only while the ring has no room. */
  async sendBytes(bytes: Uint8Array, options?: Pick<WaitOptions, 'signal'>): Promise<void> {
    if (!(bytes instanceof Uint8Array)) throw new TypeError(expected('bytes', 'a Uint8Array', bytes));
    await this.#send([bytes], options);
  }

  async #send(parts: Uint8Array[], options: Pick<WaitOptions, 'signal'> | undefined): Promise<void> {
    checkSignal(options?.signal);
    const ring = this.#out();
    if (!ring.tryWrite(parts)) await driveAsync(ring.write(parts, Infinity), options?.signal);
  }

  #sendSync(parts: Uint8Array[]): void {
    const ring = this.#out();
    if (!ring.tryWrite(parts)) driveSync(ring.write(parts, Infinity));
  }

  sendBytesSync(bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array)) throw new TypeError(expected('bytes', 'a Uint8Array', bytes));
    this.#sendSync([bytes]);
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
    return this.#received(ring, ring.tryRead() ?? await driveAsync(ring.read(deadline), options?.signal));
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

  async recv(options?: WaitOptions): Promise<T> {
    return (await decodeParts(await this.recvBytes(options))) as T;
  }

  recvSync(options?: Omit<WaitOptions, 'signal'>): T {
    return decodePartsSync(this.recvBytesSync(options)) as T;
  }

  /** Whether a message (or end-of-file) is waiting, after up to `timeout` ms. @default timeout 0 */
  async poll(options: WaitOptions = { timeout: 0 }): Promise<boolean> {
    const deadline = deadlineOf({ timeout: 0, ...options });
    checkSignal(options.signal);
    return driveAsync(this.#in().readable(deadline), options.signal);
  }

  pollSync(options: Omit<WaitOptions, 'signal'> = { timeout: 0 }): boolean {
    return driveSync(this.#in().readable(deadlineOf({ timeout: 0, ...options })));
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
    if (--this.#sharers.open === 0) this.#region.dispose();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

export interface PipeOptions extends QueueOptions {
  /** Both ends send and receive; one-way gives `[receiver, sender]`. @default true */
  duplex?: boolean;
}

/** Python's `Pipe(duplex)`: two connected ends, to keep one and pass the other to a worker. */
export function Pipe<T = unknown>(options: PipeOptions = {}): [Connection<T>, Connection<T>] {
  const duplex = options.duplex ?? true;
  if (typeof duplex !== 'boolean') throw new TypeError(expected('duplex', 'a boolean', duplex));
  const capacity = ringCapacity(options.bufferSize ?? 1 << 20);
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
