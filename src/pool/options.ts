// Every option of the pool and its calls, with defaults. Each option is checked by the call that takes it
// (src/pool/option-checks.ts): a TypeError for a wrong type, a RangeError for a value out of range.
import type { BackendName, ResourceLimits } from '../backends/backend-worker.js';
import { defaultWorkers, maxWorkers } from './default-workers.js';
import type { TaskRef } from './task-ref.js';
import type { Progress } from '../observe/progress.js';

export type { BackendName, Progress, ResourceLimits };

/**
 * The default of every option, read by the checks and by the doc comments below (`@default`), so a default
 * is written once. `workers` is computed (the machine's cores), hence a getter.
 */
export const defaults = {
  get workers(): number {
    return defaultWorkers();
  },
  maxWorkers,
  backend: 'thread' as BackendName,
  initargs: [] as readonly unknown[],
  maxTasksPerWorker: Infinity,
  chunksize: 'auto' as Chunksize,
  order: 'fifo' as Order,
  taskTimeout: Infinity,
  abortGraceMs: 1000,
  retries: 0,
  spinMicros: 50,
  /** The most `spinMicros` may be: a tenth of a second of busy-waiting per message. */
  maxSpinMicros: 100_000,
  /** Not an option: how long a worker blocked in a synchronous wait parks between checks of its channel, ms. */
  blockingParkMs: 50,
  progress: false,
  insights: false,
  /** Not an option: how often a worker of a pool with insights sends a sample of its memory, between tasks, ms. */
  insightsSampleMs: 500,
} as const;

export interface PoolOptions {
  /**
   * Number of workers, at most 1024.
   * @default `defaults.workers`: physical cores where they can be read (Linux), else `os.availableParallelism()` (at most 1024)
   * @remarks A larger count throws a RangeError: the bound guards against a mistaken count (`1e9`), which would
   * start workers until memory ran out, and leaves room for many more workers than cores (I/O-bound tasks).
   * Each worker process (`backend: 'process'`) also takes a 512 KiB shared-memory channel in /dev/shm (or
   * $MULTIPROC_SHM_DIR): when they do not all fit, the constructor throws `ERR_MP_SHM_NO_SPACE` before starting
   * any worker.
   * Checked at construction: a positive integer (a TypeError otherwise), at most `defaults.maxWorkers` (a RangeError).
   */
  workers?: number;
  /** Worker threads (one process) or child processes: `'thread'` or `'process'`. @default `defaults.backend` ('thread') */
  backend?: BackendName;
  /** A task run once in each worker before its first task, with `initargs`. */
  initializer?: TaskRef;
  /** Arguments of the initializer; must be an array. @default `defaults.initargs` ([]) */
  initargs?: readonly unknown[];
  /** Replace a worker after it ran this many tasks (a chunk counts as one): a positive integer or Infinity. @default `defaults.maxTasksPerWorker` (Infinity) */
  maxTasksPerWorker?: number;
  /** Default chunk size of map-like calls, as `MapOptions.chunksize`. @default `defaults.chunksize` ('auto') */
  chunksize?: Chunksize;
  /** Default submission order of map-like calls: one of the `Order` names. @default `defaults.order` ('fifo') */
  order?: Order;
  /**
   * Default time limit per task, in ms. An overdue task's caller rejects with `ERR_MP_TASK_TIMEOUT` at once;
   * the task is asked to stop (see `currentTask()`) and its worker is replaced if it has not within
   * `abortGraceMs`. A positive number or Infinity (0, negative numbers and NaN are RangeErrors). @default `defaults.taskTimeout` (Infinity)
   */
  taskTimeout?: number;
  /**
   * When a running task is aborted (its call's `signal`) or times out, how many ms it may take to stop by
   * itself (`currentTask().throwIfAborted()`, `currentTask().signal`) before its worker is terminated and
   * replaced. A task that stops in time keeps its worker. 0 terminates the worker at once. The caller's
   * promise rejects at abort time either way. A non-negative finite number. @default `defaults.abortGraceMs` (1000)
   */
  abortGraceMs?: number;
  /** Default number of times a task whose worker crashed is run again (only for idempotent tasks): a non-negative integer. @default `defaults.retries` (0) */
  retries?: number;
  /**
   * Heap limits per worker. Only the four keys of `ResourceLimits`, each a non-negative finite number of MB
   * (0: Node's default; fractions allowed); a bad key or value is refused at construction. A limit too small for a
   * worker to start breaks the pool with an error naming `resourceLimits`.
   */
  resourceLimits?: ResourceLimits;
  /**
   * Node flags of the workers. Flags that would make a worker run other code than its entry (`-e`, `-p`, `-i`,
   * `-c`, `--input-type`, `--test*`, `--watch*`) are dropped from the parent's and from this list alike; the
   * parent's inspector flags are dropped too (no worker gets an inspector), those given here are kept
   * (`['--inspect=0']` debugs each worker on a port of its own).
   * An array of strings. A flag Node refuses is a TypeError naming `execArgv` at construction for threads; for
   * processes (whose flags only the child can judge) it breaks the pool with an error naming `execArgv` and
   * quoting what the child printed.
   * @default the parent's `process.execArgv`, filtered as above (so loaders such as tsx carry over)
   */
  execArgv?: readonly string[];
  /** Environment of the workers: an object whose values are strings (or undefined). @default the parent's `process.env` */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Microseconds a waiting side busy-waits for the next message before sleeping. Bounds the CPU an idle pool
   * burns to this much per task; 0 disables spinning. A number from 0 to `defaults.maxSpinMicros` (100000). @default `defaults.spinMicros` (50)
   */
  spinMicros?: number;
  /**
   * Record what the workers do, for `pool.insights()` and `pool.printInsights()` (MPIRE's `enable_insights`):
   * per worker start-up, initializer, waiting, working and exit times, tasks, memory; the longest tasks;
   * restarts and crashes. The pool records them as a subscriber of its diagnostics channels, and each worker
   * sends a sample of its memory a few times a second between tasks. A boolean.
   * Without it, `insights()` throws `ERR_MP_INSIGHTS_DISABLED`. With `MULTIPROC_DASHBOARD` set, a pool given no
   * `insights` records them (the dashboard it is shown on shows them). @default `defaults.insights` (false)
   */
  insights?: boolean;
}

