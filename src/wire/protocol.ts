// The main<->worker wire: control messages (structured objects with `type` and `v`) and the binary frames
// of the shared-memory fast lane.
import type { Packet } from '../serialize/index.js';

export const protocolVersion = 1;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFunction = (...args: any[]) => unknown;

declare const signature: unique symbol;

/**
 * A task function by reference: its module's URL and its export name, as pickle names a function by its
 * qualified name. `F` only carries the function's type; what travels is the two strings.
 */
export interface TaskRef<F extends AnyFunction = AnyFunction> {
  readonly url: string;
  readonly name: string;
  readonly [signature]?: F;
}

/** Sent once, right after the worker starts. */
export interface InitMessage {
  type: 'init';
  v: typeof protocolVersion;
  /** The worker's index in the pool (stable across replacements of that slot). */
  index: number;
  /** Header + two rings (see channel.ts): the buffer itself, or the name of a segment to attach. */
  channel: SharedArrayBuffer | string;
  /** `Date.now()` at channel creation; the worker writes start times relative to it. */
  epoch: number;
  /** Busy-wait this long (microseconds) for the next task before parking. */
  spinMicros: number;
  /** Park blocking this long (ms) before parking without blocking the event loop. */
  blockingParkMs: number;
  initializer: TaskRef | undefined;
  initargs: Packet;
  /** Send a `sample` of the worker's memory at most this often, ms, between tasks (absent or 0: never). */
  sampleMs?: number;
}

/** A task or a definition too large for the ring, or carrying transferred buffers. */
export interface SlowTaskMessage {
  type: 'task';
  v: typeof protocolVersion;
  id: number;
  fn: number;
  flags: number;
  /** The task's hand-over number on this worker (see Channel.claim). */
  seq: number;
  packet: Packet;
}

export interface StopMessage {
  type: 'stop';
  v: typeof protocolVersion;
}

export type ToWorker = InitMessage | SlowTaskMessage | StopMessage;

export interface ReadyMessage {
  type: 'ready';
  v: typeof protocolVersion;
  pid: number;
  threadId: number;
  /** How long the pool's initializer ran, microseconds (absent: no initializer). */
  initMicros?: number;
}

export interface InitErrorMessage {
  type: 'init-error';
  v: typeof protocolVersion;
  error: Packet;
}

/** A result too large for the ring, or carrying transferred buffers. */
export interface SlowResultMessage {
  type: 'result';
  v: typeof protocolVersion;
  id: number;
  ok: boolean;
  micros: number;
  packet: Packet;
  /** Flags of the answer (`AnswerFlag`), as an answer frame carries them. */
  flags?: number;
}

/** What the worker measured of its memory (pools with insights on; see InitMessage.sampleMs). */
export interface SampleMessage {
  type: 'sample';
  v: typeof protocolVersion;
  /** Bytes: the worker's process (for a thread, the process it shares). */
  rss: number;
  /** Bytes of the worker's own V8 heap. */
  heapUsed: number;
  heapTotal: number;
  external: number;
}

export type FromWorker = ReadyMessage | InitErrorMessage | SlowResultMessage | SampleMessage;

const toWorkerTypes = new Set(['init', 'task', 'stop']);
const fromWorkerTypes = new Set(['ready', 'init-error', 'result', 'sample']);

function check<T>(value: unknown, types: Set<string>, side: string): T {
  const message = value as { type?: unknown; v?: unknown } | null;
  if (typeof message !== 'object' || message === null || !types.has(message.type as string) || message.v !== protocolVersion) {
    throw new TypeError(`Unexpected message ${side}: ${JSON.stringify(value)?.slice(0, 200)} (protocol v${protocolVersion})`);
  }
  return value as T;
}

export const toWorker = (value: unknown): ToWorker => check(value, toWorkerTypes, 'to a worker');
export const fromWorker = (value: unknown): FromWorker => check(value, fromWorkerTypes, 'from a worker');

/**
 * Fast-lane frame kinds. A frame is `[kind u8][flags u8][pad u16][id u32][fn or micros u32][seq u32]` then the payload:
 * - Task: fn = function number, seq = hand-over number, payload = encoded arguments (one tuple, or a chunk of them).
 * - Define: id = function number, payload = UTF-8 JSON `TaskRef`.
 * - Doorbell: a control message waits on the slow lane (postMessage / IPC).
 * - Ok / Error: micros = run time in microseconds, payload = encoded value or error. Every call answers
 *   alone, a batched one too, as soon as it ends: a result written is a result the pool reads even if the
 *   worker dies next (the exactly-once accounting rests on it).
 * - Batch: many single calls of one function in one frame (fn = function number; call i has hand-over
 *   number seq + i), payload = the ids, then one packet of every call's arguments (batch-frame.ts); one
 *   encode and one wake for all of them. A worker that cannot decode the arguments answers each call it
 *   claims with an Error frame flagged `AnswerFlag.SendAlone` and no payload: the pool sends those calls
 *   again one by one, so only a call whose own arguments cannot be decoded fails, and nothing ran twice.
 * - Fault: the worker is dying of an uncaught error; id = the task it ran (0: none), payload = the encoded error.
 * - OkSmall: Ok for a result that needs no codec: flags = a `SmallResult`, seq = the value of an Int32. Small
 *   integers and `undefined` are what most tiny calls return; each answering alone, they skip an encode, a
 *   copy out of the ring and a decode.
 */
export const FrameKind = { Task: 1, Define: 2, Doorbell: 3, Ok: 4, Error: 5, Batch: 6, Fault: 8, OkSmall: 9 } as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/** Task flags. */
/**
 * `Short`: the pool expects this task to be short (its function's measured average), so results the worker
 * finished before it may wait for it to be announced together (see WorkerLoop#send).
 */
export const TaskFlag = { Chunk: 1, Spread: 2, Short: 4 } as const;

/** Flags of an answer frame. `SendAlone`: not run; send this call again on its own (see Batch). */
export const AnswerFlag = { SendAlone: 1 } as const;

export const frameHeaderBytes = 16;

/** What an OkSmall frame holds. */
export const SmallResult = { Int32: 0, Undefined: 1 } as const;

/** The `SmallResult` for a value an OkSmall frame can carry, or undefined. */
export function smallResult(value: unknown): number | undefined {
  if (value === undefined) return SmallResult.Undefined;
  return typeof value === 'number' && (value | 0) === value && !Object.is(value, -0) ? SmallResult.Int32 : undefined;
}
