// RLock: Python's multiprocessing.RLock, re-entrant for the thread (of the process) that holds it.
import { SyncStateError } from './errors.js';
import { LockBase } from './lock-base.js';
import { isMine, mutexWords, unlock } from './mutex.js';
import { attachPlacement, ownRegion, type Placement, type PrimitiveRef } from './primitive.js';
import { Kind } from './region.js';
import { refHandle, registerBuiltinHandle } from '../serialize/builtin-handles.js';

/** Int32 words: the mutex, then the recursion count. */
export const rlockWords = mutexWords + 1;

export class RLock extends LockBase {
  constructor(placement?: Placement) {
    super(placement ?? ownRegion(Kind.RLock, rlockWords * 4));
  }

  static fromRef(ref: PrimitiveRef): RLock {
    return new RLock(attachPlacement(ref, [Kind.RLock, Kind.Value, Kind.Array, Kind.Condition]));
  }

  protected reenter(): boolean {
    const i32 = this.i32;
    if (!isMine(i32, this.at)) return false;
    i32[this.at + mutexWords]!++;
    return true;
  }

  protected entered(): void {
    this.i32[this.at + mutexWords] = 1;
  }

  /** How many times this thread holds it (0 when another thread or nobody does). */
  get count(): number {
    return isMine(this.i32, this.at) ? this.i32[this.at + mutexWords]! : 0;
  }

  /** Whether this thread of this process holds it. */
  get isMine(): boolean {
    return isMine(this.i32, this.at);
  }

  /** Releases one level; throws `ERR_MP_LOCK_NOT_OWNED` unless this thread holds it. */
  release(): void {
    const i32 = this.i32;
    if (!isMine(i32, this.at)) throw new SyncStateError('ERR_MP_LOCK_NOT_OWNED', 'release of an RLock this thread does not hold');
    if (--i32[this.at + mutexWords]! === 0) unlock(i32, this.at);
  }

  protected override inspectState(): string {
    // The count word is only meaningful while someone holds the lock.
    const count = this.locked ? this.i32[this.at + mutexWords]! : 0;
    return `RLock(owner=${this.owner()}, count=${count})`;
  }

  /** Releases every level at once (Condition.wait); returns the count to restore. @internal */
  releaseAll(): number {
    const count = this.count;
    if (count === 0) throw new SyncStateError('ERR_MP_LOCK_NOT_OWNED', 'release of an RLock this thread does not hold');
    this.i32[this.at + mutexWords] = 0;
    unlock(this.i32, this.at);
    return count;
  }

  /** After re-acquiring, restores the count `releaseAll` returned. @internal */
  restoreCount(count: number): void {
    this.i32[this.at + mutexWords] = count;
  }
}

registerBuiltinHandle(refHandle('multiproc.RLock', RLock, (ref: PrimitiveRef) => RLock.fromRef(ref)));
