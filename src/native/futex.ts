// Cross-process futex wait and wake on an Int32Array slot in shared memory: a blocking form (sliced so
// worker.terminate() still works) and a Promise form served by the addon's own waiter threads.
import { now } from '../clock.js';
import { expected as expectedMessage } from '../errors.js';
import { FutexResult, native } from './binding.js';

export type WaitOutcome = 'ok' | 'not-equal' | 'timed-out';

/** How long a wait may last, and what may cut it short: the same options for every wait in multiproc. */
export interface WaitOptions {
  /** Milliseconds to wait at most. @default Infinity */
  timeout?: number;
  /** Aborting rejects the wait with the signal's reason (async forms only). */
  signal?: AbortSignal;
}

const outcomes: readonly WaitOutcome[] = ['ok', 'not-equal', 'timed-out'];
/** A blocking wait returns to JavaScript this often, so a terminating worker is not stuck in C++. */
const blockingSliceMs = 50;

function checkSlot(array: Int32Array, index: number): void {
  if (!(array instanceof Int32Array) || !(array.buffer instanceof SharedArrayBuffer)) {
    throw new TypeError(expectedMessage('array', 'an Int32Array over a SharedArrayBuffer', array));
  }
  if (!Number.isInteger(index) || index < 0 || index >= array.length) {
    throw new RangeError(expectedMessage('index', `an integer from 0 to ${array.length - 1}`, index));
  }
}

/** The value a waiter expects: a number that is an integer (`value | 0` would turn `'x'` or 1.5 into another value). */
function checkValue(value: unknown): void {
  if (typeof value !== 'number') throw new TypeError(expectedMessage('value', 'an integer (the Int32 value to wait on)', value));
  if (!Number.isInteger(value)) throw new RangeError(expectedMessage('value', 'an integer (the Int32 value to wait on)', value));
}

function checkTimeout(timeout: unknown): void {
  if (typeof timeout !== 'number') throw new TypeError(expectedMessage('timeout', 'a non-negative number of milliseconds or Infinity', timeout));
  if (Number.isNaN(timeout) || timeout < 0) {
    throw new RangeError(expectedMessage('timeout', 'a non-negative number of milliseconds or Infinity', timeout));
  }
}

/** Sleeps while `array[index] === value`, across processes. Blocks the calling thread. */
export function futexWait(array: Int32Array, index: number, value: number, timeout = Infinity): WaitOutcome {
  checkSlot(array, index);
  checkValue(value);
  checkTimeout(timeout);
  const binding = native();
  const deadline = now() + timeout;
  for (;;) {
    const left = deadline - now();
    if (left <= 0) return 'timed-out';
    const slice = Math.min(blockingSliceMs, Math.ceil(left));
    const result = binding.futexWait(array, index, value | 0, slice);
    if (result !== FutexResult.TimedOut) return outcomes[result] ?? 'ok';
  }
}

/** Wakes up to `count` waiters (in any process) sleeping on `array[index]`. Returns how many woke. */
export function futexWake(array: Int32Array, index: number, count = Infinity): number {
  checkSlot(array, index);
  if (typeof count !== 'number') throw new TypeError(expectedMessage('count', 'a non-negative integer or Infinity', count));
  const n = count === Infinity ? 0x7fffffff : count;
  if (!Number.isInteger(n) || n < 0) throw new RangeError(expectedMessage('count', 'a non-negative integer or Infinity', count));
  return native().futexWake(array, index, n);
}

const pending = new Map<number, (outcome: WaitOutcome) => void>();
let callbackInstalled = false;

function deliver(id: number, result: FutexResult): void {
  const resolve = pending.get(id);
  if (resolve === undefined) return;
  pending.delete(id);
  resolve(outcomes[result] ?? 'ok');
}

/**
 * Waits without blocking the event loop while `array[index] === value`. A pending wait keeps the process
 * alive, like any other pending I/O. Aborting rejects with the signal's reason.
 */
export function futexWaitAsync(array: Int32Array, index: number, value: number, options: WaitOptions = {}): Promise<WaitOutcome> {
  checkSlot(array, index);
  checkValue(value);
  if (typeof options !== 'object' || options === null) throw new TypeError(expectedMessage('options', 'an object', options));
  const timeout = options.timeout ?? Infinity;
  checkTimeout(timeout);
  const { signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError(expectedMessage('signal', 'an AbortSignal', signal));
  if (signal?.aborted === true) return Promise.reject(signal.reason as Error);
  if (Atomics.load(array, index) !== (value | 0)) return Promise.resolve('not-equal');
  const binding = native();
  if (!callbackInstalled) {
    binding.setWaitCallback(deliver);
    callbackInstalled = true;
  }
  return new Promise<WaitOutcome>((resolve, reject) => {
    const id = binding.futexWaitAsync(array, index, value | 0, timeout === Infinity ? -1 : Math.ceil(timeout));
    if (signal === undefined) {
      pending.set(id, resolve);
      return;
    }
    const onAbort = (): void => {
      pending.delete(id);
      binding.cancelWait(id);
      // The waiter thread would stay in the kernel's queue until its next slice (up to 100 ms), where a wake
      // for one waiter could pick it instead of a live one: wake the word now (any other waiter sees a
      // spurious wake, re-checks its condition and waits again).
      binding.futexWake(array, index, 0x7fffffff);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    pending.set(id, (outcome) => {
      signal.removeEventListener('abort', onAbort);
      resolve(outcome);
    });
  });
}
