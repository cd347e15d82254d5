// JoinableQueue: a Queue that counts unfinished tasks; taskDone() marks one done and join() waits for none.
// Unfinished is derived: items ever published (the ring's count, moved in the same store as the item) less
// tasks marked done, so a producer killed mid-put cannot leave a task counted that never arrives.
import { futexWake } from '../native/futex.js';
import type { Region } from '../sync/region.js';
import { checkSignal, deadlineOf, driveSync, left, type WaitOptions, type WaitSteps } from '../sync/wait.js';
import { QueueStateError } from './errors.js';
import { QueueCore, registerQueueType, type QueueOptions, type QueueRef } from './queue-core.js';
import { Queue, QueueWord } from './queue.js';

export class JoinableQueue<T = unknown> extends Queue<T> {
  constructor(maxsize = 0, options: QueueOptions = {}, region?: Region) {
    super(maxsize, options, region);
  }

  static override fromRef(ref: QueueRef): JoinableQueue {
    return new JoinableQueue(0, {}, QueueCore.attachRegion(ref, 'JoinableQueue'));
  }

  override toRef(): QueueRef {
    return { ...this.region.ref, type: 'JoinableQueue' };
  }

  /** Marks one item taken with `get` as processed; `ERR_MP_TASK_DONE_TOO_MANY` if none is outstanding. */
  taskDone(): void {
    const i32 = this.words;
    const index = this.at + QueueWord.Done;
    for (;;) {
      const done = Atomics.load(i32, index);
      const unfinished = (this.ring.written - done) | 0;
      if (unfinished <= 0) throw new QueueStateError('ERR_MP_TASK_DONE_TOO_MANY', 'taskDone() called more times than items were put');
      if (Atomics.compareExchange(i32, index, done, (done + 1) | 0) === done) {
        if (unfinished === 1) futexWake(i32, index);
        return;
      }
    }
  }

  protected override discarded(n: number): void {
    if (n === 0) return;
    const i32 = this.region.i32;
    Atomics.add(i32, this.at + QueueWord.Done, n);
    futexWake(i32, this.at + QueueWord.Done);
  }

  /** Items put and not yet marked done. */
  get unfinished(): number {
    const done = Atomics.load(this.words, this.at + QueueWord.Done);
    return Math.max(0, (this.ring.written - done) | 0);
  }

  /** Resolves once every item put has been marked done; false after `timeout` ms. */
  async join(options?: WaitOptions): Promise<boolean> {
    const deadline = deadlineOf(options);
    checkSignal(options?.signal);
    return this.waitFor(this.#joining(deadline), options?.signal);
  }

  joinSync(options?: Omit<WaitOptions, 'signal'>): boolean {
    return driveSync(this.#joining(deadlineOf(options)));
  }

  *#joining(deadline: number): WaitSteps<boolean> {
    const i32 = this.words;
    const index = this.at + QueueWord.Done;
    for (;;) {
      const done = Atomics.load(i32, index);
      if (((this.ring.written - done) | 0) <= 0) return true;
      const ms = left(deadline);
      if (ms === 0) return false;
      // A put does not wake joiners, but it cannot bring the count to zero either; the slice bounds a miss.
      yield { i32, index, value: done, ms: Math.min(ms, 1000) };
    }
  }
}

registerQueueType('JoinableQueue', (ref) => JoinableQueue.fromRef(ref));
