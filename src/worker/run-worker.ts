// The worker side shared by both backends: run the initializer, then take tasks from the fast lane (and
// the slow lane it rings for), run them one at a time, and send results back.
import { now } from '../clock.js';
import { importModule } from '../import-module.js';
import { encode, registerModule, type Packet } from '../serialize/index.js';
import { Channel, Word } from '../wire/channel.js';
import { endCurrentTask, setTaskChannel } from './current-task.js';
import { enterTaskImport, leaveTaskImport, setCurrentWorker } from './current-worker.js';
import { FrameKind, protocolVersion, smallResult, SmallResult, TaskFlag, type FromWorker, type TaskRef, type InitMessage, type ToWorker } from '../wire/protocol.js';
import { Spinner } from './spinner.js';
import { missingTask, taskModuleImportError } from './task-module.js';
import type { WaitOps } from '../wire/wait-ops.js';
import { decodeFast, inBand, movableBuffers } from '../serialize/transport.js';

/** What a backend's entry file gives the shared worker loop. */
export interface WorkerTransport {
  ops: WaitOps;
  pid: number;
  threadId: number;
  /** The next control message (synchronously where the runtime can). */
  receive(): ToWorker | Promise<ToWorker>;
  /**
   * Sends a control message. A Promise means the message is still being written and this thread's event loop
   * must run for it to finish (a pipe takes a large message in parts): the loop awaits it before blocking in a
   * task or a park, which would otherwise hold the rest of the message back.
   */
  post(message: FromWorker, transfer: ArrayBuffer[]): void | Promise<void>;
}

type TaskFunction = (...args: unknown[]) => unknown;

/**
 * Held results are announced once the work left in the ring would last about this long: time enough for the
 * pool thread to be scheduled and refill the ring before it runs dry, even when every core runs a worker
 * (a woken thread may wait a scheduler slice, milliseconds, for a core).
 */
const refillLeadMicros = 4000;

const functions = new Map<number, TaskRef>();
const loaded = new Map<string, TaskFunction>();
/** Imports in flight, so a task arriving meanwhile (or the name's early import) waits for the same one. */
const loading = new Map<string, Promise<TaskFunction>>();

function functionKey(name: TaskRef): string {
  return `${name.url}#${name.name}`;
}

function resolveFunction(name: TaskRef): Promise<TaskFunction> {
  const key = functionKey(name);
  const cached = loaded.get(key);
  if (cached !== undefined) return Promise.resolve(cached);
  let pending = loading.get(key);
  if (pending === undefined) {
    pending = importFunction(name, key);
    loading.set(key, pending);
    // Forgotten once settled: a success is in `loaded`, and after a failure the next task imports again.
    const forget = (): void => void loading.delete(key);
    pending.then(forget, forget);
  }
  return pending;
}

