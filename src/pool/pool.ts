// Pool: the public facade. It validates arguments, names tasks, cuts map-like calls into chunks and hands
// tasks to the engine.
import { EventEmitter } from 'node:events';
import { expected } from '../errors.js';
import { ProgressTracker } from '../observe/progress.js';
import { encode, registry } from '../serialize/index.js';
import { ensureRoom } from '../shm/free-space.js';
import { Region } from '../sync/region.js';
import { channelBytes } from '../worker/channel.js';
import { importingTaskModule } from '../worker/current-worker.js';
import { TaskFlag, type FunctionName } from '../worker/protocol.js';
import { missingTaskModule } from '../worker/task-module.js';
import { AbortGroup } from './abort-group.js';
import { AsyncResult } from './async-result.js';
import { chunksizeFor, submissionOrder } from './chunking.js';
import { defaultWorkers, maxWorkers } from './default-workers.js';
import { Engine, ringBytes, type SubmitOptions } from './engine.js';
import { PoolBootstrapError } from './errors.js';
import type { CrashReport } from './faults.js';
import type { PoolStats } from './stats.js';
import { lazyMap, type ChunkHandle } from './lazy-map.js';
import type { CallOptions, Chunksize, MapOptions, Order, PoolOptions } from './options.js';
import { isTaskRef, moduleUrl, trustTaskModule, type AnyFunction, type TaskRef } from './task-ref.js';

type Result<F extends AnyFunction> = Awaited<ReturnType<F>>;
type Item<F extends AnyFunction> = Parameters<F>[0];
type Input<T> = Iterable<T> | AsyncIterable<T>;

/** A task bound to a pool: call it for one call, or use its map-like members. */
export interface BoundTask<F extends AnyFunction> extends TaskRef<F> {
  (...args: Parameters<F>): Promise<Result<F>>;
  applyAsync(...args: Parameters<F>): AsyncResult<Result<F>>;
  map(items: Input<Item<F>>, options?: MapOptions<Item<F>>): Promise<Result<F>[]>;
  starmap(items: Input<Parameters<F>>, options?: MapOptions<Parameters<F>>): Promise<Result<F>[]>;
  imap(items: Input<Item<F>>, options?: MapOptions<Item<F>>): AsyncGenerator<Result<F>, void, undefined>;
  imapUnordered(items: Input<Item<F>>, options?: MapOptions<Item<F>>): AsyncGenerator<Result<F>, void, undefined>;
}

/** The task functions of a module, bound to a pool. */
export type LoadedTasks<M> = { readonly [K in keyof M as M[K] extends AnyFunction ? K : never]: M[K] extends AnyFunction ? BoundTask<M[K]> : never };

const orders: readonly Order[] = ['fifo', 'shuffle', 'longest-first'];

function positiveInteger(name: string, value: unknown, infinity = false): number {
  if ((infinity && value === Infinity) || (Number.isInteger(value) && (value as number) > 0)) return value as number;
  throw new TypeError(expected(name, `a positive integer${infinity ? ' or Infinity' : ''}`, value));
}

function checkChunksize(name: string, value: unknown): Chunksize {
  if (value === 'auto' || (Number.isInteger(value) && (value as number) > 0)) return value as Chunksize;
  throw new TypeError(expected(name, "a positive integer or 'auto'", value));
}

function checkOrder(value: unknown): Order {
  if (orders.includes(value as Order)) return value as Order;
  throw new TypeError(expected('order', `one of ${orders.map((order) => `'${order}'`).join(', ')}`, value));
}

function checkTimeout(name: string, value: unknown): number {
  if (value === Infinity || (typeof value === 'number' && value > 0 && Number.isFinite(value))) return value;
  throw new TypeError(expected(name, 'a positive number of milliseconds or Infinity', value));
}

function checkRetries(value: unknown): number {
  if (Number.isInteger(value) && (value as number) >= 0) return value as number;
  throw new TypeError(expected('retries', 'a non-negative integer', value));
}

function checkTask(task: unknown): FunctionName {
  if (!isTaskRef(task)) {
    throw new TypeError(expected('task', "a task reference (pool.load(url).name or taskRef(url, name)); functions cannot be sent to workers by value", task));
  }
  return { url: task.url, name: task.name };
}

