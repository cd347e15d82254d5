// RemoteSharedMemoryManager: Python's SharedMemoryManager, a manager whose server tracks the segments its clients make.
import { expected } from '../errors.js';
import { SharedMemoryNotFoundError } from '../shm/errors.js';
import { ShareableList, type ShareableItem } from '../shm/shareable-list.js';
import { SharedMemory } from '../shm/shared-memory.js';
import { BaseManager, type ManagerOptions } from './manager.js';
import type { ServerExtension } from './server.js';
import { segmentServerExtension, SegmentTracker } from './shared-memory-server.js';

export interface RemoteSharedMemoryManagerOptions extends ManagerOptions {
  /** Keep this side's segments as files in this folder instead of /dev/shm (the server must be given the same). */
  dir?: string;
}

/**
 * Python's `multiprocessing.managers.SharedMemoryManager`. Its server (`getServer()`, or `start()` in a child
 * process) is Python's SharedMemoryServer: besides a manager's functions it answers `track_segment`,
 * `release_segment` and `list_segments`, and unlinks every tracked segment when it shuts down. As in Python,
 * `sharedMemory(size)` and `shareableList(seq)` create the segment in this process and then ask the server to
 * track it, so Python's SharedMemoryManager may serve this client and this server may serve Python's.
 * A segment also stays registered with this process's resource tracker, so one this process made is unlinked
 * even if the server never shuts down cleanly.
 */
export class RemoteSharedMemoryManager extends BaseManager {
  readonly #dir: string | undefined;

  constructor(options: RemoteSharedMemoryManagerOptions) {
    super(options);
    if (options.dir !== undefined && typeof options.dir !== 'string') throw new TypeError(expected('dir', 'a folder path', options.dir));
    this.#dir = options.dir;
  }

  /** A new segment of `size` bytes, tracked by the server: Python's `smm.SharedMemory(size)`. */
  async sharedMemory(size: number): Promise<SharedMemory> {
    const segment = SharedMemory.create(size, this.#dir === undefined ? {} : { dir: this.#dir });
    await this.#track(segment);
    return segment;
  }

  /** A new ShareableList of `sequence`, tracked by the server: Python's `smm.ShareableList(sequence)`. */
  async shareableList<T extends ShareableItem = ShareableItem>(sequence: Iterable<NoInfer<T>>): Promise<ShareableList<T>> {
    const list = new ShareableList<T>(sequence, this.#dir === undefined ? {} : { dir: this.#dir });
    await this.#track(list.shm);
    return list;
  }

  /** The names the server tracks (`list_segments`). */
  async listSegments(): Promise<string[]> {
    const names = await this.dispatch('list_segments');
    if (!Array.isArray(names) || !names.every((name) => typeof name === 'string')) throw new TypeError(expected('list_segments reply', 'a list of names', names));
    return names;
  }

  /** Asks the server to track a segment made elsewhere (`track_segment`). */
  async trackSegment(name: string): Promise<void> {
    if (typeof name !== 'string') throw new TypeError(expected('name', 'a segment name', name));
    await this.dispatch('track_segment', [name]);
  }

  /** Asks the server to forget and unlink one segment now (`release_segment`). */
  async releaseSegment(name: string): Promise<void> {
    if (typeof name !== 'string') throw new TypeError(expected('name', 'a segment name', name));
    await this.dispatch('release_segment', [name]);
  }

  async #track(segment: SharedMemory): Promise<void> {
    try {
      await this.dispatch('track_segment', [segment.name]);
    } catch (error) {
      // As Python: a segment the server will not look after is not left behind.
      segment.close();
      try {
        segment.unlink();
      } catch (unlinkError) {
        if (!(unlinkError instanceof SharedMemoryNotFoundError)) throw new AggregateError([error, unlinkError], 'could not track the segment nor unlink it');
      }
      throw error;
    }
  }

  protected override serverExtension(): ServerExtension {
    return segmentServerExtension(new SegmentTracker(this.#dir));
  }

  protected override childExportName(): string {
    return 'RemoteSharedMemoryManager';
  }

  protected override childOptions(): Record<string, unknown> {
    return this.#dir === undefined ? {} : { dir: this.#dir };
  }
}
