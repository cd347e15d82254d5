// Hands queued tasks to the workers' channels: how many each worker holds, which calls go together in one
// batch frame, and when the time limit of a task starts being watched. This is the pool's hot path.
import type { BackendName } from '../backends/runtime.js';
import { encode, packetToBytes, type Packet } from '../serialize/index.js';
import { inBand } from '../worker/protocol.js';
import { watchTimeout } from './stats.js';
import { failTask, type Task } from './task.js';
import type { TaskQueue } from './task-queue.js';
import type { WorkerSlot } from './worker-slot.js';

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
}

export class Dispatcher {
  readonly #slots: readonly WorkerSlot[];
  readonly #queue: TaskQueue<Task>;
  readonly #backend: BackendName;
  readonly #maxTasksPerWorker: number;
  readonly #fnMicros: ReadonlyMap<number, number>;
  readonly #expire: (slot: WorkerSlot, task: Task) => void;

  constructor(slots: readonly WorkerSlot[], queue: TaskQueue<Task>, options: DispatcherOptions) {
    this.#slots = slots;
    this.#queue = queue;
    this.#backend = options.backend;
    this.#maxTasksPerWorker = options.maxTasksPerWorker;
    this.#fnMicros = options.fnMicros;
    this.#expire = options.expire;
  }

  /** Hands queued tasks to ready workers with room, round robin, until the queue is empty or nobody has room. */
  dispatch(): void {
    const queue = this.#queue;
    const maxTasks = this.#maxTasksPerWorker;
    let progress = true;
    while (queue.size > 0 && progress) {
      progress = false;
      for (const slot of this.#slots) {
        if (slot.state !== 'ready' || slot.dispatched >= maxTasks) continue;
        const task = queue.shift();
        if (task === undefined) return;
        const average = this.#fnMicros.get(task.fn);
        const room = Math.min(queueDepth(average, queue.size, this.#slots.length) - slot.inflight.size, maxTasks - slot.dispatched);
        if (room <= 0) {
          queue.unshift(task);
          continue;
        }
        const perBatch = task.packet === undefined ? batchSize(average) : 1;
        const sent = room > 1 && perBatch > 1 ? this.#sendBatch(slot, task, Math.min(room, perBatch)) : this.#sendOne(slot, task);
        if (!sent) continue;
        progress = true;
        if (slot.dispatched >= maxTasks) slot.state = 'retiring';
      }
    }
  }

  /** Sends one task; false (the task back at the head of the queue) when the ring is full. */
  #sendOne(slot: WorkerSlot, task: Task): boolean {
    if (task.packet === undefined) {
      try {
        task.packet = encode(task.args);
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
    // The first call encoded alone tells how many of its kind fit in one frame (big arguments: none).
    try {
      first.packet = encode(first.args);
    } catch (error) {
      failTask(first, error);
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
}