/**
 * Whether an argument itself (not something inside it) is a shared handle: a Lock, a Value, a Pipe end...
 * Such a call is encoded when made, so the reference is taken then. A cheap look at the top level only:
 * the hot path (numbers, strings, plain objects, arrays, typed arrays) costs a typeof or a prototype check.
 */
function holdsHandle(args: readonly unknown[]): boolean {
  for (const arg of args) {
    if (typeof arg !== 'object' || arg === null || Array.isArray(arg) || ArrayBuffer.isView(arg)) continue;
    const proto: unknown = Object.getPrototypeOf(arg);
    if (proto !== Object.prototype && proto !== null && registry.handleOf(arg) !== undefined) return true;
  }
  return false;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === 'function';
}

function checkInput(value: unknown): Input<unknown> {
  if (isAsyncIterable(value) || typeof (value as Iterable<unknown> | null)?.[Symbol.iterator] === 'function') return value as Input<unknown>;
  throw new TypeError(expected('items', 'an iterable or async iterable', value));
}

/** What a pool tells its listeners. */
export interface PoolEvents {
  /**
   * A worker died on its own (a task crashed it, or code a task left running, such as a timer, threw after
   * the task returned); it has been replaced. Not `'error'`: an unheard `'error'` would end the program.
   */
  workerError: [CrashReport];
}

export class Pool extends EventEmitter<PoolEvents> {
  readonly #engine: Engine;
  readonly #workers: number;
  readonly #chunksize: Chunksize;
  readonly #order: Order;
  readonly #timeout: number;
  readonly #retries: number;

