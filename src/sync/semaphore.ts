// Semaphore and BoundedSemaphore: a counter in shared memory; sleepers are counted so release wakes only when someone sleeps.
import { expected } from '../errors.js';
import { futexWake } from '../native/futex.js';
import { SyncStateError, SyncTimeoutError } from './errors.js';
import { guardFor, type LockGuard } from './lock-base.js';
import { attachPlacement, ownRegion, SharedPrimitive, type Placement, type PrimitiveRef } from './primitive.js';
import { Kind } from './region.js';
import { checkSignal, deadlineOf, driveAsync, driveSync, left, spinWhile, type WaitOptions, type Waiting } from './wait.js';
import { refHandle, registerBuiltinHandle } from '../serialize/builtin-handles.js';

const enum Word { Value, Sleepers, Bound }
/** Int32 words a semaphore occupies. */
export const semaphoreWords = 3;
/** No upper bound. */
const unbounded = -1;

export function initSemaphore(i32: Int32Array, at: number, value: number, bound: number): void {
  i32[at + Word.Value] = value;
  i32[at + Word.Bound] = bound;
}

export function tryDown(i32: Int32Array, at: number): boolean {
  for (;;) {
    const value = Atomics.load(i32, at + Word.Value);
    if (value <= 0) return false;
    if (Atomics.compareExchange(i32, at + Word.Value, value, value - 1) === value) return true;
  }
}

export function* downWaiting(i32: Int32Array, at: number, deadline: number): Waiting<boolean> {
  const index = at + Word.Value;
  for (;;) {
    if (tryDown(i32, at)) return true;
    if (spinWhile(i32, index, 0) && tryDown(i32, at)) return true;
    const ms = left(deadline);
    if (ms === 0) return false;
    Atomics.add(i32, at + Word.Sleepers, 1);
    try {
      // One read: sleeping on a value read later than the check would miss a release in between.
      const value = Atomics.load(i32, index);
      if (value <= 0) yield { i32, index, value, ms };
    } finally {
      Atomics.sub(i32, at + Word.Sleepers, 1);
    }
  }
}

/** Adds `n`; a bounded semaphore refuses to pass its bound (nothing changes then). */
export function up(i32: Int32Array, at: number, n = 1): void {
  const bound = Atomics.load(i32, at + Word.Bound);
  if (bound === unbounded) {
    Atomics.add(i32, at + Word.Value, n);
  } else {
    for (;;) {
      const value = Atomics.load(i32, at + Word.Value);
      if (value + n > bound) throw new SyncStateError('ERR_MP_SEMAPHORE_OVERFLOW', `BoundedSemaphore released too many times (value ${value}, bound ${bound})`);
      if (Atomics.compareExchange(i32, at + Word.Value, value, value + n) === value) break;
    }
  }
  if (Atomics.load(i32, at + Word.Sleepers) > 0) futexWake(i32, at + Word.Value, n);
}

export function semaphoreValue(i32: Int32Array, at: number): number {
  return Atomics.load(i32, at + Word.Value);
}

export interface SemaphoreOptions {
  /** @default 1 */
  value?: number;
}

function checkValue(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0x3fffffff) {
    throw new RangeError(expected('value', 'an integer from 0 to 2^30-1', value));
  }
  return value;
}

export class Semaphore extends SharedPrimitive {
  constructor(value: number = 1, placement?: Placement) {
    const initial = checkValue(value);
    super(placement ?? ownRegion(Kind.Semaphore, semaphoreWords * 4,
      (region, at) => initSemaphore(region.i32, at, initial, new.target === BoundedSemaphore ? initial : unbounded)));
  }

  static fromRef(ref: PrimitiveRef): Semaphore {
    return new Semaphore(0, attachPlacement(ref, [Kind.Semaphore]));
  }

  /** Takes one unit, waiting without blocking the event loop; false after `timeout` ms. */
  async acquire(options?: WaitOptions): Promise<boolean> {
    const i32 = this.i32;
    const deadline = deadlineOf(options);
    checkSignal(options?.signal);
    return tryDown(i32, this.at) || await driveAsync(downWaiting(i32, this.at, deadline), options?.signal);
  }

  /** Blocking form, for worker threads and child processes. */
  acquireSync(options?: Omit<WaitOptions, 'signal'>): boolean {
    const i32 = this.i32;
    const deadline = deadlineOf(options);
    return tryDown(i32, this.at) || driveSync(downWaiting(i32, this.at, deadline));
  }

  tryAcquire(): boolean {
    return tryDown(this.i32, this.at);
  }

  /** Gives back `n` units (Python's `release(n)`), waking as many sleepers. */
  release(n = 1): void {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(expected('n', 'a positive integer', n));
    up(this.i32, this.at, n);
  }

  async guard(options?: WaitOptions): Promise<LockGuard> {
    if (!await this.acquire(options)) throw new SyncTimeoutError(`a unit of this ${this.constructor.name}`, options?.timeout);
    return guardFor(() => this.release());
  }

  guardSync(options?: Omit<WaitOptions, 'signal'>): LockGuard {
    if (!this.acquireSync(options)) throw new SyncTimeoutError(`a unit of this ${this.constructor.name}`, options?.timeout);
    return guardFor(() => this.release());
  }

  /** The current value (Python's `get_value()`). */
  get value(): number {
    return semaphoreValue(this.i32, this.at);
  }
}

/** A Semaphore that refuses (`ERR_MP_SEMAPHORE_OVERFLOW`) to be released above its initial value. */
export class BoundedSemaphore extends Semaphore {
  static override fromRef(ref: PrimitiveRef): BoundedSemaphore {
    return new BoundedSemaphore(0, attachPlacement(ref, [Kind.Semaphore]));
  }
}

registerBuiltinHandle(refHandle('multiproc.Semaphore', Semaphore, (ref: PrimitiveRef) => Semaphore.fromRef(ref)));
registerBuiltinHandle(refHandle('multiproc.BoundedSemaphore', BoundedSemaphore, (ref: PrimitiveRef) => BoundedSemaphore.fromRef(ref)));