async function importFunction(name: TaskRef, key: string): Promise<TaskFunction> {
  enterTaskImport();
  let module: Record<string, unknown>;
  try {
    module = (await importModule(name.url)) as Record<string, unknown>;
  } catch (error) {
    // Said of the task module, not of the loader's own file the import ran from.
    throw taskModuleImportError(name.url, error);
  } finally {
    leaveTaskImport();
  }
  // Its exported classes and functions can now travel in arguments and results.
  registerModule(name.url, module);
  const fn = module[name.name];
  if (typeof fn !== 'function') throw missingTask(name.url, name.name, module);
  loaded.set(key, fn as TaskFunction);
  return fn as TaskFunction;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function encodeError(error: unknown): Packet {
  try {
    return encode(error);
  } catch {
    // Something in it cannot travel (a field holding a function, say): its name, message, stack and code can.
    const plain: Record<string, unknown> = error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : { message: String(error) };
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string') plain['code'] = code;
    return encode(Object.assign(new Error(String(plain['message'])), plain));
  }
}

class WorkerLoop {
  readonly #channel: Channel;
  readonly #transport: WorkerTransport;
  readonly #init: InitMessage;
  readonly #idle = new AbortController();
  readonly #spinner: Spinner;
  /** Results sent without waking the pool (see #send). */
  #unannounced = 0;
  /** A result still being written to the slow lane (see WorkerTransport.post). */
  #writing: Promise<void> | undefined;
  /** Moving average of the time one work frame (task, chunk or batch) takes, microseconds. */
  #frameMicros = Infinity;
  /** When the work frame being served was taken. */
  #frameStarted = 0;
  /** The most work frames seen waiting since the last announcement: about what the pool fills the ring to. */
  #peakQueued = 0;

  constructor(init: InitMessage, channel: Channel, transport: WorkerTransport) {
    this.#init = init;
    this.#spinner = new Spinner(init.spinMicros);
    this.#channel = channel;
    this.#transport = transport;
  }

  async run(): Promise<void> {
    const channel = this.#channel;
    for (;;) {
      if (this.#writing !== undefined) {
        const writing = this.#writing;
        this.#writing = undefined;
        await writing;
      }
      const frame = channel.receive();
      if (frame !== undefined) {
        if (frame.kind === FrameKind.Task || frame.kind === FrameKind.Batch) {
          channel.tookWork();
          this.#frameStarted = now();
        }
        // Results held back are announced before a task that may be long, and once the work left here runs
        // low, so the pool refills the ring while that work runs.
        if ((frame.flags & TaskFlag.Short) === 0 || this.#runningLow()) this.#announce();
        switch (frame.kind) {
          case FrameKind.Task: {
            const pending = this.#runTask(frame.id, frame.aux, frame.flags, frame.seq, { data: frame.payload, buffers: [] });
            if (pending !== undefined) await this.#announced(pending);
            break;
          }
          case FrameKind.Batch: {
            const pending = this.#runBatch(frame.aux, frame.seq, { data: frame.payload, buffers: [] });
            if (pending !== undefined) await this.#announced(pending);
            break;
          }
          case FrameKind.Define: {
            const name = JSON.parse(new TextDecoder().decode(frame.payload)) as TaskRef;
            functions.set(frame.id, name);
            // Imported now, so the first task of it does not wait for the import (a failure is that task's to report).
            void resolveFunction(name);
            break;
          }
          case FrameKind.Doorbell: {
            this.#announce();
            const message = await this.#transport.receive();
            if (message.type === 'stop') return;
            if (message.type === 'task') {
              channel.tookWork();
              this.#frameStarted = now();
              const pending = this.#runTask(message.id, message.fn, message.flags, message.seq, message.packet);
              if (pending !== undefined) await this.#announced(pending);
            }
            break;
          }
          default:
            throw new TypeError(`Unexpected frame kind ${frame.kind as number}`);
        }
        continue;
      }
      // Idle: spin briefly (back-to-back calls), then sleep blocking (fast wake), then sleep letting
      // the event loop run (timers and servers the initializer started keep working).
      this.#announce();
      if (channel.spin(this.#spinner.micros)) {
        this.#spinner.hit();
        continue;
      }
      const parkedAt = now();
      if (channel.park(this.#init.blockingParkMs)) {
        this.#spinner.woken(now() - parkedAt);
        continue;
      }
      // A pending Atomics.waitAsync does not keep a thread's event loop alive: this timer does.
      const keepAlive = setInterval(() => {}, 2 ** 30);
      await channel.parkAsync(this.#idle.signal);
      clearInterval(keepAlive);
    }
  }

  /** Wakes the pool if results went out without waking it. */
  #announce(): void {
    if (this.#unannounced === 0) return;
    this.#unannounced = 0;
    this.#peakQueued = 0;
    this.#channel.wakePeer();
  }

  /**
   * Whether the work waiting in the ring is down to about `refillLeadMicros` (by this worker's measured frame
   * time), and to at most a third of what the pool last filled it to: tiny tasks, whose whole ring lasts less
   * than the lead, still go most of a ring between wakes.
   */
  #runningLow(): boolean {
    const queued = this.#channel.queued;
    if (queued > this.#peakQueued) this.#peakQueued = queued;
    return queued <= Math.min(Math.ceil(refillLeadMicros / this.#frameMicros), Math.floor(this.#peakQueued / 3));
  }

  /** Awaits an asynchronous task: the pool must not wait for held-back results meanwhile. */
  #announced(pending: Promise<void>): Promise<void> {
    this.#announce();
    return pending;
  }

  /** Returns a Promise only when the task (or its module import) is asynchronous. Skips a task the pool took back. */
  #runTask(id: number, fnNumber: number, flags: number, seq: number, packet: Packet): Promise<void> | undefined {
    if (!this.#channel.claim(seq)) return undefined;
    const started = now();
    const name = functions.get(fnNumber);
    try {
      if (name === undefined) throw new TypeError(`Task function #${fnNumber} was never defined for this worker`);
      const fn = loaded.get(functionKey(name));
      // The module first: importing it registers its classes, which the arguments may contain.
      const args = fn === undefined ? undefined : decodeFast(packet);
      if (fn === undefined || isThenable(args)) {
        return (async () => {
          let resolved: TaskFunction;
          let decoded: unknown;
          try {
            resolved = fn ?? (await resolveFunction(name));
            decoded = await (args ?? decodeFast(packet));
          } catch (error) {
            this.#fail(id, error, started);
            return;
          }
          // A task's time is its own: the module's import, once per worker, does not count in it.
          await this.#execute(id, resolved, flags, decoded, fn === undefined ? now() : started);
        })();
      }
      return this.#execute(id, fn, flags, args, started);
    } catch (error) {
      this.#fail(id, error, started);
      return undefined;
    }
  }

  #execute(id: number, fn: TaskFunction, flags: number, args: unknown, started: number): Promise<void> | undefined {
    const words = this.#channel.words;
    Atomics.store(words, Word.RunningSince, Date.now() - this.#init.epoch);
    Atomics.store(words, Word.Running, id);
    if (this.#channel.takeCancelled(id)) {
      // Aborted while waiting here; the pool has already settled it and ignores this answer.
      this.#fail(id, new Error('cancelled'), started);
      return undefined;
    }
    try {
      const spread = (flags & TaskFlag.Spread) !== 0;
      if ((flags & TaskFlag.Chunk) === 0) {
        const result = spread ? fn(...(args as unknown[])) : fn(args);
        if (isThenable(result)) {
          return Promise.resolve(result).then((value) => this.#succeed(id, value, started), (error: unknown) => this.#fail(id, error, started));
        }
        this.#succeed(id, result, started);
        return undefined;
      }
      const items = args as unknown[];
      const results = new Array<unknown>(items.length);
      for (let i = 0; i < items.length; i++) {
        const result = spread ? fn(...(items[i] as unknown[])) : fn(items[i]);
        if (isThenable(result)) return this.#finishChunkAsync(id, fn, spread, items, results, i, result, started);
        results[i] = result;
      }
      this.#succeed(id, results, started);
      return undefined;
    } catch (error) {
      this.#fail(id, error, started);
      return undefined;
    }
  }

  async #finishChunkAsync(id: number, fn: TaskFunction, spread: boolean, items: unknown[], results: unknown[], from: number,
    first: PromiseLike<unknown>, started: number): Promise<void> {
    try {
      results[from] = await first;
      for (let i = from + 1; i < items.length; i++) results[i] = await (spread ? fn(...(items[i] as unknown[])) : fn(items[i]));
      this.#succeed(id, results, started);
    } catch (error) {
      this.#fail(id, error, started);
    }
  }

  /**
   * Single calls sent together: each is claimed, runs and answers as its own task (errors stay per call, and
   * the pool may take back the calls not started yet); the pool is woken once, after the last.
   */
  #runBatch(fnNumber: number, seq: number, packet: Packet): Promise<void> | undefined {
    const name = functions.get(fnNumber);
    if (name === undefined) throw new TypeError(`Task function #${fnNumber} was never defined for this worker`);
    const fn = loaded.get(functionKey(name));
    if (fn === undefined) {
      // The module first: importing it registers its classes, which the arguments may contain.
      return resolveFunction(name).then((resolved) => this.#startBatch(resolved, seq, packet), async (error: unknown) => {
        const [ids] = (await decodeFast(packet)) as [Int32Array];
        for (let i = 0; i < ids.length && this.#channel.claim(seq + i); i++) this.#fail(ids[i]!, error, now(), i + 1 < ids.length);
      });
    }
    return this.#startBatch(fn, seq, packet);
  }

  #startBatch(fn: TaskFunction, seq: number, packet: Packet): Promise<void> | undefined {
    // Unreadable ids cannot be answered: the error ends the worker and the pool fails the calls it held.
    const decoded = decodeFast(packet) as [Int32Array, unknown[][]] | Promise<[Int32Array, unknown[][]]>;
    const start = ([ids, argumentLists]: [Int32Array, unknown[][]]): Promise<void> | undefined => this.#continueBatch(fn, seq, ids, argumentLists, 0);
    return isThenable(decoded) ? decoded.then(start) : start(decoded);
  }

  #continueBatch(fn: TaskFunction, seq: number, ids: Int32Array, argumentLists: unknown[][], from: number): Promise<void> | undefined {
    const words = this.#channel.words;
    for (let i = from; i < ids.length; i++) {
      // The pool takes back calls from the end, so the first one refused ends the batch.
      if (!this.#channel.claim(seq + i)) return undefined;
      const id = ids[i]!;
      const more = i + 1 < ids.length;
      const started = now();
      Atomics.store(words, Word.RunningSince, Date.now() - this.#init.epoch);
      Atomics.store(words, Word.Running, id);
      try {
        const result = fn(...argumentLists[i]!);
        if (isThenable(result)) {
          this.#announce();
          return Promise.resolve(result)
            .then((value) => this.#succeed(id, value, started, more), (error: unknown) => this.#fail(id, error, started, more))
            .then(() => this.#continueBatchAfterWrite(fn, seq, ids, argumentLists, i + 1));
        }
        this.#succeed(id, result, started, more);
      } catch (error) {
        this.#fail(id, error, started, more);
      }
      // A result on the slow lane must be written out before the next call may start (and crash).
      if (this.#writing !== undefined) return this.#continueBatchAfterWrite(fn, seq, ids, argumentLists, i + 1);
    }
    return undefined;
  }

  async #continueBatchAfterWrite(fn: TaskFunction, seq: number, ids: Int32Array, argumentLists: unknown[][], from: number): Promise<void> {
    const writing = this.#writing;
    this.#writing = undefined;
    await writing;
    await this.#continueBatch(fn, seq, ids, argumentLists, from);
  }

  /** `more`: further calls of the same batch follow (the pool is not woken for this one). */
  #succeed(id: number, value: unknown, started: number, more = false): void {
    const micros = this.#ended(started, more);
    const small = smallResult(value);
    if (small !== undefined && this.#sendSmall(id, small, small === SmallResult.Int32 ? (value as number) : 0, micros, more)) return;
    let packet: Packet;
    try {
      packet = encode(value);
    } catch (error) {
      this.#send(FrameKind.Error, id, false, encodeError(error), micros, more);
      return;
    }
    this.#send(FrameKind.Ok, id, true, packet, micros, more);
  }

  #fail(id: number, error: unknown, started: number, more = false): void {
    this.#send(FrameKind.Error, id, false, encodeError(error), this.#ended(started, more), more);
  }

  /** The run time of a call that ends now, in microseconds; the frame's, too, once its last call ends. */
  #ended(started: number, more: boolean): number {
    const at = now();
    if (!more) {
      const frameMicros = (at - this.#frameStarted) * 1000;
      this.#frameMicros = this.#frameMicros === Infinity ? frameMicros : this.#frameMicros * 0.75 + frameMicros * 0.25;
    }
    return Math.min(0x7fffffff, Math.round((at - started) * 1000));
  }

  /** A result that needs no codec, in the frame header alone; false when the ring is full. */
  #sendSmall(id: number, small: number, value: number, micros: number, more: boolean): boolean {
    const wake = !more && this.#runningLow();
    if (!this.#channel.send(FrameKind.OkSmall, small, id, micros, undefined, wake, value)) return false;
    if (!wake) this.#unannounced++;
    this.#finished();
    return true;
  }

  #send(kind: FrameKind, id: number, ok: boolean, packet: Packet, micros: number, more: boolean): void {
    // While another task waits here, the result goes out without waking the pool: a wake costs the pool
    // thread an event-loop turn and this thread a notify (tens of microseconds each, taken from the workers
    // when there are as many workers as cores), and the pool reads every result it finds once woken. Held
    // results are announced before a task the pool did not mark short, once the work left here runs low (so
    // the pool refills it in time), and before awaiting or idling: they wait a few milliseconds of work at most.
    const wake = !more && this.#runningLow();
    // A frame that cannot go through the ring (too big, transferred buffers, ring full) takes the slow lane;
    // the main side matches results by id, so the two lanes need no common order.
    if (inBand(packet) && this.#channel.send(kind, 0, id, micros, packet.data, wake)) {
      if (!wake) this.#unannounced++;
    } else {
      this.#writing = this.#transport.post({ type: 'result', v: protocolVersion, id, ok, micros, packet }, [...packet.buffers, ...movableBuffers(packet.data)]) ?? undefined;
    }
    this.#finished();
  }

  /** The call is over: nothing runs until the next is claimed. */
  #finished(): void {
    Atomics.store(this.#channel.words, Word.Running, 0);
    endCurrentTask();
  }
}

/**
 * An uncaught error ends the worker, as it would end a Node program; first it goes into the ring, where the
 * pool reads it even though the worker is gone, with the task that ran (0: between tasks, so a timer of a
 * task that already returned is not blamed on the next one). A task module that handles uncaught errors
 * itself (its own listener) keeps its worker.
 */
function reportFatalErrors(channel: Channel, transport: WorkerTransport): void {
  const onFatal = (error: unknown): void => {
    if (process.listenerCount('uncaughtException') > 1) return;
    const running = Atomics.load(channel.words, Word.Running);
    const packet = encodeError(error);
    if (inBand(packet)) channel.send(FrameKind.Fault, 0, running, 0, packet.data);
    // A process prints what killed it, as Node does; a thread's parent reads it from the ring.
    if (transport.threadId === 0) process.stderr.write(`Uncaught ${error instanceof Error ? (error.stack ?? String(error)) : String(error)}\n`);
    process.exit(1);
  };
  process.on('uncaughtException', onFatal);
}

/** Runs the initializer, reports ready (or the initializer's error), then serves tasks until told to stop. */
export async function runWorker(init: InitMessage, channelBuffer: SharedArrayBuffer, transport: WorkerTransport): Promise<void> {
  setCurrentWorker({ index: init.index, pid: transport.pid, threadId: transport.threadId });
  const channel = new Channel(channelBuffer, 'worker', transport.ops);
  setTaskChannel(channel);
  reportFatalErrors(channel, transport);
  if (init.initializer !== undefined) {
    try {
      const initializer = await resolveFunction(init.initializer);
      const initargs = await decodeFast(init.initargs);
      await initializer(...(initargs as unknown[]));
    } catch (error) {
      // Awaited: the process backend disconnects once this returns, which would cut a message still being written.
      await transport.post({ type: 'init-error', v: protocolVersion, error: encodeError(error) }, []);
      return;
    }
  }
  void transport.post({ type: 'ready', v: protocolVersion, pid: transport.pid, threadId: transport.threadId }, []);
  await new WorkerLoop(init, channel, transport).run();
}
