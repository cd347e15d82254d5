// Semaphore and BoundedSemaphore: a counter in shared memory; sleepers are counted so release wakes only when someone sleeps.
import { expected } from '../errors.js';
import { futexWake } from '../native/futex.js';
import { SyncStateError, SyncTimeoutError } from './errors.js';
import { guardFor, type LockGuard } from './lock-base.js';
import { attachPlacement, ownRegion, SharedPrimitive, type Placement, type PrimitiveRef } from './primitive.js';
import { Kind } from './region.js';
import { checkSignal, deadlineOf, driveAsync, driveSync, left, spinWhile, type WaitOptions, type WaitSteps } from './wait.js';
import { refHandle, registerBuiltinHandle } from '../serialize/builtin-handles.js';

const enum Word { Value, Sleepers, Bound }
/** Int32 words a semaphore occupies. */
export const semaphoreWords = 3;
/** No upper bound but the word's own. */
const unbounded = -1;
/** The largest value a semaphore word holds (Linux's SEM_VALUE_MAX): one more would wrap to negative. */
const semaphoreMax = 0x7fffffff;

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

export function* downWaiting(i32: Int32Array, at: number, deadline: number): WaitSteps<boolean> {
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

/**
 * Adds `n`; nothing changes when it would pass the bound: a BoundedSemaphore's initial value
 * (`ERR_MP_SEMAPHORE_OVERFLOW`), or 2^31-1 for any semaphore (a RangeError: the word would wrap negative).
 */
export function up(i32: Int32Array, at: number, n = 1): void {
  const bound = Atomics.load(i32, at + Word.Bound);
  for (;;) {
    const value = Atomics.load(i32, at + Word.Value);
    if (bound !== unbounded && value + n > bound) {
      throw new SyncStateError('ERR_MP_SEMAPHORE_OVERFLOW', `BoundedSemaphore released too many times (value ${value}, bound ${bound})`);
    }
    if (value + n > semaphoreMax) {
      throw new RangeError(expected('n', `at most ${semaphoreMax - value} (a semaphore holds at most 2^31-1 = ${semaphoreMax}, and its value is ${value})`, n));
    }
    if (Atomics.compareExchange(i32, at + Word.Value, value, value + n) === value) break;
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
  if (typeof value !== 'number') throw new TypeError(expected('value', 'an integer from 0 to 2^30-1', value));
  if (!Number.isInteger(value) || value < 0 || value > 0x3fffffff) {
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

  /**
   * Gives back `n` units (Python's `release(n)`), waking as many sleepers. The value may not pass 2^31-1
   * (a RangeError, nothing released); a BoundedSemaphore's not its initial value (`ERR_MP_SEMAPHORE_OVERFLOW`).
   */
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

  protected override inspectState(): string {
    const bound = Atomics.load(this.i32, this.at + Word.Bound);
    return `${this.constructor.name}(value=${this.value}${bound === unbounded ? '' : `, maxvalue=${bound}`})`;
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
