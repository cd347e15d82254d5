// Reads the workers' answers: drains their rings, settles the tasks, keeps the run-time averages that size
// dispatch, and waits for results (a bounded spin for short tasks, else an asynchronous park per worker).
import { now } from '../clock.js';
import type { Packet } from '../serialize/index.js';
import { AnswerFlag, FrameKind, SmallResult } from '../wire/protocol.js';
import { encodeCall } from './call-packets.js';
import { toTaskError } from './errors.js';
import { settleTask, type Task } from './task.js';
import type { WorkerSlot } from './worker-slot.js';
import { decodeFast } from '../serialize/transport.js';

const maxSpinPerTurnMs = 8;
// Read once: in the bundle these come from the worker's script through a getter, per read otherwise.
const { Ok, Error: ErrorKind, OkSmall, Fault } = FrameKind;
const { Int32 } = SmallResult;
const { SendAlone } = AnswerFlag;
const wokenSpinFactor = 6;

export interface ResultReaderOptions {
  spinMicros: number;
  /** Moving average of each function's task run time, microseconds, updated here. */
  fnMicros: Map<number, number>;
  /** Hands out queued work (called while spinning, as results free room). */
  dispatch: () => void;
  scheduleFlush: () => void;
  /** Puts a task back at the head of the queue (one a worker handed back unrun). */
  requeue: (task: Task) => void;
}

export class ResultReader {
  readonly #slots: readonly WorkerSlot[];
  readonly #fnMicros: Map<number, number>;
  readonly #spinMicros: number;
  readonly #dispatch: () => void;
  readonly #scheduleFlush: () => void;
  readonly #requeue: (task: Task) => void;
  #spinUsedMs = 0;
  #spinResetQueued = false;

  constructor(slots: readonly WorkerSlot[], options: ResultReaderOptions) {
    this.#slots = slots;
    this.#fnMicros = options.fnMicros;
    this.#spinMicros = options.spinMicros;
    this.#dispatch = options.dispatch;
    this.#scheduleFlush = options.scheduleFlush;
    this.#requeue = options.requeue;
  }

