// Records one pool's insights from its diagnostics channels (a subscriber, nothing inside the engine) and makes the snapshot.
import type { IntervalHistogram } from 'node:perf_hooks';
import type {
  Backend, MapFinishedMessage, MapKind, MapProgressMessage, MapStartedMessage, PoolClosedMessage, PoolCreatedMessage, TaskFailedMessage,
  TaskFinishedMessage, TaskQueuedMessage, TaskRetriedMessage, TaskStartedMessage, WorkerCrashedMessage, WorkerExitedMessage, WorkerExitReason,
  WorkerReadyMessage, WorkerSampleMessage, WorkerSpawnedMessage,
} from './channels.js';
import { subscribeAll } from './channels.js';
import type {
  CountFigure, CrashInsight, ErrorInsight, EventLoopInsight, MapInsight, MemorySample, PoolInsights, TimeFigure, TopTask, WorkerInsights,
} from './insights.js';

const topTaskCount = 5;
const keptGoneWorkers = 32;
const keptCrashes = 10;
const keptMaps = 10;
const argsChars = 120;
/** The event-loop delay histogram's resolution, ms: its readings include it, taken off in the snapshot. */
const delayResolutionMs = 10;

/** Running mean and variance (Welford): the figures of every worker gone, in constant memory. */
class Moments {
  n = 0;
  mean = 0;
  #m2 = 0;

  add(value: number): void {
    this.n++;
    const delta = value - this.mean;
    this.mean += delta / this.n;
    this.#m2 += delta * (value - this.mean);
  }

  copy(): Moments {
    const copy = new Moments();
    copy.n = this.n;
    copy.mean = this.mean;
    copy.#m2 = this.#m2;
    return copy;
  }

  /** Population standard deviation, as MPIRE's. */
  get std(): number {
    return this.n === 0 ? 0 : Math.sqrt(this.#m2 / this.n);
  }

  get total(): number {
    return this.mean * this.n;
  }
}

const parts = ['startupMs', 'initMs', 'waitingMs', 'workingMs', 'exitMs', 'tasksCompleted'] as const;
type Part = (typeof parts)[number];

interface WorkerRecord {
  workerId: number;
  index: number;
  pid: number;
  threadId: number;
  spawnedAt: number;
  readyAt: number | undefined;
  exitedAt: number | undefined;
  startupMs: number;
  initMs: number;
  workingMs: number;
  exitMs: number;
  tasksCompleted: number;
  tasksFailed: number;
  items: number;
  /** Tasks handed to it and not ended (which ones: `#heldTasks`). */
  held: number;
  memory: MemorySample | undefined;
  exit: WorkerInsights['exit'];
}

interface MapRecord {
  mapId: number;
  kind: MapKind;
  name: string;
  url: string;
  state: MapInsight['state'];
  done: number;
  total: number | undefined;
  elapsedMs: number;
  startedAt: number;
}

/** What the pool itself can say at snapshot time (its queue), when the recorder lives beside it. */
export interface LiveQueue {
  waiting: number;
  inflight: number;
}

export interface InsightsRecorderOptions {
  /** The pool's queue now; without it, the queue is what the channels last said. */
  queue?: () => LiveQueue | undefined;
}

/** An error as plain data. */
export function errorInsight(error: unknown): ErrorInsight | undefined {
  if (error === undefined) return undefined;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, code: typeof code === 'string' ? code : undefined };
  }
  const message = typeof error === 'string' ? error : process.getBuiltinModule('node:util').inspect(error, { depth: 1, breakLength: Infinity });
  return { name: typeof error, message, code: undefined };
}

/** A task's arguments (a chunk's items) on one line, cut to `argsChars`. */
export function formatArgs(args: readonly unknown[] | undefined): string {
  if (args === undefined) return '';
  let text: string;
  try {
    text = process.getBuiltinModule('node:util').inspect(args, {
      depth: 2, maxArrayLength: 10, maxStringLength: 60, breakLength: Infinity, compact: true, colors: false,
    });
  } catch {
    text = '[arguments that cannot be shown]';
  }
  return text.length <= argsChars ? text : `${text.slice(0, argsChars - 1)}…`;
}

