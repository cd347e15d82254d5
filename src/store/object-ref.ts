// ObjectRef: a reference to an object put in shared memory once; it travels by reference and each thread
// that reads it materialises the object once.
import { inspectCustom } from '../builtins.js';
import { checkObject, checkBoolean } from '../errors.js';
import { refHandle, registerBuiltinHandle } from '../serialize/builtin-handles.js';
import { DecodeError } from '../serialize/errors.js';
import type { ArrowColumnDescription } from './arrow-layout.js';
import { bufferOf, checkRefData, detach, isLive, valueOf, valueOfAsync, type RefData } from './attachments.js';
import { StoreReleasedError } from './errors.js';
import { columnsOf, slotsOf } from './layout.js';
import { numpyDtypes, type ArrayDescription, type ViewType } from './views.js';

export type { ArrayDescription } from './views.js';

export interface GetOptions {
  /** A private copy instead of the shared object (views on the same pages, or this thread's one decoded value). @default false */
  copy?: boolean;
}

/** Where a stored object lies: `numpy.ndarray(shape, dtype, buffer=SharedMemory(segment).buf, offset=offset)`. */
export interface RefDescription {
  id: string;
  /** The segment's name (no leading slash), as Python's `SharedMemory(name)` takes it. */
  segment: string;
  /** The folder the segment is in. */
  dir: string;
  /** Bytes in the segment. */
  size: number;
  /**
   * `view`: one typed array; `buffer`: raw bytes; `tree`: objects around typed arrays; `encoded`: the codec's
   * bytes; `arrow`: an apache-arrow Table, RecordBatch or Vector.
   */
  kind: 'view' | 'buffer' | 'tree' | 'encoded' | 'arrow';
  /**
   * The typed arrays in it, in the order they were found (depth first; for Arrow, every buffer of every
   * column); empty for `buffer` and `encoded`.
   */
  arrays: ArrayDescription[];
  /** For an Arrow value: each column's buffers (values, validity, offsets, dictionary) with numpy's dtypes. */
  columns?: ArrowColumnDescription[];
  /** For a single typed array: the same as `arrays[0]`, at the top. */
  dtype?: string;
  shape?: [number];
  offset?: number;
  type?: ViewType;
}

/** What frees an object everywhere: its store, in the thread that put it. */
export interface RefOwner {
  release(id: string): void;
}

/** The stores of this thread, by object id, so that a ref decoded here (one that came back from a worker) can release. */
const owners = new Map<string, RefOwner>();

/** Records (or, with undefined, forgets) the store that owns object `id` in this thread. */
export function setOwner(id: string, owner: RefOwner | undefined): void {
  if (owner === undefined) owners.delete(id);
  else owners.set(id, owner);
}

/**
 * A reference to an object in an `ObjectStore` (`store.put(value)` or `pool.put(value)`). Send it anywhere a
 * value can go (task arguments, queues, pipes, a Process's args): only the reference travels. As a task's
 * argument it arrives as the object itself; nested in an argument, or through a queue, it arrives as a ref:
 * read it with `get()` or `getSync()`. Typed arrays, buffers and the typed arrays inside plain objects are
 * views on the same shared pages everywhere: writes are seen by every reader. Other values are decoded once
 * per thread. The ref a `put` returned frees the object with `release()` (or at the end of a `using` block).
 */
export class ObjectRef<T = unknown> implements Disposable {
  readonly #data: RefData;
  /** @internal Made by `ObjectStore.put` and by decoding; not meant to be called directly. */
  constructor(data: RefData) {
    this.#data = data;
  }

  /** Unique for the object's life. */
  get id(): string {
    return this.#data.id;
  }

