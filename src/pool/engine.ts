// The pool's engine: the queue, dispatch over the workers' channels, result wake-ups, crashes, timeouts,
// recycling, close and terminate. The facade (pool.ts) validates; this file assumes valid input.
import type { BackendName, ResourceLimits } from '../backends/runtime.js';
import { encode, packetToBytes, type Packet } from '../serialize/index.js';
import { channelBytes } from '../worker/channel.js';
import { decodeFast, FrameKind, inBand, protocolVersion, type FromWorker, type FunctionName } from '../worker/protocol.js';
import { InitializerError, PoolStateError, PoolTerminatedError, TaskTimeoutError, toTaskError, WorkerCrashedError } from './errors.js';
import { slotStats, watchTimeout, type PoolStats } from './stats.js';
import { FifoQueue, type TaskQueue } from './task-queue.js';
import { trustTaskModule } from './task-ref.js';
import { startRuntime, WorkerSlot, type Task } from './worker-slot.js';
import type { ExitInfo } from '../backends/runtime.js';

export interface EngineOptions {
  workers: number;
  backend: BackendName;
  initializer: FunctionName | undefined;
  initargs: Packet;
  maxTasksPerWorker: number;
  spinMicros: number;
  resourceLimits: ResourceLimits | undefined;
  execArgv: readonly string[] | undefined;
  env: Readonly<Record<string, string | undefined>> | undefined;
}

export interface SubmitOptions {
  signal: AbortSignal | undefined;
  timeout: number;
  retries: number;
}

/** Ring bytes per direction: fits a few thousand small calls or a chunk of tens of thousands of numbers. */
const ringBytes = 256 * 1024;
/** Aim for this many microseconds of queued work per worker: deep enough to hide the round trip, shallow enough to balance. */
const queuedMicrosPerWorker = 4000;
const maxSpinPerTurnMs = 8;
const wokenSpinFactor = 6;
/** Calls averaging less than this are sent in batches when several wait. */
const batchBelowMicros = 200;
/** Tasks measured shorter than this on average may hold back the results before them for a wake (TaskFlag.Short). */
const shortTaskMicros = 2000;
const maxBatch = 256;
const startFailureLimit = 3;

type EngineState = 'running' | 'closing' | 'closed' | 'terminated' | 'broken';

export class Engine {
  readonly #options: EngineOptions;
  readonly #slots: WorkerSlot[] = [];
  readonly #queue: TaskQueue<Task> = new FifoQueue<Task>();
  readonly #fnNumbers = new Map<string, number>();
  /** Moving average of each function's task run time, microseconds. */
  readonly #fnMicros = new Map<number, number>();
  #nextId = 1;
  #state: EngineState = 'running';
  #brokenError: Error | undefined;
  #flushQueued = false;
  #spinUsedMs = 0;
  #spinResetQueued = false;
  #startFailures = 0;
  #replaced = 0;
  #joined: Promise<void>;
  #resolveJoined!: () => void;

  constructor(options: EngineOptions) {
    this.#options = options;
    this.#joined = new Promise((resolve) => (this.#resolveJoined = resolve));
    for (let index = 0; index < options.workers; index++) this.#spawn(index);
  }

  get state(): EngineState {
    return this.#state;
  }

