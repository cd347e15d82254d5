// The codec's public face: encode/decode, byte framing, and the registry's functions.
import { checkObject, expected } from '../errors.js';
import { importModule, importModuleSync } from '../import-module.js';
import { Decoder } from './decoder.js';
import { Encoder } from './encoder.js';
import type { Packet } from './packet.js';
import { DecodeError, EncodeError } from './errors.js';
import { registry } from './registry.js';
import { isBuiltinHandleModule } from './builtin-handles.js';

export { EncodeError, DecodeError } from './errors.js';
export { packetToBytes, bytesToPacket } from './packet.js';
import { checkPacket } from './packet.js';
export { serializable } from './decorator.js';
export {
  CodecRegistry,
  registry,
  trustModulesEnv,
  type ClassOptions,
  type Constructor,
  type HandleSpec,
  type TrustRule,
} from './registry.js';
export type { Packet } from './packet.js';

export interface EncodeOptions {
  /** ArrayBuffers to move instead of copy: they go in `packet.buffers`, for a worker_threads transfer list. */
  transfer?: readonly ArrayBuffer[];
}

const encoder = new Encoder();
const decoder = new Decoder();

/**
 * Encodes a value: everything structured clone carries, registered class instances, exported
 * functions and shared handles by reference. Throws `EncodeError` (`ERR_MP_ENCODE`) naming what cannot
 * travel and how to fix it.
 */
export function encode(value: unknown, options?: EncodeOptions): Packet {
  if (options !== undefined) checkObject('options', options);
  const transfer = options?.transfer;
  if (transfer !== undefined) {
    if (!Array.isArray(transfer) || !transfer.every((buffer) => buffer instanceof ArrayBuffer)) {
      throw new TypeError(expected('options.transfer', 'an array of ArrayBuffers', transfer));
    }
    if (new Set(transfer).size !== transfer.length) throw new RangeError(expected('options.transfer', 'ArrayBuffers listed once each', transfer));
  }
  try {
    return (encoder.busy ? new Encoder() : encoder).encode(value, transfer);
  } catch (error) {
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
      throw new EncodeError('Cannot serialize: the value is nested too deeply', { cause: error });
    }
    throw error;
  }
}

/**
 * Decodes a packet without importing anything: the fast path. Throws `DecodeError` with
 * `ERR_MP_DECODE_NEEDS_IMPORT` when a trusted module must be imported first (then call `decode`).
 */
export function decodeSync(packet: Packet): unknown {
  checkPacket(packet);
  return (decoder.busy ? new Decoder() : decoder).decode(packet);
}

function importFailed(moduleUrl: string, error: unknown): DecodeError {
  return new DecodeError(
    'ERR_MP_DECODE_IMPORT',
    `Cannot decode: the data needs module ${moduleUrl}, which failed to import on this side: ` +
      `${error instanceof Error ? error.message : String(error)}`,
    { cause: error },
  );
}

function imported(moduleUrl: string, namespace: Record<string, unknown>): void {
  // A built-in handle module registered its handle type as it loaded; its exports are not the sender's.
  if (!isBuiltinHandleModule(moduleUrl)) registry.registerModule(moduleUrl, namespace);
  registry.markImported(moduleUrl);
}

async function importForDecode(moduleUrl: string): Promise<void> {
  let namespace: Record<string, unknown>;
  try {
    namespace = (await importModule(moduleUrl)) as Record<string, unknown>;
  } catch (error) {
    throw importFailed(moduleUrl, error);
  }
  imported(moduleUrl, namespace);
}

/**
 * Decodes a packet, importing on first sight the (trusted) modules its classes and functions live in.
 * Never imports a module that neither registered something here nor matches a `trustModules` rule.
 */
export async function decode(packet: Packet): Promise<unknown> {
  for (;;) {
    try {
      return decodeSync(packet);
    } catch (error) {
      if (!(error instanceof DecodeError) || error.code !== 'ERR_MP_DECODE_NEEDS_IMPORT' || error.moduleUrl === undefined) throw error;
      await importForDecode(error.moduleUrl);
    }
  }
}

/**
 * `decode` without a Promise: the (trusted) modules the packet needs are loaded as `require` loads an ES
 * module (see `importModuleSync`). Where one cannot be loaded so, throws the `ERR_MP_DECODE_NEEDS_IMPORT`
 * error: then only `decode` can.
 */
export function decodeSyncImporting(packet: Packet): unknown {
  for (;;) {
    try {
      return decodeSync(packet);
    } catch (error) {
      if (!(error instanceof DecodeError) || error.code !== 'ERR_MP_DECODE_NEEDS_IMPORT' || error.moduleUrl === undefined) throw error;
      let namespace: unknown;
      try {
        namespace = importModuleSync(error.moduleUrl);
      } catch (cause) {
        throw importFailed(error.moduleUrl, cause);
      }
      if (namespace === undefined) throw error;
      imported(error.moduleUrl, namespace as Record<string, unknown>);
    }
  }
}

/** Registers a class so its instances travel (see ClassOptions for the reduce protocol). */
export const registerClass = registry.registerClass.bind(registry);
/** Registers an exported function so it travels as (module URL, export name). */
export const registerFunction = registry.registerFunction.bind(registry);
/** Registers every exported function and class of a module namespace. */
export const registerModule = registry.registerModule.bind(registry);
/** Makes a shared-resource type travel by reference (`toRef` on the sender, `fromRef` on the receiver). */
export const registerHandle = registry.registerHandle.bind(registry);
/** Lets decoding import modules matching these rules (URL or path prefixes, patterns, predicates). */
export const trustModules = registry.trustModules.bind(registry);
