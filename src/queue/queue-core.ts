// What every queue shares: a segment holding a ring (and a queue's own words), payloads through the codec,
// and the closed state of this handle (closing it rejects the calls still waiting on it).
import { checkObject, expected } from '../errors.js';
import { registerBuiltinHandle } from '../serialize/builtin-handles.js';
import { decodeParts, decodePartsSync, encodeParts } from './payload.js';
import { bodyOffset, Kind, Region, type RegionRef } from '../sync/region.js';
import { initRing, Ring, ringCapacity, ringHeaderBytes } from './ring.js';
import { PendingWaits } from '../sync/pending-waits.js';
import { inspectCustom } from '../sync/primitive.js';
import { checkSignal, deadlineOf, driveSync, type WaitOptions, type WaitSteps } from '../sync/wait.js';
import { QueueEmptyError, QueueShutDownError, QueueStateError } from './errors.js';

export interface QueueOptions {
  /**
   * Bytes of the shared ring the items travel through (rounded up to a power of two). An item larger than
   * half of it travels in a shared-memory segment of its own, named in the ring. @default 1048576
   */
  bufferSize?: number;
}

/** Int32 words a queue keeps before its ring: tasks done (JoinableQueue), maxsize. */
export const queueWords = 8;

export interface QueueRef extends RegionRef {
  type: 'Queue' | 'JoinableQueue' | 'SimpleQueue';
}

/** The default bufferSize of queues and pipes, bytes. */
export const defaultBufferSize = 1 << 20;

/** `bufferSize` of a queue or a pipe: an integer from 1 to 2^30 bytes. */
export function checkBufferSize(value: unknown): number {
  const size = value ?? defaultBufferSize;
  const what = 'an integer from 1 to 2^30 bytes';
  if (typeof size !== 'number') throw new TypeError(expected('bufferSize', what, size));
  if (!Number.isInteger(size) || size < 1 || size > 2 ** 30) throw new RangeError(expected('bufferSize', what, size));
  return size;
}

/** The queues' last constructor parameter is internal (attaching by reference): anything else given there is refused. */
export function checkRegion(region: unknown, what: string): void {
  if (region !== undefined && !(region instanceof Region)) {
    throw new TypeError(expected('region', `nothing: ${what}'s last parameter is internal (${what}.fromRef attaches by reference)`, region));
  }
}

export function createQueueRegion(options: QueueOptions, init: (i32: Int32Array, at: number) => void): Region {
  checkObject('options', options);
  const capacity = ringCapacity(checkBufferSize(options.bufferSize));
  const at = bodyOffset / 4;
  return Region.create(Kind.Queue, queueWords * 4 + ringHeaderBytes + capacity, (region) => {
    init(region.i32, at);
    initRing(region.i32, at + queueWords, capacity);
  });
}

/** How each queue class attaches from a reference; one codec handle serves them all, keyed by `type`. */
const attachers = new Map<QueueRef['type'], (ref: QueueRef) => QueueCore<unknown>>();

export function registerQueueType(type: QueueRef['type'], fromRef: (ref: QueueRef) => QueueCore<unknown>): void {
  attachers.set(type, fromRef);
}

export abstract class QueueCore<T> implements Disposable {
  protected readonly region: Region;
  protected readonly ring: Ring;
  /** Int32 index of the queue's own words. */
  protected readonly at = bodyOffset / 4;
  #closed = false;
  /** Whether this handle put or got anything (a closed, unused queue still answers `empty()`, as Python's). */
  #used = false;
  /** Calls of this handle waiting now; `close()` rejects them and releases the mapping once they unwound. */
  readonly #waiting = new PendingWaits();

  protected constructor(region: Region) {
    this.region = region;
    this.ring = new Ring(region.shm.buf, this.at + queueWords, { prefix: `${region.shm.name}.`, dir: region.shm.dir });
  }

  protected static attachRegion(ref: QueueRef, type: QueueRef['type']): Region {
    if (typeof ref !== 'object' || ref === null || ref.type !== type) throw new TypeError(expected('ref', `a reference to a ${type}`, ref));
    return Region.attach(ref, Kind.Queue);
  }

  abstract toRef(): QueueRef;