  /** Queues one task; `done`/`fail` are called exactly once (unless the task is dropped). */
  submit(fnName: FunctionName, flags: number, payload: Packet | readonly unknown[], items: number, options: SubmitOptions,
    done: (value: unknown, micros: number) => void, fail: (error: unknown) => void): Task {
    const key = `${fnName.url}#${fnName.name}`;
    let fn = this.#fnNumbers.get(key);
    if (fn === undefined) {
      this.#fnNumbers.set(key, (fn = this.#fnNumbers.size + 1));
      trustTaskModule(fnName.url);
    }
    const task: Task = {
      id: this.#nextId++, fn, fnName, flags, items, signal: options.signal, timeout: options.timeout,
      packet: Array.isArray(payload) ? undefined : (payload as Packet), args: Array.isArray(payload) ? payload : undefined,
      retries: options.retries, settled: false, slot: undefined, done, fail, cleanup: undefined,
    };
    if (this.#nextId > 0x7ffffff0) this.#nextId = 1;
    const refused = this.#refusal();
    if (refused !== undefined) {
      task.settled = true;
      fail(refused);
      return task;
    }
    const { signal } = options;
    if (signal !== undefined) {
      if (signal.aborted) {
        task.settled = true;
        fail(signal.reason);
        return task;
      }
      const onAbort = (): void => this.#abort(task, signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      task.cleanup = () => signal.removeEventListener('abort', onAbort);
    }
    this.#queue.push(task);
    this.#scheduleFlush();
    return task;
  }

  /** Forgets a task without stopping its worker: queued, it is removed; running, its result is ignored. */
  drop(task: Task): void {
    if (task.settled) return;
    task.settled = true;
    task.cleanup?.();
    if (task.slot === undefined) this.#queue.remove(task);
  }

  close(): Promise<void> {
    if (this.#state === 'running') this.#state = 'closing';
    this.#maybeFinishClose();
    return this.#joined;
  }

  join(): Promise<void> {
    if (this.#state === 'running') {
      return Promise.reject(new PoolStateError('ERR_MP_POOL_RUNNING', 'join() needs close() or terminate() first (the pool is still running)'));
    }
    return this.#joined;
  }

  terminate(): Promise<void> {
    if (this.#state === 'terminated') return this.#joined;
    const wasBroken = this.#state === 'broken';
    this.#state = 'terminated';
    if (!wasBroken) this.#failEverything(new PoolTerminatedError());
    for (const slot of this.#slots) slot.kill();
    this.#checkJoined();
    return this.#joined;
  }

  stats(): PoolStats {
    return { backend: this.#options.backend, state: this.#state, ...slotStats(this.#slots), queued: this.#queue.size, replaced: this.#replaced };
  }

  #refusal(): Error | undefined {
    switch (this.#state) {
      case 'running':
        return undefined;
      case 'broken':
        return this.#brokenError;
      case 'terminated':
        return new PoolTerminatedError('The pool was terminated; it takes no new tasks');
      default:
        return new PoolStateError('ERR_MP_POOL_CLOSED', 'The pool is closed; it takes no new tasks');
    }
  }

  #spawn(index: number): void {
    const options = this.#options;
    let slot: WorkerSlot;
    try {
      const runtime = startRuntime(options.backend, {
        index, channelBytes: channelBytes(ringBytes), execArgv: options.execArgv, env: options.env, resourceLimits: options.resourceLimits,
      });
      slot = new WorkerSlot(index, runtime);
    } catch (error) {
      this.#break(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    this.#slots[index] = slot;
    slot.runtime.onMessage((message) => this.#onMessage(slot, message));
    slot.runtime.onExit((info) => this.#onExit(slot, info));
    slot.runtime.post({
      type: 'init', v: protocolVersion, index, channel: slot.runtime.channelRef, epoch: slot.epoch, spinMicros: options.spinMicros,
      blockingParkMs: 50, initializer: options.initializer, initargs: options.initargs,
    });
  }

  #onMessage(slot: WorkerSlot, message: FromWorker): void {
    switch (message.type) {
      case 'ready':
        slot.pid = message.pid;
        slot.threadId = message.threadId;
        slot.readyAt = performance.now();
        slot.runtime.attached();
        if (slot.state === 'starting') slot.state = 'ready';
        this.#startFailures = 0;
        slot.keepAlive(false);
        this.#scheduleFlush();
        break;
      case 'init-error': {
        const init = this.#options.initializer;
        void Promise.resolve().then(() => decodeFast(message.error)).then((thrown) => {
          const cause = toTaskError(thrown);
          this.#break(new InitializerError(`The pool's initializer \`${init?.name}\` (${init?.url}) threw in worker ${slot.index}: ${cause.message}`, cause));
        });
        break;
      }
      case 'result':
        if (message.batch) this.#onBatchResult(slot, message.micros, message.packet);
        else this.#onResult(slot, message.id, message.ok, message.micros, message.packet);
        this.#afterResults(slot);
        break;
    }
  }

  /** Takes a finished task off its worker and updates the worker's counters; undefined when already gone. */
  #finished(slot: WorkerSlot, id: number, micros: number): Task | undefined {
    const task = slot.inflight.get(id);
    if (task === undefined) return undefined;
    slot.inflight.delete(id);
    slot.tasksDone++;
    slot.busyMicros += micros;
    slot.averageMicros = slot.averageMicros === undefined ? micros : slot.averageMicros * 0.75 + micros * 0.25;
    const average = this.#fnMicros.get(task.fn);
    this.#fnMicros.set(task.fn, average === undefined ? micros : average * 0.75 + micros * 0.25);
    return task.settled ? undefined : task;
  }

  #onBatchResult(slot: WorkerSlot, micros: number, packet: Packet): void {
    const complete = (decoded: unknown): void => {
      const [ids, ok, values] = decoded as [Int32Array, Uint8Array, unknown[]];
      const each = micros / Math.max(1, ids.length);
      for (let i = 0; i < ids.length; i++) {
        const task = this.#finished(slot, ids[i]!, each);
        if (task !== undefined) this.#settle(task, values[i], ok[i] === 1, each);
      }
    };
    const undecodable = (error: unknown): void => {
      // Which calls it answered is unknown, so every call the worker holds fails with the reason.
      for (const task of [...slot.inflight.values()]) this.#fail(task, error);
      slot.inflight.clear();
    };
    let decoded: unknown;
    try {
      decoded = decodeFast(packet);
    } catch (error) {
      undecodable(error);
      return;
    }
    if (!(decoded instanceof Promise)) {
      complete(decoded);
      return;
    }
    decoded.then(complete, undecodable).finally(() => {
      this.#afterResults(slot);
      this.#scheduleFlush();
    });
  }

  #onResult(slot: WorkerSlot, id: number, ok: boolean, micros: number, packet: Packet): void {
    const task = this.#finished(slot, id, micros);
    if (task === undefined) return;
    let value: unknown;
    try {
      value = decodeFast(packet);
    } catch (error) {
      this.#settle(task, error, false, 0);
      return;
    }
    if (value instanceof Promise) value.then((decoded) => this.#settle(task, decoded, ok, micros), (failure: unknown) => this.#settle(task, failure, false, 0));
    else this.#settle(task, value, ok, micros);
  }

  #settle(task: Task, value: unknown, ok: boolean, micros: number): void {
    if (task.settled) return;
    task.settled = true;
    task.cleanup?.();
    if (ok) task.done(value, micros);
    else task.fail(toTaskError(value));
  }

  #drain(slot: WorkerSlot): void {
    for (let frame = slot.channel.receive(); frame !== undefined; frame = slot.channel.receive()) {
      if (frame.kind === FrameKind.Ok || frame.kind === FrameKind.Error) {
        this.#onResult(slot, frame.id, frame.kind === FrameKind.Ok, frame.aux, { data: frame.payload, buffers: [] });
      } else if (frame.kind === FrameKind.BatchResult) {
        this.#onBatchResult(slot, frame.aux, { data: frame.payload, buffers: [] });
      }
    }
  }

  #afterResults(slot: WorkerSlot): void {
    if (slot.inflight.size > 0 || slot.state === 'gone') return;
    slot.parking?.abort();
    slot.parking = undefined;
    if (slot.state === 'retiring') slot.stop();
    else slot.keepAlive(false);
    this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    this.#flushQueued = false;
    if (this.#state === 'terminated' || this.#state === 'broken') return;
    this.#dispatch();
    this.#spin();
    for (const slot of this.#slots) if (slot.inflight.size > 0 && slot.parking === undefined && slot.state !== 'gone') this.#park(slot);
    this.#maybeFinishClose();
  }

  /** How many tasks of function `fn` a worker may hold: about `queuedMicrosPerWorker` of work, from its measured run time. */
  #depth(fn: number): number {
    const average = this.#fnMicros.get(fn);
    if (average === undefined) return 2;
    return Math.max(3, Math.min(1024, Math.round(queuedMicrosPerWorker / Math.max(1, average))));
  }

  #dispatch(): void {
    const queue = this.#queue;
    let progress = true;
    while (queue.size > 0 && progress) {
      progress = false;
      for (const slot of this.#slots) {
        if (slot.state !== 'ready' || slot.dispatched >= this.#options.maxTasksPerWorker) continue;
        const task = queue.shift();
        if (task === undefined) return;
        const room = Math.min(this.#depth(task.fn) - slot.inflight.size, this.#options.maxTasksPerWorker - slot.dispatched);
        if (room <= 0) {
          queue.unshift(task);
          continue;
        }
        const sent = task.packet === undefined && room > 1 && (slot.averageMicros ?? Infinity) < batchBelowMicros
          ? this.#sendBatch(slot, task, Math.min(room, maxBatch))
          : this.#sendOne(slot, task);
        if (!sent) continue;
        progress = true;
        if (slot.dispatched >= this.#options.maxTasksPerWorker) slot.state = 'retiring';
      }
    }
  }

  /** Sends one task; false (the task back at the head of the queue) when the ring is full. */
  #sendOne(slot: WorkerSlot, task: Task): boolean {
    if (task.packet === undefined) {
      try {
        task.packet = encode(task.args);
      } catch (error) {
        this.#fail(task, error);
        return true;
      }
    }
    if (this.#options.backend === 'process' && task.packet.shared !== undefined && task.packet.shared.length > 0) {
      // Fails with the codec's explanation: a SharedArrayBuffer cannot reach another process.
      try {
        packetToBytes(task.packet);
      } catch (error) {
        this.#fail(task, error);
        return true;
      }
    }
    if (!slot.send(task as Task & { packet: Packet }, (this.#fnMicros.get(task.fn) ?? Infinity) < shortTaskMicros)) {
      this.#queue.unshift(task);
      return false;
    }
    if (Number.isFinite(task.timeout)) {
      watchTimeout(task, slot, () => this.#kill(slot, task, new TaskTimeoutError(`Task \`${task.fnName.name}\` ran past its ${task.timeout} ms ` +
        `time limit; worker ${slot.index} was stopped and replaced`)));
    }
    return true;
  }

  /**
   * Short calls of one function waiting together go in one frame: one encode, one decode and one wake for
   * all of them instead of one each. Only calls without a signal, timeout or transfer are batched.
   */
  #sendBatch(slot: WorkerSlot, first: Task, limit: number): boolean {
    // The first call encoded alone tells how many of its kind fit in one frame (big arguments: none).
    try {
      first.packet = encode(first.args);
    } catch (error) {
      this.#fail(first, error);
      return true;
    }
    limit = inBand(first.packet) ? Math.min(limit, Math.floor(slot.channel.maxPayload / (4 * (first.packet.data.length + 16)))) : 1;
    const batch = [first];
    while (batch.length < limit) {
      const next = this.#queue.shift();
      if (next === undefined) break;
      if (next.packet !== undefined || next.fn !== first.fn || next.flags !== first.flags || next.settled) {
        this.#queue.unshift(next);
        break;
      }
      batch.push(next);
    }
    if (batch.length === 1) return this.#sendOne(slot, first);
    let packet: Packet | undefined;
    try {
      packet = encode([Int32Array.from(batch, (task) => task.id), batch.map((task) => task.args)]);
    } catch {
      // Some call's arguments cannot be encoded: send them one by one so only that call fails.
    }
    if (packet !== undefined && slot.sendBatch(batch, packet)) return true;
    for (let i = batch.length - 1; i > 0; i--) this.#queue.unshift(batch[i]!);
    return this.#sendOne(slot, first);
  }

  /**
   * While short tasks are out, wait for their results on this thread for a bounded time instead of sleeping:
   * a wake-up through the event loop costs tens of microseconds, a result typically arrives within a few.
   */
  #spin(): void {
    const spinMs = this.#options.spinMicros / 1000;
    if (spinMs <= 0 || this.#spinUsedMs > maxSpinPerTurnMs) return;
    const start = performance.now();
    let lastProgress = start;
    let now = start;
    for (;;) {
      let waiting = false;
      let progress = false;
      let woke = false;
      for (const slot of this.#slots) {
        if (slot.inflight.size === 0 || slot.averageMicros === undefined || slot.averageMicros > spinMs * 500) continue;
        waiting = true;
        // A worker that had gone to sleep answers a wake-up later: wait that out too, or the next call
        // finds it asleep again and every call pays a wake-up on both sides.
        woke ||= start - slot.channel.wokePeerAt < spinMs;
        if (slot.channel.hasInput) {
          this.#drain(slot);
          this.#afterResults(slot);
          progress = true;
        }
      }
      if (!waiting) break;
      now = performance.now();
      if (progress) {
        lastProgress = now;
        this.#dispatch();
      } else if (now - lastProgress > (woke ? spinMs * wokenSpinFactor : spinMs)) {
        break;
      }
      if (now - start > maxSpinPerTurnMs) break;
    }
    this.#spinUsedMs += now - start;
    if (!this.#spinResetQueued) {
      this.#spinResetQueued = true;
      setImmediate(() => {
        this.#spinUsedMs = 0;
        this.#spinResetQueued = false;
      }).unref();
    }
  }

  #park(slot: WorkerSlot): void {
    const parking = new AbortController();
    slot.parking = parking;
    void slot.channel.parkAsync(parking.signal).then(() => {
      if (slot.parking === parking) slot.parking = undefined;
      if (parking.signal.aborted || slot.state === 'gone') return;
      this.#drain(slot);
      this.#afterResults(slot);
      this.#scheduleFlush();
    });
  }

