// TEMP codec shim (v8.serialize) with the exports of the codec contract, until the real codec lands.
import v8 from 'node:v8';
import { MultiprocError } from '../errors.js';

export interface Packet {
  data: Uint8Array;
  buffers: ArrayBuffer[];
}

export class EncodeError extends MultiprocError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ERR_MP_ENCODE', message, options);
  }
}

export class DecodeError extends MultiprocError {}

export function encode(value: unknown, options: { transfer?: readonly ArrayBuffer[] } = {}): Packet {
  const transfer = options.transfer ?? [];
  try {
    const serializer = new v8.Serializer();
    transfer.forEach((buffer, i) => serializer.transferArrayBuffer(i, buffer));
    serializer.writeHeader();
    serializer.writeValue(value);
    const data = serializer.releaseBuffer();
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), buffers: [...transfer] };
  } catch (cause) {
    throw new EncodeError(`Cannot encode the value: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

export function decodeSync(packet: Packet): unknown {
  try {
    const deserializer = new v8.Deserializer(packet.data);
    packet.buffers.forEach((buffer, i) => deserializer.transferArrayBuffer(i, buffer));
    deserializer.readHeader();
    return deserializer.readValue() as unknown;
  } catch (cause) {
    throw new DecodeError('ERR_MP_DECODE', 'Cannot decode the bytes', { cause });
  }
}

export function decode(packet: Packet): Promise<unknown> {
  try {
    return Promise.resolve(decodeSync(packet));
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

export function packetToBytes(packet: Packet): Uint8Array {
  if (packet.buffers.length > 0) throw new EncodeError('The shim cannot put transferred buffers in bytes');
  return packet.data;
}

export function bytesToPacket(bytes: Uint8Array): Packet {
  return { data: bytes, buffers: [] };
}
