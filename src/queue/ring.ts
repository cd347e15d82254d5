// A byte ring in shared memory carrying length-prefixed messages between any number of writers and readers
// in any threads and processes. A writer holds the write mutex for a whole message and a reader the read
// mutex, so messages larger than the ring stream through it whole. Readers wait for data without holding
// the read mutex, so a reader killed while waiting takes nothing with it.
import { futexWake } from '../native/futex.js';
import { LockOwnerDiedError } from '../sync/errors.js';
import { holderPid, lockWaiting, mutexWords, tryLock, unlock } from '../sync/mutex.js';
import { isAlive } from '../sync/owner.js';
import { left, ownerCheckMs, spinFor, type Waiting } from '../sync/wait.js';

// Words after the two mutexes (write mutex at 0, read mutex at 4).
const enum Word { Head = 8, Tail, ReadersSleeping, WritersSleeping, Count, WriterClosed, ReaderClosed, Capacity }
/** Int32 words of a ring's header; its data follows at the next 64-byte boundary. */
export const ringHeaderBytes = 64;
const readMutex = mutexWords;
const lengthBytes = 4;
/** How long a reader or writer spins for the other side before sleeping. */
const streamSpinUs = 20;

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
  readonly #u8: Uint8Array;
  readonly #at: number;
  readonly #capacity: number;
  readonly #mask: number;
  #peerChecked = performance.now();
  /** Length prefixes, one for the writing side and one for the reading side of this handle. */
  readonly #writeHeader = new Uint8Array(lengthBytes);
  readonly #readHeader = new Uint8Array(lengthBytes);
  readonly #writeLength = new DataView(this.#writeHeader.buffer);
  readonly #readLength = new DataView(this.#readHeader.buffer);

  /** `at`: Int32 index of the header; the data starts `ringHeaderBytes` after it. */
  constructor(buffer: SharedArrayBuffer, at: number) {
    this.#i32 = new Int32Array(buffer);
    this.#at = at;
    this.#capacity = this.#i32[at + Word.Capacity]!;
    this.#mask = this.#capacity - 1;
    this.#u8 = new Uint8Array(buffer, at * 4 + ringHeaderBytes, this.#capacity);
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** Complete messages written and not yet taken (a reader finishing a streamed message may count it first). */
  get count(): number {
    return Math.max(0, Atomics.load(this.#i32, this.#at + Word.Count));
  }

  get writerClosed(): boolean {
    return Atomics.load(this.#i32, this.#at + Word.WriterClosed) === 1;
  }

  get readerClosed(): boolean {
    return Atomics.load(this.#i32, this.#at + Word.ReaderClosed) === 1;
  }

  /** Marks one side closed and wakes everyone sleeping on the ring, so they can notice. */
  closeSide(side: 'writer' | 'reader'): void {
    const i32 = this.#i32;
    Atomics.store(i32, this.#at + (side === 'writer' ? Word.WriterClosed : Word.ReaderClosed), 1);
    futexWake(i32, this.#at + Word.Tail);
    futexWake(i32, this.#at + Word.Head);
  }

  #used(): number {
    return (Atomics.load(this.#i32, this.#at + Word.Tail) - Atomics.load(this.#i32, this.#at + Word.Head)) >>> 0;
  }

  /**
   * Writes a whole message (the concatenation of `parts`) at once when the write lock is free and it fits;
   * false (nothing written) otherwise.
   */
  tryWrite(parts: readonly Uint8Array[]): boolean {
    const i32 = this.#i32;
    const at = this.#at;
    const length = byteLength(parts);
    const total = lengthBytes + length;
    if (total > this.#capacity - this.#used() || !tryLock(i32, at)) return false;
    try {
      if (total > this.#capacity - this.#used()) return false;
      const tail = Atomics.load(i32, at + Word.Tail);
      this.#writeLength.setUint32(0, length, true);
      this.#copyIn(tail & this.#mask, this.#writeHeader);
      let position = tail + lengthBytes;
      for (const part of parts) {
        this.#copyIn(position & this.#mask, part);
        position += part.length;
      }
      Atomics.store(i32, at + Word.Tail, position | 0);
      Atomics.add(i32, at + Word.Count, 1);
    } finally {
      unlock(i32, at);
    }
    if (Atomics.load(i32, at + Word.ReadersSleeping) > 0) futexWake(i32, at + Word.Tail);
    return true;
  }

  /** Takes a whole message at once when the read lock is free and all of it is there; undefined otherwise. */
  tryRead(): Uint8Array | undefined {
    const i32 = this.#i32;
    const at = this.#at;
    if (this.#used() < lengthBytes || !tryLock(i32, at + readMutex)) return undefined;
    let message: Uint8Array;
    try {
      const used = this.#used();
      if (used < lengthBytes) return undefined;
      const head = Atomics.load(i32, at + Word.Head);
      this.#copyOut(head & this.#mask, this.#readHeader);
      const length = this.#readLength.getUint32(0, true);
      if (used < lengthBytes + length) return undefined;
      message = new Uint8Array(length);
      this.#copyOut((head + lengthBytes) & this.#mask, message);
      Atomics.store(i32, at + Word.Head, (head + lengthBytes + length) | 0);
      Atomics.sub(i32, at + Word.Count, 1);
    } finally {
      unlock(i32, at + readMutex);
    }
    if (Atomics.load(i32, at + Word.WritersSleeping) > 0) futexWake(i32, at + Word.Head);
    return message;
  }

  /**
   * Writes one message. Until the first byte is written the deadline applies (false: nothing written);
   * after that the message is finished whatever the time, as readers are reading it.
   */
  *write(parts: readonly Uint8Array[], deadline: number): Waiting<boolean> {
    const i32 = this.#i32;
    const at = this.#at;
    if (!tryLock(i32, at) && !(yield* lockWaiting(i32, at, deadline, 'a queue writer lock'))) return false;
    try {
      const length = byteLength(parts);
      const total = lengthBytes + length;
      // Start once the whole message fits, or (larger than the ring) once the ring is empty.
      const start = Math.min(total, this.#capacity);
      while (this.#capacity - this.#used() < start) {
        const ms = left(deadline);
        if (ms === 0) return false;
        yield* this.#sleepOn(Word.Head, Word.WritersSleeping, ms);
      }
      this.#writeLength.setUint32(0, length, true);
      yield* this.#stream(this.#writeHeader);
      for (const part of parts) yield* this.#stream(part);
      Atomics.add(i32, at + Word.Count, 1);
      return true;
    } finally {
      unlock(i32, at);
    }
  }

  /** Copies `bytes` in as space frees up, publishing the tail after each piece. */
  *#stream(bytes: Uint8Array): Waiting<void> {
    const i32 = this.#i32;
    let done = 0;
    while (done < bytes.length) {
      const free = this.#capacity - this.#used();
      if (free === 0) {
        this.#checkPeer(readMutex, 'reader');
        yield* this.#sleepOn(Word.Head, Word.WritersSleeping, Infinity);
        continue;
      }
      const tail = Atomics.load(i32, this.#at + Word.Tail);
      const n = Math.min(free, bytes.length - done);
      this.#copyIn(tail & this.#mask, bytes.subarray(done, done + n));
      done += n;
      Atomics.store(i32, this.#at + Word.Tail, (tail + n) | 0);
      if (Atomics.load(i32, this.#at + Word.ReadersSleeping) > 0) futexWake(i32, this.#at + Word.Tail);
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

  /** Mid-message, the other side's holder must be alive or the message can never finish. */
  #checkPeer(mutex: number, side: string): void {
    const now = performance.now();
    if (now - this.#peerChecked < ownerCheckMs) return;
    this.#peerChecked = now;
    const pid = holderPid(this.#i32, this.#at + mutex);
    if (pid !== 0 && !isAlive(pid)) throw new LockOwnerDiedError(`the ${side} of the message in transit`, pid);
  }

  /** Sleeps while `word` keeps its value, counted in `sleepers` so the other side knows to wake us. */
  *#sleepOn(word: Word, sleepers: Word, ms: number): Waiting<void> {
    const i32 = this.#i32;
    const index = this.#at + word;
    const value = Atomics.load(i32, index);
    if (spinFor(i32, index, value, streamSpinUs)) return;
    Atomics.add(i32, this.#at + sleepers, 1);
    try {
      // Re-check after announcing ourselves: the other side reads the count after moving the word.
      if (Atomics.load(i32, index) === value) yield { i32, index, value, ms: Math.min(ms, 1000) };
    } finally {
      Atomics.sub(i32, this.#at + sleepers, 1);
    }
  }

  /** Waits until bytes are waiting or the writer side is closed; false at the deadline. Takes nothing. */
  *readable(deadline: number): Waiting<boolean> {
    while (this.#used() === 0) {
      if (this.writerClosed) return true;
      const ms = left(deadline);
      if (ms === 0) return false;
      yield* this.#sleepOn(Word.Tail, Word.ReadersSleeping, ms);
    }
    return true;
  }

  /**
   * Reads one message; undefined when none started before the deadline, or when the writer side is
   * closed and the ring is empty (`writerClosed` tells which).
   */
  *read(deadline: number): Waiting<Uint8Array | undefined> {
    const i32 = this.#i32;
    const at = this.#at;
    for (;;) {
      if (!(yield* this.readable(deadline)) || this.#used() === 0) return undefined;
      if (!tryLock(i32, at + readMutex) && !(yield* lockWaiting(i32, at + readMutex, deadline, 'a queue reader lock'))) return undefined;
      try {
        // Another reader may have taken what we saw.
        if (this.#used() === 0) continue;
        yield* this.#drain(this.#readHeader);
        const message = new Uint8Array(this.#readLength.getUint32(0, true));
        yield* this.#drain(message);
        Atomics.sub(i32, at + Word.Count, 1);
        return message;
      } finally {
        unlock(i32, at + readMutex);
      }
    }
  }

  /** Copies bytes out as they arrive, publishing the head after each piece. */
  *#drain(into: Uint8Array): Waiting<void> {
    const i32 = this.#i32;
    let done = 0;
    while (done < into.length) {
      const used = this.#used();
      if (used === 0) {
        this.#checkPeer(0, 'writer');
        yield* this.#sleepOn(Word.Tail, Word.ReadersSleeping, Infinity);
        continue;
      }
      const head = Atomics.load(i32, this.#at + Word.Head);
      const n = Math.min(used, into.length - done);
      this.#copyOut(head & this.#mask, into.subarray(done, done + n));
      done += n;
      Atomics.store(i32, this.#at + Word.Head, (head + n) | 0);
      if (Atomics.load(i32, this.#at + Word.WritersSleeping) > 0) futexWake(i32, this.#at + Word.Head);
    }
  }

  /** Whether a message (or its start) is waiting. */
  get hasData(): boolean {
    return this.#used() > 0;
  }
}
