// The handle applyAsync and mapAsync return: Python's AsyncResult with get(timeout), ready(), successful().
import { expected, MultiprocError } from '../errors.js';
import { ResultTimeoutError } from './errors.js';

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

  constructor(promise: Promise<T>) {
    this.#promise = promise;
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
