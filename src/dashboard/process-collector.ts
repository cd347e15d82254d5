// This process's pools for its dashboards and links: one subscriber to the pool channels, shared by all of
// them, subscribed while at least one is open. Pools created while nobody watches are not seen until the
// next one is handed over (`pool.dashboard()`) or created.
import { subscribeAll } from '../observe/channels.js';
import { PoolModel } from './pool-model.js';
import { RingBuffer } from './ring-buffer.js';
import type { ProcessView } from './view.js';

/** Pools gone (closed, terminated, broken) that stay shown, newest first. */
const keptClosedPools = 8;

/** What a pool handed to a dashboard lets it read. */
export interface InsightsSource {
  insights(): unknown;
}

export class ProcessCollector {
  readonly #pools = new Map<number, PoolModel>();
  readonly #closed = new RingBuffer<PoolModel>(keptClosedPools);
  readonly #sources = new Map<number, WeakRef<InsightsSource>>();
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

  /** A pool's own `insights()` to serve, by its id (held weakly: a dashboard does not keep a pool alive). */
  addSource(poolId: number, source: InsightsSource): void {
    this.#sources.set(poolId, new WeakRef(source));
    const model = this.#pools.get(poolId);
    if (model !== undefined) model.insights = true;
  }

  insights(id: string): unknown {
    const model = [...this.#pools.values(), ...this.#closed.toArray()].find((pool) => pool.id === id);
    return model === undefined ? undefined : this.#sources.get(model.poolId)?.deref()?.insights();
  }

  process(): ProcessView {
    const at = Date.now();
    const open = [...this.#pools.values()].map((pool) => pool.view(at));
    const closed = this.#closed.toArray().reverse().map((pool) => pool.view(at));
    return { id: `${this.#host}:${process.pid}`, pid: process.pid, host: this.#host, title: process.title, connected: true, pools: [...open, ...closed] };
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
        const model = new PoolModel(message);
        model.insights = this.#sources.has(message.poolId);
        this.#pools.set(message.poolId, model);
        this.#changed();
      },
      poolClosed: (message) => {
        const pool = this.#pools.get(message.poolId);
        if (pool === undefined) return;
        pool.closed(message);
        this.#pools.delete(message.poolId);
        this.#closed.push(pool);
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
