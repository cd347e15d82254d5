// SharedMemory: a named segment mapped as a real SharedArrayBuffer, with Python's names and semantics.
import { inspectCustom } from '../builtins.js';
import { checkBoolean, checkObject, expected } from '../errors.js';
import { isNativeSystemError, native, OpenFlags, OpenMode } from '../native/binding.js';
import {
  SharedMemoryClosedError,
  SharedMemoryError,
  SharedMemoryExistsError,
  SharedMemoryNoSpaceError,
  SharedMemoryNotFoundError,
  systemDetails,
} from './errors.js';
import { folderSpace, formatBytes, noSpaceRemedy } from './free-space.js';
import { locate, posixShmDir, randomName, resolveDir, validateName, validateSize, type SegmentLocation } from './location.js';
import { removeRecord, writeRecord } from './owner-records.js';
import { registerSegment, unregisterSegment } from './tracker-client.js';
import { registerBuiltinHandle } from '../serialize/builtin-handles.js';

export interface SharedMemoryOptions {
  /** The segment's name (no leading slash). Generated as `psm_xxxxxxxx` when creating without one. */
  name?: string;
  /** Create the segment (exclusively, as Python does) instead of attaching to an existing one. @default false */
  create?: boolean;
  /** Bytes, when creating. Ignored when attaching: the segment's own size is used. */
  size?: number;
  /** With `create`, attach instead of failing when the name exists. @default false */
  openExisting?: boolean;
  /** Keep segments as files in this folder instead of /dev/shm (also: $MULTIPROC_SHM_DIR). */
  dir?: string;
  /**
   * Register a created segment with the resource tracker, which unlinks it if this process dies
   * without unlinking it. @default true
   */
  track?: boolean;
}

const retriesForFreshName = 100;

/** The native open flags, an option only this module's shared opens (below) can pass. */
const openFlags = Symbol('openFlags');
type InternalOptions = SharedMemoryOptions & { [openFlags]?: number };

function noSpaceAdvice(location: SegmentLocation, size: number): string {
  const space = folderSpace(location.dir);
  const free = space === undefined ? '' : ` (${formatBytes(space.free)} free of ${formatBytes(space.total)})`;
  return `Not enough space in ${location.dir} for the ${formatBytes(size)} shared memory segment '${location.name}'${free}. ` +
    noSpaceRemedy('dir');
}

function translate(error: unknown, location: SegmentLocation, size: number): unknown {
  if (!isNativeSystemError(error)) return error;
  const details = systemDetails(error);
  switch (error.code) {
    case 'ENOENT':
      return new SharedMemoryNotFoundError(`No shared memory segment named '${location.name}' in ${location.dir}`, details);
    case 'EEXIST':
      return new SharedMemoryExistsError(`A shared memory segment named '${location.name}' already exists in ${location.dir}`, details);
    case 'ENOSPC':
    case 'ENOMEM':
      return new SharedMemoryNoSpaceError(noSpaceAdvice(location, size), details);
    case 'EINVAL':
      if (error.syscall.startsWith('mmap (empty')) {
        return new SharedMemoryError('ERR_MP_SHM_EMPTY', `Shared memory segment '${location.name}' is empty (0 bytes); there is nothing to map`, details);
      }
      break;
    case 'EACCES':
    case 'EPERM':
      return new SharedMemoryError('ERR_MP_SHM_ACCESS', `Permission denied for shared memory segment '${location.name}' (segments are 0600: same user only)`, details);
  }
  return new SharedMemoryError('ERR_MP_SHM_SYSTEM', `${error.syscall} failed for shared memory segment '${location.name}': ${error.message}`, details);
}

/**
 * A named shared-memory segment, as Python's `multiprocessing.shared_memory.SharedMemory`: the same
 * name opens the same memory from another Node process, a worker thread or Python.
 *
 * `close()` releases this handle (its `buf` then reads as zeros, never a crash); `unlink()` removes the
 * name everywhere. Posting `buf` to a worker thread shares it without a copy.
 */
export class SharedMemory implements Disposable {
  readonly #location: SegmentLocation;
  readonly #size: number;
  readonly #id: number;
  readonly #created: boolean;
  readonly #tracked: boolean;
  #buffer: SharedArrayBuffer | undefined;
  #unlinked = false;

  /** Creates a new segment of `size` bytes (exclusively). */
  static create(size: number, options: Omit<SharedMemoryOptions, 'create' | 'size'> = {}): SharedMemory {
    checkObject('options', options);
    return new SharedMemory({ ...options, create: true, size });
  }

  /** Attaches to an existing segment by name. */
  static attach(name: string, options: Pick<SharedMemoryOptions, 'dir'> = {}): SharedMemory {
    checkObject('options', options);
    validateName(name);
    return new SharedMemory({ ...options, name });
  }

  /**
   * @internal For the object store: `create`, with the mapping listed process-wide so that `attachShared` of
   * the segment in any thread of this process reuses it.
   */
  static createShared(size: number, options: Pick<SharedMemoryOptions, 'dir'> = {}): SharedMemory {
    checkObject('options', options);
    return new SharedMemory({ ...options, create: true, size, [openFlags]: OpenFlags.Share } as InternalOptions);
  }

