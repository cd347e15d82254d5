// The Pool a SyncManager serves: multiproc's own Pool, its tasks named by module URL and export, with Python's methods.
import { Pool } from '../../pool/pool.js';
import { taskRef, type TaskRef } from '../../pool/task-ref.js';
import { PythonError } from '../../pickle/python-error.js';
import { keywordParameters, onLastRelease } from '../served.js';
import { itemsOf } from './python-values.js';
import { timeoutSeconds } from './wait-line.js';

function typeError(message: string): PythonError {
  return new PythonError('builtins', 'TypeError', [message]);
}

/**
 * A task as a client names it: `'file:///app/tasks.js#square'`, or `{'url': ..., 'name': ...}`. A function cannot
 * travel through the allow-list (Python's pickles name Python functions, which no TypeScript pool can run).
 */
function taskFrom(func: unknown): TaskRef {
  if (typeof func === 'string') {
    const hash = func.lastIndexOf('#');
    if (hash > 0 && hash < func.length - 1) return taskRef(func.slice(0, hash), func.slice(hash + 1));
  }
  if (func instanceof Map && typeof func.get('url') === 'string' && typeof func.get('name') === 'string') return taskRef(func.get('url') as string, func.get('name') as string);
  throw typeError("a served Pool runs tasks named 'MODULE-URL#EXPORT' (or {'url': ..., 'name': ...}); a function cannot travel to it");
}

function noKeywords(kwds: unknown): void {
  if (kwds instanceof Map && kwds.size > 0) throw typeError('a TypeScript task takes positional arguments only');
}

function chunking(chunksize: unknown): { chunksize?: number } {
  return chunksize === null || chunksize === undefined ? {} : { chunksize: Number(chunksize) };
}

/** Python's `AsyncResult`, for `apply_async`, `map_async` and `starmap_async`: `get(timeout)` raises multiprocessing.TimeoutError. */
export class ServedAsyncResult {
  static readonly [keywordParameters] = { get: ['timeout'], wait: ['timeout'] };
  readonly #promise: Promise<unknown>;
  #state: 'pending' | 'fulfilled' | 'rejected' = 'pending';

