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
export { Pool, type BoundTask, type LoadedTasks } from './pool/pool.js';
export { taskRef, type TaskRef } from './pool/task-ref.js';
export { AsyncResult } from './pool/async-result.js';
export type { PoolOptions, CallOptions, MapOptions, Chunksize, Order, Progress, BackendName, ResourceLimits } from './pool/options.js';
export type { PoolStats, WorkerStats } from './pool/stats.js';
export {
  WorkerCrashedError,
  TaskTimeoutError,
  PoolTerminatedError,
  PoolStateError,
  InitializerError,
  RemoteError,
  RemoteStack,
  ResultTimeoutError,
} from './pool/errors.js';
export { TaskNotFoundError } from './worker/run-worker.js';
export { currentWorker, type WorkerInfo } from './worker/current-worker.js';
