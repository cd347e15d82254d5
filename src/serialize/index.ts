// TEMP codec shim (v8.serialize) with the codec contract's exports, replaced by the real codec on merge.
import { deserialize, serialize } from 'node:v8';
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

export class DecodeError extends MultiprocError {
  constructor(code: 'ERR_MP_DECODE' | 'ERR_MP_DECODE_NEEDS_IMPORT', message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
  }
}

interface HandleSpec<T> {
  name: string;
  type: abstract new (...args: never[]) => T;
  toRef(value: T): unknown;
  fromRef(ref: unknown): T;
}

const handles = new Map<string, HandleSpec<unknown>>();
const marker = '__multiprocHandle';

export function registerHandle<T>(spec: HandleSpec<T>): void {
  handles.set(spec.name, spec as HandleSpec<unknown>);
}

function toWire(value: unknown): unknown {
  if (typeof value === 'function') throw new EncodeError(`cannot encode function ${value.name || '(anonymous)'}`);
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value;
  if (Array.isArray(value)) return value.some((item) => typeof item === 'object' || typeof item === 'function') ? value.map(toWire) : value;
  if (Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value);
    if (!entries.some(([, item]) => typeof item === 'object' || typeof item === 'function')) return value;
    return Object.fromEntries(entries.map(([key, item]) => [key, toWire(item)]));
  }
  const specs = [...handles.values()];
  const spec = specs.find((candidate) => value.constructor === candidate.type) ?? specs.find((candidate) => value instanceof candidate.type);
  if (spec !== undefined) return { [marker]: spec.name, ref: spec.toRef(value) };
  return value;
}

function fromWire(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) return value.some((item) => typeof item === 'object') ? value.map(fromWire) : value;
  const record = value as Record<string, unknown>;
  const name = record[marker];
  if (typeof name === 'string') {
    const spec = handles.get(name);
    if (spec === undefined) throw new DecodeError('ERR_MP_DECODE', `unknown handle type ${name}`);
    return spec.fromRef(record['ref']);
  }
  if (Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(record);
    if (!entries.some(([, item]) => typeof item === 'object')) return value;
    return Object.fromEntries(entries.map(([key, item]) => [key, fromWire(item)]));
  }
  return value;
}

export function encode(value: unknown, _options: { transfer?: readonly ArrayBuffer[] } = {}): Packet {
  try {
    return { data: serialize(toWire(value)), buffers: [] };
  } catch (error) {
    if (error instanceof EncodeError) throw error;
    throw new EncodeError(String(error), { cause: error });
  }
}

export function decodeSync(packet: Packet): unknown {
  try {
    return fromWire(deserialize(packet.data));
  } catch (error) {
    if (error instanceof DecodeError) throw error;
    throw new DecodeError('ERR_MP_DECODE', String(error), { cause: error });
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
  return packet.data;
}

export function bytesToPacket(bytes: Uint8Array): Packet {
  return { data: bytes, buffers: [] };
}
