// Acquire/release, guards and owner-death recovery common to Lock and RLock; the subclasses say what
// re-entry and release mean.
import { checkSignal, deadlineOf, driveAsync, driveSync, type WaitOptions } from './wait.js';
import { SyncTimeoutError } from './errors.js';
import { holderPid, isLocked, isMine, lockWaiting, recoverMutex, tryLock } from './mutex.js';
import { SharedPrimitive } from './primitive.js';

/** Releases the lock when disposed: `using held = lock.guardSync()` / `await using held = await lock.guard()`. */
export interface LockGuard extends Disposable, AsyncDisposable {
  release(): void;
}

/** A guard that calls `release` once, however often it is disposed. */
export function guardFor(releaseOnce: () => void): LockGuard {
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    releaseOnce();
  };
  return { release, [Symbol.dispose]: release, [Symbol.asyncDispose]: () => Promise.resolve(release()) };
}

export abstract class LockBase extends SharedPrimitive {
  /** Called when this thread already holds the lock: true if that counts as acquiring (RLock). */
  protected abstract reenter(): boolean;
  /** Called right after the mutex was taken. */
  protected abstract entered(): void;
  abstract release(): void;

  /**
   * Waits without blocking the event loop. Resolves true once held, false when `timeout` ms pass; rejects
   * with the signal's reason on abort and with `ERR_MP_LOCK_OWNER_DIED` when the holder's process exited.
   */
  async acquire(options?: WaitOptions): Promise<boolean> {
    const i32 = this.i32;
    const deadline = deadlineOf(options);
    checkSignal(options?.signal);
    if (this.reenter()) return true;
    if (tryLock(i32, this.at) || await driveAsync(lockWaiting(i32, this.at, deadline, this.describe()), options?.signal)) {
      this.entered();
      return true;
    }
    return false;
  }

  /** Blocking form, for worker threads and child processes (it blocks the calling thread's event loop). */
  acquireSync(options?: Omit<WaitOptions, 'signal'>): boolean {
    const i32 = this.i32;
    const deadline = deadlineOf(options);
    if (this.reenter()) return true;
    if (tryLock(i32, this.at) || driveSync(lockWaiting(i32, this.at, deadline, this.describe()))) {
      this.entered();
      return true;
    }
    return false;
  }

  /** Acquires without waiting: Python's `acquire(block=False)`. */
  tryAcquire(): boolean {
    if (this.reenter()) return true;
    if (!tryLock(this.i32, this.at)) return false;
    this.entered();
    return true;
  }

  /** Acquires and returns a guard that releases on dispose; throws `ERR_MP_SYNC_TIMEOUT` on timeout. */
  async guard(options?: WaitOptions): Promise<LockGuard> {
    if (!await this.acquire(options)) throw new SyncTimeoutError(this.describe(), options?.timeout);
    return guardFor(() => this.release());
  }

  guardSync(options?: Omit<WaitOptions, 'signal'>): LockGuard {
    if (!this.acquireSync(options)) throw new SyncTimeoutError(this.describe(), options?.timeout);
    return guardFor(() => this.release());
  }

  /** Whether anyone holds it (a snapshot). */
  get locked(): boolean {
    return isLocked(this.i32, this.at);
  }

  /**
   * Frees the lock when its holder process has died (after `ERR_MP_LOCK_OWNER_DIED`), once the caller
   * knows the guarded data is consistent. Returns false when it is free or its holder is alive.
   */
  recover(): boolean {
    return recoverMutex(this.i32, this.at);
  }

  /** `none`, `pid 123` (another process), or `pid 123, this thread` / `pid 123, another thread`. */
  protected owner(): string {
    const i32 = this.i32;
    if (!isLocked(i32, this.at)) return 'none';
    const pid = holderPid(i32, this.at);
    if (pid === 0) return 'unknown';
    if (pid !== process.pid) return `pid ${pid}`;
    return `pid ${pid}, ${isMine(i32, this.at) ? 'this' : 'another'} thread`;
  }

  protected override inspectState(): string {
    return `${this.constructor.name}(owner=${this.owner()})`;
  }

  protected describe(): string {
    return `${this.constructor.name} in segment '${this.segmentName}'`;
  }
}