  constructor(promise: Promise<unknown>) {
    this.#promise = promise;
    promise.then(
      () => (this.#state = 'fulfilled'),
      () => (this.#state = 'rejected'),
    );
  }

  ready(): boolean {
    return this.#state !== 'pending';
  }

  successful(): boolean {
    if (this.#state === 'pending') throw new PythonError('builtins', 'ValueError', [`<multiprocessing.pool.ApplyResult object> not ready`]);
    return this.#state === 'fulfilled';
  }

  /** Resolves once the result is ready or `timeout` seconds passed (Python's `wait`, which returns None). */
  async wait(timeout: unknown = null): Promise<void> {
    const seconds = timeoutSeconds(timeout);
    if (seconds === null) {
      await this.#promise.catch(() => undefined);
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#promise.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, seconds) * 1000)))]);
    clearTimeout(timer);
  }

  async get(timeout: unknown = null): Promise<unknown> {
    await this.wait(timeout);
    if (this.#state === 'pending') throw new PythonError('multiprocessing.context', 'TimeoutError');
    return this.#promise;
  }

  toString(): string {
    return `<multiprocessing.pool.ApplyResult object: ${this.#state}>`;
  }
}

/** What `imap` and `imap_unordered` give: Python's iterator, `__next__` raising StopIteration after the last result. */
export class ServedResultIterator {
  readonly #results: AsyncGenerator<unknown, void, undefined>;

  constructor(results: AsyncGenerator<unknown, void, undefined>) {
    this.#results = results;
  }

  async __next__(): Promise<unknown> {
    const next = await this.#results.next();
    if (next.done === true) throw new PythonError('builtins', 'StopIteration');
    return next.value;
  }

  async close(): Promise<void> {
    await this.#results.return();
  }

  toString(): string {
    return '<multiprocessing.pool.IMapIterator object>';
  }
}

/**
 * Python's `multiprocessing.pool.Pool(processes)` as a SyncManager serves it, on multiproc's Pool (worker threads):
 * `apply`, `map`, `starmap` and their `_async` forms, `imap`, `imap_unordered`, `close`, `join`, `terminate`. Tasks
 * are exported functions named by module URL; results and errors come back as a pool call's do. The workers stop
 * when the last proxy lets the pool go or the server stops.
 */
export class ServedPool {
  static readonly [keywordParameters] = {
    apply: ['func', 'args', 'kwds'],
    apply_async: ['func', 'args', 'kwds', 'callback', 'error_callback'],
    map: ['func', 'iterable', 'chunksize'],
    map_async: ['func', 'iterable', 'chunksize', 'callback', 'error_callback'],
    starmap: ['func', 'iterable', 'chunksize'],
    starmap_async: ['func', 'iterable', 'chunksize', 'callback', 'error_callback'],
    imap: ['func', 'iterable', 'chunksize'],
    imap_unordered: ['func', 'iterable', 'chunksize'],
  };

  readonly #pool: Pool;

  constructor(processes: unknown = null, initializer: unknown = null, _initargs: unknown = null, maxtasksperchild: unknown = null) {
    if (initializer !== null && initializer !== undefined) throw typeError('a served Pool takes no initializer (a function cannot travel)');
    if (processes !== null && processes !== undefined && (typeof processes !== 'number' || !Number.isInteger(processes) || processes < 1)) {
      throw new PythonError('builtins', 'ValueError', ['Number of processes must be at least 1']);
    }
    this.#pool = new Pool({
      ...(typeof processes === 'number' ? { workers: processes } : {}),
      ...(typeof maxtasksperchild === 'number' ? { maxTasksPerWorker: maxtasksperchild } : {}),
    });
  }

  apply(func: unknown, args: unknown = [], kwds: unknown = null): Promise<unknown> {
    noKeywords(kwds);
    return this.#pool.apply(taskFrom(func), itemsOf(args) as never);
  }

  map(func: unknown, iterable: unknown, chunksize: unknown = null): Promise<unknown[]> {
    return this.#pool.map(taskFrom(func), itemsOf(iterable) as never[], chunking(chunksize));
  }

  starmap(func: unknown, iterable: unknown, chunksize: unknown = null): Promise<unknown[]> {
    return this.#pool.starmap(taskFrom(func), itemsOf(iterable).map((args) => itemsOf(args)) as never[], chunking(chunksize));
  }

  apply_async(func: unknown, args: unknown = [], kwds: unknown = null, callback: unknown = null, errorCallback: unknown = null): ServedAsyncResult {
    if (callback !== null || errorCallback !== null) throw typeError('a served Pool takes no callbacks (a function cannot travel)');
    return new ServedAsyncResult(this.apply(func, args, kwds));
  }

  map_async(func: unknown, iterable: unknown, chunksize: unknown = null, callback: unknown = null, errorCallback: unknown = null): ServedAsyncResult {
    if (callback !== null || errorCallback !== null) throw typeError('a served Pool takes no callbacks (a function cannot travel)');
    return new ServedAsyncResult(this.map(func, iterable, chunksize));
  }

  starmap_async(func: unknown, iterable: unknown, chunksize: unknown = null, callback: unknown = null, errorCallback: unknown = null): ServedAsyncResult {
    if (callback !== null || errorCallback !== null) throw typeError('a served Pool takes no callbacks (a function cannot travel)');
    return new ServedAsyncResult(this.starmap(func, iterable, chunksize));
  }

  imap(func: unknown, iterable: unknown, chunksize: unknown = null): ServedResultIterator {
    return new ServedResultIterator(this.#pool.imap(taskFrom(func), itemsOf(iterable) as never[], chunking(chunksize)));
  }

  imap_unordered(func: unknown, iterable: unknown, chunksize: unknown = null): ServedResultIterator {
    return new ServedResultIterator(this.#pool.imapUnordered(taskFrom(func), itemsOf(iterable) as never[], chunking(chunksize)));
  }

  /** No more tasks (Python's `close()` returns at once; `join()` waits for the workers). */
  close(): void {
    this.#pool.close().catch(() => undefined);
  }

  join(): Promise<void> {
    return this.#pool.join();
  }

  terminate(): Promise<void> {
    return this.#pool.terminate();
  }

  [onLastRelease](): Promise<void> {
    return this.#pool.terminate();
  }

  toString(): string {
    return '<multiprocessing.pool.Pool state=RUN>';
  }
}
