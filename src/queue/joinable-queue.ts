// JoinableQueue: a Queue that counts unfinished tasks; taskDone() marks one done and join() waits for none.
import { futexWake } from '../native/futex.js';
import type { Region } from '../sync/region.js';
import { checkSignal, deadlineOf, driveAsync, driveSync, left, type WaitOptions, type Waiting } from '../sync/wait.js';
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

  protected override beforePut(): void {
    Atomics.add(this.words, this.at + QueueWord.Unfinished, 1);
  }

  protected override undoPut(bounded: boolean): void {
    super.undoPut(bounded);
    this.#done();
  }

  /** Marks one item taken with `get` as processed; `ERR_MP_TASK_DONE_TOO_MANY` if none is outstanding. */
  taskDone(): void {
    const i32 = this.words;
    const index = this.at + QueueWord.Unfinished;
    for (;;) {
      const unfinished = Atomics.load(i32, index);
      if (unfinished <= 0) throw new QueueStateError('ERR_MP_TASK_DONE_TOO_MANY', 'taskDone() called more times than items were put');
      if (Atomics.compareExchange(i32, index, unfinished, unfinished - 1) === unfinished) break;
    }
    if (Atomics.load(i32, index) === 0) futexWake(i32, index);
  }

  #done(): void {
    if (Atomics.sub(this.region.i32, this.at + QueueWord.Unfinished, 1) === 1) futexWake(this.region.i32, this.at + QueueWord.Unfinished);
  }

  /** Items put and not yet marked done. */
  get unfinished(): number {
    return Atomics.load(this.words, this.at + QueueWord.Unfinished);
  }

  /** Resolves once every item put has been marked done; false after `timeout` ms. */
  async join(options?: WaitOptions): Promise<boolean> {
    const deadline = deadlineOf(options);
    checkSignal(options?.signal);
    return driveAsync(this.#joining(deadline), options?.signal);
  }

  joinSync(options?: Omit<WaitOptions, 'signal'>): boolean {
    return driveSync(this.#joining(deadlineOf(options)));
  }

  *#joining(deadline: number): Waiting<boolean> {
    const i32 = this.words;
    const index = this.at + QueueWord.Unfinished;
    for (;;) {
      const unfinished = Atomics.load(i32, index);
      if (unfinished === 0) return true;
      const ms = left(deadline);
      if (ms === 0) return false;
      yield { i32, index, value: unfinished, ms };
    }
  }
}

registerQueueType('JoinableQueue', (ref) => JoinableQueue.fromRef(ref));