export type Chunksize = number | 'auto';

/**
 * The order in which a map-like call submits its items (results still come back in input order from
 * map, starmap and imap):
 * - `fifo`: in input order.
 * - `shuffle`: random order; evens out work whose cost varies with position.
 * - `longest-first`: by decreasing `cost(item)`, so the slowest items do not start last.
 * For imap and imapUnordered over a lazy input, the order applies within each window of `orderWindow` items.
 */
export type Order = 'fifo' | 'shuffle' | 'longest-first';

export interface CallOptions {
  /**
   * Aborting drops queued work and rejects at once with the signal's reason; work that is running is asked
   * to stop (see `currentTask()`) and its worker is replaced if it has not within the pool's `abortGraceMs`.
   */
  signal?: AbortSignal;
  /** Time limit in ms for each task of the call, as `taskTimeout`. @default the pool's `taskTimeout` */
  timeout?: number;
  /** Retries after a worker crash: a non-negative integer. @default the pool's `retries` */
  retries?: number;
  /** Buffers moved to the worker instead of copied (they become unusable here): an array of distinct ArrayBuffers. */
  transfer?: readonly ArrayBuffer[];
}

export interface MapOptions<T = unknown> extends Omit<CallOptions, 'transfer'> {
  /**
   * Items per task: a positive integer or `'auto'`. `auto`: like Python, about len / (4 x workers); for lazy inputs,
   * sized from measured run times. @default the pool's `chunksize`
   */
  chunksize?: Chunksize;
  /** @default the pool's `order` */
  order?: Order;
  /**
   * Relative cost of an item, for `order: 'longest-first'`: a function returning a number (not NaN).
   * @default the item's `length` when it has one, else 1
   */
  cost?: (item: T) => number;
  /**
   * imap and imapUnordered over a lazy input (not an array) with `order` other than `'fifo'`: how many items
   * are read ahead and reordered together (a positive integer). An array is always reordered whole, as `map` does.
   * @default 4 x workers x chunk size (never less than what may be in flight)
   */
  orderWindow?: number;
  /** Draw a progress bar on stderr (plain lines when stderr is not a terminal); a boolean. @default `defaults.progress` (false) */
  progress?: boolean;
  /** Called as items complete; a function. */
  onProgress?: (progress: Progress) => void;
}