  /**
   * @internal For the object store: `attach` a segment whose creator reserved every page (so no
   * `posix_fallocate`), sharing this process's mapping of it when there is one. Until the last handle in
   * the process closes, a closed handle's buffer still reads the segment. The caller closes the handle
   * explicitly, so its bytes are not reported to the garbage collector.
   */
  static attachShared(name: string, options: Pick<SharedMemoryOptions, 'dir'> = {}): SharedMemory {
    checkObject('options', options);
    validateName(name);
    return new SharedMemory({ ...options, name, [openFlags]: OpenFlags.Share | OpenFlags.Reserved | OpenFlags.Unreported } as InternalOptions);
  }

  constructor(options: SharedMemoryOptions = {}) {
    checkObject('options', options);
    for (const flag of ['create', 'openExisting', 'track'] as const) checkBoolean(flag, options[flag]);
    if (options.dir !== undefined && typeof options.dir !== 'string') throw new TypeError(expected('dir', 'a folder path', options.dir));
    const create = options.create ?? false;
    if (!create && options.name === undefined) throw new TypeError(expected('name', 'a segment name when attaching (or pass `create: true`)', options.name));
    if (create) validateSize(options.size);
    const size = create ? (options.size as number) : 0;
    const mode = !create ? OpenMode.Attach : options.openExisting === true ? OpenMode.Create : OpenMode.CreateExclusive;
    const binding = native();
    const flags = (options as InternalOptions)[openFlags] ?? OpenFlags.None;

    for (let attempt = 0; ; attempt++) {
      const location = locate(options.name ?? randomName(), options.dir);
      try {
        const opened = binding.open(location.path, location.shm, mode, size, flags);
        this.#location = location;
        this.#size = opened.size;
        this.#id = opened.id;
        this.#buffer = opened.buffer;
        this.#created = opened.created;
        break;
      } catch (error) {
        const fresh = options.name === undefined && isNativeSystemError(error) && error.code === 'EEXIST';
        if (fresh && attempt < retriesForFreshName) continue;
        throw translate(error, location, size);
      }
    }
    // The owner record (for `multiproc shm ls|gc`) is written for every created segment; only tracked
    // ones are also unlinked by the resource tracker when this process dies.
    if (this.#created) {
      try {
        writeRecord(this.#location, this.#size);
      } catch (error) {
        native().close(this.#id);
        native().unlink(this.#location.path, this.#location.shm);
        throw new SharedMemoryError('ERR_MP_SHM_SYSTEM', `Cannot record the owner of segment '${this.#location.name}' (so it was removed again): ${String(error)}`, { cause: error });
      }
    }
    this.#tracked = this.#created && options.track !== false;
    if (this.#tracked) registerSegment(this.#location);
  }

  /** The name other processes attach with (no leading slash). */
  get name(): string {
    return this.#location.name;
  }

  /** Bytes in the segment: exactly the size it was created with. */
  get size(): number {
    return this.#size;
  }

  /** The segment's memory. Throws `ERR_MP_SHM_CLOSED` after `close()`. */
  get buf(): SharedArrayBuffer {
    if (this.#buffer === undefined) throw new SharedMemoryClosedError(this.#location.name);
    return this.#buffer;
  }

  get closed(): boolean {
    return this.#buffer === undefined;
  }

  /** Whether this handle created the segment (rather than attached to it). */
  get created(): boolean {
    return this.#created;
  }

  /** The folder the segment lives in (/dev/shm unless `dir` was given). */
  get dir(): string {
    return this.#location.dir;
  }

  /**
   * Releases this handle's mapping now instead of at garbage collection. Buffers taken from `buf`
   * stay usable but no longer reach the segment (they read zeros). Closing twice is harmless.
   */
  close(): void {
    if (this.#buffer === undefined) return;
    this.#buffer = undefined;
    native().close(this.#id);
  }

  /** Removes the name, everywhere. Existing mappings stay valid; new attaches fail with `ERR_MP_SHM_NOT_FOUND`. */
  unlink(): void {
    try {
      native().unlink(this.#location.path, this.#location.shm);
    } catch (error) {
      throw translate(error, this.#location, this.#size);
    }
    removeRecord(this.#location);
    if (this.#tracked && !this.#unlinked) unregisterSegment(this.#location);
    this.#unlinked = true;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  [inspectCustom](): string {
    return `SharedMemory('${this.#location.name}', size=${this.#size}${this.closed ? ', closed' : ''})`;
  }
}

interface SharedMemoryRef {
  name: string;
  dir?: string;
}

// SharedMemory travels by name: the receiver attaches to the same segment, nothing is copied.
registerBuiltinHandle<SharedMemory>({
  name: 'SharedMemory',
  type: SharedMemory,
  toRef(shm): SharedMemoryRef {
    return shm.dir === posixShmDir ? { name: shm.name } : { name: shm.name, dir: shm.dir };
  },
  fromRef(ref) {
    const { name, dir } = (typeof ref === 'object' && ref !== null ? ref : {}) as Partial<SharedMemoryRef>;
    if (typeof name !== 'string') throw new TypeError(expected('ref.name', 'a segment name', name));
    if (dir === undefined) return SharedMemory.attach(name);
    // Data from elsewhere must not make this side map arbitrary files: a folder other than /dev/shm is
    // accepted only when it is this side's own segment folder ($MULTIPROC_SHM_DIR) too.
    if (typeof dir !== 'string' || dir !== resolveDir(undefined)) {
      throw new RangeError(expected('ref.dir', "this process's segment folder ($MULTIPROC_SHM_DIR)", dir));
    }
    return SharedMemory.attach(name, { dir });
  },
});