  /** Takes an answered task off its worker and updates the counters; undefined when not held (dropped, taken back). */
  #answered(slot: WorkerSlot, id: number, micros: number): Task | undefined {
    const task = slot.answered(id);
    if (task === undefined) return undefined;
    slot.tasksDone++;
    slot.busyMicros += micros;
    slot.averageMicros = slot.averageMicros === undefined ? micros : slot.averageMicros * 0.75 + micros * 0.25;
    const average = this.#fnMicros.get(task.fn);
    this.#fnMicros.set(task.fn, average === undefined ? micros : average * 0.75 + micros * 0.25);
    return task.settled ? undefined : task;
  }

  /** What a worker threw outside any task (its initializer), as the error the pool reports. */
  async thrown(packet: Packet): Promise<Error> {
    try {
      return toTaskError(await decodeFast(packet));
    } catch (error) {
      return toTaskError(error);
    }
  }

  /** A result that came through the slow lane (postMessage/IPC). */
  onMessage(slot: WorkerSlot, id: number, ok: boolean, micros: number, packet: Packet, flags = 0): void {
    if ((flags & SendAlone) !== 0) this.#sendAlone(slot, id);
    else this.#onResult(slot, id, ok, micros, packet);
    this.afterResults(slot);
  }

  #onResult(slot: WorkerSlot, id: number, ok: boolean, micros: number, packet: Packet): void {
    const task = this.#answered(slot, id, micros);
    if (task === undefined) return;
    let value: unknown;
    try {
      value = decodeFast(packet);
    } catch (error) {
      settleTask(task, toTaskError(error), false, micros);
      return;
    }
    // No closure on the hot path: the bundle names every function stored in a variable, at a cost per call.
    if (value instanceof Promise) {
      value.then((decoded: unknown) => settleTask(task, ok ? decoded : toTaskError(decoded), ok, micros), (failure: unknown) => settleTask(task, toTaskError(failure), false, micros));
    } else {
      settleTask(task, ok ? value : toTaskError(value), ok, micros);
    }
  }

  /**
   * A batched call the worker handed back unrun, as it could not decode the batch's arguments: it goes again
   * on its own, encoded now (a task with its packet is never batched), so only a call whose own arguments
   * cannot be decoded fails.
   */
  #sendAlone(slot: WorkerSlot, id: number): void {
    const task = slot.giveBack(id);
    if (task === undefined || task.settled) return;
    try {
      task.packet = encodeCall(task.args!);
    } catch (error) {
      settleTask(task, toTaskError(error), false);
      return;
    }
    this.#requeue(task);
  }

  /** Reads every frame waiting in the worker's ring: answers, and the error it died of. */
  drain(slot: WorkerSlot): void {
    for (let frame = slot.channel.receive(); frame !== undefined; frame = slot.channel.receive()) {
      const kind = frame.kind;
      if (kind === OkSmall) {
        const task = this.#answered(slot, frame.id, frame.micros);
        if (task !== undefined) settleTask(task, frame.flags === Int32 ? frame.seq : undefined, true, frame.micros);
      } else if (kind === ErrorKind && (frame.flags & SendAlone) !== 0) {
        this.#sendAlone(slot, frame.id);
      } else if (kind === Ok || kind === ErrorKind) {
        this.#onResult(slot, frame.id, kind === Ok, frame.micros, { data: frame.payload, buffers: [] });
      } else if (kind === Fault) {
        slot.fault = { taskId: frame.id, packet: { data: frame.payload, buffers: [] } };
      }
    }
  }

  /** A worker holding nothing more stops waiting, retires if due, and lets the process exit. */
  afterResults(slot: WorkerSlot): void {
    if (slot.held > 0 || slot.state === 'gone') return;
    slot.stopParking();
    if (slot.state === 'retiring') slot.stop();
    else slot.keepAlive(false);
    this.#scheduleFlush();
  }

  /** Waits for the results of every worker that holds tasks: spinning while short ones are out, then parked. */
  wait(): void {
    this.#spin();
    for (const slot of this.#slots) if (slot.held > 0 && slot.parking === undefined && slot.state !== 'gone') this.#park(slot);
  }

  /**
   * While short tasks are out, wait for their results on this thread for a bounded time instead of sleeping:
   * a wake-up through the event loop costs tens of microseconds, a result typically arrives within a few.
   */
  #spin(): void {
    const spinMs = this.#spinMicros / 1000;
    if (spinMs <= 0 || this.#spinUsedMs > maxSpinPerTurnMs) return;
    const start = now();
    let lastProgress = start;
    let time = start;
    for (;;) {
      let waiting = false;
      let progress = false;
      let woke = false;
      for (const slot of this.#slots) {
        if (slot.held === 0 || slot.averageMicros === undefined || slot.averageMicros > spinMs * 500) continue;
        waiting = true;
        // A worker that had gone to sleep answers a wake-up later: wait that out too, or the next call
        // finds it asleep again and every call pays a wake-up on both sides.
        woke ||= start - slot.channel.wokePeerAt < spinMs;
        if (slot.channel.hasInput) {
          this.drain(slot);
          this.afterResults(slot);
          progress = true;
        }
      }
      if (!waiting) {
        // Nothing short is out (long tasks): no spin, and no reset to schedule.
        if (time === start) return;
        break;
      }
      time = now();
      if (progress) {
        lastProgress = time;
        this.#dispatch();
      } else if (time - lastProgress > (woke ? spinMs * wokenSpinFactor : spinMs)) {
        break;
      }
      if (time - start > maxSpinPerTurnMs) break;
    }
    this.#spinUsedMs += time - start;
    if (!this.#spinResetQueued) {
      this.#spinResetQueued = true;
      setImmediate(() => {
        this.#spinUsedMs = 0;
        this.#spinResetQueued = false;
      }).unref();
    }
  }

  /** Sleeps on the worker's ring and reads what arrives, for as long as the worker holds tasks: one controller per stretch of waiting, not per wake. */
  #park(slot: WorkerSlot): void {
    const parking = new AbortController();
    slot.parking = parking;
    void (async () => {
      for (;;) {
        await slot.channel.parkAsync(parking.signal);
        if (parking.signal.aborted || slot.state === 'gone') break;
        this.drain(slot);
        this.afterResults(slot);
        this.#scheduleFlush();
      }
      if (slot.parking === parking) slot.parking = undefined;
    })();
  }
}
