// WaitLine: callers of a served object waiting their turn, each with a timeout in seconds and the signal of its call.
import { PythonError } from '../../pickle/python-error.js';
import { callSignal } from '../call-context.js';

interface Waiter {
  wake(): void;
}

/** A Python timeout (`None` or seconds) as seconds or null; a negative or non-number one is the error Python raises. */
export function timeoutSeconds(timeout: unknown, what = 'timeout'): number | null {
  if (timeout === null || timeout === undefined) return null;
  const value = typeof timeout === 'bigint' ? Number(timeout) : typeof timeout === 'boolean' ? Number(timeout) : timeout;
  if (typeof value !== 'number' || Number.isNaN(value)) throw new PythonError('builtins', 'TypeError', [`'${what}' must be a number or None`]);
  return value;
}

/** Python's truth of a `blocking` argument: a boolean, or any number (0 is false). */
export function truthy(value: unknown): boolean {
  if (typeof value === 'bigint') return value !== 0n;
  return Boolean(value);
}

/**
 * The waiters of one condition of a served object, in arrival order. `wait(ready, seconds)` resolves true once
 * `ready()` holds after a wake, false when the seconds passed first; it rejects when the caller's connection closes
 * or the server stops, so nothing is taken for a client that is gone.
 */
export class WaitLine {
  readonly #line: Waiter[] = [];

  get length(): number {
    return this.#line.length;
  }

  /** Wakes the first `n` waiters (each checks its `ready()` again). */
  wake(n = 1): void {
    for (const waiter of this.#line.slice(0, n)) waiter.wake();
  }

  wakeAll(): void {
    this.wake(this.#line.length);
  }

  async wait(ready: () => boolean, seconds: number | null): Promise<boolean> {
    const deadline = seconds === null ? Infinity : performance.now() + Math.max(0, seconds) * 1000;
    while (!ready()) {
      if (!(await this.park(deadline))) return ready();
    }
    return true;
  }

  /** Waits for one wake: true when woken, false at `deadline` (performance.now() milliseconds). */
  park(deadline: number): Promise<boolean> {
    const signal = callSignal();
    const left = deadline - performance.now();
    if (left <= 0) return Promise.resolve(false);
    if (signal?.aborted === true) return Promise.reject(signal.reason as Error);
    return new Promise<boolean>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const leave = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const at = this.#line.indexOf(waiter);
        if (at >= 0) this.#line.splice(at, 1);
      };
      const waiter: Waiter = {
        wake: () => {
          leave();
          resolve(true);
        },
      };
      const onAbort = (): void => {
        leave();
        reject(signal?.reason as Error);
      };
      if (Number.isFinite(left)) {
        timer = setTimeout(() => {
          leave();
          resolve(false);
        }, left);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#line.push(waiter);
    });
  }
}
