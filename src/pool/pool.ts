// Pool: the public facade. It validates arguments, names tasks, cuts map-like calls into chunks and hands
// tasks to the engine.
import { EventEmitter } from 'node:events';
import { dashboardFromEnv, dashboardInEnv, openDashboard, type Dashboard } from '../dashboard/dashboard.js';
import type { DashboardOptions } from '../dashboard/options.js';
import { checkBoolean, expected } from '../errors.js';
import type { PoolInsights } from '../observe/insights.js';
import { InsightsRecorder } from '../observe/insights-recorder.js';
import { formatInsights } from '../observe/print-insights.js';
import { applyTrace, mapTrace, type MapKind } from '../observe/channels.js';
import { ProgressTracker } from '../observe/progress.js';
import { registry } from '../serialize/index.js';
import { ensureRoom } from '../shm/free-space.js';
import { ObjectStore } from '../store/object-store.js';
import type { ObjectRef, OrRefs } from '../store/object-ref.js';
import { Region } from '../sync/region.js';
import { channelBytes } from '../wire/channel.js';
import { TaskFlag } from '../wire/protocol.js';
import { importingTaskModule } from '../worker/current-worker.js';
import { missingTaskModule } from '../worker/task-module.js';
import { AbortGroup } from './abort-group.js';
import { AsyncResult, checkCallbacks, type AsyncCallbacks } from './async-result.js';
import { encodeCall, encodeChunk } from './call-packets.js';
import { autoChunks, autoChunksize, costsOf, ItemTimes, measuredChunksize, submissionOrder } from './chunking.js';
import { Engine, ringBytes, type SubmitOptions } from './engine.js';
import { InsightsDisabledError, PoolBootstrapError } from './errors.js';
import type { CrashReport } from './faults.js';
import type { PoolStats } from './stats.js';
import { lazyMap, type ChunkHandle } from './lazy-map.js';
import { MapReport, mapReport } from './map-report.js';
import {
  checkAbortGraceMs, checkBackend, checkCallOptions, checkChunksize, checkEnv, checkExecArgv, checkInitargs, checkInput, checkMapOptions,
  checkOnProgress, checkOrder, checkPoolOptions, checkResourceLimits, checkRetries, checkSpinMicros, checkTimeout, checkWorkers, positiveInteger,
} from './option-checks.js';
import { defaults, type CallOptions, type Chunksize, type MapOptions, type Order, type PoolOptions } from './options.js';
import { moduleUrl, taskOf, trustTaskModule, type AnyFunction, type Task, type TaskRef } from './task-ref.js';

type Result<F extends AnyFunction> = Awaited<ReturnType<F>>;
type Item<F extends AnyFunction> = Parameters<F>[0];
/** A map item: the task's one argument, or an ObjectRef to it (it arrives as the value). */
type MapItem<F extends AnyFunction> = Item<F> | ObjectRef<Item<F>>;
/** A call's arguments, each of which may be an ObjectRef to its value (it arrives as the value). */
type Args<F extends AnyFunction> = OrRefs<Parameters<F>>;
type Input<T> = Iterable<T> | AsyncIterable<T>;

/**
 * Options a bound task applies to every call made through it (`tasks.resize.with({ timeout: 500 })`):
 * those of `apply` for its calls, those of `map` for its map-like members (which never move buffers).
 */
export type BoundOptions<F extends AnyFunction> = CallOptions & MapOptions<Item<F>>;

/** A task bound to a pool: call it for one call, or use its map-like members. */
export interface BoundTask<F extends AnyFunction> extends TaskRef<F> {
  (...args: Args<F>): Promise<Result<F>>;
  applyAsync(...args: Args<F>): AsyncResult<Result<F>>;
  map(items: Input<MapItem<F>>, options?: MapOptions<Item<F>>): Promise<Result<F>[]>;
  starmap(items: Input<Args<F>>, options?: MapOptions<Parameters<F>>): Promise<Result<F>[]>;
  imap(items: Input<MapItem<F>>, options?: MapOptions<Item<F>>): AsyncGenerator<Result<F>, void, undefined>;
  imapUnordered(items: Input<MapItem<F>>, options?: MapOptions<Item<F>>): AsyncGenerator<Result<F>, void, undefined>;
  /**
   * The same task with options for each call made through it, checked now: a time limit, a signal,
   * retries, chunking... Options given to a map-like member add to these. The arguments stay the
   * arguments: `tasks.resize.with({ timeout: 500 })(image)`, `tasks.score.with({ signal }).map(rows)`.
   */
  with(options: BoundOptions<F>): BoundTask<F>;
}

