// One pool as the dashboard knows it, built from the pool's diagnostics channel messages only: each message
// costs a few field updates, and everything kept is bounded (ring buffers, a top list), however long it runs.
import type {
  MapFinishedMessage, MapProgressMessage, MapStartedMessage, PoolClosedMessage, PoolCreatedMessage, TaskFailedMessage,
  TaskFinishedMessage, TaskStartedMessage, WorkerCrashedMessage, WorkerExitedMessage, WorkerReadyMessage,
  WorkerSampleMessage, WorkerSpawnedMessage,
} from '../observe/channels.js';
import type { PoolInsights } from '../observe/insights.js';
import { argsText, errorText } from './describe.js';
import { RingBuffer, TopK } from './ring-buffer.js';
import type { CrashView, ErrorText, MapView, PoolView, PoolViewState, SlowTask, TaskError, TimelineEntry, WorkerView } from './view.js';

/** How much each pool keeps: what the page shows, never more. */
export const limits = {
  /** Segments of each worker's task stream. */
  timeline: 120,
  errors: 20,
  crashes: 10,
  slowest: 10,
  /** Maps finished, shown under those running. */
  finishedMaps: 8,
  /** Maps running at once beyond which the oldest is dropped from view (a program that never ends its maps). */
  runningMaps: 32,
  /** Tasks one worker is known to hold (the pool hands a worker a few at a time). */
  held: 256,
  /** Throughput samples, one per `rateSampleMs`: the rate is measured over this window. */
  rateSamples: 6,
} as const;

const rateSampleMs = 1000;

/** A worker as `pool.stats()` shows it. */
export interface SeedWorker {
  index: number;
  pid: number;
  threadId: number;
  state: string;
  tasksDone: number;
  busyMs: number;
  initMs: number;
}

class WorkerModel {
  workerId = 0;
  pid = 0;
  threadId = 0;
  state: WorkerView['state'] = 'starting';
  /** The messages that handed it its tasks, kept as given (no record built per task). */
  readonly held = new Map<number, TaskStartedMessage>();
  tasksDone = 0;
  itemsDone = 0;
  busyMs = 0;
  heldMs = 0;
  heldSince = 0;
  /** When the slot's first worker was spawned: ratios are of the slot's whole life. */
  readonly since: number;
  startupMs = 0;
  initMs = 0;
  /** When the last task this worker held ended: the next one cannot have started before. */
  lastEnd = 0;
  memory: WorkerView['memory'];
  restarts = -1;
  lastCrash: CrashView | undefined;
  readonly lane = new RingBuffer<TimelineEntry>(limits.timeline);

  constructor(readonly index: number, at: number) {
    this.since = at;
  }

  hold(task: TaskStartedMessage): void {
    if (this.held.size === 0) this.heldSince = task.at;
    if (this.held.size < limits.held) this.held.set(task.taskId, task);
  }

  /** Ends a held task: its segments go into the task stream. */
  release(taskId: number, at: number, runMs: number | undefined, erred: boolean, name: string): void {
    const task = this.held.get(taskId);
    this.held.delete(taskId);
    if (task !== undefined && this.held.size === 0) this.heldMs += Math.max(0, at - this.heldSince);
    const startedAt = Math.max(task?.at ?? at - (runMs ?? 0), this.lastEnd);
    const runStart = runMs === undefined ? startedAt : Math.max(startedAt, at - runMs);
    if (runStart > startedAt) this.lane.push({ start: startedAt, end: runStart, kind: 'transfer', name, taskId });
    this.lane.push({ start: runStart, end: Math.max(at, runStart), kind: erred ? 'erred' : 'working', name, taskId });
    this.lastEnd = at;
    if (runMs !== undefined) this.busyMs += runMs;
  }

  /** The worker is gone: the tasks it held are the engine's to retry or fail; its held time ends now. */
  drop(at: number): void {
    if (this.held.size > 0) this.heldMs += Math.max(0, at - this.heldSince);
    this.held.clear();
    this.state = 'gone';
  }

