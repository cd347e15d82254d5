// What the transports (the rings of a channel, a worker's port, a process's pipe) ask of a packet: whether
// it fits a ring as bytes, which buffer can move instead of being copied, and decoding on the spot.
import { decode, decodeSync } from './index.js';
import type { Packet } from './packet.js';

/**
 * The encoded bytes' buffer, when it is big enough to matter: moved to a thread instead of copied again.
 * The codec hands a large output's whole buffer over to the packet (the data starts at its offset 0).
 */
export function movableBuffers(data: Uint8Array): ArrayBuffer[] {
  const { buffer } = data;
  return buffer instanceof ArrayBuffer && data.byteOffset === 0 && buffer.byteLength > 65536 ? [buffer] : [];
}

/** Whether a packet can go through a ring as bytes: no out-of-band or shared buffers. */
export function inBand(packet: Packet): boolean {
  return packet.buffers.length === 0 && (packet.shared === undefined || packet.shared.length === 0);
}

/**
 * Decodes on the spot when it can (the hot path); when a module must be imported first (a class seen for
 * the first time), returns a Promise. Bad bytes throw.
 */
export function decodeFast(packet: Packet): unknown {
  try {
    return decodeSync(packet);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_MP_DECODE_NEEDS_IMPORT') return decode(packet);
    throw error;
  }
}
