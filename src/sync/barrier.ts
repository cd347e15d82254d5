// Barrier: Python's multiprocessing.Barrier. Arrivals are counted under an internal mutex; waiters sleep on
// the generation word, and a broken generation is recorded so every waiter of it raises BrokenBarrierError.
// The action and the default timeout travel in the reference, so they hold wherever the barrier goes.
import { expected } from '../errors.js';
import { futexWake } from '../native/futex.js';
import { BrokenBarrierError } from './errors.js';
import { lockWaiting, mutexWords, tryLock, unlock } from './mutex.js';
import { attachPlacement, ownRegion, SharedPrimitive, type Placement, type PrimitiveRef } from './primitive.js';
import { Kind } from './region.js';
import { checkSignal, deadlineOf, driveAsync, driveSync, left, type WaitOptions, type WaitSteps } from './wait.js';
import { refHandle, registerBuiltinHandle } from '../serialize/builtin-handles.js';
import { registry } from '../serialize/registry.js';

// The first four words are the internal mutex (mutexWords).
const enum Word { Count = 4, Generation, BrokenGeneration, Broken, Parties }
const barrierWords = mutexWords + 5;

export interface BarrierOptions {
  /**
   * Runs once per cycle, in the party whose arrival completes the barrier (whichever thread or process
   * that is), before the others are released; if it throws, the barrier breaks. A barrier with an action
   * travels to other workers only if the action is an exported function registered with
   * `registerFunction` (it travels by reference, as Python pickles it).
   */
  action?: () => void;
  /** Default timeout of `wait` in ms, for every handle of this barrier. @default Infinity */
  timeout?: number;
}

export interface BarrierRef extends PrimitiveRef {
  action?: () => void;
  timeout?: number;
}

export class Barrier extends SharedPrimitive {
  readonly #action: (() => void) | undefined;
  readonly #timeout: number | undefined;

  constructor(parties: number, options: BarrierOptions = {}, placement?: Placement) {
    if (typeof options !== 'object' || options === null) throw new TypeError(expected('options', 'an object', options));
    if (placement === undefined && typeof parties !== 'number') throw new TypeError(expected('parties', 'a positive integer', parties));
    if (placement === undefined && (!Number.isInteger(parties) || parties < 1 || parties > 0x3fffffff)) {
      throw new RangeError(expected('parties', 'a positive integer', parties));
    }
    if (options.action !== undefined && typeof options.action !== 'function') throw new TypeError(expected('action', 'a function', options.action));
    if (options.timeout !== undefined) deadlineOf({ timeout: options.timeout });
    super(placement ?? ownRegion(Kind.Barrier, barrierWords * 4, (region, at) => {
      region.i32[at + Word.Parties] = parties;
      region.i32[at + Word.BrokenGeneration] = -1;
    }));
    this.#action = options.action;
    this.#timeout = options.timeout;
  }

  /** Attaches to a barrier; `options` override the action and timeout its reference carries. */
  static fromRef(ref: BarrierRef, options: BarrierOptions = {}): Barrier {
    const action = options.action ?? ref.action;
    const timeout = options.timeout ?? ref.timeout;
    const placement = attachPlacement(ref, [Kind.Barrier]);
    try {
      return new Barrier(0, { ...(action === undefined ? {} : { action }), ...(timeout === undefined ? {} : { timeout }) }, placement);
    } catch (error) {
      placement.region.dispose();
      throw error;
    }
  }