  view(at: number): WorkerView {
    const [first] = this.held.values();
    const heldMs = this.heldMs + (this.held.size > 0 ? Math.max(0, at - this.heldSince) : 0);
    const life = Math.max(0, at - this.since);
    const busyMs = Math.min(this.busyMs, heldMs);
    return {
      index: this.index, workerId: this.workerId, pid: this.pid, threadId: this.threadId,
      state: this.state === 'gone' ? 'gone' : first !== undefined ? 'busy' : this.state,
      current: first === undefined ? undefined : { taskId: first.taskId, name: first.name, items: first.items, since: Math.max(first.at, this.lastEnd) },
      tasksDone: this.tasksDone, itemsDone: this.itemsDone,
      busyMs, waitMs: heldMs - busyMs, idleMs: Math.max(0, life - heldMs - this.startupMs - this.initMs),
      startupMs: this.startupMs, initMs: this.initMs, memory: this.memory, restarts: Math.max(0, this.restarts), lastCrash: this.lastCrash,
    };
  }
}

class MapModel {
  done = 0;
  total: number | undefined;
  elapsedMs = 0;
  state: MapView['state'] = 'running';
  error: ErrorText | undefined;

  constructor(readonly started: MapStartedMessage) {
    this.total = started.total;
  }

  view(at: number): MapView {
    const elapsedMs = this.state === 'running' ? Math.max(this.elapsedMs, at - this.started.at) : this.elapsedMs;
    const rate = elapsedMs > 0 ? (this.done * 1000) / elapsedMs : 0;
    const left = this.total === undefined ? undefined : Math.max(0, this.total - this.done);
    return {
      mapId: this.started.mapId, kind: this.started.kind, name: this.started.name, total: this.total, done: this.done,
      startedAt: this.started.at, elapsedMs, rate, state: this.state, error: this.error,
      etaMs: left === undefined || this.state !== 'running' ? undefined : left === 0 ? 0 : rate > 0 ? (left * 1000) / rate : undefined,
    };
  }
}

export class PoolModel {
  readonly id: string;
  state: PoolViewState = 'running';
  #error: ErrorText | undefined;
  readonly #created: PoolCreatedMessage;
  readonly #workers: WorkerModel[] = [];
  /** Which slot each live worker id is in. */
  readonly #slots = new Map<number, WorkerModel>();
  readonly #running = new Map<number, MapModel>();
  readonly #finished = new RingBuffer<MapView>(limits.finishedMaps);
  readonly #errors = new RingBuffer<TaskError>(limits.errors);
  readonly #crashes = new RingBuffer<CrashView>(limits.crashes);
  readonly #slowest = new TopK<SlowTask>(limits.slowest);
  readonly #rate = new RingBuffer<{ at: number; items: number }>(limits.rateSamples);
  #queued = 0;
  #tasksDone = 0;
  #tasksFailed = 0;
  #itemsDone = 0;
  /** When the last task completed (its `at`). */
  #lastItemsAt = -Infinity;

  constructor(created: PoolCreatedMessage) {
    this.#created = created;
    this.id = `${created.pid}-${created.poolId}`;
    for (let index = 0; index < created.workers; index++) this.#workers.push(new WorkerModel(index, created.at));
  }

  get poolId(): number {
    return this.#created.poolId;
  }

  #slot(index: number, at: number): WorkerModel {
    const known = this.#workers[index];
    if (known !== undefined) return known;
    // Slots past the announced size do not happen; a message naming one still gets a row rather than lost.
    for (;;) {
      const slot = new WorkerModel(this.#workers.length, at);
      this.#workers.push(slot);
      if (slot.index >= index) return slot;
    }
  }

