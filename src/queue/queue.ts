// Queue: Python's multiprocessing.Queue, a bounded (or not) FIFO across threads and processes, built as
// CPython builds it: a byte channel (here a shared ring) plus a semaphore counting free slots.
import { expected } from '../errors.js';
import { checkSignal, deadlineOf, driveSync, type WaitOptions } from '../sync/wait.js';
import { QueueFullError, QueueShutDownError } from './errors.js';
import type { WriteResult } from './ring.js';
import { checkRegion, createQueueRegion, QueueCore, registerQueueType, type QueueOptions, type QueueRef } from './queue-core.js';
import type { Region } from '../sync/region.js';

/** Words of the queue area: tasks marked done (JoinableQueue) and maxsize. The ring counts the items. */
export const enum QueueWord { Done = 3, Maxsize = 4 }

export interface ShutdownOptions {
  /** Also discard the items waiting, so gets raise at once. @default false */
  immediate?: boolean;
}

export class Queue<T = unknown> extends QueueCore<T> {
  /** `maxsize` 0 means unbounded (puts then wait only for room in the ring). */
  constructor(maxsize = 0, options: QueueOptions = {}, region?: Region) {
    checkRegion(region, new.target.name);
    if (region === undefined && typeof maxsize !== 'number') throw new TypeError(expected('maxsize', 'a non-negative integer (0: unbounded)', maxsize));
    if (region === undefined && (!Number.isInteger(maxsize) || maxsize < 0 || maxsize > 0x3fffffff)) {
      throw new RangeError(expected('maxsize', 'a non-negative integer (0: unbounded)', maxsize));
    }
    super(region ?? createQueueRegion(options, (i32, at) => {
      i32[at + QueueWord.Maxsize] = maxsize;
    }));
  }

  static fromRef(ref: QueueRef): Queue {
    return new Queue(0, {}, QueueCore.attachRegion(ref, 'Queue'));
  }

  toRef(): QueueRef {
    return { ...this.region.ref, type: 'Queue' };
  }

  get maxsize(): number {
    return this.region.i32[this.at + QueueWord.Maxsize]!;
  }

  protected override inspectBound(): string {
    return ` maxsize=${this.maxsize}`;
  }

  /** Whether a bounded queue has no free slot (a snapshot). */
  full(): boolean {
    this.assertOpen();
    return this.maxsize > 0 && this.ring.count >= this.maxsize;
  }

  /**
   * Adds an item, waiting without blocking the event loop for a free slot (and room in the ring);
   * rejects with `ERR_MP_QUEUE_FULL` after `timeout` ms, `ERR_MP_QUEUE_SHUT_DOWN` once the queue is shut
   * down, with the signal's reason on abort.
   */
  async put(item: T, options?: WaitOptions): Promise<void> {
    const parts = this.encodeItem(item);
    const deadline = deadlineOf(options);
    checkSignal(options?.signal);
    const maxsize = this.maxsize;
    if (this.ring.tryWrite(parts, maxsize)) return;
    this.#check(await this.waitFor(this.ring.write(parts, deadline, maxsize), options?.signal));
  }

  /** Blocking form, for worker threads and child processes. */
  putSync(item: T, options?: Omit<WaitOptions, 'signal'>): void {
    const parts = this.encodeItem(item);
    const deadline = deadlineOf(options);
    const maxsize = this.maxsize;
    if (this.ring.tryWrite(parts, maxsize)) return;
    this.#check(driveSync(this.ring.write(parts, deadline, maxsize)));
  }

  #check(result: WriteResult): void {
    if (result === 'closed') throw new QueueShutDownError();
    if (result === 'timeout') throw new QueueFullError();
  }

  /** Python's `put_nowait`: `ERR_MP_QUEUE_FULL` at once when there is no room. */
  putNowait(item: T): void {
    this.putSync(item, { timeout: 0 });
  }

  /** Python's `get_nowait`: `ERR_MP_QUEUE_EMPTY` at once when nothing is there. */
  getNowait(): T {
    return this.getSync({ timeout: 0 });
  }

  /**
   * Python 3.13's `shutdown`, for every handle in every process: puts raise `ERR_MP_QUEUE_SHUT_DOWN` from
   * now on and gets once the queue is empty (`immediate`: at once, the items waiting are discarded).
   * Waiting puts and gets wake and raise.
   */
  shutdown(options: ShutdownOptions = {}): void {
    if (typeof options !== 'object' || options === null) throw new TypeError(expected('options', 'an object', options));
    const immediate = options.immediate ?? false;
    if (typeof immediate !== 'boolean') throw new TypeError(expected('immediate', 'a boolean', immediate));
    this.assertOpen();
    this.ring.closeSide('writer', immediate);
    if (immediate) this.discarded(driveSync(this.ring.discard()));
  }

  /** Whether `shutdown()` was called on this queue (by any handle). */
  get isShutDown(): boolean {
    this.assertOpen();
    return this.ring.writerClosed;
  }

  /** Hook for JoinableQueue: `n` items were discarded by an immediate shutdown. */
  protected discarded(n: number): void {
    void n;
  }
}

registerQueueType('Queue', (ref) => Queue.fromRef(ref));