  override toRef(): BarrierRef {
    const ref: BarrierRef = super.toRef();
    const action = this.#action;
    if (action !== undefined) {
      if (registry.functionOf(action) === undefined) {
        throw new TypeError(`its action \`${action.name || 'anonymous'}\` is not a registered function: only exported functions travel; ` +
          'export it and call registerFunction(action, import.meta.url), so the party that completes the barrier elsewhere can run it');
      }
      ref.action = action;
    }
    if (this.#timeout !== undefined) ref.timeout = this.#timeout;
    return ref;
  }

  get parties(): number {
    return Atomics.load(this.i32, this.at + Word.Parties);
  }

  /** Parties waiting now. */
  get nWaiting(): number {
    return Atomics.load(this.i32, this.at + Word.Count);
  }

  get broken(): boolean {
    return Atomics.load(this.i32, this.at + Word.Broken) === 1;
  }

  protected override inspectState(): string {
    return `Barrier parties=${this.parties} waiting=${this.nWaiting}${this.broken ? ' broken' : ''}`;
  }

  /**
   * Waits for all parties; resolves this party's arrival index (0 .. parties-1). If any party times out, or
   * the barrier is aborted or reset, every waiter rejects with `ERR_MP_BROKEN_BARRIER`.
   */
  async wait(options?: WaitOptions): Promise<number> {
    const deadline = deadlineOf(this.#options(options));
    checkSignal(options?.signal);
    const i32 = this.i32;
    if (!tryLock(i32, this.at)) await driveAsync(lockWaiting(i32, this.at, Infinity, 'a Barrier'), undefined);
    const arrival = this.#arrive();
    if (typeof arrival === 'number') return arrival;
    try {
      return await driveAsync(this.#sleep(arrival, deadline), options?.signal);
    } catch (error) {
      if (!(error instanceof BrokenBarrierError)) this.#breakGeneration(arrival.generation, true);
      throw error;
    }
  }

  waitSync(options?: Omit<WaitOptions, 'signal'>): number {
    const deadline = deadlineOf(this.#options(options));
    const i32 = this.i32;
    if (!tryLock(i32, this.at)) driveSync(lockWaiting(i32, this.at, Infinity, 'a Barrier'));
    const arrival = this.#arrive();
    return typeof arrival === 'number' ? arrival : driveSync(this.#sleep(arrival, deadline));
  }

  /** Breaks the barrier: current and future waiters get `ERR_MP_BROKEN_BARRIER` until `reset()`. */
  abort(): void {
    this.#breakGeneration(Atomics.load(this.i32, this.at + Word.Generation), false);
  }

  /** Returns the barrier to its empty state; parties waiting now get `ERR_MP_BROKEN_BARRIER`. */
  reset(): void {
    const i32 = this.i32;
    this.#lockSync();
    try {
      const generation = Atomics.load(i32, this.at + Word.Generation);
      if (Atomics.load(i32, this.at + Word.Count) > 0) Atomics.store(i32, this.at + Word.BrokenGeneration, generation);
      Atomics.store(i32, this.at + Word.Count, 0);
      Atomics.store(i32, this.at + Word.Broken, 0);
      Atomics.add(i32, this.at + Word.Generation, 1);
    } finally {
      unlock(i32, this.at);
    }
    futexWake(i32, this.at + Word.Generation);
  }

  #options(options: WaitOptions | undefined): WaitOptions | undefined {
    if (options?.timeout !== undefined || this.#timeout === undefined) return options;
    return { ...options, timeout: this.#timeout };
  }

  #lockSync(): void {
    if (!tryLock(this.i32, this.at)) driveSync(lockWaiting(this.i32, this.at, Infinity, 'a Barrier'));
  }

  /** With the mutex held: counts this arrival, releases everyone if it is the last, and drops the mutex. */
  #arrive(): number | { generation: number; index: number } {
    const i32 = this.i32;
    const at = this.at;
    try {
      if (Atomics.load(i32, at + Word.Broken) === 1) throw new BrokenBarrierError();
      const generation = Atomics.load(i32, at + Word.Generation);
      const index = Atomics.add(i32, at + Word.Count, 1);
      if (index + 1 < Atomics.load(i32, at + Word.Parties)) return { generation, index };
      try {
        this.#action?.();
      } catch (error) {
        Atomics.store(i32, at + Word.Broken, 1);
        Atomics.store(i32, at + Word.BrokenGeneration, generation);
        Atomics.add(i32, at + Word.Generation, 1);
        futexWake(i32, at + Word.Generation);
        throw error;
      }
      Atomics.store(i32, at + Word.Count, 0);
      Atomics.add(i32, at + Word.Generation, 1);
      futexWake(i32, at + Word.Generation);
      return index;
    } finally {
      unlock(i32, at);
    }
  }

  *#sleep(arrival: { generation: number; index: number }, deadline: number): WaitSteps<number> {
    const i32 = this.i32;
    const index = this.at + Word.Generation;
    for (;;) {
      if (Atomics.load(i32, index) !== arrival.generation) {
        if (Atomics.load(i32, this.at + Word.BrokenGeneration) === arrival.generation) throw new BrokenBarrierError();
        return arrival.index;
      }
      const ms = left(deadline);
      if (ms === 0) {
        this.#breakGeneration(arrival.generation, true);
        throw new BrokenBarrierError('the barrier is broken: this party timed out waiting for the others');
      }
      yield { i32, index, value: arrival.generation, ms };
    }
  }

  /** Marks `generation` broken (if it is still current) and wakes its waiters. */
  #breakGeneration(generation: number, onlyIfCurrent: boolean): void {
    const i32 = this.i32;
    this.#lockSync();
    try {
      if (onlyIfCurrent && Atomics.load(i32, this.at + Word.Generation) !== generation) return;
      Atomics.store(i32, this.at + Word.Broken, 1);
      Atomics.store(i32, this.at + Word.BrokenGeneration, generation);
      Atomics.store(i32, this.at + Word.Count, 0);
      Atomics.add(i32, this.at + Word.Generation, 1);
    } finally {
      unlock(i32, this.at);
    }
    futexWake(i32, this.at + Word.Generation);
  }
}

registerBuiltinHandle(refHandle('multiproc.Barrier', Barrier, (ref: BarrierRef) => Barrier.fromRef(ref)));