  #abort(task: Task, reason: unknown): void {
    if (task.settled) return;
    const slot = task.slot;
    if (slot !== undefined && slot.state !== 'gone') {
      // Handed over: the worker skips it if it has not started it; if it has (or no cancel slot is free),
      // the only way to stop it is to stop that worker.
      const skipped = slot.channel.cancel(task.id);
      if (!skipped || slot.running().id === task.id) {
        this.#kill(slot, task, reason);
        return;
      }
    }
    this.drop(task);
    task.fail(reason);
  }

  /** Stops a worker to stop the task it runs; the exit handler fails that task with `error` and requeues the rest. */
  #kill(slot: WorkerSlot, task: Task, error: unknown): void {
    slot.killed = { taskId: task.id, error };
    slot.kill();
  }

  #onExit(slot: WorkerSlot, info: ExitInfo): void {
    const previous = slot.state;
    slot.parking?.abort();
    this.#drain(slot);
    const running = slot.running().id;
    slot.state = 'gone';
    const orphans = [...slot.inflight.values()];
    slot.inflight.clear();
    const culprit = running !== 0 ? running : orphans[0]?.id;
    for (const task of orphans.reverse()) {
      task.slot = undefined;
      if (task.settled) continue;
      if (slot.killed?.taskId === task.id) {
        task.settled = true;
        task.cleanup?.();
        task.fail(slot.killed.error);
      } else if (task.id === culprit && slot.killed === undefined && task.retries <= 0) {
        task.settled = true;
        task.cleanup?.();
        task.fail(this.#crashError(slot, info, task));
      } else {
        if (task.id === culprit && slot.killed === undefined) task.retries--;
        this.#queue.unshift(task);
      }
    }
    const deliberate = previous === 'stopping' || previous === 'retiring' || slot.killed !== undefined;
    if (!deliberate) this.#replaced++;
    if (slot.killed !== undefined) this.#replaced++;
    if (previous === 'starting' && !deliberate && this.#state === 'running' && ++this.#startFailures >= startFailureLimit) {
      this.#break(new WorkerCrashedError(`Pool workers keep exiting during start-up (${startFailureLimit} in a row; last ${describeExit(info)})`,
        { exitCode: info.code, signal: info.signal, cause: info.error }));
    }
    const needed = this.#state === 'running' || (this.#state === 'closing' && this.#hasWork());
    if (needed && this.#slots[slot.index] === slot) this.#spawn(slot.index);
    this.#checkJoined();
    this.#scheduleFlush();
  }

  #crashError(slot: WorkerSlot, info: ExitInfo, task: Task): WorkerCrashedError {
    const who = this.#options.backend === 'thread' ? `thread ${slot.threadId}` : `process ${slot.pid}`;
    const cause = info.error;
    const oom = (cause as { code?: unknown } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
    return new WorkerCrashedError(`Worker ${slot.index} (${who}) ${oom ? 'ran out of memory' : describeExit(info)} while running task ` +
      `\`${task.fnName.name}\` (${task.fnName.url}); it was replaced`, { exitCode: info.code, signal: info.signal, cause });
  }

  #hasWork(): boolean {
    return this.#queue.size > 0 || this.#slots.some((slot) => slot.inflight.size > 0);
  }

  #maybeFinishClose(): void {
    if (this.#state !== 'closing' || this.#hasWork()) return;
    this.#state = 'closed';
    for (const slot of this.#slots) slot.stop();
    this.#checkJoined();
  }

  #checkJoined(): void {
    if (this.#state === 'running' || this.#state === 'closing') return;
    if (this.#slots.every((slot) => slot.state === 'gone')) this.#resolveJoined();
  }

  #failEverything(error: Error): void {
    for (let task = this.#queue.shift(); task !== undefined; task = this.#queue.shift()) this.#fail(task, error);
    for (const slot of this.#slots) {
      for (const task of slot.inflight.values()) this.#fail(task, error);
    }
  }

  #fail(task: Task, error: unknown): void {
    if (task.settled) return;
    task.settled = true;
    task.cleanup?.();
    task.fail(error);
  }

  #break(error: Error): void {
    if (this.#state === 'terminated' || this.#state === 'broken') return;
    this.#brokenError = error;
    this.#state = 'broken';
    this.#failEverything(error);
    for (const slot of this.#slots) slot.kill();
    this.#checkJoined();
  }
}

function describeExit(info: ExitInfo): string {
  return info.signal !== null ? `was killed by ${info.signal}` : `exited with code ${info.code}`;
}
