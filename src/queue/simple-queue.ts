// SimpleQueue: Python's multiprocessing.SimpleQueue, an unbounded FIFO with just put, get and empty.
import type { Region } from '../sync/region.js';
import { checkSignal, driveSync, type WaitOptions } from '../sync/wait.js';
import { checkRegion, createQueueRegion, QueueCore, registerQueueType, type QueueOptions, type QueueRef } from './queue-core.js';

export class SimpleQueue<T = unknown> extends QueueCore<T> {
  constructor(options: QueueOptions = {}, region?: Region) {
    checkRegion(region, 'SimpleQueue');
    super(region ?? createQueueRegion(options, () => undefined));
  }

  static fromRef(ref: QueueRef): SimpleQueue {
    return new SimpleQueue({}, QueueCore.attachRegion(ref, 'SimpleQueue'));
  }

  toRef(): QueueRef {
    return { ...this.region.ref, type: 'SimpleQueue' };
  }

  /** Adds an item; waits (without blocking the event loop) only while the ring has no room. */
  async put(item: T, options?: Pick<WaitOptions, 'signal'>): Promise<void> {
    const parts = this.encodeItem(item);
    checkSignal(options?.signal);
    if (!this.ring.tryWrite(parts)) await this.waitFor(this.ring.write(parts, Infinity), options?.signal);
  }

  putSync(item: T): void {
    const parts = this.encodeItem(item);
    if (!this.ring.tryWrite(parts)) driveSync(this.ring.write(parts, Infinity));
  }
}

registerQueueType('SimpleQueue', (ref) => SimpleQueue.fromRef(ref));
