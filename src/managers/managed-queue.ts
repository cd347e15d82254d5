// ManagedQueue: an in-process FIFO with Python queue.Queue's methods, to be served by a ManagerServer.
import { expected } from '../errors.js';
import { PythonError } from '../pickle/python-error.js';
import { callSignal } from './call-context.js';
import { keywordParameters } from './served.js';

interface Waiter {
  wake(): void;
}

/** The Python class of an empty `get`: queue.Empty is _queue.Empty, and Python clients raise it as such. */
function empty(): PythonError {
  return new PythonError('_queue', 'Empty');
}

function full(): PythonError {
  return new PythonError('queue', 'Full');
}

function checkTimeout(timeout: unknown): number | null {
  if (timeout === null || timeout === undefined) return null;
  const value = typeof timeout === 'bigint' ? Number(timeout) : timeout;
  if (typeof value !== 'number' || Number.isNaN(value)) throw new PythonError('builtins', 'TypeError', [`'timeout' must be a number or None`]);
  if (value < 0) throw new PythonError('builtins', 'ValueError', ["'timeout' must be a non-negative number"]);
  return value;
}

/**
 * The queue a manager serves, as Python's `queue.Queue(maxsize)`: `put`, `get` (blocking, with a timeout in
 * seconds, raising queue.Empty / queue.Full as Python does), `put_nowait`, `get_nowait`, `qsize`, `empty`,
 * `full`, `task_done` and `join`. A blocked call gives up when its caller's connection closes, so no item is
 * taken for a client that is gone.
 */
export class ManagedQueue<T = unknown> {
  static readonly [keywordParameters] = {
    put: ['item', 'block', 'timeout'],
    get: ['block', 'timeout'],
    put_nowait: ['item'],
  };

  readonly maxsize: number;
  readonly #items: T[] = [];
  readonly #getters: Waiter[] = [];
  readonly #putters: Waiter[] = [];
  readonly #joiners: (() => void)[] = [];
  #unfinished = 0;

  constructor(maxsize = 0) {
    const size = typeof maxsize === 'bigint' ? Number(maxsize) : maxsize;
    if (typeof size !== 'number' || !Number.isInteger(size)) throw new TypeError(expected('maxsize', 'an integer', maxsize));
    this.maxsize = size;
  }

  qsize(): number {
    return this.#items.length;
  }

  empty(): boolean {
    return this.#items.length === 0;
  }

  full(): boolean {
    return this.maxsize > 0 && this.#items.length >= this.maxsize;
  }

  async put(item: T, block = true, timeout: number | null = null): Promise<void> {
    const seconds = checkTimeout(timeout);
    if (this.full()) {
      if (!block) throw full();
      if (!(await this.#wait(this.#putters, () => !this.full(), seconds))) throw full();
    }
    this.#items.push(item);
    this.#unfinished++;
    this.#getters.shift()?.wake();
  }

  async get(block = true, timeout: number | null = null): Promise<T> {
    const seconds = checkTimeout(timeout);
    if (this.#items.length === 0) {
      if (!block) throw empty();
      if (!(await this.#wait(this.#getters, () => this.#items.length > 0, seconds))) throw empty();
    }
    const item = this.#items.shift() as T;
    this.#putters.shift()?.wake();
    return item;
  }

  put_nowait(item: T): Promise<void> {
    return this.put(item, false);
  }

  get_nowait(): Promise<T> {
    return this.get(false);
  }

  task_done(): void {
    if (this.#unfinished <= 0) throw new PythonError('builtins', 'ValueError', ['task_done() called too many times']);
    if (--this.#unfinished === 0) for (const wake of this.#joiners.splice(0)) wake();
  }

  /** Resolves once every item put has been marked done (`task_done`). */
  join(): Promise<void> {
    if (this.#unfinished === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const signal = callSignal();
      const onAbort = (): void => {
        const at = this.#joiners.indexOf(wake);
        if (at >= 0) this.#joiners.splice(at, 1);
        reject(signal?.reason as Error);
      };
      const wake = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.#joiners.push(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Waits in `line` until `ready()`; false when `seconds` passed first. Rejects when the call's signal aborts. */
  async #wait(line: Waiter[], ready: () => boolean, seconds: number | null): Promise<boolean> {
    const signal = callSignal();
    const deadline = seconds === null ? Infinity : performance.now() + seconds * 1000;
    while (!ready()) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      signal?.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const leave = (): void => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          const at = line.indexOf(waiter);
          if (at >= 0) line.splice(at, 1);
        };
        const waiter: Waiter = {
          wake: () => {
            leave();
            resolve();
          },
        };
        const onAbort = (): void => {
          leave();
          reject(signal?.reason as Error);
        };
        if (Number.isFinite(left)) timer = setTimeout(() => {
          leave();
          resolve();
        }, left);
        signal?.addEventListener('abort', onAbort, { once: true });
        line.push(waiter);
      });
    }
    return true;
  }
}
