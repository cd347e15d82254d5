// The pool's engine: takes tasks, starts the workers and wires the parts that serve them (dispatch,
// result reading, faults, life cycle). The facade (pool.ts) validates; this file assumes valid input.
import { now } from '../clock.js';
import { channels } from '../observe/channels.js';
import type { BackendName, ResourceLimits } from '../backends/backend-worker.js';
import type { Packet } from '../serialize/index.js';
import { channelBytes } from '../wire/channel.js';
import { protocolVersion, type FromWorker, type TaskRef } from '../wire/protocol.js';
import { Dispatcher } from './dispatcher.js';
import { InitializerError } from './errors.js';
import { Faults, type CrashReport } from './faults.js';
import { Lifecycle, type EngineState } from './lifecycle.js';
import { ResultReader } from './result-reader.js';
import { slotStats, type PoolStats } from './stats.js';
import { failTask, type Task } from './task.js';
import { FifoQueue, type TaskQueue } from './task-queue.js';
import { trustTaskModule } from './task-ref.js';
import { defaults } from './options.js';
import { checkStartFlags, startWorker } from '../backends/start.js';
import { WorkerSlot } from './worker-slot.js';

export interface EngineOptions {
  /** The pool's id on the diagnostics channels. */
  poolId: number;
  /** Whether the pool records insights (said in `multiproc:pool:created`). */
  insights: boolean;
  /** How often workers send a sample of their memory, ms (0: never). */
  sampleMs: number;
  workers: number;
  backend: BackendName;
  initializer: TaskRef | undefined;
  initargs: Packet;
  maxTasksPerWorker: number;
  spinMicros: number;
  abortGraceMs: number;
  resourceLimits: ResourceLimits | undefined;
  execArgv: readonly string[] | undefined;
  env: Readonly<Record<string, string | undefined>> | undefined;
  /** A worker died on its own. */
  onCrash: (crash: CrashReport) => void;
}

export interface SubmitOptions {
  signal: AbortSignal | undefined;
  timeout: number;
  retries: number;
  /** The map-like call the task belongs to (0: none), for the diagnostics channels. */
  mapId: number;
  /** The call's arguments or the chunk's items as given, for the diagnostics channels. */
  input: readonly unknown[] | undefined;
}

/** Ring bytes per direction: fits a few thousand small calls or a chunk of tens of thousands of numbers. */
export const ringBytes = 256 * 1024;
const settled = Promise.resolve();
const { poolCreated, poolClosed, taskQueued, workerSpawned, workerReady, workerSample, taskFinished, taskFailed } = channels;

/** Whether a task's arguments as given are kept for the channels: only their subscribers read them, so without one a task holds no more than its encoded packet. */
function argsWanted(): boolean {
  return taskFinished.hasSubscribers || taskFailed.hasSubscribers;
}

export class Engine {
  readonly #options: EngineOptions;
  readonly #slots: WorkerSlot[] = [];
  readonly #queue: TaskQueue<Task> = new FifoQueue<Task>();
  /** Each task function's number, by module URL then export name. */
  readonly #fnNumbers = new Map<string, Map<string, number>>();
  #fnCount = 0;
  readonly #lifecycle: Lifecycle;
  readonly #dispatcher: Dispatcher;
  readonly #results: ResultReader;
  readonly #faults: Faults;
  #nextId = 1;
  #workerIds = 0;
  readonly #queuedCount = (): number => this.#queue.size;
  #crashes = 0;
  #lastCrash: CrashReport | undefined;
  #flushQueued = false;
  readonly #flushNow = (): void => this.#flush();
  /** A worker of the first round could not even be started (starting it threw): the options are at fault. */
  #startError: Error | undefined;

