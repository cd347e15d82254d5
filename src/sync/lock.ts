// Lock: Python's multiprocessing.Lock, a non-recursive lock in shared memory that any thread of any process can release.
import { SyncStateError } from './errors.js';
import { LockBase } from './lock-base.js';
import { isLocked, mutexWords, unlock } from './mutex.js';
import { attachPlacement, ownRegion, type Placement, type PrimitiveRef } from './primitive.js';
import { Kind } from './region.js';
import { refHandle, registerBuiltinHandle } from '../serialize/builtin-handles.js';

export class Lock extends LockBase {
  /** Creates a lock in its own segment (`placement` is for primitives built from it). */
  constructor(placement?: Placement) {
    super(placement ?? ownRegion(Kind.Lock, mutexWords * 4));
  }

  static fromRef(ref: PrimitiveRef): Lock {
    return new Lock(attachPlacement(ref, [Kind.Lock, Kind.Value, Kind.Array, Kind.Condition]));
  }

  protected reenter(): boolean {
    return false;
  }

  protected entered(): void {}

  /** Releases it; releasing an unlocked Lock throws `ERR_MP_LOCK_NOT_OWNED` (Python's ValueError). */
  release(): void {
    const i32 = this.i32;
    if (!isLocked(i32, this.at)) throw new SyncStateError('ERR_MP_LOCK_NOT_OWNED', 'release of an unlocked Lock');
    unlock(i32, this.at);
  }
}

registerBuiltinHandle(refHandle('multiproc.Lock', Lock, (ref: PrimitiveRef) => Lock.fromRef(ref)));
