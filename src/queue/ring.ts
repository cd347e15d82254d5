// A byte ring in shared memory carrying length-prefixed messages between any number of writers and readers
// in any threads and processes. A message is published by one 64-bit store of (tail, messages written) and
// taken by one store of (head, messages read), each made only once the whole message is copied, so a
// writer or reader killed at any point leaves the ring as it was before, or after, its whole operation.
// Messages larger than half the ring travel in a spill segment of their own, named in a small descriptor.
import { futexWake } from '../native/futex.js';
import { left, spinFor, type WaitSteps } from '../sync/wait.js';
import { lockWordWaiting, tryLockWord, unlockWord, wakeLockWaiters, type Locked } from './ring-lock.js';
import { readSpill, removeSpill, writeSpill, type SpillPlace } from './spill.js';

// The header's fields, by Int32 index from the ring's start: 15 words (60 bytes) of the `ringHeaderBytes`
// the header takes. `Capacity` holds the data's size in bytes; Tail/Written and Head/Read are each one
// 8-byte-aligned 64-bit pair.
const enum Word {
  WriteLock, ReadLock, Tail, Written, Head, Read, ReadersSleeping, WritersSleeping,
  WriterClosed, ReaderClosed, Capacity, WriteSpill, WriteSpillSeq, ReadSpill, ReadSpillSeq,
}
/** Bytes of a ring's header; its data follows. */
export const ringHeaderBytes = 128;
const lengthBytes = 4;
/** Set in a length prefix: the body is a spill descriptor (sequence number, byte length). */
const spillBit = 0x80000000;
const descriptorBytes = 8;
/** How long a reader or writer spins for the other side before sleeping. */
const streamSpinUs = 20;
/** `WriterClosed` of a queue shut down with `immediate`: gets stop at once. */
const closedNow = 2;

export type WriteResult = 'written' | 'timeout' | 'closed';

function byteLength(parts: readonly Uint8Array[]): number {
  let length = 0;
  for (const part of parts) length += part.length;
  return length;
}

export function initRing(i32: Int32Array, at: number, capacity: number): void {
  i32[at + Word.Capacity] = capacity;
}

/** Rounds a requested size up to a power of two of at least 4 KiB (positions wrap with a mask). */
export function ringCapacity(bytes: number): number {
  let capacity = 4096;
  while (capacity < bytes) capacity *= 2;
  return capacity;
}

export class Ring {
  readonly #i32: Int32Array;
  readonly #i64: BigInt64Array;
  readonly #u8: Uint8Array;
  readonly #at: number;
  readonly #capacity: number;
  readonly #mask: number;
  readonly #spill: SpillPlace;
  readonly #header = new Uint8Array(lengthBytes + descriptorBytes);
  readonly #view = new DataView(this.#header.buffer);
  /**
   * @internal For fault tests: called under the read lock with a message's index and bytes just before
   * the head store takes it, so a test can tell a taken item from one still queued after a kill.
   */
  onTake: ((index: number, message: Uint8Array) => void) | undefined;

