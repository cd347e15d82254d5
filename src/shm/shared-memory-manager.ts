// SharedMemoryManager: creates segments on request and unlinks every one of them at shutdown.
import { MultiprocError } from '../errors.js';
import { SharedMemory, type SharedMemoryOptions } from './shared-memory.js';

export interface SharedMemoryManagerOptions {
  /** Keep segments as files in this folder instead of /dev/shm. */
  dir?: string;
}

/**
 * Python's `SharedMemoryManager`, in-process: every segment it makes is closed and unlinked by
 * `shutdown()` (or `await using`). If the process dies first, the resource tracker unlinks them.
 */
export class SharedMemoryManager implements AsyncDisposable, Disposable {
  readonly #options: SharedMemoryManagerOptions;
  readonly #segments = new Map<string, SharedMemory>();
  #state: 'new' | 'started' | 'shut down' = 'new';

  constructor(options: SharedMemoryManagerOptions = {}) {
    this.#options = options;
  }

  /** Starts the manager (kept for Python parity; `sharedMemory()` starts it too). Returns `this`. */
  start(): this {
    if (this.#state === 'shut down') throw new MultiprocError('ERR_MP_MANAGER_SHUT_DOWN', 'SharedMemoryManager was shut down; create a new one');
    this.#state = 'started';
    return this;
  }

  /** A new segment of `size` bytes, owned by this manager. */
  sharedMemory(size: number, options: Pick<SharedMemoryOptions, 'name'> = {}): SharedMemory {
    this.start();
    const segmentOptions: SharedMemoryOptions = { create: true, size };
    if (options.name !== undefined) segmentOptions.name = options.name;
    if (this.#options.dir !== undefined) segmentOptions.dir = this.#options.dir;
    const segment = new SharedMemory(segmentOptions);
    this.#segments.set(segment.name, segment);
    return segment;
  }

  /** Names of the segments this manager owns. */
  listSegments(): string[] {
    return [...this.#segments.keys()];
  }

  /** Closes and unlinks every segment this manager made. Idempotent. */
  shutdown(): void {
    const errors: unknown[] = [];
    for (const segment of this.#segments.values()) {
      segment.close();
      try {
        segment.unlink();
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'ERR_MP_SHM_NOT_FOUND') errors.push(error);
      }
    }
    this.#segments.clear();
    this.#state = 'shut down';
    if (errors.length > 0) throw new AggregateError(errors, 'SharedMemoryManager could not unlink every segment');
  }

  [Symbol.dispose](): void {
    this.shutdown();
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.shutdown();
    return Promise.resolve();
  }
}