  /** Whether the object was released (its memory is gone). */
  get released(): boolean {
    return !isLive(this.#data);
  }

  /**
   * The object, materialised once in this thread. The modules of classes in an encoded value that are not
   * loaded yet are loaded now, synchronously, where Node can (20.19+, 22.12+, a module without top-level
   * await). Throws `ERR_MP_STORE_RELEASED` once released, and `ERR_MP_DECODE_NEEDS_IMPORT` when such a
   * module can only be imported asynchronously (then use `get`).
   */
  getSync(options: GetOptions = {}): T {
    checkObject('options', options);
    checkBoolean('copy', options.copy);
    try {
      return valueOf(this.#data, options.copy === true) as T;
    } catch (error) {
      if (!(error instanceof DecodeError) || error.code !== 'ERR_MP_DECODE_NEEDS_IMPORT') throw error;
      throw new DecodeError('ERR_MP_DECODE_NEEDS_IMPORT', `ref.getSync() cannot load module ${error.moduleUrl ?? '(unknown)'} synchronously here ` +
        '(Node before 20.19, or a module with top-level await): use await ref.get(), which imports it', { cause: error, ...(error.moduleUrl === undefined ? {} : { moduleUrl: error.moduleUrl }) });
    }
  }

  /** The object, as `getSync`; also imports the (trusted) modules of classes in an encoded value on first sight. */
  async get(options: GetOptions = {}): Promise<T> {
    checkObject('options', options);
    checkBoolean('copy', options.copy);
    return await valueOfAsync(this.#data, options.copy === true) as T;
  }

  /** Where the object lies, so another reader (numpy) can map the same memory. */
  describe(): RefDescription {
    const { id, segment, size, layout } = this.#data;
    const buffer = bufferOf(this.#data);
    const arrays = slotsOf(buffer, layout).map((slot): ArrayDescription => ({
      type: slot.type, dtype: numpyDtypes[slot.type], shape: [slot.length], offset: slot.offset,
    }));
    const description: RefDescription = { id, segment, dir: this.#data.dir ?? '/dev/shm', size, kind: layout.kind, arrays };
    const columns = columnsOf(buffer, layout);
    if (columns !== undefined) description.columns = columns;
    const only = layout.kind === 'view' ? arrays[0] : undefined;
    return only === undefined ? description : { ...description, ...only };
  }

  /**
   * In the thread whose store put the object: frees it everywhere (workers drop their copies on their next
   * look; new tasks naming it fail with `ERR_MP_STORE_RELEASED`). Elsewhere: drops this thread's copy only.
   * Releasing twice is harmless.
   */
  release(): void {
    const owner = owners.get(this.#data.id);
    if (owner !== undefined) owner.release(this.#data.id);
    else detach(this.#data.id);
  }

  [Symbol.dispose](): void {
    this.release();
  }

  /** @internal The data the codec sends. */
  toRef(): RefData {
    return this.#data;
  }

  /** @internal This ref as a task argument: it arrives as the object. */
  asArgument(): ObjectRefArgument {
    if (!isLive(this.#data)) throw new StoreReleasedError(this.#data.id);
    return new ObjectRefArgument(this.#data);
  }

  [inspectCustom](): string {
    return `ObjectRef(${this.#data.id}, ${this.#data.layout.kind}, ${this.#data.size} bytes${isLive(this.#data) ? '' : ', released'})`;
  }
}

/** A call's arguments where each may also be a ref to its value (a ref at the top arrives as its object). */
export type OrRefs<P extends readonly unknown[]> = { [K in keyof P]: P[K] | ObjectRef<P[K]> };

/** A ref at the top of a task's arguments: travels as the ref, and is decoded as the object itself. */
export class ObjectRefArgument {
  readonly #data: RefData;

  constructor(data: RefData) {
    this.#data = data;
  }

  toRef(): RefData {
    return this.#data;
  }
}

/** The arguments of one call with each ref among them (not inside them) sent as its object; `args` itself when there is none. */
export function refsAsValues(args: readonly unknown[]): readonly unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    // `typeof` first: a map's chunk is mostly numbers and strings, for which `instanceof` still looks up the
    // class's Symbol.hasInstance; with it a B1 map took 17 ms instead of 12 (the pool thread's busiest line).
    if (typeof arg === 'object' && arg !== null && arg instanceof ObjectRef) (out ??= args.slice())[i] = arg.asArgument();
  }
  return out ?? args;
}

registerBuiltinHandle(refHandle('multiproc.ObjectRef', ObjectRef, (data: unknown) => new ObjectRef(checkRefData(data))));
// The decoder puts whatever `fromRef` returns in the argument's place: here, the object rather than a handle.
registerBuiltinHandle<ObjectRefArgument>({
  name: 'multiproc.ObjectRef.value',
  type: ObjectRefArgument,
  toRef: (argument) => argument.toRef(),
  fromRef: (data) => valueOf(checkRefData(data)) as ObjectRefArgument,
});
