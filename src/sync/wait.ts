// Waiting, written once: a primitive's slow path is a generator that yields "sleep on this word while it
// holds this value, for at most this long", and two drivers run it blocking (workers) or as a Promise.
import { expected } from '../errors.js';
import { futexWait, futexWaitAsync, type WaitOptions } from '../native/futex.js';

export type { WaitOptions };

/** One step of a wait: sleep on this word while it holds this value, for at most this long. */
export interface WordSleep {
  i32: Int32Array;
  index: number;
  value: number;
  /** Milliseconds; the generator re-checks its state (and its deadline) after each sleep. */
  ms: number;
}

/** A primitive's slow path: the sleeps it asks for, then its result (driven by driveSync or driveAsync). */
export type WaitSteps<T> = Generator<WordSleep, T, void>;

/** How long an owner-checking waiter sleeps before looking whether the holder is still alive. */
export const ownerCheckMs = 200;
const spins = 64;

export function deadlineOf(options: WaitOptions | undefined): number {
  if (options === undefined) return Infinity;
  if (typeof options !== 'object' || options === null) throw new TypeError(expected('options', 'an object', options));
  const { timeout } = options;
  if (timeout === undefined || timeout === Infinity) return Infinity;
  if (typeof timeout !== 'number') throw new TypeError(expected('timeout', 'a non-negative number of milliseconds or Infinity', timeout));
  if (Number.isNaN(timeout) || timeout < 0) {
    throw new RangeError(expected('timeout', 'a non-negative number of milliseconds or Infinity', timeout));
  }
  return performance.now() + timeout;
}

/** Milliseconds left before `deadline`, capped by `cap`; 0 when it has passed. */
export function left(deadline: number, cap = Infinity): number {
  return Math.max(0, Math.min(cap, deadline - performance.now()));
}

/** Spins briefly while `i32[index] === value`; true when the value changed. Cheaper than a futex for short holds. */
export function spinWhile(i32: Int32Array, index: number, value: number): boolean {
  for (let i = 0; i < spins; i++) {
    if (Atomics.load(i32, index) !== value) return true;
  }
  return false;
}

/**
 * Spins up to `us` microseconds while `i32[index] === value`. A stream of messages arrives faster than a
 * sleeper can be woken (a futex wake costs the writer a system call and the reader several microseconds).
 */
export function spinFor(i32: Int32Array, index: number, value: number, us: number): boolean {
  const until = performance.now() + us / 1000;
  do {
    if (spinWhile(i32, index, value)) return true;
  } while (performance.now() < until);
  return false;
}

export function driveSync<T>(waiting: WaitSteps<T>): T {
  for (let step = waiting.next(); ; step = waiting.next()) {
    if (step.done === true) return step.value;
    const { i32, index, value, ms } = step.value;
    futexWait(i32, index, value, ms);
  }
}

/** Runs the waiting as a Promise; when it finishes without sleeping, no Promise is made at all. */
export function driveAsync<T>(waiting: WaitSteps<T>, signal: AbortSignal | undefined): T | Promise<T> {
  const step = waiting.next();
  return step.done === true ? step.value : sleepAsync(waiting, step.value, signal);
}

async function sleepAsync<T>(waiting: WaitSteps<T>, first: WordSleep, signal: AbortSignal | undefined): Promise<T> {
  try {
    for (let sleep = first; ;) {
      await futexWaitAsync(sleep.i32, sleep.index, sleep.value, signal === undefined ? { timeout: sleep.ms } : { timeout: sleep.ms, signal });
      const step = waiting.next();
      if (step.done === true) return step.value;
      sleep = step.value;
    }
  } catch (error) {
    // Let the primitive undo its bookkeeping (waiter counts) before the rejection surfaces.
    waiting.return(undefined as T);
    throw error;
  }
}

export function checkSignal(signal: AbortSignal | undefined): void {
  if (signal === undefined) return;
  if (!(signal instanceof AbortSignal)) throw new TypeError(expected('signal', 'an AbortSignal', signal));
  signal.throwIfAborted();
}