  /**
   * Throws `ERR_MP_POOL_IN_BOOTSTRAP` when called at the top level of a task module as a worker imports it
   * (keep the code that starts a pool under `if (!currentWorker())`, or tasks in a module of their own).
   */
  constructor(options: PoolOptions = {}) {
    super();
    if (importingTaskModule()) throw new PoolBootstrapError();
    if (typeof options !== 'object' || options === null) throw new TypeError(expected('options', 'an object', options));
    const workers = positiveInteger('workers', options.workers ?? defaultWorkers());
    if (workers > maxWorkers) throw new RangeError(expected('workers', `a positive integer up to ${maxWorkers}`, workers));
    const backend = options.backend ?? 'thread';
    if (backend !== 'thread' && backend !== 'process') throw new TypeError(expected('backend', "'thread' or 'process'", backend));
    const initializer = options.initializer === undefined ? undefined : checkTask(options.initializer);
    if (initializer !== undefined) trustTaskModule(initializer.url);
    const initargs = options.initargs ?? [];
    if (!Array.isArray(initargs)) throw new TypeError(expected('initargs', 'an array', initargs));
    this.#chunksize = checkChunksize('chunksize', options.chunksize ?? 'auto');
    this.#order = checkOrder(options.order ?? 'fifo');
    this.#timeout = checkTimeout('taskTimeout', options.taskTimeout ?? Infinity);
    this.#retries = checkRetries(options.retries ?? 0);
    const spinMicros = options.spinMicros ?? 50;
    if (typeof spinMicros !== 'number' || !(spinMicros >= 0 && spinMicros <= 100_000)) {
      throw new TypeError(expected('spinMicros', 'a number of microseconds from 0 to 100000', spinMicros));
    }
    const abortGraceMs = options.abortGraceMs ?? 1000;
    if (typeof abortGraceMs !== 'number' || !(abortGraceMs >= 0 && Number.isFinite(abortGraceMs))) {
      throw new TypeError(expected('abortGraceMs', 'a non-negative finite number of milliseconds', abortGraceMs));
    }
    // Each worker process's channel is a segment: all of them must fit before the first worker starts.
    if (backend === 'process') ensureRoom(workers, channelBytes(ringBytes), `the channels of ${workers} pool worker processes`);
    this.#workers = workers;
    this.#engine = new Engine({
      workers, backend, initializer, initargs: encode(initargs), spinMicros, abortGraceMs,
      maxTasksPerWorker: positiveInteger('maxTasksPerWorker', options.maxTasksPerWorker ?? Infinity, true),
      resourceLimits: options.resourceLimits, execArgv: options.execArgv, env: options.env,
      onCrash: (crash) => this.emit('workerError', crash),
    });
  }

  /** The number of workers. */
  get workers(): number {
    return this.#workers;
  }

  /**
   * The task functions of a module, typed: `pool.load<typeof import('./tasks.js')>(new URL('./tasks.js', import.meta.url))`.
   * Members are created on access; the module is imported by the workers, never here. Throws
   * `ERR_MP_TASK_MODULE_NOT_FOUND` at once for a `file:` URL with no file (nor a TypeScript one a loader may serve for it).
   */
  load<M>(url: string | URL): LoadedTasks<M> {
    const href = moduleUrl(url);
    const missing = missingTaskModule(href);
    if (missing !== undefined) throw missing;
    const bound = new Map<string, unknown>();
    return new Proxy({} as LoadedTasks<M>, {
      get: (_target, name) => {
        if (typeof name !== 'string' || name === 'then') return undefined;
        let task = bound.get(name);
        if (task === undefined) bound.set(name, (task = this.bind({ url: href, name })));
        return task;
      },
    });
  }

  /** One task bound to this pool (what `load` gives for each export). */
  bind<F extends AnyFunction>(task: TaskRef<F>): BoundTask<F> {
    const ref: TaskRef<F> = { url: task.url, name: task.name };
    const call = (...args: Parameters<F>): Promise<Result<F>> => this.apply(ref, args);
    // A function's own `name` is read-only; the task's export name replaces it so the bound task is a TaskRef.
    Object.defineProperty(call, 'name', { value: ref.name });
    const members: Omit<BoundTask<F>, keyof TaskRef> & { url: string } = {
      url: ref.url,
      applyAsync: (...args: Parameters<F>) => this.applyAsync(ref, args),
      map: (items, options) => this.map(ref, items, options),
      starmap: (items, options) => this.starmap(ref, items, options),
      imap: (items, options) => this.imap(ref, items, options),
      imapUnordered: (items, options) => this.imapUnordered(ref, items, options),
    };
    return Object.assign(call, members);
  }

  /** Runs `task(...args)` in a worker. */
  apply<F extends AnyFunction>(task: TaskRef<F>, args: Parameters<F> | readonly unknown[] = [], options: CallOptions = {}): Promise<Result<F>> {
    try {
      const fn = checkTask(task);
      if (!Array.isArray(args)) throw new TypeError(expected('args', 'an array of arguments', args));
      const submit = this.#submitOptions(options);
      // Plain calls are encoded when dispatched, possibly batched with others; the rest now, so a value
      // that cannot be sent fails this call right away, and a handle argument is referenced as it was
      // when the call was made. The segments it references are held until the call settles, so the
      // caller may close its own handle at once (as Python allows) without the worker missing it.
      const handles = holdsHandle(args);
      const plain = !handles && options.transfer === undefined && submit.signal === undefined && !Number.isFinite(submit.timeout);
      const encodeArgs = (): ReturnType<typeof encode> => encode(args, options.transfer === undefined ? {} : { transfer: options.transfer });
      const held = handles ? Region.holding(encodeArgs) : undefined;
      const payload = plain ? args : held?.value ?? encodeArgs();
      const settled = new Promise<Result<F>>((resolve, reject) => {
        this.#engine.submit(fn, TaskFlag.Spread, payload, 1, submit, resolve as (value: unknown) => void, reject);
      });
      return held === undefined ? settled : settled.finally(held.release);
    } catch (error) {
      // Only argument checks and the codec throw here, always with Error instances.
      return Promise.reject(error instanceof Error ? error : new TypeError(String(error)));
    }
  }

  applyAsync<F extends AnyFunction>(task: TaskRef<F>, args: Parameters<F> | readonly unknown[] = [], options: CallOptions = {}): AsyncResult<Result<F>> {
    return new AsyncResult(this.apply(task, args, options));
  }

  /** `task(item)` for every item; results in input order. */
  map<F extends AnyFunction>(task: TaskRef<F>, items: Input<Item<F>>, options: MapOptions<Item<F>> = {}): Promise<Result<F>[]> {
    return this.#map(task, items, 0, options as MapOptions) as Promise<Result<F>[]>;
  }

  mapAsync<F extends AnyFunction>(task: TaskRef<F>, items: Input<Item<F>>, options: MapOptions<Item<F>> = {}): AsyncResult<Result<F>[]> {
    return new AsyncResult(this.map(task, items, options));
  }

  /** `task(...args)` for every tuple of arguments; results in input order. */
  starmap<F extends AnyFunction>(task: TaskRef<F>, items: Input<Parameters<F>>, options: MapOptions<Parameters<F>> = {}): Promise<Result<F>[]> {
    return this.#map(task, items, TaskFlag.Spread, options as MapOptions) as Promise<Result<F>[]>;
  }

  /**
   * Lazy, ordered: reads `items` as workers free up and yields results in input order, whatever the
   * submission `order` (over a lazy input, `shuffle` and `longest-first` apply within each `orderWindow`).
   */
  imap<F extends AnyFunction>(task: TaskRef<F>, items: Input<Item<F>>, options: MapOptions<Item<F>> = {}): AsyncGenerator<Result<F>, void, undefined> {
    return this.#lazy(task, items, true, options as MapOptions) as AsyncGenerator<Result<F>, void, undefined>;
  }

  /** Lazy, yields results as they complete; `order` as for `imap`. */
  imapUnordered<F extends AnyFunction>(task: TaskRef<F>, items: Input<Item<F>>, options: MapOptions<Item<F>> = {}): AsyncGenerator<Result<F>, void, undefined> {
    return this.#lazy(task, items, false, options as MapOptions) as AsyncGenerator<Result<F>, void, undefined>;
  }

  /** Takes no new tasks, finishes the queued ones, then stops the workers. Resolves once they are gone. */
  close(): Promise<void> {
    return this.#engine.close();
  }

  /** Waits for the workers to be gone after `close()` or `terminate()`. */
  join(): Promise<void> {
    return this.#engine.join();
  }

  /** Stops every worker now; unfinished tasks reject with `ERR_MP_POOL_TERMINATED`. Resolves once they are gone. */
  terminate(): Promise<void> {
    return this.#engine.terminate();
  }

  /** A plain snapshot: per worker tasks done, busy/idle/init time, current task; queue length. */
  stats(): PoolStats {
    return this.#engine.stats();
  }

  /**
   * `await using pool = new Pool()`: at the end of the block, terminates the pool, as Python's `with Pool()`
   * does: tasks still running or queued reject with `ERR_MP_POOL_TERMINATED`, and it resolves once the workers
   * are gone. The block's own awaits come first, so await the results it needs inside it; a stuck task cannot
   * hold the block open. `await pool.close()` (or `close()` then `join()`) is the way to let queued work
   * finish; a pool already closed, terminated or broken is only waited for.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    const state = this.#engine.state;
    if (state === 'running' || state === 'closing') await this.terminate();
    else await this.join();
  }

  #submitOptions(options: CallOptions | MapOptions): SubmitOptions {
    if (typeof options !== 'object' || options === null) throw new TypeError(expected('options', 'an object', options));
    const { signal } = options;
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError(expected('signal', 'an AbortSignal', signal));
    return {
      signal,
      timeout: options.timeout === undefined ? this.#timeout : checkTimeout('timeout', options.timeout),
      retries: options.retries === undefined ? this.#retries : checkRetries(options.retries),
    };
  }

  #tracker(options: MapOptions, total: number | undefined, name: string): ProgressTracker | undefined {
    if (options.progress !== true && options.onProgress === undefined) return undefined;
    if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
      throw new TypeError(expected('onProgress', 'a function', options.onProgress));
    }
    return new ProgressTracker(total, { label: name, bar: options.progress === true, onProgress: options.onProgress });
  }

  /** One chunk of a map-like call; the call's signal reaches it through `group`, one listener for all chunks. */
  #submitChunk(fn: FunctionName, flags: number, items: unknown[], submit: SubmitOptions, group: AbortGroup | undefined): ChunkHandle {
    let task: ReturnType<Engine['submit']> | undefined;
    const promise = new Promise<{ values: unknown[]; micros: number }>((resolve, reject) => {
      task = this.#engine.submit(fn, TaskFlag.Chunk | flags, encode(items), items.length, { ...submit, signal: undefined },
        (values, micros) => resolve({ values: values as unknown[], micros }), reject);
    });
    if (task !== undefined) group?.add(task);
    return { promise, drop: () => task !== undefined && this.#engine.drop(task) };
  }

  #abortGroup(signal: AbortSignal | undefined): AbortGroup | undefined {
    return signal === undefined ? undefined : new AbortGroup(signal, (task, reason) => this.#engine.abort(task, reason));
  }

  async #map(task: TaskRef, input: Input<unknown>, flags: number, options: MapOptions): Promise<unknown[]> {
    const fn = checkTask(task);
    const submit = this.#submitOptions(options);
    const chunksize = checkChunksize('chunksize', options.chunksize ?? this.#chunksize);
    const order = checkOrder(options.order ?? this.#order);
    checkInput(input);
    const items: unknown[] = Array.isArray(input) ? input : [];
    if (!Array.isArray(input)) for await (const item of input) items.push(item);
    if (items.length === 0) return [];
    const size = chunksizeFor(chunksize, items.length, this.#workers);
    const indices = order === 'fifo' ? undefined : submissionOrder(items, order, options.cost);
    const tracker = this.#tracker(options, items.length, fn.name);
    const results = new Array<unknown>(items.length);
    const handles: ChunkHandle[] = [];
    const group = this.#abortGroup(submit.signal);
    try {
      for (let start = 0; start < items.length; start += size) {
        const chunkIndices = indices?.slice(start, start + size);
        const chunk = chunkIndices === undefined ? items.slice(start, start + size) : chunkIndices.map((i) => items[i]);
        const handle = this.#submitChunk(fn, flags, chunk, submit, group);
        handles.push(handle);
        handle.promise.then(({ values }) => {
          if (chunkIndices === undefined) for (let i = 0; i < values.length; i++) results[start + i] = values[i];
          else for (let i = 0; i < values.length; i++) results[chunkIndices[i]!] = values[i];
          tracker?.add(values.length);
        }, () => {});
      }
      await Promise.all(handles.map((handle) => handle.promise));
      return results;
    } catch (error) {
      for (const handle of handles) handle.drop();
      throw error;
    } finally {
      group?.close();
      tracker?.finish();
    }
  }

  #lazy(task: TaskRef, input: Input<unknown>, ordered: boolean, options: MapOptions): AsyncGenerator<unknown, void, undefined> {
    const fn = checkTask(task);
    const submit = this.#submitOptions(options);
    const chunksize = checkChunksize('chunksize', options.chunksize ?? this.#chunksize);
    const source = checkInput(input);
    const order = checkOrder(options.order ?? this.#order);
    const { cost } = options;
    if (cost !== undefined && typeof cost !== 'function') throw new TypeError(expected('cost', 'a function of an item', cost));
    const fixedWindow = options.orderWindow === undefined ? undefined : positiveInteger('orderWindow', options.orderWindow);
    const length = Array.isArray(source) ? source.length : undefined;
    const maxInflight = 2 * this.#workers + 2;
    const workers = this.#workers;
    const group = this.#abortGroup(submit.signal);
    const results = lazyMap(source, {
      ordered,
      chunksize: chunksize !== 'auto' ? chunksize : length === undefined ? undefined : chunksizeFor('auto', length, workers),
      maxInflight,
      // An array is known up front: it is reordered whole, as map does. A lazy input is reordered a window
      // at a time, so an endless generator still works in bounded memory (see DESIGN, the pool).
      arrange: order === 'fifo' ? undefined : (items) => submissionOrder(items, order, cost),
      window: (size) => length ?? fixedWindow ?? Math.max(maxInflight * size, 4 * workers * size),
      submit: (items) => this.#submitChunk(fn, 0, items, submit, group),
      tracker: this.#tracker(options, length, fn.name),
    });
    return group === undefined ? results : closing(results, group);
  }
}

/** The lazy map's results, with its abort listener removed once it is over. */
async function* closing(results: AsyncGenerator<unknown, void, undefined>, group: AbortGroup): AsyncGenerator<unknown, void, undefined> {
  try {
    yield* results;
  } finally {
    group.close();
  }
}