  /** `at`: Int32 index of the header (8-byte aligned); the data starts `ringHeaderBytes` after it. */
  constructor(buffer: SharedArrayBuffer, at: number, spill: SpillPlace) {
    this.#i32 = new Int32Array(buffer);
    this.#i64 = new BigInt64Array(buffer, 0, Math.floor(buffer.byteLength / 8));
    this.#at = at;
    this.#capacity = this.#i32[at + Word.Capacity]!;
    this.#mask = this.#capacity - 1;
    this.#u8 = new Uint8Array(buffer, at * 4 + ringHeaderBytes, this.#capacity);
    this.#spill = spill;
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** Messages written and not yet taken. */
  get count(): number {
    const read = Atomics.load(this.#i32, this.#at + Word.Read);
    return (Atomics.load(this.#i32, this.#at + Word.Written) - read) >>> 0;
  }

  /** Messages ever taken (wrapping at 2^32); the next message taken has this index. */
  get taken(): number {
    return Atomics.load(this.#i32, this.#at + Word.Read);
  }

  /** Messages ever published (wrapping at 2^32). */
  get written(): number {
    return Atomics.load(this.#i32, this.#at + Word.Written);
  }

  get writerClosed(): boolean {
    return Atomics.load(this.#i32, this.#at + Word.WriterClosed) !== 0;
  }

  /** Shut down with `immediate`: readers stop at once, whatever is left. */
  get closedNow(): boolean {
    return Atomics.load(this.#i32, this.#at + Word.WriterClosed) === closedNow;
  }

  get readerClosed(): boolean {
    return Atomics.load(this.#i32, this.#at + Word.ReaderClosed) === 1;
  }

  /** Marks one side closed (`now`: readers stop at once) and wakes everyone sleeping on the ring. */
  closeSide(side: 'writer' | 'reader', now = false): void {
    const i32 = this.#i32;
    const at = this.#at;
    if (side === 'writer') {
      const value = now ? closedNow : 1;
      for (let old = Atomics.load(i32, at + Word.WriterClosed); old < value; old = Atomics.load(i32, at + Word.WriterClosed)) {
        if (Atomics.compareExchange(i32, at + Word.WriterClosed, old, value) === old) break;
      }
    } else {
      Atomics.store(i32, at + Word.ReaderClosed, 1);
    }
    futexWake(i32, at + Word.Tail);
    futexWake(i32, at + Word.Head);
    wakeLockWaiters(i32, at + Word.WriteLock);
    wakeLockWaiters(i32, at + Word.ReadLock);
  }

  /** Publishes or takes: one atomic store of a position and its message count. */
  #store(word: Word.Tail | Word.Head, position: number, count: number): void {
    Atomics.store(this.#i64, (this.#at + word) / 2, (BigInt(count >>> 0) << 32n) | BigInt(position >>> 0));
  }

  #used(): number {
    return (Atomics.load(this.#i32, this.#at + Word.Tail) - Atomics.load(this.#i32, this.#at + Word.Head)) >>> 0;
  }

  /** Whether `total` more bytes and one more message fit now (the caller holds the write lock). */
  #fits(total: number, maxCount: number): boolean {
    const i32 = this.#i32;
    const at = this.#at;
    // Read count before head: a reader's store moves both, so this errs towards "full".
    const read = Atomics.load(i32, at + Word.Read);
    const head = Atomics.load(i32, at + Word.Head);
    if (maxCount > 0 && ((Atomics.load(i32, at + Word.Written) - read) >>> 0) >= maxCount) return false;
    return this.#capacity - ((Atomics.load(i32, at + Word.Tail) - head) >>> 0) >= total;
  }

  #inline(length: number): boolean {
    return lengthBytes + length <= this.#capacity / 2;
  }

  /**
   * Writes a whole message at once when the write lock is free and it fits (and the queue holds fewer
   * than `maxCount` messages, 0: no limit); false (nothing written) otherwise.
   */
  tryWrite(parts: readonly Uint8Array[], maxCount = 0): boolean {
    const i32 = this.#i32;
    const at = this.#at;
    const length = byteLength(parts);
    if (!this.#inline(length) || this.writerClosed || !tryLockWord(i32, at + Word.WriteLock)) return false;
    try {
      if (this.writerClosed || !this.#fits(lengthBytes + length, maxCount)) return false;
      this.#publish(parts, length);
    } finally {
      unlockWord(i32, at + Word.WriteLock);
    }
    return true;
  }

  /** Copies a message in after the tail and publishes it (under the write lock). */
  #publish(parts: readonly Uint8Array[], length: number, spill?: { seq: number; length: number }): void {
    const i32 = this.#i32;
    const at = this.#at;
    const tail = Atomics.load(i32, at + Word.Tail);
    const written = Atomics.load(i32, at + Word.Written);
    if (spill === undefined) {
      this.#view.setUint32(0, length, true);
      this.#copyIn(tail & this.#mask, this.#header.subarray(0, lengthBytes));
      let position = tail + lengthBytes;
      for (const part of parts) {
        this.#copyIn(position & this.#mask, part);
        position += part.length;
      }
      this.#store(Word.Tail, position, written + 1);
    } else {
      this.#view.setUint32(0, (spillBit | descriptorBytes) >>> 0, true);
      this.#view.setUint32(4, spill.seq >>> 0, true);
      this.#view.setUint32(8, spill.length, true);
      this.#copyIn(tail & this.#mask, this.#header);
      this.#store(Word.Tail, tail + this.#header.length, written + 1);
    }
    if (Atomics.load(i32, at + Word.ReadersSleeping) > 0) futexWake(i32, at + Word.Tail);
  }

  *#lock(word: Word.WriteLock | Word.ReadLock, deadline: number, stopped: () => boolean): WaitSteps<Locked> {
    const i32 = this.#i32;
    const index = this.#at + word;
    if (tryLockWord(i32, index)) return 'locked';
    const locked = yield* lockWordWaiting(i32, index, deadline, stopped);
    if (locked === 'recovered') {
      try {
        if (word === Word.WriteLock) this.#repairWriter();
        else this.#repairReader();
      } catch (error) {
        unlockWord(i32, index);
        throw error;
      }
    }
    return locked;
  }

  /** A dead writer published all or nothing; only a spill it made and did not publish is left to remove. */
  #repairWriter(): void {
    const i32 = this.#i32;
    const at = this.#at;
    if (Atomics.load(i32, at + Word.WriteSpill) === 0) return;
    const seq = Atomics.load(i32, at + Word.WriteSpillSeq);
    if (Atomics.load(i32, at + Word.Written) === seq) removeSpill(this.#spill, seq);
    Atomics.store(i32, at + Word.WriteSpill, 0);
  }

  /** A dead reader took all or nothing; a spill it took but had not removed yet is removed here. */
  #repairReader(): void {
    const i32 = this.#i32;
    const at = this.#at;
    if (Atomics.load(i32, at + Word.ReadSpill) === 0) return;
    const seq = Atomics.load(i32, at + Word.ReadSpillSeq);
    if (Atomics.load(i32, at + Word.Read) !== seq) removeSpill(this.#spill, seq);
    Atomics.store(i32, at + Word.ReadSpill, 0);
  }

  /**
   * Writes one message, waiting until it fits (and the queue holds fewer than `maxCount`) or the deadline;
   * `closed` when the ring's writer or reader side is closed.
   */
  *write(parts: readonly Uint8Array[], deadline: number, maxCount = 0): WaitSteps<WriteResult> {
    const i32 = this.#i32;
    const at = this.#at;
    const closed = (): boolean => this.writerClosed || this.readerClosed;
    const locked = yield* this.#lock(Word.WriteLock, deadline, closed);
    if (locked === 'timeout') return 'timeout';
    if (locked === 'stopped') return 'closed';
    try {
      const length = byteLength(parts);
      const inline = this.#inline(length);
      const total = lengthBytes + (inline ? length : descriptorBytes);
      for (;;) {
        if (closed()) return 'closed';
        const head = Atomics.load(i32, at + Word.Head);
        if (this.#fits(total, maxCount)) break;
        const ms = left(deadline);
        if (ms === 0) return 'timeout';
        yield* this.#sleepOn(Word.Head, head, Word.WritersSleeping, ms);
      }
      if (inline) {
        this.#publish(parts, length);
      } else {
        const seq = Atomics.load(i32, at + Word.Written);
        Atomics.store(i32, at + Word.WriteSpillSeq, seq);
        Atomics.store(i32, at + Word.WriteSpill, 1);
        try {
          writeSpill(this.#spill, seq, parts, length);
        } catch (error) {
          Atomics.store(i32, at + Word.WriteSpill, 0);
          throw error;
        }
        this.#publish(parts, length, { seq, length });
        Atomics.store(i32, at + Word.WriteSpill, 0);
      }
      return 'written';
    } finally {
      unlockWord(i32, at + Word.WriteLock);
    }
  }

  #copyIn(position: number, bytes: Uint8Array): void {
    const first = this.#capacity - position;
    if (bytes.length <= first) {
      this.#u8.set(bytes, position);
      return;
    }
    this.#u8.set(bytes.subarray(0, first), position);
    this.#u8.set(bytes.subarray(first), 0);
  }

  #copyOut(position: number, into: Uint8Array): void {
    const first = Math.min(into.length, this.#capacity - position);
    into.set(this.#u8.subarray(position, position + first));
    if (first < into.length) into.set(this.#u8.subarray(0, into.length - first), first);
  }

  /** Sleeps while `word` still holds `value`, counted in `sleepers` so the other side knows to wake us. */
  *#sleepOn(word: Word, value: number, sleepers: Word, ms: number): WaitSteps<void> {
    const i32 = this.#i32;
    const index = this.#at + word;
    if (spinFor(i32, index, value, streamSpinUs)) return;
    Atomics.add(i32, this.#at + sleepers, 1);
    try {
      // Re-check after announcing ourselves: the other side reads the count after moving the word.
      if (Atomics.load(i32, index) === value) yield { i32, index, value, ms: Math.min(ms, 1000) };
    } finally {
      Atomics.sub(i32, this.#at + sleepers, 1);
    }
  }

  /** Waits until a message is waiting or the writer side is closed; false at the deadline. Takes nothing. */
  *readable(deadline: number): WaitSteps<boolean> {
    for (;;) {
      const tail = Atomics.load(this.#i32, this.#at + Word.Tail);
      if (tail !== Atomics.load(this.#i32, this.#at + Word.Head) || this.writerClosed) return true;
      const ms = left(deadline);
      if (ms === 0) return false;
      yield* this.#sleepOn(Word.Tail, tail, Word.ReadersSleeping, ms);
    }
  }

  /**
   * Takes the oldest message under the read lock; undefined when there is none. A spilled message is
   * copied out before the head moves, and its segment removed after.
   */
  #take(): Uint8Array | undefined {
    const i32 = this.#i32;
    const at = this.#at;
    const prefix = this.#header.subarray(0, lengthBytes);
    for (;;) {
      const head = Atomics.load(i32, at + Word.Head);
      const read = Atomics.load(i32, at + Word.Read);
      if (Atomics.load(i32, at + Word.Tail) === head) return undefined;
      this.#copyOut(head & this.#mask, prefix);
      const word = this.#view.getUint32(0, true);
      if ((word & spillBit) === 0) {
        const message = new Uint8Array(word);
        this.#copyOut((head + lengthBytes) & this.#mask, message);
        this.onTake?.(read, message);
        this.#store(Word.Head, head + lengthBytes + word, read + 1);
        return message;
      }
      this.#copyOut(head & this.#mask, this.#header);
      const seq = this.#view.getUint32(4, true);
      const length = this.#view.getUint32(8, true);
      Atomics.store(i32, at + Word.ReadSpillSeq, seq);
      Atomics.store(i32, at + Word.ReadSpill, 1);
      let message: Uint8Array | undefined;
      try {
        message = readSpill(this.#spill, seq, length);
      } catch (error) {
        Atomics.store(i32, at + Word.ReadSpill, 0);
        throw error;
      }
      if (message !== undefined) this.onTake?.(read, message);
      this.#store(Word.Head, head + this.#header.length, read + 1);
      removeSpill(this.#spill, seq);
      Atomics.store(i32, at + Word.ReadSpill, 0);
      // A spill removed behind the queue's back (`multiproc shm gc`) cannot be delivered: skip it.
      if (message !== undefined) return message;
    }
  }

  #taken(): void {
    if (Atomics.load(this.#i32, this.#at + Word.WritersSleeping) > 0) futexWake(this.#i32, this.#at + Word.Head);
  }

  /** Takes a whole message at once when the read lock is free and one is there; undefined otherwise. */
  tryRead(): Uint8Array | undefined {
    const i32 = this.#i32;
    const at = this.#at;
    if (this.#used() === 0 || this.closedNow || !tryLockWord(i32, at + Word.ReadLock)) return undefined;
    let message: Uint8Array | undefined;
    try {
      message = this.#take();
    } finally {
      unlockWord(i32, at + Word.ReadLock);
    }
    if (message !== undefined) this.#taken();
    return message;
  }

  /**
   * Reads one message; undefined when none came before the deadline, or when the writer side is closed
   * and the ring is empty, or closed `now` (`writerClosed` tells which).
   */
  *read(deadline: number): WaitSteps<Uint8Array | undefined> {
    const i32 = this.#i32;
    const at = this.#at;
    for (;;) {
      if (!(yield* this.readable(deadline)) || this.closedNow) return undefined;
      if (this.#used() === 0) {
        if (this.writerClosed) return undefined;
        continue;
      }
      const locked = yield* this.#lock(Word.ReadLock, deadline, () => this.closedNow);
      if (locked === 'timeout' || locked === 'stopped') return undefined;
      let message: Uint8Array | undefined;
      try {
        message = this.#take();
      } finally {
        unlockWord(i32, at + Word.ReadLock);
      }
      if (message !== undefined) {
        this.#taken();
        return message;
      }
    }
  }

  /** Drops every message waiting (removing their spills); returns how many. */
  *discard(): WaitSteps<number> {
    const i32 = this.#i32;
    const at = this.#at;
    yield* this.#lock(Word.ReadLock, Infinity, () => false);
    let n = 0;
    try {
      let head = Atomics.load(i32, at + Word.Head);
      const read = Atomics.load(i32, at + Word.Read);
      const tail = Atomics.load(i32, at + Word.Tail);
      const prefix = this.#header.subarray(0, lengthBytes);
      const spills: number[] = [];
      while (head !== tail) {
        this.#copyOut(head & this.#mask, prefix);
        const word = this.#view.getUint32(0, true);
        if ((word & spillBit) !== 0) {
          this.#copyOut(head & this.#mask, this.#header);
          spills.push(this.#view.getUint32(4, true));
        }
        head = (head + lengthBytes + (word & ~spillBit)) | 0;
        n++;
      }
      this.#store(Word.Head, head, read + n);
      for (const seq of spills) removeSpill(this.#spill, seq);
    } finally {
      unlockWord(i32, at + Word.ReadLock);
    }
    this.#taken();
    return n;
  }

  /** Whether a message is waiting. */
  get hasData(): boolean {
    return this.#used() > 0;
  }
}
