// Condition: Python's multiprocessing.Condition over a Lock or RLock (an RLock of its own by default) and a
// sequence word that notify bumps and waiters sleep on.
import { expected } from '../errors.js';
import { futexWake } from '../native/futex.js';
import { SyncStateError } from './errors.js';
import { Lock } from './lock.js';
import { attachPlacement, ownRegion, SharedPrimitive, type Placement, type PrimitiveRef } from './primitive.js';
import { Kind } from './region.js';
import { RLock, rlockWords } from './rlock.js';
import { checkSignal, deadlineOf, driveAsync, driveSync, left, type WaitOptions, type Waiting } from './wait.js';
import { refHandle, registerBuiltinHandle } from '../serialize/builtin-handles.js';

const enum Word { Sequence, Sleepers }
const conditionWords = 2;

export interface ConditionRef extends PrimitiveRef {
  lock: PrimitiveRef;
  recursive: boolean;
}

export class Condition extends SharedPrimitive {
  readonly #lock: Lock | RLock;

  /** With no lock, the condition makes an RLock of its own in its segment (as Python does). */
  constructor(lock?: Lock | RLock, placement?: Placement) {
    if (lock !== undefined && !(lock instanceof Lock) && !(lock instanceof RLock)) {
      throw new TypeError(expected('lock', 'a Lock or an RLock', lock));
    }
    const own = placement ?? ownRegion(Kind.Condition, (conditionWords + rlockWords) * 4);
    super(own);
    this.#lock = lock ?? new RLock({ region: own.region, at: own.at + conditionWords, owns: false });
  }

  static fromRef(ref: ConditionRef): Condition {
    const placement = attachPlacement(ref, [Kind.Condition]);
    const lock = ref.lock.name === ref.name && ref.lock.at === ref.at + conditionWords
      ? new RLock({ region: placement.region, at: ref.lock.at, owns: false })
      : ref.recursive ? RLock.fromRef(ref.lock) : Lock.fromRef(ref.lock);
    return new Condition(lock, placement);
  }

  override toRef(): ConditionRef {
    return { ...super.toRef(), lock: this.#lock.toRef(), recursive: this.#lock instanceof RLock };
  }

  /** The underlying lock: acquire it (or use `guard()`) around `wait` and `notify`. */
  get lock(): Lock | RLock {
    return this.#lock;
  }

  acquire(options?: WaitOptions): Promise<boolean> {
    return this.#lock.acquire(options);
  }

  acquireSync(options?: Omit<WaitOptions, 'signal'>): boolean {
    return this.#lock.acquireSync(options);
  }

  release(): void {
    this.#lock.release();
  }

  guard(options?: WaitOptions): ReturnType<Lock['guard']> {
    return this.#lock.guard(options);
  }

  guardSync(options?: Omit<WaitOptions, 'signal'>): ReturnType<Lock['guardSync']> {
    return this.#lock.guardSync(options);
  }

  /**
   * Releases the lock, sleeps until notified or `timeout` ms pass, and re-acquires the lock. Resolves
   * false on timeout. Like a POSIX condition variable it may wake without a matching notify: loop on
   * your predicate, or use `waitFor`.
   */
  async wait(options?: WaitOptions): Promise<boolean> {
    const deadline = deadlineOf(options);
    checkSignal(options?.signal);
    const [sequence, restore] = this.#enter();
    try {
      return await driveAsync(this.#sleep(sequence, deadline), options?.signal);
    } finally {
      await this.#lock.acquire();
      restore();
    }
  }

  waitSync(options?: Omit<WaitOptions, 'signal'>): boolean {
    const deadline = deadlineOf(options);
    const [sequence, restore] = this.#enter();
    try {
      return driveSync(this.#sleep(sequence, deadline));
    } finally {
      this.#lock.acquireSync();
      restore();
    }
  }

  /** Waits until `predicate()` is true (checked with the lock held); resolves its last result. */
  async waitFor<T>(predicate: () => T, options?: WaitOptions): Promise<T> {
    const deadline = deadlineOf(options);
    for (let result = predicate(); ; result = predicate()) {
      if (result) return result;
      const ms = left(deadline);
      if (ms === 0) return result;
      await this.wait(options?.signal === undefined ? { timeout: ms } : { timeout: ms, signal: options.signal });
    }
  }

  waitForSync<T>(predicate: () => T, options?: Omit<WaitOptions, 'signal'>): T {
    const deadline = deadlineOf(options);
    for (let result = predicate(); ; result = predicate()) {
      if (result) return result;
      const ms = left(deadline);
      if (ms === 0) return result;
      this.waitSync({ timeout: ms });
    }
  }

  /** Wakes up to `n` waiters; the lock must be held. */
  notify(n = 1): void {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(expected('n', 'a non-negative integer', n));
    const i32 = this.i32;
    this.#checkHeld('notify');
    if (n === 0 || Atomics.load(i32, this.at + Word.Sleepers) === 0) return;
    Atomics.add(i32, this.at + Word.Sequence, 1);
    futexWake(i32, this.at + Word.Sequence, n);
  }

  notifyAll(): void {
    this.notify(0x3fffffff);
  }

  #checkHeld(what: string): void {
    const lock = this.#lock;
    const held = lock instanceof RLock ? lock.isMine : lock.locked;
    if (!held) throw new SyncStateError('ERR_MP_LOCK_NOT_OWNED', `Condition.${what} needs its lock held`);
  }

  /** Registers as a sleeper, reads the sequence, then releases the lock fully. */
  #enter(): [number, () => void] {
    const i32 = this.i32;
    this.#checkHeld('wait');
    Atomics.add(i32, this.at + Word.Sleepers, 1);
    const sequence = Atomics.load(i32, this.at + Word.Sequence);
    const lock = this.#lock;
    if (lock instanceof RLock) {
      const count = lock.releaseAll();
      return [sequence, () => lock.restoreCount(count)];
    }
    lock.release();
    return [sequence, () => undefined];
  }

  *#sleep(sequence: number, deadline: number): Waiting<boolean> {
    const i32 = this.i32;
    const index = this.at + Word.Sequence;
    try {
      for (;;) {
        if (Atomics.load(i32, index) !== sequence) return true;
        const ms = left(deadline);
        if (ms === 0) return false;
        yield { i32, index, value: sequence, ms };
      }
    } finally {
      Atomics.sub(i32, this.at + Word.Sleepers, 1);
    }
  }
}

registerBuiltinHandle(refHandle('multiproc.Condition', Condition, (ref: ConditionRef) => Condition.fromRef(ref)));
