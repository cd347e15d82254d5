// A pool worker as the pool sees it, whichever the backend (thread.ts, process.ts; start.ts starts one).
import type { FromWorker, ToWorker } from '../wire/protocol.js';
import type { WordWaiter } from '../wire/word-waiter.js';

export type BackendName = 'thread' | 'process';

export interface ExitInfo {
  /** Exit code, or null when a signal ended a process. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** An uncaught error the worker reported (threads report it; processes print it on stderr). */
  error?: unknown;
}

export interface BackendWorkerOptions {
  index: number;
  /** Bytes of the shared-memory channel. */
  channelBytes: number;
  execArgv: readonly string[] | undefined;
  env: Readonly<Record<string, string | undefined>> | undefined;
  resourceLimits: ResourceLimits | undefined;
}

/** Heap limits of a worker (threads: worker_threads resourceLimits; processes: --max-old-space-size and friends). */
export interface ResourceLimits {
  maxOldGenerationSizeMb?: number;
  maxYoungGenerationSizeMb?: number;
  codeRangeSizeMb?: number;
  stackSizeMb?: number;
}

/** One running worker, thread or process, as the pool sees it. */
export interface BackendWorker {
  readonly channel: SharedArrayBuffer;
  readonly ops: WordWaiter;
  /** Whether buffers posted with a transfer list move to the worker (leaving this side's copy detached). */
  readonly movesBuffers: boolean;
  /** Sends a control message; `init` must be the first. */
  post(message: ToWorker, transfer?: readonly ArrayBuffer[]): void;
  onMessage(listener: (message: FromWorker) => void): void;
  /** Called once, when the worker is gone. */
  onExit(listener: (info: ExitInfo) => void): void;
  /** Stops it now (worker.terminate() / SIGKILL). */
  kill(): void;
  /** Whether an idle worker keeps the parent's event loop alive. */
  ref(keep: boolean): void;
  /** Value for the init message's `channel` (the buffer itself, or a segment name the worker attaches). */
  readonly channelRef: SharedArrayBuffer | string;
  /** Called once the worker attached the channel. */
  attached(): void;
}
