// ObjectStore: objects put once in shared memory, each named by an ObjectRef that every worker reads in place.
import { inspectCustom } from '../builtins.js';
import { checkObject, expected } from '../errors.js';
import { posixShmDir, resolveDir } from '../shm/location.js';
import { SharedMemory } from '../shm/shared-memory.js';
import { adopt, controlWords, forget, releaseCounter, slotsPerPage, type RefData } from './attachments.js';
import { StoreClosedError } from './errors.js';
import { planOf } from './layout.js';
import { ObjectRef, setOwner } from './object-ref.js';

export interface ObjectStoreOptions {
  /**
   * Keep the segments in this folder instead of /dev/shm (also: $MULTIPROC_SHM_DIR). Workers attach only
   * in their own segment folder: give them the same $MULTIPROC_SHM_DIR (a pool's `env`).
   */
  dir?: string;
}

/** A snapshot of what a store holds. */
export interface StoreStats {
  /** Objects put and not released. */
  objects: number;
  /** Bytes of their data in shared memory. */
  bytes: number;
  /** Segments the store holds: one per object, and its control pages (one per 1023 objects). */
  segments: number;
}

interface Stored {
  readonly data: RefData;
  readonly shm: SharedMemory;
  readonly page: ControlPage;
  readonly bytes: number;
}

interface ControlPage {
  readonly shm: SharedMemory;
  readonly words: Int32Array;
  readonly free: number[];
}

/** A ref dropped without release: the object goes with it (the store's backstop; `release()` is the way). */
const dropped = new FinalizationRegistry<{ store: WeakRef<ObjectStore>; id: string }>(({ store, id }) => store.deref()?.release(id));

/**
 * Objects in shared memory, put once and read in place by every worker, thread or process. `put(value)`
 * copies the value into a segment of its own and returns an `ObjectRef`; `release()` on the ref (or
 * `close()` here, for all of them) unlinks the segment. Segments are registered with the resource tracker,
 * so they go when this process dies.
 */
export class ObjectStore implements Disposable {
  readonly #dir: string | undefined;
  readonly #objects = new Map<string, Stored>();
  readonly #pages: ControlPage[] = [];
  #generation = 0;
  #closed = false;
  readonly #self = new WeakRef(this);
  readonly #owner = { release: (id: string): void => this.release(id) };

  constructor(options: ObjectStoreOptions = {}) {
    checkObject('options', options);
    if (options.dir !== undefined && typeof options.dir !== 'string') throw new TypeError(expected('dir', 'a folder path', options.dir));
    this.#dir = resolveDir(options.dir);
  }

  /**
   * Puts `value` in shared memory once. Typed arrays, Buffers, ArrayBuffers and the typed arrays inside
   * plain objects and arrays are copied into the segment as they are (64-byte aligned) and read as views on
   * it; anything else the codec can send is encoded once and decoded once per reading thread. Throws
   * `ERR_MP_SHM_NO_SPACE` when the segment folder has no room, and what the codec throws for a value that
   * cannot travel.
   */
  put<T>(value: T): ObjectRef<T> {
    if (this.#closed) throw new StoreClosedError('this ObjectStore');
    const plan = planOf(value);
    const page = this.#page();
    const dir = this.#dir === undefined ? {} : { dir: this.#dir };
    const shm = SharedMemory.createShared(Math.max(plan.size, 1), dir);
    let slot: number;
    try {
      plan.fill(new Uint8Array(shm.buf));
      slot = page.free.pop()!;
    } catch (error) {
      shm.close();
      shm.unlink();
      throw error;
    }
    this.#generation = this.#generation >= 0x7fffffff ? 1 : this.#generation + 1;
    const generation = this.#generation;
    const data: RefData = {
      id: `${page.shm.name}.${slot}.${generation}`,
      control: page.shm.name, slot, generation, segment: shm.name, size: shm.size, layout: plan.layout,
      ...(shm.dir === posixShmDir ? {} : { dir: shm.dir }),
    };
    Atomics.store(page.words, slot, generation);
    this.#objects.set(data.id, { data, shm, page, bytes: plan.bytes });
    adopt(data, shm, page.words);
    setOwner(data.id, this.#owner);
    const ref = new ObjectRef<T>(data);
    dropped.register(ref, { store: this.#self, id: data.id }, ref);
    return ref;
  }

  /** Frees the object `ref` names everywhere (as `ref.release()`). Releasing twice is harmless. */
  release(ref: ObjectRef | string): void {
    const id = typeof ref === 'string' ? ref : ref.id;
    const stored = this.#objects.get(id);
    if (stored === undefined) return;
    this.#objects.delete(id);
    // The word first: a worker that looks from now on sees the object gone, before its name is.
    Atomics.store(stored.page.words, stored.data.slot, 0);
    // Then the page's release count, which tells other threads' sweeps to look at this page's objects.
    Atomics.add(stored.page.words, releaseCounter, 1);
    stored.page.free.push(stored.data.slot);
    forget(id);
    setOwner(id, undefined);
    stored.shm.close();
    stored.shm.unlink();
  }

  /** Whether `ref` names a live object of this store. */
  has(ref: ObjectRef): boolean {
    return ref instanceof ObjectRef && this.#objects.has(ref.id);
  }

  stats(): StoreStats {
    let bytes = 0;
    for (const stored of this.#objects.values()) bytes += stored.bytes;
    return { objects: this.#objects.size, bytes, segments: this.#objects.size + this.#pages.length };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Releases every object and the control pages; `put` then throws `ERR_MP_STORE_CLOSED`. Closing twice is harmless. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const id of [...this.#objects.keys()]) this.release(id);
    for (const page of this.#pages.splice(0)) {
      page.shm.close();
      page.shm.unlink();
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  [inspectCustom](): string {
    const { objects, bytes } = this.stats();
    return `ObjectStore(${objects} objects, ${bytes} bytes${this.#closed ? ', closed' : ''})`;
  }

  /** A control page with a free word, made when every page is full. */
  #page(): ControlPage {
    const open = this.#pages.find((page) => page.free.length > 0);
    if (open !== undefined) return open;
    const shm = SharedMemory.createShared(controlWords * 4, this.#dir === undefined ? {} : { dir: this.#dir });
    const page: ControlPage = { shm, words: new Int32Array(shm.buf, 0, controlWords), free: [] };
    for (let slot = slotsPerPage - 1; slot >= 0; slot--) page.free.push(slot);
    this.#pages.push(page);
    return page;
  }
}
