// The pool's side of one worker: the worker itself (a thread or a process), its channel, the tasks it holds,
// and its counters.
import { now } from '../clock.js';
import { channels } from '../observe/channels.js';
import type { BackendWorker } from '../backends/backend-worker.js';
import type { Packet } from '../serialize/index.js';
import { Channel, Word } from '../wire/channel.js';
import { FrameKind, protocolVersion, TaskFlag, type TaskRef } from '../wire/protocol.js';
import { waitOver } from '../wire/word-waiter.js';
import type { Task } from './task.js';
import { inBand, movableBuffers } from '../serialize/transport.js';

const { taskStarted } = channels;

export type SlotState = 'starting' | 'ready' | 'retiring' | 'stopping' | 'gone';

/** What a worker that is gone held: the task it had started and not answered, and those it never started. */
export interface Orphans {
  started: Task[];
  unstarted: Task[];
}

export class WorkerSlot {
  readonly index: number;
  /** Unique within the pool: a replacement in the same index gets a new one (the diagnostics channels name workers by it). */
  readonly id: number;
  /** The pool's id on the diagnostics channels. */
  readonly pool: number;
  readonly worker: BackendWorker;
  readonly channel: Channel;
  readonly epoch = Date.now();
  /** Tasks handed over and not answered, by id, in hand-over order (which is the order the worker runs them). */
  readonly #held = new Map<number, Task>();
  /** The last hand-over number given (see Channel.claim). */
  #lastSeq = 0;
  /** The claim word as it was when the pool last took tasks back: the last task started before then. */
  #claimedBeforeRevoke = 0;
  readonly #defined = new Set<number>();
  state: SlotState = 'starting';
  pid = 0;
  threadId = 0;
  /** Tasks handed to this worker (for maxTasksPerWorker). */
  dispatched = 0;
  tasksDone = 0;
  busyMicros = 0;
  /** Moving average of task run time, microseconds; undefined until the first result. */
  averageMicros: number | undefined;
  readonly spawnedAt = now();
  readyAt: number | undefined;
  /** The initializer's run time in the worker, ms (0 without one). */
  initMs = 0;
  /** When the pool asked it to stop (this clock); undefined until it does. */
  stopAskedAt: number | undefined;
  /** It was stopped because it had run `maxTasksPerWorker` tasks. */
  retired = false;
  /** Why the pool stopped this worker on purpose (timeout, abort): the error for the task it ran. */
  killed: { taskId: number; error: unknown } | undefined;
  /** What the worker wrote as it died of an uncaught error (FrameKind.Fault): the task it ran and the error. */
  fault: { taskId: number; packet: Packet } | undefined;
  /** The pool's wait for this worker's results, while it holds tasks (result-reader.ts). */
  parking: AbortController | undefined;
  #referenced = true;
  /** Tasks waiting in the pool's queue (for the diagnostics channels). */
  readonly #queued: () => number;

  constructor(index: number, worker: BackendWorker, ids: { pool: number; worker: number; queued: () => number }) {
    this.index = index;
    this.id = ids.worker;
    this.pool = ids.pool;
    this.#queued = ids.queued;
    this.worker = worker;
    this.channel = new Channel(worker.channel, 'main', worker.ops);
  }

  /** Ends the pool's wait for this worker's results. */
  stopParking(): void {
    this.parking?.abort(waitOver);
    this.parking = undefined;
  }

  /** Id of the task the worker runs now (0: none) and since when (ms, this clock). */
  running(): { id: number; since: number } {
    const words = this.channel.words;
    return { id: Atomics.load(words, Word.Running), since: this.epoch + Atomics.load(words, Word.RunningSince) };
  }

  /**
   * Names function `fn` to the worker, which starts importing its module on reading the name. Sent before
   * the first task of that function, and by the engine as soon as a function is first called, so a worker
   * still starting finds the name waiting and imports the module while the pool learns it is ready.
   */
  define(fn: number, fnName: TaskRef): boolean {
    if (this.#defined.has(fn)) return true;
    if (this.state === 'gone' || !this.channel.send(FrameKind.Define, 0, fn, 0, new TextEncoder().encode(JSON.stringify(fnName)))) return false;
    this.#defined.add(fn);
    return true;
  }

  /** Tasks held: handed over, not answered. */
  get held(): number {
    return this.#held.size;
  }

  holds(task: Task): boolean {
    return this.#held.get(task.id) === task;
  }

  /** The held task with this id, if any (for stats). */
  heldTask(id: number): Task | undefined {
    return this.#held.get(id);
  }

  /** Every held task, in hand-over order. */
  heldTasks(): IterableIterator<Task> {
    return this.#held.values();
  }

  /** The answer for task `id` arrived: the task, no longer held (undefined when it is not held here). */
  answered(id: number): Task | undefined {
    const task = this.#held.get(id);
    if (task === undefined) return undefined;
    this.#held.delete(id);
    task.slot = undefined;
    return task;
  }

  /** A task the worker handed back unrun: no longer held, and not counted as dispatched to it. */
  giveBack(id: number): Task | undefined {
    const task = this.answered(id);
    if (task !== undefined) this.dispatched--;
    return task;
  }

  /** The hand-over number of the last task the worker started (0: none yet). */
  #lastStarted(): number {
    const claimed = this.channel.claimed;
    return claimed >= 0 ? claimed : this.#claimedBeforeRevoke;
  }