/** The task functions of a module, bound to a pool. */
export type LoadedTasks<M> = { readonly [K in keyof M as M[K] extends AnyFunction ? K : never]: M[K] extends AnyFunction ? BoundTask<M[K]> : never };

/** Pools of this process, numbered for the diagnostics channels. */
let poolIds = 0;

/** A first call of a task taking at least this long marks it long for 'auto' chunks (see #map). */
const probeLongMicros = 1000;

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

/**
 * A pool dropped while running, never closed: Python 3.8+ warns with a ResourceWarning; so does this, and
 * closes it, so its workers finish what is queued and stop instead of idling until the program ends.
 * Nothing is lost: a call still pending holds its own promise, and no one can reach the pool to call more.
 */
const unclosedPools = new FinalizationRegistry<{ engine: Engine; workers: number; backend: string }>(({ engine, workers, backend }) => {
  if (engine.state !== 'running') return;
  process.emitWarning(`A running Pool (${workers} ${backend} workers) was garbage-collected without close() or terminate(); closing it. ` +
    'Call `await pool.close()` when done with it, or create it with `await using pool = new Pool()`.', { type: 'ResourceWarning', code: 'MP_POOL_UNCLOSED' });
  void engine.close();
});

/** The engine reports crashes to its pool through this, which holds the pool weakly so the pool can be collected. */
function crashListener(pool: WeakRef<EventEmitter<PoolEvents>>): (crash: CrashReport) => void {
  return (crash) => pool.deref()?.emit('workerError', crash);
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
  /** Measured run time per item of each task function, for `chunksize: 'auto'`. */
  readonly #itemTimes = new ItemTimes();
  /** What `put` stored; released when the pool closes or terminates. */
  #store: ObjectStore | undefined;
  /** The pool's id on the diagnostics channels. */
  readonly #poolId = ++poolIds;
  /** Map-like calls made, numbered for the diagnostics channels. */
  #mapIds = 0;
  /** With `insights: true`: the subscriber that records them. */
  readonly #insights: InsightsRecorder | undefined;

  /**
   * Throws `ERR_MP_POOL_IN_BOOTSTRAP` when called at the top level of a task module as a worker imports it
   * (keep the code that starts a pool under `if (!currentWorker())`, or tasks in a module of their own).
   */
  constructor(options: PoolOptions = {}) {
    super();
    if (importingTaskModule()) throw new PoolBootstrapError();
    checkPoolOptions(options);
    const workers = checkWorkers(options.workers ?? defaults.workers);
    const backend = checkBackend(options.backend ?? defaults.backend);
    const initializer = options.initializer === undefined ? undefined : taskOf(options.initializer, 'initializer');
    if (initializer !== undefined) trustTaskModule(initializer.url);
    const initargs = checkInitargs(options.initargs ?? defaults.initargs);
    this.#chunksize = checkChunksize('chunksize', options.chunksize ?? defaults.chunksize);
    this.#order = checkOrder(options.order ?? defaults.order);
    this.#timeout = checkTimeout('taskTimeout', options.taskTimeout ?? defaults.taskTimeout);
    this.#retries = checkRetries(options.retries ?? defaults.retries);
    const spinMicros = checkSpinMicros(options.spinMicros ?? defaults.spinMicros);
    const abortGraceMs = checkAbortGraceMs(options.abortGraceMs ?? defaults.abortGraceMs);
    const maxTasksPerWorker = positiveInteger('maxTasksPerWorker', options.maxTasksPerWorker ?? defaults.maxTasksPerWorker, true);
    const resourceLimits = checkResourceLimits(options.resourceLimits);
    const execArgv = checkExecArgv(options.execArgv);
    const env = checkEnv(options.env);
    // Each worker process's channel is a segment: all of them must fit before the first worker starts.
    if (backend === 'process') ensureRoom(workers, channelBytes(ringBytes), `the channels of ${workers} pool worker processes`);
    checkBoolean('insights', options.insights);
    // A pool shown on the dashboard MULTIPROC_DASHBOARD starts records its insights unless told not to.
    const insights = options.insights ?? (dashboardInEnv() || defaults.insights);
    this.#workers = workers;
    // Subscribed before the engine starts: its first messages are the pool's creation and its workers' spawns.
    let engine: Engine | undefined;
    this.#insights = insights ? new InsightsRecorder(this.#poolId, { queue: () => queueOf(engine) }) : undefined;
    this.#engine = engine = new Engine({
      workers, backend, initializer, initargs: encodeCall(initargs), spinMicros, abortGraceMs, maxTasksPerWorker, resourceLimits, execArgv, env,
      poolId: this.#poolId, insights, sampleMs: insights ? defaults.insightsSampleMs : 0,
      onCrash: crashListener(new WeakRef(this)),
    });
    // A flag a worker thread cannot start with fails its first worker at once: the options were at fault.
    const refused = this.#engine.startRefusal();
    if (refused !== undefined) throw refused;
    unclosedPools.register(this, { engine: this.#engine, workers, backend });
    dashboardFromEnv(this, this.#poolId);
  }

  /** The number of workers. */
  get workers(): number {
    return this.#workers;
  }

  /** The pool's id on the diagnostics channels (`poolId` of every message about it; unique within this process). */
  get id(): number {
    return this.#poolId;
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

  /**
   * One task bound to this pool (what `load` gives for each export), with `options` for each call made
   * through it (see `BoundTask.with`).
   */
  bind<F extends AnyFunction>(task: Task<F>, options: BoundOptions<F> = {}): BoundTask<F> {
    const ref: TaskRef<F> = taskOf(task, 'task');
    this.#callOptions(options);
    const hasOptions = Object.keys(options).length > 0;
    const { transfer: _transfer, ...mapOptions } = options;
    const forMap = <O extends object>(given: O | undefined): O => (hasOptions ? { ...mapOptions, ...given } : given ?? {}) as O;
    const call = hasOptions
      ? (...args: Args<F>): Promise<Result<F>> => this.apply(ref, args, options)
      : (...args: Args<F>): Promise<Result<F>> => this.apply(ref, args);
    // A function's own `name` is read-only; the task's export name replaces it so the bound task is a TaskRef.
    Object.defineProperty(call, 'name', { value: ref.name });
    const members: Omit<BoundTask<F>, keyof TaskRef> & { url: string } = {
      url: ref.url,
      applyAsync: (...args: Args<F>) => this.applyAsync(ref, args, options),
      map: (items, given) => this.map(ref, items, forMap(given)),
      starmap: (items, given) => this.starmap(ref, items, forMap(given)),
      imap: (items, given) => this.imap(ref, items, forMap(given)),
      imapUnordered: (items, given) => this.imapUnordered(ref, items, forMap(given)),
      with: (more) => this.bind(ref, { ...options, ...more }),
    };
    return Object.assign(call, members);
  }

  /**
   * Runs `task(...args)` in a worker. `task` is a task reference or an exported function registered with
   * the codec (`registerFunction(fn, import.meta.url)` in its module), as Python's Pool takes a function.
   */
  apply<F extends AnyFunction>(task: Task<F>, args: Args<F> = [] as unknown as Args<F>, options: CallOptions = {}): Promise<Result<F>> {
    if (applyTrace.hasSubscribers) return this.#tracedApply(task, args, options);
    return this.#apply(task, args, options);
  }

  /** `apply` inside the `multiproc:pool:apply` tracing channel. */
  #tracedApply<F extends AnyFunction>(task: Task<F>, args: Args<F>, options: CallOptions): Promise<Result<F>> {
    let ref: TaskRef<F>;
    try {
      ref = taskOf(task, 'task');
    } catch {
      // Not a task: #apply rejects with the argument error, and there is nothing to name in a trace.
      return this.#apply(task, args, options);
    }
    return applyTrace.tracePromise(() => this.#apply(ref, args, options), { poolId: this.#poolId, name: ref.name, url: ref.url });
  }

  #apply<F extends AnyFunction>(task: Task<F>, args: Args<F>, options: CallOptions): Promise<Result<F>> {
    try {
      const fn = taskOf(task, 'task');
      if (!Array.isArray(args)) throw new TypeError(expected('args', 'an array of arguments', args));
      const submit = this.#submitOptions(options);
      submit.input = args;
      // Plain calls are encoded when dispatched, possibly batched with others; the rest now, so a value
      // that cannot be sent fails this call right away, and a handle argument is referenced as it was
      // when the call was made. The segments it references are held until the call settles, so the
      // caller may close its own handle at once (as Python allows) without the worker missing it.
      const handles = holdsHandle(args);
      const plain = !handles && options.transfer === undefined && submit.signal === undefined && !Number.isFinite(submit.timeout);
      // No named closure here: the bundle keeps function names, which costs a defineProperty per call.
      const held = handles ? Region.holding(() => encodeCall(args, options.transfer)) : undefined;
      const payload = plain ? args : held?.value ?? encodeCall(args, options.transfer);
      const settled = new Promise<Result<F>>((resolve, reject) => {
        this.#engine.submit(fn, TaskFlag.Spread, payload, 1, submit, resolve as (value: unknown) => void, reject);
      });
      return held === undefined ? settled : settled.finally(held.release);
    } catch (error) {
      // Only argument checks and the codec throw here, always with Error instances.
      return Promise.reject(error instanceof Error ? error : new TypeError(String(error)));
    }
  }

  /** `apply` without awaiting: Python's `apply_async`, with its `callback` and `errorCallback`. */
  applyAsync<F extends AnyFunction>(task: Task<F>, args: Args<F> = [] as unknown as Args<F>,
    options: CallOptions & AsyncCallbacks<Result<F>> = {}): AsyncResult<Result<F>> {
    return this.#async(options, (call) => this.apply(task, args, call));
  }

  /** `task(item)` for every item; results in input order. */
  map<F extends AnyFunction>(task: Task<F>, items: Input<MapItem<F>>, options: MapOptions<Item<F>> = {}): Promise<Result<F>[]> {
    return this.#map(task, items, 0, options as MapOptions) as Promise<Result<F>[]>;
  }

  /** `map` without awaiting: Python's `map_async`; `callback` gets the whole list. */
  mapAsync<F extends AnyFunction>(task: Task<F>, items: Input<MapItem<F>>, options: MapOptions<Item<F>> & AsyncCallbacks<Result<F>[]> = {}): AsyncResult<Result<F>[]> {
    return this.#async(options, (map) => this.map(task, items, map));
  }

  /** `task(...args)` for every tuple of arguments; results in input order. */
  starmap<F extends AnyFunction>(task: Task<F>, items: Input<Args<F>>, options: MapOptions<Parameters<F>> = {}): Promise<Result<F>[]> {
    return this.#map(task, items, TaskFlag.Spread, options as MapOptions) as Promise<Result<F>[]>;
  }

  /** `starmap` without awaiting: Python's `starmap_async`; `callback` gets the whole list. */
  starmapAsync<F extends AnyFunction>(task: Task<F>, items: Input<Args<F>>,
    options: MapOptions<Parameters<F>> & AsyncCallbacks<Result<F>[]> = {}): AsyncResult<Result<F>[]> {
    return this.#async(options, (map) => this.starmap(task, items, map));
  }

  /**
   * Lazy, ordered: reads `items` as workers free up and yields results in input order, whatever the
   * submission `order` (over a lazy input, `shuffle` and `longest-first` apply within each `orderWindow`).
   */
  imap<F extends AnyFunction>(task: Task<F>, items: Input<MapItem<F>>, options: MapOptions<Item<F>> = {}): AsyncGenerator<Result<F>, void, undefined> {
    return this.#lazy(task, items, true, options as MapOptions) as AsyncGenerator<Result<F>, void, undefined>;
  }

  /** Lazy, yields results as they complete; `order` as for `imap`. */
  imapUnordered<F extends AnyFunction>(task: Task<F>, items: Input<MapItem<F>>, options: MapOptions<Item<F>> = {}): AsyncGenerator<Result<F>, void, undefined> {
    return this.#lazy(task, items, false, options as MapOptions) as AsyncGenerator<Result<F>, void, undefined>;
  }

  /**
   * Puts `value` in shared memory once (see `ObjectStore.put`) and returns its ref: pass the ref to tasks
   * instead of the value, and each worker reads it in place, materialised once. The object is released when
   * the pool closes or terminates (or earlier, with `ref.release()`).
   */
  put<T>(value: T): ObjectRef<T> {
    // Refused as any call on a pool no longer running is: closed, terminated or broken, each said as it is.
    const refused = this.#engine.refusal();
    if (refused !== undefined) throw refused;
    return (this.#store ??= new ObjectStore()).put(value);
  }

  /** Takes no new tasks, finishes the queued ones, then stops the workers. Resolves once they are gone. */
  close(): Promise<void> {
    return this.#releasing(this.#engine.close());
  }

  /** Waits for the workers to be gone after `close()` or `terminate()`. */
  join(): Promise<void> {
    return this.#releasing(this.#engine.join());
  }

  /** Stops every worker now; unfinished tasks reject with `ERR_MP_POOL_TERMINATED`. Resolves once they are gone. */
  terminate(): Promise<void> {
    return this.#releasing(this.#engine.terminate());
  }

  /** Once the workers are gone, what `put` stored goes too. */
  #releasing(gone: Promise<void>): Promise<void> {
    return gone.finally(() => this.#store?.close());
  }

  /**
   * What the workers did, as a plain JSON-able snapshot (see PoolInsights): per worker start-up, initializer,
   * waiting, working and exit times with their totals, means, deviations and ratios, tasks completed, memory;
   * the five longest tasks; restarts, crashes with their worker-side stacks, the queue, the pool thread's event
   * loop. Readable after the pool closed. Throws `ERR_MP_INSIGHTS_DISABLED` unless created with `insights: true`.
   */
  insights(): PoolInsights {
    if (this.#insights === undefined) throw new InsightsDisabledError();
    return this.#insights.snapshot();
  }

  /** Prints `insights()` as a table to stdout, and returns the text. Throws as `insights()` does. */
  printInsights(): string {
    const text = formatInsights(this.insights());
    process.stdout.write(text);
    return text;
  }

  /** A plain snapshot: per worker tasks done, busy/idle/init time, current task; queue length. */
  stats(): PoolStats {
    return this.#engine.stats();
  }

  /**
   * A live page of this process's pools (this one and every other), pushed to the browser as they run:
   * per worker what it runs and for how long, maps with their progress, the task stream, the slowest tasks,
   * errors and crashes with their remote stacks. Resolves to the page's URL and `close()`. The first call
   * starts a server on `host:port` (127.0.0.1 and a free port by default; bound elsewhere, the URL carries the
   * token it asks for), which does not keep the process alive; later calls show their pool there too.
   * `{ connect: url }` shows the pools on a `multiproc dashboard` elsewhere instead. See docs/dashboard.md.
   */
  dashboard(options: DashboardOptions = {}): Promise<Dashboard> {
    return openDashboard(this, this.#poolId, options);
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

  /** Checks the callbacks before the call starts: a bad one throws a TypeError here, with nothing run. */
  #async<T, O extends object>(options: O & AsyncCallbacks<T>, start: (call: O) => Promise<T>): AsyncResult<T> {
    if (typeof options !== 'object' || options === null) throw new TypeError(expected('options', 'an object', options));
    const { callback, errorCallback, ...call } = options;
    checkCallbacks({ callback, errorCallback });
    return new AsyncResult(start(call as unknown as O), { callback, errorCallback });
  }

  #submitOptions(options: CallOptions | MapOptions): SubmitOptions {
    const submit = this.#callOptions(options);
    // After the argument checks: a closed, terminated or broken pool says so at the call, even one with
    // nothing to run (`map(task, [])`).
    const refused = this.#engine.refusal();
    if (refused !== undefined) throw refused;
    return submit;
  }

  /** The options of a call, checked (the pool's state is the call's to check: binding a task is no call). */
  #callOptions(options: CallOptions | MapOptions): SubmitOptions {
    const { signal } = checkCallOptions(options);
    checkMapOptions(options);
    return {
      signal,
      timeout: options.timeout === undefined ? this.#timeout : checkTimeout('timeout', options.timeout),
      retries: options.retries === undefined ? this.#retries : checkRetries(options.retries),
      mapId: 0,
      input: undefined,
    };
  }

  /** Checks the progress options now; the tracker (which draws its 0% frame at once) is made when the call starts. */
  #tracker(options: MapOptions, total: number | undefined, name: string): (() => ProgressTracker) | undefined {
    if (options.progress !== true && options.onProgress === undefined) return undefined;
    const onProgress = checkOnProgress(options.onProgress);
    return () => new ProgressTracker(total, { label: name, bar: options.progress === true, onProgress });
  }

  /** One chunk of a map-like call; the call's signal reaches it through `group`, one listener for all chunks. */
  #submitChunk(fn: TaskRef, flags: number, items: unknown[], submit: SubmitOptions, group: AbortGroup | undefined): ChunkHandle {
    let task: ReturnType<Engine['submit']> | undefined;
    const promise = new Promise<{ values: unknown[]; micros: number }>((resolve, reject) => {
      task = this.#engine.submit(fn, TaskFlag.Chunk | flags, encodeChunk(items, (flags & TaskFlag.Spread) !== 0), items.length, { ...submit, signal: undefined, input: items },
        (values, micros) => {
          this.#itemTimes.observe(fn, items.length, micros);
          resolve({ values: values as unknown[], micros });
        }, reject);
    });
    if (task !== undefined) group?.add(task);
    return { promise, drop: () => task !== undefined && this.#engine.drop(task) };
  }

  #abortGroup(signal: AbortSignal | undefined): AbortGroup | undefined {
    return signal === undefined ? undefined : new AbortGroup(signal, (task, reason) => this.#engine.abort(task, reason));
  }

  #map(task: Task, input: Input<unknown>, flags: number, options: MapOptions): Promise<unknown[]> {
    const mapId = ++this.#mapIds;
    if (!mapTrace.hasSubscribers) return this.#runMap(task, input, flags, options, mapId);
    let ref: TaskRef;
    try {
      ref = taskOf(task, 'task');
    } catch {
      return this.#runMap(task, input, flags, options, mapId);
    }
    const kind: MapKind = (flags & TaskFlag.Spread) !== 0 ? 'starmap' : 'map';
    return mapTrace.tracePromise(() => this.#runMap(ref, input, flags, options, mapId), { poolId: this.#poolId, mapId, kind, name: ref.name, url: ref.url });
  }

  async #runMap(task: Task, input: Input<unknown>, flags: number, options: MapOptions, mapId: number): Promise<unknown[]> {
    const fn = taskOf(task, 'task');
    const submit = this.#submitOptions(options);
    submit.mapId = mapId;
    const chunksize = checkChunksize('chunksize', options.chunksize ?? this.#chunksize);
    const order = checkOrder(options.order ?? this.#order);
    const { cost } = options;
    checkInput(input);
    const items: unknown[] = Array.isArray(input) ? input : [];
    if (!Array.isArray(input)) for await (const item of input) items.push(item);
    if (items.length === 0) return [];
    // starmap: every item is the arguments of one call, checked before any is sent.
    if ((flags & TaskFlag.Spread) !== 0) {
      const bad = items.findIndex((item) => !Array.isArray(item));
      if (bad >= 0) throw new TypeError(expected(`items[${bad}]`, "an array of the task's arguments (starmap spreads each item)", items[bad]));
    }
    const costs = cost === undefined ? undefined : costsOf(items, cost);
    const indices = order === 'fifo' ? undefined : submissionOrder(items, order, cost, costs);
    const tracker = this.#tracker(options, items.length, fn.name)?.();
    const report = mapReport(this.#poolId, mapId, (flags & TaskFlag.Spread) !== 0 ? 'starmap' : 'map', fn, items.length);
    let failure: unknown;
    const results = new Array<unknown>(items.length);
    const handles: ChunkHandle[] = [];
    const group = this.#abortGroup(submit.signal);
    /** Submits the items at submission positions [start, end) as one chunk. */
    const submitChunk = (start: number, end: number): ChunkHandle => {
      const chunkIndices = indices?.slice(start, end);
      const chunk = chunkIndices === undefined ? items.slice(start, end) : chunkIndices.map((i) => items[i]);
      const handle = this.#submitChunk(fn, flags, chunk, submit, group);
      handles.push(handle);
      handle.promise.then(({ values }) => {
        if (chunkIndices === undefined) for (let i = 0; i < values.length; i++) results[start + i] = values[i];
        else for (let i = 0; i < values.length; i++) results[chunkIndices[i]!] = values[i];
        tracker?.add(values.length);
        report?.add(values.length);
      }, () => {});
      return handle;
    };
    try {
      let start = 0;
      if (chunksize !== 'auto') {
        for (; start < items.length; start += chunksize) submitChunk(start, start + chunksize);
      } else {
        // 'auto': Python's rule, with no chunk longer than the task's measured time allows. A task not
        // measured yet runs one item on each worker first; the first to end sizes the rest's chunks if it
        // took long enough to be sure it is a long task (a first call's cold start is a few hundred us).
        let itemMicros = this.#itemTimes.get(fn);
        if (itemMicros === undefined && autoChunksize(items.length, this.#workers) > 1) {
          const probes: Promise<{ micros: number }>[] = [];
          for (; start < Math.min(this.#workers, items.length); start++) probes.push(submitChunk(start, start + 1).promise);
          // A probe that fails ends the map: Promise.all below rejects with its error, nothing more is sent.
          const { micros } = await Promise.race(probes);
          if (micros >= probeLongMicros) itemMicros = micros;
        }
        const restCosts = costs === undefined ? undefined : indices === undefined ? costs.slice(start) : indices.slice(start).map((i) => costs[i]!);
        const sizes = autoChunks(items.length - start, this.#workers, itemMicros ?? 0, restCosts);
        for (const size of sizes) {
          submitChunk(start, start + size);
          start += size;
        }
      }
      await Promise.all(handles.map((handle) => handle.promise));
      return results;
    } catch (error) {
      failure = error;
      for (const handle of handles) handle.drop();
      throw error;
    } finally {
      group?.close();
      tracker?.finish();
      report?.finish(failure);
    }
  }

  #lazy(task: Task, input: Input<unknown>, ordered: boolean, options: MapOptions): AsyncGenerator<unknown, void, undefined> {
    const fn = taskOf(task, 'task');
    const submit = this.#submitOptions(options);
    const chunksize = checkChunksize('chunksize', options.chunksize ?? this.#chunksize);
    const source = checkInput(input);
    const order = checkOrder(options.order ?? this.#order);
    const { cost } = options;
    const fixedWindow = options.orderWindow === undefined ? undefined : positiveInteger('orderWindow', options.orderWindow);
    const length = Array.isArray(source) ? source.length : undefined;
    const maxInflight = 2 * this.#workers + 2;
    const workers = this.#workers;
    const group = this.#abortGroup(submit.signal);
    // 'auto' over an array of a measured task: as map sizes its chunks; otherwise sized as results come.
    const itemMicros = this.#itemTimes.get(fn);
    const tracker = this.#tracker(options, length, fn.name);
    const mapId = ++this.#mapIds;
    submit.mapId = mapId;
    const poolId = this.#poolId;
    /** Made when iterating starts (`multiproc:map:started` then, not at the call). */
    let report: MapReport | undefined;
    // Nothing is read, sent or drawn before the caller starts iterating.
    const start = (): AsyncGenerator<unknown, void, undefined> => lazyMap(source, {
      ordered,
      chunksize: chunksize !== 'auto' ? chunksize : length === undefined || itemMicros === undefined ? undefined : measuredChunksize(length, workers, itemMicros),
      maxInflight,
      // An array is known up front: it is reordered whole, as map does. A lazy input is reordered a window
      // at a time, so an endless generator still works in bounded memory (see DESIGN, the pool).
      arrange: order === 'fifo' ? undefined : (items) => submissionOrder(items, order, cost),
      window: (size) => length ?? fixedWindow ?? Math.max(maxInflight * size, 4 * workers * size),
      submit: (items) => this.#submitChunk(fn, 0, items, submit, group),
      tracker: tracker?.(),
      report,
    });
    return iterate(() => {
      report = mapReport(poolId, mapId, ordered ? 'imap' : 'imapUnordered', fn, length);
      return report;
    }, start, group);
  }
}

/** The engine's queue for the insights (the recorder must not hold the pool: an unclosed pool is still collected). */
function queueOf(engine: Engine | undefined): { waiting: number; inflight: number } | undefined {
  if (engine === undefined) return undefined;
  const { queued, inflight } = engine.stats();
  return { waiting: queued, inflight };
}

/** The lazy map's results, started on the first `next()`, with its abort listener removed once it is over. */
async function* iterate(begin: () => MapReport | undefined, start: () => AsyncGenerator<unknown, void, undefined>,
  group: AbortGroup | undefined): AsyncGenerator<unknown, void, undefined> {
  const report = begin();
  let failure: unknown;
  try {
    yield* start();
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    group?.close();
    report?.finish(failure);
  }
}
