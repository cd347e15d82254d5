// Every diagnostics_channel name the pool publishes on, and the message each one carries (one file, as undici).
import { channel, tracingChannel } from 'node:diagnostics_channel';

/**
 * Ids: `poolId` is unique within this process (1, 2, ...; with `pid` from `multiproc:pool:created` it names a
 * pool anywhere); `workerId` is unique within its pool (1, 2, ...), so a replacement gets a new one, while
 * `index` is the worker's slot, which the replacement takes over. `at` is `Date.now()` when the step was seen.
 *
 * Messages are built only when the channel has a subscriber, and handed to every subscriber as is: read them,
 * keep what you need, do not change them. A subscriber that throws does not reach the pool (Node reports the
 * error as an uncaught exception on the next tick, as for every diagnostics_channel).
 */
export type Backend = 'thread' | 'process';

/** A pool was created; its workers are starting. */
export interface PoolCreatedMessage {
  poolId: number;
  pid: number;
  backend: Backend;
  /** Workers it keeps running. */
  workers: number;
  /** Tasks a worker runs before it is replaced (Infinity: never). */
  maxTasksPerWorker: number;
  /** Whether the pool records its own insights (`insights: true`). */
  insights: boolean;
  at: number;
}

/** Every worker of the pool is gone, after `close()`, `terminate()` or the pool breaking. */
export interface PoolClosedMessage {
  poolId: number;
  state: 'closed' | 'terminated' | 'broken';
  /** Why the pool broke (an initializer threw, workers die at start-up); undefined otherwise. */
  error: unknown;
  at: number;
}

/** A worker is starting: one of the first, or a replacement of one that is gone. */
export interface WorkerSpawnedMessage {
  poolId: number;
  workerId: number;
  index: number;
  backend: Backend;
  /** The worker it replaces (same `index`); undefined for the pool's first workers. */
  replaces: number | undefined;
  at: number;
}

/** A worker ran its initializer and takes tasks. */
export interface WorkerReadyMessage {
  poolId: number;
  workerId: number;
  index: number;
  pid: number;
  /** 0 for a process. */
  threadId: number;
  /** From the spawn to the worker's code running, ms: what starting a thread or a process costs (the initializer excluded). */
  startupMs: number;
  /** The pool's initializer in this worker, ms (0 without one). */
  initMs: number;
  at: number;
}

/**
 * Why a worker is gone: `closed` (the pool closed), `retired` (it ran `maxTasksPerWorker` tasks), `killed`
 * (stopped to end a task that timed out or was aborted), `terminated` (`terminate()`, or the pool broke), or
 * `crashed` (it died on its own; a `multiproc:worker:crashed` message comes first).
 */
export type WorkerExitReason = 'closed' | 'retired' | 'killed' | 'terminated' | 'crashed';

/** A worker is gone (every worker that was spawned ends with one of these). */
export interface WorkerExitedMessage {
  poolId: number;
  workerId: number;
  index: number;
  pid: number;
  threadId: number;
  exitCode: number | null;
  signal: string | null;
  reason: WorkerExitReason;
  /** From the pool asking it to stop to its exit, ms; 0 when it was not asked (it crashed). */
  exitMs: number;
  at: number;
}

/** A worker died on its own: a task crashed it (`process.exit`, an uncaught throw, out of memory) or code a task left running did. */
export interface WorkerCrashedMessage {
  poolId: number;
  workerId: number;
  index: number;
  pid: number;
  threadId: number;
  exitCode: number | null;
  signal: string | null;
  /** The uncaught error it died of, when it died of one (decoded: its class when registered). */
  error: unknown;
  /** The worker-side stack of that error; undefined when it exited without one. */
  stack: string | undefined;
  /** The task it ran and did not answer; undefined when it died between tasks. */
  task: { taskId: number; name: string; url: string } | undefined;
  at: number;
}

/** What a worker measured of itself (only for pools with `insights: true`; at most every `sampleMs`, between tasks). */
export interface WorkerSampleMessage {
  poolId: number;
  workerId: number;
  index: number;
  /** Resident set size, bytes: the worker's own process, or for a thread the whole process it shares (`rssScope`). */
  rss: number;
  rssScope: 'worker' | 'process';
  /** V8 heap of the worker's own isolate, bytes. */
  heapUsed: number;
  heapTotal: number;
  /** Memory of the isolate outside its heap (buffers), bytes. */
  external: number;
  at: number;
}

