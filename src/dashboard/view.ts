// What the page is sent: plain JSON, the same whether the pools run in this process or in a linked one.
import type { PoolInsights } from '../observe/insights.js';

/**
 * Whether what a process shows moves by itself: a pool running a task or a map, or whose rate has not yet
 * fallen to zero. A dashboard (or a link) whose pools are all still is not refreshed: nothing it shows moves.
 */
export function moving(view: ProcessView): boolean {
  return view.connected && view.pools.some((pool) => pool.state === 'running' &&
    (pool.rate > 0 || pool.workers.some((worker) => worker.current !== undefined) || pool.maps.some((map) => map.state === 'running')));
}

/** Everything one update carries. */
export interface DashboardState {
  v: 1;
  /** Counts up with every state the server renders. */
  seq: number;
  /** `Date.now()` when rendered: the page measures "running for" against it, not against its own clock. */
  at: number;
  processes: ProcessView[];
}

export interface ProcessView {
  /** Unique among the processes a dashboard shows (`host:pid`, and a link number for linked ones). */
  id: string;
  pid: number;
  host: string;
  title: string;
  /** False once a linked process went away (its last state stays shown, greyed). */
  connected: boolean;
  pools: PoolView[];
}

export type PoolViewState = 'running' | 'closed' | 'terminated' | 'broken';

export interface PoolView {
  /** `pid-poolId`: unique across processes; `/api/pools/<id>/insights` serves its `insights()`. */
  id: string;
  poolId: number;
  pid: number;
  backend: string;
  state: PoolViewState;
  /** Why it broke, when it did. */
  error: ErrorText | undefined;
  createdAt: number;
  size: number;
  /** Tasks waiting for a worker, as last published. */
  queued: number;
  tasksDone: number;
  tasksFailed: number;
  itemsDone: number;
  /** Items per second over the last few seconds. */
  rate: number;
  workers: WorkerView[];
  /** Maps running, then the last ones finished. */
  maps: MapView[];
  timeline: TimelineLane[];
  slowest: SlowTask[];
  errors: TaskError[];
  crashes: CrashView[];
  /**
   * The pool's own `insights()`, for a pool handed to the dashboard (`pool.dashboard()`, `MULTIPROC_DASHBOARD`):
   * `/api/pools/<id>/insights` serves it. Undefined for a pool only seen on the channels.
   */
  insights: PoolInsights | undefined;
}

export type WorkerViewState = 'starting' | 'idle' | 'busy' | 'gone';

export interface WorkerView {
  index: number;
  workerId: number;
  pid: number;
  threadId: number;
  state: WorkerViewState;
  /** The task it runs now (the oldest of those it holds), and since when. */
  current: { taskId: number; name: string; items: number; since: number } | undefined;
  tasksDone: number;
  itemsDone: number;
  /** Lifetime split of this worker, ms: running tasks, holding tasks but not running them (transfer, (de)serialising), holding none. */
  busyMs: number;
  waitMs: number;
  idleMs: number;
  startupMs: number;
  initMs: number;
  /** Memory as last sampled (pools with insights on); undefined before the first sample. */
  memory: { rss: number; rssScope: 'worker' | 'process'; heapUsed: number; heapTotal: number; external: number; at: number } | undefined;
  /** Workers that took this slot over after the first one. */
  restarts: number;
  lastCrash: CrashView | undefined;
}

export interface MapView {
  mapId: number;
  kind: string;
  name: string;
  total: number | undefined;
  done: number;
  startedAt: number;
  elapsedMs: number;
  /** Items per second so far. */
  rate: number;
  etaMs: number | undefined;
  state: 'running' | 'done' | 'failed';
  error: ErrorText | undefined;
}

/** One segment of a worker's task stream: `[start, end)` in `Date.now()` ms. */
export interface TimelineEntry {
  start: number;
  end: number;
  kind: 'working' | 'transfer' | 'erred';
  name: string;
  taskId: number;
}

export interface TimelineLane {
  index: number;
  entries: TimelineEntry[];
}

export interface SlowTask {
  taskId: number;
  name: string;
  runMs: number;
  items: number;
  index: number;
  /** The arguments as text, cut short. */
  args: string;
  at: number;
}

/** An error as text: the page shows it as text, whatever it holds. */
export interface ErrorText {
  name: string;
  code: string | undefined;
  message: string;
  /** The stack, with the remote (worker-side) stack after it when the error carries one as its cause. */
  stack: string;
}

export interface TaskError {
  taskId: number;
  name: string;
  index: number;
  args: string;
  error: ErrorText;
  at: number;
}

export interface CrashView {
  index: number;
  workerId: number;
  pid: number;
  exitCode: number | null;
  signal: string | null;
  task: string | undefined;
  error: ErrorText | undefined;
  at: number;
}
