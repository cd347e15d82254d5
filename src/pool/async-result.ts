// The handle applyAsync, mapAsync and starmapAsync return: Python's AsyncResult with get(timeout), ready(),
// successful(), and its callback / error_callback.
import { expected, MultiprocError } from '../errors.js';
import { ResultTimeoutError } from './errors.js';

/** Python's `callback` / `error_callback`: called once, on this thread, as the call ends. */
export interface AsyncCallbacks<T> {
  /** Called with the value when the call succeeds, before `get()` resolves. */
  callback?: ((value: T) => void) | undefined;
  /** Called with the error when the call fails, before `get()` rejects. */
  errorCallback?: ((error: unknown) => void) | undefined;
}

/** Throws a TypeError now, before the call is made, when a callback is not a function. */
export function checkCallbacks(options: AsyncCallbacks<never>): void {
  for (const name of ['callback', 'errorCallback'] as const) {
    const value = options[name];
    if (value !== undefined && typeof value !== 'function') throw new TypeError(expected(name, 'a function', value));
  }
}

/**
 * A callback that throws does not change the call's outcome (the AsyncResult still holds the task's value);
 * its error is thrown again outside the promise chain, as an event listener's would be, so it is not lost.
 */
function invoke<V>(callback: (value: V) => void, value: V): void {
  try {
    callback(value);
  } catch (error) {
    process.nextTick(() => {
      throw error;
    });
  }
}

/** What is wrong with a `timeout` argument; undefined when nothing is. */
function timeoutError(timeout: unknown): Error | undefined {
  const what = 'a non-negative number of milliseconds or Infinity';
  if (typeof timeout !== 'number') return new TypeError(expected('timeout', what, timeout));
  if (!(timeout >= 0)) return new RangeError(expected('timeout', what, timeout));
  return undefined;
}

export class AsyncResult<T> {
  readonly #promise: Promise<T>;
  #state: 'pending' | 'fulfilled' | 'rejected' = 'pending';

  /** `callbacks` must have been checked (`checkCallbacks`). */
  constructor(promise: Promise<T>, callbacks: AsyncCallbacks<T> = {}) {
    this.#promise = promise;
    const { callback, errorCallback } = callbacks;
    // Registered first, so they run before ready() turns true and before get() settles, as in Python.
    if (callback !== undefined || errorCallback !== undefined) {
      promise.then((value) => callback !== undefined && invoke(callback, value), (error: unknown) => errorCallback !== undefined && invoke(errorCallback, error));
    }
    promise.then(() => (this.#state = 'fulfilled'), () => (this.#state = 'rejected'));
  }

  /** Whether the call finished (either way). */
  ready(): boolean {
    return this.#state !== 'pending';
  }

  /** Whether it finished without an error; throws `ERR_MP_NOT_READY` before it finished, as Python does. */
  successful(): boolean {
    if (this.#state === 'pending') throw new MultiprocError('ERR_MP_NOT_READY', 'The result is not ready yet; check ready() first');
    return this.#state === 'fulfilled';
  }

  /** The value (or the task's error); rejects with `ERR_MP_TIMEOUT` after `timeout` ms, leaving the task running. */
  get(timeout = Infinity): Promise<T> {
    const bad = timeoutError(timeout);
    if (bad !== undefined) return Promise.reject(bad);
    if (timeout === Infinity) return this.#promise;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ResultTimeoutError(`The result was not ready within ${timeout} ms`)), timeout);
    });
    return Promise.race([this.#promise, expired]).finally(() => clearTimeout(timer));
  }

  /** Waits up to `timeout` ms for the call to finish, never throwing. Returns whether it finished. */
  async wait(timeout = Infinity): Promise<boolean> {
    const bad = timeoutError(timeout);
    if (bad !== undefined) throw bad;
    try {
      await this.get(timeout);
    } catch {
      // finished with an error, or timed out: ready() tells which
    }
    return this.ready();
  }
}
