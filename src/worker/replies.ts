// How a worker answers: each call's result or error into the ring (or the slow lane when it does not fit),
// and when to wake the pool for them (the wake policy: results held back while more work waits here).
import { now } from '../clock.js';
import { encode, type Packet } from '../serialize/index.js';
import { inBand, movableBuffers } from '../serialize/transport.js';
import { Word, type Channel } from '../wire/channel.js';
import { AnswerFlag, FrameKind, protocolVersion, smallResult, SmallResult, type FromWorker } from '../wire/protocol.js';
import { endCurrentTask } from './current-task.js';
import { encodeError } from './error-packet.js';

/**
 * Held results are announced once the work left in the ring would last about this long: time enough for the
 * pool thread to be scheduled and refill the ring before it runs dry, even when every core runs a worker
 * (a woken thread may wait a scheduler slice, milliseconds, for a core).
 */
const refillLeadMicros = 4000;

/** Sends a control message; a Promise while it is still being written (see WorkerTransport.post). */
export type PostMessage = (message: FromWorker, transfer: ArrayBuffer[]) => void | Promise<void>;

export class Replies {
  readonly #channel: Channel;
  readonly #post: PostMessage;
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

  constructor(channel: Channel, post: PostMessage) {
    this.#channel = channel;
    this.#post = post;
  }

  /** A work frame (task, chunk or batch) was taken from the ring now. */
  tookFrame(): void {
    this.#channel.tookWork();
    this.#frameStarted = now();
  }

  /** The result still being written to the slow lane, if any, handed over once: await it before blocking. */
  takeWriting(): Promise<void> | undefined {
    const writing = this.#writing;
    this.#writing = undefined;
    return writing;
  }

  /** Whether a result is still being written to the slow lane. */
  get writing(): boolean {
    return this.#writing !== undefined;
  }

  /** Wakes the pool if results went out without waking it. */
  announce(): void {
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
  runningLow(): boolean {
    const queued = this.#channel.queued;
    if (queued > this.#peakQueued) this.#peakQueued = queued;
    return queued <= Math.min(Math.ceil(refillLeadMicros / this.#frameMicros), Math.floor(this.#peakQueued / 3));
  }

  /** `more`: further calls of the same batch follow (the pool is not woken for this one). */
  succeed(id: number, value: unknown, started: number, more = false): void {
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

  fail(id: number, error: unknown, started: number, more = false): void {
    this.#send(FrameKind.Error, id, false, encodeError(error), this.#ended(started, more), more);
  }

  /** A batched call handed back unrun (its batch's arguments could not be decoded): the pool sends it alone. */
  sendAlone(id: number, more: boolean): void {
    this.#send(FrameKind.Error, id, false, { data: new Uint8Array(0), buffers: [] }, 0, more, AnswerFlag.SendAlone);
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
    const wake = !more && this.runningLow();
    if (!this.#channel.send(FrameKind.OkSmall, small, id, micros, undefined, wake, value)) return false;
    if (!wake) this.#unannounced++;
    this.#finished();
    return true;
  }

  #send(kind: FrameKind, id: number, ok: boolean, packet: Packet, micros: number, more: boolean, flags = 0): void {
    // While another task waits here, the result goes out without waking the pool: a wake costs the pool
    // thread an event-loop turn and this thread a notify (tens of microseconds each, taken from the workers
    // when there are as many workers as cores), and the pool reads every result it finds once woken. Held
    // results are announced before a task the pool did not mark short, once the work left here runs low (so
    // the pool refills it in time), and before awaiting or idling: they wait a few milliseconds of work at most.
    const wake = !more && this.runningLow();
    // A frame that cannot go through the ring (too big, transferred buffers, ring full) takes the slow lane;
    // the main side matches results by id, so the two lanes need no common order.
    if (inBand(packet) && this.#channel.send(kind, flags, id, micros, packet.data, wake)) {
      if (!wake) this.#unannounced++;
    } else {
      this.#writing = this.#post({ type: 'result', v: protocolVersion, id, ok, micros, packet, flags }, [...packet.buffers, ...movableBuffers(packet.data)]) ?? undefined;
    }
    this.#finished();
  }

  /** The call is over: nothing runs until the next is claimed. */
  #finished(): void {
    Atomics.store(this.#channel.words, Word.Running, 0);
    endCurrentTask();
  }
}
