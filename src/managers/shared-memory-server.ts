// Python's SharedMemoryServer: the segment names a manager server tracks, its three extra functions, and the unlinking at shutdown.
import { PythonError } from '../pickle/python-error.js';
import { SharedMemoryNotFoundError } from '../shm/errors.js';
import { validateName } from '../shm/location.js';
import { SharedMemory } from '../shm/shared-memory.js';
import type { ServerExtension } from './server.js';

/** Python's public functions of a SharedMemoryServer beyond a plain server's. */
export const segmentFunctions = ['track_segment', 'release_segment', 'list_segments'] as const;

/**
 * Python's `_SharedMemoryTracker`: the names of the segments clients asked the server to look after. The server
 * never made them (clients create their segments themselves, then send `track_segment`); it unlinks each one on
 * `release_segment` and all of them when it shuts down.
 */
export class SegmentTracker {
  readonly #names: string[] = [];
  readonly #dir: string | undefined;

  constructor(dir?: string) {
    this.#dir = dir;
  }

  /** The tracked names, in the order they were tracked (a name tracked twice appears twice, as in Python). */
  get names(): readonly string[] {
    return [...this.#names];
  }

  /** `track_segment(name)`. The name is checked (no `/`, printable ASCII) so unlinking it can only reach a segment. */
  register(name: unknown): void {
    try {
      validateName(name);
    } catch (error) {
      throw new PythonError('builtins', 'ValueError', [`not a segment name: ${(error as Error).message}`]);
    }
    this.#names.push(name);
  }

  /** `release_segment(name)`: forgets the name, then attaches, closes and unlinks the segment (Python's order). */
  destroy(name: unknown): void {
    const at = typeof name === 'string' ? this.#names.indexOf(name) : -1;
    if (at < 0) throw new PythonError('builtins', 'ValueError', ['list.remove(x): x not in list']);
    this.#names.splice(at, 1);
    const segment = SharedMemory.attach(name as string, this.#dir === undefined ? {} : { dir: this.#dir });
    segment.close();
    segment.unlink();
  }

  /**
   * Unlinks every tracked segment. One already gone (its creator's resource tracker unlinked it when the creator
   * died) is no error: the point was that it should not outlive the server, and it does not.
   */
  unlinkAll(): void {
    const errors: unknown[] = [];
    for (const name of [...this.#names]) {
      try {
        this.destroy(name);
      } catch (error) {
        if (!(error instanceof SharedMemoryNotFoundError)) errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'the manager server could not unlink every tracked segment');
  }
}

/** What a manager server adds to be a SharedMemoryServer: `track_segment`, `release_segment`, `list_segments`, unlinking at shutdown. */
export function segmentServerExtension(tracker: SegmentTracker): ServerExtension {
  return {
    functions: new Map<string, (...args: unknown[]) => unknown>([
      ['track_segment', (...args) => {
        if (args.length !== 1) throw new PythonError('builtins', 'TypeError', [`track_segment() takes 1 argument (${args.length} given)`]);
        tracker.register(args[0]);
        return null;
      }],
      ['release_segment', (...args) => {
        if (args.length !== 1) throw new PythonError('builtins', 'TypeError', [`release_segment() takes 1 argument (${args.length} given)`]);
        try {
          tracker.destroy(args[0]);
        } catch (error) {
          // Python's SharedMemory(name) raises FileNotFoundError for a segment that is gone.
          if (error instanceof SharedMemoryNotFoundError) throw new PythonError('builtins', 'FileNotFoundError', [error.message]);
          throw error;
        }
        return null;
      }],
      // Python returns its list itself; a list pickles the same from either.
      ['list_segments', () => [...tracker.names]],
    ]),
    shutdown: () => tracker.unlinkAll(),
  };
}
