// Public API: re-exports only.
export { MultiprocError } from './errors.js';
export { NativeAddonError, nativeAvailable } from './native/binding.js';
export { futexWait, futexWaitAsync, futexWake, type WaitOutcome } from './native/futex.js';
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
export { LockOwnerDiedError, BrokenBarrierError, SyncStateError, SyncSegmentError, SyncTimeoutError } from './sync/errors.js';
export type { WaitOptions } from './sync/wait.js';
export type { LockGuard } from './sync/lock-base.js';
export { Lock } from './sync/lock.js';
export { RLock } from './sync/rlock.js';
export { Semaphore, BoundedSemaphore } from './sync/semaphore.js';
export { Event } from './sync/event.js';
export { Condition } from './sync/condition.js';
export { Barrier, type BarrierOptions } from './sync/barrier.js';
export type { Typecode, TypedArrayOf, ValueOf } from './sharedctypes/typecodes.js';
export type { SynchronizedOptions } from './sharedctypes/shared-ctype.js';
export { RawValue, Value } from './sharedctypes/value.js';
export { RawArray, SharedArray, SharedArray as Array, type SizeOrInitializer } from './sharedctypes/array.js';
export { ShareableList, ShareableListError, type ShareableItem, type ShareableListOptions } from './shm/shareable-list.js';
export { QueueFullError, QueueEmptyError, QueueStateError, QueueShutDownError, PipeEofError, BufferTooShortError } from './queue/errors.js';
export type { QueueOptions } from './queue/queue-core.js';
export { Queue, type ShutdownOptions } from './queue/queue.js';
export { JoinableQueue } from './queue/joinable-queue.js';
export { SimpleQueue } from './queue/simple-queue.js';
export { Pipe, Connection, type PipeOptions } from './queue/pipe.js';
export type { PrimitiveRef } from './sync/primitive.js';
export type { CtypeRef } from './sharedctypes/shared-ctype.js';
export type { QueueRef } from './queue/queue-core.js';
export type { ConnectionRef } from './queue/pipe.js';
export type { ConditionRef } from './sync/condition.js';
export { Process, ProcessStateError, ProcessTargetError, activeChildren, cpuCount, currentProcess, parentProcess, type ProcessOptions, type ProcessInfo } from './process/process.js';
export { Pool, type BoundTask, type LoadedTasks, type PoolEvents } from './pool/pool.js';
export type { CrashReport } from './pool/faults.js';
export { taskRef, type TaskRef } from './pool/task-ref.js';
export { AsyncResult } from './pool/async-result.js';
export type { PoolOptions, CallOptions, MapOptions, Chunksize, Order, Progress, BackendName, ResourceLimits } from './pool/options.js';
export type { PoolStats, WorkerStats } from './pool/stats.js';
export {
  WorkerCrashedError,
  TaskTimeoutError,
  PoolTerminatedError,
  PoolStateError,
  PoolBootstrapError,
  InitializerError,
  RemoteError,
  RemoteStack,
  ResultTimeoutError,
} from './pool/errors.js';
export { TaskNotFoundError, TaskModuleNotFoundError, TaskModuleFailedError } from './worker/errors.js';
export { currentWorker, type WorkerInfo } from './worker/current-worker.js';
export { currentTask, type TaskInfo } from './worker/current-task.js';
export { errorCodes, type ErrorCode, type ErrorCodeEntry } from './error-codes.js';
export {
  dumps,
  loads,
  Tuple,
  tuple,
  ByteArray,
  FrozenSet,
  OrderedDict,
  Complex,
  Float,
  Decimal,
  PickleGlobal,
  PickleObject,
  PyDate,
  PyTime,
  PyDateTime,
  Timedelta,
  Timezone,
  PythonError,
  PickleRegistry,
  pickleRegistry,
  registerPickleClass,
  registerPickleFunction,
  PickleTruncatedError,
  PickleOpcodeError,
  PickleFormatError,
  PickleGlobalError,
  PickleLimitError,
  PickleUnsupportedError,
  HIGHEST_PROTOCOL,
  DEFAULT_PROTOCOL,
  type LoadOptions,
  type DumpOptions,
  type PickleClassHooks,
  type Reduction,
} from './pickle/index.js';
export { Listener, type AcceptOptions } from './connection/listener.js';
export { Client } from './connection/client.js';
export { SocketConnection, type RecvOptions, type PollOptions } from './connection/connection.js';
export { wait, type Pollable } from './connection/wait.js';
export type { Address, Family } from './connection/address.js';
export type { Digest, ChallengeDigest } from './connection/auth.js';
export type { ConnectionOptions, AuthOptions, ListenerOptions, ClientOptions } from './connection/options.js';
export {
  AuthenticationError,
  ConnectionClosedError,
  ConnectionEofError,
  ConnectionFailedError,
  ConnectionTimeoutError,
  MessageTooLargeError,
} from './connection/errors.js';
export { BlockingConnection, type BlockingRecvOptions } from './connection/blocking-connection.js';
export { BlockingListener, type BlockingAcceptOptions } from './connection/blocking-listener.js';
export { connectSync, type ConnectSyncOptions } from './connection/blocking-client.js';
export { ObjectStore, type ObjectStoreOptions, type StoreStats } from './store/object-store.js';
export { ObjectRef, type GetOptions, type RefDescription, type ArrayDescription } from './store/object-ref.js';
export type { ArrowColumnDescription, ArrowChunkDescription, ArrowBufferDescription } from './store/arrow-layout.js';
export { StoreReleasedError, StoreClosedError, StoreArrowError } from './store/errors.js';
export {
  BaseManager,
  ManagerServer,
  BaseProxy,
  ProxyRef,
  Token,
  ManagedQueue,
  keywordParameters,
  callSignal,
  ManagerRemoteError,
  ManagerProtocolError,
  ManagerStateError,
  type ManagerOptions,
  type ManagerServerOptions,
  type AutoProxy,
  type Blocking,
  type QueueProxy,
  type RemoteMethod,
  type TypeidOptions,
} from './managers/index.js';
export {
  SyncManager,
  syncTypeids,
  SyncProxy,
  JoinableQueueProxy,
  EventProxy,
  AcquirerProxy,
  ConditionProxy,
  BarrierProxy,
  ValueProxy,
  NamespaceProxy,
  ListProxy,
  DictProxy,
  ArrayProxy,
  IteratorProxy,
  PoolProxy,
  AsyncResultProxy,
  type PoolTask,
  isStopIteration,
  Slice,
  type ProxyMode,
  type ProxyResult,
} from './managers/index.js';
export { RemoteSharedMemoryManager, type RemoteSharedMemoryManagerOptions } from './managers/remote-shared-memory-manager.js';
export { SegmentTracker } from './managers/shared-memory-server.js';
export { ManagerStartError } from './managers/errors.js';
export type { StartOptions, FunctionName } from './managers/start-child.js';
export type { ServerExtension } from './managers/server.js';
export { InsightsDisabledError } from './pool/errors.js';
export {
  channels,
  channelNames,
  tracingChannelNames,
  applyTrace,
  mapTrace,
  subscribeAll,
  type ChannelMessages,
  type TypedChannel,
  type TypedTracingChannel,
  type PoolCreatedMessage,
  type PoolClosedMessage,
  type WorkerSpawnedMessage,
  type WorkerReadyMessage,
  type WorkerExitedMessage,
  type WorkerExitReason,
  type WorkerCrashedMessage,
  type WorkerFields,
  type WorkerEndFields,
  type TaskFields,
  type HandedTaskFields,
  type WorkerSampleMessage,
  type TaskQueuedMessage,
  type TaskStartedMessage,
  type TaskFinishedMessage,
  type TaskFailedMessage,
  type TaskRetriedMessage,
  type MapKind,
  type MapStartedMessage,
  type MapProgressMessage,
  type MapFinishedMessage,
  type ApplyTraceContext,
  type MapTraceContext,
} from './observe/channels.js';
export type {
  PoolInsights,
  WorkerInsights,
  TimeFigure,
  CountFigure,
  MemorySample,
  ErrorInsight,
  CrashInsight,
  TopTask,
  MapInsight,
  EventLoopInsight,
} from './observe/insights.js';
export { InsightsRecorder, type InsightsRecorderOptions } from './observe/insights-recorder.js';
export { formatInsights } from './observe/print-insights.js';
export { Dashboard, serveDashboard } from './dashboard/dashboard.js';
export { DashboardListenError, DashboardLinkError } from './dashboard/errors.js';
export type { DashboardOptions } from './dashboard/options.js';
export type { DashboardState, ProcessView, PoolView, WorkerView, MapView, TimelineEntry, TimelineLane, SlowTask, TaskError, CrashView, ErrorText } from './dashboard/view.js';
