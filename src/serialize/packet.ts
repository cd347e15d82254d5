// One byte string for a packet (pipes, sockets, rings): the value's bytes and its out-of-band buffers.
import { expected } from '../errors.js';
import { DecodeError, EncodeError } from './errors.js';

/** Out-of-band parts and the bytes of one encoded value. */
export interface Packet {
  data: Uint8Array;
  /**
   * Out-of-band ArrayBuffers: those the caller marked for transfer, then copies of large buffers the
   * packet owns. Post them all in the transfer list (or use packetToBytes). A packet is decoded once.
   */
  buffers: ArrayBuffer[];
  /** SharedArrayBuffers met in the value: shared as they are over worker_threads; no process can receive them. */
  shared?: SharedArrayBuffer[];
}

// Layout: "MB" version 0 | u32 buffer count | u32 length of each buffer | u32 length of data | data | buffers.
const frameMagic0 = 0x4d;
const frameMagic1 = 0x42;
const frameVersion = 1;

/** A packet as encode() makes it: `data` a Uint8Array, `buffers` an array of ArrayBuffers. */
export function checkPacket(packet: unknown): asserts packet is Packet {
  const what = 'a packet from encode() ({ data: Uint8Array, buffers: ArrayBuffer[] })';
  if (typeof packet !== 'object' || packet === null) throw new TypeError(expected('packet', what, packet));
  const { data, buffers, shared } = packet as Partial<Packet>;
  if (!(data instanceof Uint8Array)) throw new TypeError(expected('packet.data', 'a Uint8Array', data));
  if (!Array.isArray(buffers) || !buffers.every((buffer) => buffer instanceof ArrayBuffer)) {
    throw new TypeError(expected('packet.buffers', 'an array of ArrayBuffers', buffers));
  }
  if (shared !== undefined && !Array.isArray(shared)) throw new TypeError(expected('packet.shared', 'an array of SharedArrayBuffers', shared));
}

/** Packs a packet into one byte string. Buffers marked for transfer are copied (no process can take them over). */
export function packetToBytes(packet: Packet): Uint8Array {
  checkPacket(packet);
  if (packet.shared !== undefined && packet.shared.length > 0) {
    throw new EncodeError('A SharedArrayBuffer cannot be sent to another process: share memory across processes with ' +
      'SharedMemory (it travels by name) instead of its `buf`');
  }
  const { data, buffers } = packet;
  if (buffers.length === 0) {
    // The common case: data already starts with the codec header, so it goes as it is.
    return data;
  }
  let total = 12 + 4 * buffers.length + data.byteLength;
  for (const buffer of buffers) total += buffer.byteLength;
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  bytes[0] = frameMagic0;
  bytes[1] = frameMagic1;
  bytes[2] = frameVersion;
  view.setUint8(3, 0);
  view.setUint32(4, buffers.length, true);
  let pos = 8;
  for (const buffer of buffers) {
    view.setUint32(pos, buffer.byteLength, true);
    pos += 4;
  }
  view.setUint32(pos, data.byteLength, true);
  pos += 4;
  bytes.set(data, pos);
  pos += data.byteLength;
  for (const buffer of buffers) {
    bytes.set(new Uint8Array(buffer), pos);
    pos += buffer.byteLength;
  }
  return bytes;
}

function bad(reason: string): DecodeError {
  return new DecodeError('ERR_MP_DECODE', `Cannot decode: ${reason}`);
}

/** The inverse of packetToBytes. Buffers are copied into fresh ArrayBuffers; data is a view of `bytes`. */
export function bytesToPacket(bytes: Uint8Array): Packet {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(expected('bytes', 'a Uint8Array (from packetToBytes)', bytes));
  if (bytes.byteLength < 2 || bytes[0] !== frameMagic0) throw bad('not multiproc codec data (bad header)');
  if (bytes[1] !== frameMagic1) return { data: bytes, buffers: [] };
  if (bytes.byteLength < 8) throw bad('truncated frame');
  if (bytes[2] !== frameVersion) throw bad(`frame version ${bytes[2]} is not supported (this side reads version ${frameVersion})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(4, true);
  if (8 + 4 * (count + 1) > bytes.byteLength) throw bad('truncated frame');
  const lengths: number[] = [];
  let pos = 8;
  let total = 0;
  for (let i = 0; i < count; i++) {
    const length = view.getUint32(pos, true);
    lengths.push(length);
    total += length;
    pos += 4;
  }
  const dataLength = view.getUint32(pos, true);
  pos += 4;
  if (pos + dataLength + total !== bytes.byteLength) throw bad('truncated or corrupt frame (lengths do not add up)');
  const data = bytes.subarray(pos, pos + dataLength);
  pos += dataLength;
  const buffers: ArrayBuffer[] = [];
  for (const length of lengths) {
    buffers.push(bytes.slice(pos, pos + length).buffer);
    pos += length;
  }
  return { data, buffers };
}
