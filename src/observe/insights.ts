// The shape of `pool.insights()`: a plain, JSON-able snapshot of what a pool's workers did (MPIRE's figures, and more).
import type { Backend, MapKind, WorkerExitReason } from './channels.js';

/**
 * One part of the workers' lives, over every worker the pool ran: the total, the mean and the standard
 * deviation per worker (population), and the part's share of the whole (the sum of the five parts of every
 * worker), as MPIRE reports them.
 */
export interface TimeFigure {
  totalMs: number;
  meanMs: number;
  stdMs: number;
  /** totalMs over the pool's `totalMs` (0 to 1). */
  ratio: number;
}

/** A count over every worker the pool ran: total, mean and standard deviation per worker. */
export interface CountFigure {
  total: number;
  mean: number;
  std: number;
}

/** What a worker measured of its memory, last time it did. */
export interface MemorySample {
  /** Bytes; for a thread, the process it shares with the pool (`rssScope: 'process'`). */
  rss: number;
  rssScope: 'worker' | 'process';
  heapUsed: number;
  heapTotal: number;
  external: number;
  /** `Date.now()` of the sample. */
  sampledAt: number;
}

/** An error as plain data. */
export interface ErrorInsight {
  name: string;
  message: string;
  code: string | undefined;
}

/** A worker that died on its own. */
export interface CrashInsight {
  workerId: number;
  index: number;
  pid: number;
  threadId: number;
  exitCode: number | null;
  signal: string | null;
  /** The uncaught error it died of; undefined when it exited without one. */
  error: ErrorInsight | undefined;
  /** The worker-side stack of that error. */
  stack: string | undefined;
  /** The task it ran; undefined when it died between tasks. */
  task: { taskId: number; name: string; url: string } | undefined;
  at: number;
}

export type WorkerState = 'starting' | 'ready' | 'gone';

/** One worker (a thread or a process; a replacement is a worker of its own, in the same `index`). */
export interface WorkerInsights {
  workerId: number;
  index: number;
  pid: number;
  threadId: number;
  state: WorkerState;
  /** Spawn to the worker's code running, ms (the initializer excluded). */
  startupMs: number;
  /** The pool's initializer, ms. */
  initMs: number;
  /** Ready and holding no task, ms (the pool had nothing for it). */
  waitingMs: number;
  /** Running tasks, ms (the sum of their run times measured in the worker). */
  workingMs: number;
  /** The pool asking it to stop to its exit, ms. */
  exitMs: number;
  /** Tasks it answered with a result (a chunk counts once). */
  tasksCompleted: number;
  /** Tasks it answered with an error. */
  tasksFailed: number;
  /** Items of the tasks it completed (a call is one item, a chunk its length). */
  items: number;
  /** workingMs over the time it has been ready (0 to 1). */
  busyRatio: number;
  /** Tasks handed to it and not ended. */
  held: number;
  /** The oldest task it holds (the one it runs, or is about to): since when it holds it. */
  current: { taskId: number; name: string; url: string; heldMs: number } | undefined;
  memory: MemorySample | undefined;
  /** How it ended; undefined while it lives. */
  exit: { reason: WorkerExitReason; exitCode: number | null; signal: string | null } | undefined;
  /** `Date.now()` of its spawn, ready and exit. */
  spawnedAt: number;
  readyAt: number | undefined;
  exitedAt: number | undefined;
}

/** One of the longest tasks. */
export interface TopTask {
  taskId: number;
  name: string;
  url: string;
  workerId: number;
  index: number;
  runMs: number;
  items: number;
  /** Its arguments (a chunk: its items), formatted and cut to a line. */
  args: string;
}

/** A map-like call, running or among the last ones ended. */
export interface MapInsight {
  mapId: number;
  kind: MapKind;
  name: string;
  url: string;
  state: 'running' | 'done' | 'failed';
  done: number;
  total: number | undefined;
  elapsedMs: number;
  /** Items per second. */
  rate: number;
  /** Estimated ms left; undefined when the total is unknown or the map ended. */
  etaMs: number | undefined;
  startedAt: number;
}

/** The pool's own thread: how long its event loop was late, and how busy it was, while insights were on. */
export interface EventLoopInsight {
  /** Event-loop utilization of the pool's thread (0 to 1). */
  utilization: number;
  delayMeanMs: number;
  delayP99Ms: number;
  delayMaxMs: number;
}

export interface PoolInsights {
  poolId: number;
  pid: number;
  backend: Backend;
  /** Workers the pool keeps running. */
  workerCount: number;
  state: 'running' | 'closed' | 'terminated' | 'broken';
  /** `Date.now()` of the pool's creation and of this snapshot. */
  createdAt: number;
  at: number;
  /** Tasks answered with a result / with an error, by all workers (a chunk counts once). */
  tasksCompleted: number;
  tasksFailed: number;
  /** Tasks run again after their worker crashed. */
  tasksRetried: number;
  /** Items completed (calls, and the items of chunks). */
  items: number;
  /** Tasks completed per worker. */
  tasksPerWorker: CountFigure;
  startup: TimeFigure;
  init: TimeFigure;
  waiting: TimeFigure;
  working: TimeFigure;
  exit: TimeFigure;
  /** The five parts summed over every worker, ms. */
  totalMs: number;
  /** Every live worker, then the latest gone ones (at most 32 of those; the figures above count every worker). */
  workers: WorkerInsights[];
  /** The five longest tasks, longest first. */
  topTasks: TopTask[];
  /** Workers started to replace one that was gone, by why it went. */
  restarts: { total: number; retired: number; crashed: number; killed: number };
  /** Workers that died on their own: how many, and the latest (at most 10), newest last. */
  crashes: { total: number; recent: CrashInsight[] };
  /** Tasks waiting in the pool's queue, handed to workers and not ended, and the most that ever waited. */
  queue: { waiting: number; inflight: number; peakWaiting: number };
  eventLoop: EventLoopInsight;
  /** Map-like calls running, then the latest ended (at most 10). */
  maps: MapInsight[];
}
