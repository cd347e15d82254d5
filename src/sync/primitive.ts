// What every shared primitive has: its place in a region, whether this handle owns the region, and
// close/dispose (the creator's dispose also removes the segment's name).
import { Kind, Region } from './region.js';
import { expected } from '../errors.js';
import { SyncSegmentError, SyncStateError } from './errors.js';
import { PendingWaits } from './pending-waits.js';
import type { WaitSteps } from './wait.js';

/** Where a primitive's words live: `at` is an Int32 index into the region. @internal */
export interface Placement {
  region: Region;
  at: number;
  /** This handle closes (and, as creator, unlinks) the region. */
  owns: boolean;
}

/** A fresh region holding just one primitive. @internal */
export function ownRegion(kind: Kind, bytes: number, init?: (region: Region, at: number) => void): Placement {
  const at = 64 / 4;
  const region = Region.create(kind, bytes, init === undefined ? undefined : (r) => init(r, at));
  return { region, at, owns: true };
}

/** Reference data every primitive travels with. */
export interface PrimitiveRef {
  name: string;
  dir?: string;
  /** Int32 index of the primitive's words in the segment. */
  at: number;
  /** The kind of segment it lives in (a Lock may live inside a Value's segment). */
  kind: Kind;
}

/** `util.inspect.custom`, without importing node:util. @internal */
export const inspectCustom = Symbol.for('nodejs.util.inspect.custom');

export abstract class SharedPrimitive implements Disposable {
  protected readonly region: Region;
  protected readonly at: number;
  readonly #owns: boolean;
  #closed = false;
  readonly #waits = new PendingWaits();

  protected constructor(placement: Placement) {
    // The public constructors take no placement (it is how primitives are built inside others' segments), so
    // anything given there by mistake is refused here rather than read as a segment.
    if (typeof placement !== 'object' || placement === null || !(placement.region instanceof Region) || !Number.isInteger(placement.at)) {
      throw new TypeError(expected('placement', `nothing: ${new.target.name}'s last parameter is internal (${new.target.name}.fromRef attaches by reference)`, placement));
    }
    this.region = placement.region;
    this.at = placement.at;
    this.#owns = placement.owns;
  }

  /** The words, or ERR_MP_SYNC_CLOSED once this handle is closed. */
  protected get i32(): Int32Array {
    if (this.#closed || this.region.disposed) throw new SyncStateError('ERR_MP_SYNC_CLOSED', `this ${this.constructor.name} handle is closed`);
    return this.region.i32;
  }

  get closed(): boolean {
    return this.#closed || this.region.disposed;
  }

  /** The segment's name (for diagnostics; the primitive travels by reference on its own). */
  get segmentName(): string {
    return this.region.shm.name;
  }

  toRef(): PrimitiveRef {
    return { ...this.region.ref, at: this.at, kind: this.region.kind };
  }

  /**
   * Releases this handle. The handle that created the primitive also removes its segment's name: handles
   * already attached elsewhere keep working, new attaches fail.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#waits.size > 0) {
      this.#waits.abortAll(new SyncStateError('ERR_MP_SYNC_CLOSED', `this ${this.constructor.name} handle was closed while a wait on it was pending`));
      return;
    }
    if (this.#owns) this.region.dispose();
  }

  /** An asynchronous wait that the caller's signal, or closing this handle, rejects (the segment goes after it). */
  protected pendingWait<R>(waiting: WaitSteps<R>, signal: AbortSignal | undefined): Promise<R> {
    return this.#waits.run(waiting, signal, () => this.#closed, () => {
      if (this.#owns) this.region.dispose();
    });
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** What `util.inspect` and `console.log` show: `<Semaphore(value=2)>`, never the segment's words. */
  [inspectCustom](): string {
    return this.closed ? `<${this.constructor.name} closed>` : `<${this.inspectState()}>`;
  }

  /** The inside of the angle brackets, read from the shared words (a snapshot). */
  protected inspectState(): string {
    return this.constructor.name;
  }
}

/** Attaches to the region a reference names, for a primitive of `kind`. @internal */
export function attachPlacement(ref: PrimitiveRef, kinds: readonly Kind[]): Placement {
  if (typeof ref !== 'object' || ref === null || !kinds.includes(ref.kind)) {
    throw new SyncSegmentError(`not a reference to this kind of primitive: ${JSON.stringify(ref)}`);
  }
  const region = Region.attach(ref, ref.kind);
  if (!Number.isInteger(ref.at) || ref.at < 0 || ref.at * 4 >= region.shm.size) {
    region.dispose();
    throw new SyncSegmentError(`reference offset ${String(ref.at)} is outside segment '${ref.name}'`);
  }
  return { region, at: ref.at, owns: true };
}
