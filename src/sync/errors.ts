// Errors of the synchronization primitives, each with a stable code.
import type { ErrorCodeOf } from '../error-codes.js';
import { MultiprocError, type MultiprocErrorOptions } from '../errors.js';

/** A lock is held by a process that has exited: waiting for it would never end. */
export class LockOwnerDiedError extends MultiprocError {
  /** The pid of the dead holder. */
  readonly pid: number;

  constructor(what: string, pid: number) {
    super('ERR_MP_LOCK_OWNER_DIED', `${what} is held by process ${pid}, which has exited without releasing it; ` +
      'call recover() once the data it guards is known to be consistent');
    this.pid = pid;
  }
}

/** A Barrier was broken (a party timed out, aborted or reset it); every waiter gets this. */
export class BrokenBarrierError extends MultiprocError {
  constructor(message = 'the barrier is broken (a party timed out, aborted or reset it)') {
    super('ERR_MP_BROKEN_BARRIER', message);
  }
}

/**
 * Misuse of a primitive's state: releasing an unlocked Lock or an RLock owned elsewhere
 * (`ERR_MP_LOCK_NOT_OWNED`), releasing a BoundedSemaphore too often (`ERR_MP_SEMAPHORE_OVERFLOW`),
 * Condition.wait without the lock, or using a closed handle (`ERR_MP_SYNC_CLOSED`).
 */
export class SyncStateError extends MultiprocError {
  constructor(code: ErrorCodeOf<'SyncStateError'>, message: string, options: MultiprocErrorOptions = {}) {
    super(code, message, options);
  }
}

/** A reference did not lead to a live primitive of the expected kind (`ERR_MP_SYNC_BAD_SEGMENT`). */
export class SyncSegmentError extends MultiprocError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ERR_MP_SYNC_BAD_SEGMENT', message, options);
  }
}

/** A guard could not take its lock within the timeout (`acquire` itself returns false instead). */
export class SyncTimeoutError extends MultiprocError {
  constructor(what: string, timeout: number | undefined) {
    super('ERR_MP_SYNC_TIMEOUT', `could not acquire ${what} within ${timeout ?? Infinity} ms`);
  }
}
