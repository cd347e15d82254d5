// The pool's side of one worker: its runtime and channel, the tasks it holds, and its counters.
import { now } from '../clock.js';
import { ProcessRuntime } from '../backends/process.js';
import type { BackendName, RuntimeOptions, WorkerRuntime } from '../backends/runtime.js';
import { ThreadRuntime } from '../backends/thread.js';
import type { Packet } from '../serialize/index.js';
import { Channel, Word } from '../worker/channel.js';
import { FrameKind, inBand, movableBuffers, protocolVersion, TaskFlag, type FunctionName } from '../worker/protocol.js';
import { waitOver } from '../worker/wait-ops.js';
import type { Task } from './task.js';

export type SlotState = 'starting' | 'ready' | 'retiring' | 'stopping' | 'gone';

export function startRuntime(backend: BackendName, options: RuntimeOptions): WorkerRuntime {
  return backend === 'thread' ? new ThreadRuntime(options) : new ProcessRuntime(options);
}

export class WorkerSlot {
  readonly index: number;
  readonly runtime: WorkerRuntime;
  readonly channel: Channel;
  readonly epoch = Date.now();
  readonly inflight = new Map<number, Task>();
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
  /** Why the pool stopped this worker on purpose (timeout, abort): the error for the task it ran. */
  killed: { taskId: number; error: unknown } | undefined;
  /** The pool's wait for this worker's results, while it holds tasks (result-reader.ts). */
  parking: AbortController | undefined;
  #referenced = true;

  constructor(index: number, runtime: WorkerRuntime) {
    this.index = index;
    this.runtime = runtime;
    this.channel = new Channel(runtime.channel, 'main', runtime.ops);
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
  define(fn: number, fnName: FunctionName): boolean {
    if (this.#defined.has(fn)) return true;
    if (this.state === 'gone' || !this.channel.send(FrameKind.Define, 0, fn, 0, new TextEncoder().encode(JSON.stringify(fnName)))) return false;
    this.#defined.add(fn);
    return true;
  }

  #handed(task: Task): void {
    this.inflight.set(task.id, task);
    task.slot = this;
    this.dispatched++;
  }

  /** Hands a task (its packet encoded) over through the ring, or the slow lane rung for through the ring; false when full. */
  /** `short`: the function's tasks are known to be short (results before it may wait for it, see TaskFlag). */
  send(task: Task & { packet: Packet }, short: boolean): boolean {
    const channel = this.channel;
    if (!this.define(task.fn, task.fnName)) return false;
    const { packet } = task;
    if (inBand(packet) && packet.data.length <= channel.maxPayload) {
      if (!channel.sendWork(FrameKind.Task, short ? task.flags | TaskFlag.Short : task.flags, task.id, task.fn, packet.data)) return false;
    } else {
      // The message goes first so that the worker, seeing the doorbell, finds it already there.
      if (!channel.hasRoom(0)) return false;
      this.runtime.post({ type: 'task', v: protocolVersion, id: task.id, fn: task.fn, flags: task.flags, packet }, [...packet.buffers, ...movableBuffers(packet.data)]);
      channel.sendWork(FrameKind.Doorbell, 0, 0, 0);
    }
    this.#handed(task);
    this.keepAlive(true);
    return true;
  }

  /** Hands several calls of one function over in one frame (`packet` from `batchPacket`); false when it does not fit. */
  sendBatch(tasks: readonly Task[], packet: Packet): boolean {
    const first = tasks[0]!;
    if (!inBand(packet) || packet.data.length > this.channel.maxPayload || !this.define(first.fn, first.fnName)) return false;
    // Batched calls are short by construction.
    if (!this.channel.sendWork(FrameKind.Batch, first.flags | TaskFlag.Short, first.id, first.fn, packet.data)) return false;
    for (const task of tasks) this.#handed(task);
    this.keepAlive(true);
    return true;
  }

  stop(): void {
    if (this.state === 'gone') return;
    this.state = 'stopping';
    this.keepAlive(true);
    if (this.channel.send(FrameKind.Doorbell, 0, 0, 0)) this.runtime.post({ type: 'stop', v: protocolVersion });
    else this.runtime.kill();
  }

  /** Stops the worker now; it keeps the process alive until it is gone, so its exit is always observed. */
  kill(): void {
    if (this.state === 'gone') return;
    this.keepAlive(true);
    this.runtime.kill();
  }

  /** Busy workers keep the process alive; idle ones do not (an unclosed idle pool must not block exit). */
  keepAlive(keep: boolean): void {
    if (keep === this.#referenced || this.state === 'gone') return;
    // Only an idle, serving worker lets go: one starting, stopping or retiring must be seen to the end.
    if (!keep && (this.state !== 'ready' || this.inflight.size > 0)) return;
    this.#referenced = keep;
    this.runtime.ref(keep);
  }
}