/** A task (one call, or one chunk of a map-like call) waits for a worker. */
export interface TaskQueuedMessage {
  poolId: number;
  taskId: number;
  name: string;
  url: string;
  /** Items in it: 1 for a call, the chunk's length for a chunk. */
  items: number;
  /** The map-like call it belongs to (see `multiproc:map:started`); 0 for a single call. */
  mapId: number;
  /** Tasks waiting in the pool's queue after this one joined it. */
  queued: number;
  at: number;
}

/**
 * A task was handed to a worker. The worker runs what it holds in order, so a task handed to a busy worker
 * starts once those before it end; its own run time is `runMs` of the message that ends it.
 */
export interface TaskStartedMessage {
  poolId: number;
  taskId: number;
  workerId: number;
  index: number;
  name: string;
  url: string;
  items: number;
  mapId: number;
  /** Tasks still waiting in the pool's queue. */
  queued: number;
  at: number;
}

/** A worker answered a task with its result. */
export interface TaskFinishedMessage {
  poolId: number;
  taskId: number;
  workerId: number;
  index: number;
  name: string;
  url: string;
  items: number;
  mapId: number;
  /** The task's run time in the worker, ms (its module's first import excluded). */
  runMs: number;
  /** The call's arguments, or the chunk's items, as given (by reference: format them, do not keep or change them). */
  args: readonly unknown[] | undefined;
  at: number;
}

/** A task ended without a result: it threw, its worker crashed, it timed out or was aborted, the pool stopped. */
export interface TaskFailedMessage {
  poolId: number;
  taskId: number;
  /** The worker it was last handed to; 0 (and index -1) when it never left the queue. */
  workerId: number;
  index: number;
  name: string;
  url: string;
  items: number;
  mapId: number;
  /** What its caller rejects with (a task error carries the worker-side stack as its `cause`). */
  error: unknown;
  /** Run time in the worker, ms, when the worker answered with the error; undefined otherwise. */
  runMs: number | undefined;
  args: readonly unknown[] | undefined;
  at: number;
}

/** A task whose worker crashed runs again (it had `retries` left). */
export interface TaskRetriedMessage {
  poolId: number;
  taskId: number;
  /** The worker that crashed under it. */
  workerId: number;
  index: number;
  name: string;
  url: string;
  /** Retries left after this one. */
  retriesLeft: number;
  at: number;
}

export type MapKind = 'map' | 'starmap' | 'imap' | 'imapUnordered';

/** A map-like call started submitting chunks. */
export interface MapStartedMessage {
  poolId: number;
  mapId: number;
  kind: MapKind;
  name: string;
  url: string;
  /** Items in all; undefined for a lazy input of unknown length. */
  total: number | undefined;
  at: number;
}

/** Items of a map-like call completed (published as each chunk's results arrive). */
export interface MapProgressMessage {
  poolId: number;
  mapId: number;
  done: number;
  total: number | undefined;
  elapsedMs: number;
  at: number;
}

/** A map-like call ended: every result is in, or it failed (`error`). */
export interface MapFinishedMessage {
  poolId: number;
  mapId: number;
  kind: MapKind;
  done: number;
  total: number | undefined;
  elapsedMs: number;
  /** Why it failed; undefined when it completed. */
  error: unknown;
  at: number;
}

/** The context object of the `multiproc:pool:apply` tracing channel (Node adds `result` or `error`). */
export interface ApplyTraceContext {
  poolId: number;
  name: string;
  url: string;
  result?: unknown;
  error?: unknown;
}

/** The context object of the `multiproc:pool:map` tracing channel (map and starmap; Node adds `result` or `error`). */
export interface MapTraceContext {
  poolId: number;
  mapId: number;
  kind: MapKind;
  name: string;
  url: string;
  result?: unknown;
  error?: unknown;
}

/** A channel as multiproc uses it: typed by its message. */
export interface TypedChannel<M> {
  readonly name: string | symbol;
  readonly hasSubscribers: boolean;
  publish(message: M): void;
  subscribe(onMessage: (message: M, name: string | symbol) => void): void;
  unsubscribe(onMessage: (message: M, name: string | symbol) => void): boolean;
}

/** The five channels of a tracing channel, typed by its context. */
export interface TypedTracingChannel<C extends object> {
  readonly hasSubscribers: boolean;
  readonly start: TypedChannel<C>;
  readonly end: TypedChannel<C>;
  readonly asyncStart: TypedChannel<C>;
  readonly asyncEnd: TypedChannel<C>;
  readonly error: TypedChannel<C>;
  tracePromise<T>(fn: () => Promise<T>, context: C): Promise<T>;
  subscribe(handlers: Partial<Record<'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error', (message: C, name: string | symbol) => void>>): void;
  unsubscribe(handlers: Partial<Record<'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error', (message: C, name: string | symbol) => void>>): boolean;
}

