// Queue: Python's multiprocessing.Queue, a bounded (or not) FIFO across threads and processes, built as
// CPython builds it: a byte channel (here a shared ring) plus a semaphore counting free slots.
import { expected } from '../errors.js';
import { downWaiting, initSemaphore, semaphoreValue, tryDown, up } from '../sync/semaphore.js';
import { checkSignal, deadlineOf, driveAsync, driveSync, type WaitOptions } from '../sync/wait.js';
import { QueueFullError } from './errors.js';
import { createQueueRegion, QueueCore, registerQueueType, type QueueOptions, type QueueRef } from './queue-core.js';
import type { Region } from '../sync/region.js';

/** Words of the queue area: the free-slot semaphore (0-2), unfinished tasks (3), maxsize (4). */
export const enum QueueWord { Slots = 0, Unfinished = 3, Maxsize = 4 }

export class Queue<T = unknown> extends QueueCore<T> {
  /** `maxsize` 0 means unbounded (puts then wait only for room in the ring). */
  constructor(maxsize = 0, options: QueueOptions = {}, region?: Region) {
    if (region === undefined && (!Number.isInteger(maxsize) || maxsize < 0 || maxsize > 0x3fffffff)) {
      throw new RangeError(expected('maxsize', 'a non-negative integer (0: unbounded)', maxsize));
    }
    super(region ?? createQueueRegion(options, (i32, at) => {
      initSemaphore(i32, at + QueueWord.Slots, maxsize, maxsize);
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

  /** Whether a bounded queue has no free slot (a snapshot). */
  full(): boolean {
    return this.maxsize > 0 && semaphoreValue(this.words, this.at + QueueWord.Slots) === 0;
  }

  /**
   * Adds an item, waiting without blocking the event loop for a free slot (and room in the ring);
   * rejects with `ERR_MP_QUEUE_FULL` after `timeout` ms, with the signal's reason on abort.
   */
  async put(item: T, options?: WaitOptions): Promise<void> {
    const parts = this.encodeItem(item);
    const deadline = deadlineOf(options);
    checkSignal(options?.signal);
    const i32 = this.words;
    const slots = this.at + QueueWord.Slots;
    const bounded = this.maxsize > 0;
    if (bounded && !tryDown(i32, slots) && !await driveAsync(downWaiting(i32, slots, deadline), options?.signal)) throw new QueueFullError();
    this.beforePut();
    let written = false;
    try {
      written = this.ring.tryWrite(parts) || await driveAsync(this.ring.write(parts, deadline), options?.signal);
    } finally {
      if (!written) this.undoPut(bounded);
    }
    if (!written) throw new QueueFullError('the queue is full: no room in its buffer within the timeout');
  }

  /** Blocking form, for worker threads and child processes. */
  putSync(item: T, options?: Omit<WaitOptions, 'signal'>): void {
    const parts = this.encodeItem(item);
    const deadline = deadlineOf(options);
    const i32 = this.words;
    const slots = this.at + QueueWord.Slots;
    const bounded = this.maxsize > 0;
    if (bounded && !tryDown(i32, slots) && !driveSync(downWaiting(i32, slots, deadline))) throw new QueueFullError();
    this.beforePut();
    let written = false;
    try {
      written = this.ring.tryWrite(parts) || driveSync(this.ring.write(parts, deadline));
    } finally {
      if (!written) this.undoPut(bounded);
    }
    if (!written) throw new QueueFullError('the queue is full: no room in its buffer within the timeout');
  }

  /** Python's `put_nowait`: `ERR_MP_QUEUE_FULL` at once when there is no room. */
  putNowait(item: T): void {
    this.putSync(item, { timeout: 0 });
  }

  /** Python's `get_nowait`: `ERR_MP_QUEUE_EMPTY` at once when nothing is there. */
  getNowait(): T {
    return this.getSync({ timeout: 0 });
  }

  protected override taken(): void {
    if (this.maxsize > 0) up(this.region.i32, this.at + QueueWord.Slots);
  }

  /** Hook for JoinableQueue: count the task before the item can be seen. */
  protected beforePut(): void {}

  protected undoPut(bounded: boolean): void {
    if (bounded) up(this.region.i32, this.at + QueueWord.Slots);
  }
}

registerQueueType('Queue', (ref) => Queue.fromRef(ref));