  /** Throws `ERR_MP_QUEUE_CLOSED` once this handle is closed. */
  protected assertOpen(): void {
    if (this.#closed || this.region.disposed) throw new QueueStateError('ERR_MP_QUEUE_CLOSED', `this ${this.constructor.name} is closed`);
  }

  protected get words(): Int32Array {
    this.assertOpen();
    return this.region.i32;
  }

  protected encodeItem(item: T): Uint8Array[] {
    this.assertOpen();
    this.#used = true;
    return encodeParts(item);
  }

  /**
   * Runs a slow path as a Promise that the caller's signal, or closing this handle, rejects. The
   * generator's `finally` (which releases ring locks) runs before the mapping goes.
   */
  protected waitFor<R>(waiting: WaitSteps<R>, signal: AbortSignal | undefined): Promise<R> {
    return this.#waiting.run(waiting, signal, () => this.#closed, () => this.region.dispose());
  }


  protected decodeItemSync(bytes: Uint8Array): T {
    return decodePartsSync(bytes) as T;
  }

  protected async decodeItem(bytes: Uint8Array): Promise<T> {
    return (await decodeParts(bytes)) as T;
  }

  /**
   * Takes the oldest item, waiting without blocking the event loop; `ERR_MP_QUEUE_EMPTY` after `timeout` ms,
   * `ERR_MP_QUEUE_SHUT_DOWN` once the queue is shut down and empty, `ERR_MP_QUEUE_CLOSED` when this handle
   * is closed meanwhile.
   */
  async get(options?: WaitOptions): Promise<T> {
    const deadline = deadlineOf(options);
    checkSignal(options?.signal);
    this.assertOpen();
    this.#used = true;
    const bytes = this.ring.tryRead() ?? await this.waitFor(this.ring.read(deadline), options?.signal);
    return this.decodeItem(this.#took(bytes));
  }

  /** Blocking form, for worker threads and child processes. */
  getSync(options?: Omit<WaitOptions, 'signal'>): T {
    const deadline = deadlineOf(options);
    this.assertOpen();
    this.#used = true;
    return this.decodeItemSync(this.#took(this.ring.tryRead() ?? driveSync(this.ring.read(deadline))));
  }

  #took(bytes: Uint8Array | undefined): Uint8Array {
    if (bytes !== undefined) return bytes;
    if (this.ring.writerClosed) throw new QueueShutDownError();
    throw new QueueEmptyError();
  }

  /** What `util.inspect` and `console.log` show: `<Queue size=3 maxsize=10>`, never the segment's words. */
  [inspectCustom](): string {
    if (this.closed) return `<${this.constructor.name} closed>`;
    return `<${this.constructor.name} size=${this.ring.count}${this.inspectBound()}>`;
  }

  /** What `util.inspect` adds after the size: a bounded queue's `maxsize`. */
  protected inspectBound(): string {
    return '';
  }

  /** Items put and not yet taken (a snapshot, as Python's `qsize()`). */
  qsize(): number {
    this.assertOpen();
    return this.ring.count;
  }

  /** Whether nothing is waiting to be taken (a snapshot). True on a closed handle that was never used. */
  empty(): boolean {
    if (this.closed && !this.#used) return true;
    this.assertOpen();
    return !this.ring.hasData;
  }

  get closed(): boolean {
    return this.#closed || this.region.disposed;
  }

  get segmentName(): string {
    return this.region.shm.name;
  }

  /**
   * Releases this handle: its puts and gets then throw `ERR_MP_QUEUE_CLOSED`, and those still waiting
   * reject with it. The creating handle also removes the segment's name; handles attached elsewhere keep
   * working.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#waiting.size === 0) {
      this.region.dispose();
      return;
    }
    const error = new QueueStateError('ERR_MP_QUEUE_CLOSED', `this ${this.constructor.name} was closed while a call on it was waiting`);
    this.#waiting.abortAll(error);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

registerBuiltinHandle<QueueCore<unknown>>({
  name: 'multiproc.Queue',
  type: QueueCore as unknown as abstract new () => QueueCore<unknown>,
  toRef: (queue) => queue.toRef(),
  fromRef: (ref) => {
    const attach = attachers.get((ref as QueueRef | null)?.type as QueueRef['type']);
    if (attach === undefined) throw new TypeError(expected('ref', 'a reference to a Queue, JoinableQueue or SimpleQueue', ref));
    return attach(ref as QueueRef);
  },
});