/** Every channel name, by the key of `channels`. */
export const channelNames = {
  poolCreated: 'multiproc:pool:created',
  poolClosed: 'multiproc:pool:closed',
  workerSpawned: 'multiproc:worker:spawned',
  workerReady: 'multiproc:worker:ready',
  workerExited: 'multiproc:worker:exited',
  workerCrashed: 'multiproc:worker:crashed',
  workerSample: 'multiproc:worker:sample',
  taskQueued: 'multiproc:task:queued',
  taskStarted: 'multiproc:task:started',
  taskFinished: 'multiproc:task:finished',
  taskFailed: 'multiproc:task:failed',
  taskRetried: 'multiproc:task:retried',
  mapStarted: 'multiproc:map:started',
  mapProgress: 'multiproc:map:progress',
  mapFinished: 'multiproc:map:finished',
} as const;

/** The tracing channels' names (each is five channels: `tracing:<name>:start`, `:end`, `:asyncStart`, `:asyncEnd`, `:error`). */
export const tracingChannelNames = {
  apply: 'multiproc:pool:apply',
  map: 'multiproc:pool:map',
} as const;

/** The message type of each channel, by the key of `channels`. */
export interface ChannelMessages {
  poolCreated: PoolCreatedMessage;
  poolClosed: PoolClosedMessage;
  workerSpawned: WorkerSpawnedMessage;
  workerReady: WorkerReadyMessage;
  workerExited: WorkerExitedMessage;
  workerCrashed: WorkerCrashedMessage;
  workerSample: WorkerSampleMessage;
  taskQueued: TaskQueuedMessage;
  taskStarted: TaskStartedMessage;
  taskFinished: TaskFinishedMessage;
  taskFailed: TaskFailedMessage;
  taskRetried: TaskRetriedMessage;
  mapStarted: MapStartedMessage;
  mapProgress: MapProgressMessage;
  mapFinished: MapFinishedMessage;
}

function typed<K extends keyof ChannelMessages>(key: K): TypedChannel<ChannelMessages[K]> {
  return channel(channelNames[key]) as unknown as TypedChannel<ChannelMessages[K]>;
}

/**
 * The channels themselves. The same objects `diagnostics_channel.channel(name)` returns, so a subscriber may
 * use either: `channels.taskFinished.subscribe(fn)` or `diagnostics_channel.subscribe('multiproc:task:finished', fn)`.
 */
export const channels: { readonly [K in keyof ChannelMessages]: TypedChannel<ChannelMessages[K]> } = {
  poolCreated: typed('poolCreated'),
  poolClosed: typed('poolClosed'),
  workerSpawned: typed('workerSpawned'),
  workerReady: typed('workerReady'),
  workerExited: typed('workerExited'),
  workerCrashed: typed('workerCrashed'),
  workerSample: typed('workerSample'),
  taskQueued: typed('taskQueued'),
  taskStarted: typed('taskStarted'),
  taskFinished: typed('taskFinished'),
  taskFailed: typed('taskFailed'),
  taskRetried: typed('taskRetried'),
  mapStarted: typed('mapStarted'),
  mapProgress: typed('mapProgress'),
  mapFinished: typed('mapFinished'),
};

/** `pool.apply` (and a bound task's call), traced from the call to its settling. */
export const applyTrace = tracingChannel(tracingChannelNames.apply) as unknown as TypedTracingChannel<ApplyTraceContext>;
/** `pool.map` and `pool.starmap`, traced from the call to its settling. */
export const mapTrace = tracingChannel(tracingChannelNames.map) as unknown as TypedTracingChannel<MapTraceContext>;

/** Subscribes `handlers` (any of the channels, by key); returns what unsubscribes them all. */
export function subscribeAll(handlers: { [K in keyof ChannelMessages]?: (message: ChannelMessages[K]) => void }): () => void {
  const undo: (() => void)[] = [];
  for (const key of Object.keys(handlers) as (keyof ChannelMessages)[]) {
    const handler = handlers[key] as ((message: unknown) => void) | undefined;
    if (handler === undefined) continue;
    const target = channels[key] as TypedChannel<unknown>;
    // Node calls a subscriber with (message, name): pass only the message on.
    const onMessage = (message: unknown): void => handler(message);
    target.subscribe(onMessage);
    undo.push(() => target.unsubscribe(onMessage));
  }
  return () => {
    for (const step of undo.splice(0)) step();
  };
}
