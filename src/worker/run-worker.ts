// The worker side shared by both backends: run the initializer, then the frame loop: take work from the fast
// lane (and the slow lane it rings for) and hand it to the runner (task-runner.ts), which answers through
// replies.ts; idle, spin, then park.
import { now } from '../clock.js';
import { decodeFast, inBand } from '../serialize/transport.js';
import { Channel, Word } from '../wire/channel.js';
import { FrameKind, protocolVersion, TaskFlag, type FromWorker, type InitMessage, type ReadyMessage, type TaskRef, type ToWorker } from '../wire/protocol.js';
import type { WordWaiter } from '../wire/word-waiter.js';
import { setTaskChannel } from './current-task.js';
import { setCurrentWorker } from './current-worker.js';
import { encodeError } from './error-packet.js';
import { Replies } from './replies.js';
import { Spinner } from './spinner.js';
import { defineFunction, prefetchFunction, resolveFunction } from './task-functions.js';
import { TaskRunner } from './task-runner.js';

/** What a backend's entry file gives the shared worker loop. */
export interface WorkerTransport {
  ops: WordWaiter;
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

class WorkerLoop {
  readonly #channel: Channel;
  readonly #transport: WorkerTransport;
  readonly #init: InitMessage;
  readonly #idle = new AbortController();
  readonly #spinner: Spinner;
  readonly #replies: Replies;
  readonly #runner: TaskRunner;
  /** How often to send a memory sample, ms (0: never); when the last went (see #sample). */
  readonly #sampleMs: number;
  #sampledAt = -Infinity;

  constructor(init: InitMessage, channel: Channel, transport: WorkerTransport) {
    this.#init = init;
    this.#sampleMs = init.sampleMs ?? 0;
    this.#spinner = new Spinner(init.spinMicros);
    this.#channel = channel;
    this.#transport = transport;
    this.#replies = new Replies(channel, (message, transfer) => transport.post(message, transfer));
    this.#runner = new TaskRunner(channel, this.#replies, init.epoch);
  }

  async run(): Promise<void> {
    const channel = this.#channel;
    for (;;) {
      const writing = this.#replies.takeWriting();
      if (writing !== undefined) await writing;
      const frame = channel.receive();
      if (this.#sampleMs > 0) this.#sample(this.#sampleMs);
      if (frame !== undefined) {
        if (frame.kind === FrameKind.Task || frame.kind === FrameKind.Batch) this.#replies.tookFrame();
        // Results held back are announced before a task that may be long, and once the work left here runs
        // low, so the pool refills the ring while that work runs.
        if ((frame.flags & TaskFlag.Short) === 0 || this.#replies.runningLow()) this.#replies.announce();
        switch (frame.kind) {
          case FrameKind.Task: {
            const pending = this.#runner.runTask(frame.id, frame.fn, frame.flags, frame.seq, { data: frame.payload, buffers: [] });
            if (pending !== undefined) await this.#announced(pending);
            break;
          }
          case FrameKind.Batch: {
            const pending = this.#runner.runBatch(frame.fn, frame.seq, frame.payload);
            if (pending !== undefined) await this.#announced(pending);
            break;
          }
          case FrameKind.Define: {
            const name = JSON.parse(new TextDecoder().decode(frame.payload)) as TaskRef;
            defineFunction(frame.id, name);
            prefetchFunction(name);
            break;
          }
          case FrameKind.Doorbell: {
            this.#replies.announce();
            const message = await this.#transport.receive();
            if (message.type === 'stop') return;
            if (message.type === 'task') {
              this.#replies.tookFrame();
              const pending = this.#runner.runTask(message.id, message.fn, message.flags, message.seq, message.packet);
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
      this.#replies.announce();
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

  /**
   * Between tasks, at most every `sampleMs`: the worker's memory to the pool, by the slow lane (a few hundred
   * bytes a few times a second). Only here can a thread's own heap be read; a task running long delays it.
   */
  #sample(sampleMs: number): void {
    const at = now();
    if (at - this.#sampledAt < sampleMs) return;
    this.#sampledAt = at;
    const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
    void this.#transport.post({ type: 'sample', v: protocolVersion, rss, heapUsed, heapTotal, external }, []);
  }

  /** Awaits an asynchronous task: the pool must not wait for held-back results meanwhile. */
  #announced(pending: Promise<void>): Promise<void> {
    this.#replies.announce();
    return pending;
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
  let initMicros: number | undefined;
  if (init.initializer !== undefined) {
    // Its module's import counts: the initializer is what a worker runs before its first task.
    const started = now();
    try {
      const initializer = await resolveFunction(init.initializer);
      const initargs = await decodeFast(init.initargs);
      await initializer(...(initargs as unknown[]));
      initMicros = Math.round((now() - started) * 1000);
    } catch (error) {
      // Awaited: the process backend disconnects once this returns, which would cut a message still being written.
      await transport.post({ type: 'init-error', v: protocolVersion, error: encodeError(error) }, []);
      return;
    }
  }
  const ready: ReadyMessage = { type: 'ready', v: protocolVersion, pid: transport.pid, threadId: transport.threadId };
  if (initMicros !== undefined) ready.initMicros = initMicros;
  void transport.post(ready, []);
  await new WorkerLoop(init, channel, transport).run();
}
