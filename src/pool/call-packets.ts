// A call's arguments as they travel, encoded in one place (the initializer's too): a call made with a handle, a transfer, a signal
// or a time limit is encoded when it is made (pool.ts, so a handle is referenced as it was then and a value
// that cannot be sent fails that call at once); a plain call when it is dispatched (dispatcher.ts), alone
// or in one batch frame with other short calls of its function; a map's chunk as it is submitted.
import { encode, type Packet } from '../serialize/index.js';
import { batchPayload } from '../wire/batch-frame.js';
import type { Task } from './task.js';

/** The packet of one call's arguments. */
export function encodeCall(args: readonly unknown[], transfer?: readonly ArrayBuffer[]): Packet {
  return encode(args, transfer === undefined ? {} : { transfer });
}

/** The packet of a chunk of a map-like call: its items, one call each. */
export function encodeChunk(items: readonly unknown[]): Packet {
  return encode(items);
}

/** The packet of a batch frame: the calls' ids, then each call's arguments (see wire/batch-frame.ts). */
export function encodeBatch(batch: readonly Task[]): Packet {
  return batchPayload(Int32Array.from(batch, (task) => task.id), encode(batch.map((task) => task.args)));
}

/** A frame's bytes per call beyond its arguments (an id, the list's entry). */
const perCallOverhead = 16;

/**
 * How many bytes one call of each function takes in a batch frame, as last measured, so a batch is sized
 * to fit a frame without encoding any call twice. A function's first batch learns it from its first call.
 */
export class CallSizes {
  readonly #bytes = new Map<number, number>();

  get(fn: number): number | undefined {
    return this.#bytes.get(fn);
  }

  observe(fn: number, packet: Packet, calls: number): void {
    this.#bytes.set(fn, packet.data.length / calls + perCallOverhead);
  }
}
