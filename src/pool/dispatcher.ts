// Hands queued tasks to the workers' channels: how many each worker holds, which calls go together in one
// batch frame, and when the time limit of a task starts being watched. This is the pool's hot path.
import type { BackendName } from '../backends/backend-worker.js';
import { packetToBytes, type Packet } from '../serialize/index.js';
import { CallSizes, encodeBatch, encodeCall } from './call-packets.js';
import { watchTimeout } from './time-limit.js';
import { failTask, type Task } from './task.js';
import type { TaskQueue } from './task-queue.js';
import type { WorkerSlot } from './worker-slot.js';
import { inBand } from '../serialize/transport.js';

/**
 * How many microseconds of work a worker holds: at least enough to hide the round trip; more while a long
 * backlog waits (a quarter of each worker's share of it, as OpenMP's guided schedule), so that the pool
 * thread wakes less often to refill, and back down to the minimum as the backlog drains, so the workers
 * still finish together.
 */
const minQueuedMicros = 12000;
const maxQueuedMicros = 48000;
/** Tasks measured shorter than this on average may hold back the results before them for a wake (TaskFlag.Short). */
const shortTaskMicros = 2000;
/** Short calls waiting together go in batches of about this much work (see #sendBatch). */
const batchMicros = 12000;
const maxBatch = 256;

/**
 * How many tasks a worker may hold, for tasks averaging `averageMicros` (undefined: not measured yet) with
 * `backlog` tasks waiting for `workers` workers.
 */
export function queueDepth(averageMicros: number | undefined, backlog: number, workers: number): number {
  if (averageMicros === undefined) return 2;
  const micros = Math.max(1, averageMicros);
  const guided = (backlog * micros) / (4 * workers);
  const queued = Math.min(maxQueuedMicros, Math.max(minQueuedMicros, guided));
  return Math.max(3, Math.min(1024, Math.round(queued / micros)));
}

/** How many plain calls averaging `averageMicros` may go in one batch: none (1) unless they are short. */
function batchSize(averageMicros: number | undefined): number {
  if (averageMicros === undefined || averageMicros >= shortTaskMicros) return 1;
  return Math.min(maxBatch, Math.floor(batchMicros / Math.max(1, averageMicros)));
}

export interface DispatcherOptions {
  backend: BackendName;
  maxTasksPerWorker: number;
  /** Moving average of each function's task run time, microseconds (the result reader keeps it). */
  fnMicros: ReadonlyMap<number, number>;
  /** A dispatched task ran past its time limit. */
  expire: (slot: WorkerSlot, task: Task) => void;
  /** Runs dispatch again later (a worker about to start its next task may have to give the rest back). */
  retry: () => void;
}

/** How soon to look again when an idle worker waits for work another worker is about to start, ms. */
const recheckMs = 2;

/**
 * Hands queued tasks to the workers, the least loaded first and no worker more than its share of what waits,
 * and keeps the pool work-conserving: while a worker is idle, no task that has not started waits in another
 * worker's ring (it is taken back and handed out again). A task's measured speed only sizes how far ahead
 * workers are fed; a task that blocks (on a lock, a barrier, a queue, I/O) cannot hold back the others.
 */
export class Dispatcher {
  readonly #slots: readonly WorkerSlot[];
  readonly #queue: TaskQueue<Task>;
  readonly #backend: BackendName;
  readonly #maxTasksPerWorker: number;
  readonly #fnMicros: ReadonlyMap<number, number>;
  readonly #expire: (slot: WorkerSlot, task: Task) => void;
  readonly #retry: () => void;
  #recheck: NodeJS.Timeout | undefined;
  readonly #callSizes = new CallSizes();

  constructor(slots: readonly WorkerSlot[], queue: TaskQueue<Task>, options: DispatcherOptions) {
    this.#slots = slots;
    this.#queue = queue;
    this.#backend = options.backend;
    this.#maxTasksPerWorker = options.maxTasksPerWorker;
    this.#fnMicros = options.fnMicros;
    this.#expire = options.expire;
    this.#retry = options.retry;
  }

  dispatch(): void {
    this.#handOut();
    // Taken-back tasks are handed out at once; a second pass finds nothing more to take.
    if (this.#queue.size === 0 && this.#takeBackForIdle()) this.#handOut();
  }

  #canTake(slot: WorkerSlot): boolean {
    return slot.state === 'ready' && slot.dispatched < this.#maxTasksPerWorker;
  }

