// Condition: Python's multiprocessing.Condition over a Lock or RLock (an RLock of its own by default): notify
// hands out wake tokens that each woken waiter takes with a CAS, and bumps the word waiters sleep on.
import { expected } from '../errors.js';
import { futexWake } from '../native/futex.js';
import { SyncStateError } from './errors.js';
import { Lock } from './lock.js';
import { attachPlacement, inspectCustom, ownRegion, SharedPrimitive, type Placement, type PrimitiveRef } from './primitive.js';
import { Kind } from './region.js';
import { RLock, rlockWords } from './rlock.js';
import { checkSignal, deadlineOf, driveAsync, driveSync, left, type WaitOptions, type WaitSteps } from './wait.js';
import { refHandle, registerBuiltinHandle } from '../serialize/builtin-handles.js';

// Notifies counts the notify calls that woke anyone (waiters sleep on it); Waiting counts the waiters no
// notify has picked yet; Wakes counts the picks not taken yet. Both counts change only with the lock held,
// except that a woken waiter takes its token without it.
const enum Word { Notifies, Waiting, Wakes }
const conditionWords = 3;

/** Takes one wake token; false when none is left. */
function takeWake(i32: Int32Array, at: number): boolean {
  for (;;) {
    const wakes = Atomics.load(i32, at + Word.Wakes);
    if (wakes <= 0) return false;
    if (Atomics.compareExchange(i32, at + Word.Wakes, wakes, wakes - 1) === wakes) return true;
  }
}

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
   * true when a notify picked this waiter, false on timeout: `notify(n)` wakes at most n of the waiters
   * that were waiting when it was called. Loop on your predicate (or use `waitFor`) all the same: another
   * party may have changed the state again before this one re-acquired the lock.
   */
  async wait(options?: WaitOptions): Promise<boolean> {
    const deadline = deadlineOf(options);
    checkSignal(options?.signal);
    const [entered, restore] = this.#enter();
    let woken = false;
    try {
      woken = await driveAsync(this.#sleep(entered, deadline), options?.signal);
    } finally {
      await this.#lock.acquire();
      restore();
      if (!woken) woken = this.#leave(entered);
    }
    return woken;
  }

  waitSync(options?: Omit<WaitOptions, 'signal'>): boolean {
    const deadline = deadlineOf(options);
    const [entered, restore] = this.#enter();
    let woken = false;
    try {
      woken = driveSync(this.#sleep(entered, deadline));
    } finally {
      this.#lock.acquireSync();
      restore();
      if (!woken) woken = this.#leave(entered);
    }
    return woken;
  }

  /** Waits until `predicate()` is true (checked with the lock held); resolves its last result. */
  async waitFor<T>(predicate: () => T, options?: WaitOptions): Promise<T> {
    if (typeof predicate !== 'function') throw new TypeError(expected('predicate', 'a function', predicate));
    const deadline = deadlineOf(options);
    for (let result = predicate(); ; result = predicate()) {
      if (result) return result;
      const ms = left(deadline);
      if (ms === 0) return result;
      await this.wait(options?.signal === undefined ? { timeout: ms } : { timeout: ms, signal: options.signal });
    }
  }

  waitForSync<T>(predicate: () => T, options?: Omit<WaitOptions, 'signal'>): T {
    if (typeof predicate !== 'function') throw new TypeError(expected('predicate', 'a function', predicate));
    const deadline = deadlineOf(options);
    for (let result = predicate(); ; result = predicate()) {
      if (result) return result;
      const ms = left(deadline);
      if (ms === 0) return result;
      this.waitSync({ timeout: ms });
    }
  }

  /** Wakes up to `n` of the waiters waiting now (the others keep waiting); the lock must be held. */
  notify(n = 1): void {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(expected('n', 'a non-negative integer', n));
    const i32 = this.i32;
    this.#checkHeld('notify');
    const picked = Math.min(n, Atomics.load(i32, this.at + Word.Waiting));
    if (picked === 0) return;
    Atomics.sub(i32, this.at + Word.Waiting, picked);
    // Tokens before the bump: a waiter that sees the new count also sees its token.
    Atomics.add(i32, this.at + Word.Wakes, picked);
    Atomics.add(i32, this.at + Word.Notifies, 1);
    futexWake(i32, this.at + Word.Notifies, picked);
  }

  /** Wakes every waiter waiting now. */
  notifyAll(): void {
    this.notify(0x3fffffff);
  }

  /** Waiters that have not returned yet, picked or not (a snapshot). */
  get waiters(): number {
    return Atomics.load(this.i32, this.at + Word.Waiting) + Atomics.load(this.i32, this.at + Word.Wakes);
  }

  protected override inspectState(): string {
    return `Condition(${this.#lock[inspectCustom]()}, ${this.waiters})`;
  }

  #checkHeld(what: string): void {
    const lock = this.#lock;
    const held = lock instanceof RLock ? lock.isMine : lock.locked;
    if (!held) throw new SyncStateError('ERR_MP_LOCK_NOT_OWNED', `Condition.${what} needs its lock held`);
  }

  /** Counts this waiter in, notes the notify count it entered at, then releases the lock fully. */
  #enter(): [number, () => void] {
    const i32 = this.i32;
    this.#checkHeld('wait');
    Atomics.add(i32, this.at + Word.Waiting, 1);
    const entered = Atomics.load(i32, this.at + Word.Notifies);
    const lock = this.#lock;
    if (lock instanceof RLock) {
      const count = lock.releaseAll();
      return [entered, () => lock.restoreCount(count)];
    }
    lock.release();
    return [entered, () => undefined];
  }

  /**
   * Sleeps until it takes a wake token. Only a notify made after this waiter entered counts: a token
   * left for an earlier waiter cannot be taken by one that came later.
   */
  *#sleep(entered: number, deadline: number): WaitSteps<boolean> {
    const i32 = this.i32;
    const index = this.at + Word.Notifies;
    for (;;) {
      const notifies = Atomics.load(i32, index);
      if (notifies !== entered && takeWake(i32, this.at)) return true;
      const ms = left(deadline);
      if (ms === 0) return false;
      yield { i32, index, value: notifies, ms };
    }
  }

  /**
   * After a timeout or an abort, with the lock held again: a notify may have picked this waiter in the
   * meantime (its token is then this waiter's to take, and it reports being woken); otherwise it leaves
   * the waiting count, so no later notify spends a wake on it.
   */
  #leave(entered: number): boolean {
    const i32 = this.i32;
    if (Atomics.load(i32, this.at + Word.Notifies) !== entered && takeWake(i32, this.at)) return true;
    Atomics.sub(i32, this.at + Word.Waiting, 1);
    return false;
  }
}

registerBuiltinHandle(refHandle('multiproc.Condition', Condition, (ref: ConditionRef) => Condition.fromRef(ref)));
