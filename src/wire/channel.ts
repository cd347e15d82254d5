// The shared-memory fast lane between the pool and one worker: a header of control words and two
// single-producer single-consumer byte rings, with parking flags so a wake is sent only to a sleeper.
import { now } from '../clock.js';
import { frameHeaderBytes, type FrameKind } from './protocol.js';
import type { WordWaiter } from './word-waiter.js';

/** Int32 words of the header. */
export const Word = {
  ToWorkerSeq: 0,
  ToWorkerWrite: 1,
  ToWorkerRead: 2,
  FromWorkerSeq: 3,
  FromWorkerWrite: 4,
  FromWorkerRead: 5,
  WorkerParked: 6,
  MainParked: 7,
  /** Id of the task the worker runs now, 0 when none. */
  Running: 8,
  /** When it started, ms after the channel's epoch. */
  RunningSince: 9,
  /** Ids of handed-over tasks the worker must skip (aborted before they started); 0 = free. */
  CancelFirst: 10,
  CancelLast: 15,
  /** Id of the running task the pool asks to stop (cooperative cancellation); compared with `Running`. */
  Abort: 16,
  /** Why: an `AbortKind`. Written before `Abort`. */
  AbortKind: 17,
  /** Frames carrying work (tasks, batches, rung tasks) written and not yet taken: how far ahead the worker is fed. */
  Queued: 18,
  /**
   * The hand-over number of the last task the worker started, or -n once the pool took back every task
   * numbered up to n that had not started (see `claim` and `revoke`).
   */
  Claimed: 19,
} as const;

/** Why the pool asks a running task to stop. */
export const AbortKind = { Aborted: 1, TimedOut: 2 } as const;
export type AbortKind = (typeof AbortKind)[keyof typeof AbortKind];

const headerBytes = 128;
/** The payload of every frame that has none (not one allocation each). */
const noPayload = new Uint8Array(0);
const wrapMarker = -1;

/**
 * A frame as read. One header word holds the function's number in a work frame and the run time in an
 * answer: it is read into both `fn` and `micros`, and each kind's reader takes the one its kind has.
 */
export interface Frame {
  kind: FrameKind;
  flags: number;
  id: number;
  /** Task, Batch: the task function's number (its Define frame's id). */
  fn: number;
  /** Ok, OkSmall, Error: the call's run time in microseconds. */
  micros: number;
  seq: number;
  payload: Uint8Array;
}

/** Bytes of a channel whose rings hold `ringBytes` each. */
export function channelBytes(ringBytes: number): number {
  return headerBytes + 2 * ringBytes;
}

class Ring {
  readonly #i32: Int32Array;
  readonly #u8: Uint8Array;
  readonly #seq: number;
  readonly #write: number;
  readonly #read: number;
  readonly #offset: number;
  readonly #capacity: number;