/**
 * Subscribes to the channels for pool `poolId` until that pool is gone (`multiproc:pool:closed`); the
 * snapshot stays readable after. Memory is bounded however long the pool runs: live workers, the last 32
 * gone, 10 crashes, 10 maps, 5 top tasks, and running sums for the rest.
 */
export class InsightsRecorder {
  readonly poolId: number;
  readonly #queue: (() => LiveQueue | undefined) | undefined;
  #pid = process.pid;
  #backend: Backend = 'thread';
  #workerCount = 0;
  #createdAt = Date.now();
  #state: PoolInsights['state'] = 'running';
  readonly #workers = new Map<number, WorkerRecord>();
  /**
   * Each task handed out and not ended, as the message that handed it (its worker, name, since when), oldest
   * first: the hot path keeps the message it was given rather than building a record per task. A task taken
   * back and handed again moves.
   */
  readonly #heldTasks = new Map<number, TaskStartedMessage>();
  readonly #gone: WorkerInsights[] = [];
  readonly #goneMoments = new Map<Part, Moments>(parts.map((part) => [part, new Moments()]));
  #goneFailed = 0;
  #goneItems = 0;
  /** Exit reason of the last worker gone from each index: what a replacement in that index replaces. */
  readonly #exitByWorker = new Map<number, WorkerExitReason>();
  readonly #restarts = { total: 0, retired: 0, crashed: 0, killed: 0 };
  #crashTotal = 0;
  readonly #crashes: CrashInsight[] = [];
  #retried = 0;
  #waiting = 0;
  #peakWaiting = 0;
  readonly #top: TopTask[] = [];
  readonly #maps = new Map<number, MapRecord>();
  readonly #endedMaps: MapRecord[] = [];
  readonly #delay: IntervalHistogram;
  readonly #eluStart: ReturnType<typeof performance.eventLoopUtilization>;
  #eluEnd: ReturnType<typeof performance.eventLoopUtilization> | undefined;
  readonly #unsubscribe: () => void;