  /**
   * Takes back the tasks this worker holds and has not started, while it runs another. Undefined when it has
   * not started the first it holds yet (it is about to: that one is left to it, and so, for now, the rest),
   * unless `all`. Tasks whose buffers moved to the worker stay: they cannot be sent again.
   */
  takeBackUnstarted(all = false): Task[] | undefined {
    if (this.#held.size < (all ? 1 : 2) || this.state === 'gone') return [];
    const started = this.#lastStarted();
    const first = this.#held.values().next().value as Task;
    if (first.seq > started && !all) return undefined;
    let last = 0;
    for (const task of this.#held.values()) {
      if (task.seq <= started) continue;
      if (!task.movable) break;
      last = task.seq;
    }
    if (last === 0) return [];
    const prior = this.channel.revoke(last);
    if (prior === undefined) return [];
    if (prior >= 0) this.#claimedBeforeRevoke = prior;
    const floor = Math.abs(prior);
    const taken: Task[] = [];
    for (const task of this.#held.values()) {
      if (task.seq <= floor || task.seq > last) continue;
      this.#held.delete(task.id);
      task.slot = undefined;
      taken.push(task);
    }
    return taken;
  }

  /**
   * The worker is gone: every task it held, split by whether it had started. Read from the claim word, which
   * outlives the worker; answers it wrote before dying must have been read first.
   */
  release(): Orphans {
    const started = this.#lastStarted();
    this.state = 'gone';
    const orphans: Orphans = { started: [], unstarted: [] };
    for (const task of this.#held.values()) {
      task.slot = undefined;
      (task.seq > started ? orphans.unstarted : orphans.started).push(task);
    }
    this.#held.clear();
    return orphans;
  }

  #handed(task: Task): void {
    this.#held.set(task.id, task);
    task.slot = this;
    task.workerId = this.id;
    task.workerIndex = this.index;
    this.dispatched++;
    if (taskStarted.hasSubscribers) this.#publishStarted(task);
  }

  #publishStarted(task: Task): void {
    taskStarted.publish({
      poolId: this.pool, taskId: task.id, workerId: this.id, index: this.index, name: task.fnName.name, url: task.fnName.url, items: task.items,
      mapId: task.mapId, queued: this.#queued(), at: Date.now(),
    });
  }

  /** Hands a task (its packet encoded) over through the ring, or the slow lane rung for through the ring; false when full. */
  /** `short`: the function's tasks are known to be short (results before it may wait for it, see TaskFlag). */
  send(task: Task & { packet: Packet }, short: boolean): boolean {
    const channel = this.channel;
    if (!this.define(task.fn, task.fnName)) return false;
    const { packet } = task;
    const seq = this.#lastSeq + 1;
    if (inBand(packet) && packet.data.length <= channel.maxPayload) {
      if (!channel.sendWork(FrameKind.Task, short ? task.flags | TaskFlag.Short : task.flags, task.id, task.fn, seq, packet.data)) return false;
      task.movable = true;
    } else {
      // The message goes first so that the worker, seeing the doorbell, finds it already there.
      if (!channel.hasRoom(0)) return false;
      const transfer = [...packet.buffers, ...movableBuffers(packet.data)];
      this.worker.post({ type: 'task', v: protocolVersion, id: task.id, fn: task.fn, flags: task.flags, seq, packet }, transfer);
      channel.sendWork(FrameKind.Doorbell, 0, 0, 0, 0);
      // A thread receives moved buffers: gone from here, the task cannot be sent to another worker.
      task.movable = !this.worker.movesBuffers || transfer.length === 0;
    }
    this.#lastSeq = seq;
    task.seq = seq;
    this.#handed(task);
    this.keepAlive(true);
    return true;
  }

  /** Hands several calls of one function over in one frame (`packet` from `batchPacket`); false when it does not fit. */
  sendBatch(tasks: readonly Task[], packet: Packet): boolean {
    const first = tasks[0]!;
    if (!inBand(packet) || packet.data.length > this.channel.maxPayload || !this.define(first.fn, first.fnName)) return false;
    // Batched calls are short by construction.
    const seq = this.#lastSeq + 1;
    if (!this.channel.sendWork(FrameKind.Batch, first.flags | TaskFlag.Short, first.id, first.fn, seq, packet.data)) return false;
    for (let i = 0; i < tasks.length; i++) {
      const task = tasks[i]!;
      task.seq = seq + i;
      task.movable = true;
      this.#handed(task);
    }
    this.#lastSeq = seq + tasks.length - 1;
    this.keepAlive(true);
    return true;
  }

  stop(): void {
    if (this.state === 'gone') return;
    if (this.state === 'retiring') this.retired = true;
    this.stopAskedAt ??= now();
    this.state = 'stopping';
    this.keepAlive(true);
    if (this.channel.send(FrameKind.Doorbell, 0, 0, 0)) this.worker.post({ type: 'stop', v: protocolVersion });
    else this.worker.kill();
  }

  /**
   * Stops the worker now; it keeps the process alive until it is gone, so its exit is always observed (an
   * answer read meanwhile must not let an idle worker go: `stopping` refuses that).
   */
  kill(): void {
    if (this.state === 'gone') return;
    this.keepAlive(true);
    this.stopAskedAt ??= now();
    this.state = 'stopping';
    this.worker.kill();
  }

  /** Busy workers keep the process alive; idle ones do not (an unclosed idle pool must not block exit). */
  keepAlive(keep: boolean): void {
    if (keep === this.#referenced || this.state === 'gone') return;
    // Only an idle, serving worker lets go: one starting, stopping or retiring must be seen to the end.
    if (!keep && (this.state !== 'ready' || this.#held.size > 0)) return;
    this.#referenced = keep;
    this.worker.ref(keep);
  }
}
