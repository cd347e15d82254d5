// Public API: re-exports only.
export { MultiprocError } from './errors.js';
export { NativeAddonError, nativeAvailable } from './native/binding.js';
export { futexWait, futexWaitAsync, futexWake, type FutexWaitOptions, type WaitOutcome } from './native/futex.js';
export {
  SharedMemoryError,
  SharedMemoryNotFoundError,
  SharedMemoryExistsError,
  SharedMemoryNoSpaceError,
  SharedMemoryClosedError,
} from './shm/errors.js';
export { SharedMemory, type SharedMemoryOptions } from './shm/shared-memory.js';
export { SharedMemoryManager, type SharedMemoryManagerOptions } from './shm/shared-memory-manager.js';
export { listSegments, removeSegment, collectGarbage, type SegmentInfo } from './shm/segments.js';
export {
  encode,
  decode,
  decodeSync,
  packetToBytes,
  bytesToPacket,
  registerClass,
  registerFunction,
  registerModule,
  registerHandle,
  trustModules,
  serializable,
  registry,
  CodecRegistry,
  EncodeError,
  DecodeError,
  trustModulesEnv,
  type Packet,
  type EncodeOptions,
  type ClassOptions,
  type Constructor,
  type HandleSpec,
  type TrustRule,
} from './serialize/index.js';