  constructor(poolId: number, options: InsightsRecorderOptions = {}) {
    this.poolId = poolId;
    this.#queue = options.queue;
    this.#delay = process.getBuiltinModule('node:perf_hooks').monitorEventLoopDelay({ resolution: delayResolutionMs });
    this.#delay.enable();
    this.#eluStart = performance.eventLoopUtilization();
    // Each handler first checks the pool: every pool's messages come through the same channels.
    this.#unsubscribe = subscribeAll({
      poolCreated: (m) => m.poolId === poolId && this.#created(m),
      poolClosed: (m) => m.poolId === poolId && this.#closed(m),
      workerSpawned: (m) => m.poolId === poolId && this.#spawned(m),
      workerReady: (m) => m.poolId === poolId && this.#ready(m),
      workerExited: (m) => m.poolId === poolId && this.#exited(m),
      workerCrashed: (m) => m.poolId === poolId && this.#crashed(m),
      workerSample: (m) => m.poolId === poolId && this.#sampled(m),
      taskQueued: (m) => m.poolId === poolId && this.#queued(m),
      taskStarted: (m) => m.poolId === poolId && this.#started(m),
      taskFinished: (m) => m.poolId === poolId && this.#finished(m),
      taskFailed: (m) => m.poolId === poolId && this.#failed(m),
      taskRetried: (m) => m.poolId === poolId && this.#onRetried(m),
      mapStarted: (m) => m.poolId === poolId && this.#mapStarted(m),
      mapProgress: (m) => m.poolId === poolId && this.#mapProgress(m),
      mapFinished: (m) => m.poolId === poolId && this.#mapFinished(m),
    });
  }

  /** Stops listening (the pool's close does it too); what was recorded stays. */
  stop(): void {
    this.#unsubscribe();
    if (this.#eluEnd === undefined) {
      this.#eluEnd = performance.eventLoopUtilization();
      this.#delay.disable();
    }
  }

  #created(m: PoolCreatedMessage): void {
    this.#pid = m.pid;
    this.#backend = m.backend;
    this.#workerCount = m.workers;
    this.#createdAt = m.at;
  }

  #closed(m: PoolClosedMessage): void {
    this.#state = m.state;
    this.#waiting = 0;
    this.stop();
  }

  #spawned(m: WorkerSpawnedMessage): void {
    this.#workers.set(m.workerId, {
      workerId: m.workerId, index: m.index, pid: 0, threadId: 0, spawnedAt: m.at, readyAt: undefined, exitedAt: undefined, startupMs: 0, initMs: 0,
      workingMs: 0, exitMs: 0, tasksCompleted: 0, tasksFailed: 0, items: 0, held: 0, memory: undefined, exit: undefined,
    });
    if (m.replaces === undefined) return;
    this.#restarts.total++;
    const why = this.#exitByWorker.get(m.replaces);
    this.#exitByWorker.delete(m.replaces);
    if (why === 'retired' || why === 'crashed' || why === 'killed') this.#restarts[why]++;
  }

  #ready(m: WorkerReadyMessage): void {
    const worker = this.#workers.get(m.workerId);
    if (worker === undefined) return;
    worker.pid = m.pid;
    worker.threadId = m.threadId;
    worker.readyAt = m.at;
    worker.startupMs = m.startupMs;
    worker.initMs = m.initMs;
  }

  #exited(m: WorkerExitedMessage): void {
    const worker = this.#workers.get(m.workerId);
    if (worker === undefined) return;
    worker.pid ||= m.pid;
    worker.threadId ||= m.threadId;
    worker.exitedAt = m.at;
    worker.exitMs = m.exitMs;
    // Never ready: its whole life was starting up.
    if (worker.readyAt === undefined) worker.startupMs = Math.max(0, m.at - worker.spawnedAt - m.exitMs);
    worker.exit = { reason: m.reason, exitCode: m.exitCode, signal: m.signal };
    // What it still held either runs again elsewhere (a new `started`) or fails (a `failed`).
    if (worker.held > 0) for (const [taskId, task] of this.#heldTasks) if (task.workerId === worker.workerId) this.#heldTasks.delete(taskId);
    worker.held = 0;
    this.#workers.delete(m.workerId);
    this.#exitByWorker.set(m.workerId, m.reason);
    const row = this.#row(worker, m.at);
    for (const part of parts) this.#goneMoments.get(part)!.add(row[part]);
    this.#goneFailed += row.tasksFailed;
    this.#goneItems += row.items;
    this.#gone.push(row);
    if (this.#gone.length > keptGoneWorkers) this.#gone.shift();
  }

  #crashed(m: WorkerCrashedMessage): void {
    this.#crashTotal++;
    this.#crashes.push({
      workerId: m.workerId, index: m.index, pid: m.pid, threadId: m.threadId, exitCode: m.exitCode, signal: m.signal, error: errorInsight(m.error),
      stack: m.stack, task: m.task === undefined ? undefined : { ...m.task }, at: m.at,
    });
    if (this.#crashes.length > keptCrashes) this.#crashes.shift();
  }

  #sampled(m: WorkerSampleMessage): void {
    const worker = this.#workers.get(m.workerId);
    if (worker === undefined) return;
    worker.memory = { rss: m.rss, rssScope: m.rssScope, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, sampledAt: m.at };
  }

  #queued(m: TaskQueuedMessage): void {
    this.#waiting = m.queued;
    if (m.queued > this.#peakWaiting) this.#peakWaiting = m.queued;
  }

  #started(m: TaskStartedMessage): void {
    this.#waiting = m.queued;
    const worker = this.#workers.get(m.workerId);
    if (worker === undefined) return;
    this.#ended(m.taskId);
    this.#heldTasks.set(m.taskId, m);
    worker.held++;
  }

  /** The task is over (or handed again): the worker that held it no longer does. */
  #ended(taskId: number): void {
    const task = this.#heldTasks.get(taskId);
    if (task === undefined) return;
    this.#heldTasks.delete(taskId);
    const holder = this.#workers.get(task.workerId);
    if (holder !== undefined) holder.held--;
  }

  /** The oldest task `worker` holds (a scan of the tasks out, at snapshot time only). */
  #oldestHeld(worker: WorkerRecord): TaskStartedMessage | undefined {
    if (worker.held === 0) return undefined;
    for (const task of this.#heldTasks.values()) if (task.workerId === worker.workerId) return task;
    return undefined;
  }

  #finished(m: TaskFinishedMessage): void {
    this.#ended(m.taskId);
    const worker = this.#workers.get(m.workerId);
    if (worker !== undefined) {
      worker.tasksCompleted++;
      worker.items += m.items;
      worker.workingMs += m.runMs;
    }
    this.#considerTop(m);
  }

  #failed(m: TaskFailedMessage): void {
    this.#ended(m.taskId);
    // Only an error the worker answered with is the worker's work; a crash, a timeout, an abort are not.
    if (m.runMs === undefined) return;
    const worker = this.#workers.get(m.workerId);
    if (worker === undefined) return;
    worker.tasksFailed++;
    worker.workingMs += m.runMs;
  }

  #onRetried(_m: TaskRetriedMessage): void {
    this.#retried++;
  }

  /** Keeps the five longest tasks; only a task that enters them has its arguments formatted. */
  #considerTop(m: TaskFinishedMessage): void {
    const top = this.#top;
    if (top.length === topTaskCount && m.runMs <= top[topTaskCount - 1]!.runMs) return;
    const entry: TopTask = {
      taskId: m.taskId, name: m.name, url: m.url, workerId: m.workerId, index: m.index, runMs: m.runMs, items: m.items, args: formatArgs(m.args),
    };
    let at = top.findIndex((other) => other.runMs < m.runMs);
    if (at < 0) at = top.length;
    top.splice(at, 0, entry);
    if (top.length > topTaskCount) top.pop();
  }

  #mapStarted(m: MapStartedMessage): void {
    this.#maps.set(m.mapId, { mapId: m.mapId, kind: m.kind, name: m.name, url: m.url, state: 'running', done: 0, total: m.total, elapsedMs: 0, startedAt: m.at });
  }

  #mapProgress(m: MapProgressMessage): void {
    const map = this.#maps.get(m.mapId);
    if (map === undefined) return;
    map.done = m.done;
    map.elapsedMs = m.elapsedMs;
  }

  #mapFinished(m: MapFinishedMessage): void {
    const map = this.#maps.get(m.mapId);
    if (map === undefined) return;
    this.#maps.delete(m.mapId);
    map.done = m.done;
    map.elapsedMs = m.elapsedMs;
    map.state = m.error === undefined ? 'done' : 'failed';
    this.#endedMaps.push(map);
    if (this.#endedMaps.length > keptMaps) this.#endedMaps.shift();
  }

  /** A worker's figures as of `at` (Date.now()). */
  #row(worker: WorkerRecord, at: number): WorkerInsights {
    const end = worker.exitedAt ?? at;
    const readyFor = worker.readyAt === undefined ? 0 : Math.max(0, end - worker.readyAt - worker.exitMs);
    const oldest = worker.exitedAt === undefined ? this.#oldestHeld(worker) : undefined;
    return {
      workerId: worker.workerId, index: worker.index, pid: worker.pid, threadId: worker.threadId,
      state: worker.exitedAt !== undefined ? 'gone' : worker.readyAt === undefined ? 'starting' : 'ready',
      startupMs: worker.readyAt === undefined && worker.exitedAt === undefined ? Math.max(0, at - worker.spawnedAt) : worker.startupMs,
      initMs: worker.initMs,
      waitingMs: Math.max(0, readyFor - worker.workingMs),
      workingMs: worker.workingMs,
      exitMs: worker.exitMs,
      tasksCompleted: worker.tasksCompleted,
      tasksFailed: worker.tasksFailed,
      items: worker.items,
      busyRatio: readyFor > 0 ? Math.min(1, worker.workingMs / readyFor) : 0,
      held: worker.held,
      current: oldest === undefined ? undefined : { taskId: oldest.taskId, name: oldest.name, url: oldest.url, heldMs: Math.max(0, at - oldest.at) },
      memory: worker.memory === undefined ? undefined : { ...worker.memory },
      exit: worker.exit === undefined ? undefined : { ...worker.exit },
      spawnedAt: worker.spawnedAt, readyAt: worker.readyAt, exitedAt: worker.exitedAt,
    };
  }

  #eventLoop(): EventLoopInsight {
    const elu = performance.eventLoopUtilization(this.#eluEnd ?? performance.eventLoopUtilization(), this.#eluStart);
    const delay = this.#delay;
    // Nanoseconds between the histogram's ticks, so the resolution plus the delay; with no tick yet, NaN or 0.
    const ms = (nanos: number): number => (Number.isFinite(nanos) && delay.count > 0 ? Math.max(0, nanos / 1e6 - delayResolutionMs) : 0);
    return { utilization: elu.utilization, delayMeanMs: ms(delay.mean), delayP99Ms: ms(delay.percentile(99)), delayMaxMs: ms(delay.max) };
  }

  snapshot(): PoolInsights {
    const at = Date.now();
    const live = [...this.#workers.values()].map((worker) => this.#row(worker, at));
    const moments = new Map<Part, Moments>();
    for (const part of parts) {
      const m = this.#goneMoments.get(part)!.copy();
      for (const row of live) m.add(row[part]);
      moments.set(part, m);
    }
    const totalOf = (part: Part): number => moments.get(part)!.total;
    const totalMs = totalOf('startupMs') + totalOf('initMs') + totalOf('waitingMs') + totalOf('workingMs') + totalOf('exitMs');
    const figure = (part: Part): TimeFigure => {
      const m = moments.get(part)!;
      return { totalMs: m.total, meanMs: m.mean, stdMs: m.std, ratio: totalMs > 0 ? m.total / totalMs : 0 };
    };
    const tasks = moments.get('tasksCompleted')!;
    const tasksPerWorker: CountFigure = { total: Math.round(tasks.total), mean: tasks.mean, std: tasks.std };
    let inflight = 0;
    for (const row of live) inflight += row.held;
    const queue = this.#state === 'running' ? this.#queue?.() : undefined;
    const mapRow = (map: MapRecord): MapInsight => {
      const running = map.state === 'running';
      const elapsedMs = running ? Math.max(map.elapsedMs, at - map.startedAt) : map.elapsedMs;
      const rate = elapsedMs > 0 ? (1000 * map.done) / elapsedMs : 0;
      const etaMs = running && map.total !== undefined && rate > 0 ? (1000 * (map.total - map.done)) / rate : undefined;
      return { mapId: map.mapId, kind: map.kind, name: map.name, url: map.url, state: map.state, done: map.done, total: map.total, elapsedMs, rate, etaMs, startedAt: map.startedAt };
    };
    return {
      poolId: this.poolId, pid: this.#pid, backend: this.#backend, workerCount: this.#workerCount, state: this.#state, createdAt: this.#createdAt, at,
      tasksCompleted: tasksPerWorker.total,
      tasksFailed: this.#goneFailed + live.reduce((sum, row) => sum + row.tasksFailed, 0),
      tasksRetried: this.#retried,
      items: this.#goneItems + live.reduce((sum, row) => sum + row.items, 0),
      tasksPerWorker,
      startup: figure('startupMs'), init: figure('initMs'), waiting: figure('waitingMs'), working: figure('workingMs'), exit: figure('exitMs'),
      totalMs,
      workers: [...live, ...this.#gone.map((row) => ({ ...row }))],
      topTasks: this.#top.map((task) => ({ ...task })),
      restarts: { ...this.#restarts },
      crashes: { total: this.#crashTotal, recent: this.#crashes.map((crash) => ({ ...crash, task: crash.task === undefined ? undefined : { ...crash.task } })) },
      queue: {
        waiting: queue?.waiting ?? this.#waiting, inflight: queue?.inflight ?? inflight, peakWaiting: Math.max(this.#peakWaiting, queue?.waiting ?? 0),
      },
      eventLoop: this.#eventLoop(),
      maps: [...[...this.#maps.values()].map(mapRow), ...this.#endedMaps.map(mapRow)],
    };
  }
}