  constructor(buffer: SharedArrayBuffer, words: readonly [number, number, number], offset: number, capacity: number) {
    this.#i32 = new Int32Array(buffer);
    this.#u8 = new Uint8Array(buffer);
    [this.#seq, this.#write, this.#read] = words;
    this.#offset = offset;
    this.#capacity = capacity;
  }

  /** The largest payload that goes through this ring; bigger ones take the slow lane. */
  get maxPayload(): number {
    return (this.#capacity >> 1) - frameHeaderBytes - 8;
  }

  /** Where a frame of `length` payload bytes would start (-1 for after a wrap to 0), or undefined when it does not fit now. */
  #place(length: number): number | undefined {
    const need = 4 + ((frameHeaderBytes + length + 3) & ~3);
    const capacity = this.#capacity;
    if (length > this.maxPayload) return undefined;
    const at = Atomics.load(this.#i32, this.#write);
    const free = capacity - ((at - Atomics.load(this.#i32, this.#read) + capacity) % capacity) - 4;
    if (at + need > capacity) return free < capacity - at + need ? undefined : -1;
    return free < need ? undefined : at;
  }

  /** Whether a frame with `length` payload bytes fits now (only the writer calls this, so it stays true). */
  hasRoom(length: number): boolean {
    return this.#place(length) !== undefined;
  }

  /** Appends a frame; false when it does not fit now. */
  tryWrite(kind: FrameKind, flags: number, id: number, fnOrMicros: number, seq: number, payload: Uint8Array | undefined): boolean {
    const length = payload?.length ?? 0;
    const need = 4 + ((frameHeaderBytes + length + 3) & ~3);
    const capacity = this.#capacity;
    let at = this.#place(length);
    if (at === undefined) return false;
    if (at === -1) {
      this.#i32[(this.#offset + Atomics.load(this.#i32, this.#write)) >> 2] = wrapMarker;
      at = 0;
    }
    const base = this.#offset + at;
    const i32 = this.#i32;
    i32[base >> 2] = length;
    this.#u8[base + 4] = kind;
    this.#u8[base + 5] = flags;
    i32[(base >> 2) + 2] = id;
    i32[(base >> 2) + 3] = fnOrMicros;
    i32[(base >> 2) + 4] = seq;
    if (payload !== undefined && length > 0) this.#u8.set(payload, base + 4 + frameHeaderBytes);
    const next = at + need;
    Atomics.store(i32, this.#write, next === capacity ? 0 : next);
    Atomics.add(i32, this.#seq, 1);
    return true;
  }

  read(): Frame | undefined {
    const i32 = this.#i32;
    let at = Atomics.load(i32, this.#read);
    const end = Atomics.load(i32, this.#write);
    if (at === end) return undefined;
    let base = this.#offset + at;
    let length = i32[base >> 2]!;
    if (length === wrapMarker) {
      at = 0;
      base = this.#offset;
      length = i32[base >> 2]!;
    }
    const start = base + 4 + frameHeaderBytes;
    const fnOrMicros = i32[(base >> 2) + 3]!;
    const frame: Frame = {
      kind: this.#u8[base + 4] as FrameKind,
      flags: this.#u8[base + 5]!,
      id: i32[(base >> 2) + 2]!,
      fn: fnOrMicros,
      micros: fnOrMicros,
      seq: i32[(base >> 2) + 4]!,
      payload: length === 0 ? noPayload : this.#u8.slice(start, start + length),
    };
    const next = at + 4 + ((frameHeaderBytes + length + 3) & ~3);
    Atomics.store(i32, this.#read, next === this.#capacity ? 0 : next);
    return frame;
  }

  get seq(): number {
    return Atomics.load(this.#i32, this.#seq);
  }

  get empty(): boolean {
    return Atomics.load(this.#i32, this.#read) === Atomics.load(this.#i32, this.#write);
  }
}

/** One side's view of a channel. The main side writes tasks and reads results; the worker the reverse. */
export class Channel {
  readonly buffer: SharedArrayBuffer;
  readonly words: Int32Array;
  readonly #out: Ring;
  readonly #in: Ring;
  readonly #inSeq: number;
  readonly #parked: number;
  readonly #peerParked: number;
  readonly #outSeq: number;
  readonly #ops: WordWaiter;

  constructor(buffer: SharedArrayBuffer, side: 'main' | 'worker', ops: WordWaiter) {
    this.buffer = buffer;
    this.words = new Int32Array(buffer, 0, headerBytes >> 2);
    this.#ops = ops;
    const ringBytes = ((buffer.byteLength - headerBytes) >> 1) & ~3;
    const toWorker = new Ring(buffer, [Word.ToWorkerSeq, Word.ToWorkerWrite, Word.ToWorkerRead], headerBytes, ringBytes);
    const fromWorker = new Ring(buffer, [Word.FromWorkerSeq, Word.FromWorkerWrite, Word.FromWorkerRead], headerBytes + ringBytes, ringBytes);
    const main = side === 'main';
    this.#out = main ? toWorker : fromWorker;
    this.#in = main ? fromWorker : toWorker;
    this.#inSeq = main ? Word.FromWorkerSeq : Word.ToWorkerSeq;
    this.#outSeq = main ? Word.ToWorkerSeq : Word.FromWorkerSeq;
    this.#parked = main ? Word.MainParked : Word.WorkerParked;
    this.#peerParked = main ? Word.WorkerParked : Word.MainParked;
  }

  get maxPayload(): number {
    return this.#out.maxPayload;
  }

  /**
   * Writes a frame and wakes the peer if it sleeps (unless `wake` is false: the caller then wakes it
   * later with `wakePeer`); false when the ring is full or the payload too big.
   */
  send(kind: FrameKind, flags: number, id: number, micros: number, payload?: Uint8Array, wake = true, seq = 0): boolean {
    return this.#write(kind, flags, id, micros, payload, wake, seq);
  }

  #write(kind: FrameKind, flags: number, id: number, fnOrMicros: number, payload: Uint8Array | undefined, wake: boolean, seq: number): boolean {
    if (!this.#out.tryWrite(kind, flags, id, fnOrMicros, seq, payload)) return false;
    if (wake && this.wakePeer()) this.wokePeerAt = now();
    return true;
  }

  /**
   * Main side: `send` for a frame carrying work (a task, a batch, a doorbell for a task), counted in `Queued`
   * before it is written, so the worker never takes a frame it has not seen counted.
   */
  sendWork(kind: FrameKind, flags: number, id: number, fn: number, seq: number, payload?: Uint8Array): boolean {
    Atomics.add(this.words, Word.Queued, 1);
    if (this.#write(kind, flags, id, fn, payload, true, seq)) return true;
    Atomics.sub(this.words, Word.Queued, 1);
    return false;
  }

  /** Worker side: a frame carrying work was taken. */
  tookWork(): void {
    Atomics.sub(this.words, Word.Queued, 1);
  }

  /** Frames carrying work waiting in the ring. */
  get queued(): number {
    return Atomics.load(this.words, Word.Queued);
  }

  /** Whether a frame with `length` payload bytes can be sent now. */
  hasRoom(length: number): boolean {
    return this.#out.hasRoom(length);
  }

  /** When a send last had to wake a sleeping peer (its answer then takes a wake-up longer). */
  wokePeerAt = -Infinity;

  /**
   * One wake per sleep of the peer, however many frames were written meanwhile. True if it woke it.
   * The sequence word is bumped again before the notify: a wake for a frame the peer saw before it set its
   * flag may land between its flag store and its wait, consuming the flag with nobody waiting yet; the bump
   * makes that wait return at once (the value moved) instead of sleeping through the frames written next.
   */
  wakePeer(): boolean {
    if (Atomics.load(this.words, this.#peerParked) === 1 && Atomics.compareExchange(this.words, this.#peerParked, 1, 0) === 1) {
      Atomics.add(this.words, this.#outSeq, 1);
      this.#ops.wake(this.words, this.#outSeq);
      return true;
    }
    return false;
  }

  /**
   * Worker side: claims the task handed over as number `seq`, before starting it; false when the pool has
   * taken it back. Numbers rise in the order the worker takes tasks, so one word says which started.
   */
  claim(seq: number): boolean {
    for (;;) {
      const value = Atomics.load(this.words, Word.Claimed);
      if (value < 0 && seq <= -value) return false;
      if (Atomics.compareExchange(this.words, Word.Claimed, value, seq) === value) return true;
    }
  }

  /**
   * Main side: takes back every task numbered up to `last` that the worker has not claimed. Returns the claim
   * word as it was (n >= 0: tasks above n never start; -n: tasks up to n were taken back before), or undefined
   * when the worker already claimed `last`. One compare-and-swap against the worker's: a task is either
   * claimed or taken back, never both.
   */
  revoke(last: number): number | undefined {
    for (;;) {
      const value = Atomics.load(this.words, Word.Claimed);
      if (last <= Math.abs(value)) return undefined;
      if (Atomics.compareExchange(this.words, Word.Claimed, value, -last) === value) return value;
    }
  }

  /** The claim word as it stands (see `Word.Claimed`). */
  get claimed(): number {
    return Atomics.load(this.words, Word.Claimed);
  }

  /** Main side: asks the worker to skip a task it holds; false when every cancel slot is taken. */
  cancel(id: number): boolean {
    for (let word: number = Word.CancelFirst; word <= Word.CancelLast; word++) {
      if (Atomics.compareExchange(this.words, word, 0, id) === 0) return true;
    }
    return false;
  }

  /** Main side: withdraws a cancellation the worker has not consumed (the task started meanwhile). */
  uncancel(id: number): void {
    for (let word: number = Word.CancelFirst; word <= Word.CancelLast; word++) Atomics.compareExchange(this.words, word, id, 0);
  }

  /**
   * Main side: asks the worker to stop the task it runs. The task sees it by reading the word (a synchronous
   * loop) or through its AbortSignal, whose watcher this wakes.
   */
  requestAbort(id: number, kind: AbortKind): void {
    Atomics.store(this.words, Word.AbortKind, kind);
    Atomics.store(this.words, Word.Abort, id);
    this.#ops.wake(this.words, Word.Abort);
  }

  /** Worker side: sleeps without blocking until the abort word may have changed from `value`, or `signal` aborts. */
  waitAbort(value: number, signal: AbortSignal): Promise<unknown> {
    return this.#ops.waitAsync(this.words, Word.Abort, value, signal);
  }

  /** Worker side: whether the task was cancelled (consuming the cancellation). */
  takeCancelled(id: number): boolean {
    for (let word: number = Word.CancelFirst; word <= Word.CancelLast; word++) {
      if (Atomics.load(this.words, word) === id) {
        Atomics.store(this.words, word, 0);
        return true;
      }
    }
    return false;
  }

  receive(): Frame | undefined {
    return this.#in.read();
  }

  get hasInput(): boolean {
    return !this.#in.empty;
  }

  /** Busy-waits up to `micros` for input. */
  spin(micros: number): boolean {
    if (!this.#in.empty) return true;
    const until = now() + micros / 1000;
    while (now() < until) {
      if (!this.#in.empty) return true;
    }
    return false;
  }

  /** Sleeps (blocking) up to `ms` for input; true when there is some. */
  park(ms: number): boolean {
    const seq = this.#in.seq;
    if (!this.#in.empty) return true;
    Atomics.store(this.words, this.#parked, 1);
    if (this.#in.seq === seq) this.#ops.wait(this.words, this.#inSeq, seq, ms);
    Atomics.store(this.words, this.#parked, 0);
    return !this.#in.empty;
  }

  /** Sleeps without blocking the event loop until input arrives or `signal` aborts. */
  async parkAsync(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const seq = this.#in.seq;
      if (!this.#in.empty) return;
      Atomics.store(this.words, this.#parked, 1);
      if (this.#in.seq === seq) await this.#ops.waitAsync(this.words, this.#inSeq, seq, signal);
      // After an abort a newer wait may own the flag already: leaving it set costs at most one spare wake.
      if (!signal.aborted) Atomics.store(this.words, this.#parked, 0);
    }
  }
}
