// What RawValue, RawArray, Value and Array share: a segment holding an optional RLock/Lock and then the
// data, a typed-array view of the data, and travel by reference (segment name, typecode, length, lock).
import { expected } from '../errors.js';
import { SyncStateError } from '../sync/errors.js';
import type { LockGuard } from '../sync/lock-base.js';
import { Lock } from '../sync/lock.js';
import type { PrimitiveRef } from '../sync/primitive.js';
import { bodyOffset, Kind, Region, type RegionRef } from '../sync/region.js';
import { RLock } from '../sync/rlock.js';
import type { WaitOptions } from '../sync/wait.js';
import { checkTypecode, itemSize, viewOf, type Typecode, type TypedArrayOf } from './typecodes.js';

/** Bytes before the data: room for the embedded RLock, keeping the data 8-aligned. */
const lockArea = 32;
const dataOffset = bodyOffset + lockArea;

export interface SynchronizedOptions {
  /**
   * `true`: a new RLock of its own (Python's default); a `Lock`/`RLock`: use that one; `false`: no lock,
   * the raw form. @default true
   */
  lock?: boolean | Lock | RLock;
}

export interface CtypeRef extends RegionRef {
  kind: typeof Kind.Value | typeof Kind.Array;
  typecode: Typecode;
  length: number;
  lock: { ref: PrimitiveRef; recursive: boolean } | null;
}

/** A ctype's segment and lock. @internal */
export interface Parts {
  region: Region;
  lock: Lock | RLock | undefined;
  length: number;
  /** The lock was attached on its own (it lives in another segment) and closes with this handle. */
  closeLock?: boolean;
}

/** The options of Value and Array: an object (a `null` or a boolean there is a mistake for `{ lock }`). */
export function checkSynchronizedOptions(options: unknown): SynchronizedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError(expected('options', 'an object ({ lock })', options));
  return options;
}

/** The constructors' last parameter is internal (attaching by reference); anything else given there is refused. */
export function checkParts(parts: unknown, what: string): void {
  if (parts === undefined) return;
  if (typeof parts !== 'object' || parts === null || !((parts as Parts).region instanceof Region) || !Number.isInteger((parts as Parts).length)) {
    throw new TypeError(expected('parts', `nothing: ${what}'s last parameter is internal (${what}.fromRef attaches by reference)`, parts));
  }
}

export function createParts(kind: typeof Kind.Value | typeof Kind.Array, typecode: Typecode, length: number, lock: SynchronizedOptions['lock']): Parts {
  if (lock !== undefined && typeof lock !== 'boolean' && !(lock instanceof Lock) && !(lock instanceof RLock)) {
    throw new TypeError(expected('lock', 'a boolean, a Lock or an RLock', lock));
  }
  const region = Region.create(kind, lockArea + Math.max(1, length * itemSize(typecode)));
  const own = lock === true || lock === undefined;
  return { region, length, lock: own ? new RLock({ region, at: bodyOffset / 4, owns: false }) : lock === false ? undefined : lock };
}

export function attachParts(ref: CtypeRef, kind: typeof Kind.Value | typeof Kind.Array): Parts {
  if (typeof ref !== 'object' || ref === null || ref.kind !== kind) throw new TypeError(expected('ref', `a reference to a shared ${kind === Kind.Value ? 'Value' : 'Array'}`, ref));
  checkTypecode(ref.typecode);
  const region = Region.attach(ref, kind);
  if (ref.lock === null) return { region, lock: undefined, length: ref.length };
  if (ref.lock.ref.name === ref.name && ref.lock.ref.at === bodyOffset / 4) {
    const placement = { region, at: ref.lock.ref.at, owns: false };
    return { region, lock: ref.lock.recursive ? new RLock(placement) : new Lock(placement), length: ref.length };
  }
  try {
    return { region, lock: ref.lock.recursive ? RLock.fromRef(ref.lock.ref) : Lock.fromRef(ref.lock.ref), length: ref.length, closeLock: true };
  } catch (error) {
    region.dispose();
    throw error;
  }
}

export abstract class SharedCtype<T extends Typecode> implements Disposable {
  readonly typecode: T;
  readonly #region: Region;
  readonly #lock: Lock | RLock | undefined;
  readonly #length: number;
  readonly #view: TypedArrayOf[T];
  readonly #closeLock: boolean;

  protected constructor(typecode: T, parts: Parts) {
    this.typecode = typecode;
    this.#region = parts.region;
    this.#lock = parts.lock;
    this.#length = parts.length;
    this.#closeLock = parts.closeLock === true;
    this.#view = viewOf(typecode, parts.region.shm.buf, dataOffset, parts.length);
  }

  /** The data as a typed array over the shared memory (64-bit integer typecodes give bigint arrays). */
  get view(): TypedArrayOf[T] {
    if (this.#region.disposed) throw new SyncStateError('ERR_MP_SYNC_CLOSED', `this ${this.constructor.name} is closed`);
    return this.#view;
  }

  protected get length_(): number {
    return this.#length;
  }

  /** The lock that guards it (`ERR_MP_NO_LOCK` for the raw forms and `lock: false`). */
  getLock(): Lock | RLock {
    if (this.#lock === undefined) throw new SyncStateError('ERR_MP_NO_LOCK', `this ${this.constructor.name} was made without a lock`);
    return this.#lock;
  }

  /** `await using _ = await counter.guard(); counter.value++` */
  guard(options?: WaitOptions): Promise<LockGuard> {
    return this.getLock().guard(options);
  }

  /** Blocking form, for worker threads and child processes. */
  guardSync(options?: Omit<WaitOptions, 'signal'>): LockGuard {
    return this.getLock().guardSync(options);
  }

  toRef(): CtypeRef {
    const lock = this.#lock;
    return {
      ...this.#region.ref,
      kind: this.#region.kind as CtypeRef['kind'],
      typecode: this.typecode,
      length: this.#length,
      lock: lock === undefined ? null : { ref: lock.toRef(), recursive: lock instanceof RLock },
    };
  }

  get segmentName(): string {
    return this.#region.shm.name;
  }

  /** Releases this handle; the creator's close also removes the segment's name. */
  close(): void {
    this.#region.dispose();
    if (this.#closeLock) this.#lock?.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