  /** Hands queued tasks to ready workers with room until the queue is empty or nobody has room. */
  #handOut(): void {
    const queue = this.#queue;
    const maxTasks = this.#maxTasksPerWorker;
    let full: WorkerSlot[] | undefined;
    while (queue.size > 0) {
      const task = queue.shift()!;
      if (task.settled) continue;
      const average = this.#fnMicros.get(task.fn);
      const waiting = queue.size + 1;
      const depth = queueDepth(average, waiting, this.#slots.length);
      let best: WorkerSlot | undefined;
      let open = 0;
      for (const slot of this.#slots) {
        if (!this.#canTake(slot) || slot.held >= depth || full?.includes(slot) === true) continue;
        open++;
        if (best === undefined || slot.held < best.held) best = slot;
      }
      if (best === undefined) {
        queue.unshift(task);
        return;
      }
      const room = Math.min(depth - best.held, maxTasks - best.dispatched, Math.ceil(waiting / open));
      const perBatch = task.packet === undefined ? batchSize(average) : 1;
      const sent = room > 1 && perBatch > 1 ? this.#sendBatch(best, task, Math.min(room, perBatch)) : this.#sendOne(best, task);
      if (!sent) (full ??= []).push(best);
      else if (best.dispatched >= maxTasks) best.state = 'retiring';
    }
  }

  /**
   * A worker is idle and nothing waits in the queue: take back what other workers hold and have not started,
   * behind a task they run. True when something came back. A worker that runs nothing yet keeps its tasks
   * (it is starting the first); the pool looks again shortly.
   */
  #takeBackForIdle(): boolean {
    if (!this.#slots.some((slot) => this.#canTake(slot) && slot.held === 0)) return false;
    const taken: Task[] = [];
    let starting = false;
    for (const slot of this.#slots) {
      if (slot.held < 2) continue;
      const back = slot.takeBackUnstarted();
      if (back === undefined) starting = true;
      else for (const task of back) taken.push(task);
    }
    if (starting && taken.length === 0 && this.#recheck === undefined) {
      this.#recheck = setTimeout(() => {
        this.#recheck = undefined;
        this.#retry();
      }, recheckMs).unref();
    }
    // Back at the head, in the order they were handed over (a worker's own tasks are in order already).
    for (let i = taken.length - 1; i >= 0; i--) this.#queue.unshift(taken[i]!);
    return taken.length > 0;
  }

  /** Sends one task; false (the task back at the head of the queue) when the ring is full. */
  #sendOne(slot: WorkerSlot, task: Task): boolean {
    if (task.packet === undefined) {
      try {
        task.packet = encodeCall(task.args!);
      } catch (error) {
        failTask(task, error);
        return true;
      }
    }
    if (this.#backend === 'process' && task.packet.shared !== undefined && task.packet.shared.length > 0) {
      // Fails with the codec's explanation: a SharedArrayBuffer cannot reach another process.
      try {
        packetToBytes(task.packet);
      } catch (error) {
        failTask(task, error);
        return true;
      }
    }
    if (!slot.send(task as Task & { packet: Packet }, (this.#fnMicros.get(task.fn) ?? Infinity) < shortTaskMicros)) {
      this.#queue.unshift(task);
      return false;
    }
    if (Number.isFinite(task.timeout)) watchTimeout(task, slot, () => this.#expire(slot, task));
    return true;
  }

  /**
   * Short calls of one function waiting together go in one frame: one encode, one decode and one wake for
   * all of them instead of one each. Only calls without a signal, timeout or transfer are batched.
   */
  #sendBatch(slot: WorkerSlot, first: Task, limit: number): boolean {
    let perCall = this.#callSizes.get(first.fn);
    if (perCall === undefined) {
      // The function's first batch: its first call encoded alone tells how many fit in one frame (big
      // arguments, which travel out of band: none). Later batches go by what the last one measured.
      try {
        first.packet = encodeCall(first.args!);
      } catch (error) {
        failTask(first, error);
        return true;
      }
      if (!inBand(first.packet)) return this.#sendOne(slot, first);
      this.#callSizes.observe(first.fn, first.packet, 1);
      perCall = this.#callSizes.get(first.fn)!;
    }
    limit = Math.min(limit, Math.floor(slot.channel.maxPayload / (4 * perCall)));
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
      packet = encodeBatch(batch);
      this.#callSizes.observe(first.fn, packet, batch.length);
    } catch {
      // Some call's arguments cannot be encoded: send them one by one so only that call fails.
    }
    if (packet !== undefined && slot.sendBatch(batch, packet)) {
      first.packet = undefined;
      return true;
    }
    for (let i = batch.length - 1; i > 0; i--) this.#queue.unshift(batch[i]!);
    return this.#sendOne(slot, first);
  }
}