  constructor(options: EngineOptions) {
    this.#options = options;
    const scheduleFlush = (): void => this.#scheduleFlush();
    /** Moving average of each function's task run time, microseconds: measured by the reader, used by dispatch. */
    const fnMicros = new Map<number, number>();
    this.#lifecycle = new Lifecycle(this.#slots, this.#queue, (state, error) => {
      if (poolClosed.hasSubscribers) poolClosed.publish({ poolId: options.poolId, state, error, at: Date.now() });
    });
    this.#faults = new Faults(this.#slots, this.#queue, this.#lifecycle, {
      backend: options.backend, abortGraceMs: options.abortGraceMs, spawn: (index) => this.#spawn(index), drain: (slot) => this.#results.drain(slot), scheduleFlush,
      report: (crash) => this.#onCrash(crash), suspects: startupSuspects(options), poolId: options.poolId,
      checkFlags: () => checkStartFlags(options.backend, { execArgv: options.execArgv, env: options.env, resourceLimits: options.resourceLimits }),
    });
    this.#dispatcher = new Dispatcher(this.#slots, this.#queue, {
      backend: options.backend, maxTasksPerWorker: options.maxTasksPerWorker, fnMicros, expire: (slot, task) => this.#faults.expire(slot, task), retry: scheduleFlush,
    });
    this.#results = new ResultReader(this.#slots, {
      spinMicros: options.spinMicros, fnMicros, dispatch: () => this.#dispatcher.dispatch(), scheduleFlush,
      requeue: (task) => {
        this.#queue.unshift(task);
        scheduleFlush();
      },
    });
    if (poolCreated.hasSubscribers) {
      poolCreated.publish({
        poolId: options.poolId, pid: process.pid, backend: options.backend, workers: options.workers, maxTasksPerWorker: options.maxTasksPerWorker,
        insights: options.insights, at: Date.now(),
      });
    }
    for (let index = 0; index < options.workers && !this.#lifecycle.stopped; index++) this.#spawn(index, true);
  }

  /** Why a new task would be refused now (closed, terminated, broken); undefined while the pool runs. */
  refusal(): Error | undefined {
    return this.#lifecycle.refusal();
  }

  /**
   * The error of a worker that could not be started at construction, as the pool's caller should see it: a
   * flag Node refuses for a worker thread is a TypeError naming `execArgv`. Undefined when all started.
   */
  startRefusal(): Error | undefined {
    const error = this.#startError;
    if (error === undefined) return undefined;
    if ((error as { code?: unknown }).code === 'ERR_WORKER_INVALID_EXEC_ARGV') {
      // The message shape of expected(), with the list written out (describeValue would say `[object Array]`).
      return new TypeError(`Expected \`execArgv\` to be flags Node accepts for a worker thread, got ${JSON.stringify(this.#options.execArgv)}: ${error.message}`,
        { cause: error });
    }
    return error;
  }

  get state(): EngineState {
    return this.#lifecycle.state;
  }

  /** Queues one task; `done`/`fail` are called exactly once (unless the task is dropped). */
  submit(fnName: TaskRef, flags: number, payload: Packet | readonly unknown[], items: number, options: SubmitOptions,
    done: (value: unknown, micros: number) => void, fail: (error: unknown) => void): Task {
    // By module, then export: a task ref's strings are the same each call and keep their hash, where a
    // joined key would be built and hashed again on every call.
    let byName = this.#fnNumbers.get(fnName.url);
    if (byName === undefined) this.#fnNumbers.set(fnName.url, (byName = new Map<string, number>()));
    let fn = byName.get(fnName.name);
    if (fn === undefined) {
      byName.set(fnName.name, (fn = ++this.#fnCount));
      trustTaskModule(fnName.url);
      for (const slot of this.#slots) slot.define(fn, fnName);
    }
    const task: Task = {
      id: this.#nextId++, fn, fnName, flags, items, signal: options.signal, timeout: options.timeout,
      packet: Array.isArray(payload) ? undefined : (payload as Packet), args: Array.isArray(payload) ? payload : undefined,
      retries: options.retries, settled: false, slot: undefined, seq: 0, movable: true, done, fail, cleanup: undefined,
      pool: this.#options.poolId, mapId: options.mapId, input: argsWanted() ? options.input : undefined, workerId: 0, workerIndex: -1,
    };
    if (this.#nextId > 0x7ffffff0) this.#nextId = 1;
    const refused = this.#lifecycle.refusal();
    if (refused !== undefined) {
      failTask(task, refused);
      return task;
    }
    const { signal } = options;
    if (signal !== undefined) {
      if (signal.aborted) {
        failTask(task, signal.reason);
        return task;
      }
      const onAbort = (): void => this.#faults.abort(task, signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      task.cleanup = () => signal.removeEventListener('abort', onAbort);
    }
    this.#queue.push(task);
    if (taskQueued.hasSubscribers) {
      taskQueued.publish({
        poolId: task.pool, taskId: task.id, name: fnName.name, url: fnName.url, items, mapId: task.mapId, queued: this.#queue.size, at: Date.now(),
      });
    }
    this.#scheduleFlush();
    return task;
  }

  /**
   * Forgets a task without stopping its worker: queued, it is removed; handed over and not started, it is
   * taken back (it never starts); running, its result is ignored.
   */
  drop(task: Task): void {
    if (task.settled) return;
    task.settled = true;
    task.cleanup?.();
    const slot = task.slot;
    if (slot === undefined) {
      this.#queue.remove(task);
      return;
    }
    // What the worker has not started comes back; the other calls among it go back to the queue's head.
    const back = slot.takeBackUnstarted(true) ?? [];
    for (let i = back.length - 1; i >= 0; i--) if (!back[i]!.settled) this.#queue.unshift(back[i]!);
    if (back.length > 0) this.#scheduleFlush();
  }

  /** Aborts a task as its signal would (see `Faults.abort`). */
  abort(task: Task, reason: unknown): void {
    this.#faults.abort(task, reason);
  }

  close(): Promise<void> {
    return this.#lifecycle.close();
  }

  join(): Promise<void> {
    return this.#lifecycle.join();
  }

  terminate(): Promise<void> {
    return this.#lifecycle.terminate();
  }

  stats(): PoolStats {
    return {
      backend: this.#options.backend, state: this.#lifecycle.state, ...slotStats(this.#slots), queued: this.#queue.size, replaced: this.#faults.replaced,
      crashes: this.#crashes, lastCrash: this.#lastCrash,
    };
  }

  #onCrash(crash: CrashReport): void {
    this.#crashes++;
    this.#lastCrash = crash;
    this.#options.onCrash(crash);
  }

  #spawn(index: number, first = false): void {
    const options = this.#options;
    let slot: WorkerSlot;
    try {
      const worker = startWorker(options.backend, {
        index, channelBytes: channelBytes(ringBytes), execArgv: options.execArgv, env: options.env, resourceLimits: options.resourceLimits,
      });
      slot = new WorkerSlot(index, worker, { pool: options.poolId, worker: ++this.#workerIds, queued: this.#queuedCount });
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      if (first) this.#startError ??= failure;
      this.#lifecycle.break(failure);
      return;
    }
    const replaced = this.#slots[index];
    this.#slots[index] = slot;
    if (workerSpawned.hasSubscribers) {
      workerSpawned.publish({ poolId: options.poolId, workerId: slot.id, index, backend: options.backend, replaces: replaced?.id, at: Date.now() });
    }
    slot.worker.onMessage((message) => this.#onMessage(slot, message));
    slot.worker.onExit((info) => this.#faults.onExit(slot, info));
    slot.worker.post({
      type: 'init', v: protocolVersion, index, channel: slot.worker.channelRef, epoch: slot.epoch, spinMicros: options.spinMicros,
      blockingParkMs: defaults.blockingParkMs, initializer: options.initializer, initargs: options.initargs, sampleMs: options.sampleMs,
    });
  }

  #onMessage(slot: WorkerSlot, message: FromWorker): void {
    switch (message.type) {
      case 'ready':
        slot.pid = message.pid;
        slot.threadId = message.threadId;
        slot.readyAt = now();
        slot.initMs = (message.initMicros ?? 0) / 1000;
        if (workerReady.hasSubscribers) {
          workerReady.publish({
            poolId: this.#options.poolId, workerId: slot.id, index: slot.index, pid: message.pid, threadId: message.threadId,
            startupMs: Math.max(0, slot.readyAt - slot.spawnedAt - slot.initMs), initMs: slot.initMs, at: Date.now(),
          });
        }
        slot.worker.attached();
        if (slot.state === 'starting') slot.state = 'ready';
        this.#faults.started();
        slot.keepAlive(false);
        this.#scheduleFlush();
        break;
      case 'init-error': {
        const init = this.#options.initializer;
        void this.#results.thrown(message.error).then((cause) => {
          this.#lifecycle.break(new InitializerError(`The pool's initializer \`${init?.name}\` (${init?.url}) threw in worker ${slot.index}: ${cause.message}`, cause));
        });
        break;
      }
      case 'result':
        this.#results.onMessage(slot, message.id, message.ok, message.micros, message.packet, message.flags);
        break;
      case 'sample':
        if (workerSample.hasSubscribers) {
          workerSample.publish({
            poolId: this.#options.poolId, workerId: slot.id, index: slot.index, rss: message.rss, rssScope: this.#options.backend === 'thread' ? 'process' : 'worker',
            heapUsed: message.heapUsed, heapTotal: message.heapTotal, external: message.external, at: Date.now(),
          });
        }
        break;
    }
  }

  #scheduleFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    // A promise reaction, not queueMicrotask: Node wraps every queueMicrotask callback in an AsyncResource,
    // which cost the pool thread more per wake than the flush itself.
    void settled.then(this.#flushNow);
  }


  #flush(): void {
    this.#flushQueued = false;
    if (this.#lifecycle.stopped) return;
    this.#dispatcher.dispatch();
    this.#results.wait();
    this.#lifecycle.finishCloseIfIdle();
  }
}

/**
 * What to look at when workers die before they are ready: the options that reach Node before any code runs
 * (the flags, the heap limits, NODE_OPTIONS in the environment), those given first.
 */
function startupSuspects(options: EngineOptions): string {
  const given: string[] = [];
  if (options.execArgv !== undefined) given.push(`\`execArgv\` (${JSON.stringify(options.execArgv)})`);
  if (options.resourceLimits !== undefined) given.push(`\`resourceLimits\` (${JSON.stringify(options.resourceLimits)})`);
  if (options.env?.['NODE_OPTIONS'] !== undefined) given.push(`\`env.NODE_OPTIONS\` (${JSON.stringify(options.env['NODE_OPTIONS'])})`);
  if (given.length === 0) return "the Node flags workers inherit (this process's execArgv and NODE_OPTIONS) are the likely cause";
  return `the pool's ${given.join(' or ')} ${given.length === 1 ? 'is' : 'are'} the likely cause`;
}
