// SharedMemoryManager: creates segments and ShareableLists on request and unlinks every one of them at shutdown.
import { checkObject, expected, MultiprocError } from '../errors.js';
import { ShareableList, type ShareableItem } from './shareable-list.js';
import { SharedMemory, type SharedMemoryOptions } from './shared-memory.js';

export interface SharedMemoryManagerOptions {
  /** Keep segments as files in this folder instead of /dev/shm. */
  dir?: string;
}

/**
 * Python's `SharedMemoryManager`, in-process: every segment it makes is closed and unlinked by
 * `shutdown()` (or `using`/`await using`). If the process dies first, the resource tracker unlinks them.
 * As in Python, it makes nothing before `start()` (`ERR_MP_MANAGER_NOT_STARTED`, Python's ValueError),
 * starts once (`ERR_MP_MANAGER_ALREADY_STARTED`) and nothing after `shutdown()` (`ERR_MP_MANAGER_SHUT_DOWN`):
 * `using smm = new SharedMemoryManager().start()`.
 * Python's server-backed manager, which Python's `SharedMemoryManager` clients and servers talk to, is
 * `RemoteSharedMemoryManager` (docs/managers.md); this one needs no server and answers synchronously.
 */
export class SharedMemoryManager implements AsyncDisposable, Disposable {
  readonly #options: SharedMemoryManagerOptions;
  readonly #segments = new Map<string, SharedMemory>();
  #state: 'new' | 'started' | 'shut down' = 'new';

  constructor(options: SharedMemoryManagerOptions = {}) {
    checkObject('options', options);
    if (options.dir !== undefined && typeof options.dir !== 'string') throw new TypeError(expected('dir', 'a folder path', options.dir));
    this.#options = { ...options };
  }

  /** Starts the manager. Returns `this`. */
  start(): this {
    this.#refuseShutDown();
    if (this.#state === 'started') throw new MultiprocError('ERR_MP_MANAGER_ALREADY_STARTED', 'SharedMemoryManager was started already');
    this.#state = 'started';
    return this;
  }

  /** A new segment of `size` bytes, owned by this manager: Python's `smm.SharedMemory(size)`. */
  sharedMemory(size: number, options: Pick<SharedMemoryOptions, 'name'> = {}): SharedMemory {
    checkObject('options', options);
    this.#checkStarted('sharedMemory()');
    const segmentOptions: SharedMemoryOptions = { create: true, size };
    if (options.name !== undefined) segmentOptions.name = options.name;
    if (this.#options.dir !== undefined) segmentOptions.dir = this.#options.dir;
    const segment = new SharedMemory(segmentOptions);
    this.#segments.set(segment.name, segment);
    return segment;
  }

  /** A new ShareableList of `sequence`, owned by this manager: Python's `smm.ShareableList(sequence)`. */
  shareableList<T extends ShareableItem = ShareableItem>(sequence: Iterable<NoInfer<T>>): ShareableList<T> {
    this.#checkStarted('shareableList()');
    const list = new ShareableList<T>(sequence, this.#options.dir === undefined ? {} : { dir: this.#options.dir });
    this.#segments.set(list.shm.name, list.shm);
    return list;
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

  #checkStarted(what: string): void {
    this.#refuseShutDown();
    // Python's manager has no server address before start() and raises ValueError from its Client.
    if (this.#state === 'new') throw new MultiprocError('ERR_MP_MANAGER_NOT_STARTED', `SharedMemoryManager.${what} needs start() first`);
  }

  #refuseShutDown(): void {
    if (this.#state === 'shut down') throw new MultiprocError('ERR_MP_MANAGER_SHUT_DOWN', 'SharedMemoryManager was shut down; create a new one');
  }

  [Symbol.dispose](): void {
    this.shutdown();
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.shutdown();
    return Promise.resolve();
  }
}
