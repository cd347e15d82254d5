// The payload of a Batch frame: the calls' ids first, as plain Int32s, then one packet of every call's
// arguments. The ids are readable whatever the arguments hold, so a worker that cannot decode the arguments
// (a class it may not import, say) can still answer each call, instead of dying with the calls unanswered.
import type { Packet } from '../serialize/index.js';

/** The batch's payload: `[count i32][ids i32 x count][arguments packet bytes]`. */
export function batchPayload(ids: Int32Array, args: Packet): Packet {
  const head = 4 * (1 + ids.length);
  const data = new Uint8Array(head + args.data.length);
  const view = new DataView(data.buffer);
  view.setInt32(0, ids.length, true);
  for (let i = 0; i < ids.length; i++) view.setInt32(4 * (1 + i), ids[i]!, true);
  data.set(args.data, head);
  return { data, buffers: args.buffers, ...(args.shared === undefined ? {} : { shared: args.shared }) };
}

/** The ids and the arguments' packet of a batch payload. */
export function readBatch(payload: Uint8Array): { ids: Int32Array; args: Packet } {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const count = view.getInt32(0, true);
  const ids = new Int32Array(count);
  for (let i = 0; i < count; i++) ids[i] = view.getInt32(4 * (1 + i), true);
  return { ids, args: { data: payload.subarray(4 * (1 + count)), buffers: [] } };
}
