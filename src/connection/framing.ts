// The message framing of Python's multiprocessing.connection: a 4-byte big-endian signed length before
// each payload, or -1 and then an 8-byte big-endian unsigned length for payloads past 2^31 - 1 bytes.
import { MessageTooLargeError } from './errors.js';

/** The longest payload the 4-byte header can announce; longer ones take the 12-byte form (Python 3.8+). */
export const shortFormMax = 0x7fffffff;

/** Python writes header and payload in one write up to this size, so Nagle's algorithm cannot hold a frame back. */
export const oneWriteMax = 16384;

/** The header Python writes before a payload of `size` bytes: 4 bytes, or 12 past {@link shortFormMax}. */
export function encodeHeader(size: number): Uint8Array {
  if (size > shortFormMax) return encodeLongHeader(size);
  const header = new Uint8Array(4);
  new DataView(header.buffer).setInt32(0, size);
  return header;
}

/**
 * The 12-byte form (`ff ff ff ff` and the length as an unsigned 64-bit integer). Python writes it only past
 * 2^31 - 1 bytes but reads it for any length.
 */
export function encodeLongHeader(size: number): Uint8Array {
  const header = new Uint8Array(12);
  const view = new DataView(header.buffer);
  view.setInt32(0, -1);
  view.setBigUint64(4, BigInt(size));
  return header;
}

/** One header and payload as a single buffer (for payloads up to {@link oneWriteMax}). */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  const header = encodeHeader(payload.length);
  const frame = new Uint8Array(header.length + payload.length);
  frame.set(header);
  frame.set(payload, header.length);
  return frame;
}

/**
 * Cuts a byte stream into messages. A header announcing more than `limit` bytes throws
 * {@link MessageTooLargeError} before anything is allocated for it, and the reader takes no more input.
 * A payload that arrives in one chunk is returned as a view of that chunk, not copied.
 */
export class FrameReader {
  readonly #limit: number;
  /** Messages still to come under `#smallLimit` (the handshake's), before `#limit` applies. */
  #smallLeft = 0;
  #smallLimit = 0;
  readonly #header = new Uint8Array(12);
  readonly #headerView = new DataView(this.#header.buffer);
  #headerHave = 0;
  #headerNeed = 4;
  /** The payload being filled, and the announced size of the frame in progress (-1 while reading a header). */
  #body: Uint8Array | undefined;
  #bodyHave = 0;
  #size = -1;
  #frames: Uint8Array[] = [];
  #head = 0;
  #bufferedBytes = 0;
  #broken = false;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Complete messages waiting to be taken. */
  get count(): number {
    return this.#frames.length - this.#head;
  }

  /** Bytes of complete messages waiting to be taken. */
  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  /** The length of the next message, once its header is in (it may not be complete yet). */
  nextSize(): number | undefined {
    const frame = this.#frames[this.#head];
    if (frame !== undefined) return frame.length;
    return this.#size >= 0 ? this.#size : undefined;
  }

  /** True between a header and the end of its payload, or inside a header. */
  get midFrame(): boolean {
    return this.#size >= 0 || this.#headerHave > 0;
  }

  take(): Uint8Array | undefined {
    const frame = this.#frames[this.#head];
    if (frame === undefined) return undefined;
    this.#frames[this.#head++] = empty;
    this.#bufferedBytes -= frame.length;
    if (this.#head === this.#frames.length) {
      this.#frames = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#frames.length) {
      this.#frames = this.#frames.slice(this.#head);
      this.#head = 0;
    }
    return frame;
  }

  /**
   * Holds the next `count` messages to `limit` bytes, from their headers: a handshake's three incoming
   * messages, so that a peer not yet authenticated gets nothing larger allocated. Later ones, even in the
   * same chunk, have the usual limit.
   */
  limitNext(count: number, limit: number): void {
    this.#smallLeft = count;
    this.#smallLimit = limit;
  }

  /** Drops every message and takes no more input (the stream is no longer in step). */
  discard(): void {
    this.#broken = true;
    this.#frames = [];
    this.#head = 0;
    this.#bufferedBytes = 0;
    this.#body = undefined;
  }

  push(chunk: Uint8Array): void {
    if (this.#broken) return;
    const end = chunk.length;
    let at = 0;
    while (at < end) {
      const body = this.#body;
      if (body !== undefined) {
        const n = Math.min(this.#size - this.#bodyHave, end - at);
        body.set(chunk.subarray(at, at + n), this.#bodyHave);
        at += n;
        this.#bodyHave += n;
        if (this.#bodyHave === this.#size) this.#complete(body);
        continue;
      }
      if (this.#headerHave === 0 && end - at >= 4) {
        // The usual case: a whole short header in this chunk.
        const size = (chunk[at]! << 24) | (chunk[at + 1]! << 16) | (chunk[at + 2]! << 8) | chunk[at + 3]!;
        if (size !== -1) {
          at += 4;
          at = this.#start(size < 0 ? 0 : size, chunk, at);
          continue;
        }
      }
      const n = Math.min(this.#headerNeed - this.#headerHave, end - at);
      this.#header.set(chunk.subarray(at, at + n), this.#headerHave);
      at += n;
      this.#headerHave += n;
      if (this.#headerHave < this.#headerNeed) break;
      const short = this.#headerView.getInt32(0);
      if (this.#headerNeed === 4 && short === -1) {
        this.#headerNeed = 12;
        continue;
      }
      const size = this.#headerNeed === 12 ? this.#headerView.getUint32(4) * 2 ** 32 + this.#headerView.getUint32(8) : Math.max(0, short);
      this.#headerHave = 0;
      this.#headerNeed = 4;
      at = this.#start(size, chunk, at);
    }
  }

  /** Begins a frame of `size` bytes whose payload starts at `chunk[at]`; returns where reading goes on. */
  #start(size: number, chunk: Uint8Array, at: number): number {
    const limit = this.#smallLeft > 0 ? this.#smallLimit : this.#limit;
    if (size > limit) {
      this.#broken = true;
      this.#size = size;
      throw new MessageTooLargeError(size, limit);
    }
    if (chunk.length - at >= size) {
      this.#complete(new Uint8Array(chunk.buffer, chunk.byteOffset + at, size));
      return at + size;
    }
    this.#size = size;
    this.#body = new Uint8Array(size);
    this.#bodyHave = 0;
    return at;
  }

  #complete(frame: Uint8Array): void {
    if (this.#smallLeft > 0) this.#smallLeft--;
    this.#frames.push(frame);
    this.#bufferedBytes += frame.length;
    this.#body = undefined;
    this.#size = -1;
  }
}

const empty = new Uint8Array(0);