  /**
   * The slot of a live worker. A worker running before the pool was seen on the channels (seeded from
   * `stats()`, which has no worker ids) is adopted by its slot index on its first message.
   */
  #worker(workerId: number, index: number): WorkerModel | undefined {
    const known = this.#slots.get(workerId);
    if (known !== undefined) return known;
    const slot = this.#workers[index];
    if (slot === undefined || slot.workerId !== 0 || slot.state === 'gone') return undefined;
    slot.workerId = workerId;
    this.#slots.set(workerId, slot);
    return slot;
  }

  workerSpawned(m: WorkerSpawnedMessage): void {
    const slot = this.#slot(m.index, m.at);
    slot.restarts++;
    slot.workerId = m.workerId;
    slot.state = 'starting';
    this.#slots.set(m.workerId, slot);
  }

  workerReady(m: WorkerReadyMessage): void {
    const slot = this.#slots.get(m.workerId);
    if (slot === undefined) return;
    Object.assign(slot, { pid: m.pid, threadId: m.threadId, state: 'idle', startupMs: slot.startupMs + m.startupMs, initMs: slot.initMs + m.initMs });
  }

  workerExited(m: WorkerExitedMessage): void {
    const slot = this.#worker(m.workerId, m.index);
    this.#slots.delete(m.workerId);
    if (slot !== undefined && slot.workerId === m.workerId) slot.drop(m.at);
  }

  workerCrashed(m: WorkerCrashedMessage): void {
    const crash: CrashView = {
      index: m.index, workerId: m.workerId, pid: m.pid, exitCode: m.exitCode, signal: m.signal, task: m.task?.name,
      error: m.error === undefined && m.stack === undefined ? undefined : errorText(m.error, m.stack), at: m.at,
    };
    this.#crashes.push(crash);
    this.#slot(m.index, m.at).lastCrash = crash;
  }

  workerSample(m: WorkerSampleMessage): void {
    const slot = this.#worker(m.workerId, m.index);
    if (slot !== undefined) slot.memory = { rss: m.rss, rssScope: m.rssScope, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, at: m.at };
  }

  taskStarted(m: TaskStartedMessage): void {
    this.#queued = m.queued;
    this.#worker(m.workerId, m.index)?.hold(m);
  }

  taskFinished(m: TaskFinishedMessage): void {
    this.#tasksDone++;
    this.#itemsDone += m.items;
    const slot = this.#worker(m.workerId, m.index);
    if (slot !== undefined) {
      slot.release(m.taskId, m.at, m.runMs, false, m.name);
      slot.tasksDone++;
      slot.itemsDone += m.items;
    }
    this.#slowest.offer(m.runMs, () => ({ taskId: m.taskId, name: m.name, runMs: m.runMs, items: m.items, index: m.index, args: argsText(m.args), at: m.at }));
    this.#sampleRate(m.at);
  }

  taskFailed(m: TaskFailedMessage): void {
    this.#tasksFailed++;
    this.#worker(m.workerId, m.index)?.release(m.taskId, m.at, m.runMs, true, m.name);
    this.#errors.push({ taskId: m.taskId, name: m.name, index: m.index, args: argsText(m.args), error: errorText(m.error), at: m.at });
  }

  mapStarted(m: MapStartedMessage): void {
    this.#running.set(m.mapId, new MapModel(m));
    if (this.#running.size > limits.runningMaps) {
      const [oldest] = this.#running.keys();
      if (oldest !== undefined) this.#running.delete(oldest);
    }
  }

  mapProgress(m: MapProgressMessage): void {
    const map = this.#running.get(m.mapId);
    if (map === undefined) return;
    map.done = m.done;
    map.total = m.total;
    map.elapsedMs = m.elapsedMs;
  }

  mapFinished(m: MapFinishedMessage): void {
    const map = this.#running.get(m.mapId);
    if (map === undefined) return;
    this.#running.delete(m.mapId);
    Object.assign(map, { done: m.done, total: m.total, elapsedMs: m.elapsedMs, state: m.error === undefined ? 'done' : 'failed' });
    if (m.error !== undefined) map.error = errorText(m.error);
    this.#finished.push(map.view(m.at));
  }

  closed(m: PoolClosedMessage): void {
    this.state = m.state;
    if (m.error !== undefined) this.#error = errorText(m.error);
    for (const slot of this.#workers) slot.drop(m.at);
  }

  #sampleRate(at: number): void {
    this.#lastItemsAt = at;
    const last = this.#rate.last();
    if (last === undefined || at - last.at >= rateSampleMs) this.#rate.push({ at, items: this.#itemsDone });
  }

  #rateNow(at: number): number {
    const [first] = this.#rate.toArray();
    // Nothing completed over the whole window: the rate is zero (and the pool's picture stops moving).
    if (first === undefined || at - this.#lastItemsAt > limits.rateSamples * rateSampleMs) return 0;
    const span = at - first.at;
    return span > 0 ? ((this.#itemsDone - first.items) * 1000) / span : 0;
  }

  /**
   * A pool created before anyone watched the channels, as its `insights()` tells it: its workers, what they
   * did so far, its running maps. From then on its messages keep it current.
   */
  static fromInsights(insights: PoolInsights): PoolModel {
    const model = new PoolModel({
      poolId: insights.poolId, pid: insights.pid, backend: insights.backend, workers: insights.workerCount, maxTasksPerWorker: Infinity,
      insights: true, at: insights.createdAt,
    });
    for (const worker of insights.workers) {
      if (worker.state === 'gone') continue;
      const slot = model.#slot(worker.index, worker.spawnedAt);
      Object.assign(slot, {
        workerId: worker.workerId, pid: worker.pid, threadId: worker.threadId, state: worker.state === 'ready' ? 'idle' : 'starting',
        startupMs: worker.startupMs, initMs: worker.initMs, tasksDone: worker.tasksCompleted, itemsDone: worker.items, busyMs: worker.workingMs,
        heldMs: worker.workingMs, restarts: insights.workers.filter((other) => other.index === worker.index).length - 1,
      });
      if (worker.memory !== undefined) {
        const { sampledAt, ...memory } = worker.memory;
        slot.memory = { ...memory, at: sampledAt };
      }
      model.#slots.set(worker.workerId, slot);
    }
    model.#queued = insights.queue.waiting;
    model.#tasksDone = insights.tasksCompleted;
    model.#tasksFailed = insights.tasksFailed;
    model.#itemsDone = insights.items;
    for (const map of insights.maps) {
      if (map.state !== 'running') continue;
      model.mapStarted({ poolId: insights.poolId, mapId: map.mapId, kind: map.kind, name: map.name, url: map.url, total: map.total, at: map.startedAt });
      model.mapProgress({ poolId: insights.poolId, mapId: map.mapId, done: map.done, total: map.total, elapsedMs: map.elapsedMs, at: insights.at });
    }
    if (insights.state !== 'running') model.state = insights.state;
    return model;
  }

  /** A pool created before anyone watched, recording no insights: what `pool.stats()` tells of it. */
  static fromStats(poolId: number, pid: number, size: number, stats: { backend: string; state: string; queued: number; workers: readonly SeedWorker[] }): PoolModel {
    const at = Date.now();
    const model = new PoolModel({ poolId, pid, backend: stats.backend as PoolCreatedMessage['backend'], workers: size, maxTasksPerWorker: Infinity, insights: false, at });
    for (const worker of stats.workers) {
      const slot = model.#slot(worker.index, at);
      Object.assign(slot, {
        pid: worker.pid, threadId: worker.threadId, state: worker.state === 'gone' ? 'gone' : worker.state === 'starting' ? 'starting' : 'idle',
        initMs: worker.initMs, tasksDone: worker.tasksDone, itemsDone: worker.tasksDone, busyMs: worker.busyMs, heldMs: worker.busyMs, restarts: 0,
      });
    }
    model.#queued = stats.queued;
    model.#tasksDone = stats.workers.reduce((sum, worker) => sum + worker.tasksDone, 0);
    model.#itemsDone = model.#tasksDone;
    if (stats.state === 'closed' || stats.state === 'terminated' || stats.state === 'broken') model.state = stats.state;
    return model;
  }

  view(at: number, insights: PoolInsights | undefined): PoolView {
    const created = this.#created;
    return {
      id: this.id, poolId: created.poolId, pid: created.pid, backend: created.backend, state: this.state, error: this.#error,
      createdAt: created.at, size: created.workers, queued: this.#queued, tasksDone: this.#tasksDone, tasksFailed: this.#tasksFailed,
      itemsDone: this.#itemsDone, rate: this.#rateNow(at),
      workers: this.#workers.map((slot) => slot.view(at)),
      maps: [...[...this.#running.values()].map((map) => map.view(at)), ...this.#finished.toArray().reverse()],
      timeline: this.#workers.map((slot) => ({ index: slot.index, entries: slot.lane.toArray() })),
      slowest: this.#slowest.toArray(),
      errors: this.#errors.toArray().reverse(),
      crashes: this.#crashes.toArray().reverse(),
      insights,
    };
  }
}
