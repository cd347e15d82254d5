// This process's pools for its dashboards and links: one subscriber to the pool channels, shared by all of
// them, subscribed while at least one is open. A pool created while nobody watched is seen once it is handed
// over (`pool.dashboard()`), from its `insights()`.
import { subscribeAll } from '../observe/channels.js';
import type { PoolInsights } from '../observe/insights.js';
import { PoolModel, type SeedWorker } from './pool-model.js';
import { RingBuffer } from './ring-buffer.js';
import type { ProcessView } from './view.js';

/** Pools gone (closed, terminated, broken) that stay shown, newest first. */
const keptClosedPools = 8;

/** What the dashboard reads of a pool handed to it (the public face of `Pool`). */
export interface WatchedPool {
  readonly workers: number;
  /** `pool.stats()`: what the dashboard starts from for a pool created before anyone watched the channels. */
  stats(): { backend: string; state: string; queued: number; workers: readonly SeedWorker[] };
  /** Throws (`ERR_MP_INSIGHTS_DISABLED`) for a pool created without `insights: true`. */
  insights(): PoolInsights;
}

/** A pool's insights, or undefined when it records none. */
function readInsights(pool: WatchedPool): PoolInsights | undefined {
  // A pool of a copy of multiproc from before insights has no such method.
  if (typeof pool.insights !== 'function') return undefined;
  try {
    return pool.insights();
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === 'ERR_MP_INSIGHTS_DISABLED') return undefined;
    throw error;
  }
}

export class ProcessCollector {
  readonly #pools = new Map<number, PoolModel>();
  readonly #closed = new RingBuffer<PoolModel>(keptClosedPools);
  /** Held weakly: a dashboard does not keep a pool alive. */
  readonly #sources = new Map<number, WeakRef<WatchedPool>>();
  readonly #listeners = new Set<() => void>();
  #unsubscribe: (() => void) | undefined;
  readonly #host = process.getBuiltinModule('node:os').hostname();

  /** Registers a watcher; the channels are subscribed while one is registered. Returns what unregisters it. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    this.#subscribe();
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) {
        this.#unsubscribe?.();
        this.#unsubscribe = undefined;
      }
    };
  }

  /**
   * A pool handed to a dashboard (`poolId` is the id its channel messages carry): its `insights()` are served
   * (when it records them), and it is shown even if it was created before anyone watched.
   */
  attach(pool: WatchedPool, poolId: number): void {
    this.#sources.set(poolId, new WeakRef(pool));
    if (this.#pools.has(poolId) || this.#closed.toArray().some((model) => model.poolId === poolId)) return;
    const insights = readInsights(pool);
    const model = insights !== undefined ? PoolModel.fromInsights(insights) : PoolModel.fromStats(poolId, process.pid, pool.workers, pool.stats());
    if (model.state === 'running') this.#pools.set(poolId, model);
    else this.#closed.push(model);
    this.#changed();
  }

  /** A pool's `insights()` by its dashboard id, fresh; undefined for a pool only seen on the channels. */
  insights(id: string): PoolInsights | undefined {
    const model = [...this.#pools.values(), ...this.#closed.toArray()].find((pool) => pool.id === id);
    return model === undefined ? undefined : this.#insightsOf(model.poolId);
  }

  #insightsOf(poolId: number): PoolInsights | undefined {
    const ref = this.#sources.get(poolId);
    const pool = ref?.deref();
    if (ref !== undefined && pool === undefined) this.#sources.delete(poolId);
    return pool === undefined ? undefined : readInsights(pool);
  }

  process(): ProcessView {
    const at = Date.now();
    const models = [...this.#pools.values(), ...this.#closed.toArray().reverse()];
    return {
      id: `${this.#host}:${process.pid}`, pid: process.pid, host: this.#host, title: process.title, connected: true,
      pools: models.map((model) => model.view(at, this.#insightsOf(model.poolId))),
    };
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }

  #subscribe(): void {
    if (this.#unsubscribe !== undefined) return;
    const on = <M extends { poolId: number }>(step: (pool: PoolModel, message: M) => void) => (message: M): void => {
      const pool = this.#pools.get(message.poolId);
      if (pool === undefined) return;
      step(pool, message);
      this.#changed();
    };
    this.#unsubscribe = subscribeAll({
      poolCreated: (message) => {
        this.#pools.set(message.poolId, new PoolModel(message));
        this.#changed();
      },
      poolClosed: (message) => {
        const pool = this.#pools.get(message.poolId);
        if (pool === undefined) return;
        pool.closed(message);
        this.#pools.delete(message.poolId);
        this.#closed.push(pool);
        // A closed pool's last insights stay served while it is shown, no longer.
        const shown = new Set([...this.#pools.keys(), ...this.#closed.toArray().map((model) => model.poolId)]);
        for (const poolId of this.#sources.keys()) if (!shown.has(poolId)) this.#sources.delete(poolId);
        this.#changed();
      },
      workerSpawned: on((pool, m) => pool.workerSpawned(m)),
      workerReady: on((pool, m) => pool.workerReady(m)),
      workerExited: on((pool, m) => pool.workerExited(m)),
      workerCrashed: on((pool, m) => pool.workerCrashed(m)),
      workerSample: on((pool, m) => pool.workerSample(m)),
      taskStarted: on((pool, m) => pool.taskStarted(m)),
      taskFinished: on((pool, m) => pool.taskFinished(m)),
      taskFailed: on((pool, m) => pool.taskFailed(m)),
      mapStarted: on((pool, m) => pool.mapStarted(m)),
      mapProgress: on((pool, m) => pool.mapProgress(m)),
      mapFinished: on((pool, m) => pool.mapFinished(m)),
    });
  }
}

/** The one collector of this process (every dashboard and link of the process reads it). */
export const processCollector = new ProcessCollector();
