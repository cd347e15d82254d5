// Items as they lie in a ring: the codec's packet, framed as its parts so the writer copies each piece
// straight into shared memory (no joined copy first): u32 buffer count, u32 length of each buffer, the
// packet's data, then its out-of-band buffers.
import { decode, decodeSync, DecodeError, encode, type Packet } from '../serialize/index.js';

/** The pieces of one ring message for `value`, in order. */
const noBuffers = new Uint8Array(4);

export function encodeParts(value: unknown): Uint8Array[] {
  const { data, buffers } = encode(value);
  if (buffers.length === 0) return [noBuffers, data];
  const header = new Uint8Array(4 + 4 * buffers.length);
  const view = new DataView(header.buffer);
  view.setUint32(0, buffers.length, true);
  buffers.forEach((buffer, i) => view.setUint32(4 + 4 * i, buffer.byteLength, true));
  return [header, data, ...buffers.map((buffer) => new Uint8Array(buffer))];
}

function toPacket(bytes: Uint8Array): Packet {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = bytes.byteLength >= 4 ? view.getUint32(0, true) : -1;
  if (count < 0 || 4 + 4 * count > bytes.byteLength) throw new DecodeError('ERR_MP_DECODE', 'Cannot decode: a queue message is truncated');
  if (count === 0) return { data: bytes.subarray(4), buffers: [] };
  const lengths = Array.from({ length: count }, (_, i) => view.getUint32(4 + 4 * i, true));
  let end = bytes.byteLength;
  const buffers: ArrayBuffer[] = [];
  for (let i = count - 1; i >= 0; i--) {
    const start = end - lengths[i]!;
    buffers.unshift(bytes.slice(start, end).buffer);
    end = start;
  }
  const dataStart = 4 + 4 * count;
  if (end < dataStart) throw new DecodeError('ERR_MP_DECODE', 'Cannot decode: a queue message is truncated');
  return { data: bytes.subarray(dataStart, end), buffers };
}

export function decodePartsSync(bytes: Uint8Array): unknown {
  return decodeSync(toPacket(bytes));
}

/** Decodes, importing a trusted module first when the payload needs one. */
export async function decodeParts(bytes: Uint8Array): Promise<unknown> {
  const packet = toPacket(bytes);
  try {
    return decodeSync(packet);
  } catch (error) {
    if (error instanceof DecodeError && error.code === 'ERR_MP_DECODE_NEEDS_IMPORT') return decode(packet);
    throw error;
  }
}
